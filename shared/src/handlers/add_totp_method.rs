//! `POST /auth/otp/methods/totp`: creates a TOTP secret, shown this once (base32, `otpauth://`
//! URI and QR code); stored sealed with AES-256-GCM under the data key. Validated by a first
//! code through `POST /auth/otp/code` with channel `TOTP`.

use lambda_http::{Body, Request, Response};

use crate::app::App;
use crate::crypto;
use crate::error::AuthError;
use crate::http::{self, Ctx, HandlerResult};
use crate::model::TotpSecret;
use crate::{id_token_check, profile, totp};

pub async fn handle(app: &App, req: Request) -> HandlerResult {
    http::serve_surface2(req, "add_totp_method", |ctx, req| run(app, ctx, req)).await
}

async fn run(app: &App, _ctx: Ctx, req: Request) -> Result<Response<Body>, AuthError> {
    let (_, user, lockout) = id_token_check::authenticate(app, &req).await?;
    // The body is optional ({} or nothing), but when present it must be JSON.
    http::json_object(&req, true)?;
    let already = || AuthError::bad_request("SECRET_ALREADY_VALIDATED", "A validated TOTP secret already exists.");
    if user.mfa.totp.as_ref().is_some_and(|t| t.verified_at.is_some()) {
        return Err(already());
    }
    crate::proof::require_otp(app, &req, &user).await?;
    let secret = crypto::random_bytes::<{ totp::SECRET_BYTES }>()?;
    let keys = app.keys();
    let data = &keys.data()?.current;
    let sealed = TotpSecret {
        kid: data.kid.clone(),
        sealed: crypto::seal(&data.data, user.user_id.as_bytes(), &secret)?,
        verified_at: None,
        last_step: None,
        unproven: !user.has_second_factor(),
    };
    let unproven = sealed.unproven;
    let saved = super::update_user_with(app, &user.email, |u| {
        if u.mfa.totp.as_ref().is_some_and(|t| t.verified_at.is_some()) {
            return Err(already());
        }
        // A factor that appeared since the proof was judged needs proof too.
        if unproven && u.has_second_factor() {
            return Err(crate::proof::OTP_REQUIRED);
        }
        u.mfa.totp = Some(sealed.clone());
        Ok(())
    })
    .await?;
    let p = totp::provisioning(&secret, &saved.email, &app.config.totp_issuer).map_err(AuthError::Internal)?;
    let mut body = profile::profile(&saved, &lockout, app.now());
    if let Some(map) = body.as_object_mut() {
        map.insert("totp".into(), serde_json::json!({ "secret": p.secret, "uri": p.uri, "qrCode": p.qr_code }));
    }
    Ok(http::ok(&body))
}
