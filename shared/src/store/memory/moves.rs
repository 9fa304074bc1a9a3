//! Accounts moving between addresses, and known devices, in the memory store.

use super::*;
use crate::model::{KnownDevice, MovedAddress};
use crate::store::AccountMove;

/// The parts of a move both directions share, under the lock, once every condition held.
fn relocate(t: &mut Tables, mv: AccountMove<'_>) -> User {
    let from = mv.before.email.clone();
    let to = mv.after.email.clone();
    t.users.remove(&from);
    let mut saved = mv.after.clone();
    saved.version = mv.before.version + 1;
    t.users.insert(to.clone(), saved.clone());
    t.lockouts.remove(&from);
    t.lockouts.remove(&to);
    for name in mv.passkey_names {
        if t.passkey_names.get(name).is_some_and(|owner| *owner == from) {
            t.passkey_names.insert(name.clone(), to.clone());
        }
    }
    if let Some(s) = mv.caller_session.and_then(|id| t.sessions.get_mut(id)) {
        s.email.clone_from(&to);
    }
    if let Some(f) = mv.caller_family.and_then(|id| t.refresh.get_mut(id)) {
        f.email.clone_from(&to);
    }
    saved
}

/// Whether the account `before` may leave its address: it is there, at the version read.
fn still_there(t: &Tables, before: &User) -> bool {
    t.users.get(&before.email).is_some_and(|u| u.version == before.version && u.user_id == before.user_id)
}

#[async_trait]
impl MoveStore for MemoryStore {
    async fn move_account(&self, mv: AccountMove<'_>, moved: &MovedAddress, events: Events<'_>) -> StoreResult<User> {
        let mut t = self.lock()?;
        let to = &mv.after.email;
        let reserved_by_another =
            t.moved.get(to).is_some_and(|m| m.user_id != mv.before.user_id && moved.moved_at < m.expires_at);
        if !still_there(&t, mv.before) || t.users.contains_key(to) || reserved_by_another {
            return Err(StoreError::Conflict);
        }
        t.moved.remove(to);
        let saved = relocate(&mut t, mv);
        t.moved.insert(moved.from.clone(), moved.clone());
        t.put_events(events);
        Ok(saved)
    }

    async fn revert_account(&self, mv: AccountMove<'_>, nonce_hash: &str, events: Events<'_>) -> StoreResult<User> {
        let mut t = self.lock()?;
        let to = &mv.after.email;
        let holds = t.moved.get(to).is_some_and(|m| constant_time_eq(m.nonce_hash.as_bytes(), nonce_hash.as_bytes()));
        if !still_there(&t, mv.before) || t.users.contains_key(to) || !holds {
            return Err(StoreError::Conflict);
        }
        t.moved.remove(to);
        let saved = relocate(&mut t, mv);
        t.put_events(events);
        Ok(saved)
    }

    async fn get_moved(&self, email: &str) -> StoreResult<Option<MovedAddress>> {
        Ok(self.lock()?.moved.get(email).cloned())
    }
}

#[async_trait]
impl DeviceStore for MemoryStore {
    async fn see_device(&self, device: &KnownDevice, now: Epoch) -> StoreResult<bool> {
        let mut t = self.lock()?;
        let slot = (device.user_id.clone(), device.key.clone());
        let earlier = t.devices.get(&slot).cloned();
        let mut next = device.clone();
        if let Some(e) = &earlier {
            next.first_seen_at = e.first_seen_at;
        }
        t.devices.insert(slot, next);
        Ok(earlier.is_some_and(|e| now < e.expires_at))
    }

    async fn list_devices(&self, user_id: &str) -> StoreResult<Vec<KnownDevice>> {
        let t = self.lock()?;
        Ok(t.devices.iter().filter(|((u, _), _)| u == user_id).map(|(_, d)| d.clone()).collect())
    }

    async fn forget_devices(&self, user_id: &str) -> StoreResult<usize> {
        let mut t = self.lock()?;
        let before = t.devices.len();
        t.devices.retain(|(u, _), _| u != user_id);
        Ok(before - t.devices.len())
    }
}
