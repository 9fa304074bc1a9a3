//! Surface 1's wire shape for every failure (seeds 000/001): field errors as
//! `{"message", "syntaxErrors": {"invalidFields"}}`, rules of the account's state as 409
//! `{"errorCode"}`, authentication failures as 401, a lock as 423 `LOCKED`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::api::error::{ApiError, body, common, retry_after, rule_code};
use crate::domain::codes::CodeCheck;
use crate::domain::error::DomainError;

pub fn render(error: &ApiError) -> Response {
    let conflict =
        |code: &str| (StatusCode::CONFLICT, axum::Json(serde_json::json!({ "errorCode": code }))).into_response();
    match error {
        ApiError::Invalid(fields) => (
            StatusCode::BAD_REQUEST,
            axum::Json(serde_json::json!({
                "message": "Your request is invalid.",
                "syntaxErrors": { "invalidFields": fields },
            })),
        )
            .into_response(),
        ApiError::Domain(e) => match e {
            DomainError::BadCredentials => body(
                StatusCode::FORBIDDEN,
                "FORBIDDEN",
                "The authentication credentials are not found or are incorrect.",
            ),
            DomainError::Unauthenticated(message) => body(StatusCode::UNAUTHORIZED, "UNAUTHORIZED", message),
            DomainError::Locked { retry_after: secs } => retry_after(
                body(
                    StatusCode::LOCKED,
                    "LOCKED",
                    "Account is temporarily locked due to failed consecutive login attempts. Try again later.",
                ),
                *secs,
            ),
            DomainError::StepUpRequired => conflict("STEP_UP_REQUIRED"),
            DomainError::CodeRejected(check) => conflict(match check {
                CodeCheck::LimitReached => "CHALLENGE_LIMIT_EXCEEDED",
                CodeCheck::Expired => "VERIFICATION_CODE_EXPIRED",
                CodeCheck::Missing | CodeCheck::Accepted => "STATE_INVALID",
                CodeCheck::Wrong { .. } => "VERIFICATION_CODE_INVALID",
            }),
            DomainError::TotpRejected => conflict("VERIFICATION_CODE_INVALID"),
            DomainError::ResendTooSoon { .. } => conflict("RETRY_IN_15SEC"),
            DomainError::Refused(rule) => conflict(rule_code(*rule)),
            _ => common(error),
        },
        _ => common(error),
    }
}
