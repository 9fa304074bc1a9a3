//! Test harness: an [`App`] on either store with a manual clock and recording senders, and
//! helpers to call endpoints through the router exactly as the local server does.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::Duration;

use lambda_http::http::{Method, Request as HttpRequest};
use lambda_http::{Body, Request};
use serde_json::Value;
use shared::App;
use shared::app::Adapters;
use shared::clock::ManualClock;
use shared::config::Config;
use shared::email::{EmailSender, SandboxEmail};
use shared::keys::EphemeralKeys;
use shared::push::{PushSender, SandboxPush};
use shared::sms::{SandboxSms, SmsSender};
use shared::store::{DynamoStore, MemoryStore, Store};
use shared::testing::{CountingKeys, DynamoCallLog, FlakySender, ProbeSenders, ProbeStore};
use tower::ServiceExt;

pub mod passkey;
pub mod spec;

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
pub const MOBILE: &str = "+447400900123";

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

/// Every item of the app's DynamoDB Local table that mentions `needle` (none on the memory
/// store: its own checks are in [`nothing_of_it_is_left`]).
pub async fn items_naming(t: &TestApp, needle: &str) -> Vec<String> {
    let Some(table) = &t.table else { return Vec::new() };
    let client = dynamodb_client(&dynamodb_endpoint());
    let mut found = Vec::new();
    let mut start = None;
    loop {
        let out = client.scan().table_name(table).set_exclusive_start_key(start.take()).send().await.unwrap();
        for item in out.items.unwrap_or_default() {
            let text = format!("{item:?}");
            if text.contains(needle) {
                found.push(text);
            }
        }
        match out.last_evaluated_key {
            Some(k) if !k.is_empty() => start = Some(k),
            _ => return found,
        }
    }
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
        // What each port method really sends, for the IAM test (tests/api/iam.rs).
        .interceptor(DynamoCallLog)
        .build();
    aws_sdk_dynamodb::Client::from_conf(conf)
}

/// A store with nothing in it: a new memory store, or a new table in DynamoDB Local.
pub async fn fresh_store(backend: Backend) -> Arc<dyn Store> {
    fresh_store_named(backend).await.0
}

/// [`fresh_store`], with the name of its DynamoDB Local table (`None` for the memory store).
pub async fn fresh_store_named(backend: Backend) -> (Arc<dyn Store>, Option<String>) {
    match backend {
        Backend::Memory => (Arc::new(MemoryStore::new()), None),
        Backend::Dynamo => {
            let table = format!("test-{}", shared::crypto::random_token_id().unwrap().replace(['-', '_'], "x"));
            let store = DynamoStore::new(dynamodb_client(&dynamodb_endpoint()), table.clone());
            store.create_table_if_missing().await.expect("create a table in DynamoDB Local");
            (Arc::new(store), Some(table))
        }
    }
}

pub struct TestApp {
    pub app: Arc<App>,
    pub clock: Arc<ManualClock>,
    pub sms: Arc<SandboxSms>,
    pub push: Arc<SandboxPush>,
    pub email: Arc<SandboxEmail>,
    /// The store as the app sees it: counts round trips and fails on demand.
    pub probe: Arc<ProbeStore>,
    pub keys: Arc<CountingKeys>,
    /// The senders of a [`Senders::Flaky`] app.
    pub outage: Arc<FlakySender>,
    /// The senders as the app sees them: notes which function sent what.
    pub senders: Arc<ProbeSenders>,
    /// Every route, as `local-api` serves them.
    pub router: shared::api::routes::Api,
    /// The DynamoDB Local table of a DynamoDB-backed app (`None` on the memory store).
    pub table: Option<String>,
}

/// Which senders an app gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Senders {
    /// Recorded, as in the sandbox.
    Sandbox,
    /// SMS through SNS on the moto server.
    Moto,
    /// SNS and SES behind [`TestApp::outage`], up at first: set it down to make sends fail.
    Flaky,
}

impl TestApp {
    pub async fn new(backend: Backend) -> Self {
        Self::build(backend, Senders::Sandbox, |_| {}).await
    }

    pub async fn with_config(backend: Backend, tune: impl FnOnce(&mut Config)) -> Self {
        Self::build(backend, Senders::Sandbox, tune).await
    }

    /// An app that sends SMS through SNS (moto), not the sandbox: codes are random.
    pub async fn with_sns(backend: Backend) -> Self {
        Self::build(backend, Senders::Moto, |c| c.sandbox = false).await
    }

