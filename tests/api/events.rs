//! Every event file, `events/<function>.json` (what `sam local invoke -e` sends), parsed as API
//! Gateway delivers it and fed to its function's handler, after the state it presumes has been
//! set up and with real values in place of its placeholders: each must succeed, so the event
//! files stay correct without Docker.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;

use integration_tests::{Reply, Senders, prepared};
use shared::keys::Purpose;

/// The functions that accept a surface-1 session token or a surface-2 idToken alike.
const EITHER_TOKEN: [&str; 5] =
    ["list-sessions", "end-session", "revoke-other-sessions", "list-security-events", "export-account"];

fn events_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../events")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_function_has_an_event_and_every_event_succeeds_through_its_handler() {
    let routes = shared::api::routes::routes();
    for route in &routes {
        assert!(
            events_dir().join(format!("{}.json", route.function)).exists(),
            "events/{}.json is missing",
            route.function
        );
    }
    for (name, path) in integration_tests::event_files() {
        // Not HTTP functions: their events are exercised by authorizer_rotation.rs and lifecycle.rs.
        if integration_tests::NOT_HTTP.contains(&name.as_str()) {
            continue;
        }
        if name == "preflight" {
            // Every path's OPTIONS, a browser's preflight: granted to the origin the sandbox
            // stage allows (its event's), as the preflight function's service answers it.
            let raw = std::fs::read_to_string(&path).unwrap();
            let event: serde_json::Value = serde_json::from_str(&raw).unwrap();
            let origin = event["headers"]["origin"].as_str().unwrap().to_owned();
            let req = lambda_http::request::from_str(&raw).unwrap();
            let reply = Reply::read(
                tower::ServiceExt::oneshot(
                    shared::api::routes::preflight(std::slice::from_ref(&origin)),
                    req.map(axum::body::Body::new),
                )
                .await
                .unwrap(),
            )
            .await;
            assert!((200..300).contains(&reply.status), "preflight: {}", reply.status);
            assert_eq!(reply.header("access-control-allow-origin"), Some(origin.as_str()), "preflight");
            continue;
        }
        let (t, raw) = prepared(&name, &std::fs::read_to_string(&path).unwrap(), Senders::Sandbox).await;
        let event: serde_json::Value = serde_json::from_str(&raw).unwrap();
        assert!(
            routes
                .iter()
                .any(|r| r.function == name && r.path == event["resource"] && r.method.as_str() == event["httpMethod"]),
            "events/{name}.json: no route of that function has its method and resource"
        );
        let req =
            lambda_http::request::from_str(&raw).unwrap_or_else(|e| panic!("{name}: not an API Gateway event: {e}"));
        // The function as deployed: holding only the key purposes its template entry grants.
        let granted = template_key_purposes(&name);
        let app = Arc::new(restricted_app(&t, &granted).await);
        // The function as `lambda_http::run` serves it: its own routes only.
        let function = shared::api::lambda::function(Arc::clone(&app), shared::api::routes::named(&name));
        let reply = Reply::read(tower::ServiceExt::oneshot(function, req).await.unwrap()).await;
        assert!((200..300).contains(&reply.status), "{name}: {} {}", reply.status, reply.body);
        assert!(reply.header("request-ref").is_some(), "{name}: request-ref");
        let keys = app.keys();
        let used: BTreeSet<Purpose> = Purpose::ALL.into_iter().filter(|p| keys.times_used(*p) > 0).collect();
        // A function that takes either surface's token (the account's logins) verifies one kind
        // per request: the event's kind, and the other's key purposes unused this time.
        let either = EITHER_TOKEN.contains(&name.as_str());
        let unused: BTreeSet<Purpose> = granted.difference(&used).copied().collect();
        let other_kind = if used.contains(&Purpose::Session) { Purpose::IdTokenPublic } else { Purpose::Session };
        if either {
            assert_eq!(unused, BTreeSet::from([other_kind]), "{name}: it holds both kinds' keys and uses one");
            assert!(used.is_subset(&granted), "{name}: used {used:?}, granted {granted:?}");
        } else {
            assert_eq!(used, granted, "{name}: the key purposes it used are the ones template.yaml grants it");
        }
    }
}

/// An app on the same store, clock and senders as `t`, holding only `purposes` of its keys.
async fn restricted_app(t: &integration_tests::TestApp, purposes: &BTreeSet<Purpose>) -> shared::App {
    let keys = shared::testing::RestrictedKeys { inner: t.keys.clone(), purposes: purposes.iter().copied().collect() };
    let adapters = shared::app::Adapters {
        clock: t.clock.clone(),
        store: t.probe.clone(),
        sms: t.sms.clone(),
        push: t.push.clone(),
        email: t.email.clone(),
        keys: Arc::new(keys),
    };
    shared::App::new(t.app.config.clone(), adapters).await.unwrap()
}

/// The key purposes template.yaml gives the function of `events/<name>.json`: the secrets its
/// environment names, which must be exactly the secrets its policy lets it read.
fn template_key_purposes(name: &str) -> BTreeSet<Purpose> {
    let text = integration_tests::template_text();
    let logical = integration_tests::camel(name) + "Function";
    let block: Vec<&str> = text
        .lines()
        .skip_while(|l| l.trim_end() != format!("  {logical}:"))
        .skip(1)
        .take_while(|l| !(l.starts_with("  ") && !l.starts_with("   ") && l.trim_end().ends_with(':')))
        .collect();
    assert!(!block.is_empty(), "{logical} is not in template.yaml");
    let secret = integration_tests::secret_logical_id;
    let in_env: BTreeSet<Purpose> = Purpose::ALL
        .into_iter()
        .filter(|p| block.iter().any(|l| l.trim() == format!("{}: !Ref {}", p.env_var(), secret(*p))))
        .collect();
    let readable: BTreeSet<Purpose> = block
        .iter()
        .zip(block.iter().skip(1))
        .filter(|(action, _)| action.trim() == "Action: [secretsmanager:GetSecretValue]")
        .flat_map(|(_, resource)| {
            let refs: Vec<String> = resource
                .trim()
                .trim_start_matches("Resource:")
                .split(['[', ']', ','])
                .map(|r| r.trim().to_owned())
                .collect();
            Purpose::ALL.into_iter().filter(move |p| refs.contains(&format!("!Ref {}", secret(*p))))
        })
        .collect();
    assert_eq!(in_env, readable, "{logical}: the secrets in its environment and in its policy differ");
    in_env
}
