//! The OpenID Connect provider attacked, on both stores: PKCE downgrade and a missing
//! verifier, a code replayed (one after the other, and at once), a code of another client or
//! redirect URI, open redirects, `state`/`nonce` mix-ups, a refresh token of another client,
//! login CSRF and framing of the hosted page, the lockout and enumeration through it, a client
//! secret guessed, `alg: none` and algorithm confusion, and the second factor on the page.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use integration_tests::{Backend, PASSWORD, on_both_stores};
use lambda_http::http::Method;
use serde_json::json;

use crate::oidc::*;

async fn pkce_is_required_s256_only_and_the_verifier_checked(b: Backend) {
    let t = app(b).await;
    t.register("jane@example.com").await;
    let (client_id, _) = client(&t, "public", &["authorization_code", "refresh_token"]).await;
    for bad in [
        form(&[
            ("response_type", "code"),
            ("client_id", &client_id),
            ("redirect_uri", REDIRECT),
            ("scope", "openid"),
            ("state", "s"),
        ]),
        form(&[
            ("response_type", "code"),
            ("client_id", &client_id),
            ("redirect_uri", REDIRECT),
            ("scope", "openid"),
            ("state", "s"),
            ("code_challenge", VERIFIER),
            ("code_challenge_method", "plain"),
        ]),
    ] {
        let r = send(&t, Method::GET, &format!("/oauth2/authorize?{bad}"), &[], None).await;
        assert_eq!(r.status, 303, "{}", r.text);
        let back = query_of(r.header("location").unwrap());
        assert_eq!(param(&back, "error").as_deref(), Some("invalid_request"));
        assert_eq!(param(&back, "state").as_deref(), Some("s"));
    }
    let code = param(&sign_in(&t, &client_id, "jane@example.com").await, "code").unwrap();
    let missing = exchange(&t, &client_id, None, &code, "").await;
    assert_eq!((missing.status, missing.json()["error"].as_str()), (400, Some("invalid_request")));
    let wrong = exchange(&t, &client_id, None, &code, "A".repeat(43).as_str()).await;
    assert_eq!((wrong.status, wrong.json()["error"].as_str()), (400, Some("invalid_grant")));
    // A wrong verifier spent the code: the right one comes too late.
    let late = exchange(&t, &client_id, None, &code, VERIFIER).await;
    assert_eq!(late.json()["error"], "invalid_grant");
}

async fn a_code_is_single_use_and_its_replay_ends_the_login(b: Backend) {
    let t = app(b).await;
    t.register("jane@example.com").await;
    let (client_id, _) = client(&t, "public", &["authorization_code", "refresh_token"]).await;
    let code = param(&sign_in(&t, &client_id, "jane@example.com").await, "code").unwrap();
    let first = exchange(&t, &client_id, None, &code, VERIFIER).await;
    assert_eq!(first.status, 200, "{}", first.text);
    let replay = exchange(&t, &client_id, None, &code, VERIFIER).await;
    assert_eq!((replay.status, replay.json()["error"].as_str()), (400, Some("invalid_grant")));
    let refresh = first.json()["refresh_token"].as_str().unwrap().to_owned();
    let r = post_form(
        &t,
        "/oauth2/token",
        &[],
        &[("grant_type", "refresh_token"), ("refresh_token", &refresh), ("client_id", &client_id)],
    )
    .await;
    assert_eq!(r.json()["error"], "invalid_grant", "the replay ended what the code issued: {}", r.text);
    let bearer = format!("Bearer {}", first.json()["access_token"].as_str().unwrap());
    assert_eq!(send(&t, Method::GET, "/oauth2/userinfo", &[("authorization", &bearer)], None).await.status, 401);
}

