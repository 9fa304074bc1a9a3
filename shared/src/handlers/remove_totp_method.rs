//! `DELETE /auth/otp/methods/totp`: removes the TOTP secret, on a current code in `x-otp`.

use lambda_http::{Body, Request, Response};

use crate::app::App;
use crate::error::AuthError;
use crate::http::{self, Ctx, HandlerResult};
use crate::{id_token_check, profile};

pub async fn handle(app: &App, req: Request) -> HandlerResult {
    http::serve_surface2(req, "remove_totp_method", |ctx, req| run(app, ctx, req)).await
}

async fn run(app: &App, _ctx: Ctx, req: Request) -> Result<Response<Body>, AuthError> {
    let (_, user, lockout) = id_token_check::authenticate(app, &req).await?;
    let code = super::otp_header(&req)?;
    if user.mfa.totp.is_none() {
        return Err(AuthError::bad_request("SECRET_NOT_CONFIGURED", "No TOTP secret is configured."));
    }
    let removal = super::accept_totp(app, &user.email, &code, |u| {
        u.mfa.totp = None;
        Ok(())
    });
    let saved = crate::proof::noticed(app, &user, removal).await?;
    crate::proof::announce_change(app, &user, "the authenticator app (TOTP) was removed").await?;
    Ok(http::ok(&profile::profile(&saved, &lockout, app.now())))
}
