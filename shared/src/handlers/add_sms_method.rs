//! `POST /auth/otp/methods/sms`: sets the account's phone number (checked and normalised to
//! E.164 for its country) and sends a code to validate it.

use lambda_http::{Body, Request, Response};

use crate::app::App;
use crate::challenge::{self, Delivery};
use crate::error::AuthError;
use crate::http::{self, Ctx, Fields, HandlerResult};
use crate::model::{CodePurpose, Mobile};
use crate::{id_auth, limits, profile};

pub async fn handle(app: &App, req: Request) -> HandlerResult {
    http::serve_surface2(req, "add_sms_method", |ctx, req| run(app, ctx, req)).await
}

/// Parses a number as dialled in `country` (ISO 3166 alpha-2) into a valid [`Mobile`].
pub fn parse_phone(phone: &str, country: &str) -> Result<Mobile, AuthError> {
    let id: phonenumber::country::Id = country
        .parse()
        .map_err(|_| AuthError::bad_request("INVALID_COUNTRY", "country must be an ISO 3166 alpha-2 code."))?;
    let invalid = || AuthError::bad_request("INVALID_PHONE", "The phone number is not valid for that country.");
    let number = phonenumber::parse(Some(id), phone).map_err(|_| invalid())?;
    if !phonenumber::is_valid(&number) {
        return Err(invalid());
    }
    let e164 = number.format().mode(phonenumber::Mode::E164).to_string();
    let country_code = format!("+{}", number.code().value());
    let national = e164.strip_prefix(&country_code).ok_or_else(invalid)?.to_owned();
    Ok(Mobile { country_code, number: national })
}

async fn run(app: &App, _ctx: Ctx, req: Request) -> Result<Response<Body>, AuthError> {
    let (_, user, lockout) = id_auth::authenticate(app, &req).await?;
    let mut f = Fields::from_request(&req)?;
    let phone = f.string("phone", 1, 32);
    let country = f.string("country", 2, 2);
    f.finish()?;
    let mobile = parse_phone(&phone.unwrap_or_default(), &country.unwrap_or_default().to_ascii_uppercase())?;
    if user.mfa.phone_verified_at.is_some() {
        return Err(AuthError::bad_request("PHONE_ALREADY_VALIDATED", "The account already has a validated phone."));
    }
    limits::per_account(app, &user.user_id, "send-code").await?;
    let to = mobile.e164();
    let saved = super::update_user_with(app, &user.email, |u| {
        if u.mfa.phone_verified_at.is_some() {
            return Err(AuthError::bad_request(
                "PHONE_ALREADY_VALIDATED",
                "The account already has a validated phone.",
            ));
        }
        u.mobile = Some(mobile.clone());
        Ok(())
    })
    .await?;
    match challenge::send_code(
        app,
        &user.user_id,
        &CodePurpose::Method { channel: "SMS" },
        Delivery::Sms { to_e164: &to },
    )
    .await
    {
        Ok(_) => {}
        Err(AuthError::Conflict(_)) => {
            return Err(AuthError::TooManyRequests { limit: 1, retry_after: crate::otp::RESEND_COOLDOWN_SECS });
        }
        Err(e) => return Err(e),
    }
    Ok(http::ok(&profile::profile(&saved, &lockout, app.now())))
}
