//! Surface-1 sessions and their ACCESS grants in the memory store.

use super::*;

#[async_trait]
impl SessionStore for MemoryStore {
    async fn open_session(
        &self,
        session: &Session,
        user: &User,
        failed: FailedLogins,
        events: Events<'_>,
    ) -> StoreResult<User> {
        let mut t = self.lock()?;
        let saved = login_user(&mut t, user)?;
        t.sessions.insert(session.session_id.clone(), session.clone());
        if failed == FailedLogins::Clear {
            t.lockouts.remove(&user.email);
        }
        t.put_events(events);
        Ok(saved)
    }

    async fn touch_session(
        &self,
        session_id: &str,
        grant: Option<&str>,
        now: Epoch,
        new_idle: Epoch,
    ) -> StoreResult<Option<Session>> {
        let mut t = self.lock()?;
        let Some(s) = t.sessions.get_mut(session_id) else {
            return Ok(None);
        };
        if !s.is_alive(grant, now) {
            return Ok(None);
        }
        s.last_used_at = Some(now);
        match grant {
            None => s.idle_expires_at = new_idle,
            Some(g) => {
                if let Some(gr) = s.grants.get_mut(g) {
                    gr.idle_expires_at = new_idle;
                }
            }
        }
        Ok(Some(s.clone()))
    }

    async fn get_session(&self, session_id: &str) -> StoreResult<Option<Session>> {
        Ok(self.lock()?.sessions.get(session_id).cloned())
    }

    async fn add_grant(
        &self,
        session_id: &str,
        grant_id: &str,
        grant: &Grant,
        expired: &[String],
        now: Epoch,
    ) -> StoreResult<()> {
        let mut t = self.lock()?;
        match t.sessions.get_mut(session_id) {
            Some(s) if !s.revoked && now < s.absolute_expires_at => {
                for gone in expired {
                    s.grants.remove(gone);
                }
                s.grants.insert(grant_id.to_owned(), grant.clone());
                Ok(())
            }
            _ => Err(StoreError::Conflict),
        }
    }

    async fn set_session_status(
        &self,
        session_id: &str,
        status: SessionStatus,
        anchored: bool,
        now: Epoch,
        events: Events<'_>,
    ) -> StoreResult<()> {
        let mut t = self.lock()?;
        match t.sessions.get_mut(session_id) {
            Some(s) if !s.revoked && now < s.absolute_expires_at => {
                s.status = status;
                s.anchored = anchored && status == SessionStatus::SteppedUp;
                t.put_events(events);
                Ok(())
            }
            _ => Err(StoreError::Conflict),
        }
    }

    async fn end_session(&self, session_id: &str, now: Epoch, events: Events<'_>) -> StoreResult<bool> {
        let mut t = self.lock()?;
        match t.sessions.get_mut(session_id) {
            Some(s) if !s.revoked && now < s.absolute_expires_at => {
                s.revoked = true;
                t.put_events(events);
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn revoke_session(&self, session_id: &str, events: Events<'_>) -> StoreResult<bool> {
        let mut t = self.lock()?;
        match t.sessions.get_mut(session_id) {
            Some(s) if !s.revoked => {
                s.revoked = true;
                t.put_events(events);
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn list_sessions(&self, user_id: &str) -> StoreResult<Vec<Session>> {
        let t = self.lock()?;
        Ok(t.sessions.values().filter(|s| s.user_id == user_id && !s.revoked).cloned().collect())
    }
}
