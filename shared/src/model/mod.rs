//! The records the service keeps: accounts, their identities and sessions. Plain data with
//! serde, shared by both store adapters.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::clock::Epoch;
use crate::token::TokenType;

mod anchoring;
mod email_change;
pub mod oidc;
mod passkey;
mod purpose;
mod push;
pub mod recovery;
pub use crate::domain::refresh::RefreshFamily;
pub use anchoring::Stripped;
pub use email_change::{KnownDevice, LeftWith, MovedAddress, MovedFrom, PendingEmail, REVERT_SECS};
pub use passkey::{Ceremony, CeremonyKind, PasskeyFactor};
pub use purpose::CodePurpose;
pub use push::{PushChallenge, PushDevice, PushLogin, PushPlatform, PushStatus, RequestOrigin};
pub use recovery::RecoveryCodes;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum IdentityType {
    Consumer,
    Corporate,
}

impl IdentityType {
    pub const NAMES: [&'static str; 2] = ["CONSUMER", "CORPORATE"];

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "CONSUMER" => Some(IdentityType::Consumer),
            "CORPORATE" => Some(IdentityType::Corporate),
            _ => None,
        }
    }
}

/// `{"type": "CONSUMER", "id": "123"}` as in the seeds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityId {
    #[serde(rename = "type")]
    pub kind: IdentityType,
    pub id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    pub id: IdentityId,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Mobile {
    pub country_code: String,
    pub number: String,
}

impl Mobile {
    /// The E.164 form, `+447700900123`.
    pub fn e164(&self) -> String {
        format!("{}{}", self.country_code, self.number)
    }
}

/// An account. `version` is bumped on every write, and every write is conditional on it, so
/// concurrent read-modify-write cycles never lose an update.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub user_id: String,
    /// Normalised (trimmed, lower case): the account's key.
    pub email: String,
    pub name: String,
    /// Argon2id PHC string.
    pub password_hash: String,
    /// Earlier password hashes, newest first, for the "not one of the last 5" rule.
    #[serde(default)]
    pub password_history: Vec<String>,
    pub password_changed_at: Epoch,
    /// Set by an operator to force a change at next login.
    #[serde(default)]
    pub password_expired: bool,
    #[serde(default)]
    pub mobile: Option<Mobile>,
    pub identities: Vec<Identity>,
    /// Bumped when the password changes; idTokens carry it, so older ones go stale.
    pub credentials_version: u64,
    #[serde(default)]
    pub last_login_at: Option<Epoch>,
    #[serde(default)]
    pub last_login_device: Option<String>,
    pub created_at: Epoch,
    /// Surface-1 authentication factors (SMS one-time passwords, push devices).
    #[serde(default)]
    pub factors: Vec<Factor>,
    /// Surface-2 methods: validated email and phone, TOTP secret.
    #[serde(default)]
    pub mfa: Mfa,
    /// Set by an operator: the account can neither log in nor be used.
    #[serde(default)]
    pub blocked: bool,
    /// Surface-1 passkey factors; each also logs in on both surfaces.
    #[serde(default)]
    pub passkeys: Vec<PasskeyFactor>,
    /// The account's WebAuthn user id (a UUID, no personal data), given at its first passkey:
    /// a discoverable login finds the account by it.
    #[serde(default)]
    pub passkey_handle: Option<String>,
    /// A change of the address asked for, waiting for the code mailed to the new one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_email: Option<PendingEmail>,
    /// The addresses this account moved away from whose reservations may still stand (each
    /// `MOVED` item, with its revert): the erasure removes them with the account.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub moved_from: Vec<MovedFrom>,
    /// Set by the first, atomic write of the account's deletion ((`app::erasure`)):
    /// from then on the stores answer as if the account did not exist (`get_user`,
    /// `load_login`), until the erasure's last write removes the item itself.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deleted: bool,
    pub version: u64,
}

