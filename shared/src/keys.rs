//! Signing and encryption keys. A key set holds the current generation and, after a rotation,
//! the previous one, so tokens signed just before a rotation stay verifiable. Production loads
//! the set from a Secrets Manager secret once per cold start; local runs generate one.

use async_trait::async_trait;
use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair};
use serde::{Deserialize, Serialize};

use crate::crypto;
use crate::error::BoxError;

/// One generation of keys, as stored (base64) in the secret.
#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyGeneration {
    pub kid: String,
    /// HS256 secret for AUTH and password-update session tokens.
    pub auth: String,
    /// HS256 secret for ACCESS tokens: a separate key, so one kind never verifies as the other.
    pub access: String,
    /// Ed25519 private key (PKCS#8, base64) for idTokens, verifiable offline through the JWKS.
    pub id_token: String,
    /// 256-bit key for data at rest: AES-GCM for TOTP secrets, HMAC pepper for one-time codes.
    pub data: String,
}

impl std::fmt::Debug for KeyGeneration {
    // Key material never reaches a log line, even through `{:?}`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyGeneration").field("kid", &self.kid).finish_non_exhaustive()
    }
}

/// The secret's JSON: `{"current": {...}, "previous": {...} | null}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KeySetDocument {
    pub current: KeyGeneration,
    #[serde(default)]
    pub previous: Option<KeyGeneration>,
}

/// Decoded keys, ready to use.
pub struct Keys {
    pub kid: String,
    pub auth: Vec<u8>,
    pub access: Vec<u8>,
    pub id_token_pkcs8: Vec<u8>,
    pub id_token_public: Vec<u8>,
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
        Ok(KeySet {
            current: decode_generation(&doc.current)?,
            previous: doc.previous.as_ref().map(decode_generation).transpose()?,
        })
    }

    pub fn from_json(json: &str) -> Result<Self, BoxError> {
        let doc: KeySetDocument =
            serde_json::from_str(json).map_err(|e| format!("the key secret is not a key set document: {e}"))?;
        Self::from_document(&doc)
    }

    /// Every generation, current first.
    pub fn generations(&self) -> impl Iterator<Item = &Keys> {
        std::iter::once(&self.current).chain(self.previous.iter())
    }

    pub fn by_kid(&self, kid: &str) -> Option<&Keys> {
        self.generations().find(|k| k.kid == kid)
    }
}

fn decode_generation(g: &KeyGeneration) -> Result<Keys, BoxError> {
    let field = |name: &str, value: &str, min: usize| -> Result<Vec<u8>, BoxError> {
        let bytes = crypto::b64_decode(value).ok_or_else(|| format!("key `{}`.{name} is not base64", g.kid))?;
        if bytes.len() < min {
            return Err(format!("key `{}`.{name} is shorter than {min} bytes", g.kid).into());
        }
        Ok(bytes)
    };
    let id_token_pkcs8 = field("idToken", &g.id_token, 32)?;
    let pair = Ed25519KeyPair::from_pkcs8(&id_token_pkcs8)
        .map_err(|_| format!("key `{}`.idToken is not an Ed25519 PKCS#8 key", g.kid))?;
    let data = field("data", &g.data, 32)?;
    if data.len() != 32 {
        return Err(format!("key `{}`.data must be exactly 32 bytes", g.kid).into());
    }
    if g.kid.is_empty() || g.kid.len() > 64 {
        return Err("a key generation needs a kid of 1 to 64 characters".into());
    }
    Ok(Keys {
        kid: g.kid.clone(),
        auth: field("auth", &g.auth, 32)?,
        access: field("access", &g.access, 32)?,
        id_token_public: pair.public_key().as_ref().to_vec(),
        id_token_pkcs8,
        data,
    })
}

/// A new generation of random keys.
pub fn generate_generation(kid: &str) -> Result<KeyGeneration, BoxError> {
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&aws_lc_rs::rand::SystemRandom::new())
        .map_err(|_| "Ed25519 key generation failed")?;
    Ok(KeyGeneration {
        kid: kid.to_owned(),
        auth: crypto::b64(&crypto::random_bytes::<32>()?),
        access: crypto::b64(&crypto::random_bytes::<32>()?),
        id_token: crypto::b64(pkcs8.as_ref()),
        data: crypto::b64(&crypto::random_bytes::<32>()?),
    })
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
        let out = self.client.get_secret_value().secret_id(&self.secret_id).send().await?;
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
        let printed = format!("{:?} {:?}", doc, set);
        assert!(!printed.contains(&doc.current.auth));
        assert!(!printed.contains(&doc.current.data));
    }

    #[test]
    fn a_bad_document_is_refused_with_a_reason() {
        assert!(KeySet::from_json("{}").is_err());
        let mut g = generate_generation("k").unwrap();
        g.auth = crypto::b64(b"short");
        let err = KeySet::from_document(&KeySetDocument { current: g, previous: None }).unwrap_err();
        assert!(err.to_string().contains("auth"), "{err}");
    }
}
