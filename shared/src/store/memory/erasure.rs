//! Erasing a deleted account in the memory store: each step under the one lock.

use super::*;

#[async_trait]
impl ErasureStore for MemoryStore {
    async fn get_account_record(&self, email: &str) -> StoreResult<Option<User>> {
        Ok(self.lock()?.users.get(email).cloned())
    }

    async fn erase_user_items(&self, user_id: &str) -> StoreResult<usize> {
        let mut t = self.lock()?;
        let before = t.sessions.len() + t.codes.len() + t.push.len() + t.refresh.len() + t.events.len();
        let sessions: Vec<String> =
            t.sessions.values().filter(|s| s.user_id == user_id).map(|s| s.session_id.clone()).collect();
        for id in &sessions {
            t.sessions.remove(id);
            t.push_in_flight.remove(id);
            for kind in [CeremonyKind::Enrolment, CeremonyKind::StepUp] {
                t.ceremonies.remove(&Ceremony::of_session(kind, id));
            }
        }
        t.codes.retain(|(user, _), _| user != user_id);
        t.push.retain(|_, c| c.user_id != user_id);
        t.refresh.retain(|_, f| f.user_id != user_id);
        t.events.retain(|(user, _), _| user != user_id);
        t.ceremonies.retain(|_, c| c.user_id.as_deref() != Some(user_id));
        let after = t.sessions.len() + t.codes.len() + t.push.len() + t.refresh.len() + t.events.len();
        Ok(before - after)
    }

    async fn list_login_ids(&self, user_id: &str) -> StoreResult<Vec<String>> {
        let t = self.lock()?;
        let sessions = t.sessions.values().filter(|s| s.user_id == user_id).map(|s| s.session_id.clone());
        let families = t.refresh.values().filter(|f| f.user_id == user_id).map(|f| f.family_id.clone());
        Ok(sessions.chain(families).collect())
    }

    async fn erase_counters(&self, keys: &[String]) -> StoreResult<()> {
        let mut t = self.lock()?;
        t.rates.retain(|(key, _), _| !keys.contains(key));
        t.cooldowns.retain(|key, _| !keys.contains(key));
        Ok(())
    }

    async fn erase_account(&self, user: &User) -> StoreResult<()> {
        let mut t = self.lock()?;
        if t.users.get(&user.email).is_some_and(|u| u.user_id == user.user_id && u.deleted) {
            t.users.remove(&user.email);
        }
        t.lockouts.remove(&user.email);
        // The reservations its moves left at its old addresses (they name it).
        t.moved.retain(|_, m| m.user_id != user.user_id);
        Ok(())
    }
}
