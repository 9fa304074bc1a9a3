//! The operator's import on both stores: hashes made by other systems sign in (and are
//! upgraded), factors and flags come across, a second run changes nothing, a dry run writes
//! nothing, and hostile lines are refused one by one with nothing written for them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use integration_tests::{Backend, PASSWORD, TestApp, on_both_stores};
use serde_json::json;
use shared::app::import::{Options, Report, import};
use shared::password::firebase::FirebaseParams;

use crate::imported::{PBKDF2, SCRYPT};

const BCRYPT: &str = "$2b$04$EGdrhbKUv8Oc9vGiXX0HQOxSg445d458Muh7DAHskb6QbtCvdxcie"; // "correctbatteryhorsestapler"
const BCRYPT_PASSWORD: &str = "correctbatteryhorsestapler";
const FIREBASE_KEY: &str = "jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==";

fn firebase_options(dry_run: bool) -> Options {
    Options { dry_run, firebase: Some(FirebaseParams::parse(FIREBASE_KEY, "Bw==", "8", "14").unwrap()) }
}

pub async fn run(t: &TestApp, file: &[u8], options: &Options) -> Report {
    import(&t.app, tokio::io::BufReader::new(file), options, |_, _| {}).await.unwrap()
}

fn file() -> String {
    [
        json!({"email": "pbkdf2@example.com", "email_verified": true, "name": "Ana", "password_hash": PBKDF2,
               "mobile": {"countryCode": "+44", "number": "7400900123"}, "mobile_verified": true,
               "created_at": "2023-01-31T10:00:00Z"}),
        json!({"email": "scrypt@example.com", "password_hash": SCRYPT, "totp_secret": "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"}),
        json!({"email": "bcrypt@example.com", "password_hash": BCRYPT}),
        json!({"email": "firebase@example.com", "firebase_password_hash": {"algorithm": "firebase-scrypt",
               "hash": "uV9IYV0ybu+wwKfXzW1cSLwnRSABuaAGYRLSOS2yL9oI/C0GAZHSwZp4znvG7K1WFOssvDW5Bmg01hwZyn9xgg==",
               "salt": "ZmJzYWx0MDEyMw=="}}),
        json!({"email": "blocked@example.com", "password_hash": PBKDF2, "blocked": true}),
        json!({"email": "nohash@example.com"}),
    ]
    .iter()
    .map(|l| format!("{l}\n"))
    .collect()
}

async fn an_import_signs_users_in_with_their_old_passwords_and_a_second_run_changes_nothing(b: Backend) {
    let t = TestApp::new(b).await;
    let dry = run(&t, file().as_bytes(), &firebase_options(true)).await;
    assert_eq!((dry.imported, dry.skipped, dry.refused), (6, 0, 0), "{dry:?}");
    assert!(t.app.store.get_user("pbkdf2@example.com").await.unwrap().is_none(), "a dry run writes nothing");
    let report = run(&t, file().as_bytes(), &firebase_options(false)).await;
    assert_eq!((report.imported, report.skipped, report.refused), (6, 0, 0), "{report:?}");
    for (email, password) in [
        ("pbkdf2@example.com", PASSWORD),
        ("scrypt@example.com", PASSWORD),
        ("bcrypt@example.com", BCRYPT_PASSWORD),
        ("firebase@example.com", PASSWORD),
    ] {
        assert!(t.login(email, "wrong password, surely").await.status >= 400, "{email}");
        assert!(t.id_login(email, "wrong password, surely").await.status >= 400, "{email}");
        assert_eq!(t.login(email, password).await.status, 200, "{email} on surface 1");
        assert_eq!(t.id_login(email, password).await.status, 200, "{email} on surface 2");
        let user = t.app.store.get_user(email).await.unwrap().unwrap();
        assert!(shared::password::is_native(&user.password_hash), "{email} upgraded");
    }
    let ana = t.app.store.get_user("pbkdf2@example.com").await.unwrap().unwrap();
    assert_eq!(ana.created_at, 1_675_159_200);
    assert_eq!(ana.name, "Ana");
    assert!(ana.mfa.email_verified_at.is_some() && ana.mfa.phone_verified_at.is_some());
    assert!(ana.has_active(shared::model::FactorChannel::Sms), "verified mobile: the SMS factor");
    let scrypt = t.app.store.get_user("scrypt@example.com").await.unwrap().unwrap();
    assert!(scrypt.mfa.totp.as_ref().is_some_and(|s| s.verified_at.is_some() && !s.sealed.contains("JBSWY")));
    assert!(t.login("blocked@example.com", PASSWORD).await.status >= 400, "blocked stays blocked");
    assert!(t.login("nohash@example.com", "").await.status >= 400);
    // Again: every address is taken now; nothing is overwritten.
    let before = t.app.store.get_user("pbkdf2@example.com").await.unwrap().unwrap();
    let again = run(&t, file().as_bytes(), &firebase_options(false)).await;
    assert_eq!((again.imported, again.skipped, again.refused), (0, 6, 0), "{again:?}");
    assert!(again.lines.iter().all(|l| l.outcome == "skipped"));
    assert_eq!(t.app.store.get_user("pbkdf2@example.com").await.unwrap().unwrap(), before);
    // A registered account is never overwritten either.
    t.register("jane@example.com").await;
    let taken = run(
        &t,
        json!({"email": "jane@example.com", "password_hash": PBKDF2}).to_string().as_bytes(),
        &Options::default(),
    )
    .await;
    assert_eq!(taken.skipped, 1);
    assert_eq!(t.login("jane@example.com", PASSWORD).await.status, 200);
}

