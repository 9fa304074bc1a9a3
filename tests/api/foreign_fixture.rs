//! Hashes made by each scheme's reference implementation (`tests/fixtures/make-foreign-hashes.py`:
//! Python's bcrypt, argon2-cffi, hashlib in Django's and PHC's forms, Firebase's modified scrypt
//! with its published test vector), imported on both stores: each signs in with its password on
//! both surfaces, never with a wrong one, and is upgraded by its first login (visible in an
//! export), except an Argon2id hash already at the service's parameters, which is kept.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::OnceLock;

use integration_tests::{Backend, TestApp, on_both_stores};
use serde_json::Value;
use shared::app::import::Options;
use shared::password::firebase::FirebaseParams;

use crate::import::run;

/// The fixture, made once per test process (fresh salts each time).
fn fixture() -> &'static Value {
    static FIXTURE: OnceLock<Value> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/foreign-hashes.sh");
        let out = std::process::Command::new(script).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap()
    })
}

async fn hashes_made_by_reference_implementations_sign_in_and_are_upgraded(b: Backend) {
    let fixture = tokio::task::spawn_blocking(fixture).await.unwrap();
    let f = &fixture["firebase"];
    let text = |v: &Value| v.as_str().map_or_else(|| v.to_string(), str::to_owned);
    let params = FirebaseParams::parse(
        &text(&f["base64_signer_key"]),
        &text(&f["base64_salt_separator"]),
        &text(&f["rounds"]),
        &text(&f["mem_cost"]),
    )
    .unwrap();
    let options = Options { dry_run: false, firebase: Some(params) };
    let accounts = fixture["accounts"].as_array().unwrap();
    assert!(accounts.len() >= 12, "every scheme: {accounts:#?}");
    let file: String = accounts.iter().map(|a| format!("{}\n", a["line"])).collect();
    let t = TestApp::new(b).await;
    let report = run(&t, file.as_bytes(), &options).await;
    assert_eq!((report.imported as usize, report.refused), (accounts.len(), 0), "{report:#?}");
    for account in accounts {
        let (scheme, password) = (account["scheme"].as_str().unwrap(), account["password"].as_str().unwrap());
        let email = account["line"]["email"].as_str().unwrap();
        let imported = t.app.store.get_user(email).await.unwrap().unwrap().password_hash;
        for wrong in [format!("{password}!"), "correct horse battery staple".to_owned()] {
            assert!(t.login(email, &wrong).await.status >= 400, "{scheme}: a wrong password on surface 1");
        }
        assert!(t.id_login(email, &format!("{password}?")).await.status >= 400, "{scheme}: surface 2");
        let stored = t.app.store.get_user(email).await.unwrap().unwrap().password_hash;
        assert_eq!(stored, imported, "{scheme}: a wrong password writes nothing");
        let r = t.login(email, password).await;
        assert_eq!(r.status, 200, "{scheme} on surface 1: {}", r.body);
        let r = t.id_login(email, password).await;
        assert_eq!(r.status, 200, "{scheme} on surface 2: {}", r.body);
        let stored = t.app.store.get_user(email).await.unwrap().unwrap().password_hash;
        assert!(shared::password::is_native(&stored), "{scheme}: upgraded to the service's Argon2id");
        if scheme.contains("the service's parameters") {
            assert_eq!(stored, imported, "{scheme}: already the service's, kept");
        } else {
            assert_ne!(stored, imported, "{scheme}");
        }
    }
    // The upgrade, visible in an export: every hash the service's own.
    let mut out = Vec::new();
    let export = shared::app::export_accounts::Options { include_secrets: false };
    shared::app::export_accounts::export(&t.app, export, &mut out, |_| {}).await.unwrap();
    let lines: Vec<Value> = String::from_utf8(out).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), accounts.len());
    for line in &lines {
        assert!(line["password_hash"].as_str().unwrap().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{line}");
    }
}

on_both_stores!(hashes_made_by_reference_implementations_sign_in_and_are_upgraded);
