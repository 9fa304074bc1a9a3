//! One-time codes: generation, keyed hashing, and the rules they live by. Pure: storage and
//! delivery are elsewhere ([`crate::app::codes`]).

use crate::crypto;

/// How long a code can be used.
pub const CODE_TTL_SECS: i64 = 300;
/// Wrong tries before a challenge dies.
pub const MAX_ATTEMPTS: u32 = 5;
/// The shortest time between two codes sent for the same purpose.
pub const RESEND_COOLDOWN_SECS: i64 = 15;
/// The code of the sandbox, as in the seeds.
pub const SANDBOX_CODE: &str = "123456";

/// How long a password-reset nonce can be used.
pub const NONCE_TTL_SECS: i64 = 600;

/// The leading characters of a reset nonce stored as its locator (66 of its 256 bits, which
/// leaves 190 unguessable ones hashed).
pub const NONCE_LOCATOR_CHARS: usize = 11;

/// A password-reset nonce: 256 random bits, base64url (the sandbox's is [`SANDBOX_CODE`]).
/// Long, unlike a code: it is copied from an e-mail, not typed from a phone, and it opens the
/// account to whoever holds it.
pub fn generate_nonce(sandbox: bool) -> Result<String, crypto::RandomError> {
    if sandbox { Ok(SANDBOX_CODE.to_owned()) } else { crypto::random_bytes::<32>().map(|b| crypto::b64url(&b)) }
}

pub fn generate(sandbox: bool) -> Result<String, crypto::RandomError> {
    if sandbox { Ok(SANDBOX_CODE.to_owned()) } else { crypto::random_digits(6) }
}

/// What is stored instead of the code: HMAC-SHA256 under the data key, bound to the user and
/// the purpose, so a stolen table reveals no code and a code for one purpose fits no other.
pub fn hash(data_key: &[u8], user_id: &str, purpose: &str, code: &str) -> String {
    crypto::b64url(&crypto::hmac_sha256(
        data_key,
        &[b"one-time-code/v1", user_id.as_bytes(), purpose.as_bytes(), code.as_bytes()],
    ))
}

/// A code as a person types it: six digits, spaces ignored.
pub fn normalize(input: &str) -> Option<String> {
    let digits: String = input.chars().filter(|c| !c.is_whitespace()).collect();
    (digits.len() == 6 && digits.bytes().all(|b| b.is_ascii_digit())).then_some(digits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_bind_user_purpose_and_code() {
        let k = [7u8; 32];
        let h = hash(&k, "1", "STEPUP#x", "123456");
        assert_eq!(h, hash(&k, "1", "STEPUP#x", "123456"));
        assert_ne!(h, hash(&k, "2", "STEPUP#x", "123456"));
        assert_ne!(h, hash(&k, "1", "FACTOR#SMS", "123456"));
        assert_ne!(h, hash(&k, "1", "STEPUP#x", "123457"));
        assert_ne!(h, hash(&[8u8; 32], "1", "STEPUP#x", "123456"));
        assert!(!h.contains("123456"));
    }

    #[test]
    fn codes_are_six_digits_and_the_sandbox_is_fixed() {
        assert_eq!(generate(true).unwrap(), "123456");
        let c = generate(false).unwrap();
        assert_eq!(c.len(), 6);
        assert_eq!(normalize(" 123 456 "), Some("123456".into()));
        assert_eq!(normalize("12345"), None);
        assert_eq!(normalize("12345a"), None);
    }
}
