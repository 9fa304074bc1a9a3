//! Password hashes made by other systems, told apart by their form, parsed into a typed value
//! with bounded parameters and verified by the scheme's own well-kept crate (pure: no I/O).
//!
//! - bcrypt: `$2a$`, `$2b$`, `$2y$` (cost 4 to [`BCRYPT_MAX_COST`]); the crate's verify, which
//!   truncates at 72 bytes as every bcrypt did, compares in constant time.
//! - Argon2 in PHC form: `$argon2id$`, `$argon2i$`, `$argon2d$` (memory, passes and lanes
//!   bounded); the crate's verify.
//! - PBKDF2 in Django's form: `pbkdf2_sha256$<iterations>$<salt>$<base64 hash>` and
//!   `pbkdf2_sha1$...` (iterations 1 to [`PBKDF2_MAX_ITERATIONS`]); compared with `subtle`.
//! - scrypt in PHC form: `$scrypt$ln=<log2 N>,r=<r>,p=<p>$<base64 salt>$<base64 hash>`
//!   (memory `128·r·N` at most [`SCRYPT_MAX_MEMORY`]); compared with `subtle`.
//! - Firebase's modified scrypt ([`super::firebase`]), stored as `$firebase-scrypt$...`.
//!
//! A reason for refusing a hash names the scheme and the rule, never the hash's content.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use subtle::ConstantTimeEq;

use super::firebase::FirebaseHash;

/// bcrypt's cost is a power of two: 16 is already some 5 s a check.
pub const BCRYPT_MAX_COST: u32 = 16;
/// Django's default is 1,000,000 (2024); ten times that is some 10 s.
pub const PBKDF2_MAX_ITERATIONS: u32 = 10_000_000;
/// The memory one scrypt (or Firebase scrypt) check may take: 256 MiB.
pub const SCRYPT_MAX_MEMORY: u64 = 256 * 1024 * 1024;
/// Argon2's bounds: memory in KiB (256 MiB), passes, lanes.
pub const ARGON2_MAX_MEMORY_KIB: u32 = 262_144;
pub const ARGON2_MAX_PASSES: u32 = 32;
pub const ARGON2_MAX_LANES: u32 = 16;
/// The longest hash string accepted at all (a Firebase one with its signer key is the longest).
pub const MAX_LENGTH: usize = 1024;

/// Why a hash was refused: a reason fit for a report (no content of the hash).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HashError {
    #[error("unknown password hash form")]
    UnknownForm,
    #[error("malformed {0} hash")]
    Malformed(&'static str),
    #[error("{0} out of bounds")]
    OutOfBounds(&'static str),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Digest {
    Sha256,
    Sha1,
}

/// A parsed hash, ready to verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Foreign {
    Bcrypt { hash: String, cost: u32 },
    Argon2 { hash: String },
    Pbkdf2 { digest: Digest, iterations: u32, salt: String, expected: Vec<u8> },
    Scrypt { log_n: u8, r: u32, p: u32, salt: Vec<u8>, expected: Vec<u8> },
    Firebase(FirebaseHash),
}

