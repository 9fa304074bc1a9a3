//! Every `events/*.json` (what `sam local invoke -e` sends) parsed as API Gateway delivers it
//! and fed to its function's handler, after the state it presumes has been set up and with
//! real values in place of its placeholders: each must succeed, so the event files stay
//! correct without Docker.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use integration_tests::{Backend, Device, Reply, TestApp};
use serde_json::json;

fn events_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../events")
}

async fn enrol_sms(t: &TestApp, access: &str) {
    assert_eq!(t.post("/authentication_factors/otp/SMS", Some(access), json!({})).await.status, 204);
    let r = t.post("/authentication_factors/otp/SMS/verify", Some(access), json!({"verificationCode": "123456"})).await;
    assert_eq!(r.status, 204);
    t.clock.advance(20);
}

/// Puts a fresh app in the state the event of `function` presumes, and fills in the event.
async fn prepared(function: &str, raw: &str) -> (TestApp, String) {
    let t = TestApp::new(Backend::Memory).await;
    let (auth, access) = t.tokens("jane@example.com").await;
    let device = Device::new(7);
    let identity = t.get("/identities", Some(&auth)).await.body[0]["id"]["id"].as_str().unwrap().to_owned();
    let mut challenge = String::new();
    let id_login = t.id_login("jane@example.com", integration_tests::PASSWORD).await;
    let id_token = id_login.body["idToken"].as_str().unwrap().to_owned();
    let refresh = id_login.body["refreshToken"].as_str().unwrap().to_owned();
    let mut totp_code = String::new();
    match function {
        "verify-otp-factor" => {
            assert_eq!(t.post("/authentication_factors/otp/SMS", Some(&access), json!({})).await.status, 204);
        }
        "stepup-otp" => enrol_sms(&t, &access).await,
        "stepup-otp-verify" => {
            enrol_sms(&t, &access).await;
            assert_eq!(t.post("/stepup/challenges/otp/SMS", Some(&access), json!({})).await.status, 204);
        }
        "remove-push-factor" | "stepup-push" | "stepup-push-status" | "stepup-push-answer" => {
            assert_eq!(
                t.post("/authentication_factors/push/BIOMETRIC", Some(&access), device.enrolment()).await.status,
                200
            );
            if function != "remove-push-factor" && function != "stepup-push" {
                let r = t.post("/stepup/challenges/push/BIOMETRIC", Some(&access), json!({})).await;
                challenge = r.body["id"].as_str().unwrap().to_owned();
            }
        }
        "remove-totp-method" => {
            let secret = t.add_totp(&id_token).await;
            totp_code = t.totp_code(&secret, 0);
        }
        "verify-otp-code" => {
            assert_eq!(t.get("/auth/otp/code?method=EMAIL", Some(&id_token)).await.status, 200);
        }
        _ => {}
    }
    let raw = raw
        .replace("<AUTH_TOKEN>", &auth)
        .replace("<ACCESS_TOKEN>", &access)
        .replace("<ID_TOKEN>", &id_token)
        .replace("<REFRESH_TOKEN>", &refresh)
        .replace("<TOTP_CODE>", &totp_code)
        .replace("<IDENTITY_ID>", &identity)
        .replace("<DEVICE_PUBLIC_KEY>", &device.public_key())
        .replace("<CHALLENGE_ID>", &challenge)
        .replace("<SIGNATURE>", &device.sign(&format!("{challenge}:approve")));
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
        let (t, raw) = prepared(&name, &std::fs::read_to_string(&path).unwrap()).await;
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
