//! Recovery codes: ten single-use codes a user keeps on paper, for the day they lose their
//! second factor. Each is 10 characters of Crockford's base 32 (50 random bits), shown as
//! `xxxxx-xxxxx` in lower case: easy to type, and told apart from a 6-digit one-time code by
//! its form alone. Only their keyed hashes are stored (HMAC-SHA256 under the data key, bound to
//! the account), so a copy of the table reveals none: 50 bits hashed plainly could be searched
//! offline; under a key kept in Secrets Manager, not at all.

use serde::{Deserialize, Serialize};

use crate::clock::Epoch;
use crate::crypto;

/// How many codes a set holds.
pub const SET_SIZE: usize = 10;

/// The characters of a code, 10 of them: 50 random bits.
pub const CODE_CHARS: usize = 10;

/// Crockford's base 32 in lower case: no i, l, o or u.
const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";

/// A set of recovery codes, as stored: never a code, only its keyed hash.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecoveryCodes {
    /// The data-key generation the codes were hashed under.
    pub kid: String,
    /// The hashes of the codes not yet used ([`hash`]).
    pub hashes: Vec<String>,
    pub generated_at: Epoch,
    /// Generated with proof anchored to the mailbox (see [`super::Factor::anchored`]): a
    /// lost-password reset keeps the set only then.
    #[serde(default)]
    pub anchored: bool,
    /// The hashes of the codes already used, of this set and of the ones it replaced: one sent
    /// again (the owner's retry, a duplicate racing its twin, or a twin that proved this set's
    /// generation) is refused without counting as a guess, since only who held a right code
    /// can send it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub used: Vec<String>,
}

impl RecoveryCodes {
    /// How many codes are left.
    pub fn remaining(&self) -> usize {
        self.hashes.len()
    }

    /// The position of the code whose hash is `hashed`, compared with every hash in constant time.
    pub fn position(&self, hashed: &str) -> Option<usize> {
        let mut found = None;
        for (i, h) in self.hashes.iter().enumerate() {
            if crypto::constant_time_eq(h.as_bytes(), hashed.as_bytes()) && found.is_none() {
                found = Some(i);
            }
        }
        found
    }

    /// This fresh set as it replaces `before`: the codes `before` had used are remembered as
    /// used (at most twice a set's size, the newest kept); its unused ones are wrong codes from
    /// now on, counted as any guess (a replaced sheet may be a leaked one).
    pub fn replacing(mut self, before: Option<&RecoveryCodes>) -> Self {
        if let Some(b) = before {
            self.used = b.used.clone();
            let excess = self.used.len().saturating_sub(2 * SET_SIZE);
            self.used.drain(..excess);
        }
        self
    }

    /// Whether `hashed` is a code of this set already used (compared in constant time).
    pub fn was_used(&self, hashed: &str) -> bool {
        self.used.iter().fold(false, |any, h| any | crypto::constant_time_eq(h.as_bytes(), hashed.as_bytes()))
    }

    /// Whether this set is another than `before`'s: it holds a code `before` never had (using a
    /// code only removes one).
    pub fn is_new_since(&self, before: Option<&RecoveryCodes>) -> bool {
        match before {
            None => true,
            Some(b) => b.kid != self.kid || self.hashes.iter().any(|h| !b.hashes.contains(h)),
        }
    }
}

impl std::fmt::Debug for RecoveryCodes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecoveryCodes")
            .field("kid", &self.kid)
            .field("remaining", &self.remaining())
            .field("anchored", &self.anchored)
            .finish_non_exhaustive()
    }
}

/// A fresh code as shown to the user, `xxxxx-xxxxx`.
pub fn generate() -> Result<String, crypto::RandomError> {
    // 256 is a multiple of 32: each character is uniform.
    let bytes = crypto::random_bytes::<CODE_CHARS>()?;
    let chars: String = bytes.iter().map(|b| char::from(ALPHABET[usize::from(b % 32)])).collect();
    Ok(format!("{}-{}", &chars[..CODE_CHARS / 2], &chars[CODE_CHARS / 2..]))
}

