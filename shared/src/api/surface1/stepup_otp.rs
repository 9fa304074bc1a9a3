//! `POST /stepup/challenges/otp/{channel}`: sends a step-up code by SMS to the enrolled number.

use crate::api::prelude::*;

use crate::app::codes::{self as challenge, Delivery};
use crate::model::CodePurpose;

pub async fn handle(
    State(app): State<AppState>,
    ctx: Ctx,
    Caller(principal, _): Caller<Access>,
    OtpChannel(channel): OtpChannel,
) -> Answer {
    let app: &App = &app;
    let user = crate::app::accounts::load_user(app, &principal.session.email).await?;
    let mobile = match (&user.mobile, user.has_active(channel)) {
        (Some(m), true) => m.e164(),
        _ => return Err(DomainError::Refused(Rule::ChannelNotRegistered).into()),
    };
    let purpose = CodePurpose::StepUp { session_id: principal.session.session_id.clone() };
    challenge::send_code(app, &ctx, &user.user_id, &purpose, Delivery::Sms { to_e164: &mobile }).await?;
    Ok(no_content())
}
