//! The OpenID Connect provider's use cases: clients registered by the operator
//! ([`clients`]), the authorization request and the sign-in on the hosted page ending in a
//! code ([`authorize`]), and the token endpoint, userinfo, revocation, introspection and
//! logout ([`tokens`]). A login of the provider is a refresh family of surface 2 naming its
//! client: it is listed in `/sessions`, ended by "end every login", and writes the same
//! security events; its password and codes are checked by the same use cases as the APIs'.

use crate::domain::error::DomainError;
use crate::domain::oidc::{OAuthCode, OAuthError, refuse};

pub mod authorize;
pub mod clients;
pub mod logout;
pub mod sign_in;
pub mod tokens;

/// Why a use case of the provider refused: an OAuth 2.0 error, or an outcome of the shared
/// use cases (a lock, a wrong password, a budget, the store).
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    #[error(transparent)]
    OAuth(#[from] OAuthError),
    #[error(transparent)]
    Domain(#[from] DomainError),
}

impl From<crate::store::StoreError> for Failure {
    fn from(e: crate::store::StoreError) -> Self {
        Failure::Domain(e.into())
    }
}

impl From<crate::crypto::RandomError> for Failure {
    fn from(e: crate::crypto::RandomError) -> Self {
        Failure::Domain(e.into())
    }
}

impl From<crate::keys::MissingKey> for Failure {
    fn from(e: crate::keys::MissingKey) -> Self {
        Failure::Domain(e.into())
    }
}

pub type Outcome<T> = Result<T, Failure>;

/// An OAuth refusal as a [`Failure`].
pub fn oauth(code: OAuthCode, description: &'static str) -> Failure {
    Failure::OAuth(refuse(code, description))
}

/// How long the provider's access tokens live (RFC 9068 tokens are not revocable by their
/// bearer's resource servers: short-lived).
pub const ACCESS_TOKEN_SECS: i64 = 300;
