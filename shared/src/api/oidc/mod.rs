//! The OpenID Connect provider's edge, a third surface beside the two APIs: discovery, the
//! authorization endpoint and its hosted sign-in page, the token endpoint, userinfo,
//! revocation, introspection. Its failures are OAuth 2.0's ([`error`]); its bodies are forms
//! (`application/x-www-form-urlencoded`) as OAuth 2.0 sends them.

use axum::body::Bytes;
use axum::http::{HeaderMap, header};

use crate::app::oidc::authorize::parameters;
use crate::domain::oidc::{OAuthCode, OAuthError, refuse};

pub mod admin;
pub mod authorize;
pub mod discovery;
pub mod error;
pub mod logout;
pub mod page;
pub mod token;
pub mod userinfo;

/// The largest form read.
const MAX_FORM_BYTES: usize = 16 * 1024;

/// A form body's fields, each at most once.
pub fn form(headers: &HeaderMap, body: &Bytes) -> Result<Vec<(String, String)>, OAuthError> {
    let form_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| {
        v.split(';').next().is_some_and(|t| t.trim().eq_ignore_ascii_case("application/x-www-form-urlencoded"))
    });
    if !form_type {
        return Err(refuse(OAuthCode::InvalidRequest, "Send the body as application/x-www-form-urlencoded."));
    }
    if body.len() > MAX_FORM_BYTES {
        return Err(refuse(OAuthCode::InvalidRequest, "The body is too large."));
    }
    let text = std::str::from_utf8(body).map_err(|_| refuse(OAuthCode::InvalidRequest, "The body is not UTF-8."))?;
    parameters(text)
}

pub fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// A cookie's value from the request.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}
