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

/// The locator of a password-reset nonce a try names: its first [`NONCE_LOCATOR_CHARS`]
/// characters (see [`crate::model::CodeChallenge::locator`]).
pub fn nonce_locator(nonce: &str) -> Option<&str> {
    nonce.trim().get(..NONCE_LOCATOR_CHARS)
}

/// The characters of a verification code's reference: Crockford's base 32 (no I, L, O or U),
/// easy to read from an e-mail and to type.
const REFERENCE_ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// The length of a verification code's reference: 50 random bits.
pub const REFERENCE_CHARS: usize = 10;

/// The reference an e-mailed verification code is named by, mailed beside it: a try that does
/// not name it spends none of the code's tries, so a stranger, who never saw the e-mail,
/// cannot use them up. `None` in the sandbox, whose code ([`SANDBOX_CODE`]) is tried alone.
pub fn generate_reference(sandbox: bool) -> Result<Option<String>, crypto::RandomError> {
    if sandbox {
        return Ok(None);
    }
    // 256 is a multiple of 32: each character is uniform.
    let bytes = crypto::random_bytes::<REFERENCE_CHARS>()?;
    Ok(Some(bytes.iter().map(|b| char::from(REFERENCE_ALPHABET[usize::from(b % 32)])).collect()))
}

/// A reference as a person types it: case, spaces and dashes ignored.
pub fn normalize_reference(input: &str) -> String {
    input.chars().filter(|c| !c.is_whitespace() && *c != '-').map(|c| c.to_ascii_uppercase()).collect()
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

    #[test]
    fn references_are_ten_unambiguous_characters_and_typed_loosely() {
        assert_eq!(generate_reference(true).unwrap(), None);
        let r = generate_reference(false).unwrap().unwrap();
        assert_eq!(r.len(), REFERENCE_CHARS);
        assert!(r.bytes().all(|b| REFERENCE_ALPHABET.contains(&b)), "{r}");
        assert_ne!(Some(r.clone()), generate_reference(false).unwrap());
        assert_eq!(normalize_reference(&format!(" {}-{} ", &r[..5].to_lowercase(), &r[5..])), r);
        assert_eq!(nonce_locator(" abcdefghijklmnop"), Some("abcdefghijk"));
        assert_eq!(nonce_locator("123456"), None);
    }
}
