//! Judging a one-time code. The store spends one try of the challenge in a single atomic write
//! *before* the comparison and hands back the challenge as it stands after that write; the
//! comparison and the outcome are decided here, the same for every adapter.

use serde::{Deserialize, Serialize};

use crate::crypto::constant_time_eq;
use crate::domain::Epoch;

/// A one-time code in flight. Only a keyed hash of the code is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CodeChallenge {
    pub user_id: String,
    pub purpose: String,
    pub code_hash: String,
    pub created_at: Epoch,
    pub expires_at: Epoch,
    pub attempts: u32,
    /// The data-key generation the code was hashed under, so that an instance on the next
    /// generation still checks it; `None` in challenges stored before they named it (hashed
    /// under the then-current key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    /// What a try must name to be meant for this challenge, from the message that carried the
    /// secret: a reset nonce's first characters, or the reference mailed beside an e-mail
    /// verification code. A try that does not name it spends nothing, so a stranger who never
    /// saw the message cannot use up its tries. `None` for the codes of signed-in flows (and
    /// in the sandbox): any try spends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locator: Option<String>,
}

/// Whether a try that names `named` (the locator it carries, if any) may spend a try of
/// `challenge`: it names the challenge's locator, if the challenge has one.
pub fn meant_for(challenge: &CodeChallenge, named: Option<&str>) -> bool {
    match challenge.locator.as_deref() {
        None => true,
        Some(l) => named.is_some_and(|n| constant_time_eq(n.as_bytes(), l.as_bytes())),
    }
}

/// How checking a one-time code went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeCheck {
    /// Right code: the challenge is consumed (a code works once).
    Accepted,
    /// Wrong code; the challenge lives on with fewer tries left.
    Wrong {
        attempts: u32,
    },
    /// Wrong code, and that was the last try: the challenge is dead.
    LimitReached,
    Expired,
    /// No challenge in flight (never started, already used, or dead).
    Missing,
}

/// The outcome of a check whose try was spent: `spent.attempts` already counts this try.
pub fn judge(spent: &CodeChallenge, typed_hash: &str, max_attempts: u32) -> CodeCheck {
    if constant_time_eq(spent.code_hash.as_bytes(), typed_hash.as_bytes()) {
        CodeCheck::Accepted
    } else if spent.attempts >= max_attempts {
        CodeCheck::LimitReached
    } else {
        CodeCheck::Wrong { attempts: spent.attempts }
    }
}

/// Why no try could be spent on the challenge as read at `now` (none, used up, or expired).
pub fn unspendable(challenge: Option<&CodeChallenge>, now: Epoch, max_attempts: u32) -> CodeCheck {
    match challenge {
        None => CodeCheck::Missing,
        Some(c) if c.attempts >= max_attempts => CodeCheck::LimitReached,
        Some(c) if now >= c.expires_at => CodeCheck::Expired,
        // Spendable when read: its try was taken by a concurrent check that consumed it.
        Some(_) => CodeCheck::Missing,
    }
}

/// Whether a try may be spent on `c` at `now`: the condition of the store's atomic write.
pub fn spendable(c: &CodeChallenge, now: Epoch, max_attempts: u32) -> bool {
    c.attempts < max_attempts && now < c.expires_at
}

#[cfg(test)]
mod tests {
    use super::*;

    fn challenge(attempts: u32) -> CodeChallenge {
        CodeChallenge {
            user_id: "1".into(),
            purpose: "P".into(),
            code_hash: "right".into(),
            created_at: 0,
            expires_at: 300,
            key_id: None,
            locator: None,
            attempts,
        }
    }

    #[test]
    fn the_right_code_is_accepted_even_on_the_last_try() {
        assert_eq!(judge(&challenge(1), "right", 5), CodeCheck::Accepted);
        assert_eq!(judge(&challenge(5), "right", 5), CodeCheck::Accepted);
    }

    #[test]
    fn a_wrong_code_reports_tries_and_the_last_one_kills_the_challenge() {
        assert_eq!(judge(&challenge(1), "wrong", 5), CodeCheck::Wrong { attempts: 1 });
        assert_eq!(judge(&challenge(4), "wrong", 5), CodeCheck::Wrong { attempts: 4 });
        assert_eq!(judge(&challenge(5), "wrong", 5), CodeCheck::LimitReached);
    }

    #[test]
    fn a_challenge_with_a_locator_is_meant_only_for_tries_that_name_it() {
        let plain = challenge(0);
        assert!(meant_for(&plain, None) && meant_for(&plain, Some("anything")));
        let named = CodeChallenge { locator: Some("K7QF2MZ9XP".into()), ..challenge(0) };
        assert!(meant_for(&named, Some("K7QF2MZ9XP")));
        for other in [None, Some(""), Some("K7QF2MZ9X"), Some("K7QF2MZ9XPQ"), Some("k7qf2mz9xp")] {
            assert!(!meant_for(&named, other), "{other:?}");
        }
    }

    #[test]
    fn unspendable_challenges_say_why() {
        assert_eq!(unspendable(None, 0, 5), CodeCheck::Missing);
        assert_eq!(unspendable(Some(&challenge(5)), 0, 5), CodeCheck::LimitReached);
        assert_eq!(unspendable(Some(&challenge(0)), 300, 5), CodeCheck::Expired);
        assert_eq!(unspendable(Some(&challenge(0)), 10, 5), CodeCheck::Missing);
        assert!(spendable(&challenge(4), 299, 5));
        assert!(!spendable(&challenge(5), 0, 5));
        assert!(!spendable(&challenge(0), 300, 5));
    }
}
