//! `DELETE /auth/otp/methods/totp`: removes the TOTP secret, on a current code in `x-otp`.

use crate::api::prelude::*;

use crate::profile;

pub async fn handle(State(app): State<AppState>, IdCaller { user, lockout, .. }: IdCaller, XOtp(code): XOtp) -> Answer {
    let app: &App = &app;
    if user.mfa.totp.is_none() {
        return Err(DomainError::Refused(Rule::TotpSecretNotConfigured).into());
    }
    let removal = crate::app::totp_check::accept_totp(app, &user.email, &code, |u| {
        u.mfa.totp = None;
        Ok(())
    });
    let saved = crate::app::proof::noticed(app, &user, removal).await?;
    crate::app::proof::announce_change(app, &user, "the authenticator app (TOTP) was removed").await?;
    Ok(ok(&profile::profile(&saved, &lockout, app.now())))
}
