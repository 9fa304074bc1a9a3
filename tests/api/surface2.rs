//! Surface 2 (seed 002) end to end through the router, on both stores: idTokens verified
//! against the published JWKS, refresh tokens, the profile, and the SMS, e-mail and TOTP methods.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use integration_tests::{Backend, PASSWORD, TestApp, on_both_stores, request};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use lambda_http::http::Method;
use serde_json::{Value, json};

const NEW_PASSWORD: &str = "violet tugboat harmonica 42";

/// Verifies an idToken the way another service would: from the JWKS endpoint alone.
async fn verify_with_jwks(t: &TestApp, id_token: &str) -> Value {
    let jwks = t.get("/.well-known/jwks.json", None).await;
    assert_eq!(jwks.status, 200);
    assert_eq!(jwks.header("cache-control"), Some("public, max-age=300"));
    let set: jsonwebtoken::jwk::JwkSet = serde_json::from_value(jwks.body).unwrap();
    let kid = jsonwebtoken::decode_header(id_token).unwrap().kid.unwrap();
    let key = DecodingKey::from_jwk(set.find(&kid).unwrap()).unwrap();
    let mut v = Validation::new(Algorithm::EdDSA);
    v.set_audience(&[&t.app.config.audience]);
    v.set_issuer(&[&t.app.config.issuer]);
    v.validate_exp = false;
    jsonwebtoken::decode::<Value>(id_token, &key, &v).unwrap().claims
}

async fn login_issues_an_id_token_verifiable_offline(b: Backend) {
    let t = TestApp::new(b).await;
    let reg = t.register("jane@example.com").await;
    let r = t.id_login("Jane@Example.com", PASSWORD).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.header("cache-control"), Some("no-store"));
    let claims = verify_with_jwks(&t, r.body["idToken"].as_str().unwrap()).await;
    assert_eq!(claims["sub"], reg["userId"]);
    assert_eq!(claims["email"], "jane@example.com");
    assert_eq!(claims["amr"], json!(["pwd"]));
    assert_eq!(claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(), 900);
    assert!(claims["jti"].as_str().unwrap().len() >= 16);
    let refresh = r.body["refreshToken"].as_str().unwrap();
    assert!(refresh.len() > 43);
}

async fn bad_logins_share_the_surface1_lockout(b: Backend) {
    let t = TestApp::new(b).await;
    t.register("jane@example.com").await;
    let wrong = t.id_login("jane@example.com", "nope").await;
    let unknown = t.id_login("nobody@example.com", PASSWORD).await;
    assert_eq!(wrong.status, 403);
    assert_eq!(wrong.body, unknown.body);
    let malformed = t.post("/auth/login", None, json!({"email": "jane@example.com"})).await;
    assert_eq!(malformed.status, 400);
    assert_eq!(malformed.body["code"], "INVALID_REQUEST");
    assert!(malformed.body["message"].as_str().unwrap().contains("password"));
    for _ in 0..4 {
        t.login("jane@example.com", "nope").await;
    }
    assert_eq!(t.id_login("jane@example.com", PASSWORD).await.status, 423);
}

