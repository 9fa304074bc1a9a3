//! The operator's actions on an account, for a support desk: not on the public API. In AWS they
//! are the `Admin` function, invoked with IAM (`scripts/admin.sh`); `local-api` serves them as
//! `POST /_admin/{action}` only when `AUTH_ADMIN_LOCAL=true`. Each answers what it changed.

use serde_json::{Value, json};

use crate::app::App;
use crate::domain::error::DomainError;
use crate::domain::events::EventType;
use crate::model::{Mfa, User};

/// What an operator can do to an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// No login, token or refresh works until unblocked; every login ends now.
    Block,
    Unblock,
    /// Lifts a failed-attempt lock (and forgets the count).
    Unlock,
    /// The next login must change the password (the temporary password-update token), and
    /// every session and refresh family opened under the old one ends now.
    ExpirePassword,
    /// Every session and refresh family ends.
    EndSessions,
    /// Every way to prove a second factor is removed, for a user who lost them: surface-1
    /// factors (push devices with their SNS endpoints), passkeys (their credential ids freed),
    /// TOTP, the phone (its validation and its number) and the e-mail's verified mark. The
    /// address stays the account's: proving the mailbox again verifies it again.
    RemoveFactors,
    /// Changes nothing: the account's latest security events, for support.
    Events,
    /// Deletes the account as its owner can ([`crate::app::erasure`]), `by` `OPERATOR`; on an
    /// account whose deletion stopped midway, finishes it.
    Delete,
}

impl Action {
    pub const ALL: [Action; 8] = [
        Action::Block,
        Action::Unblock,
        Action::Unlock,
        Action::ExpirePassword,
        Action::EndSessions,
        Action::RemoveFactors,
        Action::Events,
        Action::Delete,
    ];

    /// Its name in an invocation's `action` and in the local path.
    pub fn name(self) -> &'static str {
        match self {
            Action::Block => "block",
            Action::Unblock => "unblock",
            Action::Unlock => "unlock",
            Action::ExpirePassword => "expire_password",
            Action::EndSessions => "end_sessions",
            Action::RemoveFactors => "remove_factors",
            Action::Events => "events",
            Action::Delete => "delete",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.name() == name)
    }
}

/// Runs `action` on the account of `email` (already normalised); `NotFound` when there is none.
/// Returns what changed.
pub async fn run(app: &App, action: Action, email: &str) -> Result<Value, DomainError> {
    if action == Action::Delete {
        // Finds a deleted account too, whose erasure it finishes.
        let changed = crate::app::erasure::operator_delete(app, email).await?;
        return Ok(json!({ "action": action.name(), "email": email, "changed": changed }));
    }
    let user = app.store.get_user(email).await?.ok_or(DomainError::NotFound)?;
    let changed = match action {
        Action::Block | Action::Unblock => {
            let block = action == Action::Block;
            let (saved, ended) = crate::app::accounts::set_blocked(app, email, block).await?;
            json!({ "blocked": saved.blocked, "wasBlocked": user.blocked, "endedSessions": ended })
        }
        Action::Unlock => {
            let stored = app.store.load_lockout(email).await?;
            let was_locked = stored.state.is_locked(app.now());
            crate::app::lockout::succeeded(app.store.as_ref(), email).await?;
            if was_locked {
                // The counter's delete carries no event: recorded right after it.
                let event =
                    crate::app::events::event(app, EventType::AccountUnlocked, &user.user_id)?.with("by", "OPERATOR");
                app.store.record_events(&[event]).await?;
            }
            json!({ "wasLocked": was_locked, "failedAttemptsCleared": stored.version.is_some() })
        }
        Action::ExpirePassword => expire_password(app, &user).await?,
        Action::EndSessions => {
            let ended = crate::app::sessions::revoke_sessions(app, &user.user_id, None, "OPERATOR", None).await?;
            json!({ "endedSessions": ended })
        }
        Action::RemoveFactors => remove_factors(app, email).await?,
        Action::Events => {
            let (events, _) = crate::app::events::trail(app, &user.user_id, None, 100).await?;
            let rendered: Vec<Value> = events.iter().map(crate::app::events::view).collect();
            return Ok(json!({ "action": action.name(), "email": email, "events": rendered }));
        }
        Action::Delete => return Err(DomainError::internal("handled above")),
    };
    tracing::warn!(user_id = %user.user_id, action = ?action, "operator action");
    Ok(json!({ "action": action.name(), "email": email, "changed": changed }))
}

