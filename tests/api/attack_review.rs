//! The outside attack review, replayed: each test is one finding's attack, written as the
//! reviewer ran it (plain requests; bursts over pre-opened sockets to a real local server where
//! it is a race), on both stores. Each failed on the code before the fix. docs/security.md's
//! table names them. Finding 12 (key material per function) is a template check: see
//! `template.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use integration_tests::{
    Backend, Device, PASSWORD, TestApp, burst, enrol_sms, on_both_stores, raw_request, step_up_by_push,
};
use lambda_http::http::Method;
use serde_json::{Value, json};
use shared::testing::{tallied, tallied_with_prefix};

const VICTIM: &str = "victim@example.com";

fn status_of(r: &integration_tests::Reply) -> (u16, Value) {
    (r.status, r.body.clone())
}

// ------------------------------------------------------------------ 1. factor changes

/// Finding 1, first path: a password-only ACCESS token removes the victim's push device and
/// enrols its own, then steps up with it.
async fn f01_password_alone_cannot_swap_the_push_device(b: Backend) {
    let t = TestApp::new(b).await;
    let (_, victim_access) = t.tokens(VICTIM).await;
    let victim_device = Device::new(1);
    let r = t.post("/authentication_factors/push/AUTHY", Some(&victim_access), victim_device.enrolment()).await;
    assert_eq!(r.status, 200, "the first factor needs only the password");
    // The attacker knows the password only.
    let auth = t.login(VICTIM, PASSWORD).await.body["token"].as_str().unwrap().to_owned();
    let access = t.access_token(&auth).await;
    let attacker = Device::new(66);
    let removed = t.delete("/authentication_factors/push/AUTHY", Some(&access)).await;
    assert_eq!(status_of(&removed), (409, json!({"errorCode": "STEP_UP_REQUIRED"})));
    let enrolled = t.post("/authentication_factors/push/BIOMETRIC", Some(&access), attacker.enrolment()).await;
    assert_eq!(status_of(&enrolled), (409, json!({"errorCode": "STEP_UP_REQUIRED"})));
    let sms = t.post("/authentication_factors/otp/SMS", Some(&access), json!({})).await;
    assert_eq!(status_of(&sms), (409, json!({"errorCode": "STEP_UP_REQUIRED"})));
    let factors = t.get("/authentication_factors", Some(&access)).await.body;
    assert_eq!(factors, json!({"factors": [{"type": "PUSH", "channel": "AUTHY", "status": "ACTIVE"}]}));
    // The owner, stepped up with the device they have, may change it; the change is announced
    // on the channels they had, and ends every step-up of the account.
    step_up_by_push(&t, &victim_access, "AUTHY", &victim_device).await;
    let before = (t.email.sent().len(), t.push.sent().len());
    let r = t.post("/authentication_factors/push/BIOMETRIC", Some(&victim_access), Device::new(2).enrolment()).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(t.email.sent().len(), before.0 + 1, "an e-mail notice");
    assert!(t.email.sent().last().unwrap().to == VICTIM);
    assert_eq!(t.push.sent().len(), before.1 + 1, "a notice to the device the account had");
    assert_eq!(t.push.sent().last().unwrap().payload["type"], "SECURITY_NOTICE");
    let removed = t.delete("/authentication_factors/push/AUTHY", Some(&victim_access)).await;
    assert_eq!(removed.body["errorCode"], "STEP_UP_REQUIRED", "the change ended the step-up");
}

/// Finding 1, second path: an idToken re-points the never-verified mobile, and surface 1 then
/// enrols SMS to it and steps up.
async fn f01_an_id_token_alone_cannot_repoint_the_phone(b: Backend) {
    let t = TestApp::new(b).await;
    let (_, victim_access) = t.tokens(VICTIM).await;
    assert_eq!(
        t.post("/authentication_factors/push/AUTHY", Some(&victim_access), Device::new(1).enrolment()).await.status,
        200
    );
    let id_token = t.id_login(VICTIM, PASSWORD).await.body["idToken"].as_str().unwrap().to_owned();
    let r = t.post("/auth/otp/methods/sms", Some(&id_token), json!({"phone": "07400 666666", "country": "GB"})).await;
    assert_eq!((r.status, r.body["code"].as_str()), (403, Some("OTP_REQUIRED")), "{}", r.body);
    let r = t
        .with_otp(
            Method::POST,
            "/auth/otp/methods/sms",
            &id_token,
            "123456",
            Some(json!({"phone": "07400 666666", "country": "GB"})),
        )
        .await;
    assert_eq!(r.body["code"], "OTP_INVALID", "a guessed code proves nothing");
    let r = t.post("/auth/otp/methods/totp", Some(&id_token), json!({})).await;
    assert_eq!(r.body["code"], "OTP_REQUIRED", "nor may it add an authenticator of its own");
    let profile = t.get("/auth/me", Some(&id_token)).await.body;
    assert_eq!(profile["phoneNumber"], "+44*******123", "the number is unchanged");
}

/// Finding 1 across surfaces: a method validated on surface 2 protects surface 1's factors,
/// and proving it with its code in `x-otp` allows the change.
async fn f01_a_surface_2_method_guards_surface_1_and_its_code_unlocks_changes(b: Backend) {
    let t = TestApp::new(b).await;
    let (id_token, _) = t.id_tokens(VICTIM).await;
    let secret = t.add_totp(&id_token).await;
    let code = t.totp_code(&secret, 0);
    let r = t.with_otp(Method::POST, "/auth/otp/code", &id_token, &code, Some(json!({"channel": "TOTP"}))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let auth = t.login(VICTIM, PASSWORD).await.body["token"].as_str().unwrap().to_owned();
    let access = t.access_token(&auth).await;
    let r = t.post("/authentication_factors/push/AUTHY", Some(&access), Device::new(9).enrolment()).await;
    assert_eq!(r.body["errorCode"], "STEP_UP_REQUIRED", "TOTP on surface 2 guards surface 1");
    // With the next TOTP code in x-otp, the owner may set a phone on surface 2.
    t.clock.advance(30);
    let code = t.totp_code(&secret, 0);
    let body = json!({"phone": "07400 123456", "country": "GB"});
    let r = t.with_otp(Method::POST, "/auth/otp/methods/sms", &id_token, &code, Some(body.clone())).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = t.with_otp(Method::POST, "/auth/otp/methods/sms", &id_token, &code, Some(body)).await;
    assert_eq!(r.body["code"], "OTP_INVALID", "a TOTP code proves once");
}

// ------------------------------------------------------------------ 2. lockout cannot be disabled

async fn f02_the_lockout_locks_again_after_a_failure_during_a_lock(b: Backend) {
    let t = TestApp::new(b).await;
    let (_, access) = t.tokens(VICTIM).await;
    enrol_sms(&t, &access).await;
    assert_eq!(t.post("/stepup/challenges/otp/SMS", Some(&access), json!({})).await.status, 204);
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(t.login(VICTIM, "wrong").await.status);
    }
    assert_eq!(statuses, [403, 403, 403, 403, 423]);
    let during =
        t.post("/stepup/challenges/otp/SMS/verify", Some(&access), json!({"verificationCode": "000000"})).await;
    assert_eq!(during.status, 423, "one mistyped step-up code during the lock");
    t.clock.advance(1800);
    for round in 0..3 {
        let mut statuses = Vec::new();
        for _ in 0..30 {
            statuses.push(t.login(VICTIM, "wrong").await.status);
            t.clock.advance(1);
        }
        assert_eq!(&statuses[..5], [403, 403, 403, 403, 423], "round {round}: {statuses:?}");
        assert!(statuses[5..].iter().all(|s| *s == 423), "round {round}: {statuses:?}");
        assert_eq!(t.login(VICTIM, PASSWORD).await.status, 423, "round {round}: the right password waits");
        t.clock.advance(1800);
    }
    assert_eq!(t.login(VICTIM, PASSWORD).await.status, 200);
}

