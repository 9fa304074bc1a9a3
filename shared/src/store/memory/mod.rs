//! The embedded store: everything in process memory behind one mutex, with the same atomicity
//! and the same conditions as the DynamoDB adapter. The default for `local-api` and for tests.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;

use super::prelude::*;
use super::{FailedLogins, StoreError, StoreResult, StoredLockout};
use crate::clock::Epoch;
use crate::crypto::constant_time_eq;
use crate::domain::codes as code_rules;
use crate::domain::events::SecurityEvent;
use crate::model::{
    Ceremony, CeremonyKind, CodeChallenge, Grant, Lockout, PushChallenge, PushStatus, RefreshFamily, Session,
    SessionStatus, User,
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
    /// family id → refresh family.
    refresh: HashMap<String, RefreshFamily>,
    /// (key, window end) → hits.
    rates: HashMap<(String, Epoch), u64>,
    /// key → time of the last claim.
    cooldowns: HashMap<String, Epoch>,
    /// ceremony id → a WebAuthn ceremony's first half.
    ceremonies: HashMap<String, Ceremony>,
    /// WebAuthn user handle or credential id (`HANDLE#…`, `CREDENTIAL#…`) → account e-mail.
    passkey_names: HashMap<String, String>,
    /// (user id, trail key) → event: the accounts' trails.
    events: std::collections::BTreeMap<(String, String), SecurityEvent>,
    /// address an account moved away from → its reservation and revert.
    moved: HashMap<String, crate::model::MovedAddress>,
    /// (user id, device key) → a device the account signed in from.
    devices: std::collections::BTreeMap<(String, String), crate::model::KnownDevice>,
    /// client id → an OpenID Connect client.
    clients: std::collections::BTreeMap<String, crate::model::oidc::OidcClient>,
}

impl Tables {
    /// Adds events to their accounts' trails: called by a write once its change is made, under
    /// the same lock, so both happen or neither; they count in the metrics as committed.
    fn put_events(&mut self, events: Events<'_>) {
        for e in events {
            self.events.insert((e.user_id.clone(), e.trail_key()), e.clone());
        }
        crate::metrics::committed(events);
    }
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
        Some(current) if current.version == user.version && !current.deleted => {
            let mut next = user.clone();
            next.version += 1;
            t.users.insert(user.email.clone(), next.clone());
            Ok(next)
        }
        _ => Err(StoreError::Conflict),
    }
}

/// A login's change to the account: its last login, only while the password it verified is
/// still the account's (same credentials version) and it is not blocked. It bumps no version:
/// logins never make another write of the account retry, nor wait for one.
fn login_user(t: &mut Tables, user: &User) -> StoreResult<User> {
    match t.users.get_mut(&user.email) {
        Some(current)
            if current.credentials_version == user.credentials_version && !current.blocked && !current.deleted =>
        {
            current.last_login_at = user.last_login_at;
            current.last_login_device.clone_from(&user.last_login_device);
            // The verified password's hash, upgraded when it was imported (as in DynamoDB).
            if crate::password::is_native(&user.password_hash) {
                current.password_hash.clone_from(&user.password_hash);
            }
            Ok(current.clone())
        }
        _ => Err(StoreError::Conflict),
    }
}

mod accounts;
mod ceremonies;
mod clients;
mod codes;
mod erasure;
mod events;
mod lockouts;
mod moves;
mod push;
mod rates;
mod refresh;
mod scan;
mod sessions;
