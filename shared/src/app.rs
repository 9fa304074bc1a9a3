//! The application state, built once per cold start and shared by every request: settings,
//! clock, store, senders and keys.

use std::sync::{Arc, Mutex, RwLock};

use aws_config::BehaviorVersion;

use crate::clock::{Clock, Epoch, SystemClock};
use crate::config::{Config, StoreKind};
use crate::email::{EmailSender, SandboxEmail, SesEmail};
use crate::error::BoxError;
use crate::keys::{EphemeralKeys, KeySet, KeySource, NoKeys, SecretsManagerKeys};
use crate::push::{PushSender, SandboxPush, SnsPush};
use crate::sms::{SandboxSms, SmsSender, SnsSms};
use crate::store::{DynamoStore, MemoryStore, Store};

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
        })
    }

    /// Everything from the environment (see the README for each variable). A failure is
    /// logged as one JSON line before it stops the cold start; the next cold start tries again.
    pub async fn from_env() -> Result<Self, BoxError> {
        let built = match Config::from_env() {
            Ok(config) => Self::from_config(config).await,
            Err(e) => Err(e.into()),
        };
        if let Err(e) = &built {
            tracing::error!(error = %crate::error::chain(e.as_ref()), "start-up failed");
        }
        built
    }

    pub async fn from_config(config: Config) -> Result<Self, BoxError> {
        let in_lambda = std::env::var_os("AWS_LAMBDA_FUNCTION_NAME").is_some();
        let needs_aws = config.store == StoreKind::Dynamo
            || !config.sandbox
            || config.signing_secret_id.is_some()
            || !config.key_secrets.is_empty();
        let aws = if needs_aws { Some(aws_config::defaults(BehaviorVersion::latest()).load().await) } else { None };

        let dynamo = match (config.store, &aws) {
            (StoreKind::Dynamo, Some(aws)) => {
                let dynamo = DynamoStore::new(aws_sdk_dynamodb::Client::new(aws), config.table_name.clone());
                if config.create_table {
                    dynamo.create_table_if_missing().await?;
                }
                Some(Arc::new(dynamo))
            }
            _ => None,
        };
        type Senders = (Arc<dyn SmsSender>, Arc<dyn PushSender>, Arc<dyn EmailSender>);
        let (sms, push, email): Senders = match (&aws, config.sandbox) {
            (Some(aws), false) => {
                let sns = aws_sdk_sns::Client::new(aws);
                let apns = config.push_apns_application.clone();
                let push = SnsPush::new(sns.clone(), apns, config.push_gcm_application.clone());
                let email = SesEmail::new(aws_sdk_sesv2::Client::new(aws), config.email_from.clone());
                (Arc::new(SnsSms::new(sns)), Arc::new(push), Arc::new(email))
            }
            _ => (Arc::new(SandboxSms::new()), Arc::new(SandboxPush::new()), Arc::new(SandboxEmail::new())),
        };
        let key_source: Arc<dyn KeySource> = match (&config.signing_secret_id, &aws) {
            (_, Some(aws)) if !config.key_secrets.is_empty() => {
                let client = aws_sdk_secretsmanager::Client::new(aws);
                Arc::new(SecretsManagerKeys::per_purpose(client, config.key_secrets.clone()))
            }
            (Some(id), Some(aws)) => {
                Arc::new(SecretsManagerKeys::new(aws_sdk_secretsmanager::Client::new(aws), id.clone()))
            }
            // In Lambda, a function whose environment names no key secret uses none: it must not
            // mint keys of its own, which no other instance would accept.
            _ if in_lambda => Arc::new(NoKeys),
            _ => Arc::new(EphemeralKeys::generate()?),
        };
        let store: Arc<dyn Store> = match &dynamo {
            Some(dynamo) => dynamo.clone(),
            None => Arc::new(MemoryStore::new()),
        };
        let parts = Adapters { clock: Arc::new(SystemClock), store, sms, push, email, keys: key_source };
        // The key secret and the store's first connection, fetched at the same time.
        let warm = async {
            if let Some(dynamo) = &dynamo {
                dynamo.warm_up().await;
            }
        };
        let (app, ()) = tokio::join!(Self::new(config, parts), warm);
        app
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

    /// Reloads the key set, after a token named a key this instance does not know (a rotation
    /// happened since cold start). Returns the fresh set.
    pub async fn reload_keys(&self) -> Result<Arc<KeySet>, BoxError> {
        let fresh = Arc::new(self.key_source.load().await?);
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

/// The shortest time between two key reloads triggered by unknown key ids.
pub const KEY_RELOAD_INTERVAL_SECS: i64 = 60;
