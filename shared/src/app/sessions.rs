//! Logging in, shared by both surfaces: the password check with its lockout rules, and opening
//! a surface-1 session.

use crate::app::App;
use crate::app::Ctx;
use crate::app::lockout;
use crate::crypto;
use secrecy::SecretString;

use crate::domain::Epoch;
use crate::domain::email::Email;
use crate::domain::error::DomainError;
use crate::domain::events::{EventType, Origin};
use crate::model::{Session, SessionStatus, User};
use crate::password;
use crate::store::{FailedLogins, StoreError};
use crate::token::{self, SessionClaims, TokenType};

/// Checks an email and password against the account and its lockout. One attempt is reserved
/// (a conditional write) before the hash is verified, so a burst cannot run more than
/// `threshold` verifications at once; only a wrong password counts toward the lock, so right
/// passwords arriving together wait for room rather than lock ([`lockout::attempt`]), and one
/// arriving after `threshold` wrong ones is refused as locked. An unknown email is verified against a dummy hash and counted like a
/// wrong password, so neither the answer, its timing, nor the lockout that follows tells
/// whether the account exists. The caller's login write clears the counter on success.
pub async fn check_password(app: &App, ctx: &Ctx, email: &Email, password: SecretString) -> Result<User, DomainError> {
    let now = app.now();
    let email = email.as_str();
    let (user, lockout) = app.store.load_login(email, now).await?;
    // A failure is recorded on the account's trail; an unknown e-mail's on a decoy trail nobody
    // reads and nothing publishes ([`crate::domain::events::is_decoy`]), by the same write: the
    // answer's time must not tell the two apart.
    let owner = match &user {
        Some(u) => u.user_id.clone(),
        None => crate::domain::events::decoy_user_id(email),
    };
    let who = lockout::Who::new(&owner, ctx);
    let attempt = lockout::attempt(app, lockout::Check::LoginPassword, who, email, lockout, now).await?;
    // An imported hash is checked by its own scheme and, when it matches, comes back upgraded
    // to the service's Argon2id, which the login's own write stores ([`record_login`]).
    let checked = password::check_blocking(password, user.as_ref().map(|u| u.password_hash.clone())).await?;
    let matches = checked.matches;
    let user = user.map(|mut u| {
        if let Some(upgraded) = checked.upgraded {
            u.password_hash = upgraded;
        }
        u
    });
    match user {
        Some(user) if matches && user.blocked => {
            attempt.release(app, now).await;
            Err(DomainError::Blocked)
        }
        Some(user) if matches => {
            // The login's own write clears the counter.
            attempt.settle();
            Ok(user)
        }
        _ => Err(attempt.failed(app, DomainError::BadCredentials, now).await),
    }
}

/// Ends the step-up of every live session of the account: after a change of how the account
/// proves itself (a factor, a method, a number, the password), an earlier proof proves nothing.
pub async fn end_step_ups(app: &App, user_id: &str) -> Result<usize, DomainError> {
    let now = app.now();
    let mut ended = 0;
    for s in app.store.list_sessions(user_id).await? {
        if s.status == SessionStatus::SteppedUp && now < s.absolute_expires_at {
            match app.store.set_session_status(&s.session_id, SessionStatus::Standard, false, now, &[]).await {
                Ok(()) | Err(StoreError::Conflict) => ended += 1,
                Err(e) => return Err(e.into()),
            }
        }
    }
    Ok(ended)
}

/// Ends every login of the account but `keep`: its surface-1 sessions (and with them their
/// ACCESS tokens) and its surface-2 refresh families (and with them their idTokens). Stops at
/// the first failed write: the caller must not report success then. Returns how many ended.
/// Each login ended is a `SESSION_REVOKED` event with `reason`, in the write that ends it.
pub async fn revoke_sessions(
    app: &App,
    user_id: &str,
    keep: Option<&str>,
    reason: &str,
    origin: Option<&Origin>,
) -> Result<usize, DomainError> {
    let (sessions, families) = tokio::join!(app.store.list_sessions(user_id), app.store.list_refresh(user_id));
    let mut revoked = 0;
    let revoked_event = |id: &str| -> Result<_, DomainError> {
        let mut event = crate::app::events::event(app, EventType::SessionRevoked, user_id)?.session(id);
        event.origin = origin.cloned();
        Ok(event.with("reason", reason))
    };
    let now = app.now();
    // Only live logins end (and are reported): a dead one is no longer a way in.
    for s in sessions?.into_iter().filter(|s| s.is_live(now)) {
        if Some(s.session_id.as_str()) != keep
            && app.store.revoke_session(&s.session_id, &[revoked_event(&s.session_id)?]).await?
        {
            revoked += 1;
        }
    }
    for f in families?.into_iter().filter(|f| f.is_live(now)) {
        if Some(f.family_id.as_str()) != keep
            && app.store.revoke_refresh(&f.family_id, &[revoked_event(&f.family_id)?]).await?
        {
            revoked += 1;
        }
    }
    Ok(revoked)
}

