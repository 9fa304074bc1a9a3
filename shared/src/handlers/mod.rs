//! One module per endpoint, each with `pub async fn handle(&App, Request) -> HandlerResult`.
//! The Lambda binary of an endpoint, the local server and the tests all call that function.

pub mod list_identities;
pub mod login_with_password;
pub mod logout;
pub mod register;

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
