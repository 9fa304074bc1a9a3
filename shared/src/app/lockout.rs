//! Reserving an attempt before a secret is checked (a password, a one-time code, a TOTP code, a
//! passkey): the lockout state machine of [`crate::domain::lockout`] decides, the store persists
//! its decision with a conditional write, and a lost race is retried on the fresh state. However
//! many requests arrive at once, at most `threshold` checks run per lock window. Every path that
//! checks a secret names its [`Check`] and goes through [`attempt`]: its failure is counted and
//! recorded here, in one place, and an attempt that neither fails nor succeeds gives its place
//! back.

use crate::app::{App, Ctx};
use crate::config::Config;
use crate::domain::Epoch;
use crate::domain::error::DomainError;
use crate::domain::events::{EventType, Origin, SecurityEvent};
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

/// How long a reservation waits for room (attempts in flight to end) before answering 503.
const WAIT_FOR_ROOM: std::time::Duration = std::time::Duration::from_secs(5);

/// Reserves one attempt for `email`, starting from `stored` as just read: the counter as stored
/// with this attempt in flight. `Err(Locked)` when the account is locked before the check runs.
/// While the failures and the attempts in flight fill the threshold, it waits for room (those
/// attempts end within an Argon2 verification or so), re-reading the counter; right answers
/// arriving all at once are therefore never refused as locked, only a little delayed.
async fn reserve(
    store: &dyn LockoutStore,
    policy: LockoutPolicy,
    email: &str,
    mut stored: StoredLockout,
    now: Epoch,
) -> Result<Lockout, DomainError> {
    let deadline = tokio::time::Instant::now() + WAIT_FOR_ROOM;
    let mut conflicts = 0usize;
    loop {
        let locked = |l: crate::domain::lockout::Locked| DomainError::Locked { retry_after: l.retry_after(now) };
        stored.state.check(now).map_err(locked)?;
        let wait = if policy.has_room(stored.state, now) {
            let next = policy.reserve(stored.state, now).map_err(locked)?;
            match store.save_lockout(email, stored.version, &next).await {
                Ok(()) => return Ok(next),
                Err(StoreError::Conflict) => {
                    conflicts += 1;
                    conflicts > 4
                }
                Err(e) => return Err(e.into()),
            }
        } else {
            true
        };
        // Waiting for room is bounded by the time; lost races by their number.
        if conflicts > MAX_ROUNDS || tokio::time::Instant::now() >= deadline {
            return Err(DomainError::Unavailable {
                retry_after: 1,
                source: "the failed-attempt counter kept changing".into(),
            });
        }
        if wait {
            // No room yet, or a wide burst: spread the retries a little so they stop colliding.
            let jitter = crate::crypto::random_bytes::<1>().map(|b| u64::from(b[0] % 8)).unwrap_or(4);
            tokio::time::sleep(std::time::Duration::from_millis(2 + jitter)).await;
        }
        stored = store.load_lockout(email).await?;
    }
}

