//! Secrets Manager rotation of the key secrets (one function rotates each of them), in the four
//! steps: `createSecret` stages a new generation as AWSPENDING, keeping the current one as
//! `previous` so what was signed or sealed before the rotation still verifies or opens (and,
//! for the data-key secret, every older generation as `retired`: TOTP secrets sealed under
//! them stay stored for as long as the account has them);
//! `setSecret` has nothing to do (no outside system holds the keys); `testSecret` proves the
//! pending document loads; `finishSecret` moves AWSCURRENT to it. Rotating the idToken key
//! secret also publishes the public keys of the pending and current generations to the public
//! key secret at `createSecret`, before the new key signs anything, so verifiers (the JWKS
//! function among them) know a key before any token names it.

use aws_sdk_secretsmanager::Client;
use serde::Deserialize;

use crate::clock::Epoch;
use crate::domain::error::BoxError;
use crate::keys::{KeySet, KeySetDocument, PublicKeysDocument, Purpose, generate_generation};

/// What Secrets Manager sends the rotation function.
#[derive(Debug, Clone, Deserialize)]
pub struct RotationEvent {
    #[serde(rename = "SecretId")]
    pub secret_id: String,
    #[serde(rename = "ClientRequestToken")]
    pub token: String,
    #[serde(rename = "Step")]
    pub step: String,
}

pub struct Rotator {
    client: Client,
    /// (idToken key secret, public key secret): where rotating the first publishes to the second.
    publish: Option<(String, String)>,
    /// The data-key secret, whose rotations keep every generation.
    data_secret: Option<String>,
}

const CURRENT: &str = "AWSCURRENT";
const PENDING: &str = "AWSPENDING";

impl Rotator {
    pub fn new(client: Client) -> Self {
        Rotator { client, publish: None, data_secret: None }
    }

    /// Rotations of `data_secret` keep every older generation (as `retired`).
    pub fn keeping_data_generations(mut self, data_secret: String) -> Self {
        self.data_secret = Some(data_secret);
        self
    }

    /// Rotations of `id_token_secret` publish its public keys to `public_secret`.
    pub fn publishing_public_keys(mut self, id_token_secret: String, public_secret: String) -> Self {
        self.publish = Some((id_token_secret, public_secret));
        self
    }

    pub async fn from_env() -> Self {
        let aws = crate::aws::sdk_config().await;
        let rotator = Rotator::new(Client::new(&aws));
        let var = |p: Purpose| std::env::var(p.env_var()).ok().filter(|v| !v.is_empty());
        let rotator = match var(Purpose::Data) {
            Some(data) => rotator.keeping_data_generations(data),
            None => rotator,
        };
        match (var(Purpose::IdToken), var(Purpose::IdTokenPublic)) {
            (Some(private), Some(public)) => rotator.publishing_public_keys(private, public),
            _ => rotator,
        }
    }

    pub async fn rotate(&self, event: &RotationEvent, now: Epoch) -> Result<(), BoxError> {
        let stages = self.stages_of(&event.secret_id, &event.token).await?;
        if stages.iter().any(|s| s == CURRENT) {
            tracing::info!(step = %event.step, "version already current: nothing to do");
            return Ok(());
        }
        match event.step.as_str() {
            "createSecret" => self.create(event, now).await,
            "setSecret" => Ok(()),
            "testSecret" => self.test(event).await,
            "finishSecret" => self.finish(event).await,
            other => Err(format!("unknown rotation step `{other}`").into()),
        }
    }

    async fn stages_of(&self, secret_id: &str, token: &str) -> Result<Vec<String>, BoxError> {
        let described = self.client.describe_secret().secret_id(secret_id).send().await?;
        Ok(described.version_ids_to_stages().and_then(|m| m.get(token)).cloned().unwrap_or_default())
    }

    /// The secret string of this rotation's pending version.
    async fn pending(&self, event: &RotationEvent) -> Result<String, BoxError> {
        let out = self
            .client
            .get_secret_value()
            .secret_id(&event.secret_id)
            .version_id(&event.token)
            .version_stage(PENDING)
            .send()
            .await?;
        Ok(out.secret_string().ok_or("the pending key secret has no SecretString")?.to_owned())
    }

