//! Firebase Authentication's modified scrypt (github.com/firebase/scrypt): the key is
//! `scrypt(password, salt ‖ salt_separator, N = 2^mem_cost, r = rounds, p = 1, 32 bytes)`, and
//! the hash is the project's signer key encrypted under it with AES-256-CTR from a zero IV.
//! The crates `scrypt`, `aes` and `ctr` do the work; the comparison is `subtle`'s.
//!
//! The project's parameters come once per import ([`FirebaseParams`]); each account's hash is
//! stored with them, self-contained: `$firebase-scrypt$r=<rounds>,m=<mem_cost>$<signer key>$
//! <salt separator>$<salt>$<hash>` (standard base64), so a login needs nothing else.

use aes::cipher::{KeyIvInit, StreamCipher};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use subtle::ConstantTimeEq;

use super::foreign::{HashError, scrypt_bounds};

pub const PREFIX: &str = "$firebase-scrypt$";
const M: HashError = HashError::Malformed("firebase-scrypt");

/// The project's hash parameters, as `firebase auth:export` prints them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirebaseParams {
    pub signer_key: Vec<u8>,
    pub salt_separator: Vec<u8>,
    pub rounds: u32,
    pub mem_cost: u8,
}

impl FirebaseParams {
    /// From the printed values: base64 signer key and salt separator, rounds, memory cost.
    pub fn parse(signer_key: &str, salt_separator: &str, rounds: &str, mem_cost: &str) -> Result<Self, HashError> {
        let signer_key = STANDARD.decode(signer_key.trim()).map_err(|_| M)?;
        let salt_separator = STANDARD.decode(salt_separator.trim()).map_err(|_| M)?;
        let rounds = rounds.trim().parse().map_err(|_| M)?;
        let mem_cost = mem_cost.trim().parse().map_err(|_| M)?;
        let params = Self { signer_key, salt_separator, rounds, mem_cost };
        params.check()?;
        Ok(params)
    }

    fn check(&self) -> Result<(), HashError> {
        if self.signer_key.is_empty() || self.signer_key.len() > 256 || self.salt_separator.len() > 64 {
            return Err(HashError::OutOfBounds("firebase signer key or salt separator"));
        }
        scrypt_bounds(self.mem_cost, self.rounds, 1)
    }
}

/// One account's Firebase hash with its project's parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirebaseHash {
    pub params: FirebaseParams,
    pub salt: Vec<u8>,
    pub hash: Vec<u8>,
}

impl FirebaseHash {
    /// From an export's `{"hash": <base64>, "salt": <base64>}` and the project's parameters.
    pub fn new(params: &FirebaseParams, hash: &str, salt: &str) -> Result<Self, HashError> {
        let hash = STANDARD.decode(hash).map_err(|_| M)?;
        let salt = STANDARD.decode(salt).map_err(|_| M)?;
        if hash.len() != params.signer_key.len() || salt.is_empty() || salt.len() > 256 {
            return Err(M);
        }
        Ok(Self { params: params.clone(), salt, hash })
    }

    pub fn stored(&self) -> String {
        let p = &self.params;
        format!(
            "{PREFIX}r={},m={}${}${}${}${}",
            p.rounds,
            p.mem_cost,
            STANDARD.encode(&p.signer_key),
            STANDARD.encode(&p.salt_separator),
            STANDARD.encode(&self.salt),
            STANDARD.encode(&self.hash)
        )
    }

    pub fn parse_stored(stored: &str) -> Result<Self, HashError> {
        let rest = stored.strip_prefix(PREFIX).ok_or(M)?;
        let parts: Vec<&str> = rest.split('$').collect();
        let [cost, signer_key, separator, salt, hash] = parts.as_slice() else { return Err(M) };
        let (r, m) = cost.split_once(',').ok_or(M)?;
        let rounds = r.strip_prefix("r=").ok_or(M)?;
        let mem_cost = m.strip_prefix("m=").ok_or(M)?;
        let params = FirebaseParams::parse(signer_key, separator, rounds, mem_cost)?;
        Self::new(&params, hash, salt)
    }

    pub fn verify(&self, password: &[u8]) -> bool {
        let p = &self.params;
        let Ok(scrypt_params) = scrypt::Params::new(p.mem_cost, p.rounds, 1) else { return false };
        let mut salted = self.salt.clone();
        salted.extend_from_slice(&p.salt_separator);
        let mut key = [0u8; 32];
        if scrypt::scrypt(password, &salted, &scrypt_params, &mut key).is_err() {
            return false;
        }
        let mut out = p.signer_key.clone();
        let mut cipher = ctr::Ctr128BE::<aes::Aes256>::new(&key.into(), &[0u8; 16].into());
        cipher.apply_keystream(&mut out);
        bool::from(out.ct_eq(&self.hash))
    }
}