/// Counts a failure of an attempt reserved on `email`'s counter, with a conditional write on
/// the state read (retried on a lost race); returns the counter as stored, and whether this
/// failure is the one that locked it.
async fn count_failure(
    store: &dyn LockoutStore,
    policy: LockoutPolicy,
    email: &str,
    now: Epoch,
) -> Result<(Lockout, bool), DomainError> {
    for _ in 0..MAX_ROUNDS {
        let stored = store.load_lockout(email).await?;
        if stored.state.is_locked(now) {
            // Locked by another failure meanwhile: nothing more to count.
            return Ok((stored.state, false));
        }
        let next = policy.failed(stored.state, now);
        match store.save_lockout(email, stored.version, &next).await {
            Ok(()) => {
                if next.is_locked(now) {
                    tracing::warn!("account locked after consecutive failed attempts");
                }
                return Ok((next, next.is_locked(now)));
            }
            Err(StoreError::Conflict) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(DomainError::Unavailable { retry_after: 1, source: "the failed-attempt counter kept changing".into() })
}

/// A check succeeded: the counter starts again from zero.
pub async fn succeeded(store: &dyn LockoutStore, email: &str) -> Result<(), DomainError> {
    store.clear_lockout(email).await.map_err(Into::into)
}

/// Every check that spends a lockout attempt: defined with the lockout's rules, since the
/// failure's event and the metrics name it too.
pub use crate::domain::lockout::Check;

/// Whose attempt a check spends, for the record of its failure: the account (or, for an
/// address or credential without one, a decoy trail nobody reads), the session or family it
/// ran in, where the request came from, and details of the path (a channel, a method).
#[derive(Debug, Clone)]
pub struct Who {
    pub user_id: String,
    pub session_id: Option<String>,
    pub origin: Option<Origin>,
    pub details: Vec<(&'static str, serde_json::Value)>,
}

impl Who {
    pub fn new(user_id: &str, ctx: &Ctx) -> Self {
        Who {
            user_id: user_id.to_owned(),
            session_id: None,
            origin: Some(crate::app::events::origin(ctx)),
            details: Vec::new(),
        }
    }

    pub fn session(mut self, session_id: &str) -> Self {
        self.session_id = Some(session_id.to_owned());
        self
    }

    pub fn with(mut self, key: &'static str, value: impl Into<serde_json::Value>) -> Self {
        self.details.push((key, value.into()));
        self
    }
}

/// An attempt reserved for one check (see [`attempt`]): in flight until it is settled by
/// [`Attempt::failed`], [`Attempt::succeeded`], [`Attempt::settle`] or [`Attempt::release`].
/// One dropped unsettled (an early return, a request cancelled mid-check) gives its place back
/// from a task of its own, so no path can hold the account's room for the attempt's lifetime.
pub struct Attempt {
    check: Check,
    who: Who,
    email: String,
    store: std::sync::Arc<dyn crate::store::Store>,
    policy: LockoutPolicy,
    /// When it was reserved: a place given back on drop is judged at that time.
    at: Epoch,
    settled: bool,
}

/// Reserves one attempt of `email`'s counter (read as `stored`) for `check`, by `who`.
pub async fn attempt(
    app: &App,
    check: Check,
    who: Who,
    email: &str,
    stored: StoredLockout,
    now: Epoch,
) -> Result<Attempt, DomainError> {
    reserve(app.store.as_ref(), policy(&app.config), email, stored, now).await?;
    Ok(Attempt {
        check,
        who,
        email: email.to_owned(),
        store: std::sync::Arc::clone(&app.store),
        policy: policy(&app.config),
        at: now,
        settled: false,
    })
}

/// Gives an attempt's place back: one fewer in flight, with a conditional write (retried on a
/// lost race). Nothing to do when the counter was cleared or forgotten meanwhile.
async fn release_place(store: &dyn LockoutStore, policy: LockoutPolicy, email: &str, now: Epoch) {
    for _ in 0..8 {
        let stored = match store.load_lockout(email).await {
            Ok(stored) => stored,
            Err(e) => return tracing::warn!(error = %e, "could not give an attempt's place back"),
        };
        let next = policy.released(stored.state, now);
        if next == stored.state.current(now) && stored.state.current(now).in_flight == 0 {
            return;
        }
        match store.save_lockout(email, stored.version, &next).await {
            Ok(()) => return,
            Err(StoreError::Conflict) => continue,
            Err(e) => return tracing::warn!(error = %e, "could not give an attempt's place back"),
        }
    }
}

impl Drop for Attempt {
    fn drop(&mut self) {
        if self.settled {
            return;
        }
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let (store, policy, email, at) =
                (std::sync::Arc::clone(&self.store), self.policy, self.email.clone(), self.at);
            runtime.spawn(async move { release_place(store.as_ref(), policy, &email, at).await });
        }
    }
}

impl Attempt {
    /// The check failed: counts the failure, records it (and the lock, when this failure
    /// reached the threshold) on the trail, and answers 423 when the account is locked by now,
    /// otherwise `wrong`.
    pub async fn failed(mut self, app: &App, wrong: DomainError, now: Epoch) -> DomainError {
        self.settled = true;
        let (counted, locked) = match count_failure(app.store.as_ref(), policy(&app.config), &self.email, now).await {
            Ok(counted) => counted,
            Err(e) => return e,
        };
        let answer = match counted.check(now) {
            Err(l) => DomainError::Locked { retry_after: l.retry_after(now) },
            Ok(()) => wrong,
        };
        match self.record(app, locked) {
            Ok(events) => {
                if let Err(e) = app.store.record_events(&events).await {
                    return e.into();
                }
            }
            Err(e) => return e,
        }
        answer
    }

    /// The same attempt, its failure to carry `key` (replacing an earlier value of it).
    pub fn with(mut self, key: &'static str, value: impl Into<serde_json::Value>) -> Self {
        self.who.details.retain(|(k, _)| *k != key);
        self.who.details.push((key, value.into()));
        self
    }

    /// The check succeeded: the counter starts again from zero (this attempt with it).
    pub async fn succeeded(mut self, app: &App) -> Result<(), DomainError> {
        self.settled = true;
        succeeded(app.store.as_ref(), &self.email).await
    }

    /// The check succeeded, and the write that follows clears the counter itself (a login's).
    pub fn settle(mut self) {
        self.settled = true;
    }

    /// The check neither failed nor succeeded (a right password of a blocked account, a right
    /// code another request consumed first): its place is given back, nothing is counted.
    pub async fn release(mut self, app: &App, now: Epoch) {
        self.settled = true;
        release_place(app.store.as_ref(), policy(&app.config), &self.email, now).await;
    }

    fn record(&self, app: &App, locked: bool) -> Result<Vec<SecurityEvent>, DomainError> {
        let who = &self.who;
        let stamp = |mut e: SecurityEvent| {
            e.session_id.clone_from(&who.session_id);
            e.origin.clone_from(&who.origin);
            e.with("check", self.check.name())
        };
        let mut failure = stamp(crate::app::events::event(app, self.check.failure(), &who.user_id)?);
        for (k, v) in &who.details {
            failure = failure.with(k, v.clone());
        }
        let mut events = vec![failure];
        if locked {
            let lock = crate::app::events::event(app, EventType::AccountLocked, &who.user_id)?;
            events.push(stamp(lock).with("lockedForSeconds", app.config.lockout_secs));
        }
        Ok(events)
    }
}
