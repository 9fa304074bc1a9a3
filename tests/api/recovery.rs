//! Recovery codes (issue 25), on both stores and both surfaces: generated only on proof of a
//! second factor, shown once and stored as keyed hashes, listed while any remain; each steps a
//! session up or proves a surface-2 change once, even when sent twice at once; a code of another
//! account or of a replaced set proves nothing; wrong codes lock; the lost-password reset keeps
//! a set generated with proof of the mailbox and removes one that was not; and with them the
//! owner of a lost factor removes it and enrols a new one. A code is a second factor only:
//! nothing takes one instead of the password.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use integration_tests::{
    Backend, PASSWORD, TestApp, at_once, enrol_sms, generate_recovery_codes, on_both_stores, step_up_by_sms,
};
use lambda_http::http::Method;
use serde_json::{Value, json};

const EMAIL: &str = "jane@example.com";
pub(crate) const CODES: &str = "/authentication_factors/recovery_codes";
const VERIFY: &str = "/stepup/challenges/recovery_code/verify";
pub(crate) const SURFACE2: &str = "/auth/otp/methods/recovery";

pub(crate) async fn step_up_with(t: &TestApp, access: &str, code: &str) -> integration_tests::Reply {
    t.post(VERIFY, Some(access), json!({ "verificationCode": code })).await
}

pub(crate) fn error_code(r: &integration_tests::Reply) -> &str {
    r.body["errorCode"].as_str().or(r.body["code"].as_str()).unwrap_or_default()
}

pub(crate) async fn events(t: &TestApp, access: &str, kind: &str) -> Vec<Value> {
    let all = t.get("/security_events?limit=100", Some(access)).await.body["events"].as_array().unwrap().clone();
    all.into_iter().filter(|e| e["type"] == kind).collect()
}

pub(crate) async fn recovery_factor(t: &TestApp, access: &str) -> Option<Value> {
    let factors = t.get("/authentication_factors", Some(access)).await.body["factors"].as_array().unwrap().clone();
    factors.into_iter().find(|f| f["type"] == "RECOVERY_CODES")
}

/// An account with an SMS factor, a stepped-up session and a fresh set; returns (ACCESS, codes).
pub(crate) async fn with_codes(t: &TestApp, email: &str) -> (String, Vec<String>) {
    let (_, access) = t.tokens(email).await;
    enrol_sms(t, &access).await;
    step_up_by_sms(t, &access).await;
    let codes = generate_recovery_codes(t, &access).await;
    (access, codes)
}

async fn codes_need_a_step_up_are_shown_once_hashed_and_step_up_once(b: Backend) {
    let t = TestApp::new(b).await;
    let (_, access) = t.tokens(EMAIL).await;
    // No second factor: nothing to step up with, so no codes (whoever holds the password alone).
    let r = t.post(CODES, Some(&access), json!({})).await;
    assert_eq!((r.status, error_code(&r)), (409, "STEP_UP_REQUIRED"));
    enrol_sms(&t, &access).await;
    let r = t.post(CODES, Some(&access), json!({})).await;
    assert_eq!((r.status, error_code(&r)), (409, "STEP_UP_REQUIRED"), "a factor, but no step-up");
    assert!(recovery_factor(&t, &access).await.is_none());
    step_up_by_sms(&t, &access).await;
    let mails = t.email.sent().len();
    let codes = generate_recovery_codes(&t, &access).await;
    assert_eq!(t.email.sent().len(), mails + 1, "announced by e-mail");
    assert_eq!(codes.len(), 10);
    let form = regex_lite(&codes);
    assert!(form, "xxxxx-xxxxx in Crockford's lower-case base 32: {codes:?}");
    let distinct: std::collections::BTreeSet<_> = codes.iter().collect();
    assert_eq!(distinct.len(), 10);
    // The step-up was spent by the generation.
    assert_eq!(t.post(CODES, Some(&access), json!({})).await.status, 409);
    let listed = recovery_factor(&t, &access).await.unwrap();
    assert_eq!(
        listed,
        json!({"type": "RECOVERY_CODES", "channel": "RECOVERY_CODES", "status": "ACTIVE", "remaining": 10})
    );
    // Stored as keyed hashes only: no code in the account's record.
    let user = t.app.store.get_user(EMAIL).await.unwrap().unwrap();
    let record = serde_json::to_string(&user).unwrap();
    for code in &codes {
        assert!(!record.contains(code.as_str()) && !record.contains(&code.replace('-', "")), "a code in clear");
    }
    // A code steps the session up, once; typed in upper case with spaces it is the same code.
    let typed = codes[0].to_uppercase().replace('-', " ");
    assert_eq!(step_up_with(&t, &access, &typed).await.status, 204);
    let again = step_up_with(&t, &access, &codes[0]).await;
    assert_eq!((again.status, error_code(&again)), (409, "VERIFICATION_CODE_INVALID"));
    assert_eq!(recovery_factor(&t, &access).await.unwrap()["remaining"], 9);
    let used = events(&t, &access, "RECOVERY_CODE_USED").await;
    assert_eq!(used.len(), 1, "{used:?}");
    assert_eq!(used[0]["details"]["remaining"], 9);
    let stepped = events(&t, &access, "STEP_UP_SUCCEEDED").await;
    assert!(stepped.iter().any(|e| e["details"]["channel"] == "RECOVERY_CODE"), "{stepped:?}");
    let generated = events(&t, &access, "RECOVERY_CODES_GENERATED").await;
    assert_eq!(generated.len(), 1);
    assert!(t.email.sent().last().unwrap().body.contains("recovery code was used"), "the use is announced");
    // The session is stepped up: a new set, which replaces the old one whole.
    let fresh = generate_recovery_codes(&t, &access).await;
    assert_eq!(recovery_factor(&t, &access).await.unwrap()["remaining"], 10);
    step_up_by_sms(&t, &access).await;
    let old = step_up_with(&t, &access, &codes[1]).await;
    assert_eq!((old.status, error_code(&old)), (409, "VERIFICATION_CODE_INVALID"), "a code of the replaced set");
    assert_eq!(step_up_with(&t, &access, &fresh[1]).await.status, 204);
}

