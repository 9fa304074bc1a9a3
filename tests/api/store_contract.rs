//! One contract for the `Store` port, run against `MemoryStore` and against `DynamoStore` on
//! DynamoDB Local: both adapters must agree on every condition, atomic step and expiry.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::sync::Arc;

use integration_tests::{Backend, fresh_store, on_both_stores, t0};
use shared::domain::lockout::{Lockout, LockoutPolicy};
use shared::model::{CodeChallenge, Grant, IdentityId, IdentityType, Session, SessionStatus, User};
use shared::store::{FailedLogins, Store, StoreError, StoredLockout};
use shared::token::TokenType;

fn user(email: &str, id: &str) -> User {
    integration_tests::account(email, id, t0())
}

fn session(u: &User, suffix: &str, now: i64) -> Session {
    Session {
        session_id: format!("{}.{suffix}", u.user_id),
        user_id: u.user_id.clone(),
        email: u.email.clone(),
        kind: TokenType::Auth,
        identity: u.identities[0].id.clone(),
        status: SessionStatus::Standard,
        created_at: now,
        idle_expires_at: now + 300,
        absolute_expires_at: now + 3600,
        revoked: false,
        grants: BTreeMap::new(),
        last_used_at: None,
        user_agent: String::new(),
        source_ip: String::new(),
        anchored: false,
        mailbox: false,
    }
}

async fn users_are_unique_by_email_and_written_by_version(b: Backend) {
    let store = fresh_store(b).await;
    let u = user("ada@example.com", "1");
    store.create_user(&u).await.unwrap();
    assert!(matches!(store.create_user(&user("ada@example.com", "2")).await, Err(StoreError::Conflict)));
    assert_eq!(store.get_user("ada@example.com").await.unwrap().unwrap(), u);
    assert!(store.get_user("bob@example.com").await.unwrap().is_none());

    let mut changed = u.clone();
    changed.name = "Ada L.".into();
    let saved = store.update_user(&changed, &[]).await.unwrap();
    assert_eq!(saved.version, 2);
    assert_eq!(store.get_user("ada@example.com").await.unwrap().unwrap(), saved);
    // A writer that read version 1 loses.
    assert!(matches!(store.update_user(&changed, &[]).await, Err(StoreError::Conflict)));
}

const POLICY: LockoutPolicy = LockoutPolicy { threshold: 3, duration_secs: 1800 };

/// The use case's loop, written out: read, let the state machine decide, write conditionally.
/// One whole failed attempt as the state machine decides it: reserved, then failed.
fn failure(policy: LockoutPolicy, state: Lockout, now: i64) -> Result<Lockout, shared::domain::lockout::Locked> {
    policy.reserve(state, now).map(|r| policy.failed(r, now))
}

/// A failed attempt stored with the conditional write, retried on a lost race.
async fn reserve(store: &dyn Store, email: &str, policy: LockoutPolicy, now: i64) -> Result<Lockout, i64> {
    loop {
        let stored = store.load_lockout(email).await.unwrap();
        let next = failure(policy, stored.state, now).map_err(|l| l.until)?;
        match store.save_lockout(email, stored.version, &next).await {
            Ok(()) => return Ok(next),
            Err(StoreError::Conflict) => continue,
            Err(e) => panic!("{e}"),
        }
    }
}

async fn lockout_writes_are_conditional_on_the_version_read(b: Backend) {
    let store = fresh_store(b).await;
    let email = "ada@example.com";
    store.create_user(&user(email, "1")).await.unwrap();
    assert_eq!(store.load_lockout(email).await.unwrap(), StoredLockout::default());
    let one = failure(POLICY, Lockout::default(), t0()).unwrap();
    store.save_lockout(email, None, &one).await.unwrap();
    assert!(matches!(store.save_lockout(email, None, &one).await, Err(StoreError::Conflict)), "it exists now");
    let (found, stored) = store.load_login(email, t0()).await.unwrap();
    assert!(found.is_some());
    assert_eq!(stored.state, one);
    let v = stored.version;
    let two = failure(POLICY, one, t0()).unwrap();
    store.save_lockout(email, v, &two).await.unwrap();
    assert!(matches!(store.save_lockout(email, v, &two).await, Err(StoreError::Conflict)), "a stale version loses");
    assert_eq!(store.load_lockout(email).await.unwrap().state.failures, 2);
    store.clear_lockout(email).await.unwrap();
    assert_eq!(store.load_lockout(email).await.unwrap(), StoredLockout::default());
}

