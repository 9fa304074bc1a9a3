//! Security events: what happened to an account, for the account's trail, for support, and for
//! other systems (EventBridge, webhooks). Each is committed in the same atomic write as the
//! change it reports (the store's outbox), so an event exists if and only if its change did.
//! Events carry who and where (user agent, source IP) and what changed, never a secret.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::domain::Epoch;

/// How long an account's events are kept (the store's TTL) and readable in its trail.
pub const TRAIL_SECS: Epoch = 90 * 86_400;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EventType {
    LoginSucceeded,
    LoginFailed,
    AccountLocked,
    AccountUnlocked,
    Logout,
    SessionRevoked,
    StepUpStarted,
    StepUpSucceeded,
    StepUpFailed,
    StepUpExpired,
    FactorEnrolled,
    FactorRemoved,
    PasswordChanged,
    PasswordReset,
    PasswordExpired,
    EmailVerified,
    RefreshTokenReused,
    AccountBlocked,
    AccountUnblocked,
    /// A secret checked off the login and step-up paths was wrong (the old password of a
    /// change, a code enrolling or validating a factor or method, an `x-otp`, a TOTP code).
    VerificationFailed,
    /// A set of recovery codes generated (replacing any earlier one).
    RecoveryCodesGenerated,
    /// A recovery code used (consumed in the same write).
    RecoveryCodeUsed,
    /// A change of the account's e-mail address was asked for (a code went to the new one).
    EmailChangeRequested,
    /// The account's address is now the new one (its code was right).
    EmailChanged,
    /// The owner of the old address took the change back with the link mailed to it.
    EmailChangeReverted,
    /// A login from a device the account had not signed in from within 90 days.
    NewDeviceLogin,
    /// The account was deleted (by its owner or the operator): carries only the user id (and
    /// `by`), for downstream systems to erase what they hold of it.
    AccountDeleted,
}

impl EventType {
    pub const ALL: [EventType; 27] = [
        EventType::LoginSucceeded,
        EventType::LoginFailed,
        EventType::AccountLocked,
        EventType::AccountUnlocked,
        EventType::Logout,
        EventType::SessionRevoked,
        EventType::StepUpStarted,
        EventType::StepUpSucceeded,
        EventType::StepUpFailed,
        EventType::StepUpExpired,
        EventType::FactorEnrolled,
        EventType::FactorRemoved,
        EventType::PasswordChanged,
        EventType::PasswordReset,
        EventType::PasswordExpired,
        EventType::EmailVerified,
        EventType::RefreshTokenReused,
        EventType::AccountBlocked,
        EventType::AccountUnblocked,
        EventType::VerificationFailed,
        EventType::RecoveryCodesGenerated,
        EventType::RecoveryCodeUsed,
        EventType::EmailChangeRequested,
        EventType::EmailChanged,
        EventType::EmailChangeReverted,
        EventType::NewDeviceLogin,
        EventType::AccountDeleted,
    ];

    /// The wire name, `LOGIN_SUCCEEDED`.
    pub fn name(self) -> String {
        serde_json::to_value(self).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
    }
}

/// The owner of the events of an e-mail without an account: a user id no account has (account
/// ids are digits), so its trail is never read and its events are never published.
pub fn decoy_user_id(email: &str) -> String {
    format!("decoy-{}", &crate::crypto::sha256_b64url(email.as_bytes())[..22])
}

/// Whether `user_id` is a decoy's ([`decoy_user_id`]).
pub fn is_decoy(user_id: &str) -> bool {
    user_id.starts_with("decoy-")
}

/// Where a request came from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Origin {
    pub user_agent: String,
    pub source_ip: String,
}

/// One security event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SecurityEvent {
    /// Unique and stable: consumers de-duplicate deliveries by it. Made by [`ordered_id`], so
    /// that an account's events of the same second sort in the order they happened.
    pub id: String,
    #[serde(rename = "type")]
    pub kind: EventType,
    /// The second it happened.
    pub at: Epoch,
    /// The millisecond it happened (within `at`); `None` in events stored before it was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_ms: Option<i64>,
    pub user_id: String,
    /// The surface-1 session or surface-2 refresh family concerned, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    /// Where the request that caused it came from (`None` for an operator's action).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<Origin>,
    /// The type's own fields (see the catalogue in docs/api.md).
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub details: Map<String, Value>,
}

