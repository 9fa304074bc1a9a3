//! Signing and encryption keys. A key set holds the current generation and, after a rotation,
//! the previous one, so tokens signed just before a rotation stay verifiable. Production loads
//! the set from a Secrets Manager secret once per cold start; local runs generate one.

use async_trait::async_trait;
use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair};
use serde::{Deserialize, Serialize};

use crate::crypto;
use crate::error::BoxError;

/// One generation of keys, as stored in the secret: a key id and a random seed from which
/// every key of the generation is derived. One value per generation keeps rotation simple and
/// lets CloudFormation generate the first secret itself (`GenerateSecretString`).
#[derive(Clone, Serialize, Deserialize)]
pub struct KeyGeneration {
    pub kid: String,
    pub seed: String,
}

impl std::fmt::Debug for KeyGeneration {
    // Key material never reaches a log line, even through `{:?}`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyGeneration").field("kid", &self.kid).finish_non_exhaustive()
    }
}

/// The secret's JSON: `{"current": {"kid", "seed"}, "previous": {"kid", "seed"} | null}`, or a
/// bare `{"kid", "seed"}` (a secret that has never been rotated).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KeySetDocument {
    pub current: KeyGeneration,
    #[serde(default)]
    pub previous: Option<KeyGeneration>,
}

impl KeySetDocument {
    pub fn parse(json: &str) -> Result<Self, BoxError> {
        if let Ok(doc) = serde_json::from_str::<KeySetDocument>(json) {
            return Ok(doc);
        }
        let bare: KeyGeneration = serde_json::from_str(json)
            .map_err(|_| "the key secret is neither {\"current\", \"previous\"} nor {\"kid\", \"seed\"}")?;
        Ok(KeySetDocument { current: bare, previous: None })
    }
}

/// Keys derived from one generation, ready to use.
pub struct Keys {
    pub kid: String,
    /// HS256 secret for AUTH and password-update session tokens.
    pub auth: Vec<u8>,
    /// HS256 secret for ACCESS tokens: a separate key, so one kind never verifies as the other.
    pub access: Vec<u8>,
    /// Ed25519 private key (PKCS#8) for idTokens, verifiable offline through the JWKS.
    pub id_token_pkcs8: Vec<u8>,
    pub id_token_public: Vec<u8>,
    /// 256-bit key for data at rest: AES-GCM for TOTP secrets, HMAC pepper for one-time codes.
    pub data: Vec<u8>,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keys").field("kid", &self.kid).finish_non_exhaustive()
    }
}

#[derive(Debug)]
pub struct KeySet {
    pub current: Keys,
    pub previous: Option<Keys>,
}

impl KeySet {
    pub fn from_document(doc: &KeySetDocument) -> Result<Self, BoxError> {
        Ok(KeySet { current: derive(&doc.current)?, previous: doc.previous.as_ref().map(derive).transpose()? })
    }

    pub fn from_json(json: &str) -> Result<Self, BoxError> {
        Self::from_document(&KeySetDocument::parse(json)?)
    }

    /// Every generation, current first.
    pub fn generations(&self) -> impl Iterator<Item = &Keys> {
        std::iter::once(&self.current).chain(self.previous.iter())
    }

    pub fn by_kid(&self, kid: &str) -> Option<&Keys> {
        self.generations().find(|k| k.kid == kid)
    }
}

/// Shortest seed accepted: 32 characters of a random alphanumeric string carry > 190 bits.
pub const MIN_SEED_LENGTH: usize = 32;

