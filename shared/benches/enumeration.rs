//! Unknown email versus wrong password through the real login handler, and unknown versus known
//! address through `lost_password/start` and `verification/email/send`: each pair must cost the
//! same, or timing tells an attacker which emails have accounts. `cargo bench -p shared --bench
//! enumeration` prints the medians and their ratios, and fails if a pair differs by more than 10%.
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
        config.rate_limit.per_account_per_minute = u32::MAX;
        config.rate_limit.email_per_address_per_day = u32::MAX;
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

        // The mailbox flows: an account's address (a challenge stored, budgets charged, an
        // e-mail sent) against an unknown one (a decoy challenge, nothing mailed). Each answer
        // takes at least 400 ms, so fewer rounds.
        for path in ["/passwords/lost_password/start", "/users/verification/email/send"] {
            let (mut unknown, mut known) = (Vec::new(), Vec::new());
            for _ in 0..12 {
                for (email, times) in [("nobody@example.com", &mut unknown), ("jane@example.com", &mut known)] {
                    let t = Instant::now();
                    let r = call(request(path, serde_json::json!({ "email": email }))).await.unwrap();
                    times.push(t.elapsed());
                    assert_eq!(r.status(), 204);
                }
            }
            let (u, k) = (median(unknown), median(known));
            let ratio = u.as_secs_f64() / k.as_secs_f64();
            println!("{path}, unknown address: median {u:?}");
            println!("{path}, account's address: median {k:?}");
            println!("ratio unknown/known: {ratio:.3} (target: within 0.90..1.10)");
            assert!((0.9..=1.1).contains(&ratio), "{path}: timing tells accounts apart: ratio {ratio:.3}");
        }
    });
}
