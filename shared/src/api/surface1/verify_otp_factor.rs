//! `POST /authentication_factors/otp/{channel}/verify`: completes SMS enrolment with the code.

use crate::api::prelude::*;

use crate::app::codes as challenge;
use crate::model::{CodePurpose, FactorStatus};

pub async fn handle(
    State(app): State<AppState>,
    Caller(principal, _): Caller<Access>,
    OtpChannel(channel): OtpChannel,
    Body(mut f): Body,
) -> Answer {
    let app: &App = &app;
    let code = f.string("verificationCode", 1, 32);
    f.finish()?;
    let code = code.unwrap_or_default();
    let user = crate::app::accounts::load_user(app, &principal.session.email).await?;
    if user.has_active(channel) {
        return Err(DomainError::Refused(Rule::ChannelAlreadyRegistered).into());
    }
    if user.factor(channel).is_none() {
        return Err(DomainError::Refused(Rule::StateInvalid).into());
    }
    crate::app::proof::require_step_up(&user, &principal)?;
    let now = app.now();
    // The code proves the number it was sent to, which must still be the account's.
    let mobile = user.mobile.clone().ok_or(DomainError::Refused(Rule::StateInvalid))?;
    let purpose = CodePurpose::sms_factor(&mobile.e164());
    let outcome = challenge::check_code(app, &user.user_id, &user.email, &purpose, &code).await?;
    if outcome != crate::model::CodeCheck::Accepted {
        return Err(DomainError::CodeRejected(outcome).into());
    }
    let (before, _) = crate::app::proof::noticed(
        app,
        &user,
        crate::app::proof::change_factors(app, &principal, |u| {
            if u.mobile.as_ref() != Some(&mobile) {
                return Err(DomainError::Refused(Rule::StateInvalid));
            }
            if let Some(f) = u.factor_mut(channel) {
                f.status = FactorStatus::Active;
            }
            // The code reached the account's phone: that validates the number for surface 2 too.
            u.mfa.phone_verified_at.get_or_insert(now);
            u.mfa.phone_unproven = false;
            Ok(())
        }),
    )
    .await?;
    crate::app::proof::announce_change(app, &before, "an SMS factor was enrolled").await?;
    Ok(no_content())
}
