//! Unknown email versus wrong password through the real login handler: the two must cost the
//! same, or timing tells an attacker which emails have accounts. `cargo bench -p shared --bench
//! enumeration` prints both medians and their ratio, and fails if they differ by more than 10%.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // benchmark set-up

use std::sync::Arc;
use std::time::{Duration, Instant};

use lambda_http::Body;
use lambda_http::http::{Method, Request};
use shared::app::Adapters;
use shared::clock::ManualClock;
use shared::config::Config;
use shared::keys::EphemeralKeys;
use shared::{App, email, push, sms, store};
use tower::ServiceExt;

fn request(path: &str, body: serde_json::Value) -> lambda_http::Request {
    Request::builder()
        .method(Method::POST)
        .uri(path)
        .header("content-type", "application/json")
        .body(Body::Text(body.to_string()))
        .unwrap()
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(async {
        let mut config = Config::local_defaults();
        // Neither limit may interfere: this measures the handler, not the defences around it.
        config.lockout_threshold = u32::MAX;
        config.rate_limit.per_ip_per_minute = u32::MAX;
        let adapters = Adapters {
            clock: Arc::new(ManualClock::new(1_800_000_000)),
            store: Arc::new(store::MemoryStore::new()),
            sms: Arc::new(sms::SandboxSms::new()),
            push: Arc::new(push::SandboxPush::new()),
            email: Arc::new(email::SandboxEmail::new()),
            keys: Arc::new(EphemeralKeys::generate().unwrap()),
        };
        let app = App::new(config, adapters).await.unwrap();
        let router = shared::api::routes::all(Arc::new(app));
        let call = |req: lambda_http::Request| router.clone().oneshot(req.map(axum::body::Body::new));
        let body = serde_json::json!({"email": "jane@example.com", "password": {"value": "correct horse battery staple"}, "name": "Jane"});
        assert_eq!(call(request("/users", body)).await.unwrap().status(), 201);

        let attempt = |email: &'static str| {
            request("/login_with_password", serde_json::json!({"email": email, "password": {"value": "not the password"}}))
        };
        let (mut unknown, mut wrong) = (Vec::new(), Vec::new());
        // Interleaved, so drift in machine load hits both sides alike.
        for _ in 0..60 {
            let t = Instant::now();
            let r = call(attempt("nobody@example.com")).await.unwrap();
            unknown.push(t.elapsed());
            assert_eq!(r.status(), 403);
            let t = Instant::now();
            let r = call(attempt("jane@example.com")).await.unwrap();
            wrong.push(t.elapsed());
            assert_eq!(r.status(), 403);
        }
        let (u, w) = (median(unknown), median(wrong));
        let ratio = u.as_secs_f64() / w.as_secs_f64();
        println!("login, unknown email:  median {u:?}");
        println!("login, wrong password: median {w:?}");
        println!("ratio unknown/wrong: {ratio:.3} (target: within 0.90..1.10)");
        assert!((0.9..=1.1).contains(&ratio), "timing tells accounts apart: ratio {ratio:.3}");
    });
}
