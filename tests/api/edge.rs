//! The HTTP edge routes as the route table means it, on every host: slashes around a path do not
//! count, a `{parameter}` is never an empty segment, HEAD is not GET, a Lambda function finds its
//! route whatever stage, custom domain or base path the client used, and bodies are refused by
//! size in the seeds' shape, after the route's own checks.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use integration_tests::{Backend, Reply, Senders, TestApp, prepared, request};
use lambda_http::http::Method;
use serde_json::json;
use tower::ServiceExt;

#[tokio::test]
async fn slashes_around_a_path_do_not_count_and_empty_segments_are_no_route() {
    let t = TestApp::new(Backend::Memory).await;
    for path in ["/users/", "//users", "/users//"] {
        let r = t.post(path, None, json!({})).await;
        assert_eq!(r.status, 400, "{path}: {}", r.body);
        assert!(r.body["syntaxErrors"]["invalidFields"].is_array(), "{path}: {}", r.body);
    }
    let (_, access) = t.tokens("jane@example.com").await;
    for path in ["/authentication_factors/otp//verify", "/stepup/challenges/push/AUTHY//approve"] {
        let r = t.post(path, Some(&access), json!({"verificationCode": "123456"})).await;
        assert_eq!(r.status, 404, "{path}: {}", r.body);
        assert_eq!(r.body["code"], "NOT_FOUND");
        assert!(r.header("request-ref").is_some());
    }
}

#[tokio::test]
async fn head_is_not_an_alias_of_get() {
    let t = TestApp::new(Backend::Memory).await;
    let (auth, _) = t.tokens("jane@example.com").await;
    for path in ["/identities", "/.well-known/jwks.json", "/auth/me"] {
        let r = t.call(request(Method::HEAD, path, Some(&auth), None)).await;
        assert_eq!(r.status, 405, "{path}");
        assert_eq!(r.header("cache-control"), Some("no-store"), "{path}");
        assert!(r.header("allow").is_some_and(|a| a.contains("GET")), "{path}: {:?}", r.header("allow"));
    }
}

/// Every 405 says what the path allows (RFC 9110 §15.5.6).
#[tokio::test]
async fn every_405_carries_allow() {
    let t = TestApp::new(Backend::Memory).await;
    let r = t.call(request(Method::DELETE, "/identities", None, None)).await;
    assert_eq!(r.status, 405);
    let allow = r.header("allow").unwrap_or_default();
    assert!(allow.contains("GET") && allow.contains("POST"), "{allow}");
    let r = t.call(request(Method::PUT, "/login_with_password", None, Some(json!({})))).await;
    assert_eq!((r.status, r.header("allow")), (405, Some("POST")));
}

