//! `GET /stepup/challenges/push/{channel}/{id}`: how the session's push challenge stands.

use lambda_http::{Body, Request, Response};

use crate::app::App;
use crate::error::AuthError;
use crate::http::{self, Ctx, HandlerResult};
use crate::model::FactorType;
use crate::principal::authenticate;
use crate::token::TokenType;

pub async fn handle(app: &App, req: Request) -> HandlerResult {
    http::serve(req, "stepup_push_status", |ctx, req| run(app, ctx, req)).await
}

async fn run(app: &App, _ctx: Ctx, req: Request) -> Result<Response<Body>, AuthError> {
    let principal = authenticate(app, &req, &[TokenType::Access]).await?;
    let channel = super::channel_param(&req, FactorType::Push)?;
    let id = http::path_param(&req, "id").ok_or(AuthError::NotFound)?;
    // Another session's challenge is as good as missing.
    let challenge = app
        .store
        .get_push_challenge(&id)
        .await?
        .filter(|c| c.session_id == principal.session.session_id && c.channel == channel)
        .ok_or(AuthError::NotFound)?;
    Ok(http::ok(&serde_json::json!({
        "status": challenge.status_at(app.now()),
        "requestedAt": challenge.created_at,
        "userAgent": challenge.requested_by.user_agent,
        "sourceIp": challenge.requested_by.source_ip,
    })))
}
