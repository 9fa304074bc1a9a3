//! Proving the mailbox is the root of the account, attacked on both stores: a way in planted by
//! whoever held only the password (a push device, a passkey, a TOTP secret, a phone), or by
//! whoever registered the address before its owner, does not survive the owner's reset by
//! e-mail, on either surface; what was enrolled with proof of the mailbox does.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use integration_tests::passkey::{ORIGINS, RP_ID, SoftAuthenticator};
use integration_tests::{Backend, Device, PASSWORD, Reply, TestApp, on_both_stores};
use lambda_http::http::Method;
use serde_json::{Value, json};

const NEW: &str = "violet tugboat harmonica 42";
const SITE: &str = ORIGINS[0];
const PUSH_LOGIN: &str = "/login_via_biometrics";

async fn app(b: Backend) -> TestApp {
    TestApp::with_config(b, |c| {
        c.webauthn_rp_id = RP_ID.to_owned();
        c.webauthn_origins = ORIGINS.iter().map(|o| o.to_string()).collect();
    })
    .await
}

/// The owner proves the mailbox: the lost-password reset, with the sandbox nonce.
async fn reset(t: &TestApp, email: &str) -> String {
    assert_eq!(t.post("/passwords/lost_password/start", None, json!({ "email": email })).await.status, 204);
    let body = json!({"email": email, "nonce": "123456", "newPassword": {"value": NEW}});
    let r = t.post("/passwords/lost_password/resume", None, body).await;
    assert_eq!(r.status, 200, "{}", r.body);
    t.access_token(r.body["token"].as_str().unwrap()).await
}

/// The e-mail verified through the mailbox.
async fn verify_email(t: &TestApp, email: &str) {
    assert_eq!(t.post("/users/verification/email/send", None, json!({ "email": email })).await.status, 204);
    let body = json!({"email": email, "verificationCode": "123456"});
    let r = t.post("/users/verification/email/verify", None, body).await;
    assert_eq!(r.status, 204, "{}", r.body);
}

async fn step_up_by_email(t: &TestApp, access: &str) {
    assert_eq!(t.post("/stepup/challenges/otp/EMAIL", Some(access), json!({})).await.status, 204);
    let r = t.post("/stepup/challenges/otp/EMAIL/verify", Some(access), json!({"verificationCode": "123456"})).await;
    assert_eq!(r.status, 204, "{}", r.body);
}

async fn enrol_device(t: &TestApp, access: &str, device: &Device) {
    let r = t.post("/authentication_factors/push/BIOMETRIC", Some(access), device.enrolment()).await;
    assert_eq!(r.status, 200, "{}", r.body);
}

async fn enrol_passkey(t: &TestApp, access: &str, key: &mut SoftAuthenticator) {
    let options = t.post("/authentication_factors/passkey", Some(access), json!({})).await;
    assert_eq!(options.status, 200, "{}", options.body);
    let credential = key.create(SITE, &options.body).await;
    let r = t.post("/authentication_factors/passkey/verify", Some(access), credential).await;
    assert_eq!(r.status, 204, "{}", r.body);
}

async fn passkey_login(t: &TestApp, surface: u8, key: &mut SoftAuthenticator) -> Reply {
    let (options, login) = match surface {
        1 => ("/login_with_passkey/options", "/login_with_passkey"),
        _ => ("/auth/login/passkey/options", "/auth/login/passkey"),
    };
    let r = t.post(options, None, json!({})).await;
    let id = r.body["challengeId"].as_str().unwrap().to_owned();
    let assertion = key.get(SITE, &json!({ "publicKey": r.body["publicKey"] })).await;
    t.post(login, None, json!({ "challengeId": id, "credential": assertion })).await
}

/// Asks for a login by push of `email`: (challenge id, poll token).
async fn ask_push_login(t: &TestApp, email: &str) -> (String, String) {
    let r = t.post(PUSH_LOGIN, None, json!({ "email": email })).await;
    assert_eq!(r.status, 200, "{}", r.body);
    (r.body["challengeId"].as_str().unwrap().to_owned(), r.body["pollToken"].as_str().unwrap().to_owned())
}