async fn refresh_gives_new_id_tokens_until_logout(b: Backend) {
    let t = TestApp::new(b).await;
    let (_, refresh) = t.id_tokens("jane@example.com").await;
    t.clock.advance(1000);
    let r = t.post("/auth/login/refresh", None, json!({"refreshToken": refresh})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let fresh = r.body["idToken"].as_str().unwrap();
    let next = r.body["refreshToken"].as_str().unwrap().to_owned();
    assert_ne!(next, refresh, "rotated: {}", r.body);
    assert_eq!(t.get("/auth/me", Some(fresh)).await.status, 200);
    // Logging out with the token of any generation ends the family, and its idTokens with it.
    assert_eq!(t.post("/auth/logout", None, json!({"refreshToken": refresh})).await.status, 204);
    assert_eq!(t.get("/auth/me", Some(fresh)).await.status, 403, "the idToken outlived its logout");
    assert_eq!(t.post("/auth/login/refresh", None, json!({"refreshToken": next})).await.status, 403);
    assert_eq!(t.post("/auth/login/refresh", None, json!({"refreshToken": refresh})).await.status, 403);
    for garbage in ["", "x", "1.short", &format!("{}x", refresh)] {
        let r = t.post("/auth/login/refresh", None, json!({"refreshToken": garbage})).await;
        assert!(r.status == 403 || r.status == 400, "{garbage}: {}", r.status);
    }
    assert_eq!(t.post("/auth/logout", None, json!({"refreshToken": "1.unknown"})).await.status, 204);
}

async fn refresh_tokens_expire(b: Backend) {
    let t = TestApp::with_config(b, |c| c.refresh_token_secs = 3600).await;
    let (_, refresh) = t.id_tokens("jane@example.com").await;
    t.clock.advance(3599);
    assert_eq!(t.post("/auth/login/refresh", None, json!({"refreshToken": refresh})).await.status, 200);
    t.clock.advance(1);
    assert_eq!(t.post("/auth/login/refresh", None, json!({"refreshToken": refresh})).await.status, 403);
}

async fn a_password_change_ends_refresh_and_id_tokens(b: Backend) {
    let t = TestApp::new(b).await;
    let (id_token, refresh) = t.id_tokens("jane@example.com").await;
    let auth = t.login("jane@example.com", PASSWORD).await.body["token"].as_str().unwrap().to_owned();
    let access = t.access_token(&auth).await;
    let change = json!({"oldPassword": {"value": PASSWORD}, "newPassword": {"value": NEW_PASSWORD}});
    assert_eq!(t.post("/passwords/update", Some(&access), change).await.status, 200);
    assert_eq!(t.post("/auth/login/refresh", None, json!({"refreshToken": refresh})).await.status, 403);
    assert_eq!(t.get("/auth/me", Some(&id_token)).await.status, 403, "stale for this service");
    assert_eq!(t.id_login("jane@example.com", NEW_PASSWORD).await.status, 200);
}

async fn id_tokens_expire_and_forgeries_fail(b: Backend) {
    let t = TestApp::new(b).await;
    let (id_token, _) = t.id_tokens("jane@example.com").await;
    assert_eq!(t.get("/auth/me", Some(&id_token)).await.status, 200);
    let parts: Vec<&str> = id_token.split('.').collect();
    let payload: Value = serde_json::from_slice(&shared::crypto::b64url_decode(parts[1]).unwrap()).unwrap();
    let mut forged = payload.clone();
    forged["sub"] = json!("1");
    let forged_payload = shared::crypto::b64url(forged.to_string().as_bytes());
    let none_header = shared::crypto::b64url(br#"{"alg":"none","typ":"JWT"}"#);
    let kid = jsonwebtoken::decode_header(&id_token).unwrap().kid.unwrap();
    let public = shared::crypto::b64url_decode(
        t.get("/.well-known/jwks.json", None).await.body["keys"][0]["x"].as_str().unwrap(),
    )
    .unwrap();
    let mut hs = jsonwebtoken::Header::new(Algorithm::HS256);
    hs.kid = Some(kid.clone());
    let hs256_with_public_key =
        jsonwebtoken::encode(&hs, &payload, &jsonwebtoken::EncodingKey::from_secret(&public)).unwrap();
    let mut wrong_kid = jsonwebtoken::decode_header(&id_token).unwrap();
    wrong_kid.kid = Some("other:id".into());
    let wrong_kid_header = shared::crypto::b64url(serde_json::to_string(&wrong_kid).unwrap().as_bytes());
    for (what, token) in [
        ("tampered", format!("{}.{}.{}", parts[0], forged_payload, parts[2])),
        ("alg none", format!("{none_header}.{}.", parts[1])),
        ("HS256 with the public key", hs256_with_public_key),
        ("unknown kid", format!("{wrong_kid_header}.{}.{}", parts[1], parts[2])),
        ("surface-1 token", t.auth_token("john@example.com").await),
    ] {
        let r = t.get("/auth/me", Some(&token)).await;
        assert_eq!(r.status, 403, "{what}");
        assert_eq!(r.body["code"], "FORBIDDEN", "{what}");
    }
    t.clock.advance(900);
    assert_eq!(t.get("/auth/me", Some(&id_token)).await.status, 403, "expired");
}

async fn the_profile_is_named_and_masked_as_the_seed(b: Backend) {
    let t = TestApp::new(b).await;
    let (id_token, _) = t.id_tokens("jane@example.com").await;
    let p = t.get("/auth/me", Some(&id_token)).await.body;
    assert_eq!(p["email"], "j***e@example.com");
    assert_eq!(p["phoneNumber"], "+44*******123");
    assert_eq!(p["hasValidatedEmail"], false);
    assert_eq!(p["hasValidatedSecret"], false);
    assert_eq!(p["hasValidatedPhone"], false);
    assert_eq!(p["status"], "ACTIVE");
    assert_eq!(p["lastLoggedDevice"], "integration-tests/1.0");
    let iso = p["lastLoggedDate"].as_str().unwrap();
    assert!(iso.ends_with('Z') && iso.len() == 20, "{iso}");
    assert!(p["lastPasswordChangeDate"].as_str().unwrap().ends_with('Z'));
    assert!(p.get("emailVerificationDate").is_none());
    for _ in 0..5 {
        t.login("jane@example.com", "wrong").await;
    }
    assert_eq!(t.get("/auth/me", Some(&id_token)).await.body["status"], "LOCKED");
}

async fn sms_method_validates_a_normalised_number(b: Backend) {
    let t = TestApp::new(b).await;
    let (id_token, _) = t.id_tokens("jane@example.com").await;
    for (phone, country, code) in
        [("12", "GB", "INVALID_PHONE"), ("07400 123456", "XX", "INVALID_COUNTRY"), ("", "GB", "INVALID_REQUEST")]
    {
        let r = t.post("/auth/otp/methods/sms", Some(&id_token), json!({"phone": phone, "country": country})).await;
        assert_eq!(r.status, 400, "{phone}");
        assert_eq!(r.body["code"], code, "{phone}: {}", r.body);
    }
    let r = t.post("/auth/otp/methods/sms", Some(&id_token), json!({"phone": "07400 123456", "country": "GB"})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["phoneNumber"], "+44*******456");
    assert_eq!(r.body["hasValidatedPhone"], false);
    assert_eq!(t.sms.sent().last().unwrap().to, "+447400123456");
    let verify =
        |otp: &'static str| t.with_otp(Method::POST, "/auth/otp/code", &id_token, otp, Some(json!({"channel": "SMS"})));
    assert_eq!(verify("654321").await.body["code"], "INVALID_CODE");
    let r = verify("123456").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["hasValidatedPhone"], true);
    assert!(r.body["phoneVerificationDate"].as_str().unwrap().ends_with('Z'));
    assert_eq!(verify("123456").await.body["code"], "ALREADY_VALIDATED");
    t.clock.advance(20);
    let again =
        t.post("/auth/otp/methods/sms", Some(&id_token), json!({"phone": "07400 123789", "country": "GB"})).await;
    assert_eq!(again.body["code"], "PHONE_ALREADY_VALIDATED");
}

async fn email_codes_are_sent_and_validated(b: Backend) {
    let t = TestApp::new(b).await;
    let (id_token, _) = t.id_tokens("jane@example.com").await;
    let r = t.get("/auth/otp/code?method=EMAIL", Some(&id_token)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["channel"], "EMAIL");
    assert_eq!(r.body["validated"], false);
    assert!(r.body["validUntil"].as_str().unwrap().ends_with('Z'));
    let mail = t.email.sent();
    assert_eq!(mail.len(), 1);
    assert_eq!(mail[0].to, "jane@example.com");
    assert!(mail[0].body.contains("123456"));
    let again = t.get("/auth/otp/code?method=EMAIL", Some(&id_token)).await;
    assert_eq!(again.status, 429);
    assert_eq!(again.header("retry-after"), Some("15"));
    assert_eq!(t.get("/auth/otp/code?method=FAX", Some(&id_token)).await.status, 400);
    let r = t.with_otp(Method::POST, "/auth/otp/code", &id_token, "123456", Some(json!({"channel": "EMAIL"}))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["hasValidatedEmail"], true);
}

async fn sms_code_needs_a_phone(b: Backend) {
    let t = TestApp::new(b).await;
    let r = t
        .post("/users", None, json!({"email": "nophone@example.com", "password": {"value": PASSWORD}, "name": "N"}))
        .await;
    assert_eq!(r.status, 201);
    let id_token = t.id_login("nophone@example.com", PASSWORD).await.body["idToken"].as_str().unwrap().to_owned();
    let r = t.get("/auth/otp/code?method=SMS", Some(&id_token)).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body["code"], "METHOD_NOT_CONFIGURED");
    let r = t.with_otp(Method::POST, "/auth/otp/code", &id_token, "123456", Some(json!({"channel": "TOTP"}))).await;
    assert_eq!(r.body["code"], "METHOD_NOT_CONFIGURED");
}

