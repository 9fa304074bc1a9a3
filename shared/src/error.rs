//! One error type for every handler, and the one place that turns it into an HTTP response.
//! Client mistakes become 4xx with the seeds' bodies; anything unexpected is logged with its
//! cause chain and answered with an opaque 500, so internals never leak to a caller.

use lambda_http::http::{HeaderValue, StatusCode};
use lambda_http::{Body, Response};
use serde::Serialize;

pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

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
pub enum AuthError {
    /// 400 in the shape of surface 1: `{"message", "syntaxErrors": {"invalidFields": [...]}}`.
    #[error("invalid request: {message}")]
    Invalid { message: String, fields: Vec<InvalidField> },
    /// 400 as `{"code", "message"}` (surface 2, and bodies that are not JSON at all).
    #[error("bad request: {code}")]
    BadRequest { code: &'static str, message: String },
    #[error("unsupported media type")]
    UnsupportedMediaType,
    #[error("unauthorized: {0}")]
    Unauthorized(&'static str),
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    /// 403 with a code of its own, as `{"code", "message"}` (surface 2's `OTP_REQUIRED`).
    #[error("forbidden: {code}")]
    Refused { code: &'static str, message: &'static str },
    #[error("not found")]
    NotFound,
    #[error("method not allowed")]
    MethodNotAllowed,
    /// 409 `{"errorCode"}`.
    #[error("conflict: {0}")]
    Conflict(&'static str),
    #[error("account locked")]
    Locked { retry_after: i64 },
    /// 423 in surface 2's shape: `{"code": "ACCOUNT_LOCKED", "message"}`.
    #[error("account locked")]
    AccountLocked { retry_after: i64 },
    #[error("too many requests")]
    TooManyRequests { limit: u32, retry_after: i64 },
    /// A dependency (DynamoDB, SNS, Secrets Manager) is throttling or unreachable.
    #[error("service unavailable")]
    Unavailable {
        retry_after: i64,
        #[source]
        source: BoxError,
    },
    #[error("internal error")]
    Internal(#[source] BoxError),
}

impl AuthError {
    pub fn invalid(fields: Vec<InvalidField>) -> Self {
        AuthError::Invalid { message: "Your request is invalid.".into(), fields }
    }

    pub fn field(field_name: &str, error: FieldErrorKind) -> Self {
        Self::invalid(vec![InvalidField::new(field_name, error)])
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        AuthError::BadRequest { code, message: message.into() }
    }

    pub fn internal(e: impl Into<BoxError>) -> Self {
        AuthError::Internal(e.into())
    }

    pub fn status(&self) -> StatusCode {
        match self {
            AuthError::Invalid { .. } | AuthError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            AuthError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AuthError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            AuthError::Forbidden(_) | AuthError::Refused { .. } => StatusCode::FORBIDDEN,
            AuthError::NotFound => StatusCode::NOT_FOUND,
            AuthError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            AuthError::Conflict(_) => StatusCode::CONFLICT,
            AuthError::Locked { .. } | AuthError::AccountLocked { .. } => StatusCode::LOCKED,
            AuthError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            AuthError::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            AuthError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn into_response(self) -> Response<Body> {
        let status = self.status();
        let body = match &self {
            AuthError::Invalid { message, fields } => serde_json::json!({
                "message": message,
                "syntaxErrors": { "invalidFields": fields },
            }),
            AuthError::BadRequest { code, message } => {
                serde_json::json!({ "code": code, "message": message })
            }
            AuthError::UnsupportedMediaType => serde_json::json!({
                "code": "UNSUPPORTED_MEDIA_TYPE",
                "message": "Send the body as application/json.",
            }),
            AuthError::Unauthorized(message) => {
                serde_json::json!({ "code": "UNAUTHORIZED", "message": message })
            }
            AuthError::Forbidden(message) => {
                serde_json::json!({ "code": "FORBIDDEN", "message": message })
            }
            AuthError::Refused { code, message } => serde_json::json!({ "code": code, "message": message }),
            AuthError::AccountLocked { .. } => serde_json::json!({
                "code": "ACCOUNT_LOCKED",
                "message": "The account is temporarily locked after consecutive failed attempts. Try again later.",
            }),
            AuthError::NotFound => serde_json::json!({
                "code": "NOT_FOUND",
                "message": "The requested resource couldn't be found.",
            }),
            AuthError::MethodNotAllowed => serde_json::json!({
                "code": "METHOD_NOT_ALLOWED",
                "message": "The request was received but has been rejected for the requested resource.",
            }),
            AuthError::Conflict(code) => serde_json::json!({ "errorCode": code }),
            AuthError::Locked { .. } => serde_json::json!({
                "code": "LOCKED",
                "message": "Account is temporarily locked due to failed consecutive login attempts. Try again later.",
            }),
            AuthError::TooManyRequests { .. } => serde_json::json!({
                "code": "TOO_MANY_REQUESTS",
                "message": "Too many requests.",
            }),
            AuthError::Unavailable { source, .. } => {
                tracing::warn!(error = %chain(source.as_ref()), "dependency unavailable");
                serde_json::json!({
                    "code": "SERVICE_UNAVAILABLE",
                    "message": "We're temporarily unavailable. Please try again later.",
                })
            }
            AuthError::Internal(source) => {
                tracing::error!(error = %chain(source.as_ref()), "unexpected error");
                serde_json::json!({
                    "code": "INTERNAL_ERROR",
                    "message": "There is a problem with the server. Please try again later.",
                })
            }
        };
        let mut response = crate::http::json(status, &body);
        let headers = response.headers_mut();
        match self {
            AuthError::Locked { retry_after }
            | AuthError::AccountLocked { retry_after }
            | AuthError::Unavailable { retry_after, .. } => {
                headers.insert("retry-after", HeaderValue::from(retry_after.max(1)));
            }
            AuthError::TooManyRequests { limit, retry_after } => {
                headers.insert("retry-after", HeaderValue::from(retry_after.max(1)));
                headers.insert("x-ratelimit-limit", HeaderValue::from(limit));
                headers.insert("x-ratelimit-reset", HeaderValue::from(retry_after.max(1)));
            }
            _ => {}
        }
        response
    }
}

/// "outer: inner: root" for a log line.
pub fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(inner) = cur {
        out.push_str(": ");
        out.push_str(&inner.to_string());
        cur = inner.source();
    }
    out
}

impl From<crate::keys::MissingKey> for AuthError {
    fn from(e: crate::keys::MissingKey) -> Self {
        AuthError::internal(e)
    }
}

impl From<crate::crypto::RandomError> for AuthError {
    fn from(e: crate::crypto::RandomError) -> Self {
        AuthError::internal(e)
    }
}
