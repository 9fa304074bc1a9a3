//! Hardening: races on real concurrency, injected faults, abuse and attacks. Each test would
//! fail without the protection it names.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::Instant;

use integration_tests::{
    Backend, Device, PASSWORD, Reply, Senders, TestApp, concurrent_wrong_logins, enrol_sms, on_both_stores, prepared,
    request,
};
use lambda_http::http::Method;
use serde_json::json;
use shared::testing::Fault;

// ---------------------------------------------------------------- races

async fn fifty_concurrent_wrong_logins_lose_no_failure(b: Backend) {
    let t = Arc::new(TestApp::with_config(b, |c| c.lockout_threshold = 1000).await);
    t.register("jane@example.com").await;
    let statuses = concurrent_wrong_logins(&t, "jane@example.com", 50).await;
    assert!(statuses.iter().all(|s| *s == 403), "{statuses:?}");
    let (_, lockout) = t.app.store.load_login("jane@example.com", t.clock_now()).await.unwrap();
    assert_eq!(lockout.state.failures, 50, "every failure counted");
}

async fn fifty_concurrent_wrong_logins_lock_the_account(b: Backend) {
    let t = Arc::new(TestApp::new(b).await);
    t.register("jane@example.com").await;
    let statuses = concurrent_wrong_logins(&t, "jane@example.com", 50).await;
    assert!(statuses.iter().all(|s| *s == 403 || *s == 423), "{statuses:?}");
    assert!(statuses.iter().filter(|s| **s == 403).count() <= 4, "at most threshold-1 plain failures: {statuses:?}");
    assert_eq!(t.login("jane@example.com", PASSWORD).await.status, 423);
    t.clock.advance(1800);
    assert_eq!(t.login("jane@example.com", PASSWORD).await.status, 200);
}

async fn twenty_concurrent_push_starts_admit_one(b: Backend) {
    let t = Arc::new(
        TestApp::with_config(b, |c| {
            c.rate_limit.per_account_per_minute = 100;
            c.rate_limit.push_per_account_per_10_minutes = 100;
        })
        .await,
    );
    let (_, access) = t.tokens("jane@example.com").await;
    t.post("/authentication_factors/push/AUTHY", Some(&access), Device::new(1).enrolment()).await;
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let (t, access) = (Arc::clone(&t), access.clone());
            tokio::spawn(async move { t.post("/stepup/challenges/push/AUTHY", Some(&access), json!({})).await })
        })
        .collect();
    let replies: Vec<Reply> = futures::future::join_all(tasks).await.into_iter().map(Result::unwrap).collect();
    assert_eq!(replies.iter().filter(|r| r.status == 200).count(), 1);
    assert!(
        replies.iter().filter(|r| r.status != 200).all(|r| r.status == 409 && r.body["errorCode"] == "STATE_INVALID")
    );
}

async fn one_code_verified_ten_times_at_once_succeeds_once(b: Backend) {
    let t = Arc::new(TestApp::new(b).await);
    let (_, access) = t.tokens("jane@example.com").await;
    enrol_sms(&t, &access).await;
    assert_eq!(t.post("/stepup/challenges/otp/SMS", Some(&access), json!({})).await.status, 204);
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let (t, access) = (Arc::clone(&t), access.clone());
            tokio::spawn(async move {
                t.post("/stepup/challenges/otp/SMS/verify", Some(&access), json!({"verificationCode": "123456"})).await
            })
        })
        .collect();
    let replies: Vec<Reply> = futures::future::join_all(tasks).await.into_iter().map(Result::unwrap).collect();
    assert_eq!(
        replies.iter().filter(|r| r.status == 204).count(),
        1,
        "{:?}",
        replies.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    // Each check spends a try before comparing: once five are spent the challenge is used up
    // (or already consumed), and the lockout refuses what comes after its threshold.
    assert!(
        replies.iter().filter(|r| r.status != 204).all(|r| r.status == 423
            || r.body["errorCode"] == "STATE_INVALID"
            || r.body["errorCode"] == "CHALLENGE_LIMIT_EXCEEDED"),
        "{:?}",
        replies.iter().map(|r| &r.body).collect::<Vec<_>>()
    );
}

async fn no_request_succeeds_after_logout_returns(b: Backend) {
    let t = Arc::new(TestApp::new(b).await);
    let auth = t.auth_token("jane@example.com").await;
    let hammer: Vec<_> = (0..4)
        .map(|_| {
            let (t, auth) = (Arc::clone(&t), auth.clone());
            tokio::spawn(async move {
                let mut seen = Vec::new();
                for _ in 0..15 {
                    let started = Instant::now();
                    let status = t.get("/identities", Some(&auth)).await.status;
                    seen.push((started, status));
                }
                seen
            })
        })
        .collect();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    assert_eq!(t.post("/logout", Some(&auth), json!({})).await.status, 204);
    let logged_out = Instant::now();
    for task in hammer {
        for (started, status) in task.await.unwrap() {
            if started > logged_out {
                assert_eq!(status, 401, "a request that started after logout returned succeeded");
            }
        }
    }
    assert_eq!(t.get("/identities", Some(&auth)).await.status, 401);
}

