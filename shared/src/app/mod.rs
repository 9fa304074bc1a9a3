//! Use cases, one module per context. Each function takes what it uses (the app state, the
//! values the edge parsed, `now` where the rule depends on time) and answers a
//! [`DomainError`](crate::domain::error::DomainError) naming the outcome; none of them knows
//! HTTP or which surface called it.
//!
//! | context | module |
//! | --- | --- |
//! | accounts: registration, blocking, versioned updates | [`accounts`] |
//! | the operator's actions (block, unlock, end sessions, ...) | [`admin`] |
//! | lockout: reserving an attempt before any secret is checked | [`lockout`] |
//! | sessions: password check, opening and ending sessions (surface 1) | [`sessions`], [`principal`] |
//! | ACCESS grants | [`grants`] |
//! | the account's logins on both surfaces: listing and ending them | [`logins`] |
//! | passwords: changing one | [`passwords`] |
//! | proving the mailbox: a forgotten password reset, the e-mail verified | [`mailbox`] |
//! | one-time codes and proof of a second factor for changes | [`codes`], [`proof`], [`totp_check`] |
//! | surface-1 factors: SMS, push devices | [`factors`] |
//! | step-up by SMS | [`otp_step_up`] |
//! | step-up by push | [`push_step_up`] |
//! | passkeys: enrolment, step-up, login without a password | [`passkeys`] |
//! | login by push | [`push_login`] |
//! | recovery codes: generating a set, stepping up or proving with one | [`recovery`] |
//! | surface-2 methods: phone, e-mail, TOTP | [`methods`] |
//! | idTokens (surface 2) | [`id_tokens`] |
//! | budgets | [`limits`] |
//! | security events and the account's trail | [`events`] |
//! | changing the e-mail address, and its revert | [`email_change`] |
//! | the devices an account signs in from | [`devices`] |
//! | the account's data exported, the account deleted | [`export`], [`erasure`] |
//! | session tokens this thread verified lately (the hot path) | `verified` |

pub mod accounts;
pub mod admin;
pub mod codes;
pub mod devices;
pub mod email_change;
mod email_revert;
pub mod erasure;
pub mod events;
pub mod export;
pub mod export_accounts;
pub mod factors;
pub mod grants;
pub mod id_tokens;
pub mod import;
pub mod limits;
pub mod lockout;
pub mod logins;
pub mod mail_limits;
pub mod mailbox;
pub mod methods;
pub mod oidc;
pub mod otp_step_up;
pub mod passkeys;
pub mod passwords;
pub mod principal;
pub mod proof;
pub mod push_login;
pub mod push_step_up;
pub mod recovery;
pub mod sessions;
mod state;
pub mod totp_check;
mod verified;

pub use state::{Adapters, App, KEY_MAX_AGE_SECS, KEY_RELOAD_INTERVAL_SECS};

/// What the edge knows of a request besides its body: its reference (in every log line), the
/// caller's address (for per-IP budgets) and user agent (recorded with logins and push
/// challenges).
#[derive(Debug, Clone)]
pub struct Ctx {
    pub request_ref: String,
    pub source_ip: String,
    pub user_agent: String,
    /// The `x-device-id` the client keeps, if it sent one (see [`crate::domain::devices`]).
    pub device_id: Option<String>,
    /// The login the request runs in, once the edge authenticated it: the account's budgets
    /// are shared between its logins ([`limits::Spender`]).
    pub login: Option<limits::Spender>,
}

impl Ctx {
    /// This request's context, spending as `login`.
    pub fn spending_as(mut self, login: limits::Spender) -> Self {
        self.login = Some(login);
        self
    }
}
