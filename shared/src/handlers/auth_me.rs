//! `GET /auth/me`: the caller's profile.

use lambda_http::{Body, Request, Response};

use crate::app::App;
use crate::error::AuthError;
use crate::http::{self, Ctx, HandlerResult};
use crate::{id_token_check, profile};

pub async fn handle(app: &App, req: Request) -> HandlerResult {
    http::serve_surface2(req, "auth_me", |ctx, req| run(app, ctx, req)).await
}

async fn run(app: &App, _ctx: Ctx, req: Request) -> Result<Response<Body>, AuthError> {
    let (_, user, lockout) = id_token_check::authenticate(app, &req).await?;
    Ok(http::ok(&profile::profile(&user, &lockout, app.now())))
}