/// A 401 carries its challenge (RFC 6750 §3): `Bearer`, with `error="invalid_token"` when a
/// token was sent and refused.
#[tokio::test]
async fn a_401_carries_its_bearer_challenge() {
    let t = TestApp::new(Backend::Memory).await;
    // (Surface 2 answers a missing or refused idToken 403, as its seed does: no challenge.)
    for path in ["/identities", "/security_events", "/sessions"] {
        let none = t.call(request(Method::GET, path, None, None)).await;
        assert_eq!((none.status, none.header("www-authenticate")), (401, Some("Bearer")), "{path}");
        let bad = t.call(request(Method::GET, path, Some("not-a-token"), None)).await;
        assert_eq!(bad.status, 401, "{path}");
        assert_eq!(bad.header("www-authenticate"), Some(r#"Bearer error="invalid_token""#), "{path}");
    }
}

#[tokio::test]
async fn a_function_finds_its_route_behind_a_custom_domain_and_base_path() {
    let raw = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../events/register.json")).unwrap();
    let (t, raw) = prepared("register", &raw, Senders::Sandbox).await;
    // As API Gateway delivers a request to https://auth.example.com/v1/users with the stage
    // mapped under the base path `v1`: the path is the client's, the resource the route's.
    let mut event: serde_json::Value = serde_json::from_str(&raw).unwrap();
    event["path"] = json!("/v1/users");
    event["requestContext"]["path"] = json!("/v1/users");
    event["requestContext"]["domainName"] = json!("auth.example.com");
    let req = lambda_http::request::from_str(&event.to_string()).unwrap();
    let function = shared::api::lambda::function(t.app.clone(), shared::api::routes::REGISTER);
    let r = Reply::read(function.oneshot(req).await.unwrap()).await;
    assert_eq!(r.status, 201, "{}", r.body);
}

#[tokio::test]
async fn bodies_are_refused_by_size_in_the_seeds_shape() {
    let t = TestApp::new(Backend::Memory).await;
    for size in [17 * 1024, 2 * 1024 * 1024] {
        let mut req = request(Method::POST, "/auth/login", None, None);
        *req.body_mut() = lambda_http::Body::Binary(vec![b' '; size]);
        req.headers_mut().insert("content-type", "application/json".parse().unwrap());
        req.headers_mut().insert("content-length", size.to_string().parse().unwrap());
        let r = t.call(req).await;
        assert_eq!(r.status, 400, "{size}: {}", r.body);
        assert_eq!(r.body["code"], "BODY_TOO_LARGE", "{size}");
        assert_eq!(r.header("cache-control"), Some("no-store"), "{size}");
        assert!(r.header("request-ref").is_some(), "{size}");
    }
}

fn preflight(origin: &str, path: &str) -> lambda_http::Request {
    let mut req = request(Method::OPTIONS, path, None, None);
    let h = req.headers_mut();
    h.insert("origin", origin.parse().unwrap());
    h.insert("access-control-request-method", "POST".parse().unwrap());
    h.insert("access-control-request-headers", "content-type,authorization,x-otp".parse().unwrap());
    req
}

/// A page on an allowed origin may call the API from a browser: its preflight is answered with
/// the methods and headers the API reads, and its answers name the origin and expose what
/// clients read; a page on any other origin, or any origin with none allowed, gets no grant.
#[tokio::test]
async fn browsers_on_allowed_origins_may_call_the_api_and_no_others() {
    let app = "https://app.example.com";
    let t = TestApp::with_config(Backend::Memory, |c| c.cors_origins = vec![app.to_owned()]).await;
    let r = t.call(preflight(app, "/auth/login")).await;
    assert!(r.status == 200 || r.status == 204, "{}", r.status);
    assert_eq!(r.header("access-control-allow-origin"), Some(app));
    let methods = r.header("access-control-allow-methods").unwrap_or_default().to_owned();
    assert!(methods.contains("POST") && methods.contains("DELETE"), "{methods}");
    let headers = r.header("access-control-allow-headers").unwrap_or_default().to_ascii_lowercase();
    assert!(["authorization", "content-type", "x-otp"].iter().all(|h| headers.contains(h)), "{headers}");
    assert_eq!(r.header("access-control-allow-credentials"), None, "no credentials, no cookies");
    t.register("jane@example.com").await;
    let mut login = request(
        Method::POST,
        "/auth/login",
        None,
        Some(json!({"email": "jane@example.com", "password": integration_tests::PASSWORD})),
    );
    login.headers_mut().insert("origin", app.parse().unwrap());
    let r = t.call(login).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("access-control-allow-origin"), Some(app));
    assert!(r.header("access-control-expose-headers").unwrap_or_default().contains("request-ref"));
    // Another origin: no grant, on the preflight or the call.
    let evil = t.call(preflight("https://evil.example.com", "/auth/login")).await;
    assert_eq!(evil.header("access-control-allow-origin"), None);
    // None allowed (the default): no grant at all.
    let closed = TestApp::new(Backend::Memory).await;
    assert_eq!(closed.call(preflight(app, "/auth/login")).await.header("access-control-allow-origin"), None);
}

#[test]
fn an_allowed_origin_is_one_exact_origin() {
    let parse = |v: &str| {
        let env = std::collections::HashMap::from([("AUTH_CORS_ORIGINS".to_owned(), v.to_owned())]);
        shared::config::Config::from_map(&env).map(|c| c.cors_origins)
    };
    assert_eq!(
        parse("https://app.example.com, http://localhost:5173/").unwrap(),
        ["https://app.example.com", "http://localhost:5173"]
    );
    for bad in ["*", "https://*.example.com", "https://app.example.com/path", "app.example.com", "ftp://x.example.com"]
    {
        assert!(parse(bad).is_err(), "{bad}");
    }
    assert!(parse("").unwrap().is_empty());
}
