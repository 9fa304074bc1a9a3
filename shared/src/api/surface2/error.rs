//! Surface 2's wire shape for every failure (seed 002): always `{"code", "message"}`; field
//! errors are one 400 `INVALID_REQUEST` naming every field, rules of the account's state are
//! 400s, every authentication failure is a 403, a lock is 423 `ACCOUNT_LOCKED`, and asking for
//! a code again too soon is a 429.

use axum::http::StatusCode;
use axum::response::Response;

use crate::api::error::{ApiError, body, common, retry_after, rule_code};
use crate::domain::codes::CodeCheck;
use crate::domain::error::{DomainError, Rule};

pub fn render(error: &ApiError) -> Response {
    let bad = |code: &str, message: &str| body(StatusCode::BAD_REQUEST, code, message);
    match error {
        ApiError::Invalid(fields) => {
            let detail: Vec<String> = fields
                .iter()
                .map(|f| {
                    let kind = serde_json::to_string(&f.error).unwrap_or_default();
                    format!("{}: {}", f.field_name, kind.trim_matches('"'))
                })
                .collect();
            bad("INVALID_REQUEST", &format!("Your request is invalid ({}).", detail.join(", ")))
        }
        ApiError::Domain(e) => match e {
            DomainError::BadCredentials => {
                body(StatusCode::FORBIDDEN, "FORBIDDEN", "The email or password is incorrect.")
            }
            DomainError::Unauthenticated(message) => body(StatusCode::FORBIDDEN, "FORBIDDEN", message),
            DomainError::Locked { retry_after: secs } => retry_after(
                body(
                    StatusCode::LOCKED,
                    "ACCOUNT_LOCKED",
                    "The account is temporarily locked after consecutive failed attempts. Try again later.",
                ),
                *secs,
            ),
            DomainError::CodeRejected(check) => match check {
                CodeCheck::LimitReached => bad("CHALLENGE_LIMIT_EXCEEDED", "Too many wrong codes: ask for a new one."),
                CodeCheck::Expired => bad("CODE_EXPIRED", "The code has expired: ask for a new one."),
                CodeCheck::Missing | CodeCheck::Accepted => bad("NO_CODE_SENT", "No code is in flight: ask for one."),
                CodeCheck::Wrong { .. } => bad("INVALID_CODE", "The code is wrong."),
            },
            DomainError::TotpRejected => bad("INVALID_CODE", "The code is wrong or was already used."),
            DomainError::ResendTooSoon { retry_after } => {
                common(&ApiError::Domain(DomainError::RateLimited { limit: 1, retry_after: *retry_after }))
            }
            DomainError::StepUpRequired => bad("STEP_UP_REQUIRED", STATE_CONFLICT),
            DomainError::Refused(rule) => bad(rule_code(*rule), message(*rule)),
            _ => common(error),
        },
        _ => common(error),
    }
}

const STATE_CONFLICT: &str = "The request conflicts with the account's state.";

fn message(rule: Rule) -> &'static str {
    match rule {
        Rule::MethodNotConfigured => "That method is not configured for the user.",
        Rule::MethodAlreadyValidated => "That method is already validated.",
        Rule::PhoneAlreadyValidated => "The account already has a validated phone.",
        Rule::TotpSecretAlreadyValidated => "A validated TOTP secret already exists.",
        Rule::TotpSecretNotConfigured => "No TOTP secret is configured.",
        Rule::PhoneInvalid => "The phone number is not valid for that country.",
        Rule::PhoneNotMobile => "The phone number must be a mobile number.",
        Rule::CountryInvalid => "country must be an ISO 3166 alpha-2 code.",
        Rule::CountryNotSupported => "Text messages cannot be sent to that country.",
        _ => STATE_CONFLICT,
    }
}
