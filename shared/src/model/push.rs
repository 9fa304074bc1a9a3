//! Push step-up: the enrolled device and the challenges it answers.

use serde::{Deserialize, Serialize};

use super::FactorChannel;
use crate::clock::Epoch;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PushPlatform {
    Apns,
    Gcm,
}

/// A device enrolled for push step-up: where to reach it, and the key its answers are signed with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PushDevice {
    pub platform: PushPlatform,
    /// The SNS platform endpoint (sandbox: a recorded stand-in).
    pub endpoint: String,
    /// Ed25519 public key, raw 32 bytes, base64.
    pub public_key: String,
    pub linking_code: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PushStatus {
    Pending,
    Approved,
    Rejected,
    Expired,
}

/// A push step-up challenge, answered by the enrolled device's signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PushChallenge {
    pub id: String,
    pub user_id: String,
    pub email: String,
    pub session_id: String,
    pub channel: FactorChannel,
    pub status: PushStatus,
    pub created_at: Epoch,
    /// Stored as `answerBy`: the item's `expiresAt` is its TTL, which keeps the settled
    /// challenge readable for a day after.
    #[serde(rename = "answerBy")]
    pub expires_at: Epoch,
    /// Who asked for it, shown on the device so the user can tell whose request they approve.
    #[serde(default)]
    pub requested_by: RequestOrigin,
    /// Set for a login by push (`/login_via_biometrics`): its session is a placeholder, and an
    /// approval steps nothing up; the poller claims the login once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login: Option<PushLogin>,
    /// The device asked is anchored to the mailbox ([`super::Factor::anchored`]): so is the
    /// step-up (or login) its approval gives.
    #[serde(default)]
    pub anchored: bool,
}

/// A login by push: who may poll it, and whether its login was handed out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PushLogin {
    /// SHA-256 of the poll token (128 random bits): the token itself is only the poller's.
    pub poll_token_hash: String,
    /// Asked for an address with no account, or no device: nothing was sent, it only expires.
    #[serde(default)]
    pub decoy: bool,
    /// The approved login was handed out (once).
    #[serde(default)]
    pub claimed: bool,
    /// The session an approval opens (named when the login is asked for): ending the account's
    /// logins before the poll collects it ends this one too.
    #[serde(default)]
    pub session_id: String,
    /// The account's credentials version when the login was asked for: a password change or
    /// reset since makes it unanswerable (no pending login survives them).
    #[serde(default)]
    pub credentials_version: u64,
}

/// The device a request came from, as the edge saw it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestOrigin {
    pub user_agent: String,
    pub source_ip: String,
}

impl PushChallenge {
    /// The status as of `now`: a pending challenge past its expiry is expired.
    pub fn status_at(&self, now: Epoch) -> PushStatus {
        if self.status == PushStatus::Pending && now >= self.expires_at { PushStatus::Expired } else { self.status }
    }
}
