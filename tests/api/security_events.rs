//! Security events (issue 14, first part): each operation commits its events with its change
//! (none when the change fails), and the account's trail serves them newest first, a page at a
//! time, to the account only; on both stores.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use integration_tests::{Backend, Device, PASSWORD, TestApp, on_both_stores, step_up_by_push};
use serde_json::{Value, json};
use shared::testing::Fault;

const NEW: &str = "violet tugboat harmonica 42";

/// The caller's whole trail, newest first, read page by page.
async fn trail(t: &TestApp, token: &str) -> Vec<Value> {
    let mut all = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/security_events?limit=7&cursor={c}"),
            None => "/security_events?limit=7".to_owned(),
        };
        let r = t.get(&path, Some(token)).await;
        assert_eq!(r.status, 200, "{}", r.body);
        all.extend(r.body["events"].as_array().unwrap().iter().cloned());
        match r.body["cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return all,
        }
    }
}

fn types(events: &[Value]) -> Vec<String> {
    events.iter().map(|e| e["type"].as_str().unwrap().to_owned()).collect()
}

async fn every_operation_leaves_its_events_in_the_trail(b: Backend) {
    let t = TestApp::with_config(b, |c| c.admin_local = true).await;
    let (auth, access) = t.tokens("jane@example.com").await;
    assert_eq!(t.login("jane@example.com", "wrong one").await.status, 403);
    let device = Device::new(5);
    assert_eq!(t.post("/authentication_factors/push/BIOMETRIC", Some(&access), device.enrolment()).await.status, 200);
    step_up_by_push(&t, &access, "BIOMETRIC", &device).await;
    let change = json!({"oldPassword": {"value": PASSWORD}, "newPassword": {"value": NEW}});
    let r = t.post("/passwords/update", Some(&access), change).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let auth2 = r.body["token"].as_str().unwrap().to_owned();
    let (_, refresh) = {
        let r = t.post("/auth/login", None, json!({"email": "jane@example.com", "password": NEW})).await;
        (r.body["idToken"].as_str().unwrap().to_owned(), r.body["refreshToken"].as_str().unwrap().to_owned())
    };
    let next = t.post("/auth/login/refresh", None, json!({"refreshToken": refresh})).await.body["refreshToken"].clone();
    t.clock.advance(t.app.config.refresh_reuse_grace_secs + 1);
    assert_eq!(t.post("/auth/login/refresh", None, json!({"refreshToken": refresh})).await.status, 403);
    let _ = next;
    assert_eq!(t.post("/users/verification/email/send", None, json!({"email": "jane@example.com"})).await.status, 204);
    let verify = json!({"email": "jane@example.com", "verificationCode": "123456"});
    assert_eq!(t.post("/users/verification/email/verify", None, verify).await.status, 204);
    assert_eq!(t.post("/_admin/expire_password", None, json!({"email": "jane@example.com"})).await.status, 200);
    assert_eq!(t.post("/_admin/block", None, json!({"email": "jane@example.com"})).await.status, 200);
    assert_eq!(t.post("/_admin/unblock", None, json!({"email": "jane@example.com"})).await.status, 200);
    assert_eq!(t.post("/passwords/lost_password/start", None, json!({"email": "jane@example.com"})).await.status, 204);
    let reset =
        json!({"email": "jane@example.com", "nonce": "123456", "newPassword": {"value": "another long passphrase"}});
    let r = t.post("/passwords/lost_password/resume", None, reset).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let access = t.access_token(r.body["token"].as_str().unwrap()).await;
    let _ = (auth, auth2);

    let events = trail(&t, &access).await;
    let seen = types(&events);
    for expected in [
        "LOGIN_SUCCEEDED",
        "LOGIN_FAILED",
        "FACTOR_ENROLLED",
        "PASSWORD_CHANGED",
        "SESSION_REVOKED",
        "REFRESH_TOKEN_REUSED",
        "EMAIL_VERIFIED",
        "PASSWORD_EXPIRED",
        "ACCOUNT_BLOCKED",
        "ACCOUNT_UNBLOCKED",
        "PASSWORD_RESET",
    ] {
        assert!(seen.iter().any(|s| s == expected), "no {expected} in {seen:?}");
    }
    // Newest first, no event twice.
    let ats: Vec<&str> = events.iter().map(|e| e["at"].as_str().unwrap()).collect();
    assert!(ats.windows(2).all(|w| w[0] >= w[1]), "{ats:?}");
    let ids: std::collections::BTreeSet<&str> = events.iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), events.len());
    // Who and where, and never a secret.
    let login = events.iter().find(|e| e["type"] == "LOGIN_SUCCEEDED").unwrap();
    assert_eq!(login["userAgent"], "integration-tests/1.0");
    assert!(login["sessionId"].is_string());
    let text = serde_json::to_string(&events).unwrap();
    for secret in [PASSWORD, NEW, "123456", refresh.as_str()] {
        assert!(!text.contains(secret), "a secret in the trail");
    }
    // Every event a user's request caused says where it came from; only the operator's, and
    // an expiry nobody caused, say nothing.
    for e in &events {
        let by_operator = e["details"]["by"] == "OPERATOR"
            || ["ACCOUNT_BLOCKED", "ACCOUNT_UNBLOCKED", "STEP_UP_EXPIRED"].contains(&e["type"].as_str().unwrap())
            || ["ACCOUNT_BLOCKED", "PASSWORD_EXPIRED"].contains(&e["details"]["reason"].as_str().unwrap_or_default());
        if !by_operator {
            assert_eq!(e["userAgent"], "integration-tests/1.0", "no origin on {e}");
        }
    }
    // The factor's event names it.
    let factor = events.iter().find(|e| e["type"] == "FACTOR_ENROLLED").unwrap();
    assert_eq!(
        (factor["details"]["type"].as_str(), factor["details"]["channel"].as_str()),
        (Some("PUSH"), Some("BIOMETRIC"))
    );
}

