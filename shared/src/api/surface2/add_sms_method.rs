//! `POST /auth/otp/methods/sms`: sets the account's phone number (a mobile, checked and
//! normalised to E.164 for its country) and sends a code to validate it. Re-pointing the number
//! of an account that already has a factor or validated method needs a code of one in `x-otp`.

use crate::api::prelude::*;

use crate::model::Mobile;
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
    IdCaller { user, lockout, spender, .. }: IdCaller,
    MaybeXOtp(x_otp): MaybeXOtp,
    Body(mut f): Body,
) -> Answer {
    let app: &App = &app;
    let ctx = ctx.spending_as(spender);
    let phone = f.string("phone", 1, 32);
    let country = f.string("country", 2, 2);
    f.finish()?;
    let mobile = parse_phone(app, &phone.unwrap_or_default(), &country.unwrap_or_default().to_ascii_uppercase())?;
    let saved = crate::app::methods::set_phone(app, &ctx, &user, mobile, x_otp.as_deref()).await?;
    Ok(ok(&profile::profile(&saved, &lockout, app.now())))
}
