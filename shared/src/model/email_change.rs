//! Changing the account's e-mail address (issue 25, part 2), and the devices it has signed in
//! from (part 3).
//!
//! The account is keyed by its address, so a change moves it: the profile leaves the old key
//! and lands on the new one in one atomic write, and a [`MovedAddress`] stays at the old key for
//! [`REVERT_SECS`]: it reserves the old address (nobody may register it or move onto it
//! meanwhile), names where the account went, and holds the hash of the revert nonce mailed to
//! the old address.

use serde::{Deserialize, Serialize};

use super::{FactorStatus, User};
use crate::clock::Epoch;

/// How long the revert link mailed to the old address works, and the old address stays reserved.
pub const REVERT_SECS: Epoch = 7 * 86_400;

/// An address the account moved away from, reserved for its revert until `expires_at`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MovedFrom {
    pub email: String,
    pub expires_at: Epoch,
}

/// A change asked for and not yet proven: the new address, waiting for the code mailed to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PendingEmail {
    /// Normalised, as every account address.
    pub address: String,
    pub requested_at: Epoch,
    /// Asked for with the proof of a second factor (the account had one then). A change asked
    /// for without one cannot be verified once the account has one: the owner may have added
    /// it meanwhile, against whoever holds the password.
    #[serde(default)]
    pub proven: bool,
}

/// What stays at an address an account moved away from, for [`REVERT_SECS`].
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MovedAddress {
    /// The address moved from (the item's key).
    pub from: String,
    /// Where the account went (it may have moved on since: a revert follows the chain).
    pub to: String,
    pub user_id: String,
    /// SHA-256 of the revert nonce (256 random bits): the nonce itself is never stored.
    pub nonce_hash: String,
    pub moved_at: Epoch,
    pub expires_at: Epoch,
    /// The ways in that were anchored to the mailbox when the account left this address
    /// ([`User::anchored_ways_in`]): a revert keeps only those.
    #[serde(default)]
    pub anchored: Vec<String>,
    /// What the account held when it left this address that a revert puts back (absent from
    /// reservations older than this field).
    #[serde(default)]
    pub left_with: Option<LeftWith>,
}

/// What a revert puts back as it was when the account left the address: the mobile number
/// (whatever number was set since, with its validation, goes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LeftWith {
    pub mobile: Option<super::Mobile>,
}

impl std::fmt::Debug for MovedAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MovedAddress").field("user_id", &self.user_id).finish_non_exhaustive()
    }
}

/// A device the account signed in from ([`crate::domain::devices`] decides what counts as one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KnownDevice {
    pub user_id: String,
    /// The device's key: a hash (see [`crate::domain::devices::device_key`]).
    pub key: String,
    pub browser: String,
    pub system: String,
    /// The source network (/24 or /48) of its last login.
    pub network: String,
    /// Whether the client named itself with an `x-device-id`.
    #[serde(default)]
    pub identified: bool,
    pub first_seen_at: Epoch,
    pub last_seen_at: Epoch,
    /// The last login plus [`crate::domain::devices::KNOWN_SECS`] (the store's TTL too).
    pub expires_at: Epoch,
}

impl User {
    /// A name for each way in the account has that is anchored to the mailbox: what a revert of
    /// an e-mail change keeps ([`MovedAddress::anchored`]).
    pub fn anchored_ways_in(&self) -> Vec<String> {
        let mut ways = Vec::new();
        for f in self.factors.iter().filter(|f| f.status == FactorStatus::Active && f.anchored) {
            ways.push(factor_way(f));
        }
        for p in self.passkeys.iter().filter(|p| p.anchored) {
            ways.push(passkey_way(p));
        }
        if let Some(t) = self.mfa.totp.as_ref().filter(|t| t.anchored) {
            ways.push(format!("TOTP#{}", crate::crypto::sha256_b64url(t.sealed.as_bytes())));
        }
        if self.mfa.phone_verified_at.is_some()
            && self.mfa.phone_anchored
            && let Some(m) = &self.mobile
        {
            ways.push(format!("PHONE#{}", crate::crypto::sha256_b64url(m.e164().as_bytes())));
        }
        if let Some(r) = self.mfa.recovery.as_ref().filter(|r| r.anchored) {
            ways.push(recovery_way(r));
        }
        ways
    }

    /// Marks as unanchored every way in that is not one of `kept` ([`Self::anchored_ways_in`]
    /// at an earlier time), so that [`User::strip_unanchored`] removes it: what was anchored
    /// only to an address the account has since left proves nothing to the old one's owner.
    pub fn unanchor_all_but(&mut self, kept: &[String]) {
        let now_anchored = self.anchored_ways_in();
        let lost = |name: &String| !kept.contains(name);
        for f in &mut self.factors {
            if lost(&factor_way(f)) {
                f.anchored = false;
            }
        }
        for p in &mut self.passkeys {
            if lost(&passkey_way(p)) {
                p.anchored = false;
            }
        }
        if let Some(t) = self.mfa.totp.as_mut()
            && lost(&format!("TOTP#{}", crate::crypto::sha256_b64url(t.sealed.as_bytes())))
        {
            t.anchored = false;
        }
        if now_anchored.iter().any(|w| w.starts_with("PHONE#") && lost(w)) {
            self.mfa.phone_anchored = false;
        }
        // A set generated (or replaced) since: its name is new.
        if let Some(r) = self.mfa.recovery.as_mut()
            && lost(&recovery_way(r))
        {
            r.anchored = false;
        }
    }
}

/// A factor by name: its channel and, for a push device, its endpoint and public key (the
/// endpoint follows from the device token alone, so a device enrolled again under the owner's
/// token with another key is another way in).
fn factor_way(f: &super::Factor) -> String {
    match &f.device {
        Some(d) => format!("FACTOR#{:?}#{}#{}", f.channel, d.endpoint, d.public_key),
        None => format!("FACTOR#{:?}#", f.channel),
    }
}

/// A passkey by name: its credential id (which the authenticator chooses, so anyone may
/// enrol another under an id released by a removal), when it was enrolled, and its public key:
/// a passkey enrolled again under the same id is another way in.
fn passkey_way(p: &super::PasskeyFactor) -> String {
    let key = serde_json::to_vec(p.passkey.get_public_key()).unwrap_or_default();
    format!("PASSKEY#{}#{}#{}", p.credential_id, p.created_at, crate::crypto::sha256_b64url(&key))
}

/// A set of recovery codes by name: when it was generated and the hashes it still holds
/// (the codes of a set replaced in the same second differ).
fn recovery_way(r: &super::RecoveryCodes) -> String {
    format!("RECOVERY#{}#{}", r.generated_at, crate::crypto::sha256_b64url(r.hashes.concat().as_bytes()))
}
