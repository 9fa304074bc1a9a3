//! Issue 25, part 2: changing the e-mail address, attacked on both stores and both surfaces:
//! a change without proof, the change endpoint used for enumeration, wrong and used codes, the
//! new address taken concurrently, the revert nonce used twice at once, and a revert after a
//! takeover.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use integration_tests::{Backend, PASSWORD, TestApp, enrol_sms, on_both_stores};
use serde_json::{Value, json};

fn change(to: &str) -> Value {
    json!({"newEmail": to, "password": {"value": PASSWORD}})
}

fn code(c: &str) -> Value {
    json!({"verificationCode": c})
}

/// The nonce of the revert notice mailed to `old` (the sandbox's is fixed, but read it anyway).
fn revert_nonce(t: &TestApp, old: &str) -> String {
    let mail = t.email.sent().into_iter().rev().find(|m| m.to == old && m.body.contains("revert")).unwrap();
    let at = mail.body.find("\"nonce\": \"").unwrap() + 10;
    mail.body[at..].split('"').next().unwrap().to_owned()
}

async fn user_id(t: &TestApp, email: &str) -> Option<String> {
    t.app.store.get_user(email).await.unwrap().map(|u| u.user_id)
}

async fn event_types(t: &TestApp, user_id: &str) -> Vec<String> {
    let events = t.app.store.list_events(user_id, None, 200).await.unwrap();
    events.iter().map(|e| e.kind.name()).collect()
}

