//! Authenticating a surface-2 request: the idToken's signature (EdDSA, pinned), issuer,
//! audience and expiry, then the account, whose credentials version must still be the one the
//! token was issued under (a password change makes older idTokens stale here).

use lambda_http::Request;

use crate::app::App;
use crate::error::AuthError;
use crate::http::bearer;
use crate::model::{Lockout, User};
use crate::token::{self, IdClaims, TokenError};

const INVALID: &str = "The idToken is missing, invalid or expired.";

pub fn verify(app: &App, keys: &crate::keys::KeySet, token: &str) -> Result<IdClaims, TokenError> {
    token::verify_id_token(keys, token, &app.config.issuer, &app.config.audience, app.now())
}

/// The caller's claims, account and failed-login counter (one store read).
pub async fn authenticate(app: &App, req: &Request) -> Result<(IdClaims, User, Lockout), AuthError> {
    let token = bearer(req).ok_or(AuthError::Forbidden("A bearer idToken is required in the Authorization header."))?;
    let claims = match verify(app, &app.keys(), token) {
        Ok(c) => c,
        Err(TokenError::NoKeys(p)) => return Err(crate::keys::MissingKey(p).into()),
        Err(TokenError::UnknownKid) => {
            let keys = app.reload_keys_if_due().await.ok_or(AuthError::Forbidden(INVALID))?;
            verify(app, &keys, token).map_err(|_| AuthError::Forbidden(INVALID))?
        }
        Err(_) => return Err(AuthError::Forbidden(INVALID)),
    };
    let (user, lockout) = app.store.load_login(&claims.email, app.now()).await?;
    let user = user
        .filter(|u| u.user_id == claims.sub && u.credentials_version == claims.ver && !u.blocked)
        .ok_or(AuthError::Forbidden(INVALID))?;
    Ok((claims, user, lockout.state))
}
