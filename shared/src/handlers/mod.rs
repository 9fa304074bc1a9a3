//! One module per endpoint, each with `pub async fn handle(&App, Request) -> HandlerResult`.
//! The Lambda binary of an endpoint, the local server and the tests all call that function.

pub mod access_token;
pub mod create_identity;
pub mod enrol_otp_factor;
pub mod enrol_push_factor;
pub mod list_factors;
pub mod list_identities;
pub mod login_with_password;
pub mod logout;
pub mod register;
pub mod remove_push_factor;
pub mod stepup_otp;
pub mod stepup_otp_verify;
pub mod stepup_push;
pub mod stepup_push_answer;
pub mod stepup_push_status;
pub mod update_password;
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

/// The account behind an authenticated session.
pub(crate) async fn load_user(app: &crate::App, email: &str) -> Result<crate::model::User, crate::AuthError> {
    app.store.get_user(email).await?.ok_or(crate::AuthError::Unauthorized("The account no longer exists."))
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
