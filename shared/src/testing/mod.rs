//! Test doubles, compiled only with the `test-util` feature (enabled from dev-dependencies, so
//! they never ship): a store wrapper that counts calls and fails on demand, senders that
//! fail, and a key source that counts its loads; and, in [`ledger`], what each function used.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use crate::clock::Epoch;
use crate::domain::error::BoxError;
use crate::domain::events::SecurityEvent;
use crate::email::EmailSender;
use crate::keys::{KeySet, KeySource};
use crate::model::{
    Ceremony, CeremonyKind, CodeChallenge, Grant, KnownDevice, Lockout, MovedAddress, PushChallenge, PushPlatform,
    PushStatus, RefreshFamily, Session, SessionStatus, User,
};
use crate::push::PushSender;
use crate::sms::SmsSender;
use crate::store::prelude::*;
use crate::store::{AccountMove, FailedLogins, StoreError, StoreResult, StoredLockout};

mod ledger;
pub use ledger::{
    DynamoCallLog, FUNCTION, Ledger, ProbeSenders, current_function, note_transfer, transfers_by_function,
};
pub(crate) use ledger::{PORT_METHOD, note};

/// How a [`ProbeStore`] answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Passes every call through.
    None = 0,
    /// Every call fails as throttled or unreachable.
    Unavailable = 1,
    /// Every call fails with an unexpected error.
    Broken = 2,
}

/// Wraps a store: counts each call by method, fails every call while a fault is set, and can
/// fail one method from its n-th call on (a write that breaks midway through a sequence).
pub struct ProbeStore {
    inner: Arc<dyn Store>,
    fault: AtomicU8,
    calls: Mutex<BTreeMap<&'static str, usize>>,
    total: AtomicUsize,
    /// (method, calls that still succeed before it starts failing).
    failing: Mutex<Option<(&'static str, usize)>>,
    /// Calls of any method that still succeed before every call fails.
    failing_after: Mutex<Option<usize>>,
    /// The methods each function called.
    used: Mutex<Ledger>,
    /// Methods whose next call answers `Conflict` (another writer won the race), once each.
    conflicts: Mutex<Vec<&'static str>>,
}

impl ProbeStore {
    pub fn new(inner: Arc<dyn Store>) -> Self {
        ProbeStore {
            inner,
            fault: AtomicU8::new(0),
            calls: Mutex::new(BTreeMap::new()),
            total: AtomicUsize::new(0),
            failing: Mutex::new(None),
            failing_after: Mutex::new(None),
            used: Mutex::new(Ledger::new()),
            conflicts: Mutex::new(Vec::new()),
        }
    }

    /// The next call of `method` answers `Conflict`, as when another request wrote first:
    /// the retry paths, without having to win a race.
    pub fn conflict_once(&self, method: &'static str) {
        if let Ok(mut c) = self.conflicts.lock() {
            c.push(method);
        }
    }

    /// The store methods each function called (requests made inside [`FUNCTION`]).
    pub fn used_by_function(&self) -> Ledger {
        self.used.lock().map(|l| l.clone()).unwrap_or_default()
    }

    /// After `successes` more calls (of any method) succeed, every call fails as unavailable,
    /// until [`ProbeStore::heal`]: a request broken at its n-th store call.
    pub fn fail_after_calls(&self, successes: usize) {
        if let Ok(mut f) = self.failing_after.lock() {
            *f = Some(successes);
        }
    }

    /// After `successes` more calls of `method` succeed, every further call of it fails as
    /// unavailable, until [`ProbeStore::heal`].
    pub fn fail_method_after(&self, method: &'static str, successes: usize) {
        if let Ok(mut f) = self.failing.lock() {
            *f = Some((method, successes));
        }
    }

    pub fn heal(&self) {
        if let Ok(mut f) = self.failing.lock() {
            *f = None;
        }
        if let Ok(mut f) = self.failing_after.lock() {
            *f = None;
        }
        self.set_fault(Fault::None);
    }

    pub fn set_fault(&self, fault: Fault) {
        self.fault.store(fault as u8, Ordering::SeqCst);
    }

    /// Calls since the last reset.
    pub fn round_trips(&self) -> usize {
        self.total.load(Ordering::SeqCst)
    }

