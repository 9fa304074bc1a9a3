//! How each key of a generation is derived from its seed (and its RSA key read).

use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair};

use super::{DataKeys, IdTokenKeys, KeyGeneration, PublicKey, SessionKeys, rsa};
use crate::crypto;
use crate::domain::error::BoxError;

/// Shortest seed accepted: 32 characters of a random alphanumeric string carry > 190 bits.
pub const MIN_SEED_LENGTH: usize = 32;

/// Derives each key as HMAC-SHA256(seed, purpose): a PRF-based KDF (NIST SP 800-108), so the
/// keys are independent of each other and none reveals the seed.
fn key(g: &KeyGeneration, purpose: &str) -> Result<[u8; 32], BoxError> {
    if g.kid.is_empty() || g.kid.len() > 64 || g.kid.contains(':') {
        return Err("a key generation needs a kid of 1 to 64 characters without ':'".into());
    }
    if g.seed.len() < MIN_SEED_LENGTH {
        return Err(format!("the seed of key `{}` is shorter than {MIN_SEED_LENGTH} characters", g.kid).into());
    }
    Ok(crypto::hmac_sha256(g.seed.as_bytes(), &[b"auth-service/v1", purpose.as_bytes()]))
}

pub(super) fn derive_session(g: &KeyGeneration) -> Result<SessionKeys, BoxError> {
    Ok(SessionKeys {
        kid: g.kid.clone(),
        auth: key(g, "auth-token-hs256")?.to_vec(),
        access: key(g, "access-token-hs256")?.to_vec(),
    })
}

fn ed25519(g: &KeyGeneration) -> Result<Ed25519KeyPair, BoxError> {
    Ed25519KeyPair::from_seed_unchecked(&key(g, "id-token-ed25519")?)
        .map_err(|_| format!("key `{}`: Ed25519 derivation failed", g.kid).into())
}

pub(super) fn derive_id_token(g: &KeyGeneration) -> Result<IdTokenKeys, BoxError> {
    let pkcs8 = ed25519(g)?.to_pkcs8().map_err(|_| format!("key `{}`: PKCS#8 encoding failed", g.kid))?;
    let rsa = g.rsa.as_deref().map(rsa::parse).transpose()?;
    Ok(IdTokenKeys { kid: g.kid.clone(), pkcs8: pkcs8.as_ref().to_vec(), rsa })
}

/// The public keys of one generation: Ed25519, and RS256 when it has one.
pub(super) fn public_key(g: &KeyGeneration) -> Result<PublicKey, BoxError> {
    let (n, e) = match g.rsa.as_deref() {
        Some(private) => {
            let (n, e) = rsa::public_components(&rsa::parse(private)?);
            (Some(n), Some(e))
        }
        None => (None, None),
    };
    Ok(PublicKey { kid: g.kid.clone(), x: public_of(g)?, n, e })
}

pub(super) fn public_of(g: &KeyGeneration) -> Result<String, BoxError> {
    Ok(crypto::b64url(ed25519(g)?.public_key().as_ref()))
}

pub(super) fn derive_data(g: &KeyGeneration) -> Result<DataKeys, BoxError> {
    Ok(DataKeys { kid: g.kid.clone(), data: key(g, "data-at-rest")?.to_vec() })
}

/// A new generation with a random seed.
pub fn generate_generation(kid: &str) -> Result<KeyGeneration, BoxError> {
    Ok(KeyGeneration {
        kid: kid.to_owned(),
        seed: crypto::b64url(&crypto::random_bytes::<48>()?),
        rsa: Some(rsa::generate()?),
    })
}
