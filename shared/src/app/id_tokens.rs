//! Surface 2's tokens: logging in for an idToken and a refresh token (a new refresh family),
//! refreshing with rotation and reuse detection ([`crate::domain::refresh`]), revoking; and
//! authenticating a request: the idToken's signature (EdDSA, pinned), issuer, audience and
//! expiry, then the account, whose credentials version must still be the one the token was
//! issued under (a password change makes older idTokens stale here), and the token's refresh
//! family, which must still be live (a logout or an ended session ends its idTokens too).

use crate::app::limits::Spender;
use secrecy::SecretString;

use crate::app::App;
use crate::app::Ctx;
use crate::crypto;
use crate::domain::Epoch;
use crate::domain::email::Email;
use crate::domain::error::DomainError;
use crate::domain::events::EventType;
use crate::domain::refresh::{self, Judgement};
use crate::model::{Lockout, RefreshFamily, User};
use crate::token::{self, IdClaims, TokenError};

const INVALID: &str = "The idToken is missing, invalid or expired.";

pub fn verify(app: &App, keys: &crate::keys::KeySet, token: &str) -> Result<IdClaims, TokenError> {
    token::verify_id_token(keys, token, &app.config.issuer, &app.config.audience, app.now())
}

/// The caller's claims, account and failed-login counter (one store read).
pub async fn authenticate(app: &App, token: &str) -> Result<(IdClaims, User, Lockout, Spender), DomainError> {
    let claims = match verify(app, &app.keys(), token) {
        Ok(c) => c,
        Err(TokenError::NoKeys(p)) => return Err(crate::keys::MissingKey(p).into()),
        Err(TokenError::UnknownKid) => {
            let keys = app.reload_keys_if_due().await.ok_or(DomainError::Unauthenticated(INVALID))?;
            verify(app, &keys, token).map_err(|_| DomainError::Unauthenticated(INVALID))?
        }
        Err(_) => return Err(DomainError::Unauthenticated(INVALID)),
    };
    let now = app.now();
    let family_id = claims.sid.as_deref().ok_or(DomainError::Unauthenticated(INVALID))?;
    // Two reads at once: the account and the token's family are in different partitions.
    let (login, family) = tokio::join!(app.store.load_login(&claims.email, now), app.store.get_refresh(family_id));
    let ((user, lockout), family) = (login?, family?);
    let family =
        family.filter(|f| f.is_live(now) && f.user_id == claims.sub).ok_or(DomainError::Unauthenticated(INVALID))?;
    // What the login spends the account's budgets as: proven only if it proved an anchored
    // second factor (a family opened by the password alone never is).
    let spender = Spender { login: family.family_id.clone(), proven: family.anchored };
    let user = user
        .filter(|u| u.user_id == claims.sub && u.credentials_version == claims.ver && !u.blocked)
        .ok_or(DomainError::Unauthenticated(INVALID))?;
    Ok((claims, user, lockout.state, spender))
}

const INVALID_REFRESH: &str = "The refresh token is invalid, expired or revoked.";

/// A surface-2 idToken for the account, of the refresh family `family_id`.
pub fn id_token(app: &App, user: &User, family_id: &str, amr: &[&str]) -> Result<String, DomainError> {
    let now = app.now();
    let claims = token::IdClaims {
        iss: app.config.issuer.clone(),
        aud: app.config.audience.clone(),
        sub: user.user_id.clone(),
        email: user.email.clone(),
        email_verified: user.mfa.email_verified_at.is_some(),
        iat: now,
        exp: now + app.config.id_token_secs,
        jti: crypto::random_token_id()?,
        amr: amr.iter().map(|s| s.to_string()).collect(),
        ver: user.credentials_version,
        sid: Some(family_id.to_owned()),
    };
    token::issue_id_token(&app.keys(), &claims).map_err(DomainError::Internal)
}

/// The refresh token of generation `generation` of `family`.
pub async fn family_token(app: &App, family: &RefreshFamily, generation: u64) -> Result<String, DomainError> {
    Ok(refresh::token(&app.data_key(&family.key_id).await?, &family.family_id, generation))
}

