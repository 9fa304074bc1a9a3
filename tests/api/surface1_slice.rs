//! The first slice of surface 1 (register, login, identities, logout) through the router, on
//! both stores: response shapes, lockout, sliding expiry, revocation and bad input.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use integration_tests::{Backend, PASSWORD, TestApp, concurrent_wrong_logins, on_both_stores, request};
use lambda_http::Body;
use lambda_http::http::Method;
use serde_json::json;

async fn registration_returns_numeric_ids_and_refuses_duplicates(b: Backend) {
    let t = TestApp::new(b).await;
    let body = t.register("Jane.Doe@Example.com").await;
    assert!(body["userId"].as_str().unwrap().bytes().all(|c| c.is_ascii_digit()));
    assert_eq!(body["identity"]["type"], "CONSUMER");
    assert!(body["identity"]["id"].as_str().unwrap().bytes().all(|c| c.is_ascii_digit()));
    let again = t
        .post("/users", None, json!({"email": "jane.doe@example.com", "password": {"value": PASSWORD}, "name": "J"}))
        .await;
    assert_eq!(again.status, 409);
    assert_eq!(again.body, json!({"errorCode": "EMAIL_ALREADY_REGISTERED"}));
    let corporate = t
        .post(
            "/users",
            None,
            json!({"email": "corp@example.com", "password": {"value": PASSWORD}, "name": "Corp", "identityType": "CORPORATE"}),
        )
        .await;
    assert_eq!(corporate.status, 201);
    assert_eq!(corporate.body["identity"]["type"], "CORPORATE");
}

async fn registration_reports_every_invalid_field(b: Backend) {
    let t = TestApp::new(b).await;
    let r = t
        .post(
            "/users",
            None,
            json!({"email": "not-an-email", "password": {"value": 12}, "identityType": "ROBOT", "mobile": {"countryCode": "44", "number": "x1234"}}),
        )
        .await;
    assert_eq!(r.status, 400);
    let fields: Vec<(String, String)> = r.body["syntaxErrors"]["invalidFields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["fieldName"].as_str().unwrap().to_owned(), f["error"].as_str().unwrap().to_owned()))
        .collect();
    for expected in [
        ("email", "REGEX"),
        ("password.value", "REGEX"),
        ("name", "REQUIRED"),
        ("identityType", "IN"),
        ("mobile.countryCode", "REGEX"),
        ("mobile.number", "REGEX"),
    ] {
        assert!(fields.contains(&(expected.0.into(), expected.1.into())), "{expected:?} not in {fields:?}");
    }
    assert!(r.body["message"].is_string());
}

async fn registration_applies_the_password_policy(b: Backend) {
    let t = TestApp::new(b).await;
    for (pw, error) in [("short", "SIZE"), ("password123", "NOT_IN"), ("janedoe-1990!", "NOT_IN")] {
        let r = t
            .post("/users", None, json!({"email": "janedoe@example.com", "password": {"value": pw}, "name": "Jane"}))
            .await;
        assert_eq!(r.status, 400, "{pw}");
        assert_eq!(r.body["syntaxErrors"]["invalidFields"][0]["fieldName"], "password.value");
        assert_eq!(r.body["syntaxErrors"]["invalidFields"][0]["error"], error, "{pw}");
    }
}

async fn login_returns_the_seed_token_shape(b: Backend) {
    let t = TestApp::new(b).await;
    let reg = t.register("jane@example.com").await;
    let r = t.login("JANE@example.com ", PASSWORD).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["tokenType"], "AUTH");
    assert_eq!(r.body["identity"], reg["identity"]);
    assert_eq!(r.body["credentials"], json!({"type": "ROOT", "id": reg["userId"]}));
    assert!(r.body["token"].as_str().unwrap().len() > 20);
    assert_eq!(r.header("cache-control"), Some("no-store"));
    assert!(r.header("request-ref").is_some());
}

