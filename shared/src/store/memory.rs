//! The embedded store: everything in process memory behind one mutex, with the same atomicity
//! and the same conditions as the DynamoDB adapter. The default for `local-api` and for tests.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;

use super::{Store, StoreError, StoreResult, StoredLockout};
use crate::clock::Epoch;
use crate::crypto::constant_time_eq;
use crate::domain::codes;
use crate::model::{
    CodeChallenge, Grant, Lockout, PushChallenge, PushStatus, RefreshToken, Session, SessionStatus, User,
};

#[derive(Default)]
struct Tables {
    users: HashMap<String, User>,
    /// email → (counter, version).
    lockouts: HashMap<String, (Lockout, u64)>,
    sessions: HashMap<String, Session>,
    /// (user id, purpose) → challenge.
    codes: HashMap<(String, String), CodeChallenge>,
    push: HashMap<String, PushChallenge>,
    /// session id → the push challenge in flight for it.
    push_in_flight: HashMap<String, String>,
    /// (user id, token hash) → refresh token.
    refresh: HashMap<(String, String), RefreshToken>,
    /// (key, window end) → hits.
    rates: HashMap<(String, Epoch), u64>,
}

#[derive(Default)]
pub struct MemoryStore {
    tables: Mutex<Tables>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> StoreResult<MutexGuard<'_, Tables>> {
        // A poisoned lock means a thread panicked mid-write; refuse rather than serve half state.
        self.tables.lock().map_err(|_| StoreError::Other("memory store poisoned".into()))
    }
}

fn stored_lockout(t: &Tables, email: &str) -> StoredLockout {
    match t.lockouts.get(email) {
        Some((state, version)) => StoredLockout { state: *state, version: Some(*version) },
        None => StoredLockout::default(),
    }
}

fn cas_user(t: &mut Tables, user: &User) -> StoreResult<User> {
    match t.users.get(&user.email) {
        Some(current) if current.version == user.version => {
            let mut next = user.clone();
            next.version += 1;
            t.users.insert(user.email.clone(), next.clone());
            Ok(next)
        }
        _ => Err(StoreError::Conflict),
    }
}

#[async_trait]
impl Store for MemoryStore {
    async fn create_user(&self, user: &User) -> StoreResult<()> {
        let mut t = self.lock()?;
        if t.users.contains_key(&user.email) {
            return Err(StoreError::Conflict);
        }
        t.users.insert(user.email.clone(), user.clone());
        Ok(())
    }

    async fn get_user(&self, email: &str) -> StoreResult<Option<User>> {
        Ok(self.lock()?.users.get(email).cloned())
    }

    async fn update_user(&self, user: &User) -> StoreResult<User> {
        cas_user(&mut *self.lock()?, user)
    }

    async fn load_login(&self, email: &str, _now: Epoch) -> StoreResult<(Option<User>, StoredLockout)> {
        let t = self.lock()?;
        Ok((t.users.get(email).cloned(), stored_lockout(&t, email)))
    }

    async fn load_lockout(&self, email: &str) -> StoreResult<StoredLockout> {
        Ok(stored_lockout(&*self.lock()?, email))
    }

    async fn save_lockout(&self, email: &str, expected: Option<u64>, next: &Lockout) -> StoreResult<()> {
        let mut t = self.lock()?;
        let current = t.lockouts.get(email).map(|(_, v)| *v);
        if current != expected {
            return Err(StoreError::Conflict);
        }
        t.lockouts.insert(email.to_owned(), (*next, expected.unwrap_or(0) + 1));
        Ok(())
    }

    async fn clear_lockout(&self, email: &str) -> StoreResult<()> {
        self.lock()?.lockouts.remove(email);
        Ok(())
    }