/// Expires the password, then ends every login opened under it (each a `SESSION_REVOKED`
/// with reason `PASSWORD_EXPIRED`, in the write that ends it): after the flag, so that a login
/// racing this gets the temporary token, and one that came before is ended here. Announced
/// when anything changed.
async fn expire_password(app: &App, user: &User) -> Result<Value, DomainError> {
    let event = crate::app::events::event(app, EventType::PasswordExpired, &user.user_id)?.with("by", "OPERATOR");
    let events = if user.password_expired { Vec::new() } else { vec![event] };
    crate::app::accounts::update_user_reporting(app, &user.email, &events, |u| {
        u.password_expired = true;
        Ok(())
    })
    .await?;
    let ended = crate::app::sessions::revoke_sessions(app, &user.user_id, None, "PASSWORD_EXPIRED", None).await?;
    if !user.password_expired || ended > 0 {
        crate::app::proof::announce_change(app, user, "the password was expired by support").await?;
    }
    Ok(json!({ "passwordExpired": true, "wasExpired": user.password_expired, "endedSessions": ended }))
}

async fn remove_factors(app: &App, email: &str) -> Result<Value, DomainError> {
    let before = crate::app::accounts::load_user(app, email).await?;
    let mut events = Vec::new();
    for f in &before.factors {
        let event = crate::app::events::event(app, EventType::FactorRemoved, &before.user_id)?
            .with("type", json!(f.kind))
            .with("channel", json!(f.channel))
            .with("by", "OPERATOR");
        events.push(event);
    }
    for p in &before.passkeys {
        let event = crate::app::events::event(app, EventType::FactorRemoved, &before.user_id)?
            .with("type", "PASSKEY")
            .with("channel", "PASSKEY")
            .with("credentialId", p.credential_id.as_str())
            .with("by", "OPERATOR");
        events.push(event);
    }
    let methods = removed_methods(&before);
    for method in &methods {
        let mut event = crate::app::events::event(app, EventType::FactorRemoved, &before.user_id)?
            .with("method", *method)
            .with("by", "OPERATOR");
        if *method == "SMS" {
            // The number goes too, validated or not: no code can be sent to it any more.
            event = event.with("validated", before.mfa.phone_verified_at.is_some());
        }
        events.push(event);
    }
    if let Some(set) = &before.mfa.recovery {
        let event = crate::app::events::event(app, EventType::FactorRemoved, &before.user_id)?
            .with("type", "RECOVERY_CODES")
            .with("channel", "RECOVERY_CODES")
            .with("remaining", set.remaining())
            .with("by", "OPERATOR");
        events.push(event);
    }
    crate::app::accounts::update_user_reporting(app, email, &events, |u| {
        // The events name what was read: anything added meanwhile is left for another call.
        let same = u.factors == before.factors && u.mfa == before.mfa && u.passkeys == before.passkeys;
        if !same || u.mobile != before.mobile {
            return Err(DomainError::kept_changing("the account's factors changed meanwhile"));
        }
        u.factors.clear();
        u.passkeys.clear();
        u.mobile = None;
        u.mfa = Mfa::default();
        Ok(())
    })
    .await?;
    let factors: Vec<Value> = before
        .factors
        .iter()
        .map(|f| json!({ "type": f.kind, "channel": f.channel, "status": f.status }))
        .chain(before.passkeys.iter().map(
            |p| json!({ "type": "PASSKEY", "channel": "PASSKEY", "status": "ACTIVE", "credentialId": p.credential_id }),
        ))
        .collect();
    for p in &before.passkeys {
        let name = crate::app::passkeys::credential_name(&p.credential_id);
        app.store.release_passkey_name(&name, &before.email).await?;
    }
    crate::app::proof::announce_change(app, &before, "every authentication factor was removed by support").await?;
    for endpoint in before.factors.iter().filter_map(|f| f.device.as_ref()).map(|d| &d.endpoint) {
        if let Err(e) = app.push.unregister(endpoint).await {
            tracing::warn!(error = %e, "could not delete the SNS endpoint of a removed device");
        }
    }
    let codes = before.recovery_codes_left();
    Ok(json!({
        "removedFactors": factors,
        "removedMethods": methods,
        "removedMobile": before.mobile.is_some(),
        "removedRecoveryCodes": codes,
    }))
}

/// The surface-2 ways to prove a second factor `user` has: the phone (validated, or a number
/// a code could be sent to), TOTP, and the verified e-mail.
fn removed_methods(user: &User) -> Vec<&'static str> {
    let has = [
        ("SMS", user.mfa.phone_verified_at.is_some() || user.mobile.is_some()),
        ("TOTP", user.mfa.totp.is_some()),
        ("EMAIL", user.mfa.email_verified_at.is_some()),
    ];
    has.into_iter().filter(|(_, had)| *had).map(|(method, _)| method).collect()
}