    pub async fn build(backend: Backend, senders: Senders, tune: impl FnOnce(&mut Config)) -> Self {
        let mut config = Config::local_defaults();
        tune(&mut config);
        let clock = Arc::new(ManualClock::new(t0()));
        let sms = Arc::new(SandboxSms::new());
        let push = Arc::new(SandboxPush::new());
        let email = Arc::new(SandboxEmail::new());
        let (store, table) = fresh_store_named(backend).await;
        let probe = Arc::new(ProbeStore::new(store));
        let keys = Arc::new(CountingKeys::new(Arc::new(EphemeralKeys::generate().unwrap())));
        let outage = Arc::new(FlakySender::default());
        let (sms_port, push_port, email_port): (Arc<dyn SmsSender>, Arc<dyn PushSender>, Arc<dyn EmailSender>) =
            match senders {
                Senders::Sandbox => (sms.clone(), push.clone(), email.clone()),
                Senders::Moto => (Arc::new(shared::sms::SnsSms::new(sns_client())), push.clone(), email.clone()),
                Senders::Flaky => (outage.clone(), outage.clone(), outage.clone()),
            };
        let senders = Arc::new(ProbeSenders::new(sms_port, push_port, email_port));
        let adapters = Adapters {
            clock: clock.clone(),
            store: probe.clone(),
            sms: senders.clone(),
            push: senders.clone(),
            email: senders.clone(),
            keys: keys.clone(),
        };
        let app = App::new(config, adapters).await.unwrap();
        let app = Arc::new(app);
        let router = shared::api::local::router(Arc::clone(&app));
        TestApp { app, clock, sms, push, email, probe, keys, outage, senders, router, table }
    }

    /// Another instance of the same service (a second warm Lambda instance, or a cold start):
    /// the same store, clock and senders, its keys from `source`.
    pub async fn instance(&self, source: Arc<dyn shared::keys::KeySource>) -> TestApp {
        let keys = Arc::new(CountingKeys::new(source));
        let adapters = Adapters {
            clock: self.clock.clone(),
            store: self.probe.clone(),
            sms: self.senders.clone(),
            push: self.senders.clone(),
            email: self.senders.clone(),
            keys: keys.clone(),
        };
        let app = Arc::new(App::new(self.app.config.clone(), adapters).await.unwrap());
        let router = shared::api::local::router(Arc::clone(&app));
        TestApp {
            app,
            clock: self.clock.clone(),
            sms: self.sms.clone(),
            push: self.push.clone(),
            email: self.email.clone(),
            probe: self.probe.clone(),
            keys,
            outage: self.outage.clone(),
            senders: self.senders.clone(),
            router,
            table: self.table.clone(),
        }
    }

    /// Calls the router, inside [`shared::testing::FUNCTION`] naming the function the request
    /// is routed to, so the store, senders and keys note what each function used.
    /// One request through the router; the answer is checked against `openapi.yaml` (a test
    /// that receives an answer the spec does not describe fails: [`spec::check`]).
    pub async fn call(&self, req: Request) -> Reply {
        let function = function_of(req.method(), req.uri().path()).unwrap_or("(no route)");
        let (method, path) = (req.method().to_string(), req.uri().path().to_owned());
        let answer = self.router.clone().oneshot(req.map(axum::body::Body::new));
        let reply = Reply::read(shared::testing::FUNCTION.scope(function, answer).await.unwrap()).await;
        if let Err(unspecified) = spec::check(&method, &path, reply.status, &reply.body) {
            panic!("{unspecified}");
        }
        reply
    }

