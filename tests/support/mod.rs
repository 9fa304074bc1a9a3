//! Test harness: an [`App`] on either store with a manual clock and recording senders, and
//! helpers to call endpoints through the router exactly as the local server does.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::Duration;

use lambda_http::http::{Method, Request as HttpRequest};
use lambda_http::{Body, Request, Response};
use serde_json::Value;
use shared::App;
use shared::clock::ManualClock;
use shared::config::Config;
use shared::keys::EphemeralKeys;
use shared::router::{self, Route};
use shared::sms::SandboxSms;
use shared::store::{DynamoStore, MemoryStore, Store};

/// When the tests' clock starts: the real time at the first call, rounded down to the minute,
/// then moved by hand. It must be near the real time, because DynamoDB Local, like DynamoDB,
/// deletes items whose TTL attribute is in the past.
pub fn t0() -> i64 {
    static START: std::sync::OnceLock<i64> = std::sync::OnceLock::new();
    *START.get_or_init(|| {
        use shared::clock::Clock;
        shared::clock::SystemClock.now() / 60 * 60
    })
}

pub const PASSWORD: &str = "correct horse battery staple";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Memory,
    Dynamo,
}

/// Runs each named `async fn(Backend)` once per store, as `memory::name` and `dynamodb::name`.
#[macro_export]
macro_rules! on_both_stores {
    ($($name:ident),* $(,)?) => {
        mod memory {
            $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
               async fn $name() { super::$name($crate::support_backend::Memory).await } )*
        }
        mod dynamodb {
            $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
               async fn $name() { super::$name($crate::support_backend::Dynamo).await } )*
        }
    };
}

#[doc(hidden)]
pub use Backend as support_backend;

pub fn dynamodb_endpoint() -> String {
    std::env::var("AUTH_TEST_DYNAMODB_ENDPOINT").unwrap_or_else(|_| {
        panic!("AUTH_TEST_DYNAMODB_ENDPOINT is not set: run the tests with `make test`, which starts DynamoDB Local")
    })
}

/// A DynamoDB client for DynamoDB Local: dummy credentials, no retries, short timeouts.
pub fn dynamodb_client(endpoint: &str) -> aws_sdk_dynamodb::Client {
    use aws_sdk_dynamodb::config::retry::RetryConfig;
    use aws_sdk_dynamodb::config::timeout::TimeoutConfig;
    use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
    let conf = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new("test", "test", None, None, "tests"))
        .retry_config(RetryConfig::disabled())
        .timeout_config(TimeoutConfig::builder().operation_timeout(Duration::from_secs(20)).build())
        .build();
    aws_sdk_dynamodb::Client::from_conf(conf)
}

/// A store with nothing in it: a new memory store, or a new table in DynamoDB Local.
pub async fn fresh_store(backend: Backend) -> Arc<dyn Store> {
    match backend {
        Backend::Memory => Arc::new(MemoryStore::new()),
        Backend::Dynamo => {
            let table = format!("test-{}", shared::crypto::random_token_id().unwrap().replace(['-', '_'], "x"));
            let store = DynamoStore::new(dynamodb_client(&dynamodb_endpoint()), table);
            store.create_table_if_missing().await.expect("create a table in DynamoDB Local");
            Arc::new(store)
        }
    }
}

pub struct TestApp {
    pub app: Arc<App>,
    pub clock: Arc<ManualClock>,
    pub sms: Arc<SandboxSms>,
    pub routes: Vec<Route>,
}

impl TestApp {
    pub async fn new(backend: Backend) -> Self {
        Self::with_config(backend, |_| {}).await
    }

    pub async fn with_config(backend: Backend, tune: impl FnOnce(&mut Config)) -> Self {
        let mut config = Config::local_defaults();
        tune(&mut config);
        let clock = Arc::new(ManualClock::new(t0()));
        let sms = Arc::new(SandboxSms::new());
        let store = fresh_store(backend).await;
        let keys = Arc::new(EphemeralKeys::generate().unwrap());
        let app = App::new(config, clock.clone(), store, sms.clone(), keys).await.unwrap();
        TestApp { app: Arc::new(app), clock, sms, routes: router::routes() }
    }

    pub async fn call(&self, req: Request) -> Reply {
        Reply::from(router::dispatch(&self.app, &self.routes, req).await)
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Reply {
        self.call(request(Method::POST, path, token, Some(body))).await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Reply {
        self.call(request(Method::GET, path, token, None)).await
    }

    /// Registers `email` with [`PASSWORD`]; returns the 201 body.
    pub async fn register(&self, email: &str) -> Value {
        let r = self
            .post(
                "/users",
                None,
                serde_json::json!({"email": email, "password": {"value": PASSWORD}, "name": "Test User"}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        r.body
    }

    pub async fn login(&self, email: &str, password: &str) -> Reply {
        self.post("/login_with_password", None, serde_json::json!({"email": email, "password": {"value": password}}))
            .await
    }

    /// Registers and logs in; returns the AUTH token.
    pub async fn auth_token(&self, email: &str) -> String {
        self.register(email).await;
        let r = self.login(email, PASSWORD).await;
        assert_eq!(r.status, 200, "{}", r.body);
        r.body["token"].as_str().unwrap().to_owned()
    }
}

pub fn request(method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> Request {
    let mut b = HttpRequest::builder().method(method).uri(path).header("user-agent", "integration-tests/1.0");
    if let Some(t) = token {
        b = b.header("authorization", format!("Bearer {t}"));
    }
    let body = match body {
        Some(v) => {
            b = b.header("content-type", "application/json");
            Body::Text(v.to_string())
        }
        None => Body::Empty,
    };
    b.body(body).unwrap()
}

/// A response with its body parsed.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: lambda_http::http::HeaderMap,
    pub body: Value,
}

impl From<Response<Body>> for Reply {
    fn from(r: Response<Body>) -> Self {
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let bytes: &[u8] = r.body().as_ref();
        let body = if bytes.is_empty() { Value::Null } else { serde_json::from_slice(bytes).expect("a JSON body") };
        Reply { status, headers, body }
    }
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}