// ------------------------------------------------------------------ 3. bursts past the lock

async fn f03_a_burst_verifies_at_most_threshold_hashes_and_the_right_password_is_locked_out(b: Backend) {
    let t = TestApp::new(b).await;
    t.register(VICTIM).await;
    let hash = t.app.store.get_user(VICTIM).await.unwrap().unwrap().password_hash;
    let addr = t.serve().await;
    let wrong = json!({"email": VICTIM, "password": {"value": "wrong"}});
    let answers =
        burst(addr, (0..50).map(|_| raw_request("POST", "/login_with_password", None, Some(&wrong))).collect()).await;
    let statuses: Vec<u16> = answers.iter().map(|(s, _)| *s).collect();
    assert!(statuses.iter().all(|s| *s == 403 || *s == 423), "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 403).count(), 4, "{statuses:?}");
    assert!(tallied(&format!("password:{hash}")) <= 5, "hashes verified: {}", tallied(&format!("password:{hash}")));
    let right = json!({"email": VICTIM, "password": {"value": PASSWORD}});
    let answers = burst(addr, vec![raw_request("POST", "/login_with_password", None, Some(&right))]).await;
    assert_eq!(answers[0].0, 423, "the right password after the threshold was reserved");
    assert!(tallied(&format!("password:{hash}")) <= 5, "no verification while locked");
}

async fn f03_a_burst_mixing_both_surfaces_shares_one_budget(b: Backend) {
    let t = TestApp::new(b).await;
    t.register(VICTIM).await;
    let hash = t.app.store.get_user(VICTIM).await.unwrap().unwrap().password_hash;
    let addr = t.serve().await;
    let s1 = json!({"email": VICTIM, "password": {"value": "wrong"}});
    let s2 = json!({"email": VICTIM, "password": "wrong"});
    let requests = (0..40)
        .map(|i| match i % 2 {
            0 => raw_request("POST", "/login_with_password", None, Some(&s1)),
            _ => raw_request("POST", "/auth/login", None, Some(&s2)),
        })
        .collect();
    let answers = burst(addr, requests).await;
    assert!(answers.iter().all(|(s, _)| *s == 403 || *s == 423), "{answers:?}");
    assert!(tallied(&format!("password:{hash}")) <= 5);
    assert_eq!(t.id_login(VICTIM, PASSWORD).await.status, 423);
}

// ------------------------------------------------------------------ 4. code tries are atomic

async fn burst_of_wrong_codes(b: Backend, threshold: u32, guesses: usize) {
    let t = TestApp::with_config(b, |c| c.lockout_threshold = threshold).await;
    let (_, access) = t.tokens(VICTIM).await;
    enrol_sms(&t, &access).await;
    let user_id = t.app.store.get_user(VICTIM).await.unwrap().unwrap().user_id;
    assert_eq!(t.post("/stepup/challenges/otp/SMS", Some(&access), json!({})).await.status, 204);
    let prefix = format!("code:{user_id}:STEPUP#");
    let compared_before = tallied_with_prefix(&prefix);
    let addr = t.serve().await;
    let wrong = json!({"verificationCode": "999999"});
    let requests =
        (0..guesses).map(|_| raw_request("POST", "/stepup/challenges/otp/SMS/verify", Some(&access), Some(&wrong)));
    let answers = burst(addr, requests.collect()).await;
    assert!(answers.iter().all(|(s, _)| *s == 409 || *s == 423), "{answers:?}");
    let compared = tallied_with_prefix(&prefix) - compared_before;
    assert!(compared <= 5, "{guesses} guesses at once: {compared} compared");
    // Once they have all answered, the right code is refused: the challenge is dead.
    let right = t.post("/stepup/challenges/otp/SMS/verify", Some(&access), json!({"verificationCode": "123456"})).await;
    assert!(right.status == 423 || right.body["errorCode"] == "CHALLENGE_LIMIT_EXCEEDED", "{}", right.body);
    if threshold <= 5 {
        // Five wrong codes reached the lockout threshold too: the account is locked.
        assert_eq!(right.status, 423, "{}", right.body);
        assert_eq!(t.login(VICTIM, PASSWORD).await.status, 423);
    }
}

async fn f04_forty_concurrent_code_guesses_compare_at_most_five(b: Backend) {
    burst_of_wrong_codes(b, 1000, 40).await;
}

async fn f04_eighty_concurrent_code_guesses_compare_at_most_five(b: Backend) {
    burst_of_wrong_codes(b, 1000, 80).await;
}

async fn f04_with_the_lockout_on_a_burst_also_locks_the_account(b: Backend) {
    burst_of_wrong_codes(b, 5, 40).await;
}

// ------------------------------------------------------------------ 5. strangers' SMS budgets

async fn f05_a_stranger_cannot_block_the_owners_otp_step_up(b: Backend) {
    let t = TestApp::with_config(b, |c| c.rate_limit.sms_per_ip_per_hour = 1000).await;
    t.align_clock(3_600);
    let (_, victim) = t.tokens(VICTIM).await;
    enrol_sms(&t, &victim).await;
    // The attacker registers with the victim's number and asks for codes: first as fast as
    // possible (the cooldown answers, no budget is spent), then once per cooldown.
    let (_, attacker) = t.tokens("attacker@example.com").await;
    let mut statuses = Vec::new();
    for _ in 0..10 {
        statuses.push(t.post("/authentication_factors/otp/SMS", Some(&attacker), json!({})).await.status);
    }
    assert_eq!(statuses.iter().filter(|s| **s == 204).count(), 1, "{statuses:?}");
    // Past the per-minute budget too, so what answers below is the number's own budget.
    for _ in 0..6 {
        t.clock.advance(61);
        t.post("/authentication_factors/otp/SMS", Some(&attacker), json!({})).await;
    }
    t.clock.advance(61);
    let r = t.post("/authentication_factors/otp/SMS", Some(&attacker), json!({})).await;
    assert_eq!(r.status, 429, "the attacker's own budget for the number ran out: {}", r.body);
    let auth = t.login(VICTIM, PASSWORD).await.body["token"].as_str().unwrap().to_owned();
    let victim = t.access_token(&auth).await;
    let r = t.post("/stepup/challenges/otp/SMS", Some(&victim), json!({})).await;
    assert_eq!(r.status, 204, "the owner's step-up is not refused: {}", r.body);
}

// ------------------------------------------------------------------ 6. SMS pumping

async fn f06_premium_unknown_and_foreign_destinations_are_refused(b: Backend) {
    let t = TestApp::with_config(b, |c| c.sms_countries = vec!["GB".into()]).await;
    for (cc, number) in [("+999", "0000"), ("+882", "160000001"), ("+44", "9098790000"), ("+34", "612345678")] {
        let body = json!({"email": format!("p{number}@example.com"), "password": {"value": PASSWORD}, "name": "P",
            "mobile": {"countryCode": cc, "number": number}});
        let r = t.post("/users", None, body).await;
        assert_eq!(r.status, 400, "{cc} {number}: {}", r.body);
    }
    let (id_token, _) = t.id_tokens(VICTIM).await;
    for (phone, country, code) in [
        ("09098790000", "GB", "INVALID_PHONE"),
        ("0800 123 4567", "GB", "INVALID_PHONE"),
        ("612345678", "ES", "COUNTRY_NOT_SUPPORTED"),
    ] {
        let r = t.post("/auth/otp/methods/sms", Some(&id_token), json!({"phone": phone, "country": country})).await;
        assert_eq!((r.status, r.body["code"].as_str()), (400, Some(code)), "{phone}");
    }
    assert!(t.sms.sent().is_empty(), "no SMS left the service");
}

async fn f06_sms_volume_is_capped_per_ip_and_for_the_whole_service(b: Backend) {
    let t = TestApp::with_config(b, |c| {
        c.rate_limit.sms_per_ip_per_hour = 3;
        c.rate_limit.sms_global_per_day = 1000;
    })
    .await;
    t.align_clock(3_600);
    let mut statuses = Vec::new();
    for i in 0..5 {
        let (_, access) = t.tokens(&format!("pump{i}@example.com")).await;
        statuses.push(t.post("/authentication_factors/otp/SMS", Some(&access), json!({})).await);
    }
    assert_eq!(statuses.iter().map(|r| r.status).collect::<Vec<_>>(), [204, 204, 204, 429, 429]);
    assert!(statuses[3].header("retry-after").is_some());
    let t = TestApp::with_config(b, |c| c.rate_limit.sms_global_per_day = 2).await;
    t.align_clock(86_400);
    let mut statuses = Vec::new();
    for i in 0..3 {
        let (_, access) = t.tokens(&format!("pump{i}@example.com")).await;
        statuses.push(t.post("/authentication_factors/otp/SMS", Some(&access), json!({})).await.status);
    }
    assert_eq!(statuses, [204, 204, 429]);
}

// ------------------------------------------------------------------ 7. blocked accounts

async fn f07_a_blocked_account_is_refused_wherever_its_tokens_are_used(b: Backend) {
    let t = TestApp::new(b).await;
    let (auth, access) = t.tokens(VICTIM).await;
    let login = t.id_login(VICTIM, PASSWORD).await;
    let (id_token, refresh) =
        (login.body["idToken"].as_str().unwrap().to_owned(), login.body["refreshToken"].as_str().unwrap().to_owned());
    // As the reviewer did: the flag set on the account record, nothing else.
    let mut user = t.app.store.get_user(VICTIM).await.unwrap().unwrap();
    user.blocked = true;
    t.app.store.update_user(&user, &[]).await.unwrap();
    let identity = json!({"identity": {"type": "CONSUMER", "id": "1"}});
    assert_eq!(t.get("/identities", Some(&auth)).await.status, 403);
    assert_eq!(t.post("/access_token", Some(&auth), identity).await.status, 403);
    assert_eq!(t.get("/authentication_factors", Some(&access)).await.status, 403);
    assert_eq!(t.get("/auth/me", Some(&id_token)).await.status, 403);
    assert_eq!(t.post("/auth/login/refresh", None, json!({"refreshToken": refresh})).await.status, 403);
    assert_eq!(t.login(VICTIM, PASSWORD).await.status, 403);
    // Blocking through the operation ends every session: even what reads no account refuses.
    let (auth2, access2) = t.tokens("other@example.com").await;
    shared::app::accounts::set_blocked(&t.app, "other@example.com", true).await.unwrap();
    assert_eq!(t.get("/identities", Some(&auth2)).await.status, 401);
    let event = json!({"headers": {"authorization": format!("Bearer {access2}")}, "methodArn": "arn:x"});
    let decision = shared::api::authorizer::decide(&t.app, &event).await.unwrap();
    assert_eq!(decision["policyDocument"]["Statement"][0]["Effect"], "Deny");
    shared::app::accounts::set_blocked(&t.app, "other@example.com", false).await.unwrap();
    assert_eq!(t.login("other@example.com", PASSWORD).await.status, 200, "unblocking lets the owner back in");
    assert_eq!(t.get("/identities", Some(&auth2)).await.status, 401, "but revoked sessions stay ended");
}

// ------------------------------------------------------------------ 8. logout after idling

async fn f08_logout_ends_an_idled_out_session_and_its_access_tokens(b: Backend) {
    let t = TestApp::with_config(b, |c| c.idle_timeout_secs = 3).await;
    let (auth, access) = t.tokens(VICTIM).await;
    for _ in 0..4 {
        t.clock.advance(1);
        assert_eq!(t.get("/authentication_factors", Some(&access)).await.status, 200);
    }
    assert_eq!(t.get("/identities", Some(&auth)).await.status, 401, "the AUTH token has idled out");
    assert_eq!(t.post("/logout", Some(&auth), json!({})).await.status, 204);
    assert_eq!(t.get("/authentication_factors", Some(&access)).await.status, 401, "its ACCESS token ended with it");
    assert_eq!(t.post("/logout", Some(&auth), json!({})).await.status, 401, "once");
}

// ------------------------------------------------------------------ 9. codes during a lock

async fn f09_no_code_of_any_kind_is_checked_while_locked(b: Backend) {
    let t = TestApp::new(b).await;
    let (id_token, _) = t.id_tokens(VICTIM).await;
    let secret = t.add_totp(&id_token).await;
    let user_id = t.app.store.get_user(VICTIM).await.unwrap().unwrap().user_id;
    for _ in 0..5 {
        t.login(VICTIM, "wrong").await;
    }
    let before = tallied(&format!("totp:{user_id}"));
    let wrong = if t.totp_code(&secret, 0) == "000000" { "111111" } else { "000000" };
    for _ in 0..25 {
        let r = t.with_otp(Method::POST, "/auth/otp/code", &id_token, wrong, Some(json!({"channel": "TOTP"}))).await;
        assert_eq!((r.status, r.body["code"].as_str()), (423, Some("ACCOUNT_LOCKED")));
    }
    let right = t.totp_code(&secret, 0);
    let r = t.with_otp(Method::POST, "/auth/otp/code", &id_token, &right, Some(json!({"channel": "TOTP"}))).await;
    assert_eq!(r.status, 423);
    assert_eq!(tallied(&format!("totp:{user_id}")), before, "no TOTP code was compared during the lock");
    let r = t.get("/auth/otp/code?method=EMAIL", Some(&id_token)).await;
    assert_eq!(r.status, 200, "sending is not a check");
    let r = t.with_otp(Method::POST, "/auth/otp/code", &id_token, "123456", Some(json!({"channel": "EMAIL"}))).await;
    assert_eq!(r.status, 423, "nor is an e-mail code checked");
}

async fn f09_totp_checks_have_their_own_budget_that_a_login_does_not_reset(b: Backend) {
    let t = TestApp::with_config(b, |c| c.lockout_threshold = 1000).await;
    t.align_clock(1_800);
    let (id_token, _) = t.id_tokens(VICTIM).await;
    let secret = t.add_totp(&id_token).await;
    let wrong = if t.totp_code(&secret, 0) == "000000" { "111111" } else { "000000" };
    // Each check from a fresh login: the logins that proved nothing beyond the password share
    // the account's budget less its reserve.
    let limit = shared::app::limits::TOTP_CHECKS_PER_WINDOW;
    let unproven = limit - shared::app::limits::shares(limit).1;
    let _ = id_token;
    for i in 0..unproven {
        let id_token = t.id_login_tokens(VICTIM).await.0;
        let r = t.with_otp(Method::POST, "/auth/otp/code", &id_token, wrong, Some(json!({"channel": "TOTP"}))).await;
        assert_eq!(r.status, 400, "check {i}");
    }
    let id_token = t.id_login_tokens(VICTIM).await.0;
    let right = t.totp_code(&secret, 0);
    let r = t.with_otp(Method::POST, "/auth/otp/code", &id_token, &right, Some(json!({"channel": "TOTP"}))).await;
    assert_eq!(r.status, 429, "{}", r.body);
}

// ------------------------------------------------------------------ 10. push budget and context

async fn f10_pushes_are_budgeted_per_account_and_say_who_asked(b: Backend) {
    let t = TestApp::new(b).await;
    t.align_clock(600);
    let (_, access) = t.tokens(VICTIM).await;
    let device = Device::new(4);
    assert_eq!(t.post("/authentication_factors/push/AUTHY", Some(&access), device.enrolment()).await.status, 200);
    let mut statuses = Vec::new();
    for _ in 0..6 {
        let auth = t.login(VICTIM, PASSWORD).await.body["token"].as_str().unwrap().to_owned();
        let other = t.access_token(&auth).await;
        statuses.push(t.post("/stepup/challenges/push/AUTHY", Some(&other), json!({})).await.status);
    }
    // Five per account: logins that proved nothing beyond the password share four of them (one
    // is the reserve of a proven login).
    assert_eq!(statuses, [200, 200, 200, 200, 429, 429]);
    let pushed = t.push.sent().last().unwrap().payload.clone();
    assert_eq!(pushed["userAgent"], "integration-tests/1.0", "{pushed}");
    assert!(pushed["sourceIp"].is_string() && pushed["requestedAt"].is_i64(), "{pushed}");
}

async fn f10_a_password_change_ends_every_step_up(b: Backend) {
    let t = TestApp::new(b).await;
    let (auth, access) = t.tokens(VICTIM).await;
    let device = Device::new(4);
    assert_eq!(t.post("/authentication_factors/push/AUTHY", Some(&access), device.enrolment()).await.status, 200);
    step_up_by_push(&t, &access, "AUTHY", &device).await;
    let identity = t.get("/identities", Some(&auth)).await.body[0]["id"].clone();
    let grant = json!({"identity": identity});
    assert_eq!(t.post("/access_token", Some(&auth), grant.clone()).await.body["status"], "STEPPED_UP");
    let change = json!({"oldPassword": {"value": PASSWORD}, "newPassword": {"value": "violet tugboat harmonica 42"}});
    let changed = t.post("/passwords/update", Some(&access), change).await;
    assert_eq!(changed.status, 200);
    // The stepped-up session ended with the change, the caller's own included; the session the
    // answer opens starts without a step-up.
    assert_eq!(t.post("/access_token", Some(&auth), grant.clone()).await.status, 401);
    assert_eq!(t.get("/authentication_factors", Some(&access)).await.status, 401);
    let fresh = changed.body["token"].as_str().unwrap();
    assert_eq!(t.post("/access_token", Some(fresh), grant).await.body["status"], "STANDARD");
}

// ------------------------------------------------------------------ 11. e-mail

async fn f11_id_tokens_carry_email_verified_and_email_codes_are_budgeted(b: Backend) {
    let t = TestApp::new(b).await;
    t.align_clock(86_400);
    let (id_token, _) = t.id_tokens(VICTIM).await;
    let claims = |token: &str| -> Value {
        let payload = token.split('.').nth(1).unwrap();
        serde_json::from_slice(&shared::crypto::b64url_decode(payload).unwrap()).unwrap()
    };
    assert_eq!(claims(&id_token)["email_verified"], false);
    assert_eq!(t.get("/auth/otp/code?method=EMAIL", Some(&id_token)).await.status, 200);
    let r = t.with_otp(Method::POST, "/auth/otp/code", &id_token, "123456", Some(json!({"channel": "EMAIL"}))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let fresh = t.id_login(VICTIM, PASSWORD).await.body["idToken"].as_str().unwrap().to_owned();
    assert_eq!(claims(&fresh)["email_verified"], true);
    // A third party's address: at most the daily budget of codes, however patient the sender.
    let (other, _) = t.id_tokens("third.party@example.com").await;
    let mut statuses = Vec::new();
    for _ in 0..12 {
        t.clock.advance(16);
        statuses.push(t.get("/auth/otp/code?method=EMAIL", Some(&other)).await.status);
        t.clock.advance(45);
    }
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 10, "{statuses:?}");
    assert!(statuses[10..].iter().all(|s| *s == 429), "{statuses:?}");
}

// ------------------------------------------------------------------ 13. password change atomic

async fn f13_a_password_change_failing_midway_leaves_no_old_session_usable_after_it(b: Backend) {
    // The store fails from the n-th call of the change on, for every n until the change goes
    // through whole: whatever broke, either the password did not change, or no session opened
    // before the change works after it answered.
    for n in 0.. {
        let t = Arc::new(TestApp::new(b).await);
        let (_, access) = t.tokens(VICTIM).await;
        let mut others = Vec::new();
        for _ in 0..3 {
            others.push(t.login(VICTIM, PASSWORD).await.body["token"].as_str().unwrap().to_owned());
        }
        let change =
            json!({"oldPassword": {"value": PASSWORD}, "newPassword": {"value": "violet tugboat harmonica 42"}});
        t.probe.fail_after_calls(n);
        let r = t.post("/passwords/update", Some(&access), change).await;
        t.probe.heal();
        let changed = t.login(VICTIM, PASSWORD).await.status != 200;
        if changed {
            for token in &others {
                assert_eq!(
                    t.get("/identities", Some(token)).await.status,
                    401,
                    "store failing at call {n}: {}",
                    r.body
                );
            }
        } else {
            assert_ne!(r.status, 200, "the change answered success but did not happen");
        }
        if r.status == 200 {
            assert!(n > 3, "the sweep reached past the revocations");
            break;
        }
        assert_eq!(r.status, 503, "call {n}: {}", r.body);
    }
}

// ------------------------------------------------------------------ second review
// A fresh-eye review of the fixes above, against the running local-api, found these; each
// test is its attack.

/// R1: an enrolment started while the account had no factor, finished after the owner
/// secured it, would hand the password holder a second factor.
async fn r1_an_enrolment_started_without_proof_cannot_be_finished_once_the_account_is_secured(b: Backend) {
    let t = TestApp::new(b).await;
    let (attacker, _) = t.id_tokens(VICTIM).await;
    let secret = t.add_totp(&attacker).await;
    let r = t.post("/auth/otp/methods/sms", Some(&attacker), json!({"phone": "07400 666666", "country": "GB"})).await;
    assert_eq!(r.status, 200, "no factor yet: the password alone may start one");
    // The owner validates their e-mail: the account now has a second factor.
    let owner = t.id_login(VICTIM, PASSWORD).await.body["idToken"].as_str().unwrap().to_owned();
    t.clock.advance(16);
    assert_eq!(t.get("/auth/otp/code?method=EMAIL", Some(&owner)).await.status, 200);
    let r = t.with_otp(Method::POST, "/auth/otp/code", &owner, "123456", Some(json!({"channel": "EMAIL"}))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let totp = t.totp_code(&secret, 0);
    let r = t.with_otp(Method::POST, "/auth/otp/code", &attacker, &totp, Some(json!({"channel": "TOTP"}))).await;
    assert_eq!((r.status, r.body["code"].as_str()), (400, Some("METHOD_NOT_CONFIGURED")), "{}", r.body);
    t.clock.advance(16);
    let r = t.get("/auth/otp/code?method=SMS", Some(&attacker)).await;
    assert_eq!((r.status, r.body["code"].as_str()), (403, Some("OTP_REQUIRED")), "a new validation code needs proof");
    let r = t.with_otp(Method::POST, "/auth/otp/code", &attacker, "123456", Some(json!({"channel": "SMS"}))).await;
    assert_eq!((r.status, r.body["code"].as_str()), (400, Some("METHOD_NOT_CONFIGURED")), "{}", r.body);
    let profile = t.get("/auth/me", Some(&owner)).await.body;
    assert_eq!(
        (profile["hasValidatedSecret"].as_bool(), profile["hasValidatedPhone"].as_bool()),
        (Some(false), Some(false))
    );
}

/// R2: a phone validated with a code that went to another number.
async fn r2_a_number_is_validated_only_by_a_code_sent_to_it(b: Backend) {
    let t = TestApp::new(b).await;
    let (id_token, _) = t.id_tokens(VICTIM).await;
    let a = json!({"phone": "07400 111111", "country": "GB"});
    let b_number = json!({"phone": "07400 999999", "country": "GB"});
    assert_eq!(t.post("/auth/otp/methods/sms", Some(&id_token), a).await.status, 200);
    let r = t.post("/auth/otp/methods/sms", Some(&id_token), b_number).await;
    assert_eq!(r.status, 429, "within the cooldown, before anything changes");
    assert_eq!(t.get("/auth/me", Some(&id_token)).await.body["phoneNumber"], "+44*******111");
    let sent: Vec<String> = t.sms.sent().into_iter().map(|m| m.to).collect();
    assert!(!sent.iter().any(|to| to.ends_with("999999")), "{sent:?}");
    let r = t.with_otp(Method::POST, "/auth/otp/code", &id_token, "123456", Some(json!({"channel": "SMS"}))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["phoneNumber"], "+44*******111", "the number the code went to");
}

/// R4: one step-up, two changes at once (DynamoDB let both through).
async fn r4_one_step_up_pays_for_one_change_however_many_race(b: Backend) {
    for round in 0..3 {
        let t = TestApp::new(b).await;
        let (_, access) = t.tokens(VICTIM).await;
        enrol_sms(&t, &access).await;
        let addr = t.serve().await;
        assert_eq!(t.post("/stepup/challenges/otp/SMS", Some(&access), json!({})).await.status, 204);
        let r = t.post("/stepup/challenges/otp/SMS/verify", Some(&access), json!({"verificationCode": "123456"})).await;
        assert_eq!(r.status, 204, "round {round}: {}", r.body);
        let (d1, d2) = (Device::new(10 + round), Device::new(20 + round));
        let requests = vec![
            raw_request("POST", "/authentication_factors/push/AUTHY", Some(&access), Some(&d1.enrolment())),
            raw_request("POST", "/authentication_factors/push/BIOMETRIC", Some(&access), Some(&d2.enrolment())),
        ];
        let answers = burst(addr, requests).await;
        assert_eq!(answers.iter().filter(|(s, _)| *s == 200).count(), 1, "round {round}: {answers:?}");
        let factors = t.get("/authentication_factors", Some(&access)).await.body;
        assert_eq!(factors["factors"].as_array().unwrap().len(), 2, "SMS and one device: {factors}");
    }
}

/// R5: security notices as SMS escaped every SMS budget.
async fn r5_security_notices_cost_no_sms(b: Backend) {
    let t = TestApp::new(b).await;
    let (_, access) = t.tokens(VICTIM).await;
    enrol_sms(&t, &access).await;
    let (sms, mail) = (t.sms.sent().len(), t.email.sent().len());
    let device = Device::new(3);
    assert_eq!(t.post("/stepup/challenges/otp/SMS", Some(&access), json!({})).await.status, 204);
    t.post("/stepup/challenges/otp/SMS/verify", Some(&access), json!({"verificationCode": "123456"})).await;
    assert_eq!(t.post("/authentication_factors/push/AUTHY", Some(&access), device.enrolment()).await.status, 200);
    assert_eq!(t.sms.sent().len(), sms + 1, "only the step-up code went by SMS");
    assert_eq!(t.email.sent().len(), mail + 1, "the notice went by e-mail");
}

/// R6: fixed windows let twice a budget through around a boundary.
async fn r6_push_and_totp_budgets_hold_across_a_window_boundary(b: Backend) {
    let t = TestApp::with_config(b, |c| c.lockout_threshold = 1000).await;
    t.align_clock(600);
    t.clock.advance(600 - 8);
    let (_, access) = t.tokens(VICTIM).await;
    assert_eq!(
        t.post("/authentication_factors/push/AUTHY", Some(&access), Device::new(4).enrolment()).await.status,
        200
    );
    let mut statuses = Vec::new();
    for i in 0..10 {
        if i == 5 {
            t.clock.advance(4); // into the next 10-minute window
        }
        let auth = t.login(VICTIM, PASSWORD).await.body["token"].as_str().unwrap().to_owned();
        let other = t.access_token(&auth).await;
        statuses.push(t.post("/stepup/challenges/push/AUTHY", Some(&other), json!({})).await.status);
    }
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 4, "the unproven logins' part: {statuses:?}");
    // TOTP: ten checks at the end of one window, then the next one starts.
    let (id_token, _) = t.id_tokens("totp@example.com").await;
    let secret = t.add_totp(&id_token).await;
    t.align_clock(1_800);
    t.clock.advance(1_800 - 20);
    let wrong = if t.totp_code(&secret, 0) == "000000" { "111111" } else { "000000" };
    for _ in 0..shared::app::limits::TOTP_CHECKS_PER_WINDOW {
        let id_token = t.id_login("totp@example.com", PASSWORD).await.body["idToken"].as_str().unwrap().to_owned();
        t.with_otp(Method::POST, "/auth/otp/code", &id_token, wrong, Some(json!({"channel": "TOTP"}))).await;
    }
    t.clock.advance(25);
    let id_token = t.id_login("totp@example.com", PASSWORD).await.body["idToken"].as_str().unwrap().to_owned();
    let r = t.with_otp(Method::POST, "/auth/otp/code", &id_token, wrong, Some(json!({"channel": "TOTP"}))).await;
    assert_eq!(r.status, 429, "{}", r.body);
}

/// Minor: step-up codes from several sessions at once sent several SMS to one phone; a send
/// refused by one budget spent the others.
async fn r7_one_sms_per_account_at_once_and_budgets_charged_all_or_none(b: Backend) {
    let t = TestApp::with_config(b, |c| c.rate_limit.sms_per_ip_per_hour = 4).await;
    t.align_clock(3_600);
    let (_, access) = t.tokens(VICTIM).await;
    enrol_sms(&t, &access).await;
    let mut sessions = Vec::new();
    for _ in 0..4 {
        let auth = t.login(VICTIM, PASSWORD).await.body["token"].as_str().unwrap().to_owned();
        sessions.push(t.access_token(&auth).await);
    }
    let before = t.sms.sent().len();
    let addr = t.serve().await;
    let requests =
        sessions.iter().map(|a| raw_request("POST", "/stepup/challenges/otp/SMS", Some(a), Some(&json!({})))).collect();
    let answers = burst(addr, requests).await;
    assert!(t.sms.sent().len() - before <= 2, "a burst from four sessions: {answers:?}");
    // Exhaust the per-IP budget from other accounts; a refused send spends none of the others.
    let user_id = t.app.store.get_user(VICTIM).await.unwrap().unwrap().user_id;
    let day_key = format!("sms-user:{user_id}");
    let day_end = (t.clock_now().div_euclid(86_400) + 1) * 86_400;
    for i in 0..4 {
        let (_, other) = t.tokens(&format!("other{i}@example.com")).await;
        t.post("/authentication_factors/otp/SMS", Some(&other), json!({})).await;
    }
    let spent_before = t.app.store.get_rate_counter(&day_key, day_end).await.unwrap();
    t.clock.advance(16);
    let r = t.post("/stepup/challenges/otp/SMS", Some(&sessions[0]), json!({})).await;
    assert_eq!(r.status, 429, "{}", r.body);
    assert_eq!(t.app.store.get_rate_counter(&day_key, day_end).await.unwrap(), spent_before, "nothing charged");
}

// ------------------------------------------------------------------ third review
// A second fresh-eye review, of the fixes above, found these.

/// S1: the password and the mailbox validated the e-mail past the owner's TOTP, which then
/// proved every other change.
async fn s1_the_mailbox_alone_cannot_add_a_method_past_a_totp(b: Backend) {
    let t = TestApp::new(b).await;
    let (owner, _) = t.id_tokens(VICTIM).await;
    // A validation code asked for while the account still had no second factor...
    assert_eq!(t.get("/auth/otp/code?method=EMAIL", Some(&owner)).await.status, 200);
    let secret = t.add_totp(&owner).await;
    let code = t.totp_code(&secret, 0);
    let r = t.with_otp(Method::POST, "/auth/otp/code", &owner, &code, Some(json!({"channel": "TOTP"}))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    // ...proves nothing once it has one.
    let attacker = t.id_login(VICTIM, PASSWORD).await.body["idToken"].as_str().unwrap().to_owned();
    let r = t.with_otp(Method::POST, "/auth/otp/code", &attacker, "123456", Some(json!({"channel": "EMAIL"}))).await;
    assert_eq!(r.status, 400, "{}", r.body);
    t.clock.advance(16);
    let r = t.get("/auth/otp/code?method=EMAIL", Some(&attacker)).await;
    assert_eq!((r.status, r.body["code"].as_str()), (403, Some("OTP_REQUIRED")), "{}", r.body);
    assert_eq!(t.get("/auth/me", Some(&owner)).await.body["hasValidatedEmail"], false);
    // The owner, with the next TOTP code, may.
    t.clock.advance(30);
    let code = t.totp_code(&secret, 0);
    let r = t.with_otp(Method::GET, "/auth/otp/code?method=EMAIL", &owner, &code, None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = t.with_otp(Method::POST, "/auth/otp/code", &owner, "123456", Some(json!({"channel": "EMAIL"}))).await;
    assert_eq!((r.status, r.body["hasValidatedEmail"].as_bool()), (200, Some(true)), "{}", r.body);
}

/// S2: security notices escaped the e-mail budget, to an address nobody proved; and (third
/// review) a budget for notices alone let a password holder burn it and then change factors
/// unannounced. Changes wait while their notice cannot go out.
async fn s2_security_notices_are_bounded_per_address_and_no_change_is_silent(b: Backend) {
    let t = TestApp::with_config(b, |c| {
        c.rate_limit.push_per_account_per_10_minutes = 1000;
        c.rate_limit.email_per_address_per_day = 3;
    })
    .await;
    t.align_clock(86_400);
    let (_, access) = t.tokens("someone.else@example.com").await;
    let device = Device::new(8);
    let mut landed = 0;
    for _ in 0..5 {
        let r = t.post("/authentication_factors/push/AUTHY", Some(&access), device.enrolment()).await;
        if r.status == 429 {
            break;
        }
        assert_eq!(r.status, 200, "{}", r.body);
        landed += 1;
        step_up_by_push(&t, &access, "AUTHY", &device).await;
        let r = t.delete("/authentication_factors/push/AUTHY", Some(&access)).await;
        if r.status == 429 {
            break;
        }
        assert_eq!(r.status, 204, "{}", r.body);
        landed += 1;
    }
    let notices = t.email.sent().iter().filter(|m| m.subject == "Security notice").count();
    assert_eq!((landed, notices), (3, 3), "every change that landed was announced, and then changes waited");
    let factors = t.get("/authentication_factors", Some(&access)).await.body;
    assert_eq!(factors["factors"].as_array().unwrap().len(), 1, "the refused removal changed nothing: {factors}");
}

/// S3: a sliding estimate let almost twice a budget through within one window's span.
async fn s3_a_budget_never_holds_more_than_its_limit_in_any_window_span(b: Backend) {
    let t = TestApp::with_config(b, |c| {
        c.lockout_threshold = 1000;
        c.lockout_secs = 20;
    })
    .await;
    t.align_clock(20);
    let (id_token, _) = t.id_tokens(VICTIM).await;
    let secret = t.add_totp(&id_token).await;
    let wrong = if t.totp_code(&secret, 0) == "000000" { "111111" } else { "000000" };
    t.align_clock(20);
    t.clock.advance(18);
    let mut checked = Vec::new();
    for step in 0..60 {
        let r = t.with_otp(Method::DELETE, "/auth/otp/methods/totp", &id_token, wrong, None).await;
        if r.status == 400 {
            checked.push(t.clock_now());
        }
        if step >= 10 {
            t.clock.advance(1);
        }
    }
    for (i, at) in checked.iter().enumerate() {
        let within = checked[i..].iter().take_while(|later| **later - at < 20).count();
        assert!(within <= 10, "{within} checks within 20 s from {at}: {checked:?}");
    }
}

/// S4: two SMS to one account a fraction of a second apart, across a window's edge.
async fn s4_one_sms_per_account_per_cooldown_exactly(b: Backend) {
    let t = TestApp::new(b).await;
    let (_, access) = t.tokens(VICTIM).await;
    enrol_sms(&t, &access).await;
    let auth = t.login(VICTIM, PASSWORD).await.body["token"].as_str().unwrap().to_owned();
    let other = t.access_token(&auth).await;
    t.align_clock(15);
    t.clock.advance(13);
    assert_eq!(t.post("/stepup/challenges/otp/SMS", Some(&access), json!({})).await.status, 204);
    t.clock.advance(2); // into the next 15 s window
    let r = t.post("/stepup/challenges/otp/SMS", Some(&other), json!({})).await;
    assert_eq!(r.body, json!({"errorCode": "RETRY_IN_15SEC"}), "another session, another purpose, same phone");
    t.clock.advance(13);
    assert_eq!(t.post("/stepup/challenges/otp/SMS", Some(&other), json!({})).await.status, 204);
}

/// S5: a refund after a slow send crossed a window's edge gave back a hit of the next window.
async fn s5_a_refund_gives_back_exactly_the_windows_charged(b: Backend) {
    let t = TestApp::new(b).await;
    t.align_clock(60);
    let budget = shared::app::limits::Budget {
        kind: shared::metrics::BudgetKind::IpPerMinute,
        key: "refund-test".into(),
        limit: 5,
        window_secs: 60,
        sliding: false,
    };
    let charged = shared::app::limits::charge(&t.app, std::slice::from_ref(&budget)).await.unwrap();
    let first_end = (t.clock_now().div_euclid(60) + 1) * 60;
    t.clock.advance(60);
    shared::app::limits::charge(&t.app, std::slice::from_ref(&budget)).await.unwrap();
    shared::app::limits::refund(&t.app, &charged).await;
    assert_eq!(t.app.store.get_rate_counter("refund-test", first_end).await.unwrap(), 0);
    assert_eq!(t.app.store.get_rate_counter("refund-test", first_end + 60).await.unwrap(), 1, "untouched");
}

// ------------------------------------------------------------------ fourth review
// A third fresh-eye review, of those fixes, found these.

/// T1: the number given at registration, validated past the owner's TOTP with the password and
/// the phone alone.
async fn t1_the_registered_phone_is_not_validated_past_a_totp_without_proof(b: Backend) {
    let t = TestApp::new(b).await;
    let (owner, _) = t.id_tokens(VICTIM).await;
    let secret = t.add_totp(&owner).await;
    let code = t.totp_code(&secret, 0);
    assert_eq!(
        t.with_otp(Method::POST, "/auth/otp/code", &owner, &code, Some(json!({"channel": "TOTP"}))).await.status,
        200
    );
    let attacker = t.id_login(VICTIM, PASSWORD).await.body["idToken"].as_str().unwrap().to_owned();
    let r = t.get("/auth/otp/code?method=SMS", Some(&attacker)).await;
    assert_eq!((r.status, r.body["code"].as_str()), (403, Some("OTP_REQUIRED")), "{}", r.body);
    let r = t.with_otp(Method::POST, "/auth/otp/code", &attacker, "123456", Some(json!({"channel": "SMS"}))).await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(t.get("/auth/me", Some(&owner)).await.body["hasValidatedPhone"], false);
    // The owner, with the next TOTP code, may.
    t.clock.advance(30);
    let code = t.totp_code(&secret, 0);
    assert_eq!(t.with_otp(Method::GET, "/auth/otp/code?method=SMS", &owner, &code, None).await.status, 200);
    let r = t.with_otp(Method::POST, "/auth/otp/code", &owner, "123456", Some(json!({"channel": "SMS"}))).await;
    assert_eq!((r.status, r.body["hasValidatedPhone"].as_bool()), (200, Some(true)), "{}", r.body);
}

/// T3: re-pointing the phone raced the owner's first validation (DynamoDB let both land).
async fn t3_a_method_change_racing_the_first_validation_needs_proof(b: Backend) {
    for round in 0..6 {
        let t = TestApp::new(b).await;
        let (owner, _) = t.id_tokens(VICTIM).await;
        let secret = t.add_totp(&owner).await;
        let attacker = t.id_login(VICTIM, PASSWORD).await.body["idToken"].as_str().unwrap().to_owned();
        let addr = t.serve().await;
        let code = t.totp_code(&secret, 0);
        let mut validate = raw_request("POST", "/auth/otp/code", Some(&owner), Some(&json!({"channel": "TOTP"})));
        validate = validate.replacen("\r\n\r\n", &format!("\r\nx-otp: {code}\r\n\r\n"), 1);
        let repoint = raw_request(
            "POST",
            "/auth/otp/methods/sms",
            Some(&attacker),
            Some(&json!({"phone": "07400 900999", "country": "GB"})),
        );
        let answers = burst(addr, vec![validate, repoint]).await;
        let (status, profile) = &answers[1];
        // The re-point, without proof, may land only on an account that still had no factor:
        // the profile it answers with is the account after its own write.
        if *status == 200 {
            assert_eq!(profile["hasValidatedSecret"], false, "round {round}: written after the factor: {answers:?}");
        } else {
            assert_eq!((*status, profile["code"].as_str()), (403, Some("OTP_REQUIRED")), "round {round}: {answers:?}");
        }
    }
}

// ------------------------------------------------------------------ fifth review

/// U1: the password alone changed the password of an account protected by a TOTP, locking its
/// owner out unannounced.
async fn u1_the_password_alone_cannot_change_the_password_of_an_account_with_a_factor(b: Backend) {
    let t = TestApp::new(b).await;
    let (_, owner) = t.tokens(VICTIM).await;
    let device = Device::new(5);
    assert_eq!(t.post("/authentication_factors/push/AUTHY", Some(&owner), device.enrolment()).await.status, 200);
    let auth = t.login(VICTIM, PASSWORD).await.body["token"].as_str().unwrap().to_owned();
    let attacker = t.access_token(&auth).await;
    let change = json!({"oldPassword": {"value": PASSWORD}, "newPassword": {"value": "violet tugboat harmonica 42"}});
    let r = t.post("/passwords/update", Some(&attacker), change.clone()).await;
    assert_eq!(status_of(&r), (409, json!({"errorCode": "STEP_UP_REQUIRED"})));
    assert_eq!(t.login(VICTIM, PASSWORD).await.status, 200, "the password is unchanged");
    // The owner, stepped up, may; and hears of it.
    step_up_by_push(&t, &owner, "AUTHY", &device).await;
    let mail = t.email.sent().len();
    assert_eq!(t.post("/passwords/update", Some(&owner), change).await.status, 200);
    assert_eq!(t.email.sent().len(), mail + 1, "a notice");
    assert!(t.email.sent().last().unwrap().body.contains("password"));
}

/// U2: requests that fail held the notice budget "in flight" and refused the owner's change.
async fn u2_failing_requests_cannot_hold_the_notice_budget(b: Backend) {
    let t = TestApp::with_config(b, |c| c.rate_limit.email_per_address_per_day = 3).await;
    t.align_clock(86_400);
    let (owner, _) = t.id_tokens(VICTIM).await;
    let secret = t.add_totp(&owner).await;
    let code = t.totp_code(&secret, 0);
    assert_eq!(
        t.with_otp(Method::POST, "/auth/otp/code", &owner, &code, Some(json!({"channel": "TOTP"}))).await.status,
        200
    );
    t.clock.advance(30);
    let code = t.totp_code(&secret, 0);
    assert_eq!(t.with_otp(Method::GET, "/auth/otp/code?method=EMAIL", &owner, &code, None).await.status, 200);
    let attacker = t.id_login(VICTIM, PASSWORD).await.body["idToken"].as_str().unwrap().to_owned();
    let addr = t.serve().await;
    let with_otp = |token: &str, channel: &str| {
        raw_request("POST", "/auth/otp/code", Some(token), Some(&json!({"channel": channel}))).replacen(
            "\r\n\r\n",
            "\r\nx-otp: 123456\r\n\r\n",
            1,
        )
    };
    let mut requests: Vec<String> = (0..30).map(|_| with_otp(&attacker, "SMS")).collect();
    requests.push(with_otp(&owner, "EMAIL"));
    let answers = burst(addr, requests).await;
    let (status, body) = answers.last().unwrap();
    assert_eq!(*status, 200, "the owner's validation: {body}");
    assert!(answers[..30].iter().all(|(s, _)| *s == 400 || *s == 423), "{answers:?}");
}

// ------------------------------------------------------------------ sixth review

/// V1: refused push starts (one already in flight) spent the account's push budget, so a
/// holder of the password could spend it and keep the owner from stepping up by push.
async fn v1_a_refused_push_start_spends_no_budget(b: Backend) {
    let t = TestApp::new(b).await;
    t.align_clock(600);
    let (_, access) = t.tokens(VICTIM).await;
    let device = Device::new(6);
    assert_eq!(t.post("/authentication_factors/push/AUTHY", Some(&access), device.enrolment()).await.status, 200);
    let first = t.post("/stepup/challenges/push/AUTHY", Some(&access), json!({})).await;
    assert_eq!(first.status, 200);
    for _ in 0..6 {
        let r = t.post("/stepup/challenges/push/AUTHY", Some(&access), json!({})).await;
        assert_eq!(r.body["errorCode"], "STATE_INVALID", "one in flight");
    }
    let id = first.body["id"].as_str().unwrap();
    let approve = format!("/stepup/challenges/push/AUTHY/{id}/approve");
    assert_eq!(t.post(&approve, None, json!({"signature": device.sign(&format!("{id}:approve"))})).await.status, 204);
    // A device enrolled with the password alone: the session it stepped up spends as an
    // unproven login, whose share of the account's five is three (refused starts spent none).
    for i in 0..2 {
        let r = t.post("/stepup/challenges/push/AUTHY", Some(&access), json!({})).await;
        assert_eq!(r.status, 200, "start {}: {}", i + 2, r.body);
        let id = r.body["id"].as_str().unwrap();
        let reject = format!("/stepup/challenges/push/AUTHY/{id}/reject");
        t.post(&reject, None, json!({"signature": device.sign(&format!("{id}:reject"))})).await;
    }
    let fourth = t.post("/stepup/challenges/push/AUTHY", Some(&access), json!({})).await;
    assert_eq!(fourth.status, 429, "three real challenges are the login's share: {}", fourth.body);
}

on_both_stores!(
    f01_password_alone_cannot_swap_the_push_device,
    f01_an_id_token_alone_cannot_repoint_the_phone,
    f01_a_surface_2_method_guards_surface_1_and_its_code_unlocks_changes,
    f02_the_lockout_locks_again_after_a_failure_during_a_lock,
    f03_a_burst_verifies_at_most_threshold_hashes_and_the_right_password_is_locked_out,
    f03_a_burst_mixing_both_surfaces_shares_one_budget,
    f04_forty_concurrent_code_guesses_compare_at_most_five,
    f04_eighty_concurrent_code_guesses_compare_at_most_five,
    f04_with_the_lockout_on_a_burst_also_locks_the_account,
    f05_a_stranger_cannot_block_the_owners_otp_step_up,
    f06_premium_unknown_and_foreign_destinations_are_refused,
    f06_sms_volume_is_capped_per_ip_and_for_the_whole_service,
    f07_a_blocked_account_is_refused_wherever_its_tokens_are_used,
    f08_logout_ends_an_idled_out_session_and_its_access_tokens,
    f09_no_code_of_any_kind_is_checked_while_locked,
    f09_totp_checks_have_their_own_budget_that_a_login_does_not_reset,
    f10_pushes_are_budgeted_per_account_and_say_who_asked,
    f10_a_password_change_ends_every_step_up,
    f11_id_tokens_carry_email_verified_and_email_codes_are_budgeted,
    f13_a_password_change_failing_midway_leaves_no_old_session_usable_after_it,
    r1_an_enrolment_started_without_proof_cannot_be_finished_once_the_account_is_secured,
    r2_a_number_is_validated_only_by_a_code_sent_to_it,
    r4_one_step_up_pays_for_one_change_however_many_race,
    r5_security_notices_cost_no_sms,
    r6_push_and_totp_budgets_hold_across_a_window_boundary,
    r7_one_sms_per_account_at_once_and_budgets_charged_all_or_none,
    s1_the_mailbox_alone_cannot_add_a_method_past_a_totp,
    s2_security_notices_are_bounded_per_address_and_no_change_is_silent,
    s3_a_budget_never_holds_more_than_its_limit_in_any_window_span,
    s4_one_sms_per_account_per_cooldown_exactly,
    s5_a_refund_gives_back_exactly_the_windows_charged,
    t1_the_registered_phone_is_not_validated_past_a_totp_without_proof,
    t3_a_method_change_racing_the_first_validation_needs_proof,
    u1_the_password_alone_cannot_change_the_password_of_an_account_with_a_factor,
    u2_failing_requests_cannot_hold_the_notice_budget,
    v1_a_refused_push_start_spends_no_budget,
);