async fn locks_logouts_and_operator_actions_are_reported(b: Backend) {
    let t = TestApp::with_config(b, |c| c.admin_local = true).await;
    let (auth, _) = t.tokens("jane@example.com").await;
    for _ in 0..5 {
        t.login("jane@example.com", "guessing").await;
    }
    assert_eq!(t.post("/_admin/unlock", None, json!({"email": "jane@example.com"})).await.status, 200);
    assert_eq!(t.post("/logout", Some(&auth), json!({})).await.status, 204);
    let (_, refresh) = t.id_login_tokens("jane@example.com").await;
    assert_eq!(t.post("/auth/logout", None, json!({"refreshToken": refresh})).await.status, 204);
    let (_, access) = t.session_tokens("jane@example.com").await;
    let seen = types(&trail(&t, &access).await);
    assert_eq!(seen.iter().filter(|s| *s == "LOGIN_FAILED").count(), 5, "{seen:?}");
    for expected in ["ACCOUNT_LOCKED", "ACCOUNT_UNLOCKED", "LOGOUT"] {
        assert!(seen.iter().any(|s| s == expected), "no {expected} in {seen:?}");
    }
    assert_eq!(seen.iter().filter(|s| *s == "LOGOUT").count(), 2, "a logout on each surface: {seen:?}");
    // The operator reads the same trail.
    let r = t.post("/_admin/events", None, json!({"email": "jane@example.com"})).await;
    assert_eq!(r.status, 200);
    assert!(r.body["events"].as_array().unwrap().len() >= seen.len());
}

/// A change that does not commit reports nothing: the outbox is the change's own write.
async fn a_failed_change_commits_no_event(b: Backend) {
    let t = TestApp::new(b).await;
    let (auth, access) = t.tokens("jane@example.com").await;
    let before = trail(&t, &access).await.len();
    t.probe.set_fault(Fault::Unavailable);
    assert_eq!(t.post("/logout", Some(&auth), json!({})).await.status, 503);
    assert_eq!(t.login("jane@example.com", PASSWORD).await.status, 503);
    t.probe.set_fault(Fault::None);
    let after = trail(&t, &access).await;
    assert_eq!(after.len(), before, "events of changes that failed: {:?}", types(&after));
    assert_eq!(t.get("/identities", Some(&auth)).await.status, 200, "the logout did not happen");
}

async fn the_trail_pages_newest_first_keeps_ninety_days_and_is_the_callers_own(b: Backend) {
    let t = TestApp::new(b).await;
    t.register("jane@example.com").await;
    for _ in 0..16 {
        assert_eq!(t.login("jane@example.com", PASSWORD).await.status, 200);
        t.clock.advance(1);
    }
    let (_, access) = t.session_tokens("jane@example.com").await;
    let events = trail(&t, &access).await;
    assert_eq!(types(&events).iter().filter(|s| *s == "LOGIN_SUCCEEDED").count(), 17);
    let first = t.get("/security_events?limit=5", Some(&access)).await.body;
    assert_eq!(first["events"].as_array().unwrap().len(), 5);
    assert_eq!(first["events"][0]["id"], events[0]["id"], "newest first");
    // Another account sees none of them; a bad page is a 400.
    let (_, other) = t.tokens("mallory@example.com").await;
    let theirs = trail(&t, &other).await;
    assert!(theirs.iter().all(|e| !events.iter().any(|m| m["id"] == e["id"])));
    for bad in ["limit=0", "limit=101", "limit=x", "cursor=%23", "cursor=123", "cursor=000000000100%23abc"] {
        assert_eq!(t.get(&format!("/security_events?{bad}"), Some(&access)).await.status, 400, "{bad}");
    }
    // An AUTH token acts for no identity: refused.
    let auth = t.login("jane@example.com", PASSWORD).await.body["token"].as_str().unwrap().to_owned();
    assert_eq!(t.get("/security_events", Some(&auth)).await.status, 401);
    // After 90 days the trail has forgotten them (TTL deletes late: the code filters too).
    t.clock.advance(shared::domain::events::TRAIL_SECS + 20);
    let (id_token, _) = t.id_login_tokens("jane@example.com").await;
    let late = trail(&t, &id_token).await;
    // A device not seen for 90 days is new again (issue 25): the login is noticed.
    assert_eq!(
        types(&late),
        vec!["NEW_DEVICE_LOGIN".to_owned(), "LOGIN_SUCCEEDED".to_owned()],
        "only the login just now"
    );
}

