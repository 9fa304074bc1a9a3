//! One module per endpoint, each with `pub async fn handle(&App, Request) -> HandlerResult`.
//! The Lambda binary of an endpoint, the local server and the tests all call that function.

pub mod access_token;
pub mod add_sms_method;
pub mod add_totp_method;
pub mod auth_login;
pub mod auth_logout;
pub mod auth_me;
pub mod auth_refresh;
pub mod create_identity;
pub mod enrol_otp_factor;
pub mod enrol_push_factor;
pub mod jwks;
pub mod list_factors;
pub mod list_identities;
pub mod login_with_password;
pub mod logout;
pub mod register;
pub mod remove_push_factor;
pub mod remove_totp_method;
pub mod send_otp_code;
pub mod stepup_otp;
pub mod stepup_otp_verify;
pub mod stepup_push;
pub mod stepup_push_answer;
pub mod stepup_push_status;
pub mod update_password;
pub mod verify_otp_code;
pub mod verify_otp_factor;

use crate::error::FieldErrorKind;
use crate::http::Fields;

/// A syntactically plausible address: one `@`, text either side, a dot in the domain, no spaces.
/// Deliverability is proven by sending to it, not by a regex.
pub(crate) fn email_field(fields: &mut Fields, path: &str) -> Option<String> {
    let email = fields.string(path, 3, 254)?;
    let valid = match email.trim().split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && local.len() <= 64
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains('@')
                && !email.trim().chars().any(|c| c.is_whitespace() || c.is_control())
        }
        None => false,
    };
    if !valid {
        fields.error(path, FieldErrorKind::Regex, &["email"]);
        return None;
    }
    Some(crate::model::normalize_email(&email))
}

/// The account behind an authenticated session; a blocked account is refused here, for every
/// operation that reads or changes it.
pub(crate) async fn load_user(app: &crate::App, email: &str) -> Result<crate::model::User, crate::AuthError> {
    let user =
        app.store.get_user(email).await?.ok_or(crate::AuthError::Unauthorized("The account no longer exists."))?;
    refuse_blocked(&user)?;
    Ok(user)
}

/// 403 for a blocked account, wherever its session, grant or refresh token is used.
pub(crate) fn refuse_blocked(user: &crate::model::User) -> Result<(), crate::AuthError> {
    if user.blocked {
        return Err(crate::AuthError::Forbidden("The account is blocked."));
    }
    Ok(())
}

/// Read, change, write with the version check, retrying when another writer got in between.
/// `change` sees the freshest record each time and may refuse with an error.
pub(crate) async fn update_user_with<F>(
    app: &crate::App,
    email: &str,
    mut change: F,
) -> Result<crate::model::User, crate::AuthError>
where
    F: FnMut(&mut crate::model::User) -> Result<(), crate::AuthError>,
{
    for _ in 0..5 {
        let mut user = load_user(app, email).await?;
        change(&mut user)?;
        match app.store.update_user(&user).await {
            Ok(saved) => return Ok(saved),
            Err(crate::store::StoreError::Conflict) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(crate::AuthError::Unavailable { retry_after: 1, source: "the account kept changing".into() })
}

/// The `{channel}` path parameter as a channel of `kind`, or 409 `CHANNEL_NOT_SUPPORTED`.
pub(crate) fn channel_param(
    req: &lambda_http::Request,
    kind: crate::model::FactorType,
) -> Result<crate::model::FactorChannel, crate::AuthError> {
    crate::http::path_param(req, "channel")
        .and_then(|c| crate::model::FactorChannel::parse(kind, &c))
        .ok_or(crate::AuthError::Conflict("CHANNEL_NOT_SUPPORTED"))
}

/// A refresh token is `<userId>.<256 random bits>`; the store keeps its SHA-256 under the user.
pub(crate) fn refresh_token_parts(token: &str) -> Option<(&str, String)> {
    let (user_id, secret) = token.split_once('.')?;
    let valid = !user_id.is_empty() && user_id.bytes().all(|b| b.is_ascii_digit()) && secret.len() == 43;
    valid.then(|| (user_id, crate::crypto::sha256_b64url(token.as_bytes())))
}

/// Accepts a TOTP code for the account and records its step, so the same code (or an older
/// one) never works again, even when two requests carry it at once: the step is saved with the
/// account's version check. `then` applies the change the code authorises to the freshest
/// record, and may refuse it (the code is then not spent). Refused while the
/// account is locked; within the TOTP budget, one lockout attempt is reserved before the code
/// is compared, cleared again when it is right.
pub(crate) async fn accept_totp<F>(
    app: &crate::App,
    email: &str,
    code: &str,
    mut then: F,
) -> Result<crate::model::User, crate::AuthError>
where
    F: FnMut(&mut crate::model::User) -> Result<(), crate::AuthError>,
{
    use crate::AuthError;
    let now = app.now();
    let (user, stored) = app.store.load_login(email, now).await?;
    crate::attempts::refuse_if_locked(app, &stored)?;
    let user = user.ok_or(AuthError::Unauthorized("The account no longer exists."))?;
    crate::limits::totp_budget(app, &user.user_id).await?;
    let reserved = crate::attempts::reserve(app, email, stored).await?;
    let keys = app.keys();
    let result = update_user_with(app, email, |u| {
        let user_id = u.user_id.clone();
        let t = u
            .mfa
            .totp
            .as_mut()
            .ok_or(AuthError::bad_request("SECRET_NOT_CONFIGURED", "No TOTP secret is configured."))?;
        let key =
            keys.data()?.by_kid(&t.kid).ok_or_else(|| AuthError::internal("TOTP secret sealed under a retired key"))?;
        let secret = crate::crypto::open(&key.data, user_id.as_bytes(), &t.sealed)
            .ok_or_else(|| AuthError::internal("TOTP secret does not open"))?;
        #[cfg(feature = "test-util")]
        crate::testing::tally(&format!("totp:{user_id}"));
        let step = crate::totp::check(&secret, code, now, t.last_step)
            .ok_or(AuthError::bad_request("INVALID_CODE", "The code is wrong or was already used."))?;
        t.last_step = Some(step);
        then(u)
    })
    .await;
    match result {
        Ok(saved) => {
            crate::attempts::succeeded(app, email).await?;
            Ok(saved)
        }
        Err(wrong @ AuthError::BadRequest { code: "INVALID_CODE", .. }) => {
            Err(crate::attempts::failed(app, &reserved, wrong))
        }
        Err(e) => Err(e),
    }
}

/// The `x-otp` header: six digits, nothing else.
pub(crate) fn otp_header(req: &lambda_http::Request) -> Result<String, crate::AuthError> {
    crate::http::header_str(req.headers(), "x-otp")
        .and_then(crate::otp::normalize)
        .ok_or(crate::AuthError::bad_request("INVALID_OTP_HEADER", "The x-otp header must hold a 6-digit code."))
}
