//! The application state, built once per cold start and shared by every request: settings,
//! clock, store, senders and keys.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use crate::clock::{Clock, Epoch};
use crate::config::Config;
use crate::domain::error::BoxError;
use crate::email::EmailSender;
use crate::keys::{KeySet, KeySource};
use crate::push::PushSender;
use crate::sms::SmsSender;
use crate::store::Store;

pub struct App {
    pub config: Config,
    pub clock: Arc<dyn Clock>,
    pub store: Arc<dyn Store>,
    pub sms: Arc<dyn SmsSender>,
    pub push: Arc<dyn PushSender>,
    pub email: Arc<dyn EmailSender>,
    key_source: Arc<dyn KeySource>,
    keys: RwLock<Arc<KeySet>>,
    last_reload: Mutex<Option<Epoch>>,
    /// When the keys held were loaded (or a reload of them last began). Atomic: every request
    /// reads it ([`App::refresh_keys_if_stale`]).
    loaded_at: AtomicI64,
}

/// The ports an app is built from.
pub struct Adapters {
    pub clock: Arc<dyn Clock>,
    pub store: Arc<dyn Store>,
    pub sms: Arc<dyn SmsSender>,
    pub push: Arc<dyn PushSender>,
    pub email: Arc<dyn EmailSender>,
    pub keys: Arc<dyn KeySource>,
}

impl App {
    /// Assembles an app from its parts, loading the keys once.
    pub async fn new(config: Config, parts: Adapters) -> Result<Self, BoxError> {
        let Adapters { clock, store, sms, push, email, keys: key_source } = parts;
        let keys = key_source.load().await.map_err(|e| format!("loading signing keys: {e}"))?;
        let loaded_at = AtomicI64::new(clock.now());
        crate::metrics::init(&config.metrics_namespace);
        Ok(App {
            config,
            clock,
            store,
            sms,
            push,
            email,
            key_source,
            keys: RwLock::new(Arc::new(keys)),
            last_reload: Mutex::new(None),
            loaded_at,
        })
    }

    pub fn now(&self) -> Epoch {
        self.clock.now()
    }

    pub fn keys(&self) -> Arc<KeySet> {
        match self.keys.read() {
            Ok(k) => Arc::clone(&k),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Reloads the keys once they are [`KEY_MAX_AGE_SECS`] old, before a request uses them:
    /// a rotation reaches a warm instance within that time (the JWKS serves the new public key,
    /// a signer signs with the new generation), not at its next cold start. One request of
    /// many reloads; the others, and all of them if the reload fails (logged), go on with the
    /// keys held.
    pub async fn refresh_keys_if_stale(&self) {
        let now = self.now();
        let at = self.loaded_at.load(Ordering::Relaxed);
        // The request that moves the time forward reloads; the others see it moved.
        if now - at < KEY_MAX_AGE_SECS
            || self.loaded_at.compare_exchange(at, now, Ordering::Relaxed, Ordering::Relaxed).is_err()
        {
            return;
        }
        if let Err(e) = self.reload_keys().await {
            tracing::warn!(error = %e, "refreshing the keys failed; the ones held stay in use");
        }
    }

    /// The keys, holding the data-key generation `kid` that something this service stored names
    /// (a sealed TOTP secret, a code's hash): reloaded first when this instance does not hold it
    /// yet (another instance has rotated past it since this one loaded). Not rate-limited as
    /// token-triggered reloads are: no client chooses a stored kid, and once reloaded the
    /// instance holds it. 503 while it cannot be loaded, before anything is counted.
    pub async fn data_keys_with(&self, kid: &str) -> Result<Arc<KeySet>, crate::domain::error::DomainError> {
        let holds = |keys: &KeySet| keys.data().is_ok_and(|ring| ring.by_kid(kid).is_some());
        let keys = self.keys();
        if holds(&keys) {
            return Ok(keys);
        }
        let unavailable = |source: BoxError| crate::domain::error::DomainError::Unavailable { retry_after: 1, source };
        let fresh = self.reload_keys().await.map_err(unavailable)?;
        if holds(&fresh) {
            Ok(fresh)
        } else {
            Err(unavailable(format!("data key generation {kid} is not loadable").into()))
        }
    }

    /// The data key of generation `kid` (see [`App::data_keys_with`]).
    pub async fn data_key(&self, kid: &str) -> Result<Vec<u8>, crate::domain::error::DomainError> {
        let keys = self.data_keys_with(kid).await?;
        let ring = keys.data()?;
        ring.by_kid(kid)
            .map(|k| k.data.clone())
            .ok_or_else(|| crate::domain::error::DomainError::internal("a data key vanished"))
    }

    /// Reloads the key set, after a token named a key this instance does not know (a rotation
    /// happened since cold start). Returns the fresh set. Gives up after
    /// [`KEY_LOAD_TIMEOUT_SECS`]: a request waits no longer than that for Secrets Manager.
    pub async fn reload_keys(&self) -> Result<Arc<KeySet>, BoxError> {
        let load = self.key_source.load();
        let loaded = tokio::time::timeout(std::time::Duration::from_secs(KEY_LOAD_TIMEOUT_SECS), load).await;
        let fresh = Arc::new(loaded.map_err(|_| "loading the keys timed out")??);
        self.loaded_at.store(self.now(), Ordering::Relaxed);
        match self.keys.write() {
            Ok(mut k) => *k = Arc::clone(&fresh),
            Err(poisoned) => *poisoned.into_inner() = Arc::clone(&fresh),
        }
        Ok(fresh)
    }

    /// [`App::reload_keys`], at most once per [`KEY_RELOAD_INTERVAL_SECS`]: a flood of tokens
    /// with made-up key ids must not become a flood of Secrets Manager calls. `None` when a
    /// reload is not due or failed (the failure is logged).
    pub async fn reload_keys_if_due(&self) -> Option<Arc<KeySet>> {
        let now = self.now();
        {
            let mut last = self.last_reload.lock().ok()?;
            if last.is_some_and(|at| now - at < KEY_RELOAD_INTERVAL_SECS) {
                return None;
            }
            *last = Some(now);
        }
        match self.reload_keys().await {
            Ok(keys) => Some(keys),
            Err(e) => {
                tracing::warn!(error = %e, "reloading signing keys failed");
                None
            }
        }
    }
}

/// How long a reload of the keys may take before the request goes on without it.
pub const KEY_LOAD_TIMEOUT_SECS: u64 = 2;

/// The shortest time between two key reloads triggered by unknown key ids.
pub const KEY_RELOAD_INTERVAL_SECS: i64 = 60;

/// How long a warm instance uses its keys before it reloads them: the JWKS's `max-age` too,
/// so a verifier that caches the key set is at most twice this behind a rotation.
pub const KEY_MAX_AGE_SECS: i64 = 300;