/// Three push step-ups on the enrolled BIOMETRIC device: approved, rejected, and one left
/// unanswered past its time, whose status is then read once (it reports EXPIRED). Returns that
/// last challenge's id.
async fn push_approved_rejected_and_expired(t: &TestApp, access: &str, device: &Device) -> String {
    step_up_by_push(t, access, "BIOMETRIC", device).await;
    let start =
        || async { t.post("/stepup/challenges/push/BIOMETRIC", Some(access), json!({})).await.body["id"].clone() };
    let id = start().await.as_str().unwrap().to_owned();
    let reject = json!({"signature": device.sign(&format!("{id}:reject"))});
    assert_eq!(t.post(&format!("/stepup/challenges/push/BIOMETRIC/{id}/reject"), None, reject).await.status, 204);
    let id = start().await.as_str().unwrap().to_owned();
    t.clock.advance(shared::app::push_step_up::PUSH_TTL_SECS + 1);
    let r = t.get(&format!("/stepup/challenges/push/BIOMETRIC/{id}"), Some(access)).await;
    assert_eq!(r.body["status"], "EXPIRED");
    id
}

async fn step_ups_report_their_start_outcome_and_expiry(b: Backend) {
    // A device enrolled with the password alone: its step-ups spend as unproven ones, past the
    // share of the default push budget here.
    let t = TestApp::with_config(b, |c| c.rate_limit.push_per_account_per_10_minutes = 10).await;
    let (_, access) = t.tokens("jane@example.com").await;
    let device = Device::new(8);
    assert_eq!(t.post("/authentication_factors/push/BIOMETRIC", Some(&access), device.enrolment()).await.status, 200);
    // Approved, rejected, left to expire (its status read twice: one expiry).
    let expired = push_approved_rejected_and_expired(&t, &access, &device).await;
    let r = t.get(&format!("/stepup/challenges/push/BIOMETRIC/{expired}"), Some(&access)).await;
    assert_eq!(r.body["status"], "EXPIRED");
    let seen = types(&trail(&t, &access).await);
    let count = |kind: &str| seen.iter().filter(|s| *s == kind).count();
    assert_eq!(count("STEP_UP_STARTED"), 3, "{seen:?}");
    assert_eq!(count("STEP_UP_SUCCEEDED"), 1, "{seen:?}");
    assert_eq!(count("STEP_UP_FAILED"), 1, "{seen:?}");
    assert_eq!(count("STEP_UP_EXPIRED"), 1, "{seen:?}");
    // By SMS (enrolled after a step-up): a wrong code, then the right one.
    step_up_by_push(&t, &access, "BIOMETRIC", &device).await;
    integration_tests::enrol_sms(&t, &access).await;
    t.clock.advance(shared::otp::RESEND_COOLDOWN_SECS + 1);
    assert_eq!(t.post("/stepup/challenges/otp/SMS", Some(&access), json!({})).await.status, 204);
    let verify = |code: &str| json!({ "verificationCode": code });
    assert_eq!(t.post("/stepup/challenges/otp/SMS/verify", Some(&access), verify("000000")).await.status, 409);
    assert_eq!(t.post("/stepup/challenges/otp/SMS/verify", Some(&access), verify("123456")).await.status, 204);
    let events = trail(&t, &access).await;
    let sms: Vec<&Value> = events
        .iter()
        .filter(|e| e["details"]["channel"] == "SMS" && e["type"].as_str().unwrap().starts_with("STEP_UP"))
        .collect();
    // Newest first, though all in one second.
    let sms = types(&sms.into_iter().cloned().collect::<Vec<_>>());
    assert_eq!(sms, vec!["STEP_UP_SUCCEEDED", "STEP_UP_FAILED", "STEP_UP_STARTED"]);
}

