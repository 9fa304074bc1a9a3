//! Recovery codes attacked (issue 25), on both stores: surface 2 generates a set only on proof
//! and takes a code as `x-otp` once; the lost-password reset removes a set whoever held only
//! the password could have generated and keeps the owner's; the password alone gains no codes,
//! and a code never stands in for the password or for another factor's code.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use integration_tests::{Backend, PASSWORD, TestApp, generate_recovery_codes, on_both_stores};
use lambda_http::http::Method;
use serde_json::json;

use crate::recovery::{CODES, SURFACE2, error_code, events, recovery_factor, step_up_with, with_codes};

const EMAIL: &str = "jane@example.com";
const NEW: &str = "violet tugboat harmonica 42";

/// The owner proves the mailbox: the lost-password reset (sandbox nonce); its session's ACCESS.
async fn reset(t: &TestApp, email: &str) -> String {
    reset_to(t, email, NEW).await
}

async fn reset_to(t: &TestApp, email: &str, password: &str) -> String {
    assert_eq!(t.post("/passwords/lost_password/start", None, json!({ "email": email })).await.status, 204);
    let body = json!({"email": email, "nonce": "123456", "newPassword": {"value": password}});
    let r = t.post("/passwords/lost_password/resume", None, body).await;
    assert_eq!(r.status, 200, "{}", r.body);
    t.access_token(r.body["token"].as_str().unwrap()).await
}