async fn unknown_email_and_wrong_password_answer_identically(b: Backend) {
    let t = TestApp::new(b).await;
    t.register("jane@example.com").await;
    let wrong = t.login("jane@example.com", "not the password").await;
    let unknown = t.login("nobody@example.com", PASSWORD).await;
    assert_eq!(wrong.status, 403);
    assert_eq!(wrong.status, unknown.status);
    assert_eq!(wrong.body, unknown.body);
    let names = |r: &integration_tests::Reply| {
        let mut v: Vec<String> = r.headers.keys().map(|k| k.to_string()).collect();
        v.sort();
        v
    };
    assert_eq!(names(&wrong), names(&unknown));
    // And both lock the same way, so a lockout does not reveal the account either.
    for _ in 0..4 {
        t.login("jane@example.com", "nope").await;
        t.login("nobody@example.com", "nope").await;
    }
    assert_eq!(t.login("jane@example.com", "nope").await.status, 423);
    assert_eq!(t.login("nobody@example.com", "nope").await.status, 423);
}

async fn consecutive_failures_lock_then_the_lock_ends(b: Backend) {
    let t = TestApp::new(b).await;
    t.register("jane@example.com").await;
    for i in 1..5 {
        assert_eq!(t.login("jane@example.com", "wrong").await.status, 403, "failure {i}");
    }
    let fifth = t.login("jane@example.com", "wrong").await;
    assert_eq!(fifth.status, 423);
    assert_eq!(fifth.header("retry-after"), Some("1800"));
    // Even the right password is refused while locked.
    assert_eq!(t.login("jane@example.com", PASSWORD).await.status, 423);
    t.clock.advance(1799);
    assert_eq!(t.login("jane@example.com", PASSWORD).await.status, 423);
    t.clock.advance(1);
    assert_eq!(t.login("jane@example.com", PASSWORD).await.status, 200);
}

async fn a_success_resets_the_failure_count(b: Backend) {
    let t = TestApp::new(b).await;
    t.register("jane@example.com").await;
    for _ in 0..4 {
        assert_eq!(t.login("jane@example.com", "wrong").await.status, 403);
    }
    assert_eq!(t.login("jane@example.com", PASSWORD).await.status, 200);
    for _ in 0..4 {
        assert_eq!(t.login("jane@example.com", "wrong").await.status, 403);
    }
    assert_eq!(t.login("jane@example.com", PASSWORD).await.status, 200);
}

async fn concurrent_failures_all_count(b: Backend) {
    let t = Arc::new(TestApp::new(b).await);
    t.register("jane@example.com").await;
    let statuses = concurrent_wrong_logins(&t, "jane@example.com", 12).await;
    assert!(statuses.iter().all(|s| *s == 403 || *s == 423), "{statuses:?}");
    assert!(statuses.contains(&423), "the fifth failure locks: {statuses:?}");
    assert_eq!(t.login("jane@example.com", PASSWORD).await.status, 423);
}

async fn tokens_live_five_minutes_from_last_activity(b: Backend) {
    let t = TestApp::new(b).await;
    let token = t.auth_token("jane@example.com").await;
    for _ in 0..5 {
        t.clock.advance(299);
        assert_eq!(t.get("/identities", Some(&token)).await.status, 200, "each use slides the expiry");
    }
    t.clock.advance(300);
    let r = t.get("/identities", Some(&token)).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.body["code"], "UNAUTHORIZED");
}

async fn sessions_end_at_their_absolute_lifetime(b: Backend) {
    let t = TestApp::with_config(b, |c| c.session_max_secs = 1000).await;
    let token = t.auth_token("jane@example.com").await;
    for _ in 0..3 {
        t.clock.advance(299);
        assert_eq!(t.get("/identities", Some(&token)).await.status, 200);
    }
    t.clock.advance(299);
    assert_eq!(t.get("/identities", Some(&token)).await.status, 401);
}

async fn identities_lists_the_holders_identities(b: Backend) {
    let t = TestApp::new(b).await;
    let reg = t.register("jane@example.com").await;
    let token = t.login("jane@example.com", PASSWORD).await.body["token"].as_str().unwrap().to_owned();
    let r = t.get("/identities", Some(&token)).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, json!([{"id": reg["identity"], "name": "Test User"}]));
}

async fn logout_kills_the_token_at_once(b: Backend) {
    let t = TestApp::new(b).await;
    let token = t.auth_token("jane@example.com").await;
    let other = t.login("jane@example.com", PASSWORD).await.body["token"].as_str().unwrap().to_owned();
    let r = t.post("/logout", Some(&token), json!({})).await;
    assert_eq!(r.status, 204);
    assert_eq!(t.get("/identities", Some(&token)).await.status, 401);
    assert_eq!(t.post("/logout", Some(&token), json!({})).await.status, 401);
    assert_eq!(t.get("/identities", Some(&other)).await.status, 200, "other sessions live on");
}