impl User {
    pub fn factor(&self, channel: FactorChannel) -> Option<&Factor> {
        self.factors.iter().find(|f| f.channel == channel)
    }

    pub fn factor_mut(&mut self, channel: FactorChannel) -> Option<&mut Factor> {
        self.factors.iter_mut().find(|f| f.channel == channel)
    }

    pub fn has_active(&self, channel: FactorChannel) -> bool {
        self.factor(channel).is_some_and(|f| f.status == FactorStatus::Active)
    }

    /// Whether a pending enrolment added without proof (`unproven`) may still be completed: only
    /// while the account still has no second factor. Otherwise a holder of the password who
    /// started one early could finish it after the owner secured the account.
    pub fn may_complete(&self, unproven: bool) -> bool {
        !(unproven && self.has_second_factor())
    }

    /// Whether the account can already prove itself with something beyond the password: an
    /// ACTIVE surface-1 factor, a passkey, a validated surface-2 method (phone, e-mail, TOTP), or
    /// recovery codes left. While it can, changing how it proves itself needs that proof (ASVS 5.0 V6.4, V7.5).
    pub fn has_second_factor(&self) -> bool {
        self.has_factor_besides_email() || self.mfa.email_verified_at.is_some() || self.recovery_codes_left() > 0
    }

    /// How many recovery codes the account has left (none without a set). They count as a
    /// second factor (whoever holds only the password cannot change factors while the owner
    /// keeps codes) but not beside the e-mail ([`User::email_may_prove`]): they are its backup.
    pub fn recovery_codes_left(&self) -> usize {
        self.mfa.recovery.as_ref().map_or(0, RecoveryCodes::remaining)
    }

    /// Whether the verified e-mail may prove who is calling (a step-up, an `x-otp`): only while
    /// it is the account's one second factor. The mailbox also resets the password, so with
    /// any other factor it would be a way around that factor for whoever holds the mailbox.
    pub fn email_may_prove(&self) -> bool {
        self.mfa.email_verified_at.is_some() && !self.has_factor_besides_email()
    }

    fn has_factor_besides_email(&self) -> bool {
        self.factors.iter().any(|f| f.status == FactorStatus::Active)
            || !self.passkeys.is_empty()
            || self.mfa.phone_verified_at.is_some()
            || self.mfa.totp.as_ref().is_some_and(|t| t.verified_at.is_some())
    }
}

impl std::fmt::Debug for User {
    // The password hash and personal data stay out of logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User").field("user_id", &self.user_id).field("version", &self.version).finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SessionStatus {
    #[default]
    Standard,
    SteppedUp,
}

/// An ACCESS token's slot in its session: scoped to one identity, with its own idle expiry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Grant {
    pub identity: IdentityId,
    pub idle_expires_at: Epoch,
}

/// A login. Its tokens are signed references to it; revoking it kills every token derived
/// from it at once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Session {
    /// `<userId>.<random>`: the user part places the item in the user's partition.
    pub session_id: String,
    pub user_id: String,
    pub email: String,
    /// `Auth`, or `PasswordUpdate` for the temporary token of an expired password.
    pub kind: TokenType,
    pub identity: IdentityId,
    #[serde(default)]
    pub status: SessionStatus,
    pub created_at: Epoch,
    pub idle_expires_at: Epoch,
    pub absolute_expires_at: Epoch,
    #[serde(default)]
    pub revoked: bool,
    #[serde(default)]
    pub grants: BTreeMap<String, Grant>,
    /// The last request that used the session or one of its grants.
    #[serde(default)]
    pub last_used_at: Option<Epoch>,
    /// The login's user agent and address, for the account's list of sessions.
    #[serde(default)]
    pub user_agent: String,
    #[serde(default)]
    pub source_ip: String,
    /// Proven by something anchored to the mailbox ([`Factor::anchored`]): its step-up, its
    /// passwordless login, or the lost-password reset that opened it.
    #[serde(default)]
    pub anchored: bool,
    /// Opened by the lost-password reset: it may remove any factor or passkey without a
    /// step-up (the mailbox is the root of the account; nothing left is a dead end).
    #[serde(default)]
    pub mailbox: bool,
}

