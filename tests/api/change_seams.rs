//! The e-mail change against the rules around it, attacked on both stores by whoever holds the
//! password: moving the account out of the revert's reach, finishing a change asked for before
//! the owner secured the account, leaving their own phone number behind the revert, and a change
//! its budgets refuse spending the owner's step-up.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use integration_tests::{Backend, PASSWORD, TestApp, enrol_sms, on_both_stores, step_up_by_sms};
use lambda_http::http::Method;
use serde_json::json;

const OWNER: &str = "owner@example.com";

fn change(to: &str) -> serde_json::Value {
    json!({"newEmail": to, "password": {"value": PASSWORD}})
}

const CODE: &str = "123456";

/// Moves the account of the session of `access` to `to` (its step-up, when it needs one, is the
/// caller's).
async fn moved_to(t: &TestApp, access: &str, to: &str) {
    let r = t.post("/users/email/change", Some(access), change(to)).await;
    assert_eq!(r.status, 204, "{}", r.body);
    let r = t.post("/users/email/change/verify", Some(access), json!({"verificationCode": CODE})).await;
    assert_eq!(r.status, 204, "to {to}: {}", r.body);
    t.clock.advance(shared::otp::RESEND_COOLDOWN_SECS + 1);
}

/// The owner takes the account back at `OWNER` (the sandbox's nonce), then resets its password.
async fn the_owner_takes_it_back(t: &TestApp) {
    let r = t.post("/users/email/change/revert", None, json!({"email": OWNER, "nonce": CODE})).await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(t.post("/passwords/lost_password/start", None, json!({"email": OWNER})).await.status, 204);
    let resume = json!({"email": OWNER, "nonce": CODE, "newPassword": {"value": "velvet harbour compass 4471"}});
    let r = t.post("/passwords/lost_password/resume", None, resume).await;
    assert_eq!(r.status, 200, "{}", r.body);
}

async fn nine_moves_in_a_day_leave_the_account_within_the_owners_revert(b: Backend) {
    let t = TestApp::new(b).await;
    t.register(OWNER).await;
    let (_, access) = t.session_tokens(OWNER).await;
    // The first move needs the password alone; the address it lands on is verified, so every
    // later one needs a step-up by the e-mail, which the thief's own mailbox gives.
    moved_to(&t, &access, "b1@example.net").await;
    for hop in 2..=9 {
        assert_eq!(t.post("/stepup/challenges/otp/EMAIL", Some(&access), json!({})).await.status, 204);
        let r = t.post("/stepup/challenges/otp/EMAIL/verify", Some(&access), json!({"verificationCode": CODE})).await;
        assert_eq!(r.status, 204, "{}", r.body);
        moved_to(&t, &access, &format!("b{hop}@example.net")).await;
    }
    assert!(t.app.store.get_user("b9@example.net").await.unwrap().is_some());
    the_owner_takes_it_back(&t).await;
    assert_eq!(t.get("/identities", Some(&access)).await.status, 401, "the thief's session ended");
    assert!(t.app.store.get_user("b9@example.net").await.unwrap().is_none());
    assert_ne!(t.login("b9@example.net", PASSWORD).await.status, 200);
}

async fn a_change_asked_for_before_the_owner_secured_the_account_needs_proof_to_finish(b: Backend) {
    let t = TestApp::new(b).await;
    t.register(OWNER).await;
    // The thief asks with the password alone, on both surfaces, while the account has no factor.
    let (_, thief) = t.session_tokens(OWNER).await;
    let r = t.post("/users/email/change", Some(&thief), change("thief@example.net")).await;
    assert_eq!(r.status, 204, "{}", r.body);
    let (id_token, _) = t.id_login_tokens(OWNER).await;
    let r = t.post("/auth/me/email/change", Some(&id_token), change("thief2@example.net")).await;
    assert_eq!(r.status, 204, "{}", r.body);
    // The owner enrols a factor meanwhile.
    let (_, owner) = t.session_tokens(OWNER).await;
    enrol_sms(&t, &owner).await;
    let r = t.post("/auth/me/email/change/verify", Some(&id_token), json!({"verificationCode": CODE})).await;
    assert_eq!((r.status, r.body["code"].as_str()), (403, Some("OTP_REQUIRED")), "{}", r.body);
    // (The surface-2 request replaced the surface-1 one as the pending change; ask it again.)
    let r = t.post("/users/email/change", Some(&thief), change("thief@example.net")).await;
    assert_eq!(r.body["errorCode"], "STEP_UP_REQUIRED", "asking again needs the proof");
    assert!(t.app.store.get_user(OWNER).await.unwrap().is_some(), "the account stays");
}

