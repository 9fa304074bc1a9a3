//! Every `events/*.json` (what `sam local invoke -e` sends) parsed as API Gateway delivers it
//! and fed to its function's handler, with real tokens in place of the placeholders: each must
//! succeed, so the event files stay correct without Docker.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use integration_tests::{Backend, PASSWORD, Reply, TestApp};

fn events_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../events")
}

/// A fresh app with the account the events use, and the event's placeholders filled in.
async fn prepared(raw: &str) -> (TestApp, String) {
    let t = TestApp::new(Backend::Memory).await;
    t.register("jane@example.com").await;
    let login = t.login("jane@example.com", PASSWORD).await;
    let auth = login.body["token"].as_str().unwrap().to_owned();
    let raw = raw.replace("<AUTH_TOKEN>", &auth);
    (t, raw)
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
        let route =
            routes.iter().find(|r| r.function == name).unwrap_or_else(|| panic!("events/{name}.json has no function"));
        let (t, raw) = prepared(&std::fs::read_to_string(&path).unwrap()).await;
        let event: serde_json::Value = serde_json::from_str(&raw).unwrap();
        assert_eq!(event["httpMethod"], route.method.as_str(), "{name}: method");
        assert_eq!(event["resource"], route.path, "{name}: resource");
        let req =
            lambda_http::request::from_str(&raw).unwrap_or_else(|e| panic!("{name}: not an API Gateway event: {e}"));
        let reply = Reply::from((route.handler)(&t.app, req).await.unwrap());
        assert!((200..300).contains(&reply.status), "{name}: {} {}", reply.status, reply.body);
        assert!(reply.header("request-ref").is_some(), "{name}: request-ref");
    }
}