async fn hostile_lines_are_refused_one_by_one_with_nothing_written_for_them(b: Backend) {
    let t = TestApp::new(b).await;
    let mut file: Vec<u8> = Vec::new();
    let mut line = |bytes: &[u8]| {
        file.extend_from_slice(bytes);
        file.push(b'\n');
    };
    line(json!({"email": "good@example.com", "password_hash": PBKDF2}).to_string().as_bytes()); // 1
    let huge = format!("{{\"email\":\"huge@example.com\",\"name\":\"{}\"}}", "a".repeat(10 * 1024 * 1024));
    line(huge.as_bytes()); // 2: 10 MB
    let deep = format!("{{\"email\":\"deep@example.com\",\"x\":{}{}}}", "[".repeat(5000), "]".repeat(5000));
    line(deep.as_bytes()); // 3: nested beyond serde_json's limit
    line(br#"{"email": "types@example.com", "blocked": "yes-secret"}"#); // 4: wrong type
    line(b"{\"email\": \"bytes@example.com\", \"name\": \"\xff\xfe\"}"); // 5: not UTF-8
    line(br#"{"email": "not an address", "password_hash": "x"}"#); // 6
    line(json!({"email": "cost@example.com", "password_hash": BCRYPT.replace("$04$", "$17$")}).to_string().as_bytes()); // 7
    line(json!({"email": "pbkdf@example.com", "password_hash": "pbkdf2_sha256$10000001$s$ei1DY7E0IqXPddMRmV7IHu5if7qEBezY7CT1hW8ucJk="}).to_string().as_bytes()); // 8
    line(json!({"email": "md5@example.com", "password_hash": "md5$secret-content"}).to_string().as_bytes()); // 9
    line(json!({"email": "fb@example.com", "firebase_password_hash": {"algorithm": "firebase-scrypt", "hash": "AA==", "salt": "AA=="}}).to_string().as_bytes()); // 10: no parameters
    line(
        json!({"email": "phone@example.com", "mobile": {"countryCode": "+44", "number": "12"}}).to_string().as_bytes(),
    ); // 11
    line(b"[1, 2, 3]"); // 12
    line(b"not json at all, secret-content"); // 13
    line(json!({"email": "last@example.com"}).to_string().as_bytes()); // 14
    let report = run(&t, &file, &Options::default()).await;
    assert_eq!((report.imported, report.refused), (2, 12), "{report:#?}");
    let refused: Vec<u64> = report.lines.iter().map(|l| l.line).collect();
    assert_eq!(refused, (2..=13).collect::<Vec<_>>());
    let text = serde_json::to_string(&report).unwrap();
    for secret in ["yes-secret", "secret-content", "not an address", "$17$", "aaaa"] {
        assert!(!text.contains(secret), "a reason carries no content: {text}");
    }
    for email in ["huge", "deep", "types", "bytes", "cost", "pbkdf", "md5", "fb", "phone"] {
        assert!(
            t.app.store.get_user(&format!("{email}@example.com")).await.unwrap().is_none(),
            "{email}: nothing written"
        );
    }
    assert!(t.app.store.get_user("good@example.com").await.unwrap().is_some());
    assert!(t.app.store.get_user("last@example.com").await.unwrap().is_some());
}

async fn the_local_server_imports_a_posted_file(b: Backend) {
    let t = TestApp::with_config(b, |c| c.admin_local = true).await;
    let post = |query: &str, content_type: &str| {
        let req = lambda_http::http::Request::builder()
            .method("POST")
            .uri(format!("/_admin/import{query}"))
            .header("content-type", content_type)
            .body(lambda_http::Body::Text(file()))
            .unwrap();
        t.call(req)
    };
    let firebase = format!(
        "base64_signer_key={}&base64_salt_separator=Bw%3D%3D&rounds=8&mem_cost=14",
        FIREBASE_KEY.replace('+', "%2B").replace('/', "%2F").replace('=', "%3D")
    );
    assert_eq!(post("", "application/json").await.status, 400, "the body is the file");
    assert_eq!(post("?rounds=8", "application/x-ndjson").await.status, 400, "the Firebase parameters come together");
    let dry = post(&format!("?dry_run=true&{firebase}"), "application/x-ndjson").await;
    assert_eq!(dry.status, 200, "{}", dry.body);
    assert_eq!(dry.body["imported"], 6);
    assert!(t.app.store.get_user("firebase@example.com").await.unwrap().is_none());
    let done = post(&format!("?{firebase}"), "application/x-ndjson").await;
    assert_eq!(done.body, json!({"imported": 6, "skipped": 0, "refused": 0, "lines": []}));
    assert_eq!(t.login("firebase@example.com", PASSWORD).await.status, 200);
    // Without the parameters, the Firebase line is refused, by number.
    let again = post("", "application/x-ndjson").await;
    assert_eq!(again.body["refused"], 1);
    assert_eq!(again.body["lines"][3]["line"], 4);
}

/// The import's body is the file: larger than the transport's 1 MiB limit, streamed through,
/// while any other route still refuses such a body.
async fn the_local_server_streams_a_file_larger_than_the_transport_limit(b: Backend) {
    let t = TestApp::with_config(b, |c| c.admin_local = true).await;
    let name = "n".repeat(200);
    let line = |i: usize| format!("{}\n", json!({"email": format!("big{i}@example.com"), "name": name}));
    let n = 2 * shared::api::layers::TRANSPORT_LIMIT / line(0).len();
    let file: String = (0..n).map(line).collect();
    assert!(file.len() > shared::api::layers::TRANSPORT_LIMIT);
    let post = |path: &str, body: String| {
        let kind = if path == "/users" { "application/json" } else { "application/x-ndjson" };
        let req = lambda_http::http::Request::builder()
            .method("POST")
            .uri(path)
            .header("content-type", kind)
            .body(lambda_http::Body::Text(body))
            .unwrap();
        t.call(req)
    };
    let r = post("/_admin/import", file.clone()).await;
    assert_eq!((r.status, r.body["imported"].as_u64()), (200, Some(n as u64)), "{}", r.body);
    let other = post("/users", file).await;
    assert!((400..500).contains(&other.status), "every other route still refuses such a body: {}", other.status);
}

on_both_stores!(
    the_local_server_streams_a_file_larger_than_the_transport_limit,
    the_local_server_imports_a_posted_file,
    an_import_signs_users_in_with_their_old_passwords_and_a_second_run_changes_nothing,
    hostile_lines_are_refused_one_by_one_with_nothing_written_for_them,
);