async fn approve(t: &TestApp, device: &Device, id: &str) -> u16 {
    let path = format!("/stepup/challenges/push/BIOMETRIC/{id}/approve");
    t.post(&path, None, json!({"signature": device.sign(&format!("{id}:approve"))})).await.status
}

async fn poll(t: &TestApp, id: &str, token: &str) -> Reply {
    let req = integration_tests::request(Method::GET, &format!("{PUSH_LOGIN}/{id}"), None, None);
    let (mut parts, body) = req.into_parts();
    parts.headers.insert("x-poll-token", token.parse().unwrap());
    t.call(lambda_http::Request::from_parts(parts, body)).await
}

/// A whole login by push with `device`: the poll's answer.
async fn push_login(t: &TestApp, email: &str, device: &Device) -> (u16, Value) {
    let (id, token) = ask_push_login(t, email).await;
    let approved = approve(t, device, &id).await;
    (approved, poll(t, &id, &token).await.body)
}

fn channels(factors: &Value) -> Vec<String> {
    factors["factors"].as_array().unwrap().iter().map(|f| f["channel"].as_str().unwrap().to_owned()).collect()
}

async fn trail(t: &TestApp, access: &str) -> Vec<Value> {
    t.get("/security_events?limit=100", Some(access)).await.body["events"].as_array().unwrap().clone()
}

/// The takeover: a holder of the password plants a push device and a passkey on an account with
/// no second factor; the owner resets the password by e-mail; neither opens anything after, a
/// login by push asked before the reset is not approvable, and the owner sees no dead end.
async fn ways_in_planted_with_the_password_alone_do_not_survive_the_reset(b: Backend) {
    let t = Arc::new(app(b).await);
    t.register("jane@example.com").await;
    let (_, attacker) = t.session_tokens("jane@example.com").await;
    let device = Device::new(41);
    enrol_device(&t, &attacker, &device).await;
    let mut key = SoftAuthenticator::new();
    // The device is now a second factor: the passkey needs a step-up, which the device gives.
    integration_tests::step_up_by_push(&t, &attacker, "BIOMETRIC", &device).await;
    enrol_passkey(&t, &attacker, &mut key).await;
    assert_eq!(passkey_login(&t, 1, &mut key).await.status, 200, "planted: it works before the reset");
    let (pending, pending_token) = ask_push_login(&t, "jane@example.com").await;
    let pushes = t.push.sent().len();

    let owner = reset(&t, "jane@example.com").await;

    // Nothing planted opens anything, on either surface.
    for surface in [1, 2] {
        let r = passkey_login(&t, surface, &mut key).await;
        assert!(r.status == 401 || r.status == 403, "surface {surface}: {} {}", r.status, r.body);
    }
    assert_eq!(approve(&t, &device, &pending).await, 403, "a login asked before the reset is not approvable");
    assert!(poll(&t, &pending, &pending_token).await.body["token"].is_null());
    let (approved, polled) = push_login(&t, "jane@example.com", &device).await;
    assert_eq!(approved, 403, "the device is no longer the account's");
    assert!(polled["token"].is_null(), "{polled}");
    // The planted device heard nothing of the reset (nor of anything after it).
    assert!(
        t.push.sent()[pushes..].iter().all(|p| p.payload["type"] != "SECURITY_NOTICE"),
        "{:?}",
        t.push.sent()[pushes..].iter().map(|p| p.payload.clone()).collect::<Vec<_>>()
    );
    // The owner sees every factor (none left) and may enrol their own with the new password.
    let factors = t.get("/authentication_factors", Some(&owner)).await.body;
    assert_eq!(channels(&factors), Vec::<String>::new(), "{factors}");
    enrol_device(&t, &owner, &Device::new(42)).await;
    // The removals are on the record.
    let events = trail(&t, &owner).await;
    let removed: Vec<&Value> = events
        .iter()
        .filter(|e| e["type"] == "FACTOR_REMOVED" && e["details"]["reason"] == "NOT_ANCHORED_TO_MAILBOX")
        .collect();
    assert_eq!(removed.len(), 2, "the device and the passkey: {events:?}");
}

