//! The OpenID Connect provider end to end through the router, on both stores: discovery, a
//! client registered by the operator, the authorization request and the hosted page's forms
//! posted as a browser would (its cookie kept), the code exchanged with PKCE, the RS256 ID
//! token and RFC 9068 access token verified against the JWKS alone, userinfo, refresh with
//! rotation, the login in `/sessions`, revocation and introspection, client credentials.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use integration_tests::{Backend, PASSWORD, TestApp, on_both_stores};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use lambda_http::http::{HeaderMap, Method, Request};
use serde_json::{Value, json};
use tower::ServiceExt;

pub const REDIRECT: &str = "https://app.example/callback";
pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
pub const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/// An answer as a browser or a client library reads it: status, headers, body text.
pub struct Raw {
    pub status: u16,
    pub headers: HeaderMap,
    pub text: String,
}

impl Raw {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or(Value::Null)
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

pub async fn send(t: &TestApp, method: Method, path: &str, headers: &[(&str, &str)], body: Option<String>) -> Raw {
    let mut b = Request::builder().method(method).uri(path).header("user-agent", "oidc-tests/1.0");
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    let req = b.body(lambda_http::Body::from(body.unwrap_or_default())).unwrap();
    let function = integration_tests::function_of(req.method(), req.uri().path()).unwrap_or("(no route)");
    let answer = t.router.clone().oneshot(req.map(axum::body::Body::new));
    let r = shared::testing::FUNCTION.scope(function, answer).await.unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let bytes = axum::body::to_bytes(r.into_body(), usize::MAX).await.unwrap();
    Raw { status, headers, text: String::from_utf8_lossy(&bytes).into_owned() }
}

pub fn form(pairs: &[(&str, &str)]) -> String {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish()
}

pub async fn post_form(t: &TestApp, path: &str, headers: &[(&str, &str)], pairs: &[(&str, &str)]) -> Raw {
    let mut all = vec![("content-type", "application/x-www-form-urlencoded")];
    all.extend_from_slice(headers);
    send(t, Method::POST, path, &all, Some(form(pairs))).await
}

pub async fn admin(t: &TestApp, action: &str, body: Value) -> Raw {
    send(t, Method::POST, &format!("/_admin/{action}"), &[("content-type", "application/json")], Some(body.to_string()))
        .await
}

/// Registers a client; returns (clientId, clientSecret).
pub async fn client(t: &TestApp, kind: &str, grants: &[&str]) -> (String, Option<String>) {
    let r = admin(
        t,
        "register_client",
        json!({"name": "App", "type": kind, "redirectUris": [REDIRECT], "postLogoutRedirectUris": ["https://app.example/bye"],
               "grantTypes": grants, "scopes": ["openid", "email", "profile"]}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let b = r.json();
    (b["clientId"].as_str().unwrap().to_owned(), b["clientSecret"].as_str().map(str::to_owned))
}

pub async fn app(b: Backend) -> TestApp {
    TestApp::with_config(b, |c| c.admin_local = true).await
}

/// The query of a redirect's `Location`, as pairs.
pub fn query_of(location: &str) -> Vec<(String, String)> {
    let url = url::Url::parse(location).unwrap();
    url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

pub fn param(pairs: &[(String, String)], name: &str) -> Option<String> {
    pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
}

/// A browser at the hosted page: its cookie and the sign-in id of the form.
pub struct Browser {
    pub cookie: String,
    pub sign_in: String,
    pub page: Raw,
}

pub fn authorize_query(client_id: &str, state: &str, nonce: &str) -> String {
    form(&[
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", REDIRECT),
        ("scope", "openid email profile"),
        ("state", state),
        ("nonce", nonce),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ])
}

pub async fn open_page(t: &TestApp, query: &str) -> Browser {
    let page = send(t, Method::GET, &format!("/oauth2/authorize?{query}"), &[], None).await;
    assert_eq!(page.status, 200, "{}", page.text);
    let set = page.header("set-cookie").unwrap().to_owned();
    let cookie = set.split(';').next().unwrap().to_owned();
    let marker = "name=\"sign_in\" value=\"";
    let start = page.text.find(marker).unwrap() + marker.len();
    let sign_in = page.text[start..].split('"').next().unwrap().to_owned();
    Browser { cookie, sign_in, page }
}

impl Browser {
    pub async fn post(&self, t: &TestApp, pairs: &[(&str, &str)]) -> Raw {
        let mut all = vec![("sign_in", self.sign_in.as_str())];
        all.extend_from_slice(pairs);
        post_form(t, "/oauth2/authorize", &[("cookie", self.cookie.as_str())], &all).await
    }

    pub async fn password(&self, t: &TestApp, email: &str, password: &str) -> Raw {
        self.post(t, &[("step", "password"), ("email", email), ("password", password)]).await
    }
}

/// Signs `email` in through the page; returns the redirect's parameters.
pub async fn sign_in(t: &TestApp, client_id: &str, email: &str) -> Vec<(String, String)> {
    let browser = open_page(t, &authorize_query(client_id, "st-1", "n-1")).await;
    let done = browser.password(t, email, PASSWORD).await;
    assert_eq!(done.status, 303, "{}", done.text);
    query_of(done.header("location").unwrap())
}

pub async fn exchange(t: &TestApp, client_id: &str, secret: Option<&str>, code: &str, verifier: &str) -> Raw {
    let mut pairs = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT),
        ("client_id", client_id),
    ];
    if let Some(s) = secret {
        pairs.push(("client_secret", s));
    }
    if !verifier.is_empty() {
        pairs.push(("code_verifier", verifier));
    }
    post_form(t, "/oauth2/token", &[], &pairs).await
}

/// Verifies a provider JWT as any relying party would: the key from the JWKS by `kid`, RS256.
pub async fn verify(t: &TestApp, token: &str, audience: &str) -> Value {
    let jwks = send(t, Method::GET, "/.well-known/jwks.json", &[], None).await;
    let set: jsonwebtoken::jwk::JwkSet = serde_json::from_str(&jwks.text).unwrap();
    let header = jsonwebtoken::decode_header(token).unwrap();
    assert_eq!(header.alg, Algorithm::RS256);
    let key = DecodingKey::from_jwk(set.find(&header.kid.unwrap()).unwrap()).unwrap();
    let mut v = Validation::new(Algorithm::RS256);
    v.set_audience(&[audience]);
    v.set_issuer(&[&t.app.config.issuer]);
    v.validate_exp = false;
    jsonwebtoken::decode::<Value>(token, &key, &v).unwrap().claims
}

async fn discovery_names_every_endpoint_and_rs256(b: Backend) {
    let t = app(b).await;
    let r = send(&t, Method::GET, "/.well-known/openid-configuration", &[], None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let d = r.json();
    assert_eq!(d["issuer"], t.app.config.issuer);
    for key in [
        "authorization_endpoint",
        "token_endpoint",
        "userinfo_endpoint",
        "jwks_uri",
        "revocation_endpoint",
        "introspection_endpoint",
        "end_session_endpoint",
    ] {
        assert!(d[key].as_str().unwrap().starts_with(&t.app.config.issuer), "{key}");
    }
    assert_eq!(d["response_types_supported"], json!(["code"]));
    assert_eq!(d["code_challenge_methods_supported"], json!(["S256"]));
    assert!(d["id_token_signing_alg_values_supported"].as_array().unwrap().contains(&json!("RS256")));
    let jwks = send(&t, Method::GET, "/.well-known/jwks.json", &[], None).await.json();
    let kinds: Vec<&str> = jwks["keys"].as_array().unwrap().iter().map(|k| k["kty"].as_str().unwrap()).collect();
    assert!(kinds.contains(&"OKP") && kinds.contains(&"RSA"), "{kinds:?}");
}

async fn the_code_flow_signs_in_and_its_tokens_verify_against_the_jwks(b: Backend) {
    let t = app(b).await;
    let reg = t.register("jane@example.com").await;
    let (client_id, secret) = client(&t, "confidential", &["authorization_code", "refresh_token"]).await;
    let browser = open_page(&t, &authorize_query(&client_id, "xyz", "nonce-1")).await;
    let csp = browser.page.header("content-security-policy").unwrap();
    assert!(csp.contains("frame-ancestors 'none'") && csp.contains("default-src 'none'"), "{csp}");
    assert_eq!(browser.page.header("x-frame-options"), Some("DENY"));
    assert!(browser.page.header("set-cookie").unwrap().contains("HttpOnly"));
    assert!(!browser.page.text.contains("<script"), "no script on the page");
    let done = browser.password(&t, "jane@example.com", PASSWORD).await;
    assert_eq!(done.status, 303, "{}", done.text);
    let back = query_of(done.header("location").unwrap());
    assert!(done.header("location").unwrap().starts_with(REDIRECT));
    assert_eq!(param(&back, "state").as_deref(), Some("xyz"));
    assert_eq!(param(&back, "iss").as_deref(), Some(t.app.config.issuer.as_str()));
    let code = param(&back, "code").unwrap();
    let r = exchange(&t, &client_id, secret.as_deref(), &code, VERIFIER).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let tokens = r.json();
    assert_eq!(tokens["token_type"], "Bearer");
    let id = verify(&t, tokens["id_token"].as_str().unwrap(), &client_id).await;
    assert_eq!(id["sub"], reg["userId"]);
    assert_eq!(id["nonce"], "nonce-1");
    assert_eq!(id["email"], "jane@example.com");
    let access_token = tokens["access_token"].as_str().unwrap();
    assert_eq!(jsonwebtoken::decode_header(access_token).unwrap().typ.as_deref(), Some("at+jwt"));
    let at = verify(&t, access_token, &client_id).await;
    assert_eq!(at["client_id"], client_id.as_str());
    assert_eq!(at["scope"], "openid email profile");
    assert_eq!(at["exp"].as_i64().unwrap() - at["iat"].as_i64().unwrap(), 300);
    let bearer = format!("Bearer {access_token}");
    let info = send(&t, Method::GET, "/oauth2/userinfo", &[("authorization", &bearer)], None).await;
    assert_eq!(info.status, 200, "{}", info.text);
    assert_eq!(
        info.json(),
        json!({"sub": reg["userId"], "email": "jane@example.com", "email_verified": false, "name": "Test User"})
    );
    // The login is listed with the others.
    let auth = t.login("jane@example.com", PASSWORD).await.body["token"].as_str().unwrap().to_owned();
    let sessions = t.get("/sessions", Some(&auth)).await;
    assert_eq!(
        sessions.body.as_array().map(Vec::len).or(sessions.body["sessions"].as_array().map(Vec::len)),
        Some(2),
        "{}",
        sessions.body
    );
    // Refresh: rotation, and the spent token is refused.
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let basic = format!("Basic {}", shared::crypto::b64(format!("{client_id}:{}", secret.clone().unwrap()).as_bytes()));
    let again = post_form(
        &t,
        "/oauth2/token",
        &[("authorization", &basic)],
        &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
    )
    .await;
    assert_eq!(again.status, 200, "{}", again.text);
    let next = again.json()["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(next, refresh);
    // Introspection of its own tokens; revocation ends the login.
    let seen = post_form(&t, "/oauth2/introspect", &[("authorization", &basic)], &[("token", &next)]).await;
    assert_eq!(seen.json()["active"], true, "{}", seen.text);
    let revoked = post_form(&t, "/oauth2/revoke", &[("authorization", &basic)], &[("token", &next)]).await;
    assert_eq!(revoked.status, 200, "{}", revoked.text);
    let seen = post_form(&t, "/oauth2/introspect", &[("authorization", &basic)], &[("token", &next)]).await;
    assert_eq!(seen.json()["active"], false);
    let info = send(&t, Method::GET, "/oauth2/userinfo", &[("authorization", &bearer)], None).await;
    assert_eq!(info.status, 401, "an access token of an ended login: {}", info.text);
}

async fn client_credentials_get_an_access_token_without_a_user(b: Backend) {
    let t = app(b).await;
    let (client_id, secret) = client(&t, "confidential", &["client_credentials"]).await;
    let r = post_form(
        &t,
        "/oauth2/token",
        &[],
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &client_id),
            ("client_secret", secret.as_deref().unwrap()),
            ("scope", "email"),
        ],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let claims = verify(&t, r.json()["access_token"].as_str().unwrap(), &client_id).await;
    assert_eq!(claims["sub"], client_id.as_str());
    assert_eq!(claims["scope"], "email");
    assert!(r.json().get("refresh_token").is_none() && r.json().get("id_token").is_none());
}

on_both_stores!(
    discovery_names_every_endpoint_and_rs256,
    the_code_flow_signs_in_and_its_tokens_verify_against_the_jwks,
    client_credentials_get_an_access_token_without_a_user,
);

/// The provider's paths for the IAM test: the operator's client actions (the `admin`
/// function), a sign-in, the code exchanged, userinfo, refresh, introspection, revocation.
pub async fn exercise_provider(t: &TestApp, off: &mut Vec<String>) {
    use shared::testing::FUNCTION;
    let register = json!({"action": "register_client", "name": "IAM", "type": "confidential",
        "redirectUris": [REDIRECT], "grantTypes": ["authorization_code", "refresh_token", "client_credentials"],
        "scopes": ["openid", "email", "profile"]});
    let registered = match FUNCTION.scope("admin", shared::api::admin::invoke(&t.app, register)).await {
        Ok(r) => r,
        Err(e) => return off.push(format!("admin register_client: {e}")),
    };
    let (id, secret) = (registered["clientId"].as_str().unwrap_or_default(), registered["clientSecret"].as_str());
    for action in ["list_clients"] {
        if let Err(e) = FUNCTION.scope("admin", shared::api::admin::invoke(&t.app, json!({"action": action}))).await {
            off.push(format!("admin {action}: {e}"));
        }
    }
    t.register("iam-oidc@example.com").await;
    let browser = open_page(t, &authorize_query(id, "s", "n")).await;
    let done = browser.password(t, "iam-oidc@example.com", PASSWORD).await;
    let Some(code) = done.header("location").and_then(|l| param(&query_of(l), "code")) else {
        return off.push(format!("provider sign-in: {} {}", done.status, done.text));
    };
    let tokens = exchange(t, id, secret, &code, VERIFIER).await.json();
    let basic = format!("Basic {}", shared::crypto::b64(format!("{id}:{}", secret.unwrap_or_default()).as_bytes()));
    let bearer = format!("Bearer {}", tokens["access_token"].as_str().unwrap_or_default());
    let refresh = tokens["refresh_token"].as_str().unwrap_or_default().to_owned();
    let steps = [
        send(t, Method::GET, "/oauth2/userinfo", &[("authorization", &bearer)], None).await,
        post_form(
            t,
            "/oauth2/token",
            &[("authorization", &basic)],
            &[("grant_type", "refresh_token"), ("refresh_token", &refresh)],
        )
        .await,
        post_form(t, "/oauth2/token", &[("authorization", &basic)], &[("grant_type", "client_credentials")]).await,
        post_form(t, "/oauth2/introspect", &[("authorization", &basic)], &[("token", &refresh)]).await,
        post_form(t, "/oauth2/revoke", &[("authorization", &basic)], &[("token", &refresh)]).await,
        // A replayed code ends its login.
        exchange(t, id, secret, &code, VERIFIER).await,
        send(t, Method::GET, "/.well-known/openid-configuration", &[], None).await,
    ];
    for (i, r) in steps.iter().enumerate() {
        if r.status != 200 && !(i == 5 && r.status == 400) {
            off.push(format!("provider step {i}: {} {}", r.status, r.text));
        }
    }
    let remove = json!({"action": "remove_client", "clientId": id});
    if let Err(e) = FUNCTION.scope("admin", shared::api::admin::invoke(&t.app, remove)).await {
        off.push(format!("admin remove_client: {e}"));
    }
}