/// A code as a person types it, if it has a recovery code's form: case, spaces and dashes
/// ignored, and Crockford's look-alikes read as he defines them (`i` and `l` as `1`, `o` as
/// `0`). `None` for anything else, a 6-digit one-time code included.
pub fn normalize(input: &str) -> Option<String> {
    let mut out = String::with_capacity(CODE_CHARS);
    for c in input.chars().filter(|c| !c.is_whitespace() && *c != '-') {
        let c = match c.to_ascii_lowercase() {
            'i' | 'l' => '1',
            'o' => '0',
            c => c,
        };
        if !ALPHABET.contains(&u8::try_from(c).ok()?) {
            return None;
        }
        out.push(c);
    }
    (out.len() == CODE_CHARS).then_some(out)
}

/// What is stored instead of a code (normalised): HMAC-SHA256 under the data key, bound to the
/// account.
pub fn hash(data_key: &[u8], user_id: &str, normalized: &str) -> String {
    crypto::b64url(&crypto::hmac_sha256(data_key, &[b"recovery-code/v1", user_id.as_bytes(), normalized.as_bytes()]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_have_the_form_and_the_entropy_promised() {
        let a = generate().unwrap();
        assert_eq!(a.len(), CODE_CHARS + 1);
        assert_eq!(a.as_bytes()[5], b'-');
        assert!(a.chars().filter(|c| *c != '-').all(|c| ALPHABET.contains(&(c as u8))));
        assert_eq!(normalize(&a).unwrap().len(), CODE_CHARS);
        assert_ne!(a, generate().unwrap());
        // 10 characters of 32: 50 bits.
        assert!(CODE_CHARS as f64 * (ALPHABET.len() as f64).log2() >= 50.0);
    }

    #[test]
    fn typing_is_forgiving_and_one_time_codes_are_not_recovery_codes() {
        assert_eq!(normalize("ABCDE-FGH1K").as_deref(), Some("abcdefgh1k"));
        assert_eq!(normalize(" abcde fghik ").as_deref(), Some("abcdefgh1k"));
        assert_eq!(normalize("o0lIa-bcdef").as_deref(), Some("0011abcdef"));
        assert_eq!(normalize("123456"), None);
        assert_eq!(normalize("abcde-fghju"), None, "u is not in the alphabet");
        assert_eq!(normalize("abcde-fghjkm"), None);
        assert_eq!(normalize("abcdé-fghjk"), None);
    }

    #[test]
    fn hashes_are_keyed_and_bound_to_the_account() {
        let h = hash(b"k1", "1", "abcdefghjk");
        assert_ne!(h, hash(b"k2", "1", "abcdefghjk"));
        assert_ne!(h, hash(b"k1", "2", "abcdefghjk"));
        let set = RecoveryCodes {
            kid: "k".into(),
            hashes: vec!["x".into(), h.clone()],
            generated_at: 0,
            anchored: true,
            used: Vec::new(),
        };
        assert_eq!(set.position(&h), Some(1));
        assert_eq!(set.position("y"), None);
        let used = RecoveryCodes { hashes: vec![h], ..set.clone() };
        assert!(!used.is_new_since(Some(&set)));
        assert!(set.is_new_since(Some(&used)));
        assert!(set.is_new_since(None));
    }

    #[test]
    fn a_replaced_sets_used_codes_are_remembered_within_a_bound_and_its_others_are_not() {
        // A set of `tag`, its first `spent` codes used.
        let set = |tag: &str| RecoveryCodes {
            kid: "k".into(),
            hashes: (0..SET_SIZE).map(|i| format!("{tag}{i}")).collect(),
            generated_at: 0,
            anchored: false,
            used: Vec::new(),
        };
        // `s` with its first `n` codes used.
        let spend = |mut s: RecoveryCodes, n: usize| {
            let used: Vec<String> = s.hashes.drain(..n).collect();
            s.used.extend(used);
            s
        };
        let second = set("b").replacing(Some(&spend(set("a"), 3)));
        assert!(second.was_used("a2") && !second.was_used("a3"), "only the codes used");
        assert!(second.position("a2").is_none() && second.position("a3").is_none());
        let first = spend(set("a"), SET_SIZE);
        let mut third = set("c").replacing(Some(&spend(set("b").replacing(Some(&first)), SET_SIZE)));
        assert_eq!(third.used.len(), 2 * SET_SIZE);
        assert!(third.was_used("a0") && third.was_used("b9") && !third.was_used("c0"));
        third.used.push("c0".into());
        let fourth = set("d").replacing(Some(&third));
        assert_eq!(fourth.used.len(), 2 * SET_SIZE, "the oldest forgotten");
        assert!(!fourth.was_used("a0") && fourth.was_used("a1") && fourth.was_used("c0"));
    }
}
