//! Authenticating a request on surface 1: the bearer token's signature, its kind, and its
//! session, whose idle expiry slides by one conditional write per request.

use crate::app::{App, verified};
use crate::domain::error::DomainError;
use crate::model::{IdentityId, Session};
use crate::token::{self, SessionClaims, TokenError, TokenType};

/// Who is calling, after their token and session checked out.
#[derive(Debug, Clone)]
pub struct Principal {
    pub session: Session,
    pub token_type: TokenType,
    pub grant_id: Option<String>,
}

impl Principal {
    /// The login this caller spends the account's budgets from: its session, proven while it
    /// is `STEPPED_UP` by something anchored to the mailbox, or opened by the reset (a step-up
    /// by a factor the password alone planted proves nothing for this).
    pub fn spender(&self) -> crate::app::limits::Spender {
        let stepped_up = self.session.status == crate::model::SessionStatus::SteppedUp;
        crate::app::limits::Spender {
            login: self.session.session_id.clone(),
            proven: (stepped_up && self.session.anchored) || self.session.mailbox,
        }
    }

    /// The identity the token acts for: an ACCESS token's grant, else the login identity.
    pub fn identity(&self) -> &IdentityId {
        self.grant_id
            .as_ref()
            .and_then(|g| self.session.grants.get(g))
            .map(|g| &g.identity)
            .unwrap_or(&self.session.identity)
    }
}

const INVALID: &str = "The access token is missing, invalid or expired.";

/// Verifies the token's signature, and reloads the keys once if it names an unknown key
/// (a rotation since this instance started).
pub async fn verify_claims(app: &App, token: &str) -> Result<SessionClaims, DomainError> {
    let now = app.now();
    let keys = app.keys();
    // A token this thread verified under these keys: its signature is known good; its expiry
    // is judged again (and the keys asked for, as a verification would).
    if let Some(claims) = verified::get(&keys, token) {
        keys.session()?;
        return if now < claims.exp { Ok(claims) } else { Err(DomainError::Unauthenticated(INVALID)) };
    }
    match token::verify_session_token(&keys, token, now) {
        Ok(c) => {
            verified::put(&keys, token, &c);
            Ok(c)
        }
        Err(TokenError::NoKeys(p)) => Err(crate::keys::MissingKey(p).into()),
        Err(TokenError::UnknownKid) => {
            let keys = app.reload_keys_if_due().await.ok_or(DomainError::Unauthenticated(INVALID))?;
            let claims =
                token::verify_session_token(&keys, token, now).map_err(|_| DomainError::Unauthenticated(INVALID))?;
            verified::put(&keys, token, &claims);
            Ok(claims)
        }
        Err(_) => Err(DomainError::Unauthenticated(INVALID)),
    }
}

/// Authenticates a bearer token that must be one of `accepted`, sliding its session's idle
/// expiry.
pub async fn authenticate_token(app: &App, token: &str, accepted: &[TokenType]) -> Result<Principal, DomainError> {
    let claims = verify_claims(app, token).await?;
    if !accepted.contains(&claims.typ) {
        return Err(DomainError::Unauthenticated(match accepted {
            [TokenType::PasswordUpdate, ..] | [_, TokenType::PasswordUpdate] => {
                "This operation needs an ACCESS token or the temporary password-update token."
            }
            _ if accepted.contains(&TokenType::Access) && !accepted.contains(&TokenType::Auth) => {
                "This operation needs an ACCESS token."
            }
            [TokenType::Auth, TokenType::Access] => "This operation needs an AUTH or ACCESS token (or an idToken).",
            _ => "This operation needs an AUTH token.",
        }));
    }
    let now = app.now();
    let idle = match claims.typ {
        TokenType::Access => app.config.access_idle_timeout_secs,
        _ => app.config.idle_timeout_secs,
    };
    let grant = match claims.typ {
        TokenType::Access => Some(claims.gid.as_deref().ok_or(DomainError::Unauthenticated(INVALID))?),
        _ => None,
    };
    let new_idle = (now + idle).min(claims.exp);
    let session = app
        .store
        .touch_session(&claims.sid, grant, now, new_idle)
        .await?
        .ok_or(DomainError::Unauthenticated(INVALID))?;
    // The session's kind must match the token's: an ACCESS token hangs off an AUTH session.
    let expected_kind = match claims.typ {
        TokenType::Access | TokenType::Auth => TokenType::Auth,
        TokenType::PasswordUpdate => TokenType::PasswordUpdate,
    };
    if session.kind != expected_kind {
        return Err(DomainError::Unauthenticated(INVALID));
    }
    Ok(Principal { session, token_type: claims.typ, grant_id: claims.gid })
}
