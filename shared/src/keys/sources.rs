//! Where key sets come from: generated in memory (local runs, tests), none at all (a function
//! that uses no keys), or AWS Secrets Manager (one secret per purpose, or one for all).

use async_trait::async_trait;

use super::{KeySet, KeySetDocument, PublicKeysDocument, Purpose, generate_generation};
use crate::crypto;
use crate::domain::error::BoxError;

/// Where key sets come from.
#[async_trait]
pub trait KeySource: Send + Sync {
    async fn load(&self) -> Result<KeySet, BoxError>;
}

/// Keys generated in memory at start-up: for local runs and tests. Tokens die with the process.
pub struct EphemeralKeys(KeySetDocument);

impl EphemeralKeys {
    pub fn generate() -> Result<Self, BoxError> {
        let kid = format!("local-{}", &crypto::random_token_id()?[..8]);
        Ok(EphemeralKeys(KeySetDocument { current: generate_generation(&kid)?, previous: None, retired: Vec::new() }))
    }
}

#[async_trait]
impl KeySource for EphemeralKeys {
    async fn load(&self) -> Result<KeySet, BoxError> {
        KeySet::from_document(&self.0)
    }
}

/// A function that uses no keys at all (registration, refresh-token logout, push answers).
pub struct NoKeys;

#[async_trait]
impl KeySource for NoKeys {
    async fn load(&self) -> Result<KeySet, BoxError> {
        Ok(KeySet::default())
    }
}

/// Key secrets in AWS Secrets Manager: one per purpose, and only those a function is given
/// (`AUTH_SESSION_KEYS_SECRET_ID`, ...); or one secret holding every purpose
/// (`AUTH_SIGNING_SECRET_ID`, a simpler set-up without the separation).
pub struct SecretsManagerKeys {
    client: aws_sdk_secretsmanager::Client,
    secrets: Vec<(Option<Purpose>, String)>,
}

impl SecretsManagerKeys {
    /// One secret for every purpose.
    pub fn new(client: aws_sdk_secretsmanager::Client, secret_id: impl Into<String>) -> Self {
        SecretsManagerKeys { client, secrets: vec![(None, secret_id.into())] }
    }

    /// One secret per purpose given.
    pub fn per_purpose(client: aws_sdk_secretsmanager::Client, secrets: Vec<(Purpose, String)>) -> Self {
        SecretsManagerKeys { client, secrets: secrets.into_iter().map(|(p, id)| (Some(p), id)).collect() }
    }
}

/// The current version of a secret's string.
pub async fn read_secret(client: &aws_sdk_secretsmanager::Client, secret_id: &str) -> Result<String, BoxError> {
    let out = client.get_secret_value().secret_id(secret_id).version_stage("AWSCURRENT").send().await?;
    Ok(out.secret_string().ok_or("a key secret has no SecretString")?.to_owned())
}

#[async_trait]
impl KeySource for SecretsManagerKeys {
    async fn load(&self) -> Result<KeySet, BoxError> {
        // The secrets are fetched at the same time: a cold start waits for the slowest only.
        let mut reads = tokio::task::JoinSet::new();
        for (purpose, id) in self.secrets.clone() {
            let client = self.client.clone();
            reads.spawn(async move { (purpose, read_secret(&client, &id).await) });
        }
        let mut set = KeySet::default();
        while let Some(done) = reads.join_next().await {
            let (purpose, json) = done?;
            let json = json?;
            match purpose {
                None => set = KeySet::from_json(&json)?,
                Some(Purpose::IdTokenPublic) => {
                    let doc: PublicKeysDocument =
                        serde_json::from_str(&json).map_err(|_| "the public key secret is not {\"keys\": [...]}")?;
                    set.add_public(doc);
                }
                Some(p) => set.add(p, &KeySetDocument::parse(&json)?)?,
            }
        }
        Ok(set)
    }
}
