//! The deletion across the features beside it, on both stores: an account that moved its
//! address (leaving a reservation at the old one for the revert) and signed in from known
//! devices is exported with those devices, then deleted; afterwards nothing names it at either
//! address, the old address's revert resurrects nothing, and both addresses are free.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use integration_tests::{Backend, PASSWORD, TestApp, on_both_stores};
use serde_json::json;

async fn a_moved_account_deleted_leaves_no_reservation_and_cannot_be_reverted(b: Backend) {
    let t = TestApp::new(b).await;
    let (old, new) = ("mover@example.com", "mover.new@example.com");
    let user_id = t.register(old).await["userId"].as_str().unwrap().to_owned();
    let (_, access) = t.session_tokens(old).await;
    let change = json!({"newEmail": new, "password": {"value": PASSWORD}});
    assert_eq!(t.post("/users/email/change", Some(&access), change).await.status, 204);
    let r = t.post("/users/email/change/verify", Some(&access), json!({"verificationCode": "123456"})).await;
    assert_eq!(r.status, 204, "{}", r.body);
    let mail = t.email.sent().into_iter().rev().find(|m| m.to == old && m.body.contains("revert")).unwrap();
    let at = mail.body.find("\"nonce\": \"").unwrap() + 10;
    let nonce = mail.body[at..].split('"').next().unwrap().to_owned();
    assert!(t.app.store.get_moved(old).await.unwrap().is_some(), "the old address is reserved for the revert");

    // The export lists the devices the account signed in from.
    let export = t.get("/users/me/export", Some(&access)).await;
    assert_eq!(export.status, 200, "{}", export.body);
    let devices = export.body["knownDevices"].as_array().unwrap();
    assert!(!devices.is_empty(), "{}", export.body["knownDevices"]);
    assert!(devices.iter().all(|d| d["firstSeen"].is_string() && d["browser"].is_string()), "{devices:?}");

    // The proven new address is a second factor: the deletion needs a step-up (by e-mail).
    assert_eq!(t.post("/stepup/challenges/otp/EMAIL", Some(&access), json!({})).await.status, 204);
    let code = json!({"verificationCode": "123456"});
    assert_eq!(t.post("/stepup/challenges/otp/EMAIL/verify", Some(&access), code).await.status, 204);
    let r = t.post("/users/delete", Some(&access), json!({"password": {"value": PASSWORD}})).await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert!(t.app.store.get_moved(old).await.unwrap().is_none(), "the reservation went with the account");
    for needle in [user_id.as_str(), old, new] {
        let left = integration_tests::items_naming(&t, needle).await;
        assert!(left.is_empty(), "items still naming {needle}: {left:#?}");
    }
    // The revert link mailed before the deletion brings nothing back.
    let r = t.post("/users/email/change/revert", None, json!({"email": old, "nonce": nonce})).await;
    assert_eq!((r.status, r.body["errorCode"].as_str()), (409, Some("NONCE_INVALID")), "{}", r.body);
    assert!(t.app.store.get_user(old).await.unwrap().is_none());
    assert!(t.app.store.get_user(new).await.unwrap().is_none());
    // Both addresses are free.
    assert_ne!(t.register(old).await["userId"].as_str().unwrap(), user_id);
    assert_ne!(t.register(new).await["userId"].as_str().unwrap(), user_id);
}

on_both_stores!(a_moved_account_deleted_leaves_no_reservation_and_cannot_be_reverted);