impl Foreign {
    /// The scheme's name, as reports and events give it.
    pub fn scheme(&self) -> &'static str {
        match self {
            Foreign::Bcrypt { .. } => "bcrypt",
            Foreign::Argon2 { .. } => "argon2",
            Foreign::Pbkdf2 { digest: Digest::Sha256, .. } => "pbkdf2_sha256",
            Foreign::Pbkdf2 { digest: Digest::Sha1, .. } => "pbkdf2_sha1",
            Foreign::Scrypt { .. } => "scrypt",
            Foreign::Firebase(_) => "firebase-scrypt",
        }
    }

    /// True when `password` is the one the hash was made of.
    pub fn verify(&self, password: &[u8]) -> bool {
        match self {
            Foreign::Bcrypt { hash, .. } => bcrypt::verify(password, hash).unwrap_or(false),
            Foreign::Argon2 { hash } => {
                use argon2::PasswordVerifier;
                argon2::Argon2::default().verify_password(password, hash.as_str()).is_ok()
            }
            Foreign::Pbkdf2 { digest, iterations, salt, expected } => {
                let mut out = vec![0u8; expected.len()];
                match digest {
                    Digest::Sha256 => {
                        pbkdf2::pbkdf2_hmac::<sha2::Sha256>(password, salt.as_bytes(), *iterations, &mut out)
                    }
                    Digest::Sha1 => pbkdf2::pbkdf2_hmac::<sha1::Sha1>(password, salt.as_bytes(), *iterations, &mut out),
                }
                bool::from(out.ct_eq(expected))
            }
            Foreign::Scrypt { log_n, r, p, salt, expected } => {
                let Ok(params) = scrypt::Params::new(*log_n, *r, *p) else { return false };
                let mut out = vec![0u8; expected.len()];
                scrypt::scrypt(password, salt, &params, &mut out).is_ok() && bool::from(out.ct_eq(expected))
            }
            Foreign::Firebase(f) => f.verify(password),
        }
    }

    /// The string stored for the account: the hash as it came, or the Firebase one's own form.
    pub fn stored(&self) -> String {
        match self {
            Foreign::Bcrypt { hash, .. } | Foreign::Argon2 { hash } => hash.clone(),
            Foreign::Pbkdf2 { digest, iterations, salt, expected } => {
                let name = if *digest == Digest::Sha256 { "pbkdf2_sha256" } else { "pbkdf2_sha1" };
                format!("{name}${iterations}${salt}${}", STANDARD.encode(expected))
            }
            Foreign::Scrypt { log_n, r, p, salt, expected } => format!(
                "$scrypt$ln={log_n},r={r},p={p}${}${}",
                STANDARD_NO_PAD.encode(salt),
                STANDARD_NO_PAD.encode(expected)
            ),
            Foreign::Firebase(f) => f.stored(),
        }
    }
}

/// Parses a hash by its form, with every parameter checked against its bound.
pub fn parse(hash: &str) -> Result<Foreign, HashError> {
    if hash.len() > MAX_LENGTH {
        return Err(HashError::OutOfBounds("password hash length"));
    }
    if hash.starts_with("$2a$") || hash.starts_with("$2b$") || hash.starts_with("$2y$") {
        return parse_bcrypt(hash);
    }
    if hash.starts_with("$argon2id$") || hash.starts_with("$argon2i$") || hash.starts_with("$argon2d$") {
        return parse_argon2(hash);
    }
    if let Some(rest) = hash.strip_prefix("pbkdf2_sha256$") {
        return parse_pbkdf2(Digest::Sha256, rest);
    }
    if let Some(rest) = hash.strip_prefix("pbkdf2_sha1$") {
        return parse_pbkdf2(Digest::Sha1, rest);
    }
    if let Some(rest) = hash.strip_prefix("$scrypt$") {
        return parse_scrypt(rest);
    }
    if hash.starts_with(super::firebase::PREFIX) {
        return FirebaseHash::parse_stored(hash).map(Foreign::Firebase);
    }
    Err(HashError::UnknownForm)
}

fn parse_bcrypt(hash: &str) -> Result<Foreign, HashError> {
    const M: HashError = HashError::Malformed("bcrypt");
    // `$2b$` + two digits + `$` + 22 characters of salt + 31 of hash.
    if hash.len() != 60 || hash.as_bytes().get(6) != Some(&b'$') {
        return Err(M);
    }
    let cost: u32 = hash.get(4..6).and_then(|c| c.parse().ok()).ok_or(M)?;
    if !(4..=BCRYPT_MAX_COST).contains(&cost) {
        return Err(HashError::OutOfBounds("bcrypt cost"));
    }
    let body = hash.get(7..).ok_or(M)?;
    if !body.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'/') {
        return Err(M);
    }
    Ok(Foreign::Bcrypt { hash: hash.to_owned(), cost })
}

