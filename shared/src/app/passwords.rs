//! Changing the password (surface 1's `/passwords/update`): the old password checked under the
//! lockout rules, the new one against the policy and the last [`HISTORY`], every login ended
//! before the change is written (conditional on the account's version), the change announced,
//! and a fresh session opened for the caller. The reset of a forgotten password
//! ([`crate::app::mailbox`]) shares the last two steps.

use secrecy::{ExposeSecret, SecretString};

use crate::app::lockout;
use crate::app::principal::Principal;
use crate::app::sessions::Opened;
use crate::app::{App, Ctx};
use crate::domain::Epoch;
use crate::domain::error::{DomainError, Rule};
use crate::domain::events::{EventType, SecurityEvent};
use crate::model::{SessionStatus, Stripped, User};
use crate::password;
use crate::store::StoreError;
use crate::token::TokenType;

/// How many passwords back a new one must differ from (the current one included).
pub const HISTORY: usize = 5;

/// Changes the caller's password from `old` to `new`; returns the caller's new session.
pub async fn change_password(
    app: &App,
    ctx: &Ctx,
    principal: &Principal,
    old: SecretString,
    new: SecretString,
    now: Epoch,
) -> Result<Opened, DomainError> {
    let session = &principal.session;
    let (user, stored) = app.store.load_login(&session.email, now).await?;
    let user = user.ok_or(DomainError::Unauthenticated("The account no longer exists."))?;
    crate::app::accounts::refuse_blocked(&user)?;
    // The password is how the account proves itself too: with a second factor, changing it
    // from a live session needs that factor (a stepped-up session). The temporary token of an
    // expired password cannot step up; that flow stays as the seed defines it.
    if principal.token_type == TokenType::Access {
        crate::app::proof::require_step_up(&user, principal)?;
    }
    let who = lockout::Who::new(&user.user_id, ctx).session(&session.session_id);
    let attempt = lockout::attempt(app, lockout::Check::PasswordUpdate, who, &session.email, stored, now).await?;
    let checked = password::check_blocking(old, Some(user.password_hash.clone())).await?;
    if !checked.matches {
        return Err(attempt.failed(app, Rule::PasswordIncorrect.into(), now).await);
    }
    let mut user = user;
    // An imported hash of the old password goes to the history as the service's Argon2id, in
    // the change's own write.
    if let Some(upgraded) = checked.upgraded {
        user.password_hash = upgraded;
    }
    // The old password was right: that check is over, whatever the new one turns out to be.
    attempt.succeeded(app).await?;
    password::check_policy(new.expose_secret(), &[&user.email, &user.name])
        .map_err(|v| DomainError::Refused(v.rule()))?;
    let new_hash = hash_unless_recent(&user, new).await?;
    let before = user.clone();
    let event = crate::app::events::by(app, ctx, EventType::PasswordChanged, &user.user_id)?
        .session(&principal.session.session_id);
    let guard = Checked {
        version: before.credentials_version,
        // Judged again on each read of the account: a factor enrolled while the old password
        // was being checked makes this session's proof too little.
        proof: (principal.token_type == TokenType::Access).then_some(principal),
    };
    let change = replace_password(app, user, new_hash, Some(guard), event, false, now);
    // Announced like any change of how the account proves itself, and never silently.
    let (saved, _) = crate::app::proof::noticed(app, &before, change).await?;
    crate::app::proof::announce_change(app, &before, "the password was changed").await?;
    crate::app::sessions::open(app, ctx, saved).await
}

/// The hash of `new`, unless it is one of the account's last [`HISTORY`] passwords
/// (`PASSWORD_ALREADY_USED`). Argon2 runs off the async threads.
pub async fn hash_unless_recent(user: &User, new: SecretString) -> Result<String, DomainError> {
    let earlier: Vec<String> = std::iter::once(user.password_hash.clone())
        .chain(user.password_history.iter().cloned())
        .take(HISTORY)
        .collect();
    let (reused, new_hash) = password::on_blocking_pool(move || {
        let reused = earlier.iter().any(|h| password::verify(new.expose_secret(), h));
        (reused, if reused { Ok(String::new()) } else { password::hash(new.expose_secret()) })
    })
    .await?;
    if reused {
        return Err(Rule::PasswordAlreadyUsed.into());
    }
    new_hash.map_err(DomainError::Internal)
}

