//! The e-mail change's revert across the mailbox's other flows, attacked on both stores: whoever
//! held only the password moves the account to their own address, plants what they can there
//! (a lost-password nonce mailed to it, recovery codes generated with a step-up it proves), and
//! the owner takes the change back. Nothing planted survives: not the nonce, not the codes, and
//! so not the factors a code would let them enrol after the owner's own reset.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use integration_tests::{Backend, Device, PASSWORD, TestApp, on_both_stores, step_up_by_push};
use serde_json::{Value, json};

const OWNER: &str = "owner@example.com";
const THIEF: &str = "thief@example.net";

/// Whoever holds the password moves `OWNER`'s account to `THIEF`; returns their ACCESS token.
async fn moved_by_the_password_alone(t: &TestApp) -> String {
    t.register(OWNER).await;
    let (_, access) = t.session_tokens(OWNER).await;
    let change = json!({"newEmail": THIEF, "password": {"value": PASSWORD}});
    assert_eq!(t.post("/users/email/change", Some(&access), change).await.status, 204);
    let r = t.post("/users/email/change/verify", Some(&access), json!({"verificationCode": "123456"})).await;
    assert_eq!(r.status, 204, "{}", r.body);
    access
}

/// The owner takes the change back with the nonce mailed to the old address.
async fn the_owner_reverts(t: &TestApp) {
    let mail = t.email.sent().into_iter().rev().find(|m| m.to == OWNER && m.body.contains("revert")).unwrap();
    let at = mail.body.find("\"nonce\": \"").unwrap() + 10;
    let nonce = mail.body[at..].split('"').next().unwrap().to_owned();
    let r = t.post("/users/email/change/revert", None, json!({"email": OWNER, "nonce": nonce})).await;
    assert_eq!(r.status, 204, "{}", r.body);
}

fn resume(email: &str, password: &str) -> Value {
    json!({"email": email, "nonce": "123456", "newPassword": {"value": password}})
}

async fn a_reset_nonce_mailed_to_the_thiefs_address_resets_nothing_after_the_revert(b: Backend) {
    let t = TestApp::new(b).await;
    let access = moved_by_the_password_alone(&t).await;
    // The thief asks for a reset at the address they hold: the nonce goes to their mailbox.
    assert_eq!(t.post("/passwords/lost_password/start", None, json!({"email": THIEF})).await.status, 204);
    assert!(t.email.sent().iter().any(|m| m.to == THIEF && m.body.contains("123456")), "the nonce went to the thief");
    the_owner_reverts(&t).await;
    assert_eq!(t.get("/identities", Some(&access)).await.status, 401);
    // Their nonce names the address they no longer have: at the owner's address, and at theirs.
    let stolen = "plum orchard lantern 8812";
    for at in [OWNER, THIEF] {
        let r = t.post("/passwords/lost_password/resume", None, resume(at, stolen)).await;
        assert_eq!((r.status, r.body["errorCode"].as_str()), (409, Some("NONCE_INVALID")), "at {at}: {}", r.body);
    }
    assert_ne!(t.login(OWNER, stolen).await.status, 200);
    // The owner's own reset, mailed to the owner's address, works.
    assert_eq!(t.post("/passwords/lost_password/start", None, json!({"email": OWNER})).await.status, 204);
    let r = t.post("/passwords/lost_password/resume", None, resume(OWNER, "velvet harbour compass 4471")).await;
    assert_eq!(r.status, 200, "{}", r.body);
}

async fn codes_generated_at_the_thiefs_address_do_not_survive_the_revert(b: Backend) {
    let t = TestApp::new(b).await;
    let access = moved_by_the_password_alone(&t).await;
    // The proven new address steps up; a push device, then a step-up by it, then codes.
    assert_eq!(t.post("/stepup/challenges/otp/EMAIL", Some(&access), json!({})).await.status, 204);
    let code = json!({"verificationCode": "123456"});
    assert_eq!(t.post("/stepup/challenges/otp/EMAIL/verify", Some(&access), code).await.status, 204);
    let device = Device::new(41);
    assert_eq!(t.post("/authentication_factors/push/BIOMETRIC", Some(&access), device.enrolment()).await.status, 200);
    step_up_by_push(&t, &access, "BIOMETRIC", &device).await;
    let r = t.post("/authentication_factors/recovery_codes", Some(&access), json!({})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let codes: Vec<String> = serde_json::from_value(r.body["codes"].clone()).unwrap();

    the_owner_reverts(&t).await;
    let user = t.app.store.get_user(OWNER).await.unwrap().unwrap();
    assert!(user.mfa.recovery.is_none(), "the revert removed the set generated since the move");
    // And the owner's reset, then a login: no code of the thief's steps the owner's session up.
    assert_eq!(t.post("/passwords/lost_password/start", None, json!({"email": OWNER})).await.status, 204);
    let fresh = "velvet harbour compass 4471";
    assert_eq!(t.post("/passwords/lost_password/resume", None, resume(OWNER, fresh)).await.status, 200);
    let r = t.login(OWNER, fresh).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let auth = r.body["token"].as_str().unwrap().to_owned();
    let identity = t.get("/identities", Some(&auth)).await.body[0]["id"].clone();
    let owner_access = t.post("/access_token", Some(&auth), json!({"identity": identity})).await.body["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let factors = t.get("/authentication_factors", Some(&owner_access)).await.body;
    assert!(!factors.to_string().contains("RECOVERY_CODES"), "{factors}");
    assert!(!factors.to_string().contains("BIOMETRIC"), "{factors}");
    let r = t
        .post("/stepup/challenges/recovery_code/verify", Some(&owner_access), json!({"verificationCode": codes[0]}))
        .await;
    assert_ne!(r.status, 204, "{}", r.body);
}

on_both_stores!(
    a_reset_nonce_mailed_to_the_thiefs_address_resets_nothing_after_the_revert,
    codes_generated_at_the_thiefs_address_do_not_survive_the_revert,
);