/// The family a presented token belongs to, if the token is genuine (its MAC checks out under
/// the family's key). Nothing is written.
pub async fn genuine_family(app: &App, token: &str) -> Result<Option<(RefreshFamily, u64)>, DomainError> {
    let Some(presented) = refresh::parse(token) else { return Ok(None) };
    let Some(family) = app.store.get_refresh(presented.family_id).await? else { return Ok(None) };
    let key = app.data_key(&family.key_id).await?;
    Ok(presented.is_genuine(&key).then_some((family, presented.generation)))
}

/// A fresh idToken and the next refresh token for a live refresh token, spending it (RFC 9700
/// §4.14.2). A spent token presented again ends its whole family (403
/// `REFRESH_TOKEN_REUSED`), except once within the grace period, which answers the same
/// successor. Refused for a blocked or locked account, once the password changed, and while it
/// has expired. Three store round trips: the family, the account with its counter, the
/// rotation (a lost race re-reads the family and judges again).
pub async fn refresh(app: &App, ctx: &Ctx, token: &str, now: Epoch) -> Result<(String, String), DomainError> {
    let (family, account, next) = rotate(app, ctx, token, None, now).await?;
    Ok((id_token(app, &account, &family.family_id, &["pwd"])?, next))
}

/// [`refresh`]'s rotation, for the family's own client only (`None`: surface 2's own logins;
/// a login of the OpenID Connect provider names its client): a token of one client presented
/// by another is refused as unknown, and spends nothing. Returns the family, its account and
/// the next refresh token.
pub async fn rotate(
    app: &App,
    ctx: &Ctx,
    token: &str,
    client: Option<&str>,
    now: Epoch,
) -> Result<(RefreshFamily, User, String), DomainError> {
    let invalid = || DomainError::Unauthenticated(INVALID_REFRESH);
    let (mut family, generation) = genuine_family(app, token).await?.ok_or_else(invalid)?;
    if family.client_id.as_deref() != client {
        return Err(invalid());
    }
    let mut user = None;
    for _ in 0..3 {
        let judgement = refresh::judge(&family, generation, now, app.config.refresh_reuse_grace_secs);
        match judgement {
            Judgement::Dead => return Err(invalid()),
            Judgement::Replayed => {
                let event = crate::app::events::by(app, ctx, EventType::RefreshTokenReused, &family.user_id)?
                    .session(&family.family_id)
                    .with("generation", generation);
                app.store.revoke_refresh(&family.family_id, &[event]).await?;
                tracing::warn!(user_id = %family.user_id, "a spent refresh token was presented again: its family ended");
                return Err(DomainError::RefreshTokenReused);
            }
            Judgement::Rotate | Judgement::Retry => {}
        }
        let account = match user.take() {
            Some(u) => u,
            None => refreshable_account(app, &family, now).await?,
        };
        let spent = match judgement {
            Judgement::Rotate => app.store.rotate_refresh(&family.family_id, generation, now).await?,
            _ => app.store.retry_refresh(&family.family_id, family.generation, now).await?,
        };
        if spent {
            let next = family_token(app, &family, generation + 1).await?;
            return Ok((family, account, next));
        }
        // A concurrent refresh moved the family on (or ended it): judge again on what it did.
        user = Some(account);
        family = app.store.get_refresh(&family.family_id).await?.ok_or_else(invalid)?;
    }
    Err(DomainError::kept_changing("the refresh family kept changing"))
}

/// The account of a family, if it may still refresh: same credentials, not blocked, not
/// locked, password not expired.
async fn refreshable_account(app: &App, family: &RefreshFamily, now: Epoch) -> Result<User, DomainError> {
    let (user, lockout) = app.store.load_login(&family.email, now).await?;
    let user = user
        .filter(|u| u.user_id == family.user_id && u.credentials_version == family.credentials_version)
        .ok_or(DomainError::Unauthenticated(INVALID_REFRESH))?;
    crate::app::accounts::refuse_blocked(&user)?;
    crate::app::lockout::refuse_if_locked(&lockout, now)?;
    if crate::app::sessions::password_is_expired(app, &user) {
        return Err(DomainError::Denied("The password has expired: change it through /passwords/update."));
    }
    Ok(user)
}