fn parse_argon2(hash: &str) -> Result<Foreign, HashError> {
    const M: HashError = HashError::Malformed("argon2");
    let parsed = argon2::PasswordHash::new(hash).map_err(|_| M)?;
    let params = argon2::Params::try_from(&parsed).map_err(|_| M)?;
    if parsed.salt.is_none() || parsed.hash.is_none() {
        return Err(M);
    }
    if params.m_cost() > ARGON2_MAX_MEMORY_KIB
        || params.t_cost() > ARGON2_MAX_PASSES
        || params.p_cost() > ARGON2_MAX_LANES
    {
        return Err(HashError::OutOfBounds("argon2 parameters"));
    }
    Ok(Foreign::Argon2 { hash: hash.to_owned() })
}

fn parse_pbkdf2(digest: Digest, rest: &str) -> Result<Foreign, HashError> {
    const M: HashError = HashError::Malformed("pbkdf2");
    let mut parts = rest.split('$');
    let (Some(iterations), Some(salt), Some(hash), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(M);
    };
    let iterations: u64 = iterations.parse().map_err(|_| M)?;
    let iterations = u32::try_from(iterations)
        .ok()
        .filter(|i| (1..=PBKDF2_MAX_ITERATIONS).contains(i))
        .ok_or(HashError::OutOfBounds("pbkdf2 iterations"))?;
    if salt.is_empty() || salt.len() > 256 {
        return Err(M);
    }
    let expected = STANDARD.decode(hash).map_err(|_| M)?;
    if !(16..=64).contains(&expected.len()) {
        return Err(M);
    }
    Ok(Foreign::Pbkdf2 { digest, iterations, salt: salt.to_owned(), expected })
}

/// Base64 as PHC strings (no padding) and passlib (`.` for `+`) write it; padding tolerated.
pub(super) fn phc_b64(s: &str) -> Option<Vec<u8>> {
    STANDARD_NO_PAD.decode(s.trim_end_matches('=').replace('.', "+")).ok()
}

fn parse_scrypt(rest: &str) -> Result<Foreign, HashError> {
    const M: HashError = HashError::Malformed("scrypt");
    let mut parts = rest.split('$');
    let (Some(params), Some(salt), Some(hash), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(M);
    };
    let (mut log_n, mut r, mut p) = (None, None, None);
    for kv in params.split(',') {
        match kv.split_once('=') {
            Some(("ln", v)) => log_n = v.parse::<u8>().ok(),
            Some(("r", v)) => r = v.parse::<u32>().ok(),
            Some(("p", v)) => p = v.parse::<u32>().ok(),
            _ => return Err(M),
        }
    }
    let (Some(log_n), Some(r), Some(p)) = (log_n, r, p) else { return Err(M) };
    scrypt_bounds(log_n, r, p)?;
    let salt = phc_b64(salt).filter(|s| !s.is_empty() && s.len() <= 256).ok_or(M)?;
    let expected = phc_b64(hash).filter(|h| (16..=64).contains(&h.len())).ok_or(M)?;
    Ok(Foreign::Scrypt { log_n, r, p, salt, expected })
}

/// scrypt's parameters: N = 2^ln at least 2, r and p at least 1, p at most 16, and the memory
/// one check takes (128·r·N bytes) at most [`SCRYPT_MAX_MEMORY`].
pub(super) fn scrypt_bounds(log_n: u8, r: u32, p: u32) -> Result<(), HashError> {
    let memory = 128u64.saturating_mul(u64::from(r)).checked_shl(u32::from(log_n)).unwrap_or(u64::MAX);
    if log_n == 0 || log_n > 30 || r == 0 || p == 0 || p > 16 || memory > SCRYPT_MAX_MEMORY {
        return Err(HashError::OutOfBounds("scrypt parameters"));
    }
    Ok(())
}

#[cfg(test)]
#[path = "foreign_tests.rs"]
mod tests;
