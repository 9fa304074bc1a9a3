//! Persistence port. The trait is coarse on purpose: each method is one atomic step of the
//! domain (open a session and record the login, count a failure, slide an idle expiry), so each
//! adapter can make it one round trip and one atomic write.

use async_trait::async_trait;

use crate::clock::Epoch;
use crate::error::{AuthError, BoxError};
use crate::model::{
    CodeChallenge, CodeCheck, Grant, Lockout, PushChallenge, PushStatus, RefreshToken, Session, SessionStatus, User,
};

pub mod dynamo;
pub mod memory;

pub use dynamo::DynamoStore;
pub use memory::MemoryStore;

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

impl From<StoreError> for AuthError {
    fn from(e: StoreError) -> Self {
        match e {
            // A lost race that the handler did not resolve itself: the client may simply retry.
            StoreError::Conflict => AuthError::Unavailable { retry_after: 1, source: "write conflict".into() },
            StoreError::Unavailable(source) => AuthError::Unavailable { retry_after: 1, source },
            StoreError::Other(source) => AuthError::Internal(source),
        }
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

#[async_trait]
pub trait Store: Send + Sync {
    /// Creates an account; `Conflict` when the email is taken.
    async fn create_user(&self, user: &User) -> StoreResult<()>;

    async fn get_user(&self, email: &str) -> StoreResult<Option<User>>;

    /// Replaces the account if it is still at `user.version`, storing `user.version + 1`.
    /// Returns the stored record; `Conflict` when someone wrote in between.
    async fn update_user(&self, user: &User) -> StoreResult<User>;

    /// The account and its failed-login counter, in one read.
    async fn load_login(&self, email: &str, now: Epoch) -> StoreResult<(Option<User>, Lockout)>;

    /// Counts one failed login atomically; the failure that reaches `threshold` starts the lock.
    async fn record_login_failure(
        &self,
        email: &str,
        now: Epoch,
        threshold: u32,
        lockout_secs: i64,
    ) -> StoreResult<Lockout>;

    /// In one atomic write: stores the new session, saves `user` (conditional on its version,
    /// as [`Store::update_user`]) and clears the failed-login counter.
    async fn open_session(&self, session: &Session, user: &User) -> StoreResult<User>;

    /// Slides the idle expiry of the session (or of its ACCESS grant `grant`) to `new_idle`,
    /// if it is alive at `now`. `None` when it is missing, revoked or expired.
    async fn touch_session(
        &self,
        session_id: &str,
        grant: Option<&str>,
        now: Epoch,
        new_idle: Epoch,
    ) -> StoreResult<Option<Session>>;

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

    /// Changes the step-up status of a live session; `Conflict` when it is no longer alive.
    async fn set_session_status(&self, session_id: &str, status: SessionStatus, now: Epoch) -> StoreResult<()>;

    /// Logs out in one conditional write: revokes the session if its AUTH token (or its ACCESS
    /// grant `grant`) is alive at `now`. `false` when there was nothing alive to end.
    async fn end_session(&self, session_id: &str, grant: Option<&str>, now: Epoch) -> StoreResult<bool>;

    /// Marks one session revoked. Idempotent.
    async fn revoke_session(&self, session_id: &str) -> StoreResult<()>;

    /// Revokes every session of the user but `except`; returns how many it revoked.
    async fn revoke_user_sessions(&self, user_id: &str, except: Option<&str>) -> StoreResult<usize>;

    /// Starts a one-time code challenge, replacing an earlier one of the same user and purpose
    /// unless that one was created less than `cooldown_secs` before `now` (`Conflict`).
    async fn put_code(&self, challenge: &CodeChallenge, cooldown_secs: i64, now: Epoch) -> StoreResult<()>;

    /// Checks a code's keyed hash against the challenge, atomically: the right code consumes
    /// it (exactly once, however many try at the same time); a wrong one uses up a try.
    async fn check_code(
        &self,
        user_id: &str,
        purpose: &str,
        code_hash: &str,
        now: Epoch,
        max_attempts: u32,
    ) -> StoreResult<CodeCheck>;

    async fn delete_code(&self, user_id: &str, purpose: &str) -> StoreResult<()>;

    /// Stores a new push challenge unless one is already in flight (pending and unexpired) for
    /// the same session (`Conflict`).
    async fn create_push_challenge(&self, challenge: &PushChallenge, now: Epoch) -> StoreResult<()>;

    async fn get_push_challenge(&self, id: &str) -> StoreResult<Option<PushChallenge>>;

    /// Settles a pending, unexpired challenge; an approval steps its session up in the same
    /// atomic write. `Conflict` when it is no longer pending or the session is gone.
    async fn answer_push_challenge(&self, challenge: &PushChallenge, status: PushStatus, now: Epoch)
    -> StoreResult<()>;

    /// Removes a challenge that could not be delivered, and frees its session for another.
    async fn cancel_push_challenge(&self, challenge: &PushChallenge) -> StoreResult<()>;

    /// Counts one hit of `key` in the window that ends at `window_end`; returns the count.
    async fn hit_rate_counter(&self, key: &str, window_end: Epoch) -> StoreResult<u64>;

    /// In one atomic write: stores a refresh token, saves `user` (conditional on its version)
    /// and clears the failed-login counter: the surface-2 twin of [`Store::open_session`].
    async fn open_refresh(&self, token: &RefreshToken, user: &User) -> StoreResult<User>;

    async fn get_refresh(&self, user_id: &str, token_hash: &str) -> StoreResult<Option<RefreshToken>>;

    /// Marks a refresh token revoked. Idempotent; unknown tokens are ignored.
    async fn revoke_refresh(&self, user_id: &str, token_hash: &str) -> StoreResult<()>;
}
