//! The embedded store: everything in process memory behind one mutex, with the same atomicity
//! and the same conditions as the DynamoDB adapter. The default for `local-api` and for tests.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;

use super::{Store, StoreError, StoreResult};
use crate::clock::Epoch;
use crate::model::{Grant, Lockout, Session, SessionStatus, User};

#[derive(Default)]
struct Tables {
    users: HashMap<String, User>,
    lockouts: HashMap<String, Lockout>,
    sessions: HashMap<String, Session>,
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

    async fn load_login(&self, email: &str, now: Epoch) -> StoreResult<(Option<User>, Lockout)> {
        let t = self.lock()?;
        let lockout = t.lockouts.get(email).copied().unwrap_or_default().current(now);
        Ok((t.users.get(email).cloned(), lockout))
    }

    async fn record_login_failure(
        &self,
        email: &str,
        now: Epoch,
        threshold: u32,
        lockout_secs: i64,
    ) -> StoreResult<Lockout> {
        let mut t = self.lock()?;
        let mut l = t.lockouts.get(email).copied().unwrap_or_default().current(now);
        l.failures += 1;
        l.expires_at = l.expires_at.max(now + lockout_secs);
        if l.failures == threshold {
            l.locked_until = now + lockout_secs;
            l.expires_at = l.expires_at.max(l.locked_until);
        }
        t.lockouts.insert(email.to_owned(), l);
        Ok(l)
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

    async fn add_grant(&self, session_id: &str, grant_id: &str, grant: &Grant, now: Epoch) -> StoreResult<()> {
        let mut t = self.lock()?;
        match t.sessions.get_mut(session_id) {
            Some(s) if !s.revoked && now < s.absolute_expires_at => {
                s.grants.insert(grant_id.to_owned(), grant.clone());
                Ok(())
            }
            _ => Err(StoreError::Conflict),
        }
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

    async fn revoke_session(&self, session_id: &str) -> StoreResult<()> {
        if let Some(s) = self.lock()?.sessions.get_mut(session_id) {
            s.revoked = true;
        }
        Ok(())
    }

    async fn revoke_user_sessions(&self, user_id: &str, except: Option<&str>) -> StoreResult<usize> {
        let mut t = self.lock()?;
        let mut count = 0;
        for s in t.sessions.values_mut() {
            if s.user_id == user_id && !s.revoked && Some(s.session_id.as_str()) != except {
                s.revoked = true;
                count += 1;
            }
        }
        Ok(count)
    }
}