async fn totp_enrolment_drift_and_replay(b: Backend) {
    let t = TestApp::new(b).await;
    let (id_token, _) = t.id_tokens("jane@example.com").await;
    let r = t.post("/auth/otp/methods/totp", Some(&id_token), json!({})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let uri = r.body["totp"]["uri"].as_str().unwrap();
    assert!(uri.starts_with("otpauth://totp/"), "{uri}");
    assert!(r.body["totp"]["qrCode"].as_str().unwrap().starts_with("data:image/png;base64,"));
    assert_eq!(r.body["hasValidatedSecret"], false);
    let secret =
        totp_rs::Secret::try_from_base32(r.body["totp"]["secret"].as_str().unwrap()).unwrap().as_ref().to_vec();
    let verify =
        |otp: String| t.with_otp(Method::POST, "/auth/otp/code", &id_token, otp, Some(json!({"channel": "TOTP"})));
    assert_eq!(verify("000000".into()).await.body["code"], "INVALID_CODE");
    assert_eq!(verify(t.totp_code(&secret, -60)).await.body["code"], "INVALID_CODE", "two steps old");
    // One step of drift is accepted.
    let r = verify(t.totp_code(&secret, -30)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["hasValidatedSecret"], true);
    assert_eq!(verify(t.totp_code(&secret, 0)).await.body["code"], "ALREADY_VALIDATED");
    assert_eq!(
        t.post("/auth/otp/methods/totp", Some(&id_token), json!({})).await.body["code"],
        "SECRET_ALREADY_VALIDATED"
    );

    let delete = |otp: String| t.with_otp(Method::DELETE, "/auth/otp/methods/totp", &id_token, otp, None);
    // The step already used, or an older one, never works again.
    assert_eq!(delete(t.totp_code(&secret, -30)).await.body["code"], "INVALID_CODE", "replayed");
    let r = delete(t.totp_code(&secret, 0)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["hasValidatedSecret"], false);
    assert_eq!(delete(t.totp_code(&secret, 30)).await.body["code"], "SECRET_NOT_CONFIGURED");
}

async fn the_same_totp_code_works_once_under_concurrency(b: Backend) {
    let t = Arc::new(TestApp::new(b).await);
    let (id_token, _) = t.id_tokens("jane@example.com").await;
    let secret = t.add_totp(&id_token).await;
    let code = t.totp_code(&secret, 0);
    let tasks: Vec<_> = (0..6)
        .map(|_| {
            let (t, id_token, code) = (Arc::clone(&t), id_token.clone(), code.clone());
            tokio::spawn(async move {
                t.with_otp(Method::POST, "/auth/otp/code", &id_token, &code, Some(json!({"channel": "TOTP"})))
                    .await
                    .status
            })
        })
        .collect();
    let statuses: Vec<u16> = futures::future::join_all(tasks).await.into_iter().map(Result::unwrap).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "{statuses:?}");
    // Reuses are wrong codes; past the lockout threshold, or the login's share of the TOTP
    // budget, the rest are refused unchecked.
    assert!(statuses.iter().all(|s| [200, 400, 423, 429].contains(s)), "{statuses:?}");
}