fn codes_of(r: &integration_tests::Reply) -> Vec<String> {
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["codes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_owned()).collect()
}

async fn surface_two_generates_on_proof_and_takes_a_code_as_x_otp_once(b: Backend) {
    let t = TestApp::new(b).await;
    let (id_token, _) = t.id_tokens(EMAIL).await;
    // No second factor: nothing to prove with, so no codes.
    let r = t.post(SURFACE2, Some(&id_token), json!({})).await;
    assert_eq!((r.status, error_code(&r)), (403, "OTP_REQUIRED"));
    let secret = t.add_totp(&id_token).await;
    let code = t.totp_code(&secret, 0);
    let r = t.with_otp(Method::POST, "/auth/otp/code", &id_token, &code, Some(json!({"channel": "TOTP"}))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = t.post(SURFACE2, Some(&id_token), json!({})).await;
    assert_eq!((r.status, error_code(&r)), (403, "OTP_REQUIRED"));
    let r = t.with_otp(Method::POST, SURFACE2, &id_token, "000000", Some(json!({}))).await;
    assert_eq!((r.status, error_code(&r)), (403, "OTP_INVALID"));
    t.clock.advance(30);
    let codes =
        codes_of(&t.with_otp(Method::POST, SURFACE2, &id_token, t.totp_code(&secret, 0), Some(json!({}))).await);
    assert_eq!(codes.len(), 10);
    // A code proves the e-mail's validation code may go out, once.
    let path = "/auth/otp/code?method=EMAIL";
    assert_eq!(t.with_otp(Method::GET, path, &id_token, &codes[0], None).await.status, 200);
    t.clock.advance(shared::otp::RESEND_COOLDOWN_SECS + 1);
    let r = t.with_otp(Method::GET, path, &id_token, &codes[0], None).await;
    assert_eq!((r.status, error_code(&r)), (403, "OTP_INVALID"), "a used code");
    let used = events(&t, &id_token, "RECOVERY_CODE_USED").await;
    assert_eq!(used.len(), 1, "{used:?}");
    assert_eq!(
        (used[0]["details"]["remaining"].clone(), used[0]["details"]["for"].clone()),
        (json!(9), json!("OTP_PROOF"))
    );
    // A code proves a new set, which replaces the old one whole.
    let fresh = codes_of(&t.with_otp(Method::POST, SURFACE2, &id_token, &codes[1], Some(json!({}))).await);
    let r = t.with_otp(Method::POST, SURFACE2, &id_token, &codes[2], Some(json!({}))).await;
    assert_eq!((r.status, error_code(&r)), (403, "OTP_INVALID"), "a code of the replaced set");
    let (_, access) = t.session_tokens(EMAIL).await;
    assert_eq!(recovery_factor(&t, &access).await.unwrap()["remaining"], 10);
    assert_eq!(step_up_with(&t, &access, &fresh[0]).await.status, 204, "the set serves surface 1 too");
    assert_eq!(events(&t, &access, "RECOVERY_CODES_GENERATED").await.len(), 2);
}

async fn the_reset_removes_a_set_the_password_could_plant_and_keeps_the_owners(b: Backend) {
    let t = TestApp::new(b).await;
    // Planted: an account whose e-mail was never proven; whoever holds the password enrols an
    // SMS factor, steps up with it and generates codes. The owner's reset removes them.
    let (planter, planted) = with_codes(&t, EMAIL).await;
    let owner = reset(&t, EMAIL).await;
    assert!(recovery_factor(&t, &owner).await.is_none());
    let removed = events(&t, &owner, "FACTOR_REMOVED").await;
    assert!(
        removed
            .iter()
            .any(|e| e["details"]["type"] == "RECOVERY_CODES" && e["details"]["reason"] == "NOT_ANCHORED_TO_MAILBOX"),
        "{removed:?}"
    );
    let r = step_up_with(&t, &owner, &planted[0]).await;
    assert_eq!((r.status, error_code(&r)), (409, "CHANNEL_NOT_REGISTERED"), "a planted code proves nothing");
    assert_eq!(step_up_with(&t, &planter, &planted[1]).await.status, 401, "the planter's session ended");

    // The owner's: the e-mail verified, a step-up by it, codes generated under it (anchored to
    // the mailbox). A reset keeps them, and one steps the reset's session up.
    let owner_email = "owner@example.com";
    let (_, access) = t.tokens(owner_email).await;
    assert_eq!(t.post("/users/verification/email/send", None, json!({ "email": owner_email })).await.status, 204);
    let verify = json!({"email": owner_email, "verificationCode": "123456"});
    assert_eq!(t.post("/users/verification/email/verify", None, verify).await.status, 204);
    assert_eq!(t.post("/stepup/challenges/otp/EMAIL", Some(&access), json!({})).await.status, 204);
    let code = json!({"verificationCode": "123456"});
    assert_eq!(t.post("/stepup/challenges/otp/EMAIL/verify", Some(&access), code).await.status, 204);
    let kept = generate_recovery_codes(&t, &access).await;
    let after = reset(&t, owner_email).await;
    assert_eq!(recovery_factor(&t, &after).await.unwrap()["remaining"], 10);
    assert_eq!(step_up_with(&t, &after, &kept[0]).await.status, 204);
    // A set generated under that step-up (by an anchored set's code) is anchored in turn.
    let next = generate_recovery_codes(&t, &after).await;
    let again = reset_to(&t, owner_email, "maple kettle drumroll 57").await;
    assert_eq!(step_up_with(&t, &again, &next[0]).await.status, 204);

    // Surface 2: a set proven by a TOTP secret added with the password alone is removed with it.
    let s2 = "totp-planted@example.com";
    let (id_token, _) = t.id_tokens(s2).await;
    let secret = t.add_totp(&id_token).await;
    let code = t.totp_code(&secret, 0);
    assert_eq!(
        t.with_otp(Method::POST, "/auth/otp/code", &id_token, &code, Some(json!({"channel": "TOTP"}))).await.status,
        200
    );
    t.clock.advance(30);
    let planted =
        codes_of(&t.with_otp(Method::POST, SURFACE2, &id_token, t.totp_code(&secret, 0), Some(json!({}))).await);
    let owner = reset(&t, s2).await;
    assert!(recovery_factor(&t, &owner).await.is_none());
    let id_token = t.id_login(s2, NEW).await.body["idToken"].as_str().unwrap().to_owned();
    let r = t.with_otp(Method::POST, SURFACE2, &id_token, &planted[0], Some(json!({}))).await;
    assert_eq!(r.status, 403, "{}", r.body);
}

async fn the_password_alone_gains_no_codes_and_a_code_is_never_a_password(b: Backend) {
    let t = TestApp::new(b).await;
    let (owner, codes) = with_codes(&t, EMAIL).await;
    // Whoever holds the password: a session of their own, no step-up, no codes, on either surface.
    let (_, intruder) = t.session_tokens(EMAIL).await;
    let r = t.post(CODES, Some(&intruder), json!({})).await;
    assert_eq!((r.status, error_code(&r)), (409, "STEP_UP_REQUIRED"));
    let (id_token, _) = t.id_login_tokens(EMAIL).await;
    let r = t.post(SURFACE2, Some(&id_token), json!({})).await;
    assert_eq!((r.status, error_code(&r)), (403, "OTP_REQUIRED"));
    // A code is a second factor only: never a password, nor a reset's nonce, nor another factor's code.
    assert_eq!(t.login(EMAIL, &codes[0]).await.status, 403);
    assert_eq!(t.id_login(EMAIL, &codes[0]).await.status, 403);
    let body = json!({"email": EMAIL, "nonce": codes[0], "newPassword": {"value": NEW}});
    let r = t.post("/passwords/lost_password/resume", None, body).await;
    assert_eq!((r.status, error_code(&r)), (409, "NONCE_INVALID"));
    assert_eq!(t.post("/stepup/challenges/otp/SMS", Some(&owner), json!({})).await.status, 204);
    let r = t.post("/stepup/challenges/otp/SMS/verify", Some(&owner), json!({"verificationCode": codes[0]})).await;
    assert_eq!(r.status, 409, "{}", r.body);
    // Nothing above spent a code.
    assert_eq!(recovery_factor(&t, &owner).await.unwrap()["remaining"], 10);
    assert_eq!(t.login(EMAIL, PASSWORD).await.status, 200);
    // And enrolling a factor with the password alone is refused while codes remain, even after
    // the owner removed every other factor.
    assert_eq!(step_up_with(&t, &owner, &codes[0]).await.status, 204);
    assert_eq!(t.delete("/authentication_factors/otp/SMS", Some(&owner)).await.status, 204);
    let r = t.post("/authentication_factors/otp/SMS", Some(&intruder), json!({})).await;
    assert_eq!((r.status, error_code(&r)), (409, "STEP_UP_REQUIRED"));
    let r = t.post("/auth/otp/methods/totp", Some(&id_token), json!({})).await;
    assert_eq!((r.status, error_code(&r)), (403, "OTP_REQUIRED"));
    // The owner, down to codes, steps up with one: the way to enrol a new factor (as
    // recovery::with_a_code_the_owner_replaces_a_lost_factor does).
    assert_eq!(step_up_with(&t, &owner, &codes[1]).await.status, 204);
    assert_eq!(recovery_factor(&t, &owner).await.unwrap()["remaining"], 8);
}

on_both_stores!(
    surface_two_generates_on_proof_and_takes_a_code_as_x_otp_once,
    the_reset_removes_a_set_the_password_could_plant_and_keeps_the_owners,
    the_password_alone_gains_no_codes_and_a_code_is_never_a_password,
);
