//! Surface 2's tokens: logging in for an idToken and a refresh token, refreshing, revoking;
//! and authenticating a request: the idToken's signature (EdDSA, pinned), issuer,
//! audience and expiry, then the account, whose credentials version must still be the one the
//! token was issued under (a password change makes older idTokens stale here).

use secrecy::SecretString;

use crate::app::App;
use crate::crypto;
use crate::domain::Epoch;
use crate::domain::email::Email;
use crate::domain::error::DomainError;
use crate::model::{Lockout, RefreshToken, User};
use crate::store::RefreshStore;
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

const INVALID_REFRESH: &str = "The refresh token is invalid, expired or revoked.";

/// A fresh idToken for a live refresh token (not rotated: the seed returns none). Refused once
/// the token is revoked or expired, the password changed, or the account blocked.
pub async fn refresh(app: &App, token: &str, now: Epoch) -> Result<String, DomainError> {
    let (user_id, hash) = refresh_token_parts(token).ok_or(DomainError::Unauthenticated(INVALID_REFRESH))?;
    let record = app
        .store
        .get_refresh(user_id, &hash)
        .await?
        .filter(|r| !r.revoked && now < r.expires_at)
        .ok_or(DomainError::Unauthenticated(INVALID_REFRESH))?;
    let user = app
        .store
        .get_user(&record.email)
        .await?
        .filter(|u| u.user_id == record.user_id && u.credentials_version == record.credentials_version && !u.blocked)
        .ok_or(DomainError::Unauthenticated(INVALID_REFRESH))?;
    crate::app::sessions::id_token(app, &user, &["pwd"])
}

/// Revokes a refresh token, if it is one. Says nothing of whether it was known.
pub async fn revoke_refresh(store: &dyn RefreshStore, token: &str) -> Result<(), DomainError> {
    if let Some((user_id, hash)) = refresh_token_parts(token) {
        store.revoke_refresh(user_id, &hash).await?;
    }
    Ok(())
}

/// Surface 2's login: the password checked under the lockout rules shared with surface 1, then
/// an idToken and a refresh token (stored as its hash). Returns both.
pub async fn login(
    app: &App,
    ctx: &crate::app::Ctx,
    email: &Email,
    password: SecretString,
    now: Epoch,
) -> Result<(String, String), DomainError> {
    let user = crate::app::sessions::check_password(app, email, password).await?;
    if crate::app::sessions::password_is_expired(app, &user) {
        crate::app::lockout::succeeded(app.store.as_ref(), email.as_str()).await?;
        return Err(DomainError::Denied("The password has expired: change it through /passwords/update."));
    }

    let refresh_token = format!("{}.{}", user.user_id, crypto::b64url(&crypto::random_bytes::<32>()?));
    let record = RefreshToken {
        user_id: user.user_id.clone(),
        email: user.email.clone(),
        token_hash: crypto::sha256_b64url(refresh_token.as_bytes()),
        created_at: now,
        expires_at: now + app.config.refresh_token_secs,
        revoked: false,
        credentials_version: user.credentials_version,
    };
    let saved = crate::app::sessions::record_login(app, ctx, user, |u| {
        let record = &record;
        async move { app.store.open_refresh(record, &u).await }
    })
    .await?;
    let id_token = crate::app::sessions::id_token(app, &saved, &["pwd"])?;
    tracing::info!(user_id = %saved.user_id, "surface-2 login");
    Ok((id_token, refresh_token))
}
