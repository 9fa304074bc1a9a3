//! The operator's export on both stores: every account in the import's shape, streamed by the
//! local server; the service's hashes as `$argon2id$` PHC strings (an imported one upgraded by
//! a login included); TOTP secrets only when asked for; and the round trip: an export imported
//! into an empty stack signs every user in with the same password and factors.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use integration_tests::{Backend, PASSWORD, TestApp, enrol_sms, on_both_stores};
use serde_json::{Value, json};
use shared::app::import::Options;
use shared::model::{FactorChannel, FactorStatus};
use tower::ServiceExt;

use crate::import::run;
use crate::imported::{PBKDF2, SCRYPT};

/// `POST /_admin/export{query}` on the local server: the status and the body's lines.
async fn export(t: &TestApp, query: &str) -> (u16, Vec<Value>) {
    let req = axum::http::Request::builder()
        .method("POST")
        .uri(format!("/_admin/export{query}"))
        .body(axum::body::Body::empty())
        .unwrap();
    let answer = t.router.clone().oneshot(req).await.unwrap();
    let status = answer.status().as_u16();
    let bytes = axum::body::to_bytes(answer.into_body(), usize::MAX).await.unwrap();
    let lines = bytes.split(|b| *b == b'\n').filter(|l| !l.is_empty()).map(|l| serde_json::from_slice(l).unwrap());
    (status, lines.collect())
}

fn by_email<'a>(lines: &'a [Value], email: &str) -> &'a Value {
    lines.iter().find(|l| l["email"] == email).unwrap_or_else(|| panic!("{email} not exported"))
}

