//! The account's logins on both surfaces, as its owner sees them: surface-1 sessions and
//! surface-2 refresh families, listed with where and when they were used, and ended one by one
//! or all but the caller's own.

use crate::app::{App, Ctx};
use crate::domain::Epoch;
use crate::domain::error::DomainError;
use crate::domain::events::EventType;
use crate::model::Session;

/// Which surface a login belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Surface {
    /// A session of `/login_with_password` (its AUTH and ACCESS tokens).
    One,
    /// A refresh family of `/auth/login` (its refresh tokens and idTokens).
    Two,
}

/// One live login of the account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Login {
    pub id: String,
    pub surface: Surface,
    pub created_at: Epoch,
    pub last_used_at: Epoch,
    pub user_agent: String,
    pub source_ip: String,
    /// The login of the token that asked.
    pub current: bool,
}

/// Every live login of `user_id`, newest first; `current` is the caller's own (a session id
/// or a family id). Two queries, run at once.
pub async fn list(app: &App, user_id: &str, current: &str, now: Epoch) -> Result<Vec<Login>, DomainError> {
    let (sessions, families) = tokio::join!(app.store.list_sessions(user_id), app.store.list_refresh(user_id));
    let sessions = sessions?.into_iter().filter(|s| s.is_live(now)).map(|s| Login {
        current: s.session_id == current,
        surface: Surface::One,
        created_at: s.created_at,
        last_used_at: s.last_used_at.unwrap_or(s.created_at),
        user_agent: s.user_agent,
        source_ip: s.source_ip,
        id: s.session_id,
    });
    let families = families?.into_iter().filter(|f| f.is_live(now)).map(|f| Login {
        current: f.family_id == current,
        surface: Surface::Two,
        created_at: f.created_at,
        last_used_at: f.last_used_at,
        user_agent: f.user_agent,
        source_ip: f.source_ip,
        id: f.family_id,
    });
    let mut logins: Vec<Login> = sessions.chain(families).collect();
    logins.sort_by(|a, b| b.created_at.cmp(&a.created_at).then_with(|| a.id.cmp(&b.id)));
    Ok(logins)
}

/// Ends the login `id` of `user_id` (a session or a refresh family). `NotFound` when it is not
/// a live login of that user: another user's id answers exactly as an unknown one.
pub async fn end(app: &App, ctx: &Ctx, user_id: &str, id: &str, now: Epoch) -> Result<(), DomainError> {
    if Session::user_id_of(id) != Some(user_id) {
        return Err(DomainError::NotFound);
    }
    let event =
        crate::app::events::by(app, ctx, EventType::SessionRevoked, user_id)?.session(id).with("reason", "OWNER");
    // A concurrent ending of the same login got there first: to this request it is gone.
    let ended = if app.store.get_session(id).await?.is_some_and(|s| s.user_id == user_id && s.is_live(now)) {
        app.store.revoke_session(id, &[event]).await?
    } else if app.store.get_refresh(id).await?.is_some_and(|f| f.user_id == user_id && f.is_live(now)) {
        app.store.revoke_refresh(id, &[event]).await?
    } else {
        false
    };
    if !ended {
        return Err(DomainError::NotFound);
    }
    tracing::info!(user_id, "a login was ended by its owner");
    Ok(())
}

/// Ends every login of `user_id` but `current`; returns how many ended.
pub async fn end_others(app: &App, ctx: &Ctx, user_id: &str, current: &str) -> Result<usize, DomainError> {
    let origin = crate::app::events::origin(ctx);
    let ended =
        crate::app::sessions::revoke_sessions(app, user_id, Some(current), "REVOKE_OTHERS", Some(&origin)).await?;
    tracing::info!(user_id, ended, "every other login was ended by its owner");
    Ok(ended)
}
