//! `POST /users`: creates an account with its first identity.

use secrecy::ExposeSecret;

use crate::api::prelude::*;
use crate::app::accounts::NewAccount;

use crate::model::IdentityType;
use crate::password::{self, PolicyViolation};
use crate::phone::Rejection;

pub async fn handle(State(app): State<AppState>, ctx: Ctx, body: Result<Body, ApiError>) -> Answer {
    let app: &App = &app;
    // The budget is charged before the body is read: a malformed request costs the same.
    crate::app::limits::per_ip(app, &ctx, "register").await?;
    let Body(mut f) = body?;
    let email = crate::api::fields::email_field(&mut f, "email");
    let pw = f.secret("password.value", 1, 1024);
    let name = f.string("name", 1, 100);
    let identity_type =
        if f.present("identityType") { f.one_of("identityType", &IdentityType::NAMES) } else { Some("CONSUMER") };
    let mobile = if f.present("mobile") {
        let cc = f.string("mobile.countryCode", 2, 4);
        let number = f.string("mobile.number", 4, 14);
        if cc.as_deref().is_some_and(|c| !c.starts_with('+') || !c[1..].bytes().all(|b| b.is_ascii_digit())) {
            f.error("mobile.countryCode", FieldErrorKind::Regex, &["^\\+[0-9]{1,3}$"]);
        }
        if number.as_deref().is_some_and(|n| !n.bytes().all(|b| b.is_ascii_digit())) {
            f.error("mobile.number", FieldErrorKind::Regex, &["^[0-9]{4,14}$"]);
        }
        match cc.zip(number) {
            Some((cc, number)) if !f.has_error("mobile.countryCode") && !f.has_error("mobile.number") => {
                let allowed = &app.config.sms_countries;
                match crate::phone::parse_mobile(&format!("{cc}{number}"), None, allowed) {
                    Ok(mobile) => Some(mobile),
                    Err(Rejection::CountryNotAllowed) => {
                        f.error(
                            "mobile.countryCode",
                            FieldErrorKind::In,
                            &allowed.iter().map(String::as_str).collect::<Vec<_>>(),
                        );
                        None
                    }
                    // Premium-rate, toll-free, VoIP and numbers no plan has: never a destination.
                    Err(Rejection::Invalid | Rejection::NotMobile) => {
                        f.error("mobile.number", FieldErrorKind::Regex, &["a mobile number of that country"]);
                        None
                    }
                }
            }
            _ => None,
        }
    } else {
        None
    };
    if let (Some(pw), Some(email)) = (&pw, &email) {
        let context = [email.as_str(), name.as_deref().unwrap_or("")];
        match password::check_policy(pw.expose_secret(), &context) {
            Ok(()) => {}
            Err(v @ (PolicyViolation::TooShort | PolicyViolation::TooLong)) => f.error(
                "password.value",
                FieldErrorKind::Size,
                &[&password::MIN_LENGTH.to_string(), &password::MAX_LENGTH.to_string(), v.error_code()],
            ),
            Err(v @ PolicyViolation::TooSimple) => f.error("password.value", FieldErrorKind::NotIn, &[v.error_code()]),
        }
    }
    f.finish()?;
    let (Some(email), Some(pw), Some(name), Some(kind)) =
        (email, pw, name, identity_type.and_then(IdentityType::parse))
    else {
        return Err(ApiError::field("body", FieldErrorKind::Required));
    };

    let account = NewAccount { email, password: pw, name, kind, mobile };
    let (user, identity) = crate::app::accounts::register(app, account, app.now()).await?;
    Ok(json(StatusCode::CREATED, &serde_json::json!({ "userId": user.user_id, "identity": identity })))
}