async fn a_code_replayed_at_once_is_redeemed_once(b: Backend) {
    let t = app(b).await;
    t.register("jane@example.com").await;
    let (client_id, _) = client(&t, "public", &["authorization_code"]).await;
    let code = param(&sign_in(&t, &client_id, "jane@example.com").await, "code").unwrap();
    let tries = (0..8).map(|_| exchange(&t, &client_id, None, &code, VERIFIER));
    let answers = futures::future::join_all(tries).await;
    // At most one exchange wins; the replays racing it may end its login before it answers
    // (a code used twice revokes what it issued), so none winning is the rule kept too.
    let won = answers.iter().filter(|r| r.status == 200).count();
    assert!(won <= 1, "{:?}", answers.iter().map(|r| r.status).collect::<Vec<_>>());
    assert!(answers.iter().all(|r| r.status == 200 || r.json()["error"] == "invalid_grant"));
}

async fn a_code_is_bound_to_its_client_and_redirect_uri(b: Backend) {
    let t = app(b).await;
    t.register("jane@example.com").await;
    let (a, _) = client(&t, "public", &["authorization_code"]).await;
    let (other, other_secret) = client(&t, "confidential", &["authorization_code"]).await;
    let code = param(&sign_in(&t, &a, "jane@example.com").await, "code").unwrap();
    let stolen = exchange(&t, &other, other_secret.as_deref(), &code, VERIFIER).await;
    assert_eq!(stolen.json()["error"], "invalid_grant", "{}", stolen.text);
    let code = param(&sign_in(&t, &a, "jane@example.com").await, "code").unwrap();
    let r = post_form(
        &t,
        "/oauth2/token",
        &[],
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "https://app.example/other"),
            ("client_id", &a),
            ("code_verifier", VERIFIER),
        ],
    )
    .await;
    assert_eq!(r.json()["error"], "invalid_grant", "{}", r.text);
}

