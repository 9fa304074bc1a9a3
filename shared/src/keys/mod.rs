//! Signing and encryption keys, split by purpose so that each function holds only the key
//! material it uses: session-token keys (HS256, AUTH and ACCESS), the idToken signing key
//! (Ed25519), the idToken *public* keys (for verifiers and the JWKS), and the data key (TOTP
//! secrets at rest, one-time-code hashes). In AWS each purpose is its own Secrets Manager
//! secret, rotated on its own, and a function's policy names only the secrets it reads. A ring
//! holds the current generation and, after a rotation, the previous one, so what was signed
//! just before a rotation still verifies; the data key's ring holds every generation, so what
//! was sealed at rest opens however many rotations later.

use serde::{Deserialize, Serialize};

use crate::domain::error::BoxError;

pub mod rsa;
mod sources;
pub use sources::{EphemeralKeys, KeySource, NoKeys, SecretsManagerKeys, read_secret};

/// One generation of keys, as stored in a secret: a key id and a random seed from which the
/// generation's keys are derived. One value per generation keeps rotation simple and lets
/// CloudFormation generate the first secret itself (`GenerateSecretString`).
#[derive(Clone, Serialize, Deserialize)]
pub struct KeyGeneration {
    pub kid: String,
    pub seed: String,
    /// The generation's RS256 key for the OpenID Connect provider (base64url PKCS#8): see
    /// [`rsa`]. Absent from a generation nobody rotated in yet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rsa: Option<String>,
}

impl std::fmt::Debug for KeyGeneration {
    // Key material never reaches a log line, even through `{:?}`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyGeneration").field("kid", &self.kid).finish_non_exhaustive()
    }
}

/// A key secret's JSON: `{"current": {"kid", "seed"}, "previous": {"kid", "seed"} | null,
/// "retired": [...]}`, or a bare `{"kid", "seed"}` (a secret that has never been rotated).
/// `retired` holds the generations before `previous`, newest first, and only in the data-key
/// secret: what was sealed at rest under them (TOTP secrets) must open for as long as it is
/// stored, however many rotations later. Signing keys keep no retired generations: a token
/// lives minutes or days, and an old signing key kept would only be one more to leak.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KeySetDocument {
    pub current: KeyGeneration,
    #[serde(default)]
    pub previous: Option<KeyGeneration>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub retired: Vec<KeyGeneration>,
}

impl KeySetDocument {
    pub fn parse(json: &str) -> Result<Self, BoxError> {
        if let Ok(doc) = serde_json::from_str::<KeySetDocument>(json) {
            return Ok(doc);
        }
        let bare: KeyGeneration = serde_json::from_str(json)
            .map_err(|_| "the key secret is neither {\"current\", \"previous\"} nor {\"kid\", \"seed\"}")?;
        Ok(KeySetDocument { current: bare, previous: None, retired: Vec::new() })
    }

    /// Every generation the document holds, current first.
    pub fn generations(&self) -> impl Iterator<Item = &KeyGeneration> {
        std::iter::once(&self.current).chain(self.previous.iter()).chain(self.retired.iter())
    }
}

/// What a secret holds, and what a function may be given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Purpose {
    /// HS256 keys of AUTH, ACCESS and temporary session tokens.
    Session,
    /// The Ed25519 key that signs idTokens.
    IdToken,
    /// The idToken verification keys, public: what verifiers and the JWKS need.
    IdTokenPublic,
    /// The key for data at rest: TOTP secrets (AES-256-GCM) and one-time-code hashes (HMAC).
    Data,
}

impl Purpose {
    pub const ALL: [Purpose; 4] = [Purpose::Session, Purpose::IdToken, Purpose::IdTokenPublic, Purpose::Data];

    pub const fn name(self) -> &'static str {
        match self {
            Purpose::Session => "Session",
            Purpose::IdToken => "IdToken",
            Purpose::IdTokenPublic => "IdTokenPublic",
            Purpose::Data => "Data",
        }
    }

    /// The environment variable naming this purpose's secret.
    pub fn env_var(self) -> &'static str {
        match self {
            Purpose::Session => "AUTH_SESSION_KEYS_SECRET_ID",
            Purpose::IdToken => "AUTH_ID_TOKEN_KEYS_SECRET_ID",
            Purpose::IdTokenPublic => "AUTH_ID_TOKEN_PUBLIC_KEYS_SECRET_ID",
            Purpose::Data => "AUTH_DATA_KEYS_SECRET_ID",
        }
    }
}

