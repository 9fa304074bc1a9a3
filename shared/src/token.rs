//! Tokens. Surface 1's tokens are signed references to a server-side session (HS256, one key
//! per token kind); the session item holds the sliding idle expiry and the revocation flag.
//! Surface 2's idTokens are self-contained EdDSA JWTs that other services verify offline
//! against the published JWKS. Every verify pins the algorithm and checks expiry against the
//! [`Clock`](crate::clock::Clock)'s time, not the library's.

use std::collections::HashSet;
use std::sync::LazyLock;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::clock::Epoch;
use crate::crypto;
use crate::domain::error::BoxError;
use crate::keys::{KeySet, MissingKey, Purpose};

/// Tokens longer than this are refused before any parsing.
pub const MAX_TOKEN_LENGTH: usize = 4096;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TokenType {
    /// From a login: lists identities, gets access tokens, logs out.
    Auth,
    /// Scoped to one identity: everything else.
    Access,
    /// Issued instead of an AUTH token when the password has expired: only updates it.
    PasswordUpdate,
}

impl TokenType {
    fn purpose(self) -> &'static str {
        match self {
            TokenType::Access => "access",
            TokenType::Auth | TokenType::PasswordUpdate => "auth",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionClaims {
    /// The session item's id.
    pub sid: String,
    pub typ: TokenType,
    /// For ACCESS tokens: the grant within the session that holds this token's idle expiry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gid: Option<String>,
    pub iat: Epoch,
    /// The session's absolute end; the idle expiry is kept server-side and slides.
    pub exp: Epoch,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the token is malformed or its signature is wrong")]
    Invalid,
    #[error("the token names a key this service does not have")]
    UnknownKid,
    #[error("the token has expired")]
    Expired,
    /// This function was given no keys of that purpose: a deployment mistake, not the caller's.
    #[error("no {0:?} keys to verify with")]
    NoKeys(Purpose),
}

fn kid_for(generation: &str, purpose: &str) -> String {
    format!("{generation}:{purpose}")
}

/// Splits `generation:purpose`, checking the purpose; returns the generation.
fn generation_of<'h>(header: &'h Header, purpose: &str) -> Result<&'h str, TokenError> {
    let kid = header.kid.as_deref().ok_or(TokenError::Invalid)?;
    let (generation, p) = kid.rsplit_once(':').ok_or(TokenError::Invalid)?;
    if p != purpose {
        return Err(TokenError::Invalid);
    }
    Ok(generation)
}

impl From<MissingKey> for TokenError {
    fn from(e: MissingKey) -> Self {
        TokenError::NoKeys(e.0)
    }
}

fn pinned(alg: Algorithm) -> Validation {
    let mut v = Validation::new(alg);
    // Expiry is checked against the service clock below; the library would read system time.
    v.validate_exp = false;
    v.validate_nbf = false;
    v.validate_aud = false;
    v.required_spec_claims = HashSet::new();
    v
}

/// The two validations, built once: every authenticated request verifies a token, and a
/// `Validation` is a handful of allocations.
static SESSION_VALIDATION: LazyLock<Validation> = LazyLock::new(|| pinned(Algorithm::HS256));
static ID_VALIDATION: LazyLock<Validation> = LazyLock::new(|| pinned(Algorithm::EdDSA));

pub fn issue_session_token(set: &KeySet, claims: &SessionClaims) -> Result<String, BoxError> {
    let keys = &set.session()?.current;
    let purpose = claims.typ.purpose();
    let secret = if purpose == "access" { &keys.access } else { &keys.auth };
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some(kid_for(&keys.kid, purpose));
    Ok(jsonwebtoken::encode(&header, claims, &EncodingKey::from_secret(secret))?)
}

/// Verifies a session token of one of the `accepted` purposes ("auth" or "access" keys).
/// Whether `token` is, by its header, an idToken (EdDSA) rather than a session token (HS256):
/// which verification to try. Nothing is verified.
pub fn is_id_token(token: &str) -> bool {
    token.len() <= MAX_TOKEN_LENGTH
        && jsonwebtoken::decode_header(token).is_ok_and(|header| header.alg == Algorithm::EdDSA)
}

