//! Push step-up challenges, one in flight per session in the memory store.

use super::*;

#[async_trait]
impl PushStore for MemoryStore {
    async fn create_push_challenge(&self, challenge: &PushChallenge, now: Epoch) -> StoreResult<()> {
        let mut t = self.lock()?;
        let busy = t
            .push_in_flight
            .get(&challenge.session_id)
            .and_then(|id| t.push.get(id))
            .is_some_and(|c| c.status_at(now) == PushStatus::Pending);
        if busy || t.push.contains_key(&challenge.id) {
            return Err(StoreError::Conflict);
        }
        t.push_in_flight.insert(challenge.session_id.clone(), challenge.id.clone());
        t.push.insert(challenge.id.clone(), challenge.clone());
        Ok(())
    }

    async fn get_push_challenge(&self, id: &str) -> StoreResult<Option<PushChallenge>> {
        Ok(self.lock()?.push.get(id).cloned())
    }

    async fn answer_push_challenge(
        &self,
        challenge: &PushChallenge,
        status: PushStatus,
        now: Epoch,
        events: Events<'_>,
    ) -> StoreResult<()> {
        let mut t = self.lock()?;
        let pending = t.push.get(&challenge.id).is_some_and(|c| c.status_at(now) == PushStatus::Pending);
        let session_alive =
            t.sessions.get(&challenge.session_id).is_some_and(|s| !s.revoked && now < s.absolute_expires_at);
        if !pending || (status == PushStatus::Approved && challenge.login.is_none() && !session_alive) {
            return Err(StoreError::Conflict);
        }
        if status == PushStatus::Approved
            && challenge.login.is_none()
            && let Some(s) = t.sessions.get_mut(&challenge.session_id)
        {
            s.status = SessionStatus::SteppedUp;
            s.anchored = challenge.anchored;
        }
        if let Some(c) = t.push.get_mut(&challenge.id) {
            c.status = status;
        }
        t.push_in_flight.remove(&challenge.session_id);
        t.put_events(events);
        Ok(())
    }

    async fn cancel_push_challenge(&self, challenge: &PushChallenge) -> StoreResult<()> {
        let mut t = self.lock()?;
        t.push.remove(&challenge.id);
        if t.push_in_flight.get(&challenge.session_id) == Some(&challenge.id) {
            t.push_in_flight.remove(&challenge.session_id);
        }
        Ok(())
    }

    async fn claim_push_login(&self, id: &str) -> StoreResult<bool> {
        let mut t = self.lock()?;
        match t.push.get_mut(id).and_then(|c| Some(c.status).zip(c.login.as_mut())) {
            Some((PushStatus::Approved, login)) if !login.claimed => {
                login.claimed = true;
                Ok(true)
            }
            _ => Ok(false),
        }
    }
}
