//! `GET /auth/otp/code?method=SMS|EMAIL`: sends a fresh one-time code to the account's phone or
//! email address.

use lambda_http::{Body, Request, Response};

use crate::app::App;
use crate::challenge::{self, Delivery};
use crate::error::AuthError;
use crate::http::{self, Ctx, HandlerResult};
use crate::model::CodePurpose;
use crate::{id_token_check, otp, profile};

pub async fn handle(app: &App, req: Request) -> HandlerResult {
    http::serve_surface2(req, "send_otp_code", |ctx, req| run(app, ctx, req)).await
}

async fn run(app: &App, ctx: Ctx, req: Request) -> Result<Response<Body>, AuthError> {
    let (_, user, _) = id_token_check::authenticate(app, &req).await?;
    let method = http::query_param(&req, "method").unwrap_or_default();
    let not_configured =
        || AuthError::bad_request("METHOD_NOT_CONFIGURED", "That method is not configured for the user.");
    let (channel, validated) = match method.as_str() {
        "SMS" => ("SMS", user.mfa.phone_verified_at.is_some()),
        "EMAIL" => ("EMAIL", user.mfa.email_verified_at.is_some()),
        _ => return Err(AuthError::bad_request("INVALID_METHOD", "method must be SMS or EMAIL.")),
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
        crate::proof::require_otp(app, &req, &user).await?;
    }
    let purpose = match (channel, &phone) {
        ("SMS", Some(e164)) if first => CodePurpose::sms_method_first(e164),
        ("SMS", Some(e164)) => CodePurpose::sms_method(e164),
        _ if first => CodePurpose::email_method_first(),
        _ => CodePurpose::email_method(),
    };
    let valid_until = match challenge::send_code(app, &ctx, &user.user_id, &purpose, delivery).await {
        Ok(at) => at,
        Err(AuthError::Conflict("RETRY_IN_15SEC")) => {
            return Err(AuthError::TooManyRequests { limit: 1, retry_after: otp::RESEND_COOLDOWN_SECS });
        }
        Err(e) => return Err(e),
    };
    Ok(http::ok(&serde_json::json!({
        "validUntil": profile::iso8601(valid_until),
        "channel": channel,
        "validated": validated,
    })))
}
