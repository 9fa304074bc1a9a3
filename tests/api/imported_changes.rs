//! An imported password hash at the other places that check a password: the password change
//! and the e-mail change replace it with the service's Argon2id in the write they make anyway
//! (the change's history, the request's pending address); a wrong password changes nothing.
//! The deletion checks it like a login and erases it with the account.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use integration_tests::{Backend, PASSWORD, TestApp, on_both_stores};
use serde_json::json;
use shared::password::{is_native, verify};

use crate::imported::{PBKDF2, SCRYPT, firebase};

const WRONG: &str = "correct horse battery stapler";
const NEW: &str = "violet tugboat harmonica 42";

/// Gives the signed-in account `email` the imported `hash` (no new credentials version: its
/// sessions stay alive, as after an import and a login by another way in).
async fn make_imported(t: &TestApp, email: &str, hash: &str) {
    let mut user = t.app.store.get_user(email).await.unwrap().unwrap();
    user.password_hash = hash.to_owned();
    t.app.store.update_user(&user, &[]).await.unwrap();
}

/// `PASSWORD_INCORRECT`, in either surface's words (409 `errorCode`, 400 `code`).
fn incorrect(r: &integration_tests::Reply) -> bool {
    (400..=409).contains(&r.status)
        && (r.body["errorCode"] == "PASSWORD_INCORRECT" || r.body["code"] == "PASSWORD_INCORRECT")
}

async fn stored(t: &TestApp, email: &str) -> shared::model::User {
    t.app.store.get_user(email).await.unwrap().unwrap()
}

async fn a_password_change_stores_the_old_imported_hash_upgraded_in_its_history(b: Backend) {
    let t = TestApp::new(b).await;
    let firebase = firebase();
    for (i, hash) in [PBKDF2, SCRYPT, firebase.as_str()].into_iter().enumerate() {
        let email = format!("change{i}@example.com");
        let (_, access) = t.tokens(&email).await;
        make_imported(&t, &email, hash).await;
        let change = |old: &str| json!({"oldPassword": {"value": old}, "newPassword": {"value": NEW}});
        let r = t.post("/passwords/update", Some(&access), change(WRONG)).await;
        assert_eq!((r.status, r.body["errorCode"].as_str()), (409, Some("PASSWORD_INCORRECT")), "{}", r.body);
        assert_eq!(stored(&t, &email).await.password_hash, hash, "a wrong password changes nothing");
        let r = t.post("/passwords/update", Some(&access), change(PASSWORD)).await;
        assert_eq!(r.status, 200, "{hash}: {}", r.body);
        let user = stored(&t, &email).await;
        assert!(is_native(&user.password_hash) && verify(NEW, &user.password_hash));
        let old = &user.password_history[0];
        assert!(is_native(old) && verify(PASSWORD, old), "the history holds the old password as Argon2id");
        assert!(user.password_history.iter().all(|h| h != hash), "the imported hash is stored nowhere");
        // The old password is still refused as a new one (the history check reads the upgrade).
        let back = json!({"oldPassword": {"value": NEW}, "newPassword": {"value": PASSWORD}});
        let fresh = t.access_token(r.body["token"].as_str().unwrap()).await;
        let r = t.post("/passwords/update", Some(&fresh), back).await;
        assert!(r.status >= 400, "{}", r.body);
        assert_eq!(t.login(&email, NEW).await.status, 200);
    }
}

async fn an_e_mail_change_upgrades_an_imported_hash_in_its_own_write_on_both_surfaces(b: Backend) {
    let t = TestApp::new(b).await;
    for (surface, hash) in [(1, PBKDF2), (2, SCRYPT)] {
        let email = format!("move{surface}@example.com");
        let (path, token) = if surface == 1 {
            ("/users/email/change", t.tokens(&email).await.1)
        } else {
            ("/auth/me/email/change", t.id_tokens(&email).await.0)
        };
        make_imported(&t, &email, hash).await;
        let before = stored(&t, &email).await;
        let ask = |password: &str| json!({"newEmail": format!("moved{surface}@example.com"), "password": {"value": password}});
        let r = t.post(path, Some(&token), ask(WRONG)).await;
        assert!(incorrect(&r), "{}", r.body);
        assert_eq!(stored(&t, &email).await.password_hash, hash, "a wrong password changes nothing");
        let r = t.post(path, Some(&token), ask(PASSWORD)).await;
        assert_eq!(r.status, 204, "surface {surface}: {}", r.body);
        let user = stored(&t, &email).await;
        assert!(user.pending_email.is_some());
        assert!(is_native(&user.password_hash) && verify(PASSWORD, &user.password_hash), "upgraded");
        assert_eq!(user.credentials_version, before.credentials_version, "the same password: no login ends");
        assert_eq!(t.login(&email, PASSWORD).await.status, 200, "and it still signs in");
    }
}

async fn a_deletion_checks_an_imported_hash_and_erases_it_with_the_account(b: Backend) {
    let t = TestApp::new(b).await;
    for surface in [1, 2] {
        let email = format!("gone{surface}@example.com");
        let (path, token, body): (_, _, fn(&str) -> serde_json::Value) = if surface == 1 {
            ("/users/delete", t.tokens(&email).await.1, |p| json!({"password": {"value": p}}))
        } else {
            ("/auth/me/delete", t.id_tokens(&email).await.0, |p| json!({"password": p}))
        };
        make_imported(&t, &email, PBKDF2).await;
        let r = t.post(path, Some(&token), body(WRONG)).await;
        assert!(incorrect(&r), "{}", r.body);
        assert_eq!(stored(&t, &email).await.password_hash, PBKDF2, "a wrong password changes nothing");
        let r = t.post(path, Some(&token), body(PASSWORD)).await;
        assert!((200..300).contains(&r.status), "surface {surface}: {}", r.body);
        assert!(t.app.store.get_account_record(&email).await.unwrap().is_none(), "erased, hash and all");
    }
}

on_both_stores!(
    a_password_change_stores_the_old_imported_hash_upgraded_in_its_history,
    an_e_mail_change_upgrades_an_imported_hash_in_its_own_write_on_both_surfaces,
    a_deletion_checks_an_imported_hash_and_erases_it_with_the_account,
);
