//! Accounts in the memory store.

use super::*;

#[async_trait]
impl AccountStore for MemoryStore {
    async fn create_user(&self, user: &User) -> StoreResult<()> {
        let mut t = self.lock()?;
        // An address an account moved away from stays reserved for its revert.
        if t.users.contains_key(&user.email) || t.moved.contains_key(&user.email) {
            return Err(StoreError::Conflict);
        }
        t.users.insert(user.email.clone(), user.clone());
        Ok(())
    }

    async fn get_user(&self, email: &str) -> StoreResult<Option<User>> {
        // A deleted account is no account, until its erasure removes it.
        Ok(self.lock()?.users.get(email).filter(|u| !u.deleted).cloned())
    }

    async fn update_user(&self, user: &User, events: Events<'_>) -> StoreResult<User> {
        let mut t = self.lock()?;
        let saved = cas_user(&mut t, user)?;
        t.put_events(events);
        Ok(saved)
    }

    async fn load_login(&self, email: &str, _now: Epoch) -> StoreResult<(Option<User>, StoredLockout)> {
        let t = self.lock()?;
        Ok((t.users.get(email).filter(|u| !u.deleted).cloned(), stored_lockout(&t, email)))
    }

    async fn update_user_spending_step_up(
        &self,
        user: &User,
        session_id: &str,
        now: Epoch,
        events: Events<'_>,
    ) -> StoreResult<User> {
        let mut t = self.lock()?;
        let stepped_up = t
            .sessions
            .get(session_id)
            .is_some_and(|s| !s.revoked && now < s.absolute_expires_at && s.status == SessionStatus::SteppedUp);
        if !stepped_up {
            return Err(StoreError::Conflict);
        }
        let saved = cas_user(&mut t, user)?;
        if let Some(s) = t.sessions.get_mut(session_id) {
            s.status = SessionStatus::Standard;
        }
        t.put_events(events);
        Ok(saved)
    }
}