impl Session {
    /// Alive for the AUTH/temporary token, or for the ACCESS grant `gid`, at `now`.
    pub fn is_alive(&self, grant: Option<&str>, now: Epoch) -> bool {
        if self.revoked || now >= self.absolute_expires_at {
            return false;
        }
        match grant {
            None => now < self.idle_expires_at,
            Some(g) => self.grants.get(g).is_some_and(|gr| now < gr.idle_expires_at),
        }
    }

    /// Usable at `now` by its token or by any of its grants: what the list of sessions shows.
    pub fn is_live(&self, now: Epoch) -> bool {
        self.is_alive(None, now) || self.grants.keys().any(|g| self.is_alive(Some(g), now))
    }

    pub fn user_id_of(session_id: &str) -> Option<&str> {
        session_id.split_once('.').map(|(u, _)| u).filter(|u| !u.is_empty())
    }
}

pub use crate::domain::lockout::Lockout;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FactorType {
    Otp,
    Push,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FactorChannel {
    Sms,
    Authy,
    Biometric,
}

impl FactorChannel {
    /// The channel of a path segment, if this factor type supports it.
    pub fn parse(kind: FactorType, segment: &str) -> Option<Self> {
        match (kind, segment) {
            (FactorType::Otp, "SMS") => Some(FactorChannel::Sms),
            (FactorType::Push, "AUTHY") => Some(FactorChannel::Authy),
            (FactorType::Push, "BIOMETRIC") => Some(FactorChannel::Biometric),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FactorStatus {
    PendingVerification,
    Active,
    Inactive,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Factor {
    #[serde(rename = "type")]
    pub kind: FactorType,
    pub channel: FactorChannel,
    pub status: FactorStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<PushDevice>,
    /// Enrolled with proof of the mailbox: while the e-mail was verified, under a step-up that
    /// was itself anchored. A lost-password reset (which proves the mailbox) removes every way
    /// in that is not: whoever held only the password cannot have planted one that survives.
    #[serde(default)]
    pub anchored: bool,
}

pub use crate::domain::codes::{CodeChallenge, CodeCheck};

/// The surface-2 multi-factor state of an account.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Mfa {
    #[serde(default)]
    pub email_verified_at: Option<Epoch>,
    #[serde(default)]
    pub phone_verified_at: Option<Epoch>,
    #[serde(default)]
    pub totp: Option<TotpSecret>,
    /// The number in `User::mobile` was set on surface 2 while the account had no second
    /// factor (so without proof): once the account has one, it can no longer be validated.
    #[serde(default)]
    pub phone_unproven: bool,
    /// The phone was set or validated with proof anchored to the mailbox ([`Factor::anchored`]).
    #[serde(default)]
    pub phone_anchored: bool,
    /// The recovery codes' set (both surfaces), while one was generated: kept with none left,
    /// so that a used code is told as used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery: Option<RecoveryCodes>,
}

/// A TOTP secret, encrypted at rest (AES-256-GCM under the data key of generation `kid`).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TotpSecret {
    pub kid: String,
    pub sealed: String,
    #[serde(default)]
    pub verified_at: Option<Epoch>,
    /// The last time step accepted: a code is never accepted twice.
    #[serde(default)]
    pub last_step: Option<u64>,
    /// Added while the account had no second factor (so without proof): once the account has
    /// one, this secret can no longer be validated.
    #[serde(default)]
    pub unproven: bool,
    /// Added with proof anchored to the mailbox (see [`Factor::anchored`]).
    #[serde(default)]
    pub anchored: bool,
}

impl std::fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TotpSecret")
            .field("kid", &self.kid)
            .field("verified_at", &self.verified_at)
            .finish_non_exhaustive()
    }
}
