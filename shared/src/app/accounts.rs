//! The account record: registering it, adding identities, reading it for an authenticated caller (a blocked account is refused
//! here), changing it with the version check, and the operator's block, which ends every live
//! session at once, so no token of the account works after the block has answered, on either
//! surface or through the authorizer.

use crate::app::App;
use secrecy::{ExposeSecret, SecretString};

use crate::crypto;
use crate::domain::Epoch;
use crate::domain::email::Email;
use crate::domain::error::DomainError;
use crate::domain::error::Rule;
use crate::domain::events::EventType;
use crate::model::{Identity, IdentityId, IdentityType, Mobile, User};
use crate::password;
use crate::store::{Events, StoreError};

/// Blocks or unblocks the account of `email`; blocking also revokes every session. Surface-2
/// tokens need no revocation: idTokens and refresh tokens are refused for a blocked account
/// wherever they are used.
pub async fn set_blocked(app: &App, email: &str, blocked: bool) -> Result<(User, usize), DomainError> {
    let mut saved = None;
    for _ in 0..5 {
        let mut user = app.store.get_user(email).await?.ok_or(DomainError::NotFound)?;
        let was = user.blocked;
        user.blocked = blocked;
        let kind = if blocked { EventType::AccountBlocked } else { EventType::AccountUnblocked };
        // An event only when the flag really changed.
        let events =
            if was == blocked { Vec::new() } else { vec![crate::app::events::event(app, kind, &user.user_id)?] };
        match app.store.update_user(&user, &events).await {
            Ok(s) => {
                saved = Some(s);
                break;
            }
            Err(StoreError::Conflict) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    let saved = saved.ok_or_else(|| DomainError::kept_changing("the account kept changing"))?;
    let mut ended = 0;
    if blocked {
        ended = crate::app::sessions::revoke_sessions(app, &saved.user_id, None, "ACCOUNT_BLOCKED", None).await?;
        tracing::warn!(user_id = %saved.user_id, ended_sessions = ended, "account blocked");
    } else {
        tracing::info!(user_id = %saved.user_id, "account unblocked");
    }
    Ok((saved, ended))
}

/// The account behind an authenticated session; a blocked account is refused here, for every
/// operation that reads or changes it.
pub async fn load_user(app: &App, email: &str) -> Result<User, DomainError> {
    let user = app.store.get_user(email).await?.ok_or(DomainError::Unauthenticated("The account no longer exists."))?;
    refuse_blocked(&user)?;
    Ok(user)
}

/// Refuses a blocked account, wherever its session, grant or refresh token is used.
pub fn refuse_blocked(user: &User) -> Result<(), DomainError> {
    if user.blocked {
        return Err(DomainError::Blocked);
    }
    Ok(())
}

/// Read, change, write with the version check, retrying when another writer got in between.
/// `change` sees the freshest record each time and may refuse with an error.
pub async fn update_user_with<F>(app: &App, email: &str, change: F) -> Result<User, DomainError>
where
    F: FnMut(&mut User) -> Result<(), DomainError>,
{
    update_user_reporting(app, email, &[], change).await
}

/// [`update_user_with`], committing `events` with the change.
pub async fn update_user_reporting<F>(
    app: &App,
    email: &str,
    events: Events<'_>,
    mut change: F,
) -> Result<User, DomainError>
where
    F: FnMut(&mut User) -> Result<(), DomainError>,
{
    for _ in 0..5 {
        let before = load_user(app, email).await?;
        let mut user = before.clone();
        change(&mut user)?;
        unreported(&before, &user, events)?;
        match app.store.update_user(&user, events).await {
            Ok(saved) => return Ok(saved),
            Err(StoreError::Conflict) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(DomainError::kept_changing("the account kept changing"))
}

/// Refuses a change of how the account proves itself that reports nothing: every such change
/// writes its event in the same atomic write ([`User::proves_differently_from`]). A refusal
/// here is a bug of the use case, never the caller's doing.
pub fn unreported(before: &User, after: &User, events: Events<'_>) -> Result<(), DomainError> {
    if events.is_empty() && after.proves_differently_from(before) {
        return Err(DomainError::internal("a change of how the account proves itself reports no event"));
    }
    Ok(())
}

/// More identities than this on one account is a sign of abuse, not of a real user.
pub const MAX_IDENTITIES: usize = 20;

/// What registration needs, parsed.
pub struct NewAccount {
    pub email: Email,
    pub password: SecretString,
    pub name: String,
    pub kind: IdentityType,
    pub mobile: Option<Mobile>,
}

/// Creates an account with its first identity.
pub async fn register(app: &App, new: NewAccount, now: Epoch) -> Result<(User, IdentityId), DomainError> {
    let NewAccount { email, password: pw, name, kind, mobile } = new;
    let email = email.into_string();
    // The edge reports a weak password with every other field problem at once; the rule holds
    // here whatever the edge.
    password::check_policy(pw.expose_secret(), &[&email, &name]).map_err(|v| DomainError::Refused(v.rule()))?;
    // Hashing comes before the existence check, so a taken email costs the same time.
    let password_hash = password::hash_blocking(pw).await?;
    let identity = IdentityId { kind, id: crypto::random_numeric_id()? };
    let user = User {
        user_id: crypto::random_numeric_id()?,
        email,
        name: name.clone(),
        password_hash,
        password_history: Vec::new(),
        password_changed_at: now,
        password_expired: false,
        mobile,
        identities: vec![Identity { id: identity.clone(), name }],
        credentials_version: 1,
        last_login_at: None,
        last_login_device: None,
        created_at: now,
        factors: Vec::new(),
        mfa: Default::default(),
        blocked: false,
        passkeys: Vec::new(),
        passkey_handle: None,
        pending_email: None,
        moved_from: Vec::new(),
        deleted: false,
        version: 1,
    };
    match app.store.create_user(&user).await {
        Ok(()) => {}
        Err(StoreError::Conflict) => return Err(Rule::EmailAlreadyRegistered.into()),
        Err(e) => return Err(e.into()),
    }
    tracing::info!(user_id = %user.user_id, "account created");
    Ok((user, identity))
}

/// Adds an identity (a consumer or corporate persona) to the account of `email`.
pub async fn create_identity(
    app: &App,
    email: &str,
    kind: IdentityType,
    name: String,
) -> Result<Identity, DomainError> {
    let identity = Identity { id: IdentityId { kind, id: crypto::random_numeric_id()? }, name };
    let created = identity.clone();
    crate::app::accounts::update_user_with(app, email, move |user| {
        if user.identities.len() >= MAX_IDENTITIES {
            return Err(DomainError::Refused(Rule::IdentityLimitReached));
        }
        user.identities.push(created.clone());
        Ok(())
    })
    .await?;
    Ok(identity)
}
