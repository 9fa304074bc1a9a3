//! Issue 25, part 3: a notice for a sign-in from a new device, on both stores and surfaces: sent
//! once per new device, never for a known one nor for the first login, and the known devices
//! forgotten by a lost-password reset.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use integration_tests::{Backend, PASSWORD, Reply, TestApp, on_both_stores, request};
use lambda_http::http::Method;
use serde_json::json;

const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";
const SAFARI_IOS: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";

/// A login on `surface` from `ip` with `user_agent` and, if given, an `x-device-id`.
async fn login_from(t: &TestApp, surface: u8, ip: &str, ua: &str, device: Option<&str>, password: &str) -> Reply {
    let (path, body) = match surface {
        1 => ("/login_with_password", json!({"email": "jane@example.com", "password": {"value": password}})),
        _ => ("/auth/login", json!({"email": "jane@example.com", "password": password})),
    };
    let mut req = request(Method::POST, path, None, Some(body));
    req.headers_mut().insert("user-agent", ua.parse().unwrap());
    if let Some(id) = device {
        req.headers_mut().insert("x-device-id", id.parse().unwrap());
    }
    let from = std::net::SocketAddr::new(ip.parse().unwrap(), 40_000);
    req.extensions_mut().insert(axum::extract::ConnectInfo(from));
    let r = t.call(req).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r
}

fn notices(t: &TestApp) -> usize {
    t.email.sent().iter().filter(|m| m.subject == "New sign-in to your account").count()
}

async fn new_device_logins(t: &TestApp, user_id: &str) -> Vec<serde_json::Value> {
    let events = t.app.store.list_events(user_id, None, 200).await.unwrap();
    events.into_iter().filter(|e| e.kind.name() == "NEW_DEVICE_LOGIN").map(|e| json!(e.details)).collect()
}

async fn a_new_device_is_noticed_once(b: Backend) {
    let t = TestApp::new(b).await;
    let user_id = t.register("jane@example.com").await["userId"].as_str().unwrap().to_owned();
    // The very first login is not noticed (the owner just registered); the same device again neither.
    login_from(&t, 1, "203.0.113.7", FIREFOX, None, PASSWORD).await;
    login_from(&t, 1, "203.0.113.99", FIREFOX, None, PASSWORD).await;
    login_from(&t, 2, "203.0.113.8", FIREFOX, None, PASSWORD).await;
    assert_eq!(notices(&t), 0);
    // Another browser and system: a notice, with what and where, and its event.
    login_from(&t, 2, "198.51.100.4", SAFARI_IOS, None, PASSWORD).await;
    assert_eq!(notices(&t), 1);
    let mail = t.email.sent().into_iter().rfind(|m| m.subject == "New sign-in to your account").unwrap();
    assert_eq!(mail.to, "jane@example.com");
    for part in ["Safari", "iOS", "198.51.100.4", "reset your password"] {
        assert!(mail.body.contains(part), "{part} in {}", mail.body);
    }
    let events = new_device_logins(&t, &user_id).await;
    assert_eq!(events.len(), 1);
    assert_eq!((events[0]["browser"].as_str(), events[0]["system"].as_str()), (Some("Safari"), Some("iOS")));
    assert_eq!(events[0]["surface"], 2);
    // Known now, on either surface.
    login_from(&t, 1, "198.51.100.200", SAFARI_IOS, None, PASSWORD).await;
    assert_eq!(notices(&t), 1);
    // The same browser from another network is another device; a device id the client keeps
    // is recognised wherever it comes from.
    login_from(&t, 1, "192.0.2.1", FIREFOX, Some("d-1"), PASSWORD).await;
    assert_eq!(notices(&t), 2);
    login_from(&t, 2, "100.64.0.1", FIREFOX, Some("d-1"), PASSWORD).await;
    assert_eq!(notices(&t), 2);
    // After 90 days without a login, a device is new again.
    t.clock.advance(91 * 86_400);
    login_from(&t, 1, "100.64.0.1", FIREFOX, Some("d-1"), PASSWORD).await;
    assert_eq!(notices(&t), 3);
    assert_eq!(new_device_logins(&t, &user_id).await.len(), 3);
    // The export's list: every device the account knows, no key or secret in it.
    let devices = shared::app::devices::list(&t.app, &user_id).await.unwrap();
    assert_eq!(devices.len(), 1, "the others expired");
    let view = shared::app::devices::view(&devices[0]);
    assert_eq!((view["browser"].as_str(), view["identified"].as_bool()), (Some("Firefox"), Some(true)));
}

async fn a_lost_password_reset_forgets_the_devices(b: Backend) {
    let t = TestApp::new(b).await;
    let user_id = t.register("jane@example.com").await["userId"].as_str().unwrap().to_owned();
    login_from(&t, 1, "203.0.113.7", FIREFOX, None, PASSWORD).await;
    login_from(&t, 2, "198.51.100.4", SAFARI_IOS, None, PASSWORD).await;
    assert_eq!(notices(&t), 1);
    assert_eq!(t.app.store.list_devices(&user_id).await.unwrap().len(), 2);
    let start = json!({"email": "jane@example.com"});
    assert_eq!(t.post("/passwords/lost_password/start", None, start).await.status, 204);
    let new = "violet tugboat harmonica 42";
    let resume = json!({"email": "jane@example.com", "nonce": "123456", "newPassword": {"value": new}});
    assert_eq!(t.post("/passwords/lost_password/resume", None, resume).await.status, 200);
    // Only the reset's own device is left (recorded without a notice).
    let left = t.app.store.list_devices(&user_id).await.unwrap();
    assert_eq!(left.len(), 1, "{left:?}");
    assert_eq!(notices(&t), 1);
    // Devices known before the reset are new again.
    login_from(&t, 1, "203.0.113.7", FIREFOX, None, new).await;
    assert_eq!(notices(&t), 2);
}

on_both_stores!(a_new_device_is_noticed_once, a_lost_password_reset_forgets_the_devices);
