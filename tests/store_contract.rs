//! One contract for the `Store` port, run against `MemoryStore` and against `DynamoStore` on
//! DynamoDB Local: both adapters must agree on every condition, atomic step and expiry.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::sync::Arc;

use integration_tests::{Backend, fresh_store, on_both_stores, t0};
use shared::model::{Grant, IdentityId, IdentityType, Session, SessionStatus, User};
use shared::store::StoreError;
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
    let saved = store.update_user(&changed).await.unwrap();
    assert_eq!(saved.version, 2);
    assert_eq!(store.get_user("ada@example.com").await.unwrap().unwrap(), saved);
    // A writer that read version 1 loses.
    assert!(matches!(store.update_user(&changed).await, Err(StoreError::Conflict)));
}

async fn failed_logins_count_lock_and_expire(b: Backend) {
    let store = fresh_store(b).await;
    let email = "ada@example.com";
    store.create_user(&user(email, "1")).await.unwrap();
    for i in 1..=2 {
        let l = store.record_login_failure(email, t0(), 3, 1800).await.unwrap();
        assert_eq!(l.failures, i);
        assert!(!l.is_locked(t0()));
    }
    let l = store.record_login_failure(email, t0() + 10, 3, 1800).await.unwrap();
    assert_eq!(l.failures, 3);
    assert_eq!(l.locked_until, t0() + 10 + 1800);
    let (found, lockout) = store.load_login(email, t0() + 11).await.unwrap();
    assert!(found.is_some());
    assert!(lockout.is_locked(t0() + 11));
    // After the lock the counter is forgotten, even where the TTL has not deleted it yet.
    let (_, lockout) = store.load_login(email, t0() + 10 + 1800).await.unwrap();
    assert_eq!(lockout.failures, 0);
    let l = store.record_login_failure(email, t0() + 10 + 1800, 3, 1800).await.unwrap();
    assert_eq!(l.failures, 1);
    // Unknown accounts are counted the same way.
    let l = store.record_login_failure("nobody@example.com", t0(), 3, 1800).await.unwrap();
    assert_eq!(l.failures, 1);
}

async fn concurrent_failures_are_never_lost(b: Backend) {
    let store = fresh_store(b).await;
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let store = Arc::clone(&store);
            tokio::spawn(async move { store.record_login_failure("ada@example.com", t0(), 5, 1800).await.unwrap() })
        })
        .collect();
    let results = futures::future::join_all(tasks).await;
    let mut counts: Vec<u32> = results.into_iter().map(|r| r.unwrap().failures).collect();
    counts.sort_unstable();
    assert_eq!(counts, (1..=20).collect::<Vec<_>>(), "each failure saw its own count");
    let (_, lockout) = store.load_login("ada@example.com", t0()).await.unwrap();
    assert_eq!(lockout.failures, 20);
    assert!(lockout.is_locked(t0()));
}

async fn opening_a_session_is_one_atomic_write(b: Backend) {
    let store = fresh_store(b).await;
    let u = user("ada@example.com", "1");
    store.create_user(&u).await.unwrap();
    store.record_login_failure(&u.email, t0(), 5, 1800).await.unwrap();
    let s = session(&u, "a", t0());
    let mut logged_in = u.clone();
    logged_in.last_login_at = Some(t0());
    let saved = store.open_session(&s, &logged_in).await.unwrap();
    assert_eq!(saved.version, 2);
    assert_eq!(saved.last_login_at, Some(t0()));
    let (_, lockout) = store.load_login(&u.email, t0()).await.unwrap();
    assert_eq!(lockout.failures, 0, "a login clears the failure count");
    assert_eq!(store.touch_session(&s.session_id, None, t0(), t0() + 300).await.unwrap().unwrap().user_id, "1");

    // With a stale account version nothing is written: no session, no cleared counter.
    store.record_login_failure(&u.email, t0(), 5, 1800).await.unwrap();
    let stale = session(&u, "b", t0());
    assert!(matches!(store.open_session(&stale, &logged_in).await, Err(StoreError::Conflict)));
    assert!(store.touch_session(&stale.session_id, None, t0(), t0() + 300).await.unwrap().is_none());
    let (_, lockout) = store.load_login(&u.email, t0()).await.unwrap();
    assert_eq!(lockout.failures, 1);
}