    pub fn calls(&self) -> BTreeMap<&'static str, usize> {
        self.calls.lock().map(|c| c.clone()).unwrap_or_default()
    }

    pub fn reset(&self) {
        self.total.store(0, Ordering::SeqCst);
        if let Ok(mut c) = self.calls.lock() {
            c.clear();
        }
    }

    fn enter(&self, method: &'static str) -> StoreResult<()> {
        note(&self.used, method);
        if let Ok(mut c) = self.conflicts.lock()
            && let Some(at) = c.iter().position(|m| *m == method)
        {
            c.remove(at);
            return Err(StoreError::Conflict);
        }
        self.total.fetch_add(1, Ordering::SeqCst);
        if let Ok(mut c) = self.calls.lock() {
            *c.entry(method).or_default() += 1;
        }
        if let Ok(mut after) = self.failing_after.lock()
            && let Some(left) = after.as_mut()
        {
            if *left == 0 {
                return Err(StoreError::Unavailable(format!("injected: the store failed at {method}").into()));
            }
            *left -= 1;
        }
        if let Ok(mut failing) = self.failing.lock()
            && let Some((m, left)) = failing.as_mut()
            && *m == method
        {
            if *left == 0 {
                return Err(StoreError::Unavailable(format!("injected: {method} failed midway").into()));
            }
            *left -= 1;
        }
        match self.fault.load(Ordering::SeqCst) {
            1 => Err(StoreError::Unavailable("injected: throttled".into())),
            2 => Err(StoreError::Other("injected: broken".into())),
            _ => Ok(()),
        }
    }
}

macro_rules! probe_store {
    ($( $trait:ident { $( fn $name:ident(&self $(, $arg:ident : $ty:ty)*) -> $ret:ty; )* } )*) => {
        $( #[async_trait]
        impl $trait for ProbeStore {
            $( async fn $name(&self $(, $arg: $ty)*) -> $ret {
                self.enter(stringify!($name))?;
                PORT_METHOD.scope(stringify!($name), self.inner.$name($($arg),*)).await
            } )*
        } )*
        impl ProbeStore {
            /// Every port method, by name.
            pub const METHODS: &'static [&'static str] = &[ $( $( stringify!($name), )* )* ];
        }
    };
}