async fn an_unknown_client_or_redirect_uri_never_redirects(b: Backend) {
    let t = app(b).await;
    let (client_id, _) = client(&t, "public", &["authorization_code"]).await;
    for redirect in [
        "https://evil.example/callback",
        "https://app.example/callback/../x",
        "https://app.example/callbackx",
        "https://app.example/callback?x=1",
        "javascript:alert(1)",
    ] {
        let q = form(&[
            ("response_type", "code"),
            ("client_id", &client_id),
            ("redirect_uri", redirect),
            ("scope", "openid"),
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
        ]);
        let r = send(&t, Method::GET, &format!("/oauth2/authorize?{q}"), &[], None).await;
        assert_eq!(r.status, 400, "{redirect}: {}", r.text);
        assert!(r.header("location").is_none());
    }
    let q = form(&[
        ("response_type", "code"),
        ("client_id", "nobody"),
        ("redirect_uri", REDIRECT),
        ("scope", "openid"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ]);
    let r = send(&t, Method::GET, &format!("/oauth2/authorize?{q}"), &[], None).await;
    assert_eq!(r.status, 400);
    assert!(r.header("location").is_none());
    // A client cannot even register a redirect URI that could leak a code.
    let bad = admin(&t, "register_client", json!({"name": "x", "type": "public", "redirectUris": ["http://evil.example/cb"], "grantTypes": ["authorization_code"], "scopes": ["openid"]})).await;
    assert_eq!(bad.status, 400, "{}", bad.text);
}

async fn state_and_nonce_stay_with_their_own_request(b: Backend) {
    let t = app(b).await;
    t.register("jane@example.com").await;
    let (client_id, _) = client(&t, "public", &["authorization_code"]).await;
    let first = open_page(&t, &authorize_query(&client_id, "state-A", "nonce-A")).await;
    let second = open_page(&t, &authorize_query(&client_id, "state-B", "nonce-B")).await;
    for (browser, state, nonce) in [(&second, "state-B", "nonce-B"), (&first, "state-A", "nonce-A")] {
        let done = browser.password(&t, "jane@example.com", PASSWORD).await;
        let back = query_of(done.header("location").unwrap());
        assert_eq!(param(&back, "state").as_deref(), Some(state));
        let tokens = exchange(&t, &client_id, None, &param(&back, "code").unwrap(), VERIFIER).await.json();
        let id = verify(&t, tokens["id_token"].as_str().unwrap(), &client_id).await;
        assert_eq!(id["nonce"], nonce);
    }
}

async fn a_refresh_token_of_one_client_is_refused_to_another(b: Backend) {
    let t = app(b).await;
    t.register("jane@example.com").await;
    let (a, _) = client(&t, "public", &["authorization_code", "refresh_token"]).await;
    let (other, _) = client(&t, "public", &["authorization_code", "refresh_token"]).await;
    let code = param(&sign_in(&t, &a, "jane@example.com").await, "code").unwrap();
    let refresh = exchange(&t, &a, None, &code, VERIFIER).await.json()["refresh_token"].as_str().unwrap().to_owned();
    let stolen = post_form(
        &t,
        "/oauth2/token",
        &[],
        &[("grant_type", "refresh_token"), ("refresh_token", &refresh), ("client_id", &other)],
    )
    .await;
    assert_eq!(stolen.json()["error"], "invalid_grant", "{}", stolen.text);
    let own = post_form(
        &t,
        "/oauth2/token",
        &[],
        &[("grant_type", "refresh_token"), ("refresh_token", &refresh), ("client_id", &a)],
    )
    .await;
    assert_eq!(own.status, 200, "the other client's attempt spent nothing: {}", own.text);
    // Surface 2 does not refresh a provider's login either.
    let s2 = t.post("/auth/login/refresh", None, json!({"refreshToken": own.json()["refresh_token"]})).await;
    assert_eq!(s2.status, 403, "{}", s2.body);
}

async fn the_page_refuses_forms_from_another_browser_and_is_never_framed(b: Backend) {
    let t = app(b).await;
    t.register("jane@example.com").await;
    let (client_id, _) = client(&t, "public", &["authorization_code"]).await;
    let victim = open_page(&t, &authorize_query(&client_id, "s", "n")).await;
    let csp = victim.page.header("content-security-policy").unwrap();
    assert!(csp.contains("frame-ancestors 'none'") && !csp.contains("script-src"), "{csp}");
    // Login CSRF: the attacker's own sign-in posted from the victim's browser (no cookie of it).
    let attacker = open_page(&t, &authorize_query(&client_id, "s", "n")).await;
    let forged = post_form(
        &t,
        "/oauth2/authorize",
        &[("cookie", victim.cookie.as_str())],
        &[("sign_in", &attacker.sign_in), ("step", "password"), ("email", "jane@example.com"), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(forged.status, 400, "{}", forged.text);
    assert!(forged.header("location").is_none());
    let no_cookie = post_form(
        &t,
        "/oauth2/authorize",
        &[],
        &[("sign_in", &victim.sign_in), ("step", "password"), ("email", "jane@example.com"), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(no_cookie.status, 400);
    assert!(no_cookie.header("location").is_none());
}

async fn the_page_locks_and_tells_no_account_apart(b: Backend) {
    let t = app(b).await;
    t.register("jane@example.com").await;
    let (client_id, _) = client(&t, "public", &["authorization_code"]).await;
    let browser = open_page(&t, &authorize_query(&client_id, "s", "n")).await;
    let known = browser.password(&t, "jane@example.com", "wrong password 1").await;
    let unknown = browser.password(&t, "nobody@example.com", "wrong password 1").await;
    assert_eq!(known.status, unknown.status);
    assert_eq!(known.text, unknown.text, "the same page for an unknown address");
    for _ in 0..4 {
        browser.password(&t, "jane@example.com", "wrong password 2").await;
    }
    let locked = browser.password(&t, "jane@example.com", PASSWORD).await;
    assert_eq!(locked.status, 423, "{}", locked.text);
    assert!(locked.header("location").is_none());
}

async fn a_client_secret_guessed_is_budgeted(b: Backend) {
    let t = app(b).await;
    let (client_id, secret) = client(&t, "confidential", &["client_credentials"]).await;
    let try_secret = |s: String| {
        let (t, client_id) = (&t, client_id.clone());
        async move {
            post_form(
                t,
                "/oauth2/token",
                &[],
                &[("grant_type", "client_credentials"), ("client_id", &client_id), ("client_secret", &s)],
            )
            .await
        }
    };
    for i in 0..10 {
        let r = try_secret(format!("guess-{i}")).await;
        assert_eq!((r.status, r.json()["error"].as_str()), (401, Some("invalid_client")));
        assert!(r.header("www-authenticate").is_some());
    }
    let right = try_secret(secret.clone().unwrap()).await;
    assert_eq!(right.status, 401, "the budget is spent: even the right secret waits");
    // A burst at once in the next window: at most the budget's worth is compared, so the right
    // secret sent with the burst's tail is refused too.
    t.clock.advance(600);
    let burst = futures::future::join_all((0..30).map(|i| try_secret(format!("burst-{i}")))).await;
    assert!(burst.iter().all(|r| r.status == 401));
    assert_eq!(try_secret(secret.clone().unwrap()).await.status, 401, "the burst spent the window");
    t.clock.advance(600);
    assert_eq!(try_secret(secret.unwrap()).await.status, 200);
}

async fn forged_tokens_are_refused(b: Backend) {
    let t = app(b).await;
    t.register("jane@example.com").await;
    let (client_id, _) = client(&t, "public", &["authorization_code"]).await;
    let code = param(&sign_in(&t, &client_id, "jane@example.com").await, "code").unwrap();
    let tokens = exchange(&t, &client_id, None, &code, VERIFIER).await.json();
    let access = tokens["access_token"].as_str().unwrap();
    let parts: Vec<&str> = access.split('.').collect();
    let b64 = |v: serde_json::Value| shared::crypto::b64url(v.to_string().as_bytes());
    // alg: none, with the real claims.
    let none = format!("{}.{}.", b64(json!({"alg": "none", "typ": "at+jwt"})), parts[1]);
    // HS256 with the RSA public key's modulus as the secret (the classic confusion).
    let jwks = send(&t, Method::GET, "/.well-known/jwks.json", &[], None).await.json();
    let rsa = jwks["keys"].as_array().unwrap().iter().find(|k| k["kty"] == "RSA").unwrap().clone();
    let kid = rsa["kid"].as_str().unwrap();
    let secret = shared::crypto::b64url_decode(rsa["n"].as_str().unwrap()).unwrap();
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    header.kid = Some(kid.to_owned());
    header.typ = Some("at+jwt".into());
    let claims: serde_json::Value = serde_json::from_slice(&shared::crypto::b64url_decode(parts[1]).unwrap()).unwrap();
    let hs = jsonwebtoken::encode(&header, &claims, &jsonwebtoken::EncodingKey::from_secret(&secret)).unwrap();
    // Surface 2's EdDSA idToken, and the provider's own ID token, where an access token goes.
    let (s2_id_token, _) = t.id_login_tokens("jane@example.com").await;
    let id_token = tokens["id_token"].as_str().unwrap();
    for forged in [none.as_str(), hs.as_str(), s2_id_token.as_str(), id_token] {
        let bearer = format!("Bearer {forged}");
        let r = send(&t, Method::GET, "/oauth2/userinfo", &[("authorization", &bearer)], None).await;
        assert_eq!(r.status, 401, "{forged}: {}", r.text);
    }
    // And the provider's RS256 token is no idToken of surface 2.
    assert_eq!(t.get("/auth/me", Some(access)).await.status, 403);
}

async fn the_second_factor_is_asked_on_the_page(b: Backend) {
    let t = app(b).await;
    t.register("jane@example.com").await;
    assert_eq!(
        t.post("/users/verification/email/send", None, json!({ "email": "jane@example.com" })).await.status,
        204
    );
    let r = t
        .post(
            "/users/verification/email/verify",
            None,
            json!({"email": "jane@example.com", "verificationCode": "123456"}),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    let (client_id, _) = client(&t, "public", &["authorization_code"]).await;
    let browser = open_page(&t, &authorize_query(&client_id, "s", "n")).await;
    let asked = browser.password(&t, "jane@example.com", PASSWORD).await;
    assert_eq!(asked.status, 200, "{}", asked.text);
    assert!(asked.text.contains("name=\"code\"") && asked.text.contains("send_email"), "{}", asked.text);
    let wrong = browser.post(&t, &[("step", "code"), ("code", "000000")]).await;
    assert_eq!(wrong.status, 401, "no code was sent yet: {}", wrong.text);
    let sent = browser.post(&t, &[("step", "send_email")]).await;
    assert_eq!(sent.status, 200, "{}", sent.text);
    let done = browser.post(&t, &[("step", "code"), ("code", "123456")]).await;
    assert_eq!(done.status, 303, "{}", done.text);
    let code = param(&query_of(done.header("location").unwrap()), "code").unwrap();
    let tokens = exchange(&t, &client_id, None, &code, VERIFIER).await.json();
    let id = verify(&t, tokens["id_token"].as_str().unwrap(), &client_id).await;
    assert_eq!(id["amr"], json!(["pwd", "otp", "mfa"]));
}

async fn logout_ends_the_login_and_goes_back_only_to_a_registered_uri(b: Backend) {
    let t = app(b).await;
    t.register("jane@example.com").await;
    let (client_id, _) = client(&t, "public", &["authorization_code"]).await;
    let code = param(&sign_in(&t, &client_id, "jane@example.com").await, "code").unwrap();
    let tokens = exchange(&t, &client_id, None, &code, VERIFIER).await.json();
    let (id_token, bearer) =
        (tokens["id_token"].as_str().unwrap(), format!("Bearer {}", tokens["access_token"].as_str().unwrap()));
    let auth = [("authorization", bearer.as_str())];
    let userinfo = || send(&t, Method::GET, "/oauth2/userinfo", &auth, None);
    for evil in ["https://evil.example/bye", "https://app.example/bye/x", "https://app.example/callback"] {
        let q = form(&[("id_token_hint", id_token), ("post_logout_redirect_uri", evil), ("state", "s")]);
        let r = send(&t, Method::GET, &format!("/oauth2/logout?{q}"), &[], None).await;
        assert_eq!(r.status, 400, "{evil}: {}", r.text);
        assert!(r.header("location").is_none());
    }
    let (s2_id_token, _) = t.id_login_tokens("jane@example.com").await;
    let forged =
        send(&t, Method::GET, &format!("/oauth2/logout?{}", form(&[("id_token_hint", &s2_id_token)])), &[], None).await;
    assert_eq!(forged.status, 400, "surface 2's idToken is no hint: {}", forged.text);
    assert_eq!(userinfo().await.status, 200, "refused logouts ended nothing");
    let q =
        form(&[("id_token_hint", id_token), ("post_logout_redirect_uri", "https://app.example/bye"), ("state", "s")]);
    let r = send(&t, Method::GET, &format!("/oauth2/logout?{q}"), &[], None).await;
    assert_eq!((r.status, r.header("location")), (303, Some("https://app.example/bye?state=s")), "{}", r.text);
    assert_eq!(userinfo().await.status, 401, "the login ended");
}

on_both_stores!(
    logout_ends_the_login_and_goes_back_only_to_a_registered_uri,
    pkce_is_required_s256_only_and_the_verifier_checked,
    a_code_is_single_use_and_its_replay_ends_the_login,
    a_code_replayed_at_once_is_redeemed_once,
    a_code_is_bound_to_its_client_and_redirect_uri,
    an_unknown_client_or_redirect_uri_never_redirects,
    state_and_nonce_stay_with_their_own_request,
    a_refresh_token_of_one_client_is_refused_to_another,
    the_page_refuses_forms_from_another_browser_and_is_never_framed,
    the_page_locks_and_tells_no_account_apart,
    a_client_secret_guessed_is_budgeted,
    forged_tokens_are_refused,
    the_second_factor_is_asked_on_the_page,
);
