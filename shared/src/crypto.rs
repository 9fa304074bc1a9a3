//! Small cryptographic helpers: randomness from the operating system, and digests, MACs,
//! AEAD and constant-time comparison from `aws-lc-rs`, the library the SDK's TLS already brings.

use aws_lc_rs::{constant_time, digest, hmac};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

#[derive(Debug, thiserror::Error)]
#[error("the system random number generator failed")]
pub struct RandomError;

/// Random bytes from the operating system (`getrandom`). Not aws-lc's generator: its first
/// draw seeds itself for tens of milliseconds, which a cold start would pay on its first request.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], RandomError> {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).map_err(|_| RandomError)?;
    Ok(buf)
}

/// How many bytes of the operating system's randomness each thread draws at once for
/// [`pooled_random`].
const POOL_BYTES: usize = 4096;

thread_local! {
    /// Bytes drawn and not handed out yet: `POOL_BYTES - used` of them, at the end.
    static POOL: std::cell::RefCell<([u8; POOL_BYTES], usize)> = const { std::cell::RefCell::new(([0; POOL_BYTES], POOL_BYTES)) };
}

/// Random bytes for what must be unguessable but guards nothing (a request's reference): the
/// operating system's, as [`random_bytes`] gives, but drawn a page at a time per thread, so a
/// request pays no system call of its own. Each byte is handed out once. Keys, tokens and codes
/// use [`random_bytes`]: nothing they are made of stays in memory before use.
pub fn pooled_random<const N: usize>() -> Result<[u8; N], RandomError> {
    if N > POOL_BYTES {
        return random_bytes();
    }
    POOL.try_with(|pool| {
        let Ok(mut pool) = pool.try_borrow_mut() else { return random_bytes() };
        let (bytes, used) = &mut *pool;
        if POOL_BYTES - *used < N {
            getrandom::fill(bytes).map_err(|_| RandomError)?;
            *used = 0;
        }
        let mut out = [0u8; N];
        out.copy_from_slice(&bytes[*used..*used + N]);
        *used += N;
        Ok(out)
    })
    .unwrap_or_else(|_| random_bytes())
}

/// A random id for URLs and logs (128 bits, base64url).
pub fn random_token_id() -> Result<String, RandomError> {
    Ok(b64url(&random_bytes::<16>()?))
}

/// A random positive numeric id, as the seed's identity ids are numeric strings.
pub fn random_numeric_id() -> Result<String, RandomError> {
    let bytes = random_bytes::<8>()?;
    // 62 bits keeps the number positive in every JSON parser's i64 and away from a zero id.
    let n = (u64::from_be_bytes(bytes) >> 2).max(1);
    Ok(n.to_string())
}

/// A uniformly random string of `digits` decimal digits.
pub fn random_digits(digits: usize) -> Result<String, RandomError> {
    let mut out = String::with_capacity(digits);
    while out.len() < digits {
        let [b] = random_bytes::<1>()?;
        // Rejection sampling: 250 is the largest multiple of 10 below 256, so no digit is favoured.
        if b < 250 {
            out.push(char::from(b'0' + b % 10));
        }
    }
    Ok(out)
}

pub fn sha256(data: &[u8]) -> [u8; 32] {
    let d = digest::digest(&digest::SHA256, data);
    let mut out = [0u8; 32];
    out.copy_from_slice(d.as_ref());
    out
}

pub fn sha256_b64url(data: &[u8]) -> String {
    b64url(&sha256(data))
}

pub fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let key = hmac::Key::new(hmac::HMAC_SHA256, key);
    let mut ctx = hmac::Context::with_key(&key);
    for part in parts {
        // Length-prefix each part so ("ab","c") and ("a","bc") never collide.
        ctx.update(&(part.len() as u64).to_be_bytes());
        ctx.update(part);
    }
    let tag = ctx.sign();
    let mut out = [0u8; 32];
    out.copy_from_slice(tag.as_ref());
    out
}

pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    constant_time::verify_slices_are_equal(a, b).is_ok()
}

pub fn b64url(data: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(data)
}

pub fn b64url_decode(s: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(s).ok()
}

pub fn b64(data: &[u8]) -> String {
    STANDARD.encode(data)
}

pub fn b64_decode(s: &str) -> Option<Vec<u8>> {
    STANDARD.decode(s.trim()).ok()
}

/// AES-256-GCM with a random 96-bit nonce; `aad` binds the ciphertext to its owner.
/// Returns base64(nonce || ciphertext || tag).
pub fn seal(key: &[u8], aad: &[u8], plaintext: &[u8]) -> Result<String, RandomError> {
    use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
    let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, key).map_err(|_| RandomError)?);
    let nonce = random_bytes::<12>()?;
    let mut buf = plaintext.to_vec();
    key.seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(aad), &mut buf)
        .map_err(|_| RandomError)?;
    let mut out = nonce.to_vec();
    out.extend_from_slice(&buf);
    Ok(b64(&out))
}

/// Opens what [`seal`] made; `None` when the key, the owner or a byte is wrong.
pub fn open(key: &[u8], aad: &[u8], sealed: &str) -> Option<Vec<u8>> {
    use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
    let raw = b64_decode(sealed)?;
    if raw.len() < 12 + 16 {
        return None;
    }
    let (nonce, body) = raw.split_at(12);
    let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, key).ok()?);
    let mut buf = body.to_vec();
    let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
    let plain = key.open_in_place(nonce, Aad::from(aad), &mut buf).ok()?;
    Some(plain.to_vec())
}

impl From<RandomError> for crate::domain::error::DomainError {
    fn from(e: RandomError) -> Self {
        crate::domain::error::DomainError::internal(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_are_digits_of_the_asked_length() {
        for _ in 0..100 {
            let d = random_digits(6).unwrap();
            assert_eq!(d.len(), 6);
            assert!(d.bytes().all(|b| b.is_ascii_digit()));
        }
    }

    #[test]
    fn numeric_ids_are_numeric_and_distinct() {
        let a = random_numeric_id().unwrap();
        let b = random_numeric_id().unwrap();
        assert!(a.bytes().all(|c| c.is_ascii_digit()));
        assert_ne!(a, b);
    }

    #[test]
    fn pooled_randomness_hands_out_each_byte_once_and_refills() {
        let draws: Vec<[u8; 16]> = (0..(2 * POOL_BYTES / 16 + 3)).map(|_| pooled_random::<16>().unwrap()).collect();
        let distinct: std::collections::HashSet<_> = draws.iter().collect();
        assert_eq!(distinct.len(), draws.len());
        assert!(draws.iter().all(|d| d != &[0u8; 16]));
        assert_ne!(pooled_random::<5000>().unwrap(), [0u8; 5000]);
    }

    #[test]
    fn hmac_parts_are_framed() {
        assert_ne!(hmac_sha256(b"k", &[b"ab", b"c"]), hmac_sha256(b"k", &[b"a", b"bc"]));
        assert!(constant_time_eq(b"same", b"same"));
        assert!(!constant_time_eq(b"same", b"diff"));
        assert!(!constant_time_eq(b"short", b"longer"));
    }

    #[test]
    fn sealed_data_opens_only_with_its_key_and_owner() {
        let key = [1u8; 32];
        let sealed = seal(&key, b"user-1", b"secret").unwrap();
        assert_eq!(open(&key, b"user-1", &sealed).unwrap(), b"secret");
        assert!(open(&key, b"user-2", &sealed).is_none());
        assert!(open(&[2u8; 32], b"user-1", &sealed).is_none());
        assert!(open(&key, b"user-1", "AAAA").is_none());
        assert_ne!(sealed, seal(&key, b"user-1", b"secret").unwrap(), "fresh nonce each time");
    }
}