pub fn password_is_expired(app: &App, user: &User) -> bool {
    let max_age = app.config.password_max_age_secs;
    user.password_expired || (max_age > 0 && app.now() - user.password_changed_at >= max_age)
}

/// A session just opened, with its token.
pub struct Opened {
    pub token: String,
    pub kind: TokenType,
    pub session: Session,
    pub user: User,
}

/// How a login proved who is logging in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proof {
    /// The password: one factor.
    Password,
    /// A new password, set right after proving the mailbox (the lost-password reset): a
    /// password login whose session is anchored to the mailbox (it spends budgets as a proven
    /// login does: [`crate::app::limits::shared_budget`]).
    Reset,
    /// A passkey with the user verified: two factors at once; `anchored` as the passkey is
    /// ([`crate::model::Factor::anchored`]), and so is the session it opens.
    Passkey { anchored: bool },
    /// An approval signed by the enrolled device, whose app verifies its user.
    Push { anchored: bool },
}

impl Proof {
    /// The name events carry.
    pub fn name(self) -> &'static str {
        match self {
            Proof::Password => "PASSWORD",
            Proof::Reset => "PASSWORD_RESET",
            Proof::Passkey { .. } => "PASSKEY",
            Proof::Push { .. } => "PUSH",
        }
    }

    /// Whether what it proves leads back to the mailbox.
    pub fn anchored(self) -> bool {
        match self {
            Proof::Password => false,
            Proof::Reset => true,
            Proof::Passkey { anchored } | Proof::Push { anchored } => anchored,
        }
    }
}

/// Opens a surface-1 session for a user whose password was just verified: an AUTH session, or
/// a short password-update one when the password has expired. Records the login on the
/// account and clears its failed-login counter in the same write.
pub async fn open(app: &App, ctx: &Ctx, user: User) -> Result<Opened, DomainError> {
    open_by(app, ctx, user, Proof::Password, None).await
}

/// Opens a surface-1 session for a user who proved themselves by `proof`. A login without the
/// password (a passkey, a push) opens a `STEPPED_UP` AUTH session: it proved more than the
/// password, and an expired password, which it did not use, does not stand in its way.
/// `session_id`: the id the session takes, when it was named beforehand (a login by push names
/// it when it is asked for); otherwise a fresh one.
pub async fn open_by(
    app: &App,
    ctx: &Ctx,
    user: User,
    proof: Proof,
    session_id: Option<String>,
) -> Result<Opened, DomainError> {
    let (session, user) = start(app, ctx, user, proof, session_id).await?;
    handed_out(app, session, user)
}

/// [`open_by`] without the token: the session is stored (and the login recorded) for a token
/// handed out later ([`handed_out`]), by a function that holds no signing key.
pub async fn start(
    app: &App,
    ctx: &Ctx,
    user: User,
    proof: Proof,
    session_id: Option<String>,
) -> Result<(Session, User), DomainError> {
    let now = app.now();
    let by_password = matches!(proof, Proof::Password | Proof::Reset);
    let kind = if by_password && password_is_expired(app, &user) { TokenType::PasswordUpdate } else { TokenType::Auth };
    let status = if by_password { SessionStatus::Standard } else { SessionStatus::SteppedUp };
    let absolute = match kind {
        TokenType::PasswordUpdate => now + app.config.idle_timeout_secs,
        _ => now + app.config.session_max_secs,
    };
    let identity = user
        .identities
        .first()
        .map(|i| i.id.clone())
        .ok_or_else(|| DomainError::internal("account without identity"))?;
    let session = Session {
        session_id: match session_id {
            Some(id) => id,
            None => new_session_id(&user.user_id)?,
        },
        user_id: user.user_id.clone(),
        email: user.email.clone(),
        kind,
        identity,
        status,
        created_at: now,
        idle_expires_at: (now + app.config.idle_timeout_secs).min(absolute),
        absolute_expires_at: absolute,
        revoked: false,
        grants: Default::default(),
        last_used_at: Some(now),
        user_agent: ctx.user_agent.clone(),
        source_ip: ctx.source_ip.clone(),
        anchored: proof.anchored(),
        mailbox: proof == Proof::Reset,
    };
    let mut login = crate::app::events::by(app, ctx, EventType::LoginSucceeded, &user.user_id)?
        .session(&session.session_id)
        .with("surface", 1)
        .with("tokenType", if kind == TokenType::PasswordUpdate { "PASSWORD_UPDATE" } else { "AUTH" });
    if !by_password {
        login = login.with("method", proof.name());
    }
    // A login by push proves the device, not the secrets whose failures the counter holds.
    let failed = if matches!(proof, Proof::Push { .. }) { FailedLogins::Keep } else { FailedLogins::Clear };
    let first = user.last_login_at.is_none();
    let saved = record_login(app, ctx, user, |u| {
        // Stamped at each try: a revocation that made a try fail is listed before the login.
        let (session, login) = (&session, crate::app::events::restamped(app, &login));
        async move { app.store.open_session(session, &u, failed, std::slice::from_ref(&login)).await }
    })
    .await?;
    crate::app::devices::after_login(app, ctx, &saved, first, proof, 1).await;
    tracing::info!(user_id = %saved.user_id, kind = ?kind, "session opened");
    Ok((session, saved))
}

