//! Passkeys: the credentials enrolled on an account, and the WebAuthn ceremonies in flight.

use serde::{Deserialize, Serialize};
use webauthn_rs::prelude::Passkey;

use crate::clock::Epoch;

/// A passkey enrolled as a factor: the library's record of it (public key, sign counter,
/// backup flags), and when it was enrolled and last used.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PasskeyFactor {
    /// The credential id, base64url: how the browser and the API name it.
    pub credential_id: String,
    /// Stored as its JSON text: one attribute, whatever shape the library gives it.
    #[serde(with = "as_json")]
    pub passkey: Passkey,
    pub created_at: Epoch,
    #[serde(default)]
    pub last_used_at: Option<Epoch>,
    /// Enrolled with proof anchored to the mailbox (see [`super::Factor::anchored`]).
    #[serde(default)]
    pub anchored: bool,
}

impl PartialEq for PasskeyFactor {
    fn eq(&self, other: &Self) -> bool {
        self.credential_id == other.credential_id
            && self.created_at == other.created_at
            && self.last_used_at == other.last_used_at
            && self.anchored == other.anchored
            && crate::passkeys::flags(&self.passkey) == crate::passkeys::flags(&other.passkey)
    }
}

mod as_json {
    use serde::{Deserialize, Deserializer, Serializer, de::Error as _, ser::Error as _};
    use webauthn_rs::prelude::Passkey;

    pub fn serialize<S: Serializer>(passkey: &Passkey, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&serde_json::to_string(passkey).map_err(S::Error::custom)?)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Passkey, D::Error> {
        serde_json::from_str(&String::deserialize(d)?).map_err(D::Error::custom)
    }
}

/// What a ceremony is for: each is checked against its own kind only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CeremonyKind {
    /// Enrolling a passkey, bound to the session that asked.
    Enrolment,
    /// Stepping a session up, bound to it.
    StepUp,
    /// Logging in without a password, bound to the login attempt's `challengeId`.
    Login,
    /// A sign-in on the OpenID Connect provider's hosted page, in progress: the authorization
    /// request and how far the browser got ([`crate::model::oidc::SignIn`]).
    OidcSignIn,
    /// An authorization code not yet redeemed, under the hash of the code.
    OidcCode,
    /// An authorization code redeemed: what it issued, so that its replay ends it.
    OidcCodeUsed,
}

/// The first half of a WebAuthn ceremony, waiting for the second: single use (the second
/// half takes it), and dead after [`crate::passkeys::CEREMONY_SECS`] whatever the TTL does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Ceremony {
    /// `<kind>#<sessionId>` for enrolment and step-up; the random `challengeId` of a login.
    pub id: String,
    pub kind: CeremonyKind,
    /// The account (enrolment, step-up); `None` for a login, which learns it from the passkey.
    #[serde(default)]
    pub user_id: Option<String>,
    /// The library's state (the challenge, the credentials allowed), as JSON.
    pub state: String,
    pub created_at: Epoch,
    /// Stored as `answerBy`: the item's `expiresAt` is its TTL.
    #[serde(rename = "answerBy")]
    pub expires_at: Epoch,
}

impl Ceremony {
    /// The id of the ceremony of `kind` bound to session `session_id`.
    pub fn of_session(kind: CeremonyKind, session_id: &str) -> String {
        format!("{kind:?}#{session_id}")
    }

    pub fn is_alive(&self, now: Epoch) -> bool {
        now < self.expires_at
    }
}
