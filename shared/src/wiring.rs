//! The composition root: picks each port's adapter from the configuration (DynamoDB or memory,
//! SNS and SES or the sandbox, Secrets Manager or ephemeral keys) and assembles the [`App`].
//! The only module that names every adapter; the use cases see ports only.

use std::sync::Arc;

use crate::app::{Adapters, App};
use crate::clock::SystemClock;
use crate::config::{Config, StoreKind};
use crate::domain::error::BoxError;
use crate::email::{EmailSender, SandboxEmail, SesEmail};
use crate::keys::{EphemeralKeys, KeySource, NoKeys, SecretsManagerKeys};
use crate::push::{PushSender, SandboxPush, SnsPush};
use crate::sms::{SandboxSms, SmsSender, SnsSms};
use crate::store::{DynamoStore, MemoryStore, Store};

impl App {
    /// Everything from the environment (see docs/operations.md for each variable). A failure is
    /// logged as one JSON line before it stops the cold start; the next cold start tries again.
    pub async fn from_env() -> Result<Self, BoxError> {
        let built = match Config::from_env() {
            Ok(config) => Self::from_config(config).await,
            Err(e) => Err(e.into()),
        };
        if let Err(e) = &built {
            tracing::error!(error = %crate::domain::error::chain(e.as_ref()), "start-up failed");
        }
        built
    }

    pub async fn from_config(config: Config) -> Result<Self, BoxError> {
        let in_lambda = std::env::var_os("AWS_LAMBDA_FUNCTION_NAME").is_some();
        let needs_aws = config.store == StoreKind::Dynamo
            || !config.sandbox
            || config.signing_secret_id.is_some()
            || !config.key_secrets.is_empty();
        let aws = if needs_aws { Some(crate::aws::sdk_config().await) } else { None };

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
}