async fn failed_attempts_count_lock_and_lock_again(b: Backend) {
    let store = fresh_store(b).await;
    let email = "ada@example.com";
    store.create_user(&user(email, "1")).await.unwrap();
    for i in 1..=2 {
        let l = reserve(&*store, email, POLICY, t0()).await.unwrap();
        assert_eq!(l.failures, i);
        assert!(!l.is_locked(t0()));
    }
    let l = reserve(&*store, email, POLICY, t0() + 10).await.unwrap();
    assert_eq!(l.locked_until, t0() + 10 + 1800);
    assert_eq!(reserve(&*store, email, POLICY, t0() + 11).await, Err(t0() + 1810), "refused while locked");
    // After the lock, threshold more failures lock again, even before any TTL deletion.
    for round in 1..=3 {
        let start = t0() + 1810 * round;
        for i in 1..=3 {
            let l = reserve(&*store, email, POLICY, start + i).await.unwrap();
            assert_eq!((l.failures, l.is_locked(start + i)), (u32::try_from(i).unwrap(), i == 3), "round {round}");
        }
    }
    // Unknown accounts are counted the same way.
    assert_eq!(reserve(&*store, "nobody@example.com", POLICY, t0()).await.unwrap().failures, 1);
}

async fn concurrent_reservations_are_never_lost_and_stop_at_the_threshold(b: Backend) {
    let store = fresh_store(b).await;
    let high = LockoutPolicy { threshold: 100, duration_secs: 1800 };
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let store = Arc::clone(&store);
            tokio::spawn(async move { reserve(&*store, "ada@example.com", high, t0()).await.unwrap() })
        })
        .collect();
    let mut counts: Vec<u32> =
        futures::future::join_all(tasks).await.into_iter().map(|r| r.unwrap().failures).collect();
    counts.sort_unstable();
    assert_eq!(counts, (1..=20).collect::<Vec<_>>(), "each reservation saw its own count");
    // With the real threshold, a burst of 20 is granted exactly 5.
    let low = LockoutPolicy { threshold: 5, duration_secs: 1800 };
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let store = Arc::clone(&store);
            tokio::spawn(async move { reserve(&*store, "bob@example.com", low, t0()).await.is_ok() })
        })
        .collect();
    let granted = futures::future::join_all(tasks).await.into_iter().filter(|r| *r.as_ref().unwrap()).count();
    assert_eq!(granted, 5);
    assert!(store.load_lockout("bob@example.com").await.unwrap().state.is_locked(t0()));
}

async fn code_tries_are_spent_atomically_and_consumed_once(b: Backend) {
    let store = fresh_store(b).await;
    let challenge = CodeChallenge {
        user_id: "1".into(),
        purpose: "STEPUP#x".into(),
        code_hash: "right".into(),
        created_at: t0(),
        expires_at: t0() + 300,
        attempts: 0,
        key_id: Some("k1".into()),
        locator: None,
    };
    store.put_code(&challenge, 15, t0()).await.unwrap();
    let tasks: Vec<_> = (0..40)
        .map(|_| {
            let store = Arc::clone(&store);
            tokio::spawn(async move { store.spend_code_try("1", "STEPUP#x", t0(), 5).await.unwrap() })
        })
        .collect();
    let mut spent: Vec<u32> =
        futures::future::join_all(tasks).await.into_iter().filter_map(|r| r.unwrap()).map(|c| c.attempts).collect();
    spent.sort_unstable();
    assert_eq!(spent, [1, 2, 3, 4, 5], "40 at once were handed exactly five tries, each its own");
    assert!(store.spend_code_try("1", "STEPUP#x", t0(), 5).await.unwrap().is_none());
    assert!(!store.consume_code("1", "STEPUP#x", "wrong").await.unwrap());
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let store = Arc::clone(&store);
            tokio::spawn(async move { store.consume_code("1", "STEPUP#x", "right").await.unwrap() })
        })
        .collect();
    let consumed = futures::future::join_all(tasks).await.into_iter().filter(|r| *r.as_ref().unwrap()).count();
    assert_eq!(consumed, 1);
    assert!(store.get_code("1", "STEPUP#x").await.unwrap().is_none());
    // An expired challenge hands out no try, and says so.
    let late = CodeChallenge { purpose: "P".into(), expires_at: t0() + 10, ..challenge };
    store.put_code(&late, 15, t0()).await.unwrap();
    assert!(store.spend_code_try("1", "P", t0() + 10, 5).await.unwrap().is_none());
    assert_eq!(store.get_code("1", "P").await.unwrap().unwrap().attempts, 0);
}