/// Every code has the promised form.
fn regex_lite(codes: &[String]) -> bool {
    let alphabet = "0123456789abcdefghjkmnpqrstvwxyz";
    codes.iter().all(|c| {
        let (a, b) = c.split_once('-').unwrap_or_default();
        a.len() == 5 && b.len() == 5 && a.chars().chain(b.chars()).all(|ch| alphabet.contains(ch))
    })
}

async fn one_code_sent_many_times_at_once_works_once(b: Backend) {
    // The default threshold (5): the duplicates of a right code are not guesses, so eight of
    // them at once (a client retrying) must not lock the owner out.
    let t = Arc::new(TestApp::new(b).await);
    let (access, codes) = with_codes(&t, EMAIL).await;
    let (access, code) = (Arc::new(access), Arc::new(codes[3].clone()));
    let statuses = at_once(8, |_| {
        let (t, access, code) = (Arc::clone(&t), Arc::clone(&access), Arc::clone(&code));
        async move { step_up_with(&t, &access, &code).await.status }
    })
    .await;
    assert_eq!(statuses.iter().filter(|s| **s == 204).count(), 1, "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == 204 || *s == 409), "{statuses:?}");
    assert_eq!(recovery_factor(&t, &access).await.unwrap()["remaining"], 9);
    assert_eq!(events(&t, &access, "RECOVERY_CODE_USED").await.len(), 1);
    // Sent again later, the used code is refused, and still counts as no guess.
    for _ in 0..6 {
        assert_eq!(step_up_with(&t, &access, &code).await.status, 409);
    }
    assert_eq!(t.login(EMAIL, PASSWORD).await.status, 200, "the owner is not locked out");

    // Surface 2: one code in x-otp, twice at once: one proof.
    let (id_token, _) = t.id_login_tokens(EMAIL).await;
    let (id_token, code) = (Arc::new(id_token), Arc::new(codes[4].clone()));
    let statuses = at_once(6, |_| {
        let (t, id_token, code) = (Arc::clone(&t), Arc::clone(&id_token), Arc::clone(&code));
        async move { t.with_otp(Method::POST, SURFACE2, &id_token, code.as_str(), Some(json!({}))).await.status }
    })
    .await;
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == 200 || *s == 403), "{statuses:?}");
}

async fn codes_of_another_account_prove_nothing(b: Backend) {
    let t = TestApp::new(b).await;
    let (access, codes) = with_codes(&t, EMAIL).await;
    let (other, other_codes) = with_codes(&t, "mallory@example.com").await;
    for code in &other_codes[..2] {
        let r = step_up_with(&t, &access, code).await;
        assert_eq!((r.status, error_code(&r)), (409, "VERIFICATION_CODE_INVALID"));
    }
    let (id_token, _) = t.id_login_tokens(EMAIL).await;
    let r = t.with_otp(Method::POST, SURFACE2, &id_token, &other_codes[2], Some(json!({}))).await;
    assert_eq!((r.status, error_code(&r)), (403, "OTP_INVALID"));
    // Neither set lost a code to it.
    assert_eq!(recovery_factor(&t, &access).await.unwrap()["remaining"], 10);
    assert_eq!(recovery_factor(&t, &other).await.unwrap()["remaining"], 10);
    assert_eq!(step_up_with(&t, &access, &codes[0]).await.status, 204);
    // An account that never had a set: nothing to step up with.
    let (_, plain) = t.tokens("plain@example.com").await;
    let r = step_up_with(&t, &plain, &codes[1]).await;
    assert_eq!((r.status, error_code(&r)), (409, "CHANNEL_NOT_REGISTERED"));
}

