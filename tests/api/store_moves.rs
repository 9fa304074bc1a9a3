//! The contract of issue 25's ports on both stores: an account moved between addresses (and
//! back) under its conditions, the old address reserved, and the known devices.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use integration_tests::{Backend, account, fresh_store, on_both_stores, t0};
use shared::model::{KnownDevice, MovedAddress};
use shared::store::{AccountMove, StoreError};

fn moved(from: &str, to: &str, user_id: &str, hash: &str, at: i64) -> MovedAddress {
    MovedAddress {
        from: from.into(),
        to: to.into(),
        user_id: user_id.into(),
        nonce_hash: hash.into(),
        moved_at: at,
        expires_at: at + shared::model::REVERT_SECS,
        anchored: vec![],
        left_with: None,
    }
}

fn relocated(user: &shared::model::User, to: &str) -> shared::model::User {
    let mut next = user.clone();
    next.email = to.into();
    next
}

async fn an_account_moves_once_and_back_once(b: Backend) {
    let store = fresh_store(b).await;
    let at = t0();
    let ada = account("ada@example.com", "101", at);
    store.create_user(&ada).await.unwrap();
    let bob = account("bob@example.com", "102", at);
    store.create_user(&bob).await.unwrap();
    // A stale version, or an address another account has, refuses the move.
    let mut stale = ada.clone();
    stale.version += 7;
    let to_new = relocated(&stale, "ada.new@example.com");
    let mv =
        AccountMove { before: &stale, after: &to_new, passkey_names: &[], caller_session: None, caller_family: None };
    let m = moved("ada@example.com", "ada.new@example.com", "101", "h", at);
    assert!(matches!(store.move_account(mv, &m, &[]).await, Err(StoreError::Conflict)));
    let onto_bob = relocated(&ada, "bob@example.com");
    let mv =
        AccountMove { before: &ada, after: &onto_bob, passkey_names: &[], caller_session: None, caller_family: None };
    let m = moved("ada@example.com", "bob@example.com", "101", "h", at);
    assert!(matches!(store.move_account(mv, &m, &[]).await, Err(StoreError::Conflict)));
    // The move: the account is at its new key only, a version on; the old one reserved.
    let to_new = relocated(&ada, "ada.new@example.com");
    let mv =
        AccountMove { before: &ada, after: &to_new, passkey_names: &[], caller_session: None, caller_family: None };
    let m = moved("ada@example.com", "ada.new@example.com", "101", "h", at);
    let saved = store.move_account(mv, &m, &[]).await.unwrap();
    assert_eq!(saved.version, ada.version + 1);
    assert!(store.get_user("ada@example.com").await.unwrap().is_none());
    assert_eq!(store.get_user("ada.new@example.com").await.unwrap().unwrap().version, saved.version);
    assert!(store.load_login("ada@example.com", at).await.unwrap().0.is_none(), "the old address logs in as none");
    assert_eq!(store.get_moved("ada@example.com").await.unwrap().unwrap().user_id, "101");
    // Reserved: neither a registration nor another account's move may take it.
    assert!(matches!(store.create_user(&account("ada@example.com", "103", at)).await, Err(StoreError::Conflict)));
    let onto_old = relocated(&bob, "ada@example.com");
    let mv =
        AccountMove { before: &bob, after: &onto_old, passkey_names: &[], caller_session: None, caller_family: None };
    let m = moved("bob@example.com", "ada@example.com", "102", "h2", at);
    assert!(matches!(store.move_account(mv, &m, &[]).await, Err(StoreError::Conflict)));
    // The revert: a wrong hash refuses, the right one moves it back once.
    let back = relocated(&saved, "ada@example.com");
    let mv =
        AccountMove { before: &saved, after: &back, passkey_names: &[], caller_session: None, caller_family: None };
    assert!(matches!(store.revert_account(mv, "wrong", &[]).await, Err(StoreError::Conflict)));
    let reverted = store.revert_account(mv, "h", &[]).await.unwrap();
    assert_eq!(reverted.version, saved.version + 1);
    assert!(store.get_moved("ada@example.com").await.unwrap().is_none());
    assert!(store.get_user("ada.new@example.com").await.unwrap().is_none());
    assert_eq!(store.get_user("ada@example.com").await.unwrap().unwrap().version, reverted.version);
    // The same revert again: the reservation (and the account at the new address) are gone.
    assert!(matches!(store.revert_account(mv, "h", &[]).await, Err(StoreError::Conflict)));
}

async fn devices_are_known_until_they_expire_and_forgotten_at_once(b: Backend) {
    let store = fresh_store(b).await;
    let at = t0();
    let device = |key: &str, now: i64| KnownDevice {
        user_id: "201".into(),
        key: key.into(),
        browser: "Firefox".into(),
        system: "Linux".into(),
        network: "203.0.113.0/24".into(),
        identified: false,
        first_seen_at: now,
        last_seen_at: now,
        expires_at: now + shared::domain::devices::KNOWN_SECS,
    };
    assert!(!store.see_device(&device("k1", at), at).await.unwrap());
    assert!(store.see_device(&device("k1", at + 10), at + 10).await.unwrap());
    assert!(!store.see_device(&device("k2", at + 10), at + 10).await.unwrap());
    let later = at + 10 + shared::domain::devices::KNOWN_SECS;
    assert!(!store.see_device(&device("k1", later), later).await.unwrap(), "expired: new again");
    let listed = store.list_devices("201").await.unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(listed.iter().find(|d| d.key == "k1").unwrap().first_seen_at, at);
    assert!(store.list_devices("202").await.unwrap().is_empty());
    assert_eq!(store.forget_devices("201").await.unwrap(), 2);
    assert!(store.list_devices("201").await.unwrap().is_empty());
}

on_both_stores!(an_account_moves_once_and_back_once, devices_are_known_until_they_expire_and_forgotten_at_once);
