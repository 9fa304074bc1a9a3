//! The provider's wire shape for every failure, in one place: OAuth 2.0's `{"error",
//! "error_description"}` (RFC 6749 §5.2) with its statuses: 400 for a bad request or grant, 401
//! with `WWW-Authenticate` for a client that failed to authenticate or a bad bearer token
//! (RFC 6750 §3), 403 for a token without the scope, 429 with `Retry-After` for a spent
//! budget, 503 when the store is unavailable, 500 for anything unexpected.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::api::error::ApiError;
use crate::app::oidc::Failure;
use crate::domain::error::DomainError;
use crate::domain::oidc::{OAuthCode, OAuthError};

fn answer(status: StatusCode, code: &str, description: &str) -> Response {
    let body = serde_json::json!({ "error": code, "error_description": description });
    (status, axum::Json(body)).into_response()
}

/// An OAuth refusal.
pub fn oauth(error: &OAuthError) -> Response {
    let status = match error.code {
        OAuthCode::InvalidClient | OAuthCode::InvalidToken => StatusCode::UNAUTHORIZED,
        OAuthCode::InsufficientScope | OAuthCode::AccessDenied => StatusCode::FORBIDDEN,
        OAuthCode::SlowDown => StatusCode::TOO_MANY_REQUESTS,
        OAuthCode::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
        OAuthCode::TemporarilyUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::BAD_REQUEST,
    };
    let mut response = answer(status, error.code.as_str(), error.description);
    let challenge = match error.code {
        OAuthCode::InvalidClient => Some("Basic realm=\"oauth2\"".to_owned()),
        OAuthCode::InvalidToken | OAuthCode::InsufficientScope => {
            Some(format!("Bearer error=\"{}\", error_description=\"{}\"", error.code.as_str(), error.description))
        }
        _ => None,
    };
    if let Some(value) = challenge.and_then(|c| HeaderValue::from_str(&c).ok()) {
        response.headers_mut().insert(header::WWW_AUTHENTICATE, value);
    }
    response
}

/// An outcome of the shared use cases, as the provider answers it.
pub fn domain(error: &DomainError) -> Response {
    match error {
        DomainError::RateLimited { retry_after, .. } | DomainError::ResendTooSoon { retry_after } => {
            let mut r = answer(StatusCode::TOO_MANY_REQUESTS, "slow_down", "Too many requests: try again later.");
            r.headers_mut().insert("retry-after", HeaderValue::from((*retry_after).max(1)));
            r
        }
        DomainError::Unavailable { retry_after, .. } => {
            let mut r = answer(StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable", "Try again in a moment.");
            r.headers_mut().insert("retry-after", HeaderValue::from((*retry_after).max(1)));
            r
        }
        DomainError::Internal(source) => {
            tracing::error!(error = %crate::domain::error::chain(source.as_ref()), "unexpected error");
            answer(StatusCode::INTERNAL_SERVER_ERROR, "server_error", "Something went wrong.")
        }
        DomainError::Locked { .. } | DomainError::Blocked => {
            answer(StatusCode::BAD_REQUEST, "invalid_grant", "The account may not sign in now.")
        }
        _ => answer(StatusCode::BAD_REQUEST, "invalid_request", "The request was refused."),
    }
}

pub fn failure(f: &Failure) -> Response {
    match f {
        Failure::OAuth(e) => oauth(e),
        Failure::Domain(e) => domain(e),
    }
}

/// The route's renderer of edge errors (an unknown route, a malformed request).
pub fn render(error: &ApiError) -> Response {
    match error {
        ApiError::Domain(e) => domain(e),
        ApiError::NoRoute | ApiError::MethodNotAllowed => crate::api::surface2::error::render(error),
        _ => answer(StatusCode::BAD_REQUEST, "invalid_request", "The request is malformed."),
    }
}
