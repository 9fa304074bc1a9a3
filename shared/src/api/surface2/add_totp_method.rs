//! `POST /auth/otp/methods/totp`: creates a TOTP secret, shown this once (base32, `otpauth://`
//! URI and QR code); stored sealed with AES-256-GCM under the data key. Validated by a first
//! code through `POST /auth/otp/code` with channel `TOTP`.

use crate::api::prelude::*;

use crate::crypto;
use crate::model::TotpSecret;
use crate::{profile, totp};

/// The body is optional (`{}` or nothing), but when present it must be JSON.
pub async fn handle(
    State(app): State<AppState>,
    IdCaller { user, lockout, .. }: IdCaller,
    MaybeXOtp(x_otp): MaybeXOtp,
    _: OptionalBody,
) -> Answer {
    let app: &App = &app;
    let already = || DomainError::Refused(Rule::TotpSecretAlreadyValidated);
    if user.mfa.totp.as_ref().is_some_and(|t| t.verified_at.is_some()) {
        return Err(already().into());
    }
    crate::app::proof::require_otp(app, x_otp.as_deref(), &user).await?;
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
    let saved = crate::app::accounts::update_user_with(app, &user.email, |u| {
        if u.mfa.totp.as_ref().is_some_and(|t| t.verified_at.is_some()) {
            return Err(already());
        }
        // A factor that appeared since the proof was judged needs proof too.
        if unproven && u.has_second_factor() {
            return Err(DomainError::OtpRequired);
        }
        u.mfa.totp = Some(sealed.clone());
        Ok(())
    })
    .await?;
    let p = totp::provisioning(&secret, &saved.email, &app.config.totp_issuer).map_err(DomainError::Internal)?;
    let mut body = profile::profile(&saved, &lockout, app.now());
    if let Some(map) = body.as_object_mut() {
        map.insert("totp".into(), serde_json::json!({ "secret": p.secret, "uri": p.uri, "qrCode": p.qr_code }));
    }
    Ok(ok(&body))
}
