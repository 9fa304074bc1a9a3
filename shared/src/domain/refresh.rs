//! Refresh-token rotation with reuse detection (RFC 9700 §4.14.2), decided here for any store.
//!
//! A refresh token is `<familyId>.<n>.<mac>`: generation `n` of the family that one login
//! started, and the MAC of both under a data key. Nothing secret is stored: the family keeps
//! which generation refreshes next, so a genuine token of an earlier generation is recognisably
//! a replay (the MAC proves the server issued it), while a made-up one is merely invalid.
//! Generation `n + 1` is a function of `n`, so a client that lost the answer to its refresh and
//! retries once within the grace period gets the very same successor back: concurrent refreshes
//! with one token never leave two live successors.

use serde::{Deserialize, Serialize};

use crate::crypto;
use crate::domain::Epoch;

/// A surface-2 login and the chain of refresh tokens descended from it (RFC 9700 §4.14.2).
/// No token is stored: token `n` of the family is a MAC of the family id and `n` under the
/// data key `key_id` ([`crate::domain::refresh`]), and the family keeps which `n` refreshes
/// next. A genuine token of an earlier generation is a replay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefreshFamily {
    /// `<userId>.<random>`: the user part places the item in the user's partition.
    pub family_id: String,
    pub user_id: String,
    pub email: String,
    /// The data-key generation the family's tokens are MACed under.
    pub key_id: String,
    /// The generation whose token refreshes next.
    pub generation: u64,
    /// When `generation` last advanced (the grace period of a lost answer runs from it).
    #[serde(default)]
    pub rotated_at: Option<Epoch>,
    /// The one retry of the previous generation within the grace period was used.
    #[serde(default)]
    pub grace_used: bool,
    pub created_at: Epoch,
    pub last_used_at: Epoch,
    /// Absolute: rotation does not extend the family.
    pub expires_at: Epoch,
    #[serde(default)]
    pub user_agent: String,
    #[serde(default)]
    pub source_ip: String,
    #[serde(default)]
    pub revoked: bool,
    /// The account's credentials version at login: a password change ends the family.
    pub credentials_version: u64,
    /// Its login proved a second factor anchored to the mailbox (an anchored passkey or push
    /// device): it spends the account's budgets as a proven login.
    #[serde(default)]
    pub anchored: bool,
    /// The OpenID Connect client the login signed in to, for a login of the provider: only
    /// that client may refresh it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// The scopes granted to that client.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<String>,
}

impl RefreshFamily {
    /// Unrevoked and unexpired at `now`.
    pub fn is_live(&self, now: Epoch) -> bool {
        !self.revoked && now < self.expires_at
    }
}

/// The MAC of generation `generation` of `family_id` under `key`.
fn mac(key: &[u8], family_id: &str, generation: u64) -> String {
    crypto::b64url(&crypto::hmac_sha256(
        key,
        &[b"refresh-token/v1", family_id.as_bytes(), generation.to_string().as_bytes()],
    ))
}

/// The token of generation `generation` of `family_id`.
pub fn token(key: &[u8], family_id: &str, generation: u64) -> String {
    format!("{family_id}.{generation}.{}", mac(key, family_id, generation))
}

/// A refresh token as presented, parsed but not yet verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Presented<'a> {
    pub family_id: &'a str,
    pub generation: u64,
    mac: &'a str,
}

/// Splits `<userId>.<random>.<n>.<mac>`; `None` for anything not of that form.
pub fn parse(token: &str) -> Option<Presented<'_>> {
    let mut parts = token.rsplitn(3, '.');
    let (mac, generation, family_id) = (parts.next()?, parts.next()?, parts.next()?);
    let (user_id, random) = family_id.split_once('.')?;
    let well_formed = !user_id.is_empty()
        && user_id.bytes().all(|b| b.is_ascii_digit())
        && !random.is_empty()
        && !random.contains('.')
        && mac.len() == 43
        && generation.len() <= 20
        && generation.bytes().all(|b| b.is_ascii_digit());
    well_formed.then_some(())?;
    Some(Presented { family_id, generation: generation.parse().ok()?, mac })
}