/// A new session id of the account `user_id`: `<userId>.<128 random bits>`.
pub fn new_session_id(user_id: &str) -> Result<String, DomainError> {
    Ok(format!("{user_id}.{}", crypto::random_token_id()?))
}

/// An open session with a token for it (its kind, its absolute end).
pub fn handed_out(app: &App, session: Session, user: User) -> Result<Opened, DomainError> {
    let kind = session.kind;
    let claims = SessionClaims {
        sid: session.session_id.clone(),
        typ: kind,
        gid: None,
        iat: app.now(),
        exp: session.absolute_expires_at,
    };
    let token = token::issue_session_token(&app.keys(), &claims).map_err(DomainError::Internal)?;
    Ok(Opened { token, kind, session, user })
}

/// Saves the login's date and device on the account with `write` (which also stores the new
/// session or refresh token, atomically). When another writer got to the account first, reads
/// it again and goes on only if the verified password is still the account's password.
pub async fn record_login<F, Fut>(app: &App, ctx: &Ctx, mut user: User, mut write: F) -> Result<User, DomainError>
where
    F: FnMut(User) -> Fut,
    Fut: std::future::Future<Output = Result<User, StoreError>>,
{
    let verified_version = user.credentials_version;
    // Under the same credentials version the password is the same: its verified hash (upgraded
    // when it was imported) stays the one to write after a reload.
    let verified_hash = user.password_hash.clone();
    for round in 0..8 {
        if round > 1 {
            // Logins and changes of the account keep landing first: wait a different little.
            let jitter = crypto::random_bytes::<1>().map(|b| u64::from(b[0] % 16)).unwrap_or(8);
            tokio::time::sleep(std::time::Duration::from_millis(2 + jitter)).await;
        }
        user.last_login_at = Some(app.now());
        user.last_login_device = Some(ctx.user_agent.clone());
        match write(user.clone()).await {
            Ok(saved) => return Ok(saved),
            Err(StoreError::Conflict) => {
                user = app.store.get_user(&user.email).await?.ok_or(DomainError::BadCredentials)?;
                if user.credentials_version != verified_version {
                    return Err(DomainError::BadCredentials);
                }
                user.password_hash.clone_from(&verified_hash);
                if user.blocked {
                    return Err(DomainError::Blocked);
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(DomainError::kept_changing("the account kept changing during login"))
}

/// Ends the session of `token`: any token of the session ends it, the temporary
/// password-update token included. One conditional write both checks that the session is
/// unrevoked and within its absolute lifetime and ends it: a token that has idled out can
/// still end its session, and with it every ACCESS token derived from it.
pub async fn logout(app: &App, ctx: &Ctx, token: &str, now: Epoch) -> Result<(), DomainError> {
    let claims = crate::app::principal::verify_claims(app, token).await?;
    let user_id = Session::user_id_of(&claims.sid).unwrap_or_default();
    let event = crate::app::events::by(app, ctx, EventType::Logout, user_id)?.session(&claims.sid).with("surface", 1);
    if !app.store.end_session(&claims.sid, now, &[event]).await? {
        return Err(DomainError::Unauthenticated("The access token is missing, invalid or expired."));
    }
    tracing::info!("logged out");
    Ok(())
}

/// Surface 1's login: the password checked under the lockout rules, then a session opened.
pub async fn login(app: &App, ctx: &Ctx, email: &Email, password: SecretString) -> Result<Opened, DomainError> {
    let user = check_password(app, ctx, email, password).await?;
    open(app, ctx, user).await
}