/// Replaces the account's password with `new_hash`, bumping its credentials version. Every
/// login of the account (sessions and refresh families) ends before the change is written, and
/// again right after it: a login records itself only while the credentials version it verified
/// is still the account's ([`crate::store::SessionStore::open_session`]), so one that landed
/// in between is ended by the second sweep and none can land after. Logins bump no version of
/// the account, so however many arrive the change never waits for a quiet moment. A write
/// that fails midway leaves the old password in place with its logins ended.
/// With `checked` (the credentials version the caller's old password was checked under, and
/// the caller's session when a second factor must be proven), a password changed meanwhile by
/// someone else refuses with `PASSWORD_INCORRECT`, and a factor added meanwhile to an account
/// the session has not proven one of refuses with `STEP_UP_REQUIRED`.
/// With `strip` (a reset, which proved the mailbox), every way in that is not anchored to the
/// mailbox is removed in the same write ([`User::strip_unanchored`]), each removal reported.
pub async fn replace_password(
    app: &App,
    mut user: User,
    new_hash: String,
    checked: Option<Checked<'_>>,
    event: SecurityEvent,
    strip: bool,
    now: Epoch,
) -> Result<(User, Stripped), DomainError> {
    let reason = event.kind.name();
    // With `checked`, the hash the caller's old password was checked against (its
    // upgrade when it was imported): under the same credentials version it is the same password.
    let verified_hash = user.password_hash.clone();
    for round in 0..12 {
        if round == 0
            && let Some(checked) = &checked
        {
            // The old password was checked a while ago (Argon2): if the password has changed
            // since, this request must end nobody's session, the winner's new one included.
            user = crate::app::accounts::load_user(app, &user.email).await?;
            checked.still_holds(app, &user, true).await?;
            user.password_hash.clone_from(&verified_hash);
        }
        if round > 0 {
            // Logins kept bumping the account: wait a little, a different little each time.
            let jitter = crate::crypto::random_bytes::<1>().map(|b| u64::from(b[0] % 20)).unwrap_or(10);
            tokio::time::sleep(std::time::Duration::from_millis(5 + jitter)).await;
        }
        let ended =
            crate::app::sessions::revoke_sessions(app, &user.user_id, None, &reason, event.origin.as_ref()).await?;
        crate::app::sessions::end_step_ups(app, &user.user_id).await?;
        let mut next = user.clone();
        let stripped = if strip { next.strip_unanchored() } else { Stripped::default() };
        let mut events = vec![event.clone()];
        events.extend(removal_events(app, &event, &stripped)?);
        next.password_history.insert(0, std::mem::replace(&mut next.password_hash, new_hash.clone()));
        next.password_history.truncate(HISTORY - 1);
        next.password_changed_at = now;
        next.password_expired = false;
        next.credentials_version += 1;
        match app.store.update_user(&next, &events).await {
            Ok(saved) => {
                // Logins that verified the old password between the first sweep and the write.
                let late =
                    crate::app::sessions::revoke_sessions(app, &user.user_id, None, &reason, event.origin.as_ref())
                        .await?;
                tracing::info!(user_id = %saved.user_id, ended_sessions = ended + late, "password changed");
                return Ok((saved, stripped));
            }
            Err(StoreError::Conflict) => {
                user = crate::app::accounts::load_user(app, &user.email).await?;
                if let Some(checked) = &checked {
                    checked.still_holds(app, &user, false).await?;
                    user.password_hash.clone_from(&verified_hash);
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(DomainError::Unavailable { retry_after: 1, source: "account changed during password update".into() })
}

/// What a password change checked before its write, judged again on each read of the account.
pub struct Checked<'a> {
    /// The credentials version the old password was checked under.
    pub version: u64,
    /// The caller's session, when the account's second factor must be proven by it.
    pub proof: Option<&'a Principal>,
}

impl Checked<'_> {
    /// Judged on the account as read now and, before the change's first sweep of the logins
    /// (`session_too`; the sweep ends the caller's own session as well), on the caller's
    /// session as stored now: a login ended meanwhile (the owner's "end every login") or a
    /// step-up spent meanwhile by another change no longer proves anything.
    async fn still_holds(&self, app: &App, user: &User, session_too: bool) -> Result<(), DomainError> {
        // The password changed meanwhile: the caller's old password is stale.
        if user.credentials_version != self.version {
            return Err(DomainError::Refused(Rule::PasswordIncorrect));
        }
        let Some(principal) = self.proof else { return Ok(()) };
        if !session_too {
            return crate::app::proof::require_step_up(user, principal);
        }
        let now = app.now();
        let session = app.store.get_session(&principal.session.session_id).await?;
        let session = session
            .filter(|s| !s.revoked && now < s.absolute_expires_at)
            .ok_or(DomainError::Unauthenticated("The session has ended."))?;
        if user.has_second_factor() && session.status != SessionStatus::SteppedUp {
            return Err(DomainError::StepUpRequired);
        }
        Ok(())
    }
}

/// A `FACTOR_REMOVED` event for each way in a reset removed, reported with the reset's origin.
pub(crate) fn removal_events(
    app: &App,
    reset: &SecurityEvent,
    stripped: &Stripped,
) -> Result<Vec<SecurityEvent>, DomainError> {
    let removed = |kind: serde_json::Value, channel: serde_json::Value| -> Result<SecurityEvent, DomainError> {
        let mut e = crate::app::events::event(app, EventType::FactorRemoved, &reset.user_id)?
            .with("type", kind)
            .with("channel", channel)
            .with("reason", "NOT_ANCHORED_TO_MAILBOX");
        e.origin = reset.origin.clone();
        Ok(e)
    };
    let mut events = Vec::new();
    for f in &stripped.factors {
        events.push(removed(serde_json::json!(f.kind), serde_json::json!(f.channel))?);
    }
    for id in &stripped.passkeys {
        events.push(removed("PASSKEY".into(), "PASSKEY".into())?.with("credentialId", id.as_str()));
    }
    if stripped.totp {
        events.push(removed("TOTP".into(), "TOTP".into())?.with("surface", 2));
    }
    if stripped.phone {
        events.push(removed("SMS".into(), "SMS".into())?.with("surface", 2));
    }
    if stripped.recovery_codes {
        events.push(removed("RECOVERY_CODES".into(), "RECOVERY_CODES".into())?);
    }
    Ok(events)
}
