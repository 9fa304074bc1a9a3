//! What a handler answers when it fails: a [`DomainError`] from a use case, or a problem the
//! edge found in the request itself (a field, the JSON, the content type, the route). A failed
//! response carries the error in its extensions; the route ([`crate::api::routed`]) renders it
//! with its surface's `render` (`surface1::error::render`, `surface2::error::render`) in that
//! surface's wire shape, so the mapping lives in one place per surface.

use std::sync::Arc;

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::domain::error::{DomainError, Rule, chain};

/// The `error` values of the seeds' `syntaxErrors.invalidFields[]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FieldErrorKind {
    Required,
    HasText,
    Requires,
    Size,
    Range,
    In,
    NotIn,
    Regex,
    Exactly,
    AtLeast,
    AtMost,
    AllOrNone,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InvalidField {
    pub params: Vec<String>,
    pub field_name: String,
    pub error: FieldErrorKind,
}

impl InvalidField {
    pub fn new(field_name: impl Into<String>, error: FieldErrorKind) -> Self {
        Self { params: Vec::new(), field_name: field_name.into(), error }
    }
    pub fn with_params(mut self, params: impl IntoIterator<Item = String>) -> Self {
        self.params = params.into_iter().collect();
        self
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// Fields of the body that are missing or malformed, all of them at once.
    #[error("invalid fields")]
    Invalid(Vec<InvalidField>),
    /// A request that cannot be read at all (not JSON, too large, a malformed header).
    #[error("malformed request: {code}")]
    Malformed { code: &'static str, message: String },
    #[error("unsupported media type")]
    UnsupportedMediaType,
    #[error("no such route")]
    NoRoute,
    #[error("method not allowed")]
    MethodNotAllowed,
}

impl ApiError {
    pub fn malformed(code: &'static str, message: impl Into<String>) -> Self {
        ApiError::Malformed { code, message: message.into() }
    }

    pub fn field(field_name: &str, error: FieldErrorKind) -> Self {
        ApiError::Invalid(vec![InvalidField::new(field_name, error)])
    }
}

impl From<Rule> for ApiError {
    fn from(rule: Rule) -> Self {
        ApiError::Domain(DomainError::Refused(rule))
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(e: crate::store::StoreError) -> Self {
        ApiError::Domain(e.into())
    }
}

impl From<crate::crypto::RandomError> for ApiError {
    fn from(e: crate::crypto::RandomError) -> Self {
        ApiError::Domain(e.into())
    }
}

impl From<crate::keys::MissingKey> for ApiError {
    fn from(e: crate::keys::MissingKey) -> Self {
        ApiError::Domain(e.into())
    }
}

/// A failed response before its surface renders it: the status is a placeholder.
#[derive(Clone)]
pub struct Failed(pub Arc<ApiError>);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = StatusCode::INTERNAL_SERVER_ERROR.into_response();
        response.extensions_mut().insert(Failed(Arc::new(self)));
        response
    }
}

/// Renders a failed response with `render`, leaving any other response alone. Unexpected
/// errors are logged here, once, with their cause chain; the caller sees an opaque answer.
pub fn render_with(mut response: Response, render: fn(&ApiError) -> Response) -> Response {
    let Some(Failed(error)) = response.extensions_mut().remove::<Failed>() else { return response };
    match error.as_ref() {
        ApiError::Domain(DomainError::Unavailable { source, .. }) => {
            tracing::warn!(error = %chain(source.as_ref()), "dependency unavailable");
        }
        ApiError::Domain(DomainError::Internal(source)) => {
            tracing::error!(error = %chain(source.as_ref()), "unexpected error");
        }
        _ => {}
    }
    render(&error)
}

/// The body and headers both surfaces share: everything that is not a rule of either seed.
pub fn common(error: &ApiError) -> Response {
    let (status, code, message): (StatusCode, &str, &str) = match error {
        ApiError::Malformed { code, message } => (StatusCode::BAD_REQUEST, code, message),
        ApiError::UnsupportedMediaType => {
            (StatusCode::UNSUPPORTED_MEDIA_TYPE, "UNSUPPORTED_MEDIA_TYPE", "Send the body as application/json.")
        }
        ApiError::NoRoute | ApiError::Domain(DomainError::NotFound) => {
            (StatusCode::NOT_FOUND, "NOT_FOUND", "The requested resource couldn't be found.")
        }
        ApiError::MethodNotAllowed => (
            StatusCode::METHOD_NOT_ALLOWED,
            "METHOD_NOT_ALLOWED",
            "The request was received but has been rejected for the requested resource.",
        ),
        ApiError::Domain(DomainError::RateLimited { limit, retry_after }) => {
            let mut r = body(StatusCode::TOO_MANY_REQUESTS, "TOO_MANY_REQUESTS", "Too many requests.");
            let headers = r.headers_mut();
            headers.insert("retry-after", HeaderValue::from((*retry_after).max(1)));
            headers.insert("x-ratelimit-limit", HeaderValue::from(*limit));
            headers.insert("x-ratelimit-reset", HeaderValue::from((*retry_after).max(1)));
            return r;
        }
        ApiError::Domain(DomainError::Unavailable { retry_after, .. }) => {
            let mut r = body(
                StatusCode::SERVICE_UNAVAILABLE,
                "SERVICE_UNAVAILABLE",
                "We're temporarily unavailable. Please try again later.",
            );
            r.headers_mut().insert("retry-after", HeaderValue::from((*retry_after).max(1)));
            return r;
        }
        ApiError::Domain(DomainError::OtpRequired) => (
            StatusCode::FORBIDDEN,
            "OTP_REQUIRED",
            "This change needs a current code in x-otp from a method the account has already validated.",
        ),
        ApiError::Domain(DomainError::OtpRejected) => (
            StatusCode::FORBIDDEN,
            "OTP_INVALID",
            "The code in x-otp is wrong, expired or already used: ask for a new one.",
        ),
        ApiError::Domain(DomainError::Blocked) => (StatusCode::FORBIDDEN, "FORBIDDEN", "The account is blocked."),
        ApiError::Domain(DomainError::RefreshTokenReused) => (
            StatusCode::FORBIDDEN,
            "REFRESH_TOKEN_REUSED",
            "This refresh token was already used: every token of its login has been revoked. Log in again.",
        ),
        ApiError::Domain(DomainError::Denied(message)) => (StatusCode::FORBIDDEN, "FORBIDDEN", message),
        _ => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "INTERNAL_ERROR",
            "There is a problem with the server. Please try again later.",
        ),
    };
    body(status, code, message)
}