async fn opening_a_session_is_one_atomic_write(b: Backend) {
    let store = fresh_store(b).await;
    let u = user("ada@example.com", "1");
    store.create_user(&u).await.unwrap();
    store.save_lockout(&u.email, None, &failure(POLICY, Lockout::default(), t0()).unwrap()).await.unwrap();
    let s = session(&u, "a", t0());
    let mut logged_in = u.clone();
    logged_in.last_login_at = Some(t0());
    let saved = store.open_session(&s, &logged_in, FailedLogins::Clear, &[]).await.unwrap();
    assert_eq!(saved.version, 1, "a login bumps no version: it never makes another write retry");
    assert_eq!(store.get_user(&u.email).await.unwrap().unwrap().last_login_at, Some(t0()));
    assert_eq!(saved.last_login_at, Some(t0()));
    let (_, lockout) = store.load_login(&u.email, t0()).await.unwrap();
    assert_eq!(lockout, StoredLockout::default(), "a login clears the failure count");
    assert_eq!(store.touch_session(&s.session_id, None, t0(), t0() + 300).await.unwrap().unwrap().user_id, "1");

    // With a stale credentials version (the password changed since it was verified) nothing is
    // written: no session, no cleared counter.
    let mut changed = saved.clone();
    changed.credentials_version += 1;
    store.update_user(&changed, &[]).await.unwrap();
    store.save_lockout(&u.email, None, &failure(POLICY, Lockout::default(), t0()).unwrap()).await.unwrap();
    let stale = session(&u, "b", t0());
    assert!(matches!(
        store.open_session(&stale, &logged_in, FailedLogins::Clear, &[]).await,
        Err(StoreError::Conflict)
    ));
    assert!(store.touch_session(&stale.session_id, None, t0(), t0() + 300).await.unwrap().is_none());
    let (_, lockout) = store.load_login(&u.email, t0()).await.unwrap();
    assert_eq!(lockout.state.failures, 1);

    // A login by push keeps the counter (a lock written since its approval must stand).
    let pushed = session(&u, "c", t0());
    let current = store.get_user(&u.email).await.unwrap().unwrap();
    store.open_session(&pushed, &current, FailedLogins::Keep, &[]).await.unwrap();
    assert!(store.touch_session(&pushed.session_id, None, t0(), t0() + 300).await.unwrap().is_some());
    let (_, lockout) = store.load_login(&u.email, t0()).await.unwrap();
    assert_eq!(lockout.state.failures, 1, "kept");
}

async fn sessions_slide_expire_and_revoke(b: Backend) {
    let store = fresh_store(b).await;
    let u = user("ada@example.com", "1");
    store.create_user(&u).await.unwrap();
    let s = session(&u, "a", t0());
    store.open_session(&s, &u, FailedLogins::Clear, &[]).await.unwrap();
    let id = &s.session_id;
    // Alive until the idle expiry, and each touch pushes it.
    let touched = store.touch_session(id, None, t0() + 299, t0() + 599).await.unwrap().unwrap();
    assert_eq!(touched.idle_expires_at, t0() + 599);
    assert!(store.touch_session(id, None, t0() + 598, t0() + 898).await.unwrap().is_some());
    assert!(
        store.touch_session(id, None, t0() + 898, t0() + 1198).await.unwrap().is_none(),
        "idle expiry is exclusive"
    );
    // The absolute end holds whatever the idle expiry says.
    let s2 = session(&u, "b", t0());
    let mut u2 = store.get_user(&u.email).await.unwrap().unwrap();
    u2 = store.open_session(&s2, &u2, FailedLogins::Clear, &[]).await.unwrap();
    assert!(store.touch_session(&s2.session_id, None, t0() + 3600, t0() + 3900).await.unwrap().is_none());
    // Revocation.
    let s3 = session(&u, "c", t0());
    store.open_session(&s3, &u2, FailedLogins::Clear, &[]).await.unwrap();
    store.revoke_session(&s3.session_id, &[]).await.unwrap();
    store.revoke_session(&s3.session_id, &[]).await.unwrap();
    assert!(store.touch_session(&s3.session_id, None, t0(), t0() + 300).await.unwrap().is_none());
    assert!(store.touch_session("9.missing", None, t0(), t0() + 300).await.unwrap().is_none());
}

async fn grants_live_on_their_own_and_die_with_the_session(b: Backend) {
    let store = fresh_store(b).await;
    let u = user("ada@example.com", "1");
    store.create_user(&u).await.unwrap();
    let s = session(&u, "a", t0());
    store.open_session(&s, &u, FailedLogins::Clear, &[]).await.unwrap();
    let grant =
        Grant { identity: IdentityId { kind: IdentityType::Corporate, id: "9".into() }, idle_expires_at: t0() + 100 };
    store.add_grant(&s.session_id, "g1", &grant, &[], t0()).await.unwrap();
    let seen = store.touch_session(&s.session_id, Some("g1"), t0() + 50, t0() + 150).await.unwrap().unwrap();
    assert_eq!(seen.grants["g1"].idle_expires_at, t0() + 150);
    assert_eq!(seen.grants["g1"].identity.id, "9");
    assert!(store.touch_session(&s.session_id, Some("g2"), t0() + 50, t0() + 150).await.unwrap().is_none());
    assert!(store.touch_session(&s.session_id, Some("g1"), t0() + 150, t0() + 250).await.unwrap().is_none());

    store.set_session_status(&s.session_id, SessionStatus::SteppedUp, false, t0(), &[]).await.unwrap();
    let seen = store.touch_session(&s.session_id, None, t0() + 1, t0() + 300).await.unwrap().unwrap();
    assert_eq!(seen.status, SessionStatus::SteppedUp);

    // Adding a grant can drop others in the same write.
    store.add_grant(&s.session_id, "g3", &grant, &["g1".to_owned()], t0()).await.unwrap();
    let seen = store.touch_session(&s.session_id, Some("g3"), t0() + 1, t0() + 100).await.unwrap().unwrap();
    assert!(!seen.grants.contains_key("g1"));
    store.revoke_session(&s.session_id, &[]).await.unwrap();
    assert!(store.touch_session(&s.session_id, Some("g3"), t0() + 1, t0() + 100).await.unwrap().is_none());
    assert!(matches!(store.add_grant(&s.session_id, "g4", &grant, &[], t0()).await, Err(StoreError::Conflict)));
}