async fn a_change_needs_its_proof(b: Backend) {
    let t = TestApp::new(b).await;
    // Without a second factor: the password, checked under the lockout.
    let (_, access) = t.tokens("jane@example.com").await;
    let wrong = json!({"newEmail": "jane2@example.com", "password": {"value": "not the password at all"}});
    let r = t.post("/users/email/change", Some(&access), wrong.clone()).await;
    assert_eq!((r.status, r.body["errorCode"].as_str()), (409, Some("PASSWORD_INCORRECT")), "{}", r.body);
    let mut locked = false;
    for _ in 0..10 {
        let r = t.post("/users/email/change", Some(&access), wrong.clone()).await;
        if r.status == 423 {
            locked = true;
            break;
        }
        assert_eq!(r.status, 409);
    }
    assert!(locked, "wrong passwords lock the account");
    // While locked, even the right password is refused.
    assert_eq!(t.post("/users/email/change", Some(&access), change("jane2@example.com")).await.status, 423);
    // With a second factor: a stepped-up session, else 409 STEP_UP_REQUIRED.
    let (_, access) = t.tokens("john@example.com").await;
    enrol_sms(&t, &access).await;
    let r = t.post("/users/email/change", Some(&access), change("john2@example.com")).await;
    assert_eq!((r.status, r.body["errorCode"].as_str()), (409, Some("STEP_UP_REQUIRED")), "{}", r.body);
    assert_eq!(t.post("/stepup/challenges/otp/SMS", Some(&access), json!({})).await.status, 204);
    assert_eq!(t.post("/stepup/challenges/otp/SMS/verify", Some(&access), code("123456")).await.status, 204);
    assert_eq!(t.post("/users/email/change", Some(&access), change("john2@example.com")).await.status, 204);
    // The step-up was spent by that change: a second one needs another.
    let r = t.post("/users/email/change", Some(&access), change("john3@example.com")).await;
    assert_eq!(r.body["errorCode"], "STEP_UP_REQUIRED");
    // Surface 2: with a second factor, an x-otp.
    let (id_token, _) = t.id_tokens("mary@example.com").await;
    let secret = t.add_totp(&id_token).await;
    let totp = t.totp_code(&secret, 0);
    let method = lambda_http::http::Method::POST;
    let r = t.with_otp(method, "/auth/otp/code", &id_token, &totp, Some(json!({"channel": "TOTP"}))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = t.post("/auth/me/email/change", Some(&id_token), change("mary2@example.com")).await;
    assert_eq!((r.status, r.body["code"].as_str()), (403, Some("OTP_REQUIRED")), "{}", r.body);
}

async fn the_change_endpoint_tells_nothing_of_the_new_address(b: Backend) {
    let t = TestApp::new(b).await;
    t.register("taken@example.com").await;
    let (_, access) = t.tokens("jane@example.com").await;
    let (_, other) = t.tokens("john@example.com").await;
    let mut answers = Vec::new();
    for (token, to) in [(&access, "taken@example.com"), (&other, "free@example.com")] {
        let started = Instant::now();
        let r = t.post("/users/email/change", Some(token), change(to)).await;
        let took = started.elapsed();
        assert!(took >= Duration::from_millis(400), "the answer's floor: {took:?}");
        answers.push((r.status, r.body.clone()));
        // A code went to the new address either way.
        assert!(t.email.sent().iter().any(|m| m.to == to), "a code to {to}");
    }
    assert_eq!(answers[0], answers[1]);
    assert_eq!(answers[0], (204, Value::Null));
    // Both accounts wrote the same events.
    let (a, b2) = (user_id(&t, "jane@example.com").await.unwrap(), user_id(&t, "john@example.com").await.unwrap());
    assert_eq!(event_types(&t, &a).await, event_types(&t, &b2).await);
    // Only the proven owner of the new mailbox learns that it is taken.
    let r = t.post("/users/email/change/verify", Some(&access), code("123456")).await;
    assert_eq!((r.status, r.body["errorCode"].as_str()), (409, Some("EMAIL_ALREADY_REGISTERED")), "{}", r.body);
    assert_eq!(t.post("/users/email/change/verify", Some(&other), code("123456")).await.status, 204);
}

async fn verify_moves_the_account_and_the_old_address_is_unknown(b: Backend) {
    let t = TestApp::new(b).await;
    let (_, access) = t.tokens("jane@example.com").await;
    let (_, elsewhere) = t.session_tokens("jane@example.com").await;
    let (_, refresh) = t.id_login_tokens("jane@example.com").await;
    assert_eq!(t.post("/users/email/change", Some(&access), change("jane.new@example.com")).await.status, 204);
    let r = t.post("/users/email/change/verify", Some(&access), code("000000")).await;
    assert_eq!((r.status, r.body["errorCode"].as_str()), (409, Some("VERIFICATION_CODE_INVALID")));
    assert_eq!(t.post("/users/email/change/verify", Some(&access), code("123456")).await.status, 204);
    // A code works once.
    let again = t.post("/users/email/change/verify", Some(&access), code("123456")).await;
    assert_eq!(again.status, 409, "{}", again.body);
    // The caller's session followed; every other login ended.
    assert_eq!(t.get("/identities", Some(&access)).await.status, 200);
    assert_eq!(t.get("/identities", Some(&elsewhere)).await.status, 401);
    assert_eq!(t.post("/auth/login/refresh", None, json!({"refreshToken": refresh})).await.status, 403);
    // The new address logs in on both surfaces, verified.
    assert_eq!(t.login("jane.new@example.com", PASSWORD).await.status, 200);
    assert_eq!(t.id_login("jane.new@example.com", PASSWORD).await.status, 200);
    let user = t.app.store.get_user("jane.new@example.com").await.unwrap().unwrap();
    assert!(user.mfa.email_verified_at.is_some());
    // The old address answers as one that never existed, on both surfaces.
    for (old, never) in [
        (t.login("jane@example.com", PASSWORD).await, t.login("nobody@example.com", PASSWORD).await),
        (t.id_login("jane@example.com", PASSWORD).await, t.id_login("nobody@example.com", PASSWORD).await),
    ] {
        assert_eq!((old.status, &old.body), (never.status, &never.body));
    }
    // The old address was told, with a revert nonce; the events name no address.
    assert!(!revert_nonce(&t, "jane@example.com").is_empty());
    let events = t.app.store.list_events(&user.user_id, None, 200).await.unwrap();
    let changed: Vec<_> = events.iter().filter(|e| e.kind.name().starts_with("EMAIL_CHANGE")).collect();
    assert_eq!(changed.len(), 2, "EMAIL_CHANGE_REQUESTED and EMAIL_CHANGED");
    for e in changed {
        let text = serde_json::to_string(&e.details).unwrap();
        assert!(!text.contains("example.com"), "{text}");
    }
}

async fn of_two_accounts_moving_onto_one_address_one_wins(b: Backend) {
    let t = Arc::new(TestApp::new(b).await);
    let (_, a) = t.tokens("a@example.com").await;
    let (_, b2) = t.tokens("b@example.com").await;
    for token in [&a, &b2] {
        assert_eq!(t.post("/users/email/change", Some(token), change("x@example.com")).await.status, 204);
    }
    let (ra, rb) = tokio::join!(
        t.post("/users/email/change/verify", Some(&a), code("123456")),
        t.post("/users/email/change/verify", Some(&b2), code("123456"))
    );
    let mut statuses = [ra.status, rb.status];
    statuses.sort_unstable();
    assert_eq!(statuses, [204, 409], "{} {}", ra.body, rb.body);
    let loser = if ra.status == 409 { ra } else { rb };
    assert_eq!(loser.body["errorCode"], "EMAIL_ALREADY_REGISTERED");
    // A registration racing a move: the registration came first, the move is refused.
    let (_, c) = t.tokens("c@example.com").await;
    assert_eq!(t.post("/users/email/change", Some(&c), change("y@example.com")).await.status, 204);
    t.register("y@example.com").await;
    let r = t.post("/users/email/change/verify", Some(&c), code("123456")).await;
    assert_eq!(r.body["errorCode"], "EMAIL_ALREADY_REGISTERED");
    // A registration and a move of the same address at once: exactly one gets it.
    let (_, d) = t.tokens("d@example.com").await;
    assert_eq!(t.post("/users/email/change", Some(&d), change("z@example.com")).await.status, 204);
    let register = json!({"email": "z@example.com", "password": {"value": PASSWORD}, "name": "Z"});
    let (registered, verified) =
        tokio::join!(t.post("/users", None, register), t.post("/users/email/change/verify", Some(&d), code("123456")));
    assert_eq!(
        [registered.status, verified.status].iter().filter(|s| **s == 201 || **s == 204).count(),
        1,
        "{} {}",
        registered.body,
        verified.body
    );
    // And the old address, reserved for its revert, cannot be registered meanwhile.
    let winner_old = if statuses[0] == 204 { "a@example.com" } else { "b@example.com" };
    let taken = user_id(&t, winner_old).await.is_none();
    if taken {
        let r =
            t.post("/users", None, json!({"email": winner_old, "password": {"value": PASSWORD}, "name": "M"})).await;
        assert_eq!(r.status, 409);
    }
}

async fn a_revert_nonce_works_once_even_at_once(b: Backend) {
    let t = Arc::new(TestApp::new(b).await);
    let (_, access) = t.tokens("jane@example.com").await;
    assert_eq!(t.post("/users/email/change", Some(&access), change("jane.new@example.com")).await.status, 204);
    assert_eq!(t.post("/users/email/change/verify", Some(&access), code("123456")).await.status, 204);
    let nonce = revert_nonce(&t, "jane@example.com");
    // A wrong nonce, and an address that never moved, answer alike.
    let wrong =
        t.post("/users/email/change/revert", None, json!({"email": "jane@example.com", "nonce": "999999"})).await;
    let never =
        t.post("/users/email/change/revert", None, json!({"email": "nobody@example.com", "nonce": nonce})).await;
    assert_eq!((wrong.status, &wrong.body), (never.status, &never.body));
    assert_eq!((wrong.status, wrong.body["errorCode"].as_str()), (409, Some("NONCE_INVALID")));
    let body = json!({"email": "jane@example.com", "nonce": nonce});
    let replies = integration_tests::at_once(4, |_| {
        let (t, body) = (Arc::clone(&t), body.clone());
        async move { t.post("/users/email/change/revert", None, body).await }
    })
    .await;
    let won = replies.iter().filter(|r| r.status == 204).count();
    assert_eq!(won, 1, "{:?}", replies.iter().map(|r| (r.status, r.body.clone())).collect::<Vec<_>>());
    assert!(replies.iter().filter(|r| r.status != 204).all(|r| r.body["errorCode"] == "NONCE_INVALID"));
    let user = t.app.store.get_user("jane@example.com").await.unwrap().unwrap();
    assert!(user.mfa.email_verified_at.is_some());
    assert_eq!(event_types(&t, &user.user_id).await.iter().filter(|e| *e == "EMAIL_CHANGE_REVERTED").count(), 1);
    // Seven days on, a nonce is dead whatever it was.
    let (_, access) = t.tokens("john@example.com").await;
    assert_eq!(t.post("/users/email/change", Some(&access), change("john.new@example.com")).await.status, 204);
    assert_eq!(t.post("/users/email/change/verify", Some(&access), code("123456")).await.status, 204);
    let nonce = revert_nonce(&t, "john@example.com");
    t.clock.advance(7 * 86_400);
    let r = t.post("/users/email/change/revert", None, json!({"email": "john@example.com", "nonce": nonce})).await;
    assert_eq!(r.body["errorCode"], "NONCE_INVALID");
}

async fn the_owner_reverts_a_takeover(b: Backend) {
    let t = TestApp::new(b).await;
    t.register("jane@example.com").await;
    // The attacker holds the password: logins on both surfaces, the address moved to theirs.
    let (_, attacker) = t.session_tokens("jane@example.com").await;
    let (_, attacker_refresh) = t.id_login_tokens("jane@example.com").await;
    assert_eq!(t.post("/users/email/change", Some(&attacker), change("evil@example.com")).await.status, 204);
    assert_eq!(t.post("/users/email/change/verify", Some(&attacker), code("123456")).await.status, 204);
    let (id_token, evil_refresh) = t.id_login_tokens("evil@example.com").await;
    // They plant a TOTP secret, with proof of the mailbox they now hold (an anchored one).
    assert_eq!(t.get("/auth/otp/code?method=EMAIL", Some(&id_token)).await.status, 200);
    let method = lambda_http::http::Method::POST;
    let r = t.with_otp(method, "/auth/otp/methods/totp", &id_token, "123456", Some(json!({}))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let planted = t.app.store.get_user("evil@example.com").await.unwrap().unwrap();
    assert!(planted.mfa.totp.as_ref().unwrap().anchored, "anchored to the attacker's mailbox");
    // The owner reverts with the nonce mailed to their address.
    let nonce = revert_nonce(&t, "jane@example.com");
    let r = t.post("/users/email/change/revert", None, json!({"email": "jane@example.com", "nonce": nonce})).await;
    assert_eq!(r.status, 204, "{}", r.body);
    // Every login of the attacker is dead.
    assert_eq!(t.get("/identities", Some(&attacker)).await.status, 401);
    for refresh in [&attacker_refresh, &evil_refresh] {
        assert_eq!(t.post("/auth/login/refresh", None, json!({"refreshToken": refresh})).await.status, 403);
    }
    assert_eq!(t.get("/auth/me", Some(&id_token)).await.status, 403);
    // Their address logs in nowhere; the old password neither: it must be reset.
    assert_eq!(t.login("evil@example.com", PASSWORD).await.status, 403);
    assert_eq!(t.login("jane@example.com", PASSWORD).await.status, 403);
    assert_eq!(t.id_login("jane@example.com", PASSWORD).await.status, 403);
    let user = t.app.store.get_user("jane@example.com").await.unwrap().unwrap();
    assert!(user.password_expired && user.mfa.totp.is_none(), "the planted secret is gone");
    // The owner resets the password through their mailbox and is back in.
    let start = json!({"email": "jane@example.com"});
    assert_eq!(t.post("/passwords/lost_password/start", None, start).await.status, 204);
    let resume = json!({"email": "jane@example.com", "nonce": "123456", "newPassword": {"value": "violet tugboat harmonica 42"}});
    let r = t.post("/passwords/lost_password/resume", None, resume).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(t.login("jane@example.com", "violet tugboat harmonica 42").await.status, 200);
}

async fn surface_two_changes_the_address_and_new_id_tokens_carry_it(b: Backend) {
    let t = TestApp::new(b).await;
    t.register("jane@example.com").await;
    let (id_token, refresh) = t.id_login_tokens("jane@example.com").await;
    let (_, other_refresh) = t.id_login_tokens("jane@example.com").await;
    assert_eq!(t.post("/auth/me/email/change", Some(&id_token), change("jane.new@example.com")).await.status, 204);
    let wrong = t.post("/auth/me/email/change/verify", Some(&id_token), code("000000")).await;
    assert_eq!((wrong.status, wrong.body["code"].as_str()), (400, Some("INVALID_CODE")), "{}", wrong.body);
    assert_eq!(t.post("/auth/me/email/change/verify", Some(&id_token), code("123456")).await.status, 204);
    // The idToken that asked names the old address: refused. Its family refreshes into the new one.
    assert_eq!(t.get("/auth/me", Some(&id_token)).await.status, 403);
    let r = t.post("/auth/login/refresh", None, json!({"refreshToken": refresh})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let fresh = r.body["idToken"].as_str().unwrap();
    let claims = shared::app::id_tokens::verify(&t.app, &t.app.keys(), fresh).unwrap();
    assert_eq!(claims.email, "jane.new@example.com");
    assert!(claims.email_verified);
    assert_eq!(t.get("/auth/me", Some(fresh)).await.status, 200);
    // Every other login ended.
    assert_eq!(t.post("/auth/login/refresh", None, json!({"refreshToken": other_refresh})).await.status, 403);
}

on_both_stores!(
    a_change_needs_its_proof,
    the_change_endpoint_tells_nothing_of_the_new_address,
    verify_moves_the_account_and_the_old_address_is_unknown,
    of_two_accounts_moving_onto_one_address_one_wins,
    a_revert_nonce_works_once_even_at_once,
    the_owner_reverts_a_takeover,
    surface_two_changes_the_address_and_new_id_tokens_carry_it,
);
