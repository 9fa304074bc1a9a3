//! `GET /auth/otp/code?method=SMS|EMAIL`: sends a fresh one-time code to the account's phone or
//! email address.

use axum::extract::RawQuery;

use crate::api::extract::query_param;
use crate::api::prelude::*;

use crate::app::codes::{self as challenge, Delivery};
use crate::model::CodePurpose;
use crate::profile;

pub async fn handle(
    State(app): State<AppState>,
    ctx: Ctx,
    IdCaller { user, .. }: IdCaller,
    MaybeXOtp(x_otp): MaybeXOtp,
    RawQuery(query): RawQuery,
) -> Answer {
    let app: &App = &app;
    let method = query_param(query.as_deref(), "method").unwrap_or_default();
    let not_configured = || DomainError::Refused(Rule::MethodNotConfigured);
    let (channel, validated) = match method.as_str() {
        "SMS" => ("SMS", user.mfa.phone_verified_at.is_some()),
        "EMAIL" => ("EMAIL", user.mfa.email_verified_at.is_some()),
        _ => return Err(ApiError::malformed("INVALID_METHOD", "method must be SMS or EMAIL.")),
    };
    let phone = user.mobile.as_ref().map(|m| m.e164());
    let delivery = match channel {
        "SMS" => Delivery::Sms { to_e164: phone.as_deref().ok_or_else(not_configured)? },
        _ => Delivery::Email { to: &user.email },
    };
    // Validating a phone or the e-mail is adding a method: once the account has a second
    // factor, the code that will validate it goes out only on proof of that factor in x-otp;
    // one sent before it had one is of another purpose, void since.
    let first = !validated && !user.has_second_factor();
    if !validated && !first {
        crate::app::proof::require_otp(app, x_otp.as_deref(), &user).await?;
    }
    let purpose = match (channel, &phone) {
        ("SMS", Some(e164)) if first => CodePurpose::sms_method_first(e164),
        ("SMS", Some(e164)) => CodePurpose::sms_method(e164),
        _ if first => CodePurpose::email_method_first(),
        _ => CodePurpose::email_method(),
    };
    let valid_until = challenge::send_code(app, &ctx, &user.user_id, &purpose, delivery).await?;
    Ok(ok(&serde_json::json!({
        "validUntil": profile::iso8601(valid_until),
        "channel": channel,
        "validated": validated,
    })))
}
