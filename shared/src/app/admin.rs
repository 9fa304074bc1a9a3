//! The operator's actions on an account, for a support desk: not on the public API. In AWS they
//! are the `Admin` function, invoked with IAM (`scripts/admin.sh`); `local-api` serves them as
//! `POST /_admin/{action}` only when `AUTH_ADMIN_LOCAL=true`. Each answers what it changed.

use serde_json::{Value, json};

use crate::app::App;
use crate::domain::error::DomainError;
use crate::model::Mfa;

/// What an operator can do to an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// No login, token or refresh works until unblocked; every login ends now.
    Block,
    Unblock,
    /// Lifts a failed-attempt lock (and forgets the count).
    Unlock,
    /// The next login must change the password (the temporary password-update token).
    ExpirePassword,
    /// Every session and refresh family ends.
    EndSessions,
    /// Every surface-1 factor and surface-2 method (phone validation, TOTP) is removed, for a
    /// user who lost them; the verified e-mail stays (it proves the address, not a device).
    RemoveFactors,
}

impl Action {
    pub const ALL: [Action; 6] = [
        Action::Block,
        Action::Unblock,
        Action::Unlock,
        Action::ExpirePassword,
        Action::EndSessions,
        Action::RemoveFactors,
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
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.name() == name)
    }
}

/// Runs `action` on the account of `email` (already normalised); `NotFound` when there is none.
/// Returns what changed.
pub async fn run(app: &App, action: Action, email: &str) -> Result<Value, DomainError> {
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
            json!({ "wasLocked": was_locked, "failedAttemptsCleared": stored.version.is_some() })
        }
        Action::ExpirePassword => {
            crate::app::accounts::update_user_with(app, email, |u| {
                u.password_expired = true;
                Ok(())
            })
            .await?;
            json!({ "passwordExpired": true, "wasExpired": user.password_expired })
        }
        Action::EndSessions => {
            let ended = crate::app::sessions::revoke_sessions(app, &user.user_id, None).await?;
            json!({ "endedSessions": ended })
        }
        Action::RemoveFactors => remove_factors(app, email).await?,
    };
    tracing::warn!(user_id = %user.user_id, action = ?action, "operator action");
    Ok(json!({ "action": action.name(), "email": email, "changed": changed }))
}

async fn remove_factors(app: &App, email: &str) -> Result<Value, DomainError> {
    let mut before = None;
    crate::app::accounts::update_user_with(app, email, |u| {
        before = Some(u.clone());
        u.factors.clear();
        u.mfa = Mfa { email_verified_at: u.mfa.email_verified_at, ..Mfa::default() };
        Ok(())
    })
    .await?;
    let Some(before) = before else { return Err(DomainError::internal("the account was not read")) };
    let factors: Vec<Value> =
        before.factors.iter().map(|f| json!({ "type": f.kind, "channel": f.channel, "status": f.status })).collect();
    let mut methods = Vec::new();
    if before.mfa.phone_verified_at.is_some() {
        methods.push("SMS");
    }
    if before.mfa.totp.is_some() {
        methods.push("TOTP");
    }
    crate::app::proof::announce_change(app, &before, "every authentication factor was removed by support").await?;
    for endpoint in before.factors.iter().filter_map(|f| f.device.as_ref()).map(|d| &d.endpoint) {
        if let Err(e) = app.push.unregister(endpoint).await {
            tracing::warn!(error = %e, "could not delete the SNS endpoint of a removed device");
        }
    }
    Ok(json!({ "removedFactors": factors, "removedMethods": methods }))
}