/// Ends the family of a refresh token, if the token is genuine (a `LOGOUT`, if it was live).
/// Says nothing of whether it was.
pub async fn revoke_refresh(app: &App, ctx: &Ctx, token: &str) -> Result<(), DomainError> {
    if let Some((family, _)) = genuine_family(app, token).await? {
        let events = match family.is_live(app.now()) {
            true => vec![
                crate::app::events::by(app, ctx, EventType::Logout, &family.user_id)?
                    .session(&family.family_id)
                    .with("surface", 2),
            ],
            false => Vec::new(),
        };
        app.store.revoke_refresh(&family.family_id, &events).await?;
    }
    Ok(())
}

/// Surface 2's login: the password checked under the lockout rules shared with surface 1, then
/// a new refresh family (nothing secret stored) with its first refresh token, and an idToken of
/// it. Returns both tokens.
pub async fn login(
    app: &App,
    ctx: &crate::app::Ctx,
    email: &Email,
    password: SecretString,
    now: Epoch,
) -> Result<(String, String), DomainError> {
    let user = crate::app::sessions::check_password(app, ctx, email, password).await?;
    if crate::app::sessions::password_is_expired(app, &user) {
        crate::app::lockout::succeeded(app.store.as_ref(), email.as_str()).await?;
        return Err(DomainError::Denied("The password has expired: change it through /passwords/update."));
    }
    open_family(app, ctx, user, crate::app::sessions::Proof::Password, now).await
}

/// A refresh family for `user`'s new login, at generation 0, its MAC under the current data
/// key, anchored to the mailbox as the proof was; no client (the provider's sign-in names it).
pub(crate) fn fresh_family(
    app: &App,
    ctx: &crate::app::Ctx,
    user: &crate::model::User,
    anchored: bool,
    now: Epoch,
) -> Result<RefreshFamily, DomainError> {
    let keys = app.keys();
    Ok(RefreshFamily {
        family_id: format!("{}.{}", user.user_id, crypto::random_token_id()?),
        user_id: user.user_id.clone(),
        email: user.email.clone(),
        key_id: keys.data()?.current.kid.clone(),
        generation: 0,
        rotated_at: None,
        grace_used: false,
        created_at: now,
        last_used_at: now,
        expires_at: now + app.config.refresh_token_secs,
        user_agent: ctx.user_agent.clone(),
        source_ip: ctx.source_ip.clone(),
        revoked: false,
        credentials_version: user.credentials_version,
        anchored,
        client_id: None,
        scopes: Vec::new(),
    })
}

/// A new refresh family for a user who just proved themselves by `proof`, with its first
/// refresh token and an idToken whose `amr` names the proof (RFC 8176: `pwd`; a passkey is
/// `hwk` and `user`, a hardware key with its user verified). Returns both tokens.
pub async fn open_family(
    app: &App,
    ctx: &crate::app::Ctx,
    user: crate::model::User,
    proof: crate::app::sessions::Proof,
    now: Epoch,
) -> Result<(String, String), DomainError> {
    use crate::app::sessions::Proof;
    let keys = app.keys();
    let data = &keys.data()?.current;
    let family = fresh_family(app, ctx, &user, proof.anchored(), now)?;
    let refresh_token = refresh::token(&data.data, &family.family_id, 0);
    let mut login = crate::app::events::by(app, ctx, EventType::LoginSucceeded, &user.user_id)?
        .session(&family.family_id)
        .with("surface", 2);
    if proof != Proof::Password {
        login = login.with("method", proof.name());
    }
    let first = user.last_login_at.is_none();
    let saved = crate::app::sessions::record_login(app, ctx, user, |u| {
        let (family, login) = (&family, crate::app::events::restamped(app, &login));
        async move { app.store.open_refresh(family, &u, std::slice::from_ref(&login)).await }
    })
    .await?;
    let amr: &[&str] = match proof {
        Proof::Password | Proof::Reset => &["pwd"],
        Proof::Passkey { .. } => &["hwk", "user"],
        Proof::Push { .. } => &["swk", "user"],
    };
    crate::app::devices::after_login(app, ctx, &saved, first, proof, 2).await;
    let id_token = id_token(app, &saved, &family.family_id, amr)?;
    tracing::info!(user_id = %saved.user_id, "surface-2 login");
    Ok((id_token, refresh_token))
}