async fn the_otp_header_takes_six_digits_only(b: Backend) {
    let t = TestApp::new(b).await;
    let (id_token, _) = t.id_tokens("jane@example.com").await;
    for bad in ["12345", "12345a", "123456; x", "1234567", "１２３４５６"] {
        let mut req = request(Method::POST, "/auth/otp/code", Some(&id_token), Some(json!({"channel": "EMAIL"})));
        req.headers_mut().insert("x-otp", lambda_http::http::HeaderValue::from_bytes(bad.as_bytes()).unwrap());
        let r = t.call(req).await;
        assert_eq!(r.status, 400, "{bad}");
        assert_eq!(r.body["code"], "INVALID_OTP_HEADER", "{bad}");
    }
    let r = t.call(request(Method::POST, "/auth/otp/code", Some(&id_token), Some(json!({"channel": "EMAIL"})))).await;
    assert_eq!(r.body["code"], "INVALID_OTP_HEADER");
}

async fn wrong_codes_count_toward_the_lockout(b: Backend) {
    let t = TestApp::new(b).await;
    let (id_token, _) = t.id_tokens("jane@example.com").await;
    let secret = t.add_totp(&id_token).await;
    let wrong = if t.totp_code(&secret, 0) == "000000" { "111111" } else { "000000" };
    for _ in 0..4 {
        let r = t.with_otp(Method::POST, "/auth/otp/code", &id_token, wrong, Some(json!({"channel": "TOTP"}))).await;
        assert_eq!(r.status, 400);
    }
    let fifth = t.with_otp(Method::POST, "/auth/otp/code", &id_token, wrong, Some(json!({"channel": "TOTP"}))).await;
    assert_eq!((fifth.status, fifth.body["code"].as_str()), (423, Some("ACCOUNT_LOCKED")), "{}", fifth.body);
    let right = t.totp_code(&secret, 0);
    let r = t.with_otp(Method::POST, "/auth/otp/code", &id_token, right, Some(json!({"channel": "TOTP"}))).await;
    assert_eq!(r.status, 423, "no code is compared while locked");
    assert_eq!(t.id_login("jane@example.com", PASSWORD).await.status, 423);
    assert_eq!(t.get("/auth/me", Some(&id_token)).await.body["status"], "LOCKED");
}

on_both_stores!(
    login_issues_an_id_token_verifiable_offline,
    bad_logins_share_the_surface1_lockout,
    refresh_gives_new_id_tokens_until_logout,
    refresh_tokens_expire,
    a_password_change_ends_refresh_and_id_tokens,
    id_tokens_expire_and_forgeries_fail,
    the_profile_is_named_and_masked_as_the_seed,
    sms_method_validates_a_normalised_number,
    email_codes_are_sent_and_validated,
    sms_code_needs_a_phone,
    totp_enrolment_drift_and_replay,
    the_same_totp_code_works_once_under_concurrency,
    the_otp_header_takes_six_digits_only,
    wrong_codes_count_toward_the_lockout,
);