async fn bad_tokens_are_refused(b: Backend) {
    let t = TestApp::new(b).await;
    let token = t.auth_token("jane@example.com").await;
    assert_eq!(t.get("/identities", None).await.status, 401);
    assert_eq!(t.get("/identities", Some("not-a-token")).await.status, 401);
    let mut tampered = token.clone();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    assert_eq!(t.get("/identities", Some(&tampered)).await.status, 401);
    let mut req = request(Method::GET, "/identities", None, None);
    req.headers_mut().insert("authorization", format!("Basic {token}").parse().unwrap());
    assert_eq!(t.call(req).await.status, 401);
}

async fn an_expired_password_gets_a_token_that_only_updates_it(b: Backend) {
    let t = TestApp::with_config(b, |c| c.password_max_age_secs = 86_400).await;
    t.register("jane@example.com").await;
    t.clock.advance(86_400);
    let r = t.login("jane@example.com", PASSWORD).await;
    assert_eq!(r.status, 409, "{}", r.body);
    let temp = r.body["token"].as_str().unwrap();
    assert_eq!(r.body.as_object().unwrap().len(), 1, "only the token: {}", r.body);
    assert_eq!(t.get("/identities", Some(temp)).await.status, 401);
    // Any token of a session ends it, the temporary one included.
    assert_eq!(t.post("/logout", Some(temp), json!({})).await.status, 204);
    let update = json!({"oldPassword": {"value": PASSWORD}, "newPassword": {"value": "violet tugboat harmonica 42"}});
    assert_eq!(t.post("/passwords/update", Some(temp), update).await.status, 401, "ended");
}

async fn malformed_bodies_are_clean_client_errors(b: Backend) {
    let t = TestApp::new(b).await;
    let raw = |body: &str, ct: &str| {
        let mut req = request(Method::POST, "/login_with_password", None, None);
        *req.body_mut() = Body::Text(body.to_owned());
        req.headers_mut().insert("content-type", ct.parse().unwrap());
        req
    };
    for (body, ct, status) in [
        ("{\"email\":", "application/json", 400),
        ("[1,2]", "application/json", 400),
        ("", "application/json", 400),
        ("{\"email\": 5, \"password\": \"x\"}", "application/json", 400),
        ("email=a&password=b", "application/x-www-form-urlencoded", 415),
        (&format!("{{\"email\": \"{}\"}}", "a".repeat(20_000)), "application/json", 400),
        (&format!("{}1{}", "[".repeat(500), "]".repeat(500)), "application/json", 400),
    ] {
        let r = t.call(raw(body, ct)).await;
        assert_eq!(r.status, status, "{body:.40}: {}", r.body);
        assert!(r.body.is_object(), "a body explains the error");
    }
    let mut req = request(Method::POST, "/login_with_password", None, None);
    *req.body_mut() = Body::Binary(vec![0xff, 0xfe, 0x7b]);
    req.headers_mut().insert("content-type", "application/json".parse().unwrap());
    assert_eq!(t.call(req).await.status, 400);
}

async fn unknown_routes_answer_404_and_405_with_bodies(b: Backend) {
    let t = TestApp::new(b).await;
    let r = t.get("/nowhere", None).await;
    assert_eq!(r.status, 404);
    assert_eq!(r.body["code"], "NOT_FOUND");
    let r = t.call(request(Method::DELETE, "/identities", None, None)).await;
    assert_eq!(r.status, 405);
    assert_eq!(r.body["code"], "METHOD_NOT_ALLOWED");
}

on_both_stores!(
    registration_returns_numeric_ids_and_refuses_duplicates,
    registration_reports_every_invalid_field,
    registration_applies_the_password_policy,
    login_returns_the_seed_token_shape,
    unknown_email_and_wrong_password_answer_identically,
    consecutive_failures_lock_then_the_lock_ends,
    a_success_resets_the_failure_count,
    concurrent_failures_all_count,
    tokens_live_five_minutes_from_last_activity,
    sessions_end_at_their_absolute_lifetime,
    identities_lists_the_holders_identities,
    logout_kills_the_token_at_once,
    bad_tokens_are_refused,
    an_expired_password_gets_a_token_that_only_updates_it,
    malformed_bodies_are_clean_client_errors,
    unknown_routes_answer_404_and_405_with_bodies,
);
