//! `POST /logout`: ends the session of the token; the AUTH token and every ACCESS token derived
//! from it stop working at once.

use lambda_http::{Body, Request, Response};

use crate::app::App;
use crate::auth::authenticate;
use crate::error::AuthError;
use crate::http::{self, Ctx, HandlerResult};
use crate::token::TokenType;

pub async fn handle(app: &App, req: Request) -> HandlerResult {
    http::serve(req, "logout", |ctx, req| run(app, ctx, req)).await
}

async fn run(app: &App, _ctx: Ctx, req: Request) -> Result<Response<Body>, AuthError> {
    let principal = authenticate(app, &req, &[TokenType::Auth, TokenType::Access]).await?;
    app.store.revoke_session(&principal.session.session_id).await?;
    tracing::info!(user_id = %principal.session.user_id, "logged out");
    Ok(http::no_content())
}
