//! `POST /auth/otp/methods/sms`: sets the account's phone number (a mobile, checked and
//! normalised to E.164 for its country) and sends a code to validate it. Re-pointing the number
//! of an account that already has a factor or validated method needs a code of one in `x-otp`.

use crate::api::prelude::*;

use crate::app::codes::{self as challenge, Delivery};
use crate::model::{CodePurpose, Mobile};
use crate::phone::Rejection;
use crate::profile;

/// Parses a number as dialled in `country` (ISO 3166 alpha-2) into a mobile SMS may go to.
pub fn parse_phone(app: &App, phone: &str, country: &str) -> Result<Mobile, Rule> {
    if country.parse::<phonenumber::country::Id>().is_err() {
        return Err(Rule::CountryInvalid);
    }
    crate::phone::parse_mobile(phone, Some(country), &app.config.sms_countries).map_err(|why| match why {
        Rejection::Invalid => Rule::PhoneInvalid,
        Rejection::NotMobile => Rule::PhoneNotMobile,
        Rejection::CountryNotAllowed => Rule::CountryNotSupported,
    })
}

pub async fn handle(
    State(app): State<AppState>,
    ctx: Ctx,
    IdCaller { user, lockout, .. }: IdCaller,
    MaybeXOtp(x_otp): MaybeXOtp,
    Body(mut f): Body,
) -> Answer {
    let app: &App = &app;
    let phone = f.string("phone", 1, 32);
    let country = f.string("country", 2, 2);
    f.finish()?;
    let mobile = parse_phone(app, &phone.unwrap_or_default(), &country.unwrap_or_default().to_ascii_uppercase())?;
    if user.mfa.phone_verified_at.is_some() {
        return Err(DomainError::Refused(Rule::PhoneAlreadyValidated).into());
    }
    crate::app::proof::require_otp(app, x_otp.as_deref(), &user).await?;
    // Set without proof only while the account has no second factor: remembered, so that the
    // number can no longer be validated once it has one.
    let unproven = !user.has_second_factor();
    let to = mobile.e164();
    // The code goes out first: within the cooldown, or past a budget, nothing changes.
    let purpose = if unproven { CodePurpose::sms_method_first(&to) } else { CodePurpose::sms_method(&to) };
    let change = async {
        challenge::send_code(app, &ctx, &user.user_id, &purpose, Delivery::Sms { to_e164: &to }).await?;
        crate::app::accounts::update_user_with(app, &user.email, |u| {
            if u.mfa.phone_verified_at.is_some() {
                return Err(DomainError::Refused(Rule::PhoneAlreadyValidated));
            }
            // A factor that appeared since the proof was judged needs proof too.
            if unproven && u.has_second_factor() {
                return Err(DomainError::OtpRequired);
            }
            u.mobile = Some(mobile.clone());
            u.mfa.phone_unproven = unproven;
            Ok(())
        })
        .await
    };
    let saved = crate::app::proof::noticed(app, &user, change).await?;
    crate::app::proof::announce_change(app, &user, "the phone number was changed").await?;
    Ok(ok(&profile::profile(&saved, &lockout, app.now())))
}
