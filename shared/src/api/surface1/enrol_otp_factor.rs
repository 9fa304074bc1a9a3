//! `POST /authentication_factors/otp/{channel}`: starts enrolling the SMS factor by sending a
//! code to the mobile number on the account; `.../verify` completes it.

use crate::api::prelude::*;

use crate::app::codes::{self as challenge, Delivery};
use crate::model::{CodePurpose, Factor, FactorStatus, FactorType};

pub async fn handle(
    State(app): State<AppState>,
    ctx: Ctx,
    Caller(principal, _): Caller<Access>,
    OtpChannel(channel): OtpChannel,
) -> Answer {
    let app: &App = &app;
    let user = crate::app::accounts::load_user(app, &principal.session.email).await?;
    if user.has_active(channel) {
        return Err(DomainError::Refused(Rule::ChannelAlreadyRegistered).into());
    }
    crate::app::proof::require_step_up(&user, &principal)?;
    // A number set on surface 2 without proof is not the account's once it has a second factor.
    let mobile = user
        .mobile
        .clone()
        .filter(|_| user.may_complete(user.mfa.phone_unproven))
        .ok_or(DomainError::Refused(Rule::MobileNumberNotAvailable))?;
    // Pending first: a code that arrives always has a factor to complete.
    if user.factor(channel).is_none() {
        crate::app::accounts::update_user_with(app, &user.email, |u| {
            crate::app::proof::require_step_up(u, &principal)?;
            if u.factor(channel).is_none() {
                u.factors.push(Factor {
                    kind: FactorType::Otp,
                    channel,
                    status: FactorStatus::PendingVerification,
                    device: None,
                });
            }
            Ok(())
        })
        .await?;
    }
    challenge::send_code(
        app,
        &ctx,
        &user.user_id,
        &CodePurpose::sms_factor(&mobile.e164()),
        Delivery::Sms { to_e164: &mobile.e164() },
    )
    .await?;
    Ok(no_content())
}