async fn an_export_imported_into_an_empty_stack_signs_every_user_in_with_the_same_factors(b: Backend) {
    let source = TestApp::with_config(b, |c| c.admin_local = true).await;
    let t = &source;
    t.tokens("native@example.com").await;
    let (_, access) = t.tokens("sms@example.com").await;
    enrol_sms(t, &access).await;
    let (id_token, _) = t.id_tokens("totp@example.com").await;
    let secret = t.add_totp(&id_token).await;
    let code = t.totp_code(&secret, 0);
    let validate = Some(json!({"channel": "TOTP"}));
    let r = t.with_otp(axum::http::Method::POST, "/auth/otp/code", &id_token, &code, validate).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let file = [
        json!({"email": "upgraded@example.com", "password_hash": PBKDF2, "name": "Ana", "email_verified": true}),
        json!({"email": "waiting@example.com", "password_hash": SCRYPT}),
        json!({"email": "blocked@example.com", "password_hash": PBKDF2, "blocked": true}),
        json!({"email": "nohash@example.com"}),
    ]
    .iter()
    .map(|l| format!("{l}\n"))
    .collect::<String>();
    assert_eq!(run(t, file.as_bytes(), &Options::default()).await.imported, 4);
    assert_eq!(t.login("upgraded@example.com", PASSWORD).await.status, 200);

    let (status, plain) = export(t, "").await;
    assert_eq!(status, 200);
    assert_eq!(plain.len(), 7, "{plain:#?}");
    assert!(plain.iter().all(|l| l.get("totp_secret").is_none()), "no TOTP secret unless asked for");
    let upgraded = by_email(&plain, "upgraded@example.com");
    assert!(upgraded["password_hash"].as_str().unwrap().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{upgraded}");
    assert_eq!((upgraded["name"].as_str(), upgraded["email_verified"].as_bool()), (Some("Ana"), Some(true)));
    assert_eq!(by_email(&plain, "waiting@example.com")["password_hash"], SCRYPT, "not upgraded until a login");
    assert!(by_email(&plain, "native@example.com")["password_hash"].as_str().unwrap().starts_with("$argon2id$"));
    assert_eq!(by_email(&plain, "blocked@example.com")["blocked"], true);
    assert!(by_email(&plain, "nohash@example.com").get("password_hash").is_none());
    assert_eq!(by_email(&plain, "sms@example.com")["mobile_verified"], true);
    assert_eq!(export(t, "?include_secrets=maybe").await.0, 400);

    let (status, full) = export(t, "?include_secrets=true").await;
    assert_eq!(status, 200);
    let base32 = totp_rs::Secret::from(secret.clone()).to_base32();
    assert_eq!(by_email(&full, "totp@example.com")["totp_secret"], base32);
    assert_eq!(full.iter().filter(|l| l.get("totp_secret").is_some()).count(), 1);

    // Into an empty stack (later than every account's creation).
    let target = TestApp::new(b).await;
    target.clock.advance(3600);
    let file: String = full.iter().map(|l| format!("{l}\n")).collect();
    let report = run(&target, file.as_bytes(), &Options::default()).await;
    assert_eq!((report.imported, report.skipped, report.refused), (7, 0, 0), "{report:?}");
    for email in ["native", "sms", "totp", "upgraded", "waiting"].map(|e| format!("{e}@example.com")) {
        assert_eq!(target.login(&email, PASSWORD).await.status, 200, "{email} on surface 1");
        assert_eq!(target.id_login(&email, PASSWORD).await.status, 200, "{email} on surface 2");
        assert!(target.login(&email, "correct horse battery stapler").await.status >= 400);
    }
    for email in ["blocked@example.com", "nohash@example.com"] {
        assert!(target.login(email, PASSWORD).await.status >= 400, "{email}");
    }
    let sms = target.app.store.get_user("sms@example.com").await.unwrap().unwrap();
    assert!(sms.factors.iter().any(|f| f.channel == FactorChannel::Sms && f.status == FactorStatus::Active));
    assert_eq!(sms.mobile, source.app.store.get_user("sms@example.com").await.unwrap().unwrap().mobile);
    // The same TOTP secret, validated: the authenticator app keeps working (here, as the
    // x-otp a deletion on surface 2 needs).
    let (id_token, _) = target.id_login_tokens("totp@example.com").await;
    let code = target.totp_code(&secret, 0);
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let delete = || Some(json!({"password": PASSWORD}));
    let r = target.with_otp(axum::http::Method::POST, "/auth/me/delete", &id_token, wrong, delete()).await;
    assert_eq!((r.status, r.body["code"].as_str()), (403, Some("OTP_INVALID")), "{}", r.body);
    let r = target.with_otp(axum::http::Method::POST, "/auth/me/delete", &id_token, &code, delete()).await;
    assert!((200..300).contains(&r.status), "{}", r.body);
    // The file again: every account is there already.
    let again = run(&target, file.as_bytes(), &Options::default()).await;
    assert_eq!((again.imported, again.skipped), (1, 6), "idempotent: only the deleted account comes back");
}

async fn an_export_pages_through_many_accounts_and_leaves_deleted_ones_out(b: Backend) {
    let t = TestApp::new(b).await;
    let n = shared::app::export_accounts::PAGE + 20;
    let file: String = (0..n)
        .map(|i| format!("{}\n", json!({"email": format!("user{i}@example.com"), "password_hash": PBKDF2})))
        .collect();
    assert_eq!(run(&t, file.as_bytes(), &Options::default()).await.imported as usize, n);
    let mut user = t.app.store.get_user("user7@example.com").await.unwrap().unwrap();
    user.deleted = true;
    t.app.store.update_user(&user, &[]).await.unwrap();
    let mut out = Vec::new();
    let mut pages = 0;
    let options = shared::app::export_accounts::Options { include_secrets: false };
    let summary = shared::app::export_accounts::export(&t.app, options, &mut out, |_| pages += 1).await.unwrap();
    assert_eq!(summary.exported as usize, n - 1);
    assert!(pages >= 2, "read a page at a time");
    let text = String::from_utf8(out).unwrap();
    let mut emails: Vec<&str> = text.lines().map(|l| l.split('"').nth(3).unwrap()).collect();
    emails.sort_unstable();
    emails.dedup();
    assert_eq!(emails.len(), n - 1, "each account once");
    assert!(!emails.contains(&"user7@example.com"));
}

on_both_stores!(
    an_export_imported_into_an_empty_stack_signs_every_user_in_with_the_same_factors,
    an_export_pages_through_many_accounts_and_leaves_deleted_ones_out,
);
