//! The OpenID Connect provider's records: a registered client, a sign-in in progress on the
//! hosted page, an authorization code's grant. The last two travel as the `state` of a
//! single-use TTL item ([`crate::model::Ceremony`]).

use serde::{Deserialize, Serialize};

use crate::domain::Epoch;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClientType {
    /// Cannot keep a secret (a browser or mobile app): PKCE only.
    Public,
    /// Authenticates with its secret at the token endpoint.
    Confidential,
}

/// A client registered by the operator.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OidcClient {
    pub client_id: String,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: ClientType,
    /// SHA-256 (base64url) of a confidential client's secret (256 random bits: a digest is
    /// enough, no stretching needed); never the secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_hash: Option<String>,
    pub redirect_uris: Vec<String>,
    #[serde(default)]
    pub post_logout_redirect_uris: Vec<String>,
    pub grant_types: Vec<String>,
    pub scopes: Vec<String>,
    pub created_at: Epoch,
}

impl std::fmt::Debug for OidcClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcClient").field("client_id", &self.client_id).finish_non_exhaustive()
    }
}

impl OidcClient {
    pub fn allows_grant(&self, grant: &str) -> bool {
        self.grant_types.iter().any(|g| g == grant)
    }
}

/// An authorization request the provider accepted (OpenID Connect Core §3.1.2.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthorizationRequest {
    pub client_id: String,
    pub redirect_uri: String,
    pub scopes: Vec<String>,
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub nonce: Option<String>,
    /// The PKCE `S256` challenge.
    pub code_challenge: String,
}

/// A sign-in in progress on the hosted page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignIn {
    pub request: AuthorizationRequest,
    /// SHA-256 of the secret in the browser's cookie: the form posts only count from the
    /// browser that started the sign-in (login CSRF).
    pub browser_hash: String,
    /// Set once the password was right and the account has a second factor to prove.
    #[serde(default)]
    pub user_email: Option<String>,
    /// When the password was proven.
    #[serde(default)]
    pub password_at: Option<Epoch>,
}

/// What an authorization code grants, once redeemed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CodeGrant {
    pub request: AuthorizationRequest,
    pub user_id: String,
    pub email: String,
    pub amr: Vec<String>,
    pub auth_time: Epoch,
    /// The login proved a second factor anchored to the mailbox.
    pub anchored: bool,
    /// The login (refresh family) the sign-in opened: what the code's tokens belong to.
    pub family_id: String,
}