async fn a_users_live_sessions_are_listed_and_no_one_elses(b: Backend) {
    let store = fresh_store(b).await;
    let mut u = user("ada@example.com", "1");
    store.create_user(&u).await.unwrap();
    let other = user("bob@example.com", "2");
    store.create_user(&other).await.unwrap();
    for s in ["a", "b", "c"] {
        u = store.open_session(&session(&u, s, t0()), &u, FailedLogins::Clear, &[]).await.unwrap();
    }
    store.open_session(&session(&other, "z", t0()), &other, FailedLogins::Clear, &[]).await.unwrap();
    store.revoke_session("1.a", &[]).await.unwrap();
    let mut ids: Vec<String> = store.list_sessions("1").await.unwrap().into_iter().map(|s| s.session_id).collect();
    ids.sort();
    assert_eq!(ids, ["1.b", "1.c"]);
    // Logout ends a session within its absolute lifetime even after it idled out.
    assert!(store.end_session("1.b", t0() + 1000, &[]).await.unwrap());
    assert!(!store.end_session("1.b", t0() + 1000, &[]).await.unwrap(), "once");
    assert!(!store.end_session("1.c", t0() + 3600, &[]).await.unwrap(), "not past the absolute end");
    assert_eq!(store.list_sessions("2").await.unwrap().len(), 1, "other users untouched");
}

async fn cooldown_claims_are_exact_and_released_only_by_their_holder(b: Backend) {
    let store = fresh_store(b).await;
    let now = t0();
    assert!(store.claim_cooldown("sms:1", now, 15).await.unwrap());
    assert!(!store.claim_cooldown("sms:1", now + 14, 15).await.unwrap(), "still cooling down");
    assert!(store.claim_cooldown("sms:1", now + 15, 15).await.unwrap(), "exactly 15 s later");
    // A late give-back of the first claim leaves the second alone.
    store.release_cooldown("sms:1", now).await.unwrap();
    assert!(!store.claim_cooldown("sms:1", now + 16, 15).await.unwrap());
    store.release_cooldown("sms:1", now + 15).await.unwrap();
    assert!(store.claim_cooldown("sms:1", now + 16, 15).await.unwrap(), "its holder gave it back");
}

on_both_stores!(
    users_are_unique_by_email_and_written_by_version,
    lockout_writes_are_conditional_on_the_version_read,
    failed_attempts_count_lock_and_lock_again,
    concurrent_reservations_are_never_lost_and_stop_at_the_threshold,
    code_tries_are_spent_atomically_and_consumed_once,
    opening_a_session_is_one_atomic_write,
    sessions_slide_expire_and_revoke,
    grants_live_on_their_own_and_die_with_the_session,
    a_users_live_sessions_are_listed_and_no_one_elses,
    cooldown_claims_are_exact_and_released_only_by_their_holder,
);

/// The memory store forgets finished windows now and then, as DynamoDB's TTL does; a long
/// window's hit must not wipe the live short ones (the second attack review found it did).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_memory_store_keeps_live_counters_when_it_prunes() {
    use shared::store::prelude::*;
    let store = shared::store::MemoryStore::new();
    let now = t0();
    for i in 0..10_001 {
        store.hit_rate_counter(&format!("old{i}"), now - 3 * 86_400).await.unwrap();
    }
    let minute_end = (now / 60 + 1) * 60;
    store.hit_rate_counter("live-minute", minute_end).await.unwrap();
    let day_end = (now / 86_400 + 1) * 86_400;
    store.hit_rate_counter("a-day-budget", day_end).await.unwrap();
    assert_eq!(store.get_rate_counter("live-minute", minute_end).await.unwrap(), 1, "kept");
    assert_eq!(store.get_rate_counter("old0", now - 3 * 86_400).await.unwrap(), 0, "pruned");
}
