//! `POST /auth/otp/methods/totp`: creates a TOTP secret, shown this once (base32, `otpauth://`
//! URI and QR code); stored sealed with AES-256-GCM under the data key. Validated by a first
//! code through `POST /auth/otp/code` with channel `TOTP`.

use crate::api::prelude::*;

use crate::{profile, totp};

/// The body is optional (`{}` or nothing), but when present it must be JSON.
pub async fn handle(
    State(app): State<AppState>,
    ctx: Ctx,
    IdCaller { user, lockout, spender, .. }: IdCaller,
    MaybeXOtp(x_otp): MaybeXOtp,
    _: OptionalBody,
) -> Answer {
    let app: &App = &app;
    let ctx = ctx.spending_as(spender);
    let (saved, secret) = crate::app::methods::add_totp(app, &ctx, &user, x_otp.as_deref()).await?;
    let p = totp::provisioning(&secret, &saved.email, &app.config.totp_issuer).map_err(DomainError::Internal)?;
    let mut body = profile::profile(&saved, &lockout, app.now());
    if let Some(map) = body.as_object_mut() {
        map.insert("totp".into(), serde_json::json!({ "secret": p.secret, "uri": p.uri, "qrCode": p.qr_code }));
    }
    Ok(ok(&body))
}