impl Presented<'_> {
    /// Whether the server issued this token (under `key`, the family's data key).
    pub fn is_genuine(&self, key: &[u8]) -> bool {
        crypto::constant_time_eq(mac(key, self.family_id, self.generation).as_bytes(), self.mac.as_bytes())
    }
}

/// What a genuine token presented to its family means at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Judgement {
    /// The current generation: spend it for the next.
    Rotate,
    /// The generation just spent, within the grace period and not retried yet: the client lost
    /// the answer; it gets the current generation (the same successor) once.
    Retry,
    /// A spent generation presented again: a copy is in other hands. The family ends.
    Replayed,
    /// The family is revoked or expired.
    Dead,
}

pub fn judge(family: &RefreshFamily, generation: u64, now: Epoch, grace_secs: i64) -> Judgement {
    if !family.is_live(now) {
        return Judgement::Dead;
    }
    let within_grace = family.rotated_at.is_some_and(|at| now - at < grace_secs);
    match generation {
        g if g == family.generation => Judgement::Rotate,
        g if g + 1 == family.generation && within_grace && !family.grace_used => Judgement::Retry,
        g if g < family.generation => Judgement::Replayed,
        // Never issued yet: only a MAC under a leaked key could make one.
        _ => Judgement::Dead,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn family(generation: u64, rotated_at: Option<Epoch>, grace_used: bool) -> RefreshFamily {
        RefreshFamily {
            family_id: "42.abc".into(),
            user_id: "42".into(),
            email: "jane@example.com".into(),
            key_id: "k1".into(),
            generation,
            rotated_at,
            grace_used,
            created_at: 0,
            last_used_at: 0,
            expires_at: 1_000,
            user_agent: String::new(),
            source_ip: String::new(),
            revoked: false,
            credentials_version: 1,
            anchored: false,
            client_id: None,
            scopes: Vec::new(),
        }
    }

    #[test]
    fn tokens_parse_verify_and_bind_family_and_generation() {
        let key = [3u8; 32];
        let t = token(&key, "42.abc", 7);
        let p = parse(&t).unwrap();
        assert_eq!((p.family_id, p.generation), ("42.abc", 7));
        assert!(p.is_genuine(&key));
        assert!(!p.is_genuine(&[4u8; 32]));
        let forged = t.replace(".7.", ".8.");
        assert!(!parse(&forged).unwrap().is_genuine(&key), "the MAC covers the generation");
        for bad in ["", "42.abc", "42.abc.7", "x.abc.7.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "42.abc.-1.x"] {
            assert_eq!(parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn the_current_generation_rotates_and_spent_ones_are_replays() {
        let f = family(3, Some(100), false);
        assert_eq!(judge(&f, 3, 101, 10), Judgement::Rotate);
        assert_eq!(judge(&f, 2, 105, 10), Judgement::Retry, "the one just spent, within the grace");
        assert_eq!(judge(&f, 2, 110, 10), Judgement::Replayed, "after the grace");
        assert_eq!(judge(&family(3, Some(100), true), 2, 101, 10), Judgement::Replayed, "grace used once");
        assert_eq!(judge(&f, 1, 101, 10), Judgement::Replayed, "older than the last");
        assert_eq!(judge(&f, 4, 101, 10), Judgement::Dead);
        assert_eq!(judge(&f, 3, 1_000, 10), Judgement::Dead, "expired");
        let mut revoked = f.clone();
        revoked.revoked = true;
        assert_eq!(judge(&revoked, 3, 101, 10), Judgement::Dead);
        assert_eq!(judge(&f, 2, 105, 0), Judgement::Replayed, "no grace configured");
    }
}