/// Pre-hijacking: whoever registers the victim's address first plants every way in there is
/// (a push device, a passkey, a TOTP secret and a validated phone on surface 2); the victim,
/// who never could register, takes the account over with the reset and keeps none of them.
async fn a_pre_hijacked_account_is_the_owners_after_the_reset(b: Backend) {
    let t = app(b).await;
    t.register("victim@example.com").await;
    let (id_token, _) = t.id_login_tokens("victim@example.com").await;
    let secret = t.add_totp(&id_token).await;
    let code = t.totp_code(&secret, 0);
    let validated =
        t.with_otp(Method::POST, "/auth/otp/code", &id_token, &code, Some(json!({"channel": "TOTP"}))).await;
    assert_eq!(validated.status, 200, "{}", validated.body);
    let me = t.get("/auth/me", Some(&id_token)).await.body;
    assert_eq!(me["hasValidatedSecret"], true, "{me}");

    let owner = reset(&t, "victim@example.com").await;
    let (id_token, _) = {
        let r = t.id_login("victim@example.com", NEW).await;
        assert_eq!(r.status, 200, "{}", r.body);
        (r.body["idToken"].as_str().unwrap().to_owned(), ())
    };
    // The planted TOTP secret is gone: its codes prove nothing, and the owner may add their own
    // without any x-otp (the account has no second factor left).
    let code = t.totp_code(&secret, 30);
    let r = t.with_otp(Method::DELETE, "/auth/otp/methods/totp", &id_token, &code, None).await;
    assert!(r.status >= 400, "the planted secret is not the account's: {} {}", r.status, r.body);
    t.add_totp(&id_token).await;
    assert_eq!(t.get("/authentication_factors", Some(&owner)).await.status, 200);
    let old = t.login("victim@example.com", PASSWORD).await;
    assert_eq!(old.status, 403, "the attacker's password is gone: {}", old.body);
}

/// What was enrolled with proof of the mailbox survives the reset, through a chain of step-ups;
/// what was enrolled under a planted factor does not, even after the e-mail was verified.
async fn ways_in_anchored_to_the_mailbox_survive_the_reset_and_planted_chains_do_not(b: Backend) {
    let t = app(b).await;
    // Jane's account: the e-mail verified, a device enrolled under a step-up by e-mail, then a
    // passkey under a step-up by that device.
    let (_, jane) = t.tokens("jane@example.com").await;
    verify_email(&t, "jane@example.com").await;
    step_up_by_email(&t, &jane).await;
    let device = Device::new(43);
    enrol_device(&t, &jane, &device).await;
    integration_tests::step_up_by_push(&t, &jane, "BIOMETRIC", &device).await;
    let mut key = SoftAuthenticator::new();
    enrol_passkey(&t, &jane, &mut key).await;
    let owner = reset(&t, "jane@example.com").await;
    let factors = t.get("/authentication_factors", Some(&owner)).await.body;
    assert_eq!(channels(&factors), ["BIOMETRIC", "PASSKEY"], "{factors}");
    assert_eq!(passkey_login(&t, 2, &mut key).await.status, 200);
    let (approved, polled) = push_login(&t, "jane@example.com", &device).await;
    assert_eq!(approved, 204);
    assert!(polled["token"].is_string(), "{polled}");

    // Bob's: a device planted before the e-mail was verified, a passkey enrolled under a
    // step-up by that device after it was: both go.
    let (_, bob) = t.tokens("bob@example.com").await;
    let planted = Device::new(44);
    enrol_device(&t, &bob, &planted).await;
    verify_email(&t, "bob@example.com").await;
    integration_tests::step_up_by_push(&t, &bob, "BIOMETRIC", &planted).await;
    let mut chained = SoftAuthenticator::new();
    enrol_passkey(&t, &bob, &mut chained).await;
    let owner = reset(&t, "bob@example.com").await;
    let factors = t.get("/authentication_factors", Some(&owner)).await.body;
    assert!(channels(&factors).is_empty(), "{factors}");
    assert_eq!(passkey_login(&t, 1, &mut chained).await.status, 403, "refused as a wrong credential");
}