async fn refresh_racing_a_password_change_yields_no_working_id_token(b: Backend) {
    let t = Arc::new(TestApp::new(b).await);
    let (_, refresh) = t.id_tokens("jane@example.com").await;
    let auth = t.login("jane@example.com", PASSWORD).await.body["token"].as_str().unwrap().to_owned();
    let access = t.access_token(&auth).await;
    let refreshers: Vec<_> = (0..3)
        .map(|_| {
            let (t, refresh) = (Arc::clone(&t), refresh.clone());
            tokio::spawn(async move {
                let mut minted = Vec::new();
                for _ in 0..10 {
                    let r = t.post("/auth/login/refresh", None, json!({"refreshToken": refresh})).await;
                    if let Some(id) = r.body["idToken"].as_str() {
                        minted.push(id.to_owned());
                    }
                }
                minted
            })
        })
        .collect();
    let change = json!({"oldPassword": {"value": PASSWORD}, "newPassword": {"value": "violet tugboat harmonica 42"}});
    assert_eq!(t.post("/passwords/update", Some(&access), change).await.status, 200);
    for task in refreshers {
        for id_token in task.await.unwrap() {
            assert_eq!(
                t.get("/auth/me", Some(&id_token)).await.status,
                403,
                "an idToken works after the change returned"
            );
        }
    }
    assert_eq!(t.post("/auth/login/refresh", None, json!({"refreshToken": refresh})).await.status, 403);
}

// ---------------------------------------------------------------- faults

/// Every function, with its store throttled: 503 with Retry-After; with it broken: an opaque 500.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_endpoint_survives_a_failing_store() {
    for (name, path) in integration_tests::event_files() {
        // The preflight function reads no store (nor any other AWS service).
        if integration_tests::NOT_HTTP.contains(&name.as_str()) || name == "preflight" {
            continue;
        }
        for (fault, status) in [(Fault::Unavailable, 503), (Fault::Broken, 500)] {
            let (t, raw) = prepared(&name, &std::fs::read_to_string(&path).unwrap(), Senders::Sandbox).await;
            t.probe.set_fault(fault);
            let req = lambda_http::request::from_str(&raw).unwrap();
            let function = shared::api::lambda::function(t.app.clone(), shared::api::routes::named(&name));
            let reply = Reply::read(tower::ServiceExt::oneshot(function, req).await.unwrap()).await;
            if name == "jwks" {
                assert_eq!(reply.status, 200, "jwks needs no store");
                continue;
            }
            assert_eq!(reply.status, status, "{name} with {fault:?}: {}", reply.body);
            if status == 503 {
                assert!(reply.header("retry-after").is_some(), "{name}: Retry-After");
            } else {
                let text = reply.body.to_string();
                assert!(!text.contains("injected"), "{name}: the cause leaked: {text}");
            }
        }
    }
}

async fn a_failed_sms_leaves_no_challenge_behind(b: Backend) {
    let t = TestApp::build(b, Senders::Flaky, |_| {}).await;
    let (_, access) = t.tokens("jane@example.com").await;
    enrol_sms(&t, &access).await;
    t.outage.set_down(true);
    let r = t.post("/stepup/challenges/otp/SMS", Some(&access), json!({})).await;
    assert_eq!(r.status, 503);
    assert!(r.header("retry-after").is_some());
    // No challenge was left: no code to answer, and no cooldown blocking the next try.
    let verify =
        t.post("/stepup/challenges/otp/SMS/verify", Some(&access), json!({"verificationCode": "123456"})).await;
    assert_eq!(verify.body["errorCode"], "STATE_INVALID");
    t.outage.set_down(false);
    assert_eq!(t.post("/stepup/challenges/otp/SMS", Some(&access), json!({})).await.status, 204);
}

async fn a_failed_push_leaves_no_challenge_in_flight(b: Backend) {
    let t = TestApp::build(b, Senders::Flaky, |_| {}).await;
    let (_, access) = t.tokens("jane@example.com").await;
    assert_eq!(
        t.post("/authentication_factors/push/AUTHY", Some(&access), Device::new(2).enrolment()).await.status,
        200
    );
    t.outage.set_down(true);
    assert_eq!(t.post("/stepup/challenges/push/AUTHY", Some(&access), json!({})).await.status, 503);
    t.outage.set_down(false);
    assert_eq!(
        t.post("/stepup/challenges/push/AUTHY", Some(&access), json!({})).await.status,
        200,
        "not STATE_INVALID"
    );
}

