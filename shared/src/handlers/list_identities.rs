//! `GET /identities`: the identities the token's holder can act as.

use lambda_http::{Body, Request, Response};

use crate::app::App;
use crate::error::AuthError;
use crate::http::{self, Ctx, HandlerResult};
use crate::principal::authenticate;
use crate::token::TokenType;

pub async fn handle(app: &App, req: Request) -> HandlerResult {
    http::serve(req, "list_identities", |ctx, req| run(app, ctx, req)).await
}

async fn run(app: &App, _ctx: Ctx, req: Request) -> Result<Response<Body>, AuthError> {
    let principal = authenticate(app, &req, &[TokenType::Auth, TokenType::Access]).await?;
    let user = super::load_user(app, &principal.session.email).await?;
    Ok(http::ok(&user.identities))
}
