//! The account owner's ways back, raced and attacked on both stores by whoever holds the
//! password: a push device enrolled again under the owner's device token at the thief's
//! address, and a deletion landing after the owner's lost-password reset.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use integration_tests::{
    Backend, Device, PASSWORD, TestApp, on_both_stores, register_verified, step_up_by_email, step_up_by_push,
};
use serde_json::json;

const OWNER: &str = "owner@example.com";
const THIEF: &str = "thief@example.net";
const CODE: &str = "123456";

/// A reset at `email` through its mailbox (the sandbox's nonce); the new session's ACCESS token.
async fn reset(t: &TestApp, email: &str, password: &str) -> String {
    assert_eq!(t.post("/passwords/lost_password/start", None, json!({"email": email})).await.status, 204);
    let resume = json!({"email": email, "nonce": CODE, "newPassword": {"value": password}});
    let r = t.post("/passwords/lost_password/resume", None, resume).await;
    assert_eq!(r.status, 200, "{}", r.body);
    t.access_token(r.body["token"].as_str().unwrap()).await
}

async fn a_push_device_enrolled_again_under_the_owners_token_does_not_survive_the_revert(b: Backend) {
    let t = TestApp::with_config(b, |c| {
        c.idle_timeout_secs = 3_600;
        c.access_idle_timeout_secs = 3_600;
    })
    .await;
    register_verified(&t, OWNER).await;
    // The owner's push device, enrolled under a step-up by the mailbox: anchored.
    let (_, access) = t.session_tokens(OWNER).await;
    step_up_by_email(&t, &access).await;
    let owners = Device::new(1);
    assert_eq!(t.post("/authentication_factors/push/AUTHY", Some(&access), owners.enrolment()).await.status, 200);
    // Whoever holds the password and one approval moves the account to their address.
    step_up_by_push(&t, &access, "AUTHY", &owners).await;
    let r =
        t.post("/users/email/change", Some(&access), json!({"newEmail": THIEF, "password": {"value": PASSWORD}})).await;
    assert_eq!(r.status, 204, "{}", r.body);
    let r = t.post("/users/email/change/verify", Some(&access), json!({"verificationCode": CODE})).await;
    assert_eq!(r.status, 204, "{}", r.body);
    t.clock.advance(shared::otp::RESEND_COOLDOWN_SECS + 1);
    // There: a reset through their mailbox, the owner's device removed, their own enrolled under
    // the same device token (so the same endpoint) with their own key.
    let thief = reset(&t, THIEF, "amber tide lantern 5521").await;
    assert_eq!(t.delete("/authentication_factors/push/AUTHY", Some(&thief)).await.status, 204);
    step_up_by_email(&t, &thief).await;
    let theirs = Device::new(66);
    assert_eq!(t.post("/authentication_factors/push/AUTHY", Some(&thief), theirs.enrolment()).await.status, 200);
    // The owner takes the account back.
    let r = t.post("/users/email/change/revert", None, json!({"email": OWNER, "nonce": CODE})).await;
    assert_eq!(r.status, 204, "{}", r.body);
    reset(&t, OWNER, "velvet harbour compass 4471").await;
    let user = t.app.store.get_user(OWNER).await.unwrap().unwrap();
    let keys: Vec<&str> =
        user.factors.iter().filter_map(|f| f.device.as_ref()).map(|d| d.public_key.as_str()).collect();
    assert!(!keys.contains(&theirs.public_key().as_str()), "the thief's device is gone: {keys:?}");
}

async fn a_deletion_with_the_old_password_does_not_land_after_the_owners_reset(b: Backend) {
    let t = TestApp::new(b).await;
    for round in 0..4 {
        let email = format!("owner{round}@example.com");
        t.register(&email).await;
        let (_, thief) = t.session_tokens(&email).await;
        let (id_token, _) = t.id_login_tokens(&email).await;
        assert_eq!(t.post("/passwords/lost_password/start", None, json!({"email": email})).await.status, 204);
        let resume = json!({"email": email, "nonce": CODE, "newPassword": {"value": "maple kettle drumroll 57"}});
        let owner = t.post("/passwords/lost_password/resume", None, resume);
        let deleted = if round % 2 == 0 {
            let (d, o) =
                tokio::join!(t.post("/users/delete", Some(&thief), json!({"password": {"value": PASSWORD}})), owner);
            (d.status, o.status)
        } else {
            let (d, o) = tokio::join!(t.post("/auth/me/delete", Some(&id_token), json!({"password": PASSWORD})), owner);
            (d.status, o.status)
        };
        assert!(!(deleted.0 == 204 && deleted.1 == 200), "round {round}: deleted after the reset ({deleted:?})");
        t.clock.advance(61);
    }
}

on_both_stores!(
    a_push_device_enrolled_again_under_the_owners_token_does_not_survive_the_revert,
    a_deletion_with_the_old_password_does_not_land_after_the_owners_reset,
);
