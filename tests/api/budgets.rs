//! Store round trips per endpoint, counted by the probe wrapped around the store: each
//! endpoint has a budget, and this fails when it spends more.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use integration_tests::{Backend, PASSWORD, TestApp};
use lambda_http::http::Method;
use serde_json::json;

/// Round trips, and which store methods they were.
type Spent = (usize, std::collections::BTreeMap<&'static str, usize>);

/// Runs `call` and returns how many store round trips it made, and what they were.
macro_rules! spent {
    ($t:expr, $call:expr) => {{
        $t.probe.reset();
        let reply = $call.await;
        assert!(reply.status < 300, "{}: {}", reply.status, reply.body);
        ($t.probe.round_trips(), $t.probe.calls())
    }};
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_endpoint_stays_within_its_round_trip_budget() {
    let t = TestApp::new(Backend::Memory).await;
    t.register("jane@example.com").await;
    let budgets: Vec<(&str, usize, Spent)> = vec![
        // Rate counter, account + lockout in one query, the attempt reserved before the hash is
        // verified (one conditional write), session + account + counter in one transaction, and
        // (issue 25) the device's one update, which answers whether it was known (a new
        // device's notice adds its event's write: not on the hot path of a known one).
        ("POST /login_with_password", 5, spent!(t, t.login("jane@example.com", PASSWORD))),
        ("POST /auth/login", 5, spent!(t, t.id_login("jane@example.com", PASSWORD))),
    ];
    let auth = t.login("jane@example.com", PASSWORD).await.body["token"].as_str().unwrap().to_owned();
    let access = t.access_token(&auth).await;
    let id = t.id_login("jane@example.com", PASSWORD).await;
    let id_token = id.body["idToken"].as_str().unwrap().to_owned();
    let refresh = id.body["refreshToken"].as_str().unwrap().to_owned();
    let identity = t.get("/identities", Some(&auth)).await.body[0]["id"].clone();
    let more = vec![
        // The session check (one conditional update that slides the expiry) plus what each reads.
        ("GET /identities", 2, spent!(t, t.get("/identities", Some(&auth)))),
        ("GET /authentication_factors", 2, spent!(t, t.get("/authentication_factors", Some(&access)))),
        ("POST /access_token", 3, spent!(t, t.post("/access_token", Some(&auth), json!({"identity": identity})))),
        // An idToken costs two reads, made at once: the account with its counter, and the
        // token's refresh family (a logout ends its idTokens).
        ("GET /auth/me", 2, spent!(t, t.get("/auth/me", Some(&id_token)))),
        // The family (its key and generation), the account with its counter, the rotation's one
        // conditional write.
        (
            "POST /auth/login/refresh",
            3,
            spent!(t, t.post("/auth/login/refresh", None, json!({"refreshToken": refresh}))),
        ),
        ("GET /.well-known/jwks.json", 0, spent!(t, t.get("/.well-known/jwks.json", None))),
        // The family (to check the token's MAC under its key), then its revocation.
        ("POST /auth/logout", 2, spent!(t, t.post("/auth/logout", None, json!({"refreshToken": refresh})))),
        ("POST /logout", 1, spent!(t, t.post("/logout", Some(&auth), json!({})))),
    ];
    let mut over = Vec::new();
    for (endpoint, budget, (spent, calls)) in budgets.into_iter().chain(more) {
        println!("{endpoint:32} {spent} of {budget}: {calls:?}");
        if spent > budget {
            over.push(format!("{endpoint}: {spent} > {budget} ({calls:?})"));
        }
    }
    assert!(over.is_empty(), "over budget: {over:#?}");
    // And the check really counts: an authenticated call spends exactly one on the session.
    let (_, access2) = t.tokens("john@example.com").await;
    t.probe.reset();
    t.with_otp(Method::GET, "/authentication_factors", &access2, "000000", None).await;
    assert_eq!(t.probe.calls().get("touch_session"), Some(&1));
}
