//! `POST /auth/otp/methods/sms`: sets the account's phone number (a mobile, checked and
//! normalised to E.164 for its country) and sends a code to validate it. Re-pointing the number
//! of an account that already has a factor or validated method needs a code of one in `x-otp`.

use lambda_http::{Body, Request, Response};

use crate::app::App;
use crate::challenge::{self, Delivery};
use crate::error::AuthError;
use crate::http::{self, Ctx, Fields, HandlerResult};
use crate::model::{CodePurpose, Mobile};
use crate::phone::Rejection;
use crate::{id_token_check, profile};

pub async fn handle(app: &App, req: Request) -> HandlerResult {
    http::serve_surface2(req, "add_sms_method", |ctx, req| run(app, ctx, req)).await
}

/// Parses a number as dialled in `country` (ISO 3166 alpha-2) into a mobile SMS may go to.
pub fn parse_phone(app: &App, phone: &str, country: &str) -> Result<Mobile, AuthError> {
    if country.parse::<phonenumber::country::Id>().is_err() {
        return Err(AuthError::bad_request("INVALID_COUNTRY", "country must be an ISO 3166 alpha-2 code."));
    }
    crate::phone::parse_mobile(phone, Some(country), &app.config.sms_countries).map_err(|why| match why {
        Rejection::Invalid => {
            AuthError::bad_request("INVALID_PHONE", "The phone number is not valid for that country.")
        }
        Rejection::NotMobile => AuthError::bad_request("INVALID_PHONE", "The phone number must be a mobile number."),
        Rejection::CountryNotAllowed => {
            AuthError::bad_request("COUNTRY_NOT_SUPPORTED", "Text messages cannot be sent to that country.")
        }
    })
}

async fn run(app: &App, ctx: Ctx, req: Request) -> Result<Response<Body>, AuthError> {
    let (_, user, lockout) = id_token_check::authenticate(app, &req).await?;
    let mut f = Fields::from_request(&req)?;
    let phone = f.string("phone", 1, 32);
    let country = f.string("country", 2, 2);
    f.finish()?;
    let mobile = parse_phone(app, &phone.unwrap_or_default(), &country.unwrap_or_default().to_ascii_uppercase())?;
    if user.mfa.phone_verified_at.is_some() {
        return Err(AuthError::bad_request("PHONE_ALREADY_VALIDATED", "The account already has a validated phone."));
    }
    crate::proof::require_otp(app, &req, &user).await?;
    // Set without proof only while the account has no second factor: remembered, so that the
    // number can no longer be validated once it has one.
    let unproven = !user.has_second_factor();
    let to = mobile.e164();
    // The code goes out first: within the cooldown, or past a budget, nothing changes.
    let purpose = if unproven { CodePurpose::sms_method_first(&to) } else { CodePurpose::sms_method(&to) };
    let change = async {
        match challenge::send_code(app, &ctx, &user.user_id, &purpose, Delivery::Sms { to_e164: &to }).await {
            Ok(_) => {}
            Err(AuthError::Conflict("RETRY_IN_15SEC")) => {
                return Err(AuthError::TooManyRequests { limit: 1, retry_after: crate::otp::RESEND_COOLDOWN_SECS });
            }
            Err(e) => return Err(e),
        }
        super::update_user_with(app, &user.email, |u| {
            if u.mfa.phone_verified_at.is_some() {
                return Err(AuthError::bad_request(
                    "PHONE_ALREADY_VALIDATED",
                    "The account already has a validated phone.",
                ));
            }
            // A factor that appeared since the proof was judged needs proof too.
            if unproven && u.has_second_factor() {
                return Err(crate::proof::OTP_REQUIRED);
            }
            u.mobile = Some(mobile.clone());
            u.mfa.phone_unproven = unproven;
            Ok(())
        })
        .await
    };
    let saved = crate::proof::noticed(app, &user, change).await?;
    crate::proof::announce_change(app, &user, "the phone number was changed").await?;
    Ok(http::ok(&profile::profile(&saved, &lockout, app.now())))
}
