//! Reserving an attempt before a secret is checked (a password, a one-time code, a TOTP code):
//! the lockout state machine of [`crate::domain::lockout`] decides, the store persists its
//! decision with a conditional write, and a lost race is retried on the fresh state. However
//! many requests arrive at once, at most `threshold` checks run per lock window. Each function
//! takes only the port and the time it uses.

use crate::config::Config;
use crate::domain::Epoch;
use crate::domain::error::DomainError;
use crate::domain::lockout::{Lockout, LockoutPolicy};
use crate::store::{LockoutStore, StoreError, StoredLockout};

/// Rounds of read-decide-write before a reservation gives up with a 503. Each round lost means
/// another request's reservation won, so a burst settles in as many rounds as it is wide; once
/// the threshold is reached every later round ends at once with a lock.
const MAX_ROUNDS: usize = 128;

pub fn policy(config: &Config) -> LockoutPolicy {
    LockoutPolicy { threshold: config.lockout_threshold, duration_secs: config.lockout_secs }
}

/// Refuses with 423 while the counter read says the account is locked.
pub fn refuse_if_locked(stored: &StoredLockout, now: Epoch) -> Result<(), DomainError> {
    stored.state.check(now).map_err(|l| DomainError::Locked { retry_after: l.retry_after(now) })
}

/// Reserves one attempt for `email`, starting from `stored` as just read. Returns the counter
/// as stored with this attempt counted: if the check then fails and the counter is locked,
/// the answer is 423. `Err(Locked)` when the account is locked before the check runs.
pub async fn reserve(
    store: &dyn LockoutStore,
    policy: LockoutPolicy,
    email: &str,
    mut stored: StoredLockout,
    now: Epoch,
) -> Result<Lockout, DomainError> {
    for round in 0..MAX_ROUNDS {
        let next =
            policy.reserve(stored.state, now).map_err(|l| DomainError::Locked { retry_after: l.retry_after(now) })?;
        match store.save_lockout(email, stored.version, &next).await {
            Ok(()) => {
                if next.is_locked(now) {
                    tracing::warn!("account locked after consecutive failed attempts");
                }
                return Ok(next);
            }
            Err(StoreError::Conflict) => {
                if round > 4 {
                    // A wide burst: spread the retries a little so they stop colliding.
                    let jitter = crate::crypto::random_bytes::<1>().map(|b| u64::from(b[0] % 4)).unwrap_or(1);
                    tokio::time::sleep(std::time::Duration::from_millis(1 + jitter)).await;
                }
                stored = store.load_lockout(email).await?;
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(DomainError::Unavailable { retry_after: 1, source: "the failed-attempt counter kept changing".into() })
}

/// The answer to a check that failed after its attempt was reserved: 423 when that attempt
/// locked the account, otherwise `wrong`.
pub fn failed(reserved: &Lockout, wrong: DomainError, now: Epoch) -> DomainError {
    match reserved.check(now) {
        Err(l) => DomainError::Locked { retry_after: l.retry_after(now) },
        Ok(()) => wrong,
    }
}

/// A check succeeded: the counter starts again from zero.
pub async fn succeeded(store: &dyn LockoutStore, email: &str) -> Result<(), DomainError> {
    store.clear_lockout(email).await.map_err(Into::into)
}