    /// A POST as the local server sees it from the address `ip`.
    pub async fn post_from(&self, ip: &str, path: &str, token: Option<&str>, body: Value) -> Reply {
        let mut req = request(Method::POST, path, token, Some(body));
        let from = std::net::SocketAddr::new(ip.parse().unwrap(), 40_000);
        req.extensions_mut().insert(axum::extract::ConnectInfo(from));
        self.call(req).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Reply {
        self.call(request(Method::POST, path, token, Some(body))).await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Reply {
        self.call(request(Method::GET, path, token, None)).await
    }

    /// Registers `email` with [`PASSWORD`] and the mobile number [`MOBILE`]; returns the 201 body.
    pub async fn register(&self, email: &str) -> Value {
        let body = serde_json::json!({
            "email": email,
            "password": {"value": PASSWORD},
            "name": "Test User",
            "mobile": {"countryCode": "+44", "number": "7400900123"},
        });
        let r = self.post("/users", None, body).await;
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

impl TestApp {
    pub fn clock_now(&self) -> i64 {
        use shared::clock::Clock;
        self.clock.now()
    }

    pub async fn delete(&self, path: &str, token: Option<&str>) -> Reply {
        self.call(request(Method::DELETE, path, token, None)).await
    }

    /// An ACCESS token for the login identity of an AUTH token.
    pub async fn access_token(&self, auth: &str) -> String {
        let identities = self.get("/identities", Some(auth)).await;
        let identity = identities.body[0]["id"].clone();
        let r = self.post("/access_token", Some(auth), serde_json::json!({ "identity": identity })).await;
        assert_eq!(r.status, 200, "{}", r.body);
        r.body["token"].as_str().unwrap().to_owned()
    }

    /// Registers, logs in and returns (AUTH, ACCESS) tokens.
    pub async fn tokens(&self, email: &str) -> (String, String) {
        self.register(email).await;
        self.session_tokens(email).await
    }

    /// Logs an existing account in on surface 1; returns (AUTH, ACCESS) tokens.
    pub async fn session_tokens(&self, email: &str) -> (String, String) {
        let r = self.login(email, PASSWORD).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let auth = r.body["token"].as_str().unwrap().to_owned();
        let access = self.access_token(&auth).await;
        (auth, access)
    }
}

impl TestApp {
    /// Surface-2 login: (idToken, refreshToken).
    pub async fn id_login(&self, email: &str, password: &str) -> Reply {
        self.post("/auth/login", None, serde_json::json!({"email": email, "password": password})).await
    }

    /// Registers and logs in on surface 2; returns (idToken, refreshToken).
    pub async fn id_tokens(&self, email: &str) -> (String, String) {
        self.register(email).await;
        self.id_login_tokens(email).await
    }

    /// Logs an existing account in on surface 2; returns (idToken, refreshToken).
    pub async fn id_login_tokens(&self, email: &str) -> (String, String) {
        let r = self.id_login(email, PASSWORD).await;
        assert_eq!(r.status, 200, "{}", r.body);
        (r.body["idToken"].as_str().unwrap().to_owned(), r.body["refreshToken"].as_str().unwrap().to_owned())
    }

    /// Sends `method` with the `x-otp` header.
    pub async fn with_otp(
        &self,
        method: Method,
        path: &str,
        token: &str,
        otp: impl AsRef<str>,
        body: Option<Value>,
    ) -> Reply {
        let mut req = request(method, path, Some(token), body);
        req.headers_mut().insert("x-otp", otp.as_ref().parse().unwrap());
        self.call(req).await
    }

    /// Adds a TOTP secret; returns its raw bytes.
    pub async fn add_totp(&self, id_token: &str) -> Vec<u8> {
        let r = self.post("/auth/otp/methods/totp", Some(id_token), serde_json::json!({})).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let secret = r.body["totp"]["secret"].as_str().unwrap();
        totp_rs::Secret::try_from_base32(secret).unwrap().as_ref().to_vec()
    }

    /// The TOTP code of `secret` at the test clock's time, plus `offset` seconds.
    pub fn totp_code(&self, secret: &[u8], offset: i64) -> String {
        shared::totp::code_at(secret, self.clock_now() + offset).unwrap()
    }
}

/// A push device's key pair, fixed so that tests and events agree on it.
pub struct Device(aws_lc_rs::signature::Ed25519KeyPair);

impl Device {
    pub fn new(seed: u8) -> Self {
        Device(aws_lc_rs::signature::Ed25519KeyPair::from_seed_unchecked(&[seed; 32]).unwrap())
    }

    pub fn public_key(&self) -> String {
        use aws_lc_rs::signature::KeyPair;
        shared::crypto::b64(self.0.public_key().as_ref())
    }

    pub fn sign(&self, message: &str) -> String {
        shared::crypto::b64(self.0.sign(message.as_bytes()).as_ref())
    }

    pub fn enrolment(&self) -> Value {
        serde_json::json!({"deviceToken": "device-token", "platform": "APNS", "publicKey": self.public_key()})
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

impl Reply {
    /// Reads a response to its end.
    pub async fn read(r: axum::response::Response) -> Self {
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let bytes = axum::body::to_bytes(r.into_body(), usize::MAX).await.unwrap();
        let body = if bytes.is_empty() { Value::Null } else { serde_json::from_slice(&bytes).expect("a JSON body") };
        Reply { status, headers, body }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// GETs a loopback URL with a bare HTTP/1.0 request; returns the body.
pub fn http_get(url: &str) -> String {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").expect("an http:// URL");
    let (host, path) = rest.split_once('/').map(|(h, p)| (h, format!("/{p}"))).unwrap_or((rest, "/".into()));
    let mut stream = std::net::TcpStream::connect(host).unwrap();
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n").unwrap();
    let mut out = String::new();
    stream.read_to_string(&mut out).unwrap();
    out.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default()
}

pub fn moto_endpoint() -> String {
    std::env::var("AUTH_TEST_MOTO_ENDPOINT").unwrap_or_else(|_| {
        panic!("AUTH_TEST_MOTO_ENDPOINT is not set: run the tests with `make test`, which starts moto")
    })
}

/// An SNS client for the moto server: dummy credentials, no retries.
/// An EventBridge client on the moto server.
pub fn eventbridge_client() -> aws_sdk_eventbridge::Client {
    use aws_sdk_eventbridge::config::{BehaviorVersion, Credentials, Region};
    let conf = aws_sdk_eventbridge::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(moto_endpoint())
        .credentials_provider(Credentials::new("test", "test", None, None, "tests"))
        .build();
    aws_sdk_eventbridge::Client::from_conf(conf)
}

/// An SQS client on the moto server.
pub fn sqs_client() -> aws_sdk_sqs::Client {
    use aws_sdk_sqs::config::{BehaviorVersion, Credentials, Region};
    let conf = aws_sdk_sqs::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(moto_endpoint())
        .credentials_provider(Credentials::new("test", "test", None, None, "tests"))
        .build();
    aws_sdk_sqs::Client::from_conf(conf)
}

pub fn sns_client() -> aws_sdk_sns::Client {
    use aws_sdk_sns::config::retry::RetryConfig;
    use aws_sdk_sns::config::{BehaviorVersion, Credentials, Region};
    let conf = aws_sdk_sns::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(moto_endpoint())
        .credentials_provider(Credentials::new("test", "test", None, None, "tests"))
        .retry_config(RetryConfig::disabled())
        .build();
    aws_sdk_sns::Client::from_conf(conf)
}

/// An account record as stores keep it, for tests that talk to a store directly.
pub fn account(email: &str, user_id: &str, at: i64) -> shared::model::User {
    use shared::model::{Identity, IdentityId, IdentityType, User};
    User {
        user_id: user_id.into(),
        email: email.into(),
        name: "Ada".into(),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$x$y".into(),
        password_history: vec![],
        password_changed_at: at,
        password_expired: false,
        mobile: None,
        identities: vec![Identity {
            id: IdentityId { kind: IdentityType::Consumer, id: "7".into() },
            name: "Ada".into(),
        }],
        credentials_version: 1,
        last_login_at: None,
        last_login_device: None,
        created_at: at,
        factors: vec![],
        mfa: Default::default(),
        blocked: false,
        passkeys: Vec::new(),
        passkey_handle: None,
        pending_email: None,
        moved_from: Vec::new(),
        deleted: false,
        version: 1,
    }
}

/// A Secrets Manager client for the moto server: dummy credentials, no retries.
pub fn secrets_client() -> aws_sdk_secretsmanager::Client {
    use aws_sdk_secretsmanager::config::{BehaviorVersion, Credentials, Region, retry::RetryConfig};
    let conf = aws_sdk_secretsmanager::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(moto_endpoint())
        .credentials_provider(Credentials::new("test", "test", None, None, "tests"))
        .retry_config(RetryConfig::disabled())
        .build();
    aws_sdk_secretsmanager::Client::from_conf(conf)
}

/// The SMS moto has recorded for `phone`, oldest first.
pub fn moto_sms_to(phone: &str) -> Vec<String> {
    // moto's dump answers 500 while an S3 multipart upload has parts uploaded and not yet
    // completed (another test's export): asked again until it answers.
    let url = format!("{}/moto-api/data.json", moto_endpoint());
    let mut data = Value::Null;
    for _ in 0..200 {
        if let Ok(read) = serde_json::from_str::<Value>(&http_get(&url)) {
            data = read;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    data["sns"]["SMS"]
        .as_array()
        .map(|all| {
            all.iter()
                .filter(|m| m["phone_number"] == phone)
                .map(|m| m["message"].as_str().unwrap_or("").to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Registers `email` and verifies its address with the sandbox's code (the e-mail is then a
/// second factor, and a step-up by it is anchored to the mailbox).
pub async fn register_verified(t: &TestApp, email: &str) {
    t.register(email).await;
    let send = serde_json::json!({"email": email});
    assert_eq!(t.post("/users/verification/email/send", None, send).await.status, 204);
    let verify = serde_json::json!({"email": email, "verificationCode": "123456"});
    assert_eq!(t.post("/users/verification/email/verify", None, verify).await.status, 204);
}

/// Steps the session of `access` up by the e-mail (the account's one second factor), with the
/// sandbox's code.
pub async fn step_up_by_email(t: &TestApp, access: &str) {
    assert_eq!(t.post("/stepup/challenges/otp/EMAIL", Some(access), serde_json::json!({})).await.status, 204);
    let code = serde_json::json!({"verificationCode": "123456"});
    let r = t.post("/stepup/challenges/otp/EMAIL/verify", Some(access), code).await;
    assert_eq!(r.status, 204, "{}", r.body);
    t.clock.advance(shared::otp::RESEND_COOLDOWN_SECS + 1);
}

/// Steps the session of `access` up by push on `channel`, answered by `device` (enrolled there).
pub async fn step_up_by_push(t: &TestApp, access: &str, channel: &str, device: &Device) {
    let r = t.post(&format!("/stepup/challenges/push/{channel}"), Some(access), serde_json::json!({})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let id = r.body["id"].as_str().unwrap().to_owned();
    let approve = format!("/stepup/challenges/push/{channel}/{id}/approve");
    let signed = serde_json::json!({"signature": device.sign(&format!("{id}:approve"))});
    assert_eq!(t.post(&approve, None, signed).await.status, 204);
}

/// Enrols the SMS factor (sandbox code) and moves past the resend cooldown, so the next code
/// can be sent at once.
pub async fn enrol_sms(t: &TestApp, access: &str) {
    assert_eq!(t.post("/authentication_factors/otp/SMS", Some(access), serde_json::json!({})).await.status, 204);
    let r = t
        .post("/authentication_factors/otp/SMS/verify", Some(access), serde_json::json!({"verificationCode": "123456"}))
        .await;
    assert_eq!(r.status, 204);
    t.clock.advance(shared::otp::RESEND_COOLDOWN_SECS + 1);
}

/// Steps the session of `access` up by SMS (the sandbox's code; the SMS factor enrolled), and
/// moves past the resend cooldown.
pub async fn step_up_by_sms(t: &TestApp, access: &str) {
    let r = t.post("/stepup/challenges/otp/SMS", Some(access), serde_json::json!({})).await;
    assert_eq!(r.status, 204, "{}", r.body);
    let code = serde_json::json!({"verificationCode": "123456"});
    let r = t.post("/stepup/challenges/otp/SMS/verify", Some(access), code).await;
    assert_eq!(r.status, 204, "{}", r.body);
    t.clock.advance(shared::otp::RESEND_COOLDOWN_SECS + 1);
}

/// A new set of recovery codes for the stepped-up session of `access`.
pub async fn generate_recovery_codes(t: &TestApp, access: &str) -> Vec<String> {
    let r = t.post("/authentication_factors/recovery_codes", Some(access), serde_json::json!({})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["codes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_owned()).collect()
}

/// `n` tasks at once, each on its own tokio task, the `i`th made by `task(i)`; their outputs,
/// in order.
pub async fn at_once<T, Fut>(n: usize, task: impl Fn(usize) -> Fut) -> Vec<T>
where
    T: Send + 'static,
    Fut: std::future::Future<Output = T> + Send + 'static,
{
    let tasks: Vec<_> = (0..n).map(|i| tokio::spawn(task(i))).collect();
    futures::future::join_all(tasks).await.into_iter().map(Result::unwrap).collect()
}

/// `n` wrong-password logins for `email` at once; their statuses.
pub async fn concurrent_wrong_logins(t: &Arc<TestApp>, email: &'static str, n: usize) -> Vec<u16> {
    at_once(n, |_| {
        let t = Arc::clone(t);
        async move { t.login(email, "wrong").await.status }
    })
    .await
}

/// The functions that API Gateway does not route to: their events are not HTTP requests.
pub const NOT_HTTP: [&str; 4] = ["authorizer", "rotate-keys", "admin", "publish-events"];

/// Every event file, `events/<function>.json`, as (function, path), sorted by function.
/// `events/env.json` is not one: it holds the functions' environments for sam local.
pub fn event_files() -> Vec<(String, std::path::PathBuf)> {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../events");
    let mut files: Vec<(String, std::path::PathBuf)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| (p.file_stem().unwrap().to_str().unwrap().to_owned(), p))
        .filter(|(name, _)| name != "env")
        .collect();
    files.sort();
    files
}

/// Puts a fresh app in the state the event of `function` presumes, and fills in the event.
pub async fn prepared(function: &str, raw: &str, senders: Senders) -> (TestApp, String) {
    let t = TestApp::build(Backend::Memory, senders, |_| {}).await;
    let (auth, access) = t.tokens("jane@example.com").await;
    let device = Device::new(7);
    let identity = t.get("/identities", Some(&auth)).await.body[0]["id"]["id"].as_str().unwrap().to_owned();
    let mut challenge = String::new();
    let id_login = t.id_login("jane@example.com", PASSWORD).await;
    let id_token = id_login.body["idToken"].as_str().unwrap().to_owned();
    let refresh = id_login.body["refreshToken"].as_str().unwrap().to_owned();
    let mut totp_code = String::new();
    let mut recovery_code = String::new();
    match function {
        "verify-otp-factor" => {
            assert_eq!(
                t.post("/authentication_factors/otp/SMS", Some(&access), serde_json::json!({})).await.status,
                204
            );
        }
        "stepup-otp" => enrol_sms(&t, &access).await,
        "stepup-otp-verify" => {
            enrol_sms(&t, &access).await;
            assert_eq!(t.post("/stepup/challenges/otp/SMS", Some(&access), serde_json::json!({})).await.status, 204);
        }
        "remove-push-factor" | "stepup-push" | "stepup-push-status" | "stepup-push-answer" => {
            assert_eq!(
                t.post("/authentication_factors/push/BIOMETRIC", Some(&access), device.enrolment()).await.status,
                200
            );
            if function == "remove-push-factor" {
                // Removing a factor needs a stepped-up session.
                step_up_by_push(&t, &access, "BIOMETRIC", &device).await;
            }
            if function != "remove-push-factor" && function != "stepup-push" {
                let r = t.post("/stepup/challenges/push/BIOMETRIC", Some(&access), serde_json::json!({})).await;
                challenge = r.body["id"].as_str().unwrap().to_owned();
            }
        }
        "remove-otp-factor" => {
            // Removing a factor needs a stepped-up session.
            enrol_sms(&t, &access).await;
            assert_eq!(t.post("/stepup/challenges/otp/SMS", Some(&access), serde_json::json!({})).await.status, 204);
            let code = serde_json::json!({"verificationCode": "123456"});
            assert_eq!(t.post("/stepup/challenges/otp/SMS/verify", Some(&access), code).await.status, 204);
        }
        "remove-totp-method" => {
            let secret = t.add_totp(&id_token).await;
            totp_code = t.totp_code(&secret, 0);
        }
        "auth-me-delete" => {
            // A validated TOTP method: the deletion then needs a current code of it.
            let secret = t.add_totp(&id_token).await;
            let code = t.totp_code(&secret, 0);
            let body = Some(serde_json::json!({"channel": "TOTP"}));
            assert_eq!(t.with_otp(Method::POST, "/auth/otp/code", &id_token, code, body).await.status, 200);
            t.clock.advance(30);
            totp_code = t.totp_code(&secret, 0);
        }
        "verify-otp-code" => {
            assert_eq!(t.get("/auth/otp/code?method=EMAIL", Some(&id_token)).await.status, 200);
        }
        "lost-password-resume" => {
            let start = serde_json::json!({"email": "jane@example.com"});
            assert_eq!(t.post("/passwords/lost_password/start", None, start).await.status, 204);
        }
        "verify-email" => {
            let send = serde_json::json!({"email": "jane@example.com"});
            assert_eq!(t.post("/users/verification/email/send", None, send).await.status, 204);
        }
        // Issue 25: recovery codes.
        "generate-recovery-codes" | "stepup-recovery-code-verify" => {
            enrol_sms(&t, &access).await;
            step_up_by_sms(&t, &access).await;
            if function == "stepup-recovery-code-verify" {
                recovery_code = generate_recovery_codes(&t, &access).await.swap_remove(0);
            }
        }
        "add-recovery-method" => {
            // A recovery code proves in x-otp.
            enrol_sms(&t, &access).await;
            step_up_by_sms(&t, &access).await;
            recovery_code = generate_recovery_codes(&t, &access).await.swap_remove(0);
        }
        // Issue 25: an e-mail change asked for (and, for the revert, made).
        "change-email-verify" | "change-email-revert" => {
            let change = serde_json::json!({"newEmail": "jane.new@example.com", "password": {"value": PASSWORD}});
            assert_eq!(t.post("/users/email/change", Some(&access), change).await.status, 204);
            if function == "change-email-revert" {
                let code = serde_json::json!({"verificationCode": "123456"});
                assert_eq!(t.post("/users/email/change/verify", Some(&access), code).await.status, 204);
            }
        }
        "me-email-change-verify" => {
            let change = serde_json::json!({"newEmail": "jane.new@example.com", "password": {"value": PASSWORD}});
            assert_eq!(t.post("/auth/me/email/change", Some(&id_token), change).await.status, 204);
        }
        _ => {}
    }
    // Passkeys: a registration answering the session's enrolment options; an assertion
    // answering a step-up or a login attempt; a credential enrolled (and the session stepped
    // up, so that it may be removed).
    let mut passkey = passkey::SoftAuthenticator::new();
    let (mut registration, mut assertion, mut credential_id, mut login_attempt) =
        (Value::Null, Value::Null, String::new(), String::new());
    const SITE: &str = "http://localhost:3000";
    if function.contains("passkey") && !function.ends_with("-options") && function != "enrol-passkey-factor" {
        let options = t.post("/authentication_factors/passkey", Some(&access), serde_json::json!({})).await.body;
        registration = passkey.create(SITE, &options).await;
        credential_id = registration["id"].as_str().unwrap().to_owned();
        if function != "verify-passkey-factor" {
            let r = t.post("/authentication_factors/passkey/verify", Some(&access), registration.clone()).await;
            assert_eq!(r.status, 204, "{}", r.body);
        }
        if function == "remove-passkey-factor" || function == "stepup-passkey-verify" {
            let options = t.post("/stepup/challenges/passkey", Some(&access), serde_json::json!({})).await.body;
            assertion = passkey.get(SITE, &options).await;
        }
        if function == "remove-passkey-factor" {
            let r = t.post("/stepup/challenges/passkey/verify", Some(&access), assertion.clone()).await;
            assert_eq!(r.status, 204, "{}", r.body);
        }
        if function.contains("login") {
            let r = t.post("/login_with_passkey/options", None, serde_json::json!({})).await.body;
            login_attempt = r["challengeId"].as_str().unwrap().to_owned();
            assertion = passkey.get(SITE, &serde_json::json!({"publicKey": r["publicKey"]})).await;
        }
    }
    let mut poll_token = String::new();
    if function == "login-via-biometrics-status" {
        assert_eq!(
            t.post("/authentication_factors/push/BIOMETRIC", Some(&access), device.enrolment()).await.status,
            200
        );
        let r = t.post("/login_via_biometrics", None, serde_json::json!({"email": "jane@example.com"})).await.body;
        challenge = r["challengeId"].as_str().unwrap().to_owned();
        poll_token = r["pollToken"].as_str().unwrap().to_owned();
        // Approved on the device: the poll hands out the login.
        let approve = serde_json::json!({"signature": device.sign(&format!("{challenge}:approve"))});
        let path = format!("/stepup/challenges/push/BIOMETRIC/{challenge}/approve");
        assert_eq!(t.post(&path, None, approve).await.status, 204);
    }
    // A JSON value inside the event's body, which is itself a JSON string.
    let inside_body = |v: &Value| {
        let text = serde_json::to_string(&v.to_string()).unwrap();
        text[1..text.len() - 1].to_owned()
    };
    // The refresh family of the surface-2 login: a login the caller can end.
    let family: String = refresh.splitn(3, '.').take(2).collect::<Vec<_>>().join(".");
    let raw = raw
        .replace("<AUTH_TOKEN>", &auth)
        .replace("<ACCESS_TOKEN>", &access)
        .replace("<ID_TOKEN>", &id_token)
        .replace("<REFRESH_TOKEN>", &refresh)
        .replace("<TOTP_CODE>", &totp_code)
        .replace("<IDENTITY_ID>", &identity)
        .replace("<DEVICE_PUBLIC_KEY>", &device.public_key())
        .replace("<CHALLENGE_ID>", &challenge)
        .replace("<SESSION_ID>", &family)
        .replace("<SIGNATURE>", &device.sign(&format!("{challenge}:approve")))
        .replace("<PASSKEY_REGISTRATION>", &inside_body(&registration))
        .replace("<PASSKEY_ASSERTION>", &inside_body(&assertion))
        .replace("<PASSKEY_CHALLENGE_ID>", &login_attempt)
        .replace("<CREDENTIAL_ID>", &credential_id)
        .replace("<POLL_TOKEN>", &poll_token)
        .replace("<RECOVERY_CODE>", &recovery_code);
    (t, raw)
}

impl TestApp {
    /// Moves the clock to one second past the start of the next fixed window of `window_secs`
    /// (rate budgets count in such windows), so a test's budget cannot roll over mid-test.
    /// Forward only, and at most a day: stored expiries stay in the real future.
    pub fn align_clock(&self, window_secs: i64) {
        let now = self.clock_now();
        self.clock.advance((now.div_euclid(window_secs) + 1) * window_secs + 1 - now);
    }

    /// Serves this app over HTTP on a loopback port, exactly as `local-api` does.
    pub async fn serve(&self) -> std::net::SocketAddr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(shared::api::local::serve(Arc::clone(&self.app), listener));
        addr
    }
}

/// One HTTP/1.1 request as bytes on the wire, closing its connection after the answer.
pub fn raw_request(method: &str, path: &str, token: Option<&str>, body: Option<&Value>) -> String {
    let body = body.map(Value::to_string).unwrap_or_default();
    let auth = token.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
    format!(
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nUser-Agent: attack-burst/1.0\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

/// A real burst: every connection is opened first, then one thread per request writes its
/// request at the same instant (a barrier releases them) and reads the answer. Returns each
/// answer's status and JSON body, in the order of `requests`.
pub async fn burst(addr: std::net::SocketAddr, requests: Vec<String>) -> Vec<(u16, Value)> {
    tokio::task::spawn_blocking(move || {
        use std::io::{Read, Write};
        let streams: Vec<std::net::TcpStream> =
            requests.iter().map(|_| std::net::TcpStream::connect(addr).unwrap()).collect();
        let gate = Arc::new(std::sync::Barrier::new(requests.len()));
        let threads: Vec<_> = streams
            .into_iter()
            .zip(requests)
            .map(|(mut stream, request)| {
                let gate = Arc::clone(&gate);
                std::thread::spawn(move || {
                    gate.wait();
                    stream.write_all(request.as_bytes()).unwrap();
                    let mut answer = Vec::new();
                    stream.read_to_end(&mut answer).unwrap();
                    parse_answer(&answer)
                })
            })
            .collect();
        threads.into_iter().map(|t| t.join().unwrap()).collect()
    })
    .await
    .unwrap()
}

fn parse_answer(raw: &[u8]) -> (u16, Value) {
    let text = String::from_utf8_lossy(raw);
    let status = text.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.trim()).unwrap_or("");
    (status, if body.is_empty() { Value::Null } else { serde_json::from_str(body).unwrap_or(Value::Null) })
}

/// The function (package name) that serves `method` `path`, as API Gateway would route it.
pub fn function_of(method: &Method, path: &str) -> Option<&'static str> {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    shared::api::routes::routes()
        .into_iter()
        .chain(shared::api::routes::provider_routes())
        .find(|r| {
            let pattern: Vec<&str> = r.path.trim_matches('/').split('/').collect();
            r.method == method
                && pattern.len() == segments.len()
                && pattern.iter().zip(&segments).all(|(p, s)| p == s || (p.starts_with('{') && !s.is_empty()))
        })
        .map(|r| r.function)
}

/// `template.yaml` as data: CloudFormation tags (`!Ref X`, `!GetAtt X.Arn`, `!Sub "..."`) read
/// as their plain values; the nested stacks' resources in it ([`template_text`]).
pub fn template_yaml() -> yaml_rust2::Yaml {
    yaml_rust2::YamlLoader::load_from_str(&template_text()).unwrap().remove(0)
}

/// `template.yaml`'s text as one stack: each nested stack it names (an
/// `AWS::Serverless::Application` whose `Location` is a template under `stacks/`) has its
/// resources written in among the root's, as the root would hold them: its parameters replaced
/// by what the root passes (`!Ref TableArn` is `!GetAtt Table.Arn` again), its `CodeUri`s
/// relative to the root, and the root's `!GetAtt Stack.Outputs.X` replaced by the output's
/// value. The nested templates' own `Globals` and `Parameters` are checked apart
/// (`template::nested_stacks_share_the_roots_globals_and_get_every_parameter`).
pub fn template_text() -> String {
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut text = std::fs::read_to_string(root.join("template.yaml")).unwrap();
    for (stack, location, passed) in nested_stacks(&text) {
        let nested = std::fs::read_to_string(root.join(&location)).unwrap();
        let (_, resources) = nested.split_once("\nResources:\n").unwrap();
        let (resources, outputs) = resources.split_once("\nOutputs:\n").unwrap();
        let mut resources = resources.replace("CodeUri: ../build/lambda/", "CodeUri: build/lambda/");
        for (name, value) in &passed {
            if value != &format!("!Ref {name}") {
                resources = replace_word(&resources, &format!("!Ref {name}"), value);
            }
        }
        let mut output = String::new();
        for line in outputs.lines() {
            if let Some(name) = line.strip_prefix("  ").and_then(|l| l.strip_suffix(':')) {
                output = name.to_owned();
            } else if let Some(value) = line.trim().strip_prefix("Value: ") {
                text = text.replace(&format!("!GetAtt {stack}.Outputs.{output}"), value);
            }
        }
        text = text.replacen("\nResources:\n", &format!("\nResources:\n{}\n\n", resources.trim_end()), 1);
    }
    text
}

/// A nested stack: logical id, template path, and the parameters it passes (name, value).
pub type NestedStack = (String, String, Vec<(String, String)>);

/// The nested stacks `template` names: logical id, template path, and the parameters it passes
/// (name, value as written).
pub fn nested_stacks(template: &str) -> Vec<NestedStack> {
    let mut out: Vec<NestedStack> = Vec::new();
    let (mut logical, mut in_parameters) = (String::new(), false);
    for line in template.lines() {
        let indent = line.len() - line.trim_start().len();
        let trimmed = line.trim();
        if indent == 2 && trimmed.ends_with(':') && !trimmed.starts_with('#') {
            logical = trimmed.trim_end_matches(':').to_owned();
            in_parameters = false;
        } else if trimmed == "Type: AWS::Serverless::Application" {
            out.push((logical.clone(), String::new(), Vec::new()));
        } else if let (Some(last), Some(location)) = (out.last_mut(), trimmed.strip_prefix("Location: stacks/")) {
            last.1 = format!("stacks/{location}");
        } else if out.last().is_some_and(|l| l.0 == logical) && indent == 6 {
            in_parameters = trimmed == "Parameters:";
        } else if in_parameters && indent == 8 {
            let (name, value) = trimmed.split_once(": ").unwrap();
            out.last_mut().unwrap().2.push((name.to_owned(), value.to_owned()));
        }
    }
    out
}

/// `text` with every `word` (not followed by more of a name) replaced by `by`.
fn replace_word(text: &str, word: &str, by: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find(word) {
        let after = &rest[at + word.len()..];
        out.push_str(&rest[..at]);
        if after.starts_with(|c: char| c.is_ascii_alphanumeric()) {
            out.push_str(word);
        } else {
            out.push_str(by);
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

/// A function's package name in UpperCamelCase, as its SAM logical id starts
/// (`verify-otp` → `VerifyOtp`, of `VerifyOtpFunction`).
pub fn camel(name: &str) -> String {
    name.split('-').map(|p| p[..1].to_uppercase() + &p[1..]).collect()
}

/// The logical id of the key secret of `purpose` in template.yaml.
pub fn secret_logical_id(purpose: shared::keys::Purpose) -> &'static str {
    use shared::keys::Purpose;
    match purpose {
        Purpose::Session => "SessionKeys",
        Purpose::IdToken => "IdTokenKeys",
        Purpose::IdTokenPublic => "IdTokenPublicKeys",
        Purpose::Data => "DataKeys",
    }
}