async fn a_surface_1_change_asked_for_before_the_owner_secured_the_account_needs_proof_to_finish(b: Backend) {
    let t = TestApp::new(b).await;
    t.register(OWNER).await;
    let (_, thief) = t.session_tokens(OWNER).await;
    let r = t.post("/users/email/change", Some(&thief), change("thief@example.net")).await;
    assert_eq!(r.status, 204, "{}", r.body);
    let (_, owner) = t.session_tokens(OWNER).await;
    enrol_sms(&t, &owner).await;
    let r = t.post("/users/email/change/verify", Some(&thief), json!({"verificationCode": CODE})).await;
    assert_eq!(r.body["errorCode"], "STEP_UP_REQUIRED", "{}", r.body);
    assert!(t.app.store.get_user(OWNER).await.unwrap().is_some(), "the account stays");
    assert!(t.app.store.get_user("thief@example.net").await.unwrap().is_none());
}

async fn the_thiefs_phone_number_does_not_survive_the_revert(b: Backend) {
    let t = TestApp::new(b).await;
    t.register(OWNER).await;
    let (_, access) = t.session_tokens(OWNER).await;
    moved_to(&t, &access, "thief@example.net").await;
    // At the address they hold, the thief sets their own number, proving it by their mailbox.
    let (id_token, _) = t.id_login_tokens("thief@example.net").await;
    assert_eq!(t.get("/auth/otp/code?method=EMAIL", Some(&id_token)).await.status, 200);
    let body = json!({"phone": "07400 922222", "country": "GB"});
    let r = t.with_otp(Method::POST, "/auth/otp/methods/sms", &id_token, CODE, Some(body)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let user = t.app.store.get_user("thief@example.net").await.unwrap().unwrap();
    assert_eq!(user.mobile.unwrap().e164(), "+447400922222");
    the_owner_takes_it_back(&t).await;
    let user = t.app.store.get_user(OWNER).await.unwrap().unwrap();
    assert_eq!(user.mobile.unwrap().e164(), "+447400900123", "the owner's number is back");
    assert!(user.mfa.phone_verified_at.is_none(), "and validated again only by a code sent to it");
}

async fn a_change_its_budget_refuses_spends_no_step_up(b: Backend) {
    let t = TestApp::with_config(b, |c| c.rate_limit.email_change_per_ip_per_hour = 0).await;
    t.register(OWNER).await;
    let (auth, access) = t.session_tokens(OWNER).await;
    enrol_sms(&t, &access).await;
    step_up_by_sms(&t, &access).await;
    let r = t.post("/users/email/change", Some(&access), change("new@example.org")).await;
    assert_eq!(r.status, 429, "{}", r.body);
    let user = t.app.store.get_user(OWNER).await.unwrap().unwrap();
    assert!(user.pending_email.is_none(), "nothing asked for");
    let events = t.app.store.list_events(&user.user_id, None, 100).await.unwrap();
    assert!(!events.iter().any(|e| e.kind.name() == "EMAIL_CHANGE_REQUESTED"));
    let identity = t.get("/identities", Some(&auth)).await.body[0]["id"].clone();
    let r = t.post("/access_token", Some(&auth), json!({ "identity": identity })).await;
    assert_eq!(r.body["status"], "STEPPED_UP", "the step-up is not spent: {}", r.body);
}

on_both_stores!(
    nine_moves_in_a_day_leave_the_account_within_the_owners_revert,
    a_change_asked_for_before_the_owner_secured_the_account_needs_proof_to_finish,
    a_surface_1_change_asked_for_before_the_owner_secured_the_account_needs_proof_to_finish,
    the_thiefs_phone_number_does_not_survive_the_revert,
    a_change_its_budget_refuses_spends_no_step_up,
);