    async fn open_session(&self, session: &Session, user: &User) -> StoreResult<User> {
        let mut t = self.lock()?;
        let saved = cas_user(&mut t, user)?;
        t.sessions.insert(session.session_id.clone(), session.clone());
        t.lockouts.remove(&user.email);
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

    async fn get_session(&self, session_id: &str) -> StoreResult<Option<Session>> {
        Ok(self.lock()?.sessions.get(session_id).cloned())
    }

    async fn update_user_spending_step_up(&self, user: &User, session_id: &str, now: Epoch) -> StoreResult<User> {
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
        Ok(saved)
    }

    async fn set_session_status(&self, session_id: &str, status: SessionStatus, now: Epoch) -> StoreResult<()> {
        let mut t = self.lock()?;
        match t.sessions.get_mut(session_id) {
            Some(s) if !s.revoked && now < s.absolute_expires_at => {
                s.status = status;
                Ok(())
            }
            _ => Err(StoreError::Conflict),
        }
    }

    async fn end_session(&self, session_id: &str, now: Epoch) -> StoreResult<bool> {
        let mut t = self.lock()?;
        match t.sessions.get_mut(session_id) {
            Some(s) if !s.revoked && now < s.absolute_expires_at => {
                s.revoked = true;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn revoke_session(&self, session_id: &str) -> StoreResult<()> {
        if let Some(s) = self.lock()?.sessions.get_mut(session_id) {
            s.revoked = true;
        }
        Ok(())
    }

    async fn list_sessions(&self, user_id: &str) -> StoreResult<Vec<Session>> {
        let t = self.lock()?;
        Ok(t.sessions.values().filter(|s| s.user_id == user_id && !s.revoked).cloned().collect())
    }

    async fn put_code(&self, challenge: &CodeChallenge, cooldown_secs: i64, now: Epoch) -> StoreResult<()> {
        let mut t = self.lock()?;
        let key = (challenge.user_id.clone(), challenge.purpose.clone());
        if t.codes.get(&key).is_some_and(|c| c.created_at > now - cooldown_secs) {
            return Err(StoreError::Conflict);
        }
        t.codes.insert(key, challenge.clone());
        Ok(())
    }

    async fn spend_code_try(
        &self,
        user_id: &str,
        purpose: &str,
        now: Epoch,
        max_attempts: u32,
    ) -> StoreResult<Option<CodeChallenge>> {
        let mut t = self.lock()?;
        match t.codes.get_mut(&(user_id.to_owned(), purpose.to_owned())) {
            Some(c) if codes::spendable(c, now, max_attempts) => {
                c.attempts += 1;
                Ok(Some(c.clone()))
            }
            _ => Ok(None),
        }
    }

    async fn consume_code(&self, user_id: &str, purpose: &str, code_hash: &str) -> StoreResult<bool> {
        let mut t = self.lock()?;
        let key = (user_id.to_owned(), purpose.to_owned());
        if t.codes.get(&key).is_some_and(|c| constant_time_eq(c.code_hash.as_bytes(), code_hash.as_bytes())) {
            t.codes.remove(&key);
            return Ok(true);
        }
        Ok(false)
    }

    async fn get_code(&self, user_id: &str, purpose: &str) -> StoreResult<Option<CodeChallenge>> {
        Ok(self.lock()?.codes.get(&(user_id.to_owned(), purpose.to_owned())).cloned())
    }

    async fn delete_code(&self, user_id: &str, purpose: &str) -> StoreResult<()> {
        self.lock()?.codes.remove(&(user_id.to_owned(), purpose.to_owned()));
        Ok(())
    }

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
    ) -> StoreResult<()> {
        let mut t = self.lock()?;
        let pending = t.push.get(&challenge.id).is_some_and(|c| c.status_at(now) == PushStatus::Pending);
        let session_alive =
            t.sessions.get(&challenge.session_id).is_some_and(|s| !s.revoked && now < s.absolute_expires_at);
        if !pending || (status == PushStatus::Approved && !session_alive) {
            return Err(StoreError::Conflict);
        }
        if status == PushStatus::Approved
            && let Some(s) = t.sessions.get_mut(&challenge.session_id)
        {
            s.status = SessionStatus::SteppedUp;
        }
        if let Some(c) = t.push.get_mut(&challenge.id) {
            c.status = status;
        }
        t.push_in_flight.remove(&challenge.session_id);
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

    async fn hit_rate_counter(&self, key: &str, window_end: Epoch) -> StoreResult<u64> {
        let mut t = self.lock()?;
        // Forget finished windows now and then, as the TTL does in DynamoDB.
        if t.rates.len() > 10_000 {
            t.rates.retain(|(_, end), _| *end >= window_end);
        }
        let count = t.rates.entry((key.to_owned(), window_end)).or_insert(0);
        *count += 1;
        Ok(*count)
    }

    async fn get_rate_counter(&self, key: &str, window_end: Epoch) -> StoreResult<u64> {
        Ok(self.lock()?.rates.get(&(key.to_owned(), window_end)).copied().unwrap_or(0))
    }

    async fn release_rate_counter(&self, key: &str, window_end: Epoch) -> StoreResult<()> {
        if let Some(count) = self.lock()?.rates.get_mut(&(key.to_owned(), window_end)) {
            *count = count.saturating_sub(1);
        }
        Ok(())
    }

    async fn open_refresh(&self, token: &RefreshToken, user: &User) -> StoreResult<User> {
        let mut t = self.lock()?;
        let saved = cas_user(&mut t, user)?;
        t.refresh.insert((token.user_id.clone(), token.token_hash.clone()), token.clone());
        t.lockouts.remove(&user.email);
        Ok(saved)
    }

    async fn get_refresh(&self, user_id: &str, token_hash: &str) -> StoreResult<Option<RefreshToken>> {
        Ok(self.lock()?.refresh.get(&(user_id.to_owned(), token_hash.to_owned())).cloned())
    }

    async fn revoke_refresh(&self, user_id: &str, token_hash: &str) -> StoreResult<()> {
        if let Some(r) = self.lock()?.refresh.get_mut(&(user_id.to_owned(), token_hash.to_owned())) {
            r.revoked = true;
        }
        Ok(())
    }
}