pub fn verify_session_token(set: &KeySet, token: &str, now: Epoch) -> Result<SessionClaims, TokenError> {
    if token.len() > MAX_TOKEN_LENGTH {
        return Err(TokenError::Invalid);
    }
    let header = jsonwebtoken::decode_header(token).map_err(|_| TokenError::Invalid)?;
    if header.alg != Algorithm::HS256 {
        return Err(TokenError::Invalid);
    }
    let purpose = header.kid.as_deref().and_then(|k| k.rsplit_once(':')).map(|(_, p)| p).ok_or(TokenError::Invalid)?;
    let keys = match purpose {
        "auth" | "access" => {
            let generation = generation_of(&header, purpose)?;
            set.session()?.by_kid(generation).ok_or(TokenError::UnknownKid)?
        }
        _ => return Err(TokenError::Invalid),
    };
    let secret = if purpose == "access" { &keys.access } else { &keys.auth };
    let data = jsonwebtoken::decode::<SessionClaims>(token, &DecodingKey::from_secret(secret), &SESSION_VALIDATION)
        .map_err(|_| TokenError::Invalid)?;
    let claims = data.claims;
    // A token signed with one kind's key must claim that kind.
    if claims.typ.purpose() != purpose {
        return Err(TokenError::Invalid);
    }
    if now >= claims.exp {
        return Err(TokenError::Expired);
    }
    Ok(claims)
}

/// Claims of a surface-2 idToken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdClaims {
    pub iss: String,
    pub aud: String,
    pub sub: String,
    pub email: String,
    /// Whether the account has proven it receives mail at `email` (OpenID Connect Core §5.1).
    #[serde(default)]
    pub email_verified: bool,
    pub iat: Epoch,
    pub exp: Epoch,
    pub jti: String,
    /// Authentication methods references (RFC 8176): `pwd`, `otp`, `sms`, ...
    pub amr: Vec<String>,
    /// The account's credentials version at issue: a password change makes older tokens stale
    /// for this service's own endpoints.
    pub ver: u64,
    /// The refresh family (the login) the token belongs to: once it ends (logout, a session
    /// ended from the list, a replayed refresh token) the token is refused here too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
}

pub fn issue_id_token(set: &KeySet, claims: &IdClaims) -> Result<String, BoxError> {
    let keys = &set.id_token()?.current;
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some(kid_for(&keys.kid, "id"));
    Ok(jsonwebtoken::encode(&header, claims, &EncodingKey::from_ed_der(&keys.pkcs8))?)
}

pub fn verify_id_token(
    set: &KeySet,
    token: &str,
    issuer: &str,
    audience: &str,
    now: Epoch,
) -> Result<IdClaims, TokenError> {
    if token.len() > MAX_TOKEN_LENGTH {
        return Err(TokenError::Invalid);
    }
    let header = jsonwebtoken::decode_header(token).map_err(|_| TokenError::Invalid)?;
    if header.alg != Algorithm::EdDSA {
        return Err(TokenError::Invalid);
    }
    let generation = generation_of(&header, "id")?;
    let key = set.id_token_public()?.iter().find(|k| k.kid == generation).ok_or(TokenError::UnknownKid)?;
    let public = crypto::b64url_decode(&key.x).ok_or(TokenError::Invalid)?;
    let data = jsonwebtoken::decode::<IdClaims>(token, &DecodingKey::from_ed_der(&public), &ID_VALIDATION)
        .map_err(|_| TokenError::Invalid)?;
    let claims = data.claims;
    if claims.iss != issuer || claims.aud != audience {
        return Err(TokenError::Invalid);
    }
    if now >= claims.exp {
        return Err(TokenError::Expired);
    }
    Ok(claims)
}

