//! `POST /auth/login/refresh`: a new idToken for a live refresh token (not rotated: the seed
//! returns none). Refused once the token is revoked or expired, or the password has changed.

use lambda_http::{Body, Request, Response};

use crate::app::App;
use crate::error::AuthError;
use crate::http::{self, Ctx, Fields, HandlerResult};
use crate::session;

pub async fn handle(app: &App, req: Request) -> HandlerResult {
    http::serve_surface2(req, "auth_refresh", |ctx, req| run(app, ctx, req)).await
}

const INVALID: &str = "The refresh token is invalid, expired or revoked.";

async fn run(app: &App, _ctx: Ctx, req: Request) -> Result<Response<Body>, AuthError> {
    let mut f = Fields::from_request(&req)?;
    let token = f.string("refreshToken", 1, 200);
    f.finish()?;
    let (user_id, hash) = token.as_deref().and_then(super::refresh_token_parts).ok_or(AuthError::Forbidden(INVALID))?;
    let now = app.now();
    let record = app
        .store
        .get_refresh(user_id, &hash)
        .await?
        .filter(|r| !r.revoked && now < r.expires_at)
        .ok_or(AuthError::Forbidden(INVALID))?;
    let user = app
        .store
        .get_user(&record.email)
        .await?
        .filter(|u| u.user_id == record.user_id && u.credentials_version == record.credentials_version && !u.blocked)
        .ok_or(AuthError::Forbidden(INVALID))?;
    let id_token = session::id_token(app, &user, &["pwd"])?;
    Ok(http::ok(&serde_json::json!({ "idToken": id_token })))
}
