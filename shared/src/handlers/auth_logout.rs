//! `POST /auth/logout` (not in the seed): revokes a refresh token. Always 204 for a token of
//! the right form, so the answer says nothing about whether it was known.

use lambda_http::{Body, Request, Response};

use crate::app::App;
use crate::error::AuthError;
use crate::http::{self, Ctx, Fields, HandlerResult};

pub async fn handle(app: &App, req: Request) -> HandlerResult {
    http::serve_surface2(req, "auth_logout", |ctx, req| run(app, ctx, req)).await
}

async fn run(app: &App, _ctx: Ctx, req: Request) -> Result<Response<Body>, AuthError> {
    let mut f = Fields::from_request(&req)?;
    let token = f.string("refreshToken", 1, 200);
    f.finish()?;
    if let Some((user_id, hash)) = token.as_deref().and_then(super::refresh_token_parts) {
        app.store.revoke_refresh(user_id, &hash).await?;
    }
    Ok(http::no_content())
}
