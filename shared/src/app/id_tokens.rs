//! Authenticating a surface-2 request: the idToken's signature (EdDSA, pinned), issuer,
//! audience and expiry, then the account, whose credentials version must still be the one the
//! token was issued under (a password change makes older idTokens stale here).

use crate::app::App;
use crate::domain::error::DomainError;
use crate::model::{Lockout, User};
use crate::token::{self, IdClaims, TokenError};

const INVALID: &str = "The idToken is missing, invalid or expired.";

pub fn verify(app: &App, keys: &crate::keys::KeySet, token: &str) -> Result<IdClaims, TokenError> {
    token::verify_id_token(keys, token, &app.config.issuer, &app.config.audience, app.now())
}

/// The caller's claims, account and failed-login counter (one store read).
pub async fn authenticate(app: &App, token: &str) -> Result<(IdClaims, User, Lockout), DomainError> {
    let claims = match verify(app, &app.keys(), token) {
        Ok(c) => c,
        Err(TokenError::NoKeys(p)) => return Err(crate::keys::MissingKey(p).into()),
        Err(TokenError::UnknownKid) => {
            let keys = app.reload_keys_if_due().await.ok_or(DomainError::Unauthenticated(INVALID))?;
            verify(app, &keys, token).map_err(|_| DomainError::Unauthenticated(INVALID))?
        }
        Err(_) => return Err(DomainError::Unauthenticated(INVALID)),
    };
    let (user, lockout) = app.store.load_login(&claims.email, app.now()).await?;
    let user = user
        .filter(|u| u.user_id == claims.sub && u.credentials_version == claims.ver && !u.blocked)
        .ok_or(DomainError::Unauthenticated(INVALID))?;
    Ok((claims, user, lockout.state))
}

/// A refresh token is `<userId>.<256 random bits>`; the store keeps its SHA-256 under the user.
/// Returns the user id and that hash, or `None` for anything not of that form.
pub fn refresh_token_parts(token: &str) -> Option<(&str, String)> {
    let (user_id, secret) = token.split_once('.')?;
    let valid = !user_id.is_empty() && user_id.bytes().all(|b| b.is_ascii_digit()) && secret.len() == 43;
    valid.then(|| (user_id, crate::crypto::sha256_b64url(token.as_bytes())))
}