/// The public keys of every generation, as a JWK Set (RFC 7517, OKP keys of RFC 8037), and
/// the OpenID Connect provider's RS256 keys beside them ([`crate::oidc_jwt`]).
pub fn jwks(set: &KeySet) -> Result<serde_json::Value, MissingKey> {
    let mut keys: Vec<_> = set
        .id_token_public()?
        .iter()
        .map(|k| {
            serde_json::json!({
                "kty": "OKP",
                "crv": "Ed25519",
                "alg": "EdDSA",
                "use": "sig",
                "kid": kid_for(&k.kid, "id"),
                "x": k.x,
            })
        })
        .collect();
    keys.extend(crate::oidc_jwt::jwks_entries(set));
    Ok(serde_json::json!({ "keys": keys }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{KeySetDocument, generate_generation};

    fn set(kid: &str) -> KeySet {
        KeySet::from_document(&KeySetDocument {
            current: generate_generation(kid).unwrap(),
            previous: None,
            retired: Vec::new(),
        })
        .unwrap()
    }

    fn claims(typ: TokenType) -> SessionClaims {
        SessionClaims { sid: "1.abc".into(), typ, gid: None, iat: 1000, exp: 2000 }
    }

    #[test]
    fn a_session_token_round_trips_until_its_absolute_end() {
        let keys = set("k1");
        let token = issue_session_token(&keys, &claims(TokenType::Auth)).unwrap();
        assert_eq!(verify_session_token(&keys, &token, 1999).unwrap(), claims(TokenType::Auth));
        assert_eq!(verify_session_token(&keys, &token, 2000), Err(TokenError::Expired));
    }

    #[test]
    fn tampering_alg_none_and_foreign_keys_are_refused() {
        let keys = set("k1");
        let token = issue_session_token(&keys, &claims(TokenType::Auth)).unwrap();
        let parts: Vec<&str> = token.split('.').collect();
        // A payload that claims ACCESS with the AUTH signature.
        let forged_payload = crypto::b64url(&serde_json::to_vec(&claims(TokenType::Access)).unwrap());
        let tampered = format!("{}.{}.{}", parts[0], forged_payload, parts[2]);
        assert_eq!(verify_session_token(&keys, &tampered, 1500), Err(TokenError::Invalid));
        // alg: none, with no signature.
        let none_header = crypto::b64url(br#"{"alg":"none","kid":"k1:auth"}"#);
        assert_eq!(
            verify_session_token(&keys, &format!("{none_header}.{}.", parts[1]), 1500),
            Err(TokenError::Invalid)
        );
        // Another deployment's keys with the same kid.
        let other = set("k1");
        assert_eq!(verify_session_token(&other, &token, 1500), Err(TokenError::Invalid));
        // A kid nobody has.
        assert_eq!(verify_session_token(&set("k2"), &token, 1500), Err(TokenError::UnknownKid));
        assert_eq!(verify_session_token(&keys, "garbage", 1500), Err(TokenError::Invalid));
        assert_eq!(verify_session_token(&keys, &"a".repeat(5000), 1500), Err(TokenError::Invalid));
    }

    #[test]
    fn access_and_auth_tokens_use_different_keys() {
        let keys = set("k1");
        let access = issue_session_token(&keys, &claims(TokenType::Access)).unwrap();
        assert_eq!(verify_session_token(&keys, &access, 1500).unwrap().typ, TokenType::Access);
        // Re-label the ACCESS token's kid as an auth token: the auth key does not verify it.
        let header = crypto::b64url(br#"{"alg":"HS256","typ":"JWT","kid":"k1:auth"}"#);
        let parts: Vec<&str> = access.split('.').collect();
        assert_eq!(
            verify_session_token(&keys, &format!("{header}.{}.{}", parts[1], parts[2]), 1500),
            Err(TokenError::Invalid)
        );
    }

    #[test]
    fn a_previous_generation_still_verifies_after_rotation() {
        let old = generate_generation("old").unwrap();
        let before =
            KeySet::from_document(&KeySetDocument { current: old.clone(), previous: None, retired: Vec::new() })
                .unwrap();
        let token = issue_session_token(&before, &claims(TokenType::Auth)).unwrap();
        let after = KeySet::from_document(&KeySetDocument {
            current: generate_generation("new").unwrap(),
            previous: Some(old),
            retired: Vec::new(),
        })
        .unwrap();
        assert!(verify_session_token(&after, &token, 1500).is_ok());
    }

    fn id_claims() -> IdClaims {
        IdClaims {
            iss: "iss".into(),
            aud: "aud".into(),
            sub: "42".into(),
            email: "a@b.c".into(),
            email_verified: false,
            iat: 1000,
            exp: 1900,
            jti: "j".into(),
            amr: vec!["pwd".into()],
            ver: 1,
            sid: None,
        }
    }

    #[test]
    fn id_tokens_verify_against_the_published_jwks_and_nothing_else() {
        let keys = set("k1");
        let token = issue_id_token(&keys, &id_claims()).unwrap();
        assert_eq!(verify_id_token(&keys, &token, "iss", "aud", 1899).unwrap(), id_claims());
        assert_eq!(verify_id_token(&keys, &token, "iss", "aud", 1900), Err(TokenError::Expired));
        assert_eq!(verify_id_token(&keys, &token, "other", "aud", 1500), Err(TokenError::Invalid));
        assert_eq!(verify_id_token(&keys, &token, "iss", "other", 1500), Err(TokenError::Invalid));
        // Verify the way an outside service would: from the JWKS alone.
        let jwks: jsonwebtoken::jwk::JwkSet = serde_json::from_value(jwks(&keys).unwrap()).unwrap();
        let jwk = jwks.find("k1:id").unwrap();
        let mut v = Validation::new(Algorithm::EdDSA);
        v.set_audience(&["aud"]);
        v.validate_exp = false;
        let decoded = jsonwebtoken::decode::<IdClaims>(&token, &DecodingKey::from_jwk(jwk).unwrap(), &v).unwrap();
        assert_eq!(decoded.claims.sub, "42");
    }

    #[test]
    fn an_hs256_id_token_signed_with_the_public_key_is_refused() {
        let keys = set("k1");
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some("k1:id".into());
        let forged = {
            let public = crypto::b64url_decode(&keys.id_token_public().unwrap()[0].x).unwrap();
            jsonwebtoken::encode(&header, &id_claims(), &EncodingKey::from_secret(&public)).unwrap()
        };
        assert_eq!(verify_id_token(&keys, &forged, "iss", "aud", 1500), Err(TokenError::Invalid));
    }
}
