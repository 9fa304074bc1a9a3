//! Every flow with its logs (and its metric lines) captured: no password, one-time code, token,
//! refresh token, TOTP secret or key may appear in them. Its own test binary, so that no other
//! test has touched the logging call sites before the capturing subscriber is in place.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use integration_tests::{Backend, PASSWORD, TestApp};
use lambda_http::http::Method;
use serde_json::json;

/// Captures every log line written while it is the thread's subscriber.
#[derive(Clone, Default)]
struct Captured(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Every flow, with logs captured at the most verbose level: no password, code, token, refresh
/// token, TOTP secret or key may appear in them.
#[tokio::test(flavor = "current_thread")]
async fn no_secret_ever_reaches_the_logs() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_max_level(tracing::Level::TRACE)
        .with_current_span(true)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    // The metric lines (the service's own, beside the log) are kept too, and scanned alike.
    let (secrets, metric_lines) = shared::metrics::captured(async {
        let t = TestApp::with_config(Backend::Memory, |c| c.sandbox = false).await;
        let mut secrets: Vec<String> = vec![PASSWORD.into(), "violet tugboat harmonica 42".into()];
        let (auth, access) = t.tokens("jane@example.com").await;
        secrets.extend([auth.clone(), access.clone()]);
        t.login("jane@example.com", "a wrong guess").await;
        secrets.push("a wrong guess".into());
        // SMS enrolment and step-up with real (random) codes, read from the recorded messages.
        let code_of = |t: &TestApp| {
            t.sms.sent().last().unwrap().body.chars().filter(char::is_ascii_digit).take(6).collect::<String>()
        };
        t.post("/authentication_factors/otp/SMS", Some(&access), json!({})).await;
        let code = code_of(&t);
        t.post("/authentication_factors/otp/SMS/verify", Some(&access), json!({"verificationCode": code})).await;
        secrets.push(code);
        t.clock.advance(16);
        t.post("/stepup/challenges/otp/SMS", Some(&access), json!({})).await;
        let code = code_of(&t);
        assert_eq!(
            t.post("/stepup/challenges/otp/SMS/verify", Some(&access), json!({"verificationCode": code})).await.status,
            204
        );
        secrets.push(code);
        let id = t
            .post(
                "/users",
                None,
                json!({"email": "x@example.com", "password": {"value": "another fine passphrase"}, "name": "X"}),
            )
            .await;
        assert_eq!(id.status, 201);
        secrets.push("another fine passphrase".into());
        // Surface 2.
        let login = t.id_login("jane@example.com", PASSWORD).await;
        let id_token = login.body["idToken"].as_str().unwrap().to_owned();
        let refresh = login.body["refreshToken"].as_str().unwrap().to_owned();
        secrets.extend([id_token.clone(), refresh.clone()]);
        // The account has a validated phone now: adding TOTP needs a code of it in x-otp.
        t.clock.advance(16);
        assert_eq!(t.get("/auth/otp/code?method=SMS", Some(&id_token)).await.status, 200);
        let proof = code_of(&t);
        secrets.push(proof.clone());
        let r = t.with_otp(Method::POST, "/auth/otp/methods/totp", &id_token, &proof, Some(json!({}))).await;
        let totp_secret = r.body["totp"]["secret"].as_str().unwrap().to_owned();
        let raw_secret = totp_rs::Secret::try_from_base32(&totp_secret).unwrap().as_ref().to_vec();
        let totp_code = t.totp_code(&raw_secret, 0);
        t.with_otp(Method::POST, "/auth/otp/code", &id_token, &totp_code, Some(json!({"channel": "TOTP"}))).await;
        secrets.extend([totp_secret, totp_code]);
        t.post("/auth/login/refresh", None, json!({"refreshToken": refresh})).await;
        // The account has factors now: a password change needs a stepped-up session.
        t.clock.advance(16);
        t.post("/stepup/challenges/otp/SMS", Some(&access), json!({})).await;
        let code = code_of(&t);
        t.post("/stepup/challenges/otp/SMS/verify", Some(&access), json!({"verificationCode": code})).await;
        secrets.push(code);
        let change =
            json!({"oldPassword": {"value": PASSWORD}, "newPassword": {"value": "violet tugboat harmonica 42"}});
        let changed = t.post("/passwords/update", Some(&access), change).await;
        assert_eq!(changed.status, 200, "{}", changed.body);
        secrets.push(changed.body["token"].as_str().unwrap().to_owned());
        let keys = t.app.keys();
        secrets.extend([
            shared::crypto::b64(&keys.session().unwrap().current.auth),
            shared::crypto::b64(&keys.data().unwrap().current.data),
            shared::crypto::b64url(&keys.session().unwrap().current.access),
        ]);
        secrets
    })
    .await;

    let mut logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(logs.lines().count() > 20, "the flows were logged: {logs}");
    assert!(metric_lines.len() >= 18, "every request wrote its metric line: {}", metric_lines.len());
    for line in &metric_lines {
        logs.push_str(&format!("{line}\n"));
    }
    assert!(logs.contains("request_ref"));
    // Six-digit codes could appear by chance inside the long numeric user ids: drop those first.
    let mut scrubbed = logs.clone();
    for line in logs.lines() {
        if let Some(start) = line.find("\"user_id\":\"") {
            let rest = &line[start + 11..];
            let id = &rest[..rest.find('"').unwrap()];
            scrubbed = scrubbed.replace(id, "<user-id>");
        }
    }
    for secret in secrets {
        assert!(!scrubbed.contains(&secret), "a secret reached the logs: {secret:.12}…");
    }
}