impl SecurityEvent {
    /// An event of `kind` for `user_id` at `at`, with id `id` (random, from the caller).
    pub fn new(id: String, kind: EventType, at: Epoch, user_id: &str) -> Self {
        SecurityEvent {
            id,
            kind,
            at,
            at_ms: None,
            user_id: user_id.to_owned(),
            session_id: None,
            origin: None,
            details: Map::new(),
        }
    }

    /// The event at the millisecond `at_ms` (its second is `at`).
    pub fn at_ms(mut self, at_ms: i64) -> Self {
        self.at = at_ms.div_euclid(1000);
        self.at_ms = Some(at_ms);
        self
    }

    /// When it happened, in milliseconds (to the second for an event stored without them).
    pub fn millis(&self) -> i64 {
        self.at_ms.unwrap_or(self.at.saturating_mul(1000))
    }

    pub fn session(mut self, session_id: &str) -> Self {
        self.session_id = Some(session_id.to_owned());
        self
    }

    pub fn from(mut self, origin: Origin) -> Self {
        self.origin = Some(origin);
        self
    }

    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.details.insert(key.to_owned(), value.into());
        self
    }

    /// When the trail forgets it.
    pub fn expires_at(&self) -> Epoch {
        self.at + TRAIL_SECS
    }

    /// The sort key of the event in its account's trail: newest last, unique. Within a second,
    /// the [`ordered_id`] orders events (earlier ids, random, in no set order).
    pub fn trail_key(&self) -> String {
        format!("{:012}#{}", self.at, self.id)
    }
}

/// An event id that sorts, as a string, in the order events happened: the millisecond (13
/// digits), then `seq` (16 hex digits: a counter of the process that made the event, which
/// orders its events of one millisecond, so a session's own events keep their order), then
/// `random` (unique across processes, whose events of one millisecond have no other order).
pub fn ordered_id(at_ms: i64, seq: u64, random: &str) -> String {
    format!("{:013}{seq:016x}{random}", at_ms.max(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_has_its_wire_name() {
        let names: Vec<String> = EventType::ALL.iter().map(|t| t.name()).collect();
        assert_eq!(names[0], "LOGIN_SUCCEEDED");
        assert_eq!(names[16], "REFRESH_TOKEN_REUSED");
        assert!(names.iter().all(|n| !n.is_empty()));
    }

    #[test]
    fn trail_keys_sort_by_time() {
        let a = SecurityEvent::new("b".into(), EventType::Logout, 99, "1");
        let b = SecurityEvent::new("a".into(), EventType::Logout, 100, "1");
        assert!(a.trail_key() < b.trail_key());
    }

    /// Within a second: by the millisecond, then by the process's counter, whatever the random
    /// part says; and a key of the old kind (a random id) keeps its place among the seconds.
    #[test]
    fn trail_keys_of_one_second_sort_by_millisecond_then_counter() {
        let at = |ms: i64, seq: u64, random: &str| {
            SecurityEvent::new(ordered_id(ms, seq, random), EventType::Logout, 0, "1").at_ms(ms)
        };
        let order = [
            at(1_700_000_000_000, 7, "zzz"),
            at(1_700_000_000_000, 8, "AAA"),
            at(1_700_000_000_000, 0x10, "---"),
            at(1_700_000_000_001, 2, "zzz"),
            at(1_700_000_000_999, 1, "zzz"),
            at(1_700_000_001_000, 0, "zzz"),
        ];
        let keys: Vec<String> = order.iter().map(SecurityEvent::trail_key).collect();
        assert!(keys.windows(2).all(|w| w[0] < w[1]), "{keys:?}");
        assert_eq!(order[4].at, 1_700_000_000);
        let old = SecurityEvent::new("zzzz".into(), EventType::Logout, 1_700_000_000, "1");
        assert!(keys[5] > old.trail_key() && old.trail_key() > format!("{:012}#", 1_699_999_999));
    }
}
