//! The OpenID Connect provider's JWTs: ID tokens (`typ: JWT`) and access tokens (`typ:
//! at+jwt`, RFC 9068), signed RS256 with the current idToken key generation's RSA key (kid
//! `<generation>:rs`), and verified pinned to RS256 and to their `typ`: an EdDSA idToken of
//! surface 2, an `alg: none` token or an HS256 one made with a public key as its secret is
//! refused before any signature is checked.

use std::collections::HashSet;
use std::sync::LazyLock;

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::de::DeserializeOwned;

use crate::crypto;
use crate::domain::error::BoxError;
use crate::keys::{KeySet, rsa};
use crate::token::{MAX_TOKEN_LENGTH, TokenError};

/// The `typ` of an access token (RFC 9068 §2.1).
pub const ACCESS_TYP: &str = "at+jwt";
/// The `typ` of an ID token.
pub const ID_TYP: &str = "JWT";
/// The purpose part of the provider's key ids.
pub const KID_PURPOSE: &str = "rs";

/// Signs `claims` as a JWS with RS256 and header `typ`.
pub fn sign(set: &KeySet, typ: &str, claims: &serde_json::Value) -> Result<String, BoxError> {
    let keys = &set.id_token()?.current;
    let key = keys.rsa.as_ref().ok_or("the current idToken key generation has no RSA key: rotate the key secret")?;
    let header = serde_json::json!({ "alg": "RS256", "typ": typ, "kid": format!("{}:{KID_PURPOSE}", keys.kid) });
    let input = format!(
        "{}.{}",
        crypto::b64url(serde_json::to_string(&header)?.as_bytes()),
        crypto::b64url(serde_json::to_string(claims)?.as_bytes())
    );
    let signature = rsa::sign(key, input.as_bytes())?;
    Ok(format!("{input}.{}", crypto::b64url(&signature)))
}

static VALIDATION: LazyLock<Validation> = LazyLock::new(|| {
    let mut v = Validation::new(Algorithm::RS256);
    // Times are the caller's to check, against the service clock.
    v.validate_exp = false;
    v.validate_nbf = false;
    v.validate_aud = false;
    v.required_spec_claims = HashSet::new();
    v
});

/// Verifies a provider token of type `typ`: RS256 only, a key of this service, the signature.
/// Claims are the caller's to judge (issuer, audience, expiry).
pub fn verify<T: DeserializeOwned>(set: &KeySet, token: &str, typ: &str) -> Result<T, TokenError> {
    if token.len() > MAX_TOKEN_LENGTH {
        return Err(TokenError::Invalid);
    }
    let header = jsonwebtoken::decode_header(token).map_err(|_| TokenError::Invalid)?;
    if header.alg != Algorithm::RS256 || !header.typ.as_deref().is_some_and(|t| t.eq_ignore_ascii_case(typ)) {
        return Err(TokenError::Invalid);
    }
    let kid = header.kid.as_deref().ok_or(TokenError::Invalid)?;
    let (generation, purpose) = kid.rsplit_once(':').ok_or(TokenError::Invalid)?;
    if purpose != KID_PURPOSE {
        return Err(TokenError::Invalid);
    }
    let public = set.id_token_public()?.iter().find(|k| k.kid == generation).ok_or(TokenError::UnknownKid)?;
    let (Some(n), Some(e)) = (public.n.as_deref(), public.e.as_deref()) else { return Err(TokenError::UnknownKid) };
    let key = DecodingKey::from_rsa_components(n, e).map_err(|_| TokenError::Invalid)?;
    let data = jsonwebtoken::decode::<T>(token, &key, &VALIDATION).map_err(|_| TokenError::Invalid)?;
    Ok(data.claims)
}

/// The RS256 public keys, as JWKs (RFC 7517 §4, RFC 7518 §6.3.1).
pub fn jwks_entries(set: &KeySet) -> Vec<serde_json::Value> {
    let Ok(keys) = set.id_token_public() else { return Vec::new() };
    keys.iter()
        .filter_map(|k| {
            let (n, e) = (k.n.as_deref()?, k.e.as_deref()?);
            Some(serde_json::json!({
                "kty": "RSA",
                "alg": "RS256",
                "use": "sig",
                "kid": format!("{}:{KID_PURPOSE}", k.kid),
                "n": n,
                "e": e,
            }))
        })
        .collect()
}