/// A phone validated on surface 2 with a code sent on proof of the e-mail (the mailbox) is
/// anchored, and survives the reset.
async fn a_phone_validated_on_proof_of_the_mailbox_survives_the_reset(b: Backend) {
    let t = app(b).await;
    t.register("jane@example.com").await;
    verify_email(&t, "jane@example.com").await;
    let (id_token, _) = t.id_login_tokens("jane@example.com").await;
    assert_eq!(t.get("/auth/otp/code?method=EMAIL", Some(&id_token)).await.status, 200);
    let sent = t.with_otp(Method::GET, "/auth/otp/code?method=SMS", &id_token, "123456", None).await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    let body = Some(json!({"channel": "SMS"}));
    let validated = t.with_otp(Method::POST, "/auth/otp/code", &id_token, "123456", body).await;
    assert_eq!(validated.status, 200, "{}", validated.body);
    let owner = reset(&t, "jane@example.com").await;
    let factors = t.get("/authentication_factors", Some(&owner)).await.body;
    assert_eq!(channels(&factors), ["SMS"], "{factors}");
    let id_token = t.id_login("jane@example.com", NEW).await.body["idToken"].as_str().unwrap().to_owned();
    assert_eq!(t.get("/auth/me", Some(&id_token)).await.body["hasValidatedPhone"], true);
    // Lost, that phone is no dead end: the reset's session removes it (a password session
    // cannot without a step-up), and with it the phone's validation on surface 2.
    let by_password = t.access_token(t.login("jane@example.com", NEW).await.body["token"].as_str().unwrap()).await;
    assert_eq!(t.delete("/authentication_factors/otp/SMS", Some(&by_password)).await.status, 409);
    assert_eq!(t.delete("/authentication_factors/otp/SMS", Some(&owner)).await.status, 204);
    assert!(channels(&t.get("/authentication_factors", Some(&owner)).await.body).is_empty());
    assert_eq!(t.get("/auth/me", Some(&id_token)).await.body["hasValidatedPhone"], false);
    assert_eq!(t.delete("/authentication_factors/otp/SMS", Some(&owner)).await.status, 409, "nothing left to remove");
}

/// No dead end: an anchored factor the owner lost (the reset keeps it) is removed from the
/// session the reset opened, without a step-up; a session opened by the password alone cannot.
async fn the_resets_session_removes_a_lost_factor_without_a_step_up(b: Backend) {
    let t = app(b).await;
    let (_, jane) = t.tokens("jane@example.com").await;
    verify_email(&t, "jane@example.com").await;
    step_up_by_email(&t, &jane).await;
    enrol_device(&t, &jane, &Device::new(45)).await;
    let owner = reset(&t, "jane@example.com").await;
    let by_password = {
        let r = t.login("jane@example.com", NEW).await;
        t.access_token(r.body["token"].as_str().unwrap()).await
    };
    let refused = t.delete("/authentication_factors/push/BIOMETRIC", Some(&by_password)).await;
    assert_eq!((refused.status, refused.body["errorCode"].as_str()), (409, Some("STEP_UP_REQUIRED")));
    assert_eq!(t.delete("/authentication_factors/push/BIOMETRIC", Some(&owner)).await.status, 204);
    assert!(channels(&t.get("/authentication_factors", Some(&owner)).await.body).is_empty());
    let events = trail(&t, &owner).await;
    assert!(events.iter().any(|e| e["type"] == "FACTOR_REMOVED" && e["details"]["channel"] == "BIOMETRIC"));
}

on_both_stores!(
    the_resets_session_removes_a_lost_factor_without_a_step_up,
    a_phone_validated_on_proof_of_the_mailbox_survives_the_reset,
    ways_in_planted_with_the_password_alone_do_not_survive_the_reset,
    a_pre_hijacked_account_is_the_owners_after_the_reset,
    ways_in_anchored_to_the_mailbox_survive_the_reset_and_planted_chains_do_not,
);