async fn wrong_codes_lock_and_a_lock_refuses_the_right_one(b: Backend) {
    let t = TestApp::new(b).await;
    let (access, codes) = with_codes(&t, EMAIL).await;
    let threshold = t.app.config.lockout_threshold as usize;
    let mut statuses = Vec::new();
    for _ in 0..threshold {
        statuses.push(step_up_with(&t, &access, "zzzzz-zzzzz").await.status);
    }
    assert!(statuses[..threshold - 1].iter().all(|s| *s == 409), "{statuses:?}");
    assert_eq!(statuses[threshold - 1], 423, "{statuses:?}");
    let r = step_up_with(&t, &access, &codes[0]).await;
    assert_eq!(r.status, 423, "a right code while locked");
    assert_eq!(recovery_factor(&t, &access).await.unwrap()["remaining"], 10, "not spent while locked");
    let failed = events(&t, &access, "STEP_UP_FAILED").await;
    assert_eq!(failed.len(), threshold);
    assert!(
        failed
            .iter()
            .all(|e| e["details"]["channel"] == "RECOVERY_CODE" && e["details"]["check"] == "STEP_UP_RECOVERY_CODE")
    );
    // Surface 2's x-otp: locked alike.
    let (id_token, _) = {
        t.clock.advance(t.app.config.lockout_secs + 1);
        t.id_login_tokens(EMAIL).await
    };
    for _ in 0..threshold {
        let r = t.with_otp(Method::POST, SURFACE2, &id_token, "zzzzz-zzzzz", Some(json!({}))).await;
        statuses.push(r.status);
    }
    assert_eq!(statuses.last(), Some(&423), "{statuses:?}");
    let r = t.with_otp(Method::POST, SURFACE2, &id_token, &codes[0], Some(json!({}))).await;
    assert_eq!(r.status, 423);
}

async fn with_a_code_the_owner_replaces_a_lost_factor(b: Backend) {
    let t = TestApp::new(b).await;
    let (access, codes) = with_codes(&t, EMAIL).await;
    // The phone is lost: a code steps up, the SMS factor goes (the step-up spent).
    assert_eq!(step_up_with(&t, &access, &codes[0]).await.status, 204);
    assert_eq!(t.delete("/authentication_factors/otp/SMS", Some(&access)).await.status, 204);
    let factors = t.get("/authentication_factors", Some(&access)).await.body["factors"].clone();
    assert_eq!(factors.as_array().unwrap().len(), 1, "only the codes are left: {factors}");
    // The codes still guard the account: a new factor needs a step-up, by another code.
    let r = t.post("/authentication_factors/otp/SMS", Some(&access), json!({})).await;
    assert_eq!((r.status, error_code(&r)), (409, "STEP_UP_REQUIRED"));
    assert_eq!(step_up_with(&t, &access, &codes[1]).await.status, 204);
    assert_eq!(t.post("/authentication_factors/otp/SMS", Some(&access), json!({})).await.status, 204);
    let r =
        t.post("/authentication_factors/otp/SMS/verify", Some(&access), json!({"verificationCode": "123456"})).await;
    assert_eq!(r.status, 204, "{}", r.body);
    let factors = t.get("/authentication_factors", Some(&access)).await.body["factors"].clone();
    assert!(factors.as_array().unwrap().iter().any(|f| f["channel"] == "SMS" && f["status"] == "ACTIVE"), "{factors}");
    assert_eq!(recovery_factor(&t, &access).await.unwrap()["remaining"], 8);

    // Surface 2: the authenticator app is lost; a code removes it, once.
    let (id_token, _) = t.id_login_tokens(EMAIL).await;
    let secret = {
        let r = t.with_otp(Method::POST, "/auth/otp/methods/totp", &id_token, &codes[2], Some(json!({}))).await;
        assert_eq!(r.status, 200, "{}", r.body);
        r.body["totp"]["secret"].as_str().unwrap().to_owned()
    };
    let secret = totp_rs::Secret::try_from_base32(&secret).unwrap().as_ref().to_vec();
    let code = t.totp_code(&secret, 0);
    let r = t.with_otp(Method::POST, "/auth/otp/code", &id_token, &code, Some(json!({"channel": "TOTP"}))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = t.with_otp(Method::DELETE, "/auth/otp/methods/totp", &id_token, &codes[3], None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["hasValidatedSecret"], false);
    assert_eq!(recovery_factor(&t, &access).await.unwrap()["remaining"], 6);
}

on_both_stores!(
    codes_need_a_step_up_are_shown_once_hashed_and_step_up_once,
    one_code_sent_many_times_at_once_works_once,
    codes_of_another_account_prove_nothing,
    wrong_codes_lock_and_a_lock_refuses_the_right_one,
    with_a_code_the_owner_replaces_a_lost_factor,
);
