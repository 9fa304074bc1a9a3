//! Persistence ports, one per context (accounts, the lockout counter, sessions, one-time codes,
//! push challenges, rate counters, refresh-token families, OpenID Connect clients), with [`Store`]
//! as their union. Each method is one atomic step of the domain (open a session and record the
//! login, spend a code's try, slide an idle expiry), so each adapter can make it one round trip and
//! one atomic write. Adapters, named by technology, keep one file per port (`memory/`, `dynamo/`).

use async_trait::async_trait;

use crate::clock::Epoch;
use crate::domain::error::{BoxError, DomainError};
use crate::domain::events::SecurityEvent;
use crate::model::{
    Ceremony, CeremonyKind, CodeChallenge, Grant, Lockout, PushChallenge, PushStatus, RefreshFamily, Session,
    SessionStatus, User,
};

mod clients;
pub mod dynamo;
mod erasure;
pub mod memory;
mod moves;
pub mod scan;

pub use clients::ClientStore;
pub use dynamo::DynamoStore;
pub use erasure::ErasureStore;
pub use memory::MemoryStore;
pub use moves::{AccountMove, DeviceStore, MoveStore};
pub use scan::ScanStore;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A condition did not hold: the item exists already, or changed since it was read.
    #[error("conditional write failed")]
    Conflict,
    /// Throttled, timed out or unreachable: worth retrying later.
    #[error("store unavailable")]
    Unavailable(#[source] BoxError),
    #[error("store error")]
    Other(#[source] BoxError),
}

impl From<StoreError> for DomainError {
    fn from(e: StoreError) -> Self {
        match e {
            // A lost race that the handler did not resolve itself: the client may simply retry.
            StoreError::Conflict => DomainError::Unavailable { retry_after: 1, source: "write conflict".into() },
            StoreError::Unavailable(source) => DomainError::Unavailable { retry_after: 1, source },
            StoreError::Other(source) => DomainError::Internal(source),
        }
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// The security events a write commits with its change (the outbox): stored in the same
/// atomic write, each in its account's trail, so an event exists if and only if its change
/// does. Empty for a write that reports nothing.
pub type Events<'a> = &'a [SecurityEvent];

/// The failed-attempt counter as read, with the version a write of its next state must match
/// (`None`: there was none stored).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoredLockout {
    pub state: Lockout,
    pub version: Option<u64>,
}

/// Accounts: the profile item, written by version.
#[async_trait]
pub trait AccountStore: Send + Sync {
    /// Creates an account; `Conflict` when the email is taken.
    async fn create_user(&self, user: &User) -> StoreResult<()>;

    async fn get_user(&self, email: &str) -> StoreResult<Option<User>>;

    /// Replaces the account if it is still at `user.version`, storing `user.version + 1`.
    /// Returns the stored record; `Conflict` when someone wrote in between.
    async fn update_user(&self, user: &User, events: Events<'_>) -> StoreResult<User>;

    /// The account and its failed-attempt counter, in one read. The counter is as stored: the
    /// lockout state machine ([`crate::domain::lockout`]) decides what it means at `now`.
    async fn load_login(&self, email: &str, now: Epoch) -> StoreResult<(Option<User>, StoredLockout)>;

    /// In one atomic write: saves `user` (conditional on its version, as
    /// [`AccountStore::update_user`]) and spends the step-up of session `session_id`, which must be
    /// alive and `STEPPED_UP` at `now`; `Conflict` when either condition fails. One step-up
    /// pays for one change of how the account proves itself, however many race.
    async fn update_user_spending_step_up(
        &self,
        user: &User,
        session_id: &str,
        now: Epoch,
        events: Events<'_>,
    ) -> StoreResult<User>;
}

/// The failed-attempt counter: read, and written only as the lockout state machine decides, conditional on the version read.
#[async_trait]
pub trait LockoutStore: Send + Sync {
    /// The failed-attempt counter alone.
    async fn load_lockout(&self, email: &str) -> StoreResult<StoredLockout>;

    /// Stores the counter's next state if it is still at `expected` (`None`: absent), as one
    /// conditional write; `Conflict` when another request wrote it first. The adapter decides
    /// nothing: the state is the lockout state machine's.
    async fn save_lockout(&self, email: &str, expected: Option<u64>, next: &Lockout) -> StoreResult<()>;

    /// Forgets the counter (a check succeeded).
    async fn clear_lockout(&self, email: &str) -> StoreResult<()>;
}

/// What opening a session does to the account's failed-login counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailedLogins {
    /// A login that checked a secret clears it (its own attempt was reserved on it first).
    Clear,
    /// A login by push leaves it: its approval was checked against a lock read earlier, and
    /// a lock written since must stand (its poll then refuses with 423).
    Keep,
}

/// Surface-1 sessions and their ACCESS grants.
#[async_trait]
pub trait SessionStore: Send + Sync {
    /// In one atomic write: stores the new session, records the login on the account (its
    /// last login and device, from `user`) while the account's credentials version is still
    /// `user`'s and it is not blocked (`Conflict` otherwise) and, as `failed` says, clears the
    /// failed-login counter. It bumps no version: a login never makes another write of the
    /// account retry (a password change needs no quiet moment), and a password changed since
    /// the check refuses it.
    async fn open_session(
        &self,
        session: &Session,
        user: &User,
        failed: FailedLogins,
        events: Events<'_>,
    ) -> StoreResult<User>;

    /// Slides the idle expiry of the session (or of its ACCESS grant `grant`) to `new_idle`,
    /// if it is alive at `now`. `None` when it is missing, revoked or expired.
    async fn touch_session(
        &self,
        session_id: &str,
        grant: Option<&str>,
        now: Epoch,
        new_idle: Epoch,
    ) -> StoreResult<Option<Session>>;

    /// The session as stored (revoked and expired ones included), or `None`.
    async fn get_session(&self, session_id: &str) -> StoreResult<Option<Session>>;

    /// Adds an ACCESS grant to a live session and drops the grants named in `expired` in the
    /// same write (so a long session does not grow without bound); `Conflict` when the session
    /// is no longer alive.
    async fn add_grant(
        &self,
        session_id: &str,
        grant_id: &str,
        grant: &Grant,
        expired: &[String],
        now: Epoch,
    ) -> StoreResult<()>;

    /// Changes the step-up status of a live session, and whether that step-up is anchored to
    /// the mailbox ([`Session::anchored`]); `Conflict` when it is no longer alive.
    async fn set_session_status(
        &self,
        session_id: &str,
        status: SessionStatus,
        anchored: bool,
        now: Epoch,
        events: Events<'_>,
    ) -> StoreResult<()>;

    /// Logs out in one conditional write: revokes the session if it is unrevoked and within its
    /// absolute lifetime at `now`, idle or not. `false` when there was nothing to end.
    async fn end_session(&self, session_id: &str, now: Epoch, events: Events<'_>) -> StoreResult<bool>;

    /// Marks one session revoked. Idempotent.
    /// Revokes the session if it is not revoked yet, committing `events` with it; `false` (and
    /// no event) when it was missing or revoked already: of racing revocations, one reports.
    async fn revoke_session(&self, session_id: &str, events: Events<'_>) -> StoreResult<bool>;

    /// Every session of the user that is not revoked (expired ones included: the caller judges).
    async fn list_sessions(&self, user_id: &str) -> StoreResult<Vec<Session>>;
}

/// One-time code challenges: a keyed hash, tries spent atomically, consumed once.
#[async_trait]
pub trait CodeStore: Send + Sync {
    /// Starts a one-time code challenge, replacing an earlier one of the same user and purpose
    /// unless that one was created less than `cooldown_secs` before `now` (`Conflict`).
    async fn put_code(&self, challenge: &CodeChallenge, cooldown_secs: i64, now: Epoch) -> StoreResult<()>;

    /// Spends one try of the challenge in one atomic write, if it is alive at `now` and has
    /// tries left ([`crate::domain::codes::spendable`]); returns it as it is after the write.
    /// `None`: no try was spent. However many check at once, at most `max_attempts` tries are
    /// ever handed out.
    async fn spend_code_try(
        &self,
        user_id: &str,
        purpose: &str,
        now: Epoch,
        max_attempts: u32,
    ) -> StoreResult<Option<CodeChallenge>>;

    /// Deletes the challenge if it still holds `code_hash`: of several right answers, exactly
    /// one consumes it. `false` when it was gone.
    async fn consume_code(&self, user_id: &str, purpose: &str, code_hash: &str) -> StoreResult<bool>;

    async fn get_code(&self, user_id: &str, purpose: &str) -> StoreResult<Option<CodeChallenge>>;

    async fn delete_code(&self, user_id: &str, purpose: &str) -> StoreResult<()>;
}

/// Push step-up challenges, one in flight per session.
#[async_trait]
pub trait PushStore: Send + Sync {
    /// Stores a new push challenge unless one is already in flight (pending and unexpired) for
    /// the same session (`Conflict`).
    async fn create_push_challenge(&self, challenge: &PushChallenge, now: Epoch) -> StoreResult<()>;

    async fn get_push_challenge(&self, id: &str) -> StoreResult<Option<PushChallenge>>;

    /// Settles a pending, unexpired challenge; an approval steps its session up in the same
    /// atomic write, anchored as the challenge's device is ([`PushChallenge::anchored`]). `Conflict` when it is no longer pending or the session is gone.
    async fn answer_push_challenge(
        &self,
        challenge: &PushChallenge,
        status: PushStatus,
        now: Epoch,
        events: Events<'_>,
    ) -> StoreResult<()>;

    /// Removes a challenge that could not be delivered, and frees its session for another.
    async fn cancel_push_challenge(&self, challenge: &PushChallenge) -> StoreResult<()>;

    /// Hands out the login of an approved login by push, once: one conditional write, `false`
    /// when it is not approved or was claimed already. Of racing polls, one gets the login.
    async fn claim_push_login(&self, id: &str) -> StoreResult<bool>;
}

/// WebAuthn ceremonies between their two halves, and which account a passkey's user handle
/// names.
#[async_trait]
pub trait CeremonyStore: Send + Sync {
    /// Stores a ceremony's first half, replacing an earlier one of the same id (a session
    /// that starts again gets a fresh challenge; the old one is dead).
    async fn put_ceremony(&self, ceremony: &Ceremony) -> StoreResult<()>;

    /// Removes and returns ceremony `id` if it is of `kind`, in one conditional write: a
    /// challenge is answered once however many answers race (exactly one gets it), and an
    /// answer of another kind leaves it standing. Expired ones are returned too: the caller
    /// judges.
    async fn take_ceremony(&self, id: &str, kind: CeremonyKind) -> StoreResult<Option<Ceremony>>;

    /// Records that `name` (a WebAuthn user handle, `HANDLE#<uuid>`, or a credential id,
    /// `CREDENTIAL#<id>`) is the account `email`'s: `true` when this call made the claim,
    /// `false` when the account held it already, `Conflict` when it is another's. A credential
    /// id belongs to one account only (WebAuthn §7.1, step 22).
    async fn claim_passkey_name(&self, name: &str, email: &str) -> StoreResult<bool>;

    /// Gives `name` up, if it is still `email`'s.
    async fn release_passkey_name(&self, name: &str, email: &str) -> StoreResult<()>;

    /// The account e-mail `name` is claimed by.
    async fn passkey_owner(&self, name: &str) -> StoreResult<Option<String>>;
}

/// Rate and budget counters per window, and cooldown claims.
#[async_trait]
pub trait RateStore: Send + Sync {
    /// Counts one hit of `key` in the window that ends at `window_end`; returns the count.
    async fn hit_rate_counter(&self, key: &str, window_end: Epoch) -> StoreResult<u64>;

    /// The hits of `key` in the window that ends at `window_end` (0 if none), read only.
    async fn get_rate_counter(&self, key: &str, window_end: Epoch) -> StoreResult<u64>;

    /// Gives one hit back (a request refused by another budget spends none of this one).
    async fn release_rate_counter(&self, key: &str, window_end: Epoch) -> StoreResult<()>;

    /// Claims `key` for `secs` from `now` in one conditional write: `false` while an earlier
    /// claim is less than `secs` old (a cooldown, exact rather than windowed).
    async fn claim_cooldown(&self, key: &str, now: Epoch, secs: i64) -> StoreResult<bool>;

    /// Gives back the claim made at `claimed_at` (what it guarded did not happen); a later
    /// claim of the same key is left alone.
    async fn release_cooldown(&self, key: &str, claimed_at: Epoch) -> StoreResult<()>;
}

/// Surface-2 refresh-token families ([`crate::domain::refresh`]): no token is stored, only
/// which generation of each family refreshes next.
#[async_trait]
pub trait RefreshStore: Send + Sync {
    /// In one atomic write: stores a new family, records the login on the account as
    /// [`SessionStore::open_session`] does, and clears the failed-login counter: its surface-2
    /// twin.
    async fn open_refresh(&self, family: &RefreshFamily, user: &User, events: Events<'_>) -> StoreResult<User>;

    /// The family as stored (revoked and expired ones included), or `None`.
    async fn get_refresh(&self, family_id: &str) -> StoreResult<Option<RefreshFamily>>;

    /// Spends generation `generation` in one conditional write: the family must be live at
    /// `now` and still at `generation`; it moves to `generation + 1`, its grace retry unused.
    /// `false` when the condition failed (a concurrent refresh won, or the family ended):
    /// however many race, one generation is spent once.
    async fn rotate_refresh(&self, family_id: &str, generation: u64, now: Epoch) -> StoreResult<bool>;

    /// Uses the family's one grace retry, in one conditional write: the family must be live
    /// at `now`, still at `generation` and its retry unused. `false` otherwise.
    async fn retry_refresh(&self, family_id: &str, generation: u64, now: Epoch) -> StoreResult<bool>;

    /// Ends a family. Idempotent; an unknown family is ignored (as `revoke_session`).
    async fn revoke_refresh(&self, family_id: &str, events: Events<'_>) -> StoreResult<bool>;

    /// Every family of the user that is not revoked (expired ones included: the caller judges).
    async fn list_refresh(&self, user_id: &str) -> StoreResult<Vec<RefreshFamily>>;
}

/// The accounts' security-event trails. Events that report a change are written by the
/// change's own write (see [`Events`]); these are the rest.
#[async_trait]
pub trait EventStore: Send + Sync {
    /// Records events that are themselves the change (a failed check changes nothing else).
    async fn record_events(&self, events: Events<'_>) -> StoreResult<()>;

    /// The account's events, newest first: at most `limit`, older than the trail key `before`
    /// when given. Expired ones (the trail keeps [`crate::domain::events::TRAIL_SECS`]) are
    /// the caller's to drop.
    async fn list_events(&self, user_id: &str, before: Option<&str>, limit: usize) -> StoreResult<Vec<SecurityEvent>>;
}

/// Every port at once: what an adapter implements and what the application holds. Use cases
/// take the narrow ports they use; `Store` is their union (implemented for any that has all).
pub trait Store:
    AccountStore
    + LockoutStore
    + SessionStore
    + CodeStore
    + PushStore
    + RateStore
    + RefreshStore
    + EventStore
    + CeremonyStore
    + MoveStore
    + DeviceStore
    + ErasureStore
    + ClientStore
    + ScanStore
{
}

impl<T> Store for T where
    T: AccountStore
        + LockoutStore
        + SessionStore
        + CodeStore
        + PushStore
        + RateStore
        + RefreshStore
        + EventStore
        + CeremonyStore
        + MoveStore
        + DeviceStore
        + ErasureStore
        + ClientStore
        + ScanStore
{
}

/// The ports, to bring their methods into scope: `use crate::store::prelude::*;`.
pub mod prelude {
    pub use super::{
        AccountStore, CeremonyStore, ClientStore, CodeStore, DeviceStore, ErasureStore, EventStore, Events,
        LockoutStore, MoveStore, PushStore, RateStore, RefreshStore, ScanStore, SessionStore, Store,
    };
}
