//! Every `events/*.json` (what `sam local invoke -e` sends) parsed as API Gateway delivers it
//! and fed to its function's handler, after the state it presumes has been set up and with
//! real values in place of its placeholders: each must succeed, so the event files stay
//! correct without Docker.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use integration_tests::{Reply, Senders, prepared};

fn events_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../events")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_function_has_an_event_and_every_event_succeeds_through_its_handler() {
    let routes = shared::router::routes();
    for route in &routes {
        assert!(
            events_dir().join(format!("{}.json", route.function)).exists(),
            "events/{}.json is missing",
            route.function
        );
    }
    let mut paths: Vec<_> = std::fs::read_dir(events_dir()).unwrap().map(|e| e.unwrap().path()).collect();
    paths.sort();
    for path in paths {
        let name = path.file_stem().unwrap().to_str().unwrap().to_owned();
        // Not HTTP functions: their events are exercised by tests/authorizer_rotation.rs.
        if name == "authorizer" || name == "rotate-keys" {
            continue;
        }
        let (t, raw) = prepared(&name, &std::fs::read_to_string(&path).unwrap(), Senders::Sandbox).await;
        let event: serde_json::Value = serde_json::from_str(&raw).unwrap();
        let route = routes
            .iter()
            .find(|r| r.function == name && r.path == event["resource"] && r.method.as_str() == event["httpMethod"])
            .unwrap_or_else(|| panic!("events/{name}.json: no route of that function has its method and resource"));
        let req =
            lambda_http::request::from_str(&raw).unwrap_or_else(|e| panic!("{name}: not an API Gateway event: {e}"));
        let reply = Reply::from((route.handler)(&t.app, req).await.unwrap());
        assert!((200..300).contains(&reply.status), "{name}: {} {}", reply.status, reply.body);
        assert!(reply.header("request-ref").is_some(), "{name}: request-ref");
    }
}
