//! The one error of the service's rules: each variant names an outcome (the account is locked,
//! the code was wrong, a step-up is missing), never an HTTP status. Each surface turns it into
//! its own wire shape in one place (`api::surface1::error`, `api::surface2::error`), so the
//! same outcome can be a 409 `{"errorCode"}` on one surface and a 400 `{"code"}` on the other.

use super::Epoch;
use super::codes::CodeCheck;

pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    /// The e-mail and password do not match an account (unknown e-mail included: the answer
    /// must not tell which).
    #[error("bad credentials")]
    BadCredentials,
    /// No valid proof of who is calling: a token missing, malformed, expired or revoked, or the
    /// session or account behind it gone. The reason is safe to show.
    #[error("unauthenticated: {0}")]
    Unauthenticated(&'static str),
    /// The caller is known but may not do this (a foreign identity, the wrong token kind).
    #[error("denied: {0}")]
    Denied(&'static str),
    /// The account was blocked by an operator.
    #[error("account blocked")]
    Blocked,
    /// Too many consecutive failures: no secret is checked until `retry_after` seconds pass.
    #[error("account locked")]
    Locked { retry_after: Epoch },
    /// Changing how the account proves itself needs a stepped-up session (surface 1).
    #[error("step-up required")]
    StepUpRequired,
    /// Changing how the account proves itself needs a current code in `x-otp` (surface 2).
    #[error("one-time code required")]
    OtpRequired,
    /// The code in `x-otp` was compared and not accepted (wrong, expired or used): the client
    /// asks the user for a new one, where `OtpRequired` asks for one at all.
    #[error("one-time code rejected")]
    OtpRejected,
    /// A one-time code was checked and not accepted.
    #[error("code rejected: {0:?}")]
    CodeRejected(CodeCheck),
    /// A TOTP code was wrong, or was already used.
    #[error("TOTP code rejected")]
    TotpRejected,
    /// A code was asked for again within the resend cooldown.
    #[error("resend too soon")]
    ResendTooSoon { retry_after: Epoch },
    /// A budget (per IP, per account, per number, global) is spent for now.
    #[error("rate limited")]
    RateLimited { limit: u32, retry_after: Epoch },
    /// A spent refresh token was presented again: its whole family has been ended.
    #[error("refresh token reused")]
    RefreshTokenReused,
    /// A rule of the account's state refuses the request.
    #[error("refused: {0:?}")]
    Refused(Rule),
    /// The thing asked for does not exist (or is not the caller's to see).
    #[error("not found")]
    NotFound,
    /// A dependency (the store, SMS, e-mail, keys) is throttling or unreachable, or the record
    /// kept changing under a retried write: worth retrying after `retry_after` seconds.
    #[error("unavailable")]
    Unavailable {
        retry_after: Epoch,
        #[source]
        source: BoxError,
    },
    /// A bug or a broken dependency: logged with its cause chain, answered opaquely.
    #[error("internal error")]
    Internal(#[source] BoxError),
}

/// The rules of an account's state a request can run into. Each surface names them on the
/// wire (the seeds' codes) in its `error.rs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    EmailAlreadyRegistered,
    IdentityLimitReached,
    TooManyAccessTokens,
    ChannelNotSupported,
    ChannelNotRegistered,
    ChannelAlreadyRegistered,
    /// The operation does not fit the state of the factor, challenge or session.
    StateInvalid,
    MobileNumberNotSupported,
    MobileNumberNotAvailable,
    PasswordIncorrect,
    PasswordAlreadyUsed,
    PasswordTooShort,
    PasswordTooLong,
    PasswordTooSimple,
    /// A password-reset nonce that is wrong, used, expired or out of tries.
    NonceInvalid,
    /// A method (SMS, e-mail, TOTP) that is not set up for the account.
    MethodNotConfigured,
    MethodAlreadyValidated,
    PhoneAlreadyValidated,
    TotpSecretAlreadyValidated,
    TotpSecretNotConfigured,
    PhoneInvalid,
    PhoneNotMobile,
    CountryInvalid,
    CountryNotSupported,
    /// A passkey's credential or assertion was not accepted (wrong origin, RP id, challenge,
    /// signature or flags; a counter gone backwards; a credential of another account).
    PasskeyRejected,
}

impl DomainError {
    pub fn internal(e: impl Into<BoxError>) -> Self {
        DomainError::Internal(e.into())
    }

    /// A retried write that never got through: somebody else kept changing the record.
    pub fn kept_changing(what: &'static str) -> Self {
        DomainError::Unavailable { retry_after: 1, source: what.into() }
    }
}

impl From<Rule> for DomainError {
    fn from(rule: Rule) -> Self {
        DomainError::Refused(rule)
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