/// A function asked for key material it was not given: a deployment mistake, answered as an
/// opaque 500 with this logged.
#[derive(Debug, thiserror::Error)]
#[error("this function holds no {0:?} keys: its environment names no secret for them")]
pub struct MissingKey(pub Purpose);

pub struct SessionKeys {
    pub kid: String,
    /// HS256 secret for AUTH and password-update session tokens.
    pub auth: Vec<u8>,
    /// HS256 secret for ACCESS tokens: a separate key, so one kind never verifies as the other.
    pub access: Vec<u8>,
}

pub struct IdTokenKeys {
    pub kid: String,
    /// Ed25519 private key (PKCS#8).
    pub pkcs8: Vec<u8>,
    /// The provider's RS256 key, when the generation has one.
    pub rsa: Option<aws_lc_rs::rsa::KeyPair>,
}

/// An idToken verification key: raw 32-byte Ed25519 public key.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicKey {
    pub kid: String,
    /// base64url of the raw public key, as a JWK's `x`.
    pub x: String,
    /// The generation's RS256 public key (JWK `n` and `e`), when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub e: Option<String>,
}

pub struct DataKeys {
    pub kid: String,
    /// 256-bit key for data at rest.
    pub data: Vec<u8>,
}

macro_rules! opaque_debug {
    ($($t:ty),*) => {$(
        impl std::fmt::Debug for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($t)).field("kid", &self.kid).finish_non_exhaustive()
            }
        }
    )*};
}
opaque_debug!(SessionKeys, IdTokenKeys, DataKeys);

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PublicKey").field("kid", &self.kid).finish_non_exhaustive()
    }
}

/// The current generation of one purpose and, after a rotation, the previous one; for the
/// data key, every older generation too (`retired`, newest first).
#[derive(Debug)]
pub struct Ring<K> {
    pub current: K,
    pub previous: Option<K>,
    pub retired: Vec<K>,
}

pub trait Generation {
    fn kid(&self) -> &str;
}

macro_rules! generation {
    ($($t:ty),*) => {$( impl Generation for $t { fn kid(&self) -> &str { &self.kid } } )*};
}
generation!(SessionKeys, IdTokenKeys, DataKeys);

impl<K: Generation> Ring<K> {
    /// Every generation, current first.
    pub fn generations(&self) -> impl Iterator<Item = &K> {
        std::iter::once(&self.current).chain(self.previous.iter()).chain(self.retired.iter())
    }

    pub fn by_kid(&self, kid: &str) -> Option<&K> {
        self.generations().find(|k| k.kid() == kid)
    }

    /// The ring of a document; its retired generations only when `keep_retired`.
    fn derive(
        doc: &KeySetDocument,
        one: fn(&KeyGeneration) -> Result<K, BoxError>,
        keep_retired: bool,
    ) -> Result<Self, BoxError> {
        let retired = if keep_retired { doc.retired.iter().map(one).collect::<Result<_, _>>()? } else { Vec::new() };
        Ok(Ring { current: one(&doc.current)?, previous: doc.previous.as_ref().map(one).transpose()?, retired })
    }
}

/// The public idToken keys, as the rotation function publishes them for verifiers:
/// `{"keys": [{"kid", "x"}]}`, newest first.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PublicKeysDocument {
    pub keys: Vec<PublicKey>,
}

impl PublicKeysDocument {
    /// The public keys of every generation of an idToken key document.
    pub fn of(doc: &KeySetDocument) -> Result<Self, BoxError> {
        let keys: Result<Vec<PublicKey>, BoxError> = doc.generations().map(public_key).collect();
        Ok(PublicKeysDocument { keys: keys? })
    }
}

/// The key material one function holds; a purpose it was not given is absent.
#[derive(Debug, Default)]
pub struct KeySet {
    session: Option<Ring<SessionKeys>>,
    id_token: Option<Ring<IdTokenKeys>>,
    id_token_public: Vec<PublicKey>,
    data: Option<Ring<DataKeys>>,
    /// How often each purpose was asked for, so the tests can tie each function's template
    /// entry to what its code really reads.
    #[cfg(feature = "test-util")]
    used: [std::sync::atomic::AtomicUsize; 4],
    /// The purposes each function asked for (test requests name their function).
    #[cfg(feature = "test-util")]
    by_function: std::sync::Mutex<crate::testing::Ledger>,
}

