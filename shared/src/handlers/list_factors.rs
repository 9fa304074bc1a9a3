//! `GET /authentication_factors`: the account's enrolled factors and their status.

use lambda_http::{Body, Request, Response};

use crate::app::App;
use crate::error::AuthError;
use crate::http::{self, Ctx, HandlerResult};
use crate::principal::authenticate;
use crate::token::TokenType;

pub async fn handle(app: &App, req: Request) -> HandlerResult {
    http::serve(req, "list_factors", |ctx, req| run(app, ctx, req)).await
}

async fn run(app: &App, _ctx: Ctx, req: Request) -> Result<Response<Body>, AuthError> {
    let principal = authenticate(app, &req, &[TokenType::Access]).await?;
    let user = super::load_user(app, &principal.session.email).await?;
    let factors: Vec<_> = user
        .factors
        .iter()
        .map(|f| serde_json::json!({ "type": f.kind, "channel": f.channel, "status": f.status }))
        .collect();
    Ok(http::ok(&serde_json::json!({ "factors": factors })))
}