async fn sessions_slide_expire_and_revoke(b: Backend) {
    let store = fresh_store(b).await;
    let u = user("ada@example.com", "1");
    store.create_user(&u).await.unwrap();
    let s = session(&u, "a", t0());
    store.open_session(&s, &u).await.unwrap();
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
    u2 = store.open_session(&s2, &u2).await.unwrap();
    assert!(store.touch_session(&s2.session_id, None, t0() + 3600, t0() + 3900).await.unwrap().is_none());
    // Revocation.
    let s3 = session(&u, "c", t0());
    store.open_session(&s3, &u2).await.unwrap();
    store.revoke_session(&s3.session_id).await.unwrap();
    store.revoke_session(&s3.session_id).await.unwrap();
    assert!(store.touch_session(&s3.session_id, None, t0(), t0() + 300).await.unwrap().is_none());
    assert!(store.touch_session("9.missing", None, t0(), t0() + 300).await.unwrap().is_none());
}

async fn grants_live_on_their_own_and_die_with_the_session(b: Backend) {
    let store = fresh_store(b).await;
    let u = user("ada@example.com", "1");
    store.create_user(&u).await.unwrap();
    let s = session(&u, "a", t0());
    store.open_session(&s, &u).await.unwrap();
    let grant =
        Grant { identity: IdentityId { kind: IdentityType::Corporate, id: "9".into() }, idle_expires_at: t0() + 100 };
    store.add_grant(&s.session_id, "g1", &grant, &[], t0()).await.unwrap();
    let seen = store.touch_session(&s.session_id, Some("g1"), t0() + 50, t0() + 150).await.unwrap().unwrap();
    assert_eq!(seen.grants["g1"].idle_expires_at, t0() + 150);
    assert_eq!(seen.grants["g1"].identity.id, "9");
    assert!(store.touch_session(&s.session_id, Some("g2"), t0() + 50, t0() + 150).await.unwrap().is_none());
    assert!(store.touch_session(&s.session_id, Some("g1"), t0() + 150, t0() + 250).await.unwrap().is_none());

    store.set_session_status(&s.session_id, SessionStatus::SteppedUp, t0()).await.unwrap();
    let seen = store.touch_session(&s.session_id, None, t0() + 1, t0() + 300).await.unwrap().unwrap();
    assert_eq!(seen.status, SessionStatus::SteppedUp);

    // Adding a grant can drop others in the same write.
    store.add_grant(&s.session_id, "g3", &grant, &["g1".to_owned()], t0()).await.unwrap();
    let seen = store.touch_session(&s.session_id, Some("g3"), t0() + 1, t0() + 100).await.unwrap().unwrap();
    assert!(!seen.grants.contains_key("g1"));
    store.revoke_session(&s.session_id).await.unwrap();
    assert!(store.touch_session(&s.session_id, Some("g3"), t0() + 1, t0() + 100).await.unwrap().is_none());
    assert!(matches!(store.add_grant(&s.session_id, "g4", &grant, &[], t0()).await, Err(StoreError::Conflict)));
}

async fn revoking_a_users_sessions_spares_the_one_named(b: Backend) {
    let store = fresh_store(b).await;
    let mut u = user("ada@example.com", "1");
    store.create_user(&u).await.unwrap();
    let other = user("bob@example.com", "2");
    store.create_user(&other).await.unwrap();
    for s in ["a", "b", "c"] {
        u = store.open_session(&session(&u, s, t0()), &u).await.unwrap();
    }
    store.open_session(&session(&other, "z", t0()), &other).await.unwrap();
    assert_eq!(store.revoke_user_sessions("1", Some("1.b")).await.unwrap(), 2);
    assert!(store.touch_session("1.a", None, t0(), t0() + 300).await.unwrap().is_none());
    assert!(store.touch_session("1.b", None, t0(), t0() + 300).await.unwrap().is_some());
    assert!(store.touch_session("1.c", None, t0(), t0() + 300).await.unwrap().is_none());
    assert!(store.touch_session("2.z", None, t0(), t0() + 300).await.unwrap().is_some(), "other users untouched");
    assert_eq!(store.revoke_user_sessions("1", Some("1.b")).await.unwrap(), 0);
}

on_both_stores!(
    users_are_unique_by_email_and_written_by_version,
    failed_logins_count_lock_and_expire,
    concurrent_failures_are_never_lost,
    opening_a_session_is_one_atomic_write,
    sessions_slide_expire_and_revoke,
    grants_live_on_their_own_and_die_with_the_session,
    revoking_a_users_sessions_spares_the_one_named,
);