    async fn create(&self, event: &RotationEvent, now: Epoch) -> Result<(), BoxError> {
        // Idempotent: a retried step finds its pending version already there.
        let pending = match self.pending(event).await {
            Ok(json) => KeySetDocument::parse(&json)?,
            Err(_) => self.stage(event, now).await?,
        };
        if let Some((id_token_secret, public_secret)) = &self.publish
            && *id_token_secret == event.secret_id
        {
            let public = PublicKeysDocument::of(&pending)?;
            self.client
                .put_secret_value()
                .secret_id(public_secret)
                .secret_string(serde_json::to_string(&public)?)
                .send()
                .await?;
            tracing::info!(keys = public.keys.len(), "idToken public keys published");
        }
        Ok(())
    }

    async fn stage(&self, event: &RotationEvent, now: Epoch) -> Result<KeySetDocument, BoxError> {
        let current = self.client.get_secret_value().secret_id(&event.secret_id).version_stage(CURRENT).send().await?;
        let doc = KeySetDocument::parse(current.secret_string().ok_or("the current key secret has no SecretString")?)?;
        // Secrets Manager may name the secret by ARN or by name; the template passes the ARN
        // (`!Ref`) to both, as it does to every function.
        // A document that already keeps retired generations goes on keeping them whatever the
        // configuration says: dropping them would lose every secret sealed under them.
        let keep = self.data_secret.as_deref() == Some(event.secret_id.as_str()) || !doc.retired.is_empty();
        let retired = if keep { doc.previous.into_iter().chain(doc.retired).collect() } else { Vec::new() };
        let next = KeySetDocument {
            // Unique even for two rotations within a second: a ring finds keys by kid.
            current: generate_generation(&format!("k{now}-{}", &crate::crypto::random_token_id()?[..6]))?,
            previous: Some(doc.current),
            retired,
        };
        self.client
            .put_secret_value()
            .secret_id(&event.secret_id)
            .client_request_token(&event.token)
            .secret_string(serde_json::to_string(&next)?)
            .version_stages(PENDING)
            .send()
            .await?;
        tracing::info!(kid = %next.current.kid, "new key generation staged");
        Ok(next)
    }

    /// The pending document loads, and a data-key document lost no generation.
    async fn test(&self, event: &RotationEvent) -> Result<(), BoxError> {
        let pending = KeySetDocument::parse(&self.pending(event).await?)?;
        KeySet::from_document(&pending)?;
        if !pending.retired.is_empty() || self.data_secret.as_deref() == Some(event.secret_id.as_str()) {
            let current =
                self.client.get_secret_value().secret_id(&event.secret_id).version_stage(CURRENT).send().await?;
            let current =
                KeySetDocument::parse(current.secret_string().ok_or("the current key secret has no SecretString")?)?;
            let kept: Vec<&str> = pending.generations().map(|g| g.kid.as_str()).collect();
            if let Some(lost) = current.generations().find(|g| !kept.contains(&g.kid.as_str())) {
                return Err(format!("the pending data keys lost generation {}", lost.kid).into());
            }
        }
        Ok(())
    }

    async fn finish(&self, event: &RotationEvent) -> Result<(), BoxError> {
        let described = self.client.describe_secret().secret_id(&event.secret_id).send().await?;
        let current_version = described
            .version_ids_to_stages()
            .and_then(|m| m.iter().find(|(_, stages)| stages.iter().any(|s| s == CURRENT)))
            .map(|(id, _)| id.clone());
        let mut req = self
            .client
            .update_secret_version_stage()
            .secret_id(&event.secret_id)
            .version_stage(CURRENT)
            .move_to_version_id(&event.token);
        if let Some(old) = current_version {
            req = req.remove_from_version_id(old);
        }
        req.send().await?;
        tracing::info!("key rotation finished");
        Ok(())
    }
}

/// The Lambda handler of `functions/rotate-keys`.
pub async fn handle(
    rotator: &Rotator,
    event: lambda_runtime::LambdaEvent<RotationEvent>,
) -> Result<(), lambda_runtime::Error> {
    use crate::clock::{Clock, SystemClock};
    rotator.rotate(&event.payload, SystemClock.now()).await.map_err(|e| {
        tracing::error!(step = %event.payload.step, error = %crate::domain::error::chain(e.as_ref()), "rotation step failed");
        lambda_runtime::Error::from(e.to_string())
    })
}
