//! The 100,000-account import into DynamoDB Local, measured for the README (ignored by
//! default: `AUTH_IMPORT_ACCOUNTS=100000 cargo test -p integration-tests --test api
//! import_measure -- --ignored --nocapture`, with the test services started).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use integration_tests::{Backend, TestApp};
use serde_json::json;
use shared::app::import::{Options, import};

use crate::imported::PBKDF2;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement: run it by hand"]
async fn measure_an_import_into_dynamodb_local() {
    let n: usize = std::env::var("AUTH_IMPORT_ACCOUNTS").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000);
    let t = TestApp::new(Backend::Dynamo).await;
    let mut file = Vec::with_capacity(n * 160);
    for i in 0..n {
        let line = json!({"email": format!("user{i}@example.com"), "email_verified": true, "name": format!("User {i}"),
                          "password_hash": PBKDF2, "created_at": "2023-01-31T10:00:00Z"});
        file.extend_from_slice(line.to_string().as_bytes());
        file.push(b'\n');
    }
    let started = std::time::Instant::now();
    t.probe.reset();
    let report = import(&t.app, tokio::io::BufReader::new(file.as_slice()), &Options::default(), |read, _| {
        if read % 10_000 < 25 {
            eprintln!("{read} lines");
        }
    })
    .await
    .unwrap();
    let elapsed = started.elapsed();
    assert_eq!(report.imported as usize, n);
    // Write units: each account is one PutItem of one item; a unit covers 1 KB.
    let user = t.app.store.get_user("user0@example.com").await.unwrap().unwrap();
    let size = serde_json::to_vec(&user).unwrap().len();
    println!(
        "imported {n} accounts in {:.1} s ({:.0}/s); {} store calls ({:?}); one item of about {size} bytes (JSON) each: 1 write unit per account",
        elapsed.as_secs_f64(),
        n as f64 / elapsed.as_secs_f64(),
        t.probe.round_trips(),
        t.probe.calls()
    );
}