/// `{"code", "message"}` with `status`.
pub fn body(status: StatusCode, code: &str, message: &str) -> Response {
    (status, axum::Json(serde_json::json!({ "code": code, "message": message }))).into_response()
}

/// `Retry-After` on a response.
pub fn retry_after(mut response: Response, seconds: i64) -> Response {
    response.headers_mut().insert("retry-after", HeaderValue::from(seconds.max(1)));
    response
}

/// The seeds' names for the rules of an account's state; the same on both surfaces.
pub fn rule_code(rule: Rule) -> &'static str {
    match rule {
        Rule::EmailAlreadyRegistered => "EMAIL_ALREADY_REGISTERED",
        Rule::IdentityLimitReached => "IDENTITY_LIMIT_REACHED",
        Rule::TooManyAccessTokens => "TOO_MANY_ACCESS_TOKENS",
        Rule::ChannelNotSupported => "CHANNEL_NOT_SUPPORTED",
        Rule::ChannelNotRegistered => "CHANNEL_NOT_REGISTERED",
        Rule::ChannelAlreadyRegistered => "CHANNEL_ALREADY_REGISTERED",
        Rule::StateInvalid => "STATE_INVALID",
        Rule::MobileNumberNotSupported => "MOBILE_NUMBER_NOT_SUPPORTED",
        Rule::MobileNumberNotAvailable => "MOBILE_NUMBER_NOT_AVAILABLE",
        Rule::PasswordIncorrect => "PASSWORD_INCORRECT",
        Rule::PasswordAlreadyUsed => "PASSWORD_ALREADY_USED",
        Rule::PasswordTooShort => "PASSWORD_TOO_SHORT",
        Rule::PasswordTooLong => "PASSWORD_TOO_LONG",
        Rule::PasswordTooSimple => "PASSWORD_TOO_SIMPLE",
        Rule::NonceInvalid => "NONCE_INVALID",
        Rule::MethodNotConfigured => "METHOD_NOT_CONFIGURED",
        Rule::MethodAlreadyValidated => "ALREADY_VALIDATED",
        Rule::PhoneAlreadyValidated => "PHONE_ALREADY_VALIDATED",
        Rule::TotpSecretAlreadyValidated => "SECRET_ALREADY_VALIDATED",
        Rule::TotpSecretNotConfigured => "SECRET_NOT_CONFIGURED",
        Rule::PhoneInvalid | Rule::PhoneNotMobile => "INVALID_PHONE",
        Rule::CountryInvalid => "INVALID_COUNTRY",
        Rule::CountryNotSupported => "COUNTRY_NOT_SUPPORTED",
        Rule::PasskeyRejected => "PASSKEY_REJECTED",
    }
}