impl KeySet {
    /// Every purpose from one document: local runs, tests, and the single-secret set-up.
    pub fn from_document(doc: &KeySetDocument) -> Result<Self, BoxError> {
        let mut set = KeySet::default();
        for purpose in [Purpose::Session, Purpose::IdToken, Purpose::Data] {
            set.add(purpose, doc)?;
        }
        Ok(set)
    }

    pub fn from_json(json: &str) -> Result<Self, BoxError> {
        Self::from_document(&KeySetDocument::parse(json)?)
    }

    /// Adds the keys of `purpose` derived from a key document. Holding the idToken signing key
    /// also means holding its public keys.
    pub fn add(&mut self, purpose: Purpose, doc: &KeySetDocument) -> Result<(), BoxError> {
        match purpose {
            Purpose::Session => self.session = Some(Ring::derive(doc, derive_session, false)?),
            Purpose::IdToken => {
                self.id_token = Some(Ring::derive(doc, derive_id_token, false)?);
                self.add_public(PublicKeysDocument::of(doc)?);
            }
            Purpose::IdTokenPublic => self.add_public(PublicKeysDocument::of(doc)?),
            Purpose::Data => self.data = Some(Ring::derive(doc, derive_data, true)?),
        }
        Ok(())
    }

    /// Adds published public keys (those not already held).
    pub fn add_public(&mut self, doc: PublicKeysDocument) {
        for key in doc.keys {
            if !self.id_token_public.iter().any(|k| k.kid == key.kid) {
                self.id_token_public.push(key);
            }
        }
    }

    /// This set with only the purposes named: what a function given just those would hold.
    pub fn restricted_to(mut self, purposes: &[Purpose]) -> Self {
        let keep = |p: Purpose| purposes.contains(&p);
        if !keep(Purpose::Session) {
            self.session = None;
        }
        if !keep(Purpose::IdToken) {
            self.id_token = None;
            if !keep(Purpose::IdTokenPublic) {
                self.id_token_public.clear();
            }
        }
        if !keep(Purpose::Data) {
            self.data = None;
        }
        self
    }

    /// How often this set was asked for `purpose` (test builds only).
    #[cfg(feature = "test-util")]
    pub fn times_used(&self, purpose: Purpose) -> usize {
        self.used[purpose as usize].load(std::sync::atomic::Ordering::SeqCst)
    }

    /// The purposes each function asked for, by [`Purpose::name`] (test builds only).
    #[cfg(feature = "test-util")]
    pub fn used_by_function(&self) -> crate::testing::Ledger {
        self.by_function.lock().map(|l| l.clone()).unwrap_or_default()
    }

    #[cfg_attr(not(feature = "test-util"), allow(unused_variables))]
    fn used(&self, purpose: Purpose) {
        #[cfg(feature = "test-util")]
        {
            self.used[purpose as usize].fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            crate::testing::note(&self.by_function, purpose.name());
        }
    }

    pub fn session(&self) -> Result<&Ring<SessionKeys>, MissingKey> {
        self.used(Purpose::Session);
        self.session.as_ref().ok_or(MissingKey(Purpose::Session))
    }

    pub fn id_token(&self) -> Result<&Ring<IdTokenKeys>, MissingKey> {
        self.used(Purpose::IdToken);
        self.id_token.as_ref().ok_or(MissingKey(Purpose::IdToken))
    }

    pub fn data(&self) -> Result<&Ring<DataKeys>, MissingKey> {
        self.used(Purpose::Data);
        self.data.as_ref().ok_or(MissingKey(Purpose::Data))
    }

    /// The idToken verification keys held (from the signing key, or as published).
    pub fn id_token_public(&self) -> Result<&[PublicKey], MissingKey> {
        if self.id_token.is_none() {
            self.used(Purpose::IdTokenPublic);
        }
        // Noted as such even where the signing key provides them: whoever holds that key
        // needs no other secret, which the IAM test works out.
        #[cfg(feature = "test-util")]
        crate::testing::note(&self.by_function, Purpose::IdTokenPublic.name());
        if self.id_token_public.is_empty() {
            return Err(MissingKey(Purpose::IdTokenPublic));
        }
        Ok(&self.id_token_public)
    }
}