probe_store! {
    AccountStore {
        fn create_user(&self, user: &User) -> StoreResult<()>;
        fn get_user(&self, email: &str) -> StoreResult<Option<User>>;
        fn update_user(&self, user: &User, events: Events<'_>) -> StoreResult<User>;
        fn load_login(&self, email: &str, now: Epoch) -> StoreResult<(Option<User>, StoredLockout)>;
        fn update_user_spending_step_up(&self, user: &User, session_id: &str, now: Epoch, events: Events<'_>) -> StoreResult<User>;
    }
    LockoutStore {
        fn load_lockout(&self, email: &str) -> StoreResult<StoredLockout>;
        fn save_lockout(&self, email: &str, expected: Option<u64>, next: &Lockout) -> StoreResult<()>;
        fn clear_lockout(&self, email: &str) -> StoreResult<()>;
    }
    SessionStore {
        fn open_session(&self, session: &Session, user: &User, failed: FailedLogins, events: Events<'_>) -> StoreResult<User>;
        fn touch_session(&self, session_id: &str, grant: Option<&str>, now: Epoch, new_idle: Epoch) -> StoreResult<Option<Session>>;
        fn get_session(&self, session_id: &str) -> StoreResult<Option<Session>>;
        fn add_grant(&self, session_id: &str, grant_id: &str, grant: &Grant, expired: &[String], now: Epoch) -> StoreResult<()>;
        fn set_session_status(&self, session_id: &str, status: SessionStatus, anchored: bool, now: Epoch, events: Events<'_>) -> StoreResult<()>;
        fn end_session(&self, session_id: &str, now: Epoch, events: Events<'_>) -> StoreResult<bool>;
        fn revoke_session(&self, session_id: &str, events: Events<'_>) -> StoreResult<bool>;
        fn list_sessions(&self, user_id: &str) -> StoreResult<Vec<Session>>;
    }
    CodeStore {
        fn put_code(&self, challenge: &CodeChallenge, cooldown_secs: i64, now: Epoch) -> StoreResult<()>;
        fn spend_code_try(&self, user_id: &str, purpose: &str, now: Epoch, max_attempts: u32) -> StoreResult<Option<CodeChallenge>>;
        fn consume_code(&self, user_id: &str, purpose: &str, code_hash: &str) -> StoreResult<bool>;
        fn get_code(&self, user_id: &str, purpose: &str) -> StoreResult<Option<CodeChallenge>>;
        fn delete_code(&self, user_id: &str, purpose: &str) -> StoreResult<()>;
    }
    PushStore {
        fn create_push_challenge(&self, challenge: &PushChallenge, now: Epoch) -> StoreResult<()>;
        fn get_push_challenge(&self, id: &str) -> StoreResult<Option<PushChallenge>>;
        fn answer_push_challenge(&self, challenge: &PushChallenge, status: PushStatus, now: Epoch, events: Events<'_>) -> StoreResult<()>;
        fn cancel_push_challenge(&self, challenge: &PushChallenge) -> StoreResult<()>;
        fn claim_push_login(&self, id: &str) -> StoreResult<bool>;
    }
    CeremonyStore {
        fn put_ceremony(&self, ceremony: &Ceremony) -> StoreResult<()>;
        fn take_ceremony(&self, id: &str, kind: CeremonyKind) -> StoreResult<Option<Ceremony>>;
        fn claim_passkey_name(&self, name: &str, email: &str) -> StoreResult<bool>;
        fn release_passkey_name(&self, name: &str, email: &str) -> StoreResult<()>;
        fn passkey_owner(&self, name: &str) -> StoreResult<Option<String>>;
    }
    RateStore {
        fn hit_rate_counter(&self, key: &str, window_end: Epoch) -> StoreResult<u64>;
        fn get_rate_counter(&self, key: &str, window_end: Epoch) -> StoreResult<u64>;
        fn release_rate_counter(&self, key: &str, window_end: Epoch) -> StoreResult<()>;
        fn claim_cooldown(&self, key: &str, now: Epoch, secs: i64) -> StoreResult<bool>;
        fn release_cooldown(&self, key: &str, claimed_at: Epoch) -> StoreResult<()>;
    }
    RefreshStore {
        fn open_refresh(&self, family: &RefreshFamily, user: &User, events: Events<'_>) -> StoreResult<User>;
        fn get_refresh(&self, family_id: &str) -> StoreResult<Option<RefreshFamily>>;
        fn rotate_refresh(&self, family_id: &str, generation: u64, now: Epoch) -> StoreResult<bool>;
        fn retry_refresh(&self, family_id: &str, generation: u64, now: Epoch) -> StoreResult<bool>;
        fn revoke_refresh(&self, family_id: &str, events: Events<'_>) -> StoreResult<bool>;
        fn list_refresh(&self, user_id: &str) -> StoreResult<Vec<RefreshFamily>>;
    }
    ErasureStore {
        fn get_account_record(&self, email: &str) -> StoreResult<Option<User>>;
        fn erase_user_items(&self, user_id: &str) -> StoreResult<usize>;
        fn list_login_ids(&self, user_id: &str) -> StoreResult<Vec<String>>;
        fn erase_counters(&self, keys: &[String]) -> StoreResult<()>;
        fn erase_account(&self, user: &User) -> StoreResult<()>;
    }
    EventStore {
        fn record_events(&self, events: Events<'_>) -> StoreResult<()>;
        fn list_events(&self, user_id: &str, before: Option<&str>, limit: usize) -> StoreResult<Vec<SecurityEvent>>;
    }
    MoveStore {
        fn move_account(&self, mv: AccountMove<'_>, moved: &MovedAddress, events: Events<'_>) -> StoreResult<User>;
        fn revert_account(&self, mv: AccountMove<'_>, nonce_hash: &str, events: Events<'_>) -> StoreResult<User>;
        fn get_moved(&self, email: &str) -> StoreResult<Option<MovedAddress>>;
    }
    DeviceStore {
        fn see_device(&self, device: &KnownDevice, now: Epoch) -> StoreResult<bool>;
        fn list_devices(&self, user_id: &str) -> StoreResult<Vec<KnownDevice>>;
        fn forget_devices(&self, user_id: &str) -> StoreResult<usize>;
    }
    ClientStore {
        fn put_client(&self, client: &crate::model::oidc::OidcClient) -> StoreResult<()>;
        fn get_client(&self, client_id: &str) -> StoreResult<Option<crate::model::oidc::OidcClient>>;
        fn list_clients(&self) -> StoreResult<Vec<crate::model::oidc::OidcClient>>;
        fn remove_client(&self, client_id: &str) -> StoreResult<bool>;
    }
    ScanStore {
        fn scan_accounts(&self, cursor: Option<&str>, limit: usize) -> StoreResult<crate::store::scan::Page>;
    }
}

/// A sender whose provider can be taken down: while down, SMS, push and e-mail all fail;
/// while up, every send succeeds (and nothing is kept).
#[derive(Default)]
pub struct FlakySender {
    down: AtomicBool,
}

impl FlakySender {
    pub fn down() -> Self {
        FlakySender { down: AtomicBool::new(true) }
    }

    pub fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
    }

    fn check(&self, what: &str) -> Result<(), BoxError> {
        if self.down.load(Ordering::SeqCst) { Err(format!("injected: {what} unavailable").into()) } else { Ok(()) }
    }
}

#[async_trait]
impl SmsSender for FlakySender {
    async fn send(&self, _to: &str, _body: &str) -> Result<(), BoxError> {
        self.check("SNS")
    }
}

#[async_trait]
impl PushSender for FlakySender {
    async fn register(&self, _platform: PushPlatform, _token: &str) -> Result<String, BoxError> {
        self.check("SNS").map(|_| "flaky:endpoint".to_owned())
    }
    async fn unregister(&self, _endpoint: &str) -> Result<(), BoxError> {
        self.check("SNS")
    }
    async fn send(&self, _endpoint: &str, _payload: &serde_json::Value) -> Result<(), BoxError> {
        self.check("SNS")
    }
}

#[async_trait]
impl EmailSender for FlakySender {
    async fn send(&self, _to: &str, _subject: &str, _body: &str) -> Result<(), BoxError> {
        self.check("SES")
    }
}

/// Wraps a key source and counts how often keys are loaded.
pub struct CountingKeys {
    inner: Arc<dyn KeySource>,
    loads: AtomicUsize,
}

impl CountingKeys {
    pub fn new(inner: Arc<dyn KeySource>) -> Self {
        CountingKeys { inner, loads: AtomicUsize::new(0) }
    }

    pub fn loads(&self) -> usize {
        self.loads.load(Ordering::SeqCst)
    }
}

#[async_trait]
impl KeySource for CountingKeys {
    async fn load(&self) -> Result<KeySet, BoxError> {
        self.loads.fetch_add(1, Ordering::SeqCst);
        self.inner.load().await
    }
}

/// Counts of secret comparisons the service made, keyed by what was compared (a password hash,
/// a user's code challenge), so attack tests can count work done rather than guess from answers.
static TALLY: Mutex<BTreeMap<String, usize>> = Mutex::new(BTreeMap::new());

/// Records one comparison under `key` (called by the service itself, only in test builds).
pub fn tally(key: &str) {
    if let Ok(mut t) = TALLY.lock() {
        *t.entry(key.to_owned()).or_default() += 1;
    }
}

/// Comparisons recorded under `key` so far.
pub fn tallied(key: &str) -> usize {
    TALLY.lock().map(|t| t.get(key).copied().unwrap_or(0)).unwrap_or(0)
}

/// Comparisons recorded under every key that starts with `prefix`.
pub fn tallied_with_prefix(prefix: &str) -> usize {
    TALLY.lock().map(|t| t.iter().filter(|(k, _)| k.starts_with(prefix)).map(|(_, n)| n).sum()).unwrap_or(0)
}

/// A key source that hands out only some purposes of another's keys: a function as its
/// template entry configures it.
pub struct RestrictedKeys {
    pub inner: Arc<dyn KeySource>,
    pub purposes: Vec<crate::keys::Purpose>,
}

#[async_trait]
impl KeySource for RestrictedKeys {
    async fn load(&self) -> Result<KeySet, BoxError> {
        Ok(self.inner.load().await?.restricted_to(&self.purposes))
    }
}