/// Derives each key as HMAC-SHA256(seed, purpose): a PRF-based KDF (NIST SP 800-108), so the
/// keys are independent of each other and none reveals the seed.
fn derive(g: &KeyGeneration) -> Result<Keys, BoxError> {
    if g.kid.is_empty() || g.kid.len() > 64 || g.kid.contains(':') {
        return Err("a key generation needs a kid of 1 to 64 characters without ':'".into());
    }
    if g.seed.len() < MIN_SEED_LENGTH {
        return Err(format!("the seed of key `{}` is shorter than {MIN_SEED_LENGTH} characters", g.kid).into());
    }
    let key = |purpose: &str| crypto::hmac_sha256(g.seed.as_bytes(), &[b"auth-service/v1", purpose.as_bytes()]);
    let pair = Ed25519KeyPair::from_seed_unchecked(&key("id-token-ed25519"))
        .map_err(|_| format!("key `{}`: Ed25519 derivation failed", g.kid))?;
    let pkcs8 = pair.to_pkcs8().map_err(|_| format!("key `{}`: PKCS#8 encoding failed", g.kid))?;
    Ok(Keys {
        kid: g.kid.clone(),
        auth: key("auth-token-hs256").to_vec(),
        access: key("access-token-hs256").to_vec(),
        id_token_pkcs8: pkcs8.as_ref().to_vec(),
        id_token_public: pair.public_key().as_ref().to_vec(),
        data: key("data-at-rest").to_vec(),
    })
}

/// A new generation with a random seed.
pub fn generate_generation(kid: &str) -> Result<KeyGeneration, BoxError> {
    Ok(KeyGeneration { kid: kid.to_owned(), seed: crypto::b64url(&crypto::random_bytes::<48>()?) })
}

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
        Ok(EphemeralKeys(KeySetDocument { current: generate_generation(&kid)?, previous: None }))
    }
}

#[async_trait]
impl KeySource for EphemeralKeys {
    async fn load(&self) -> Result<KeySet, BoxError> {
        KeySet::from_document(&self.0)
    }
}

/// The key set in an AWS Secrets Manager secret (`AUTH_SIGNING_SECRET_ID`).
pub struct SecretsManagerKeys {
    client: aws_sdk_secretsmanager::Client,
    secret_id: String,
}

impl SecretsManagerKeys {
    pub fn new(client: aws_sdk_secretsmanager::Client, secret_id: impl Into<String>) -> Self {
        SecretsManagerKeys { client, secret_id: secret_id.into() }
    }
}

#[async_trait]
impl KeySource for SecretsManagerKeys {
    async fn load(&self) -> Result<KeySet, BoxError> {
        let out = self.client.get_secret_value().secret_id(&self.secret_id).version_stage("AWSCURRENT").send().await?;
        let json = out.secret_string().ok_or("the signing key secret has no SecretString")?;
        KeySet::from_json(json)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_document_round_trips_and_never_prints_its_keys() {
        let doc = KeySetDocument {
            current: generate_generation("k1").unwrap(),
            previous: Some(generate_generation("k0").unwrap()),
        };
        let json = serde_json::to_string(&doc).unwrap();
        let set = KeySet::from_json(&json).unwrap();
        assert_eq!(set.current.kid, "k1");
        assert_eq!(set.by_kid("k0").map(|k| k.kid.as_str()), Some("k0"));
        assert!(set.by_kid("nope").is_none());
        let printed = format!("{doc:?} {set:?}");
        assert!(!printed.contains(&doc.current.seed));
    }

    #[test]
    fn keys_are_derived_deterministically_and_independently() {
        let g = generate_generation("k").unwrap();
        let a = derive(&g).unwrap();
        let b = derive(&g).unwrap();
        assert_eq!(a.auth, b.auth);
        assert_eq!(a.id_token_public, b.id_token_public);
        assert_ne!(a.auth, a.access);
        assert_ne!(a.auth, a.data);
        assert_ne!(derive(&generate_generation("k").unwrap()).unwrap().auth, a.auth);
    }

    #[test]
    fn a_bare_generation_as_cloudformation_makes_it_is_accepted() {
        let set = KeySet::from_json(r#"{"kid":"initial","seed":"abcdefghijklmnopqrstuvwxyz0123456789ABCD"}"#).unwrap();
        assert_eq!(set.current.kid, "initial");
        assert!(set.previous.is_none());
    }

    #[test]
    fn a_bad_document_is_refused_with_a_reason() {
        assert!(KeySet::from_json("{}").is_err());
        let err = KeySet::from_json(r#"{"kid":"k","seed":"short"}"#).unwrap_err();
        assert!(err.to_string().contains("shorter"), "{err}");
        assert!(KeySet::from_json(r#"{"kid":"a:b","seed":"abcdefghijklmnopqrstuvwxyz0123456789ABCD"}"#).is_err());
    }
}
