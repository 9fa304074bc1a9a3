//! Surface-2 refresh-token families in the memory store.

use super::*;

impl Tables {
    /// The family, if it is live at `now` and still at `generation`.
    fn live_family(&mut self, family_id: &str, generation: u64, now: Epoch) -> Option<&mut RefreshFamily> {
        self.refresh.get_mut(family_id).filter(|f| f.is_live(now) && f.generation == generation)
    }
}

#[async_trait]
impl RefreshStore for MemoryStore {
    async fn open_refresh(&self, family: &RefreshFamily, user: &User, events: Events<'_>) -> StoreResult<User> {
        let mut t = self.lock()?;
        if t.refresh.contains_key(&family.family_id) {
            return Err(StoreError::Conflict);
        }
        let saved = login_user(&mut t, user)?;
        t.refresh.insert(family.family_id.clone(), family.clone());
        t.lockouts.remove(&user.email);
        t.put_events(events);
        Ok(saved)
    }

    async fn get_refresh(&self, family_id: &str) -> StoreResult<Option<RefreshFamily>> {
        Ok(self.lock()?.refresh.get(family_id).cloned())
    }

    async fn rotate_refresh(&self, family_id: &str, generation: u64, now: Epoch) -> StoreResult<bool> {
        let mut t = self.lock()?;
        let Some(f) = t.live_family(family_id, generation, now) else { return Ok(false) };
        f.generation += 1;
        f.rotated_at = Some(now);
        f.last_used_at = now;
        f.grace_used = false;
        Ok(true)
    }

    async fn retry_refresh(&self, family_id: &str, generation: u64, now: Epoch) -> StoreResult<bool> {
        let mut t = self.lock()?;
        let Some(f) = t.live_family(family_id, generation, now).filter(|f| !f.grace_used) else { return Ok(false) };
        f.grace_used = true;
        f.last_used_at = now;
        Ok(true)
    }

    async fn revoke_refresh(&self, family_id: &str, events: Events<'_>) -> StoreResult<bool> {
        let mut t = self.lock()?;
        match t.refresh.get_mut(family_id) {
            Some(f) if !f.revoked => {
                f.revoked = true;
                t.put_events(events);
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn list_refresh(&self, user_id: &str) -> StoreResult<Vec<RefreshFamily>> {
        let t = self.lock()?;
        Ok(t.refresh.values().filter(|f| f.user_id == user_id && !f.revoked).cloned().collect())
    }
}