mod derive;
#[cfg(test)]
use derive::public_of;
pub use derive::{MIN_SEED_LENGTH, generate_generation};
use derive::{derive_data, derive_id_token, derive_session, public_key};

impl From<MissingKey> for crate::domain::error::DomainError {
    fn from(e: MissingKey) -> Self {
        crate::domain::error::DomainError::internal(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(kid: &str, previous: Option<&str>) -> KeySetDocument {
        KeySetDocument {
            current: generate_generation(kid).unwrap(),
            previous: previous.map(|p| generate_generation(p).unwrap()),
            retired: Vec::new(),
        }
    }

    #[test]
    fn a_generated_document_round_trips_and_never_prints_its_keys() {
        let doc = doc("k1", Some("k0"));
        let json = serde_json::to_string(&doc).unwrap();
        let set = KeySet::from_json(&json).unwrap();
        assert_eq!(set.session().unwrap().current.kid, "k1");
        assert_eq!(set.data().unwrap().by_kid("k0").map(|k| k.kid.as_str()), Some("k0"));
        assert!(set.session().unwrap().by_kid("nope").is_none());
        let printed = format!("{doc:?} {set:?}");
        assert!(!printed.contains(&doc.current.seed));
    }

    #[test]
    fn keys_are_derived_deterministically_and_independently() {
        let g = generate_generation("k").unwrap();
        let (a, b) = (derive_session(&g).unwrap(), derive_session(&g).unwrap());
        assert_eq!(a.auth, b.auth);
        assert_eq!(public_of(&g).unwrap(), public_of(&g).unwrap());
        assert_ne!(a.auth, a.access);
        assert_ne!(a.auth, derive_data(&g).unwrap().data);
        assert_ne!(derive_session(&generate_generation("k").unwrap()).unwrap().auth, a.auth);
    }

    #[test]
    fn a_set_restricted_to_some_purposes_holds_nothing_else() {
        let full = KeySet::from_document(&doc("k", None)).unwrap();
        let session_only = full.restricted_to(&[Purpose::Session]);
        assert!(session_only.session().is_ok());
        assert!(matches!(session_only.id_token(), Err(MissingKey(Purpose::IdToken))));
        assert!(matches!(session_only.data(), Err(MissingKey(Purpose::Data))));
        assert!(session_only.id_token_public().is_err());
        let jwks_only = KeySet::from_document(&doc("k", None)).unwrap().restricted_to(&[Purpose::IdTokenPublic]);
        assert!(jwks_only.id_token().is_err(), "the public keys do not include the private one");
        assert_eq!(jwks_only.id_token_public().unwrap().len(), 1);
    }

    #[test]
    fn published_public_keys_match_the_signing_keys() {
        let d = doc("k2", Some("k1"));
        let published = PublicKeysDocument::of(&d).unwrap();
        let mut verifier = KeySet::default();
        verifier.add_public(serde_json::from_str(&serde_json::to_string(&published).unwrap()).unwrap());
        let mut signer = KeySet::default();
        signer.add(Purpose::IdToken, &d).unwrap();
        assert_eq!(verifier.id_token_public().unwrap(), signer.id_token_public().unwrap());
        assert_eq!(published.keys.iter().map(|k| k.kid.as_str()).collect::<Vec<_>>(), ["k2", "k1"]);
    }

    #[test]
    fn a_bare_generation_as_cloudformation_makes_it_is_accepted() {
        let set = KeySet::from_json(r#"{"kid":"initial","seed":"abcdefghijklmnopqrstuvwxyz0123456789ABCD"}"#).unwrap();
        assert_eq!(set.session().unwrap().current.kid, "initial");
        assert!(set.session().unwrap().previous.is_none());
    }

    #[test]
    fn a_bad_document_is_refused_with_a_reason() {
        assert!(KeySet::from_json("{}").is_err());
        let err = KeySet::from_json(r#"{"kid":"k","seed":"short"}"#).unwrap_err();
        assert!(err.to_string().contains("shorter"), "{err}");
        assert!(KeySet::from_json(r#"{"kid":"a:b","seed":"abcdefghijklmnopqrstuvwxyz0123456789ABCD"}"#).is_err());
    }
}