async fn a_failed_email_is_a_503(b: Backend) {
    let t = TestApp::build(b, Senders::Flaky, |_| {}).await;
    let (id_token, _) = t.id_tokens("jane@example.com").await;
    t.outage.set_down(true);
    let r = t.get("/auth/otp/code?method=EMAIL", Some(&id_token)).await;
    assert_eq!(r.status, 503);
    t.outage.set_down(false);
    assert_eq!(t.get("/auth/otp/code?method=EMAIL", Some(&id_token)).await.status, 200, "no cooldown left behind");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_key_ids_reload_the_keys_at_most_once_a_minute() {
    let t = TestApp::new(Backend::Memory).await;
    assert_eq!(t.keys.loads(), 1, "loaded once at start-up");
    let forged_header = shared::crypto::b64url(br#"{"alg":"HS256","typ":"JWT","kid":"rotated-away:auth"}"#);
    let token = format!("{forged_header}.eyJzaWQiOiIxLmEifQ.c2ln");
    for _ in 0..10 {
        assert_eq!(t.get("/identities", Some(&token)).await.status, 401);
    }
    assert_eq!(t.keys.loads(), 2, "one reload for ten unknown-kid tokens");
    t.clock.advance(61);
    assert_eq!(t.get("/identities", Some(&token)).await.status, 401);
    assert_eq!(t.keys.loads(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_manager_unreachable_at_cold_start_fails_clearly_then_recovers() {
    let client = integration_tests::secrets_client();
    let secret_id = format!("auth-keys-{}", shared::crypto::random_token_id().unwrap());
    let cold_start = || async {
        let keys = Arc::new(shared::keys::SecretsManagerKeys::new(client.clone(), secret_id.clone()));
        let adapters = shared::app::Adapters {
            clock: Arc::new(shared::clock::SystemClock),
            store: Arc::new(shared::store::MemoryStore::new()),
            sms: Arc::new(shared::sms::SandboxSms::new()),
            push: Arc::new(shared::push::SandboxPush::new()),
            email: Arc::new(shared::email::SandboxEmail::new()),
            keys,
        };
        shared::App::new(shared::config::Config::local_defaults(), adapters).await
    };
    let err = cold_start().await.err().expect("no secret yet: start-up must fail");
    assert!(err.to_string().contains("loading signing keys"), "{err}");
    let doc = shared::keys::KeySetDocument {
        current: shared::keys::generate_generation("k1").unwrap(),
        previous: None,
        retired: Vec::new(),
    };
    client.create_secret().name(&secret_id).secret_string(serde_json::to_string(&doc).unwrap()).send().await.unwrap();
    let app = cold_start().await.expect("the next cold start recovers");
    assert_eq!(app.keys().session().unwrap().current.kid, "k1");
}

// ---------------------------------------------------------------- abuse

async fn strangers_failing_cannot_end_a_live_session(b: Backend) {
    let t = TestApp::new(b).await;
    let (auth, access) = t.tokens("jane@example.com").await;
    for _ in 0..5 {
        t.login("jane@example.com", "attacker guess").await;
    }
    assert_eq!(t.login("jane@example.com", PASSWORD).await.status, 423, "new logins wait");
    assert_eq!(t.get("/identities", Some(&auth)).await.status, 200, "the live session goes on");
    assert_eq!(t.get("/authentication_factors", Some(&access)).await.status, 200);
}

async fn code_sending_is_limited_per_account(b: Backend) {
    let t = TestApp::with_config(b, |c| c.rate_limit.per_account_per_minute = 2).await;
    let (id_token, _) = t.id_tokens("jane@example.com").await;
    for _ in 0..2 {
        assert_eq!(t.get("/auth/otp/code?method=EMAIL", Some(&id_token)).await.status, 200);
        t.clock.advance(16);
    }
    let r = t.get("/auth/otp/code?method=EMAIL", Some(&id_token)).await;
    assert_eq!(r.status, 429);
    assert_eq!(r.header("x-ratelimit-limit"), Some("2"));
}

// ---------------------------------------------------------------- attacks

async fn forged_session_tokens_are_refused(b: Backend) {
    let t = TestApp::with_config(b, |c| c.session_max_secs = 600).await;
    let (auth, access) = t.tokens("jane@example.com").await;
    let parts: Vec<&str> = auth.split('.').collect();
    let header: serde_json::Value = serde_json::from_slice(&shared::crypto::b64url_decode(parts[0]).unwrap()).unwrap();
    let kid = header["kid"].as_str().unwrap();
    let none = shared::crypto::b64url(format!(r#"{{"alg":"none","kid":"{kid}"}}"#).as_bytes());
    let wrong_kid = shared::crypto::b64url(br#"{"alg":"HS256","kid":"nobody:auth"}"#);
    let mut payload: serde_json::Value =
        serde_json::from_slice(&shared::crypto::b64url_decode(parts[1]).unwrap()).unwrap();
    payload["typ"] = json!("ACCESS");
    let tampered = shared::crypto::b64url(payload.to_string().as_bytes());
    for (what, token) in [
        ("alg none", format!("{none}.{}.", parts[1])),
        ("wrong kid", format!("{wrong_kid}.{}.{}", parts[1], parts[2])),
        ("tampered payload", format!("{}.{tampered}.{}", parts[0], parts[2])),
    ] {
        assert_eq!(t.get("/identities", Some(&token)).await.status, 401, "{what}");
    }
    // An ACCESS token for another user's identity cannot be had.
    let other = t.auth_token("john@example.com").await;
    let theirs = t.get("/identities", Some(&other)).await.body[0]["id"].clone();
    assert_eq!(t.post("/access_token", Some(&auth), json!({"identity": theirs})).await.status, 403);
    // Revoked, then expired at the absolute end.
    let (auth2, _) = t.tokens("jim@example.com").await;
    t.post("/logout", Some(&auth2), json!({})).await;
    assert_eq!(t.get("/identities", Some(&auth2)).await.status, 401, "revoked");
    for _ in 0..2 {
        t.clock.advance(299);
        t.get("/identities", Some(&auth)).await;
        t.get("/authentication_factors", Some(&access)).await;
    }
    t.clock.advance(2);
    assert_eq!(t.get("/identities", Some(&auth)).await.status, 401, "past the absolute end");
}

async fn bodies_that_carry_tokens_are_never_cached(b: Backend) {
    let t = TestApp::new(b).await;
    t.register("jane@example.com").await;
    let login = t.login("jane@example.com", PASSWORD).await;
    let auth = login.body["token"].as_str().unwrap().to_owned();
    let identity = t.get("/identities", Some(&auth)).await.body[0]["id"].clone();
    let access = t.post("/access_token", Some(&auth), json!({"identity": identity})).await;
    let id_login = t.id_login("jane@example.com", PASSWORD).await;
    let refresh = t.post("/auth/login/refresh", None, json!({"refreshToken": id_login.body["refreshToken"]})).await;
    for (what, r) in [("login", &login), ("access_token", &access), ("auth/login", &id_login), ("refresh", &refresh)] {
        assert_eq!(r.status, 200, "{what}");
        assert_eq!(r.header("cache-control"), Some("no-store"), "{what}");
    }
}

async fn hostile_bodies_get_clean_client_errors(b: Backend) {
    let t = TestApp::new(b).await;
    let (id_token, _) = t.id_tokens("jane@example.com").await;
    let raw = |path: &str, body: Vec<u8>, ct: &str| {
        let mut req = request(Method::POST, path, Some(&id_token), None);
        *req.body_mut() = lambda_http::Body::Binary(body);
        req.headers_mut().insert("content-type", ct.parse().unwrap());
        req
    };
    let nested = format!("{}{}", "{\"a\":".repeat(200), "}".repeat(200));
    for (path, body, ct) in [
        ("/auth/login", vec![b'{'; 17 * 1024], "application/json"),
        ("/auth/login", vec![0xc3, 0x28, b'{', b'}'], "application/json"),
        ("/auth/login", nested.into_bytes(), "application/json"),
        ("/auth/login", b"{}".to_vec(), "text/plain"),
        ("/users", b"<xml/>".to_vec(), "application/xml"),
        ("/auth/otp/methods/sms", b"\"just a string\"".to_vec(), "application/json"),
    ] {
        let r = t.call(raw(path, body, ct)).await;
        assert!((400..500).contains(&r.status), "{path} {ct}: {}", r.status);
        assert!(r.body["code"].is_string(), "{path}: {}", r.body);
    }
}

on_both_stores!(
    fifty_concurrent_wrong_logins_lose_no_failure,
    fifty_concurrent_wrong_logins_lock_the_account,
    twenty_concurrent_push_starts_admit_one,
    one_code_verified_ten_times_at_once_succeeds_once,
    no_request_succeeds_after_logout_returns,
    refresh_racing_a_password_change_yields_no_working_id_token,
    a_failed_sms_leaves_no_challenge_behind,
    a_failed_push_leaves_no_challenge_in_flight,
    a_failed_email_is_a_503,
    strangers_failing_cannot_end_a_live_session,
    code_sending_is_limited_per_account,
    forged_session_tokens_are_refused,
    bodies_that_carry_tokens_are_never_cached,
    hostile_bodies_get_clean_client_errors,
);