/// Surface 2's methods: the e-mail validated as a method (and so verified), TOTP enabled, then
/// removed: each in the trail, read with the idToken.
async fn surface_two_method_changes_are_reported(b: Backend) {
    let t = TestApp::new(b).await;
    let (id_token, _) = t.id_tokens("jane@example.com").await;
    let otp = |m: lambda_http::http::Method, path: &str, code: String, body: Option<Value>| {
        let (t, id_token, path) = (&t, id_token.clone(), path.to_owned());
        async move { t.with_otp(m, &path, &id_token, code, body).await }
    };
    use lambda_http::http::Method;
    assert_eq!(t.get("/auth/otp/code?method=EMAIL", Some(&id_token)).await.status, 200);
    assert_eq!(
        otp(Method::POST, "/auth/otp/code", "123456".into(), Some(json!({"channel": "EMAIL"}))).await.status,
        200
    );
    // TOTP, on proof of an e-mail code (the account's one factor).
    t.clock.advance(shared::otp::RESEND_COOLDOWN_SECS + 1);
    assert_eq!(t.get("/auth/otp/code?method=EMAIL", Some(&id_token)).await.status, 200);
    let r = otp(Method::POST, "/auth/otp/methods/totp", "123456".into(), Some(json!({}))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let secret =
        totp_rs::Secret::try_from_base32(r.body["totp"]["secret"].as_str().unwrap()).unwrap().as_ref().to_vec();
    let r = otp(Method::POST, "/auth/otp/code", t.totp_code(&secret, 0), Some(json!({"channel": "TOTP"}))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    t.clock.advance(30);
    let r = otp(Method::DELETE, "/auth/otp/methods/totp", t.totp_code(&secret, 0), None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let events = trail(&t, &id_token).await;
    let of = |kind: &str, method: &str| {
        events
            .iter()
            .filter(|e| e["type"] == kind && e["details"]["method"] == method && e["details"]["surface"] == 2)
            .count()
    };
    assert_eq!(of("FACTOR_ENROLLED", "EMAIL"), 1, "{events:?}");
    // The secret added (pending its first code), then validated.
    assert_eq!(of("FACTOR_ENROLLED", "TOTP"), 2, "{events:?}");
    let pending = |e: &&Value| e["type"] == "FACTOR_ENROLLED" && e["details"]["status"] == "PENDING_VERIFICATION";
    assert_eq!(events.iter().filter(pending).count(), 1, "{events:?}");
    assert_eq!(of("FACTOR_REMOVED", "TOTP"), 1, "{events:?}");
    assert_eq!(types(&events).iter().filter(|s| *s == "EMAIL_VERIFIED").count(), 1);
}

/// The second attack review's findings, each an attack that failed before its fix.
async fn racing_revocations_report_once_and_refusals_report_nothing(b: Backend) {
    use integration_tests::{burst, raw_request};
    let t = TestApp::with_config(b, |c| c.admin_local = true).await;
    let (auth, access) = t.tokens("jane@example.com").await;
    let addr = t.serve().await;
    let count = |events: &[Value], kind: &str| events.iter().filter(|e| e["type"] == kind).count();
    // A spent refresh token replayed ten times at once: one REFRESH_TOKEN_REUSED.
    let (_, first) = t.id_login_tokens("jane@example.com").await;
    t.post("/auth/login/refresh", None, json!({"refreshToken": first})).await;
    t.clock.advance(t.app.config.refresh_reuse_grace_secs + 1);
    let replay = raw_request("POST", "/auth/login/refresh", None, Some(&json!({"refreshToken": first})));
    burst(addr, vec![replay; 10]).await;
    // One logout of a family, ten times at once: one LOGOUT.
    let (_, refresh) = t.id_login_tokens("jane@example.com").await;
    let logout = raw_request("POST", "/auth/logout", None, Some(&json!({"refreshToken": refresh})));
    burst(addr, vec![logout; 10]).await;
    // One login ended ten times at once: one 204, the rest 404, one SESSION_REVOKED.
    let (_, refresh) = t.id_login_tokens("jane@example.com").await;
    let family: String = refresh.splitn(3, '.').take(2).collect::<Vec<_>>().join(".");
    let delete = raw_request("DELETE", &format!("/sessions/{family}"), Some(&auth), None);
    let answers = burst(addr, vec![delete; 10]).await;
    assert_eq!(answers.iter().filter(|(st, _)| *st == 204).count(), 1, "{answers:?}");
    assert!(answers.iter().all(|(st, _)| *st == 204 || *st == 404), "{answers:?}");
    let events = trail(&t, &access).await;
    assert_eq!(count(&events, "REFRESH_TOKEN_REUSED"), 1, "{:?}", types(&events));
    assert_eq!(count(&events, "LOGOUT"), 1, "{:?}", types(&events));
    assert_eq!(count(&events, "SESSION_REVOKED"), 1, "{:?}", types(&events));
    // Wrong step-up codes past the lock and on a dead challenge compare nothing: no events.
    integration_tests::enrol_sms(&t, &access).await;
    t.clock.advance(shared::otp::RESEND_COOLDOWN_SECS + 1);
    assert_eq!(t.post("/stepup/challenges/otp/SMS", Some(&access), json!({})).await.status, 204);
    for _ in 0..20 {
        t.post("/stepup/challenges/otp/SMS/verify", Some(&access), json!({"verificationCode": "000000"})).await;
    }
    let events = trail(&t, &access).await;
    assert!(count(&events, "STEP_UP_FAILED") <= 5, "{:?}", types(&events));
    // Logins that had already idled out are not ended again, nor reported.
    t.clock.advance(t.app.config.lockout_secs);
    let (_, idle) = t.session_tokens("jane@example.com").await;
    let _ = idle;
    t.clock.advance(t.app.config.session_max_secs);
    let before = count(&trail(&t, &t.session_tokens("jane@example.com").await.1).await, "SESSION_REVOKED");
    let r = t.post("/_admin/end_sessions", None, json!({"email": "jane@example.com"})).await;
    let (_, access) = t.session_tokens("jane@example.com").await;
    let after = count(&trail(&t, &access).await, "SESSION_REVOKED");
    assert_eq!(after - before, r.body["changed"]["endedSessions"].as_u64().unwrap() as usize, "{}", r.body);
}

/// A failed login costs the same store work for an e-mail without an account as for one with:
/// its event is written to a decoy trail, which nothing publishes.
async fn a_failed_login_writes_alike_for_known_and_unknown_emails(b: Backend) {
    let t = TestApp::new(b).await;
    t.register("jane@example.com").await;
    let mut spent = Vec::new();
    for email in ["jane@example.com", "nobody@example.com"] {
        t.probe.reset();
        assert_eq!(t.login(email, "not the password").await.status, 403);
        spent.push(t.probe.calls());
    }
    assert_eq!(spent[0], spent[1], "the store work tells accounts apart");
}

/// A refused password change (its old password was right, but another change won) ends
/// nobody's session: the winner's new token keeps working.
async fn a_refused_password_change_ends_no_session(b: Backend) {
    use integration_tests::{burst, raw_request};
    let t = TestApp::new(b).await;
    let (_, access) = t.tokens("jane@example.com").await;
    let addr = t.serve().await;
    let requests = (0..4)
        .map(|i| {
            let change = json!({"oldPassword": {"value": PASSWORD}, "newPassword": {"value": format!("{NEW} {i}")}});
            raw_request("POST", "/passwords/update", Some(&access), Some(&change))
        })
        .collect();
    let answers = burst(addr, requests).await;
    let won: Vec<&Value> = answers.iter().filter(|(st, _)| *st == 200).map(|(_, b)| b).collect();
    assert_eq!(won.len(), 1, "{answers:?}");
    let token = won[0]["token"].as_str().unwrap();
    assert_eq!(t.get("/identities", Some(token)).await.status, 200, "the winner's session was ended: {answers:?}");
}

/// The last page has no cursor, and cursors are URL-safe.
async fn the_last_page_has_no_cursor(b: Backend) {
    let t = TestApp::new(b).await;
    t.register("jane@example.com").await;
    for _ in 0..13 {
        t.login("jane@example.com", PASSWORD).await;
    }
    let (_, access) = t.session_tokens("jane@example.com").await;
    let first = t.get("/security_events?limit=7", Some(&access)).await.body;
    let cursor = first["cursor"].as_str().unwrap();
    assert!(cursor.bytes().all(|c| c.is_ascii_alphanumeric() || b".-_".contains(&c)), "{cursor}");
    let second = t.get(&format!("/security_events?limit=7&cursor={cursor}"), Some(&access)).await.body;
    assert_eq!(second["events"].as_array().unwrap().len(), 7);
    assert!(second["cursor"].is_null(), "{second}");
}

/// The trail in the order things happened: a burst of events within one second (the tests'
/// clock does not move) is listed newest first exactly as it was made, a password change right
/// after the step-up it spent included, and paging through it by threes neither skips nor
/// repeats an event.
async fn a_burst_within_one_second_is_listed_in_order_and_pages_cleanly(b: Backend) {
    let t = TestApp::new(b).await;
    let (_, access) = t.tokens("jane@example.com").await;
    let mut made = vec!["LOGIN_SUCCEEDED"];
    for _ in 0..4 {
        let (auth, _) = t.session_tokens("jane@example.com").await;
        assert_eq!(t.post("/logout", Some(&auth), json!({})).await.status, 204);
        made.extend(["LOGIN_SUCCEEDED", "LOGOUT"]);
    }
    let device = Device::new(4);
    assert_eq!(t.post("/authentication_factors/push/BIOMETRIC", Some(&access), device.enrolment()).await.status, 200);
    step_up_by_push(&t, &access, "BIOMETRIC", &device).await;
    let change = json!({"oldPassword": {"value": PASSWORD}, "newPassword": {"value": NEW}});
    let r = t.post("/passwords/update", Some(&access), change).await;
    assert_eq!(r.status, 200, "{}", r.body);
    // The change opens the caller's new session.
    made.extend(["FACTOR_ENROLLED", "STEP_UP_STARTED", "STEP_UP_SUCCEEDED", "PASSWORD_CHANGED", "LOGIN_SUCCEEDED"]);
    let token = t.access_token(r.body["token"].as_str().unwrap()).await;

    let whole = t.get("/security_events?limit=100", Some(&token)).await.body["events"].as_array().unwrap().clone();
    let paged = trail(&t, &token).await;
    let ids = |events: &[Value]| events.iter().map(|e| e["id"].as_str().unwrap().to_owned()).collect::<Vec<_>>();
    assert_eq!(ids(&paged), ids(&whole), "pages of 7 skip or repeat");
    let mut by_threes = Vec::new();
    let mut cursor = String::new();
    loop {
        let r = t.get(&format!("/security_events?limit=3{cursor}"), Some(&token)).await;
        by_threes.extend(r.body["events"].as_array().unwrap().iter().cloned());
        match r.body["cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(ids(&by_threes), ids(&whole), "pages of 3 skip or repeat");
    // Oldest first, only the events named above (a password change's own SESSION_REVOKED of
    // the other logins aside, which it writes with the change).
    let happened: Vec<String> = types(&whole).into_iter().rev().filter(|k| k != "SESSION_REVOKED").collect();
    assert_eq!(happened, made, "the trail is out of order");
    let ats: std::collections::BTreeSet<&str> = whole.iter().map(|e| e["at"].as_str().unwrap()).collect();
    assert_eq!(ats.len(), 1, "all within one second: {ats:?}");
    let ms: Vec<i64> = whole.iter().map(|e| e["atMs"].as_i64().unwrap()).collect();
    assert!(ms.windows(2).all(|w| w[0] >= w[1]), "{ms:?}");
}

on_both_stores!(
    a_burst_within_one_second_is_listed_in_order_and_pages_cleanly,
    racing_revocations_report_once_and_refusals_report_nothing,
    a_failed_login_writes_alike_for_known_and_unknown_emails,
    a_refused_password_change_ends_no_session,
    the_last_page_has_no_cursor,
    surface_two_method_changes_are_reported,
    step_ups_report_their_start_outcome_and_expiry,
    every_operation_leaves_its_events_in_the_trail,
    locks_logouts_and_operator_actions_are_reported,
    a_failed_change_commits_no_event,
    the_trail_pages_newest_first_keeps_ninety_days_and_is_the_callers_own,
);

/// Keeps what it is given: the sink of the test below.
#[derive(Default)]
struct Kept(std::sync::Mutex<Vec<shared::domain::events::SecurityEvent>>);

#[async_trait::async_trait]
impl shared::publish::EventSink for Kept {
    async fn put(
        &self,
        events: &[shared::domain::events::SecurityEvent],
    ) -> Result<Vec<bool>, shared::domain::error::BoxError> {
        self.0.lock().unwrap().extend(events.iter().cloned());
        Ok(vec![true; events.len()])
    }
}

/// `events/publish-events.json`, as the stream's event source mapping delivers it to
/// `functions/publish-events`: its event decodes and is put, nothing to retry.
#[tokio::test]
async fn the_publish_events_event_decodes_and_is_put() {
    let raw = std::fs::read_to_string(
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../events/publish-events.json"),
    );
    let batch: Value = serde_json::from_str(&raw.unwrap()).unwrap();
    let sink = Kept::default();
    let answer = shared::publish::handle(&sink, &batch).await.unwrap();
    assert_eq!(answer, json!({"batchItemFailures": []}));
    let put = sink.0.lock().unwrap().clone();
    assert_eq!(put.len(), 1);
    assert_eq!(put[0].kind, shared::domain::events::EventType::LoginSucceeded);
    assert_eq!(put[0].details["tokenType"], "AUTH");
}

/// Every type of the catalogue, produced by the flows on DynamoDB Local, put by the publisher's
/// EventBridge sink on moto's bus, and read back through a rule's queue: each arrives once,
/// with its type as the detail-type and the event as the detail. (The stream's part, from
/// DynamoDB Local's stream through the publish-events binary, is the Lambda emulator's.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_type_of_event_arrives_on_eventbridge() {
    use lambda_http::http::Method;
    use shared::domain::events::EventType;
    let t = TestApp::with_config(Backend::Dynamo, |c| {
        c.admin_local = true;
        // Pushes beyond one unproven login's part of the default budget.
        c.rate_limit.push_per_account_per_10_minutes = 10;
    })
    .await;
    let email = "every@example.com";
    let (_, access) = t.tokens(email).await;
    // Failed logins, a lock, the operator's unlock, expiry, block and unblock.
    for _ in 0..5 {
        t.login(email, "guessing").await;
    }
    for action in ["unlock", "expire_password", "block", "unblock"] {
        assert_eq!(t.post(&format!("/_admin/{action}"), None, json!({ "email": email })).await.status, 200, "{action}");
    }
    // The reset (the expired password's way out), the e-mail verified.
    assert_eq!(t.post("/passwords/lost_password/start", None, json!({ "email": email })).await.status, 204);
    let reset = json!({"email": email, "nonce": "123456", "newPassword": {"value": NEW}});
    let auth = t.post("/passwords/lost_password/resume", None, reset).await.body["token"].as_str().unwrap().to_owned();
    let access = {
        let _ = access;
        t.access_token(&auth).await
    };
    // A push device: enrolled, a step-up approved, one rejected, one expired; removed.
    let device = Device::new(3);
    assert_eq!(t.post("/authentication_factors/push/BIOMETRIC", Some(&access), device.enrolment()).await.status, 200);
    push_approved_rejected_and_expired(&t, &access, &device).await;
    let access = t.access_token(&auth).await;
    step_up_by_push(&t, &access, "BIOMETRIC", &device).await;
    // A wrong old password: a failed check off the login path.
    let wrong = json!({"oldPassword": {"value": "not the password"}, "newPassword": {"value": "a whole new phrase"}});
    assert_eq!(t.post("/passwords/update", Some(&access), wrong).await.status, 409);
    let change = json!({"oldPassword": {"value": NEW}, "newPassword": {"value": "yet another long passphrase"}});
    let auth = t.post("/passwords/update", Some(&access), change).await.body["token"].as_str().unwrap().to_owned();
    let access = t.access_token(&auth).await;
    step_up_by_push(&t, &access, "BIOMETRIC", &device).await;
    assert_eq!(t.delete("/authentication_factors/push/BIOMETRIC", Some(&access)).await.status, 204);
    assert_eq!(t.post("/users/verification/email/send", None, json!({ "email": email })).await.status, 204);
    let verify = json!({"email": email, "verificationCode": "123456"});
    assert_eq!(t.post("/users/verification/email/verify", None, verify).await.status, 204);
    // Issue 25: recovery codes, generated under a step-up by the e-mail; one used.
    assert_eq!(t.post("/stepup/challenges/otp/EMAIL", Some(&access), json!({})).await.status, 204);
    let code = json!({"verificationCode": "123456"});
    assert_eq!(t.post("/stepup/challenges/otp/EMAIL/verify", Some(&access), code).await.status, 204);
    let codes = integration_tests::generate_recovery_codes(&t, &access).await;
    let code = json!({ "verificationCode": codes[0] });
    assert_eq!(t.post("/stepup/challenges/recovery_code/verify", Some(&access), code).await.status, 204);
    // Surface 2: a refresh replayed; logins listed and one ended; logouts.
    let login = json!({"email": email, "password": "yet another long passphrase"});
    let r = t.post("/auth/login", None, login.clone()).await;
    let first = r.body["refreshToken"].as_str().unwrap().to_owned();
    t.post("/auth/login/refresh", None, json!({"refreshToken": first})).await;
    t.clock.advance(t.app.config.refresh_reuse_grace_secs + 1);
    assert_eq!(
        t.post("/auth/login/refresh", None, json!({"refreshToken": first})).await.body["code"],
        "REFRESH_TOKEN_REUSED"
    );
    let r = t.post("/auth/login", None, login).await;
    let (id_token, refresh) =
        (r.body["idToken"].as_str().unwrap().to_owned(), r.body["refreshToken"].as_str().unwrap().to_owned());
    let other = t.login(email, "yet another long passphrase").await.body["token"].as_str().unwrap().to_owned();
    assert_eq!(t.post("/sessions/revoke_others", Some(&id_token), json!({})).await.status, 204);
    assert_eq!(t.post("/auth/logout", None, json!({ "refreshToken": refresh })).await.status, 204);
    let _ = (other, Method::GET);
    let auth = t.login(email, "yet another long passphrase").await.body["token"].as_str().unwrap().to_owned();
    assert_eq!(t.post("/logout", Some(&auth), json!({})).await.status, 204);

    // Issue 25, on a second account: a login from a new device, the address changed and taken back.
    let mover = "every-mover@example.com";
    let (_, mover_access) = t.tokens(mover).await;
    let mut req = integration_tests::request(
        Method::POST,
        "/login_with_password",
        None,
        Some(json!({"email": mover, "password": {"value": PASSWORD}})),
    );
    req.headers_mut().insert("user-agent", "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Firefox/133.0".parse().unwrap());
    assert_eq!(t.call(req).await.status, 200);
    let change = json!({"newEmail": "every-moved@example.com", "password": {"value": PASSWORD}});
    assert_eq!(t.post("/users/email/change", Some(&mover_access), change).await.status, 204);
    let code = json!({"verificationCode": "123456"});
    assert_eq!(t.post("/users/email/change/verify", Some(&mover_access), code).await.status, 204);
    let revert = json!({"email": mover, "nonce": "123456"});
    assert_eq!(t.post("/users/email/change/revert", None, revert).await.status, 204);

    // The accounts' whole trails, as the store holds them.
    let user = t.app.store.get_user(email).await.unwrap().unwrap();
    let mut events = t.app.store.list_events(&user.user_id, None, 1000).await.unwrap();
    let moved = t.app.store.get_user(mover).await.unwrap().unwrap();
    events.extend(t.app.store.list_events(&moved.user_id, None, 1000).await.unwrap());
    let kinds: std::collections::HashSet<EventType> = events.iter().map(|e| e.kind).collect();
    // ACCOUNT_DELETED leaves no trail to read (the deletion erases it): `erasure.rs` and the
    // Lambda emulator's scenario prove it is committed and published.
    let missing: Vec<EventType> =
        EventType::ALL.into_iter().filter(|k| !kinds.contains(k) && *k != EventType::AccountDeleted).collect();
    assert!(missing.is_empty(), "the flows produced no {missing:?}");

    // Through the publisher's sink onto moto's bus, and back out of a queue a rule fills.
    let (bridge, sqs) = (integration_tests::eventbridge_client(), integration_tests::sqs_client());
    let bus = format!("security-events-{}", shared::crypto::random_token_id().unwrap());
    bridge.create_event_bus().name(&bus).send().await.unwrap();
    let queue = sqs.create_queue().queue_name(format!("watch-{}", &bus[16..])).send().await.unwrap().queue_url.unwrap();
    let attrs = sqs
        .get_queue_attributes()
        .queue_url(&queue)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap();
    let queue_arn = attrs.attributes.unwrap()[&aws_sdk_sqs::types::QueueAttributeName::QueueArn].clone();
    bridge
        .put_rule()
        .name("watch")
        .event_bus_name(&bus)
        .event_pattern(r#"{"source": ["auth-service"]}"#)
        .send()
        .await
        .unwrap();
    let target = aws_sdk_eventbridge::types::Target::builder().id("queue").arn(queue_arn).build().unwrap();
    bridge.put_targets().rule("watch").event_bus_name(&bus).targets(target).send().await.unwrap();
    let sink = shared::publish::EventBridgeSink::new(bridge.clone(), &bus);
    for chunk in events.chunks(10) {
        let accepted = shared::publish::EventSink::put(&sink, chunk).await.unwrap();
        assert!(accepted.iter().all(|ok| *ok), "{accepted:?}");
    }
    let mut received: Vec<Value> = Vec::new();
    loop {
        let out = sqs.receive_message().queue_url(&queue).max_number_of_messages(10).send().await.unwrap();
        let messages = out.messages.unwrap_or_default();
        if messages.is_empty() {
            break;
        }
        received.extend(messages.iter().map(|m| serde_json::from_str::<Value>(m.body().unwrap()).unwrap()));
    }
    let ids: std::collections::BTreeSet<&str> = received.iter().map(|m| m["detail"]["id"].as_str().unwrap()).collect();
    assert_eq!((received.len(), ids.len()), (events.len(), events.len()), "each event once");
    for kind in EventType::ALL.into_iter().filter(|k| *k != EventType::AccountDeleted) {
        let name = kind.name();
        assert!(
            received.iter().any(|m| m["detail-type"] == name.as_str() && m["detail"]["type"] == name.as_str()),
            "{name} did not arrive"
        );
    }
    assert!(received.iter().all(|m| m["source"] == shared::publish::SOURCE));
}
