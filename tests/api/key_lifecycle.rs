//! The key secrets over many rotations, on Secrets Manager (moto) with the rotation function's
//! four steps, and instances of the service that load their keys from there as deployed: what
//! was sealed, hashed or signed under one generation keeps working on instances of the next,
//! for as long as it should, and a warm instance picks up a rotation without a cold start.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use integration_tests::{Backend, PASSWORD, TestApp, secrets_client};
use lambda_http::http::Method;
use serde_json::json;
use shared::keys::{KeySetDocument, Purpose, SecretsManagerKeys, generate_generation};
use shared::rotation::{RotationEvent, Rotator};

/// The four key secrets of the template, with the rotation function as the template wires it.
struct Secrets {
    client: aws_sdk_secretsmanager::Client,
    session: String,
    id_token: String,
    public: String,
    data: String,
    rotator: Rotator,
}

impl Secrets {
    async fn new() -> Self {
        let client = secrets_client();
        let suffix = shared::crypto::random_token_id().unwrap();
        let create = |name: &str, value: String| {
            let (client, name) = (client.clone(), format!("{name}-{suffix}"));
            async move {
                client.create_secret().name(name).secret_string(value).send().await.unwrap().arn().unwrap().to_owned()
            }
        };
        // As CloudFormation's GenerateSecretString writes them: a bare generation.
        let bare = || serde_json::to_string(&generate_generation("initial").unwrap()).unwrap();
        let session = create("session", bare()).await;
        let id_token = create("id", bare()).await;
        let public = create("public", r#"{"keys":[]}"#.into()).await;
        let data = create("data", bare()).await;
        let rotator = Rotator::new(client.clone())
            .publishing_public_keys(id_token.clone(), public.clone())
            .keeping_data_generations(data.clone());
        let secrets = Secrets { client, session, id_token, public, data, rotator };
        // The idToken keys rotate once at creation, which publishes their public keys.
        secrets.rotate(&secrets.id_token.clone(), 0).await;
        secrets
    }

    /// One rotation of `secret`, its four steps as Secrets Manager calls them.
    async fn rotate(&self, secret: &str, now: i64) {
        // A ClientRequestToken is 32 to 64 characters.
        let token: String = shared::crypto::random_bytes::<16>().unwrap().iter().map(|b| format!("{b:02x}")).collect();
        for step in ["createSecret", "setSecret", "testSecret", "finishSecret"] {
            let e = RotationEvent { secret_id: secret.to_owned(), token: token.clone(), step: step.into() };
            self.rotator.rotate(&e, now).await.unwrap_or_else(|err| panic!("{step}: {err}"));
        }
    }

    /// A function's keys as the template gives them: the secrets of `purposes`.
    fn keys(&self, purposes: &[Purpose]) -> Arc<SecretsManagerKeys> {
        let id = |p: &Purpose| match p {
            Purpose::Session => self.session.clone(),
            Purpose::IdToken => self.id_token.clone(),
            Purpose::IdTokenPublic => self.public.clone(),
            Purpose::Data => self.data.clone(),
        };
        Arc::new(SecretsManagerKeys::per_purpose(self.client.clone(), purposes.iter().map(|p| (*p, id(p))).collect()))
    }

    async fn document(&self, secret: &str) -> KeySetDocument {
        let current =
            self.client.get_secret_value().secret_id(secret).version_stage("AWSCURRENT").send().await.unwrap();
        KeySetDocument::parse(current.secret_string().unwrap()).unwrap()
    }
}

const ALL: [Purpose; 3] = [Purpose::Session, Purpose::IdToken, Purpose::Data];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_totp_secret_enrolled_before_five_rotations_still_verifies_after_them() {
    let s = Secrets::new().await;
    let base = TestApp::new(Backend::Memory).await;
    let before = base.instance(s.keys(&ALL)).await;
    let (id_token, _) = before.id_tokens("totp@example.com").await;
    let secret = before.add_totp(&id_token).await;
    for n in 1..=5 {
        s.rotate(&s.data, n).await;
        s.rotate(&s.session, n).await;
        s.rotate(&s.id_token, n).await;
    }
    let data = s.document(&s.data).await;
    assert_eq!(data.retired.len(), 4, "the data secret keeps every generation");
    assert!(s.document(&s.session).await.retired.is_empty(), "a signing key secret keeps current and previous only");
    // A cold start, five generations on: the secret sealed under the first one still opens.
    let after = base.instance(s.keys(&ALL)).await;
    let id_token = after.id_login("totp@example.com", PASSWORD).await.body["idToken"].as_str().unwrap().to_owned();
    let code = after.totp_code(&secret, 0);
    let r = after.with_otp(Method::POST, "/auth/otp/code", &id_token, code, Some(json!({"channel": "TOTP"}))).await;
    assert_eq!(r.status, 200, "validated after five rotations: {}", r.body);
    after.clock.advance(30);
    let code = after.totp_code(&secret, 0);
    let r = after.with_otp(Method::DELETE, "/auth/otp/methods/totp", &id_token, code, None).await;
    assert_eq!(r.status, 200, "and the user can remove it: {}", r.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_code_sent_on_one_generation_verifies_on_an_instance_of_the_next() {
    let s = Secrets::new().await;
    let base = TestApp::new(Backend::Memory).await;
    let old = base.instance(s.keys(&ALL)).await;
    let (id_token, _) = old.id_tokens("code@example.com").await;
    assert_eq!(old.get("/auth/otp/code?method=EMAIL", Some(&id_token)).await.status, 200);
    s.rotate(&s.data, 1).await;
    // A cold start after the rotation: its current data key is not the one the code was
    // hashed under.
    let new = base.instance(s.keys(&ALL)).await;
    assert_ne!(new.app.keys().data().unwrap().current.kid, old.app.keys().data().unwrap().current.kid);
    let r = new.with_otp(Method::POST, "/auth/otp/code", &id_token, "123456", Some(json!({"channel": "EMAIL"}))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["hasValidatedEmail"], true);
    // And the other way: a code hashed by the new generation, checked by a warm instance
    // that has not loaded it yet, which reloads its keys.
    // Even after a token with a made-up key id has spent the old instance's token-triggered
    // reload (attack review of issue 12): a stored key id is not a client's to choose.
    let (id_token, _) = new.id_tokens("code2@example.com").await;
    assert_eq!(new.get("/auth/otp/code?method=EMAIL", Some(&id_token)).await.status, 200);
    let forged = "eyJhbGciOiJIUzI1NiIsImtpZCI6Ing6YXV0aCJ9.e30.c2ln";
    assert_eq!(old.get("/identities", Some(forged)).await.status, 401);
    let r = old.with_otp(Method::POST, "/auth/otp/code", &id_token, "123456", Some(json!({"channel": "EMAIL"}))).await;
    assert_eq!(r.status, 200, "{}", r.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_totp_secret_sealed_by_a_newer_instance_verifies_on_a_warm_older_one() {
    let s = Secrets::new().await;
    let base = TestApp::new(Backend::Memory).await;
    let warm = base.instance(s.keys(&ALL)).await;
    let (id_token, _) = warm.id_tokens("newer@example.com").await;
    s.rotate(&s.data, 1).await;
    let newer = base.instance(s.keys(&ALL)).await;
    let secret = newer.add_totp(&id_token).await;
    let code = warm.totp_code(&secret, 0);
    let r = warm.with_otp(Method::POST, "/auth/otp/code", &id_token, code, Some(json!({"channel": "TOTP"}))).await;
    assert_eq!(r.status, 200, "the warm instance loads the newer key: {}", r.body);
    let me = warm.get("/auth/me", Some(&id_token)).await;
    assert_eq!(me.body["hasValidatedSecret"], true, "{}", me.body);
}

/// The idToken key ids the JWKS serves (its Ed25519 keys; each generation's RS256 key of the
/// OpenID Connect provider is checked to come with it), checking its cache period is the keys'
/// reload period.
async fn kids(t: &TestApp) -> Vec<String> {
    let r = t.get("/.well-known/jwks.json", None).await;
    let max_age = format!("public, max-age={}", shared::app::KEY_MAX_AGE_SECS);
    assert_eq!(r.header("cache-control"), Some(max_age.as_str()));
    let keys = r.body["keys"].as_array().unwrap();
    let kid_of = |kty: &str| -> Vec<String> {
        keys.iter().filter(|k| k["kty"] == kty).map(|k| k["kid"].as_str().unwrap().to_owned()).collect()
    };
    let (ed, rs) = (kid_of("OKP"), kid_of("RSA"));
    for kid in &rs {
        assert!(ed.contains(&kid.replace(":rs", ":id")), "an RS256 key of a generation published: {rs:?} {ed:?}");
    }
    ed
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_warm_jwks_instance_serves_a_new_key_within_its_cache_period() {
    let s = Secrets::new().await;
    let base = TestApp::new(Backend::Memory).await;
    let jwks = base.instance(s.keys(&[Purpose::IdTokenPublic])).await;
    let first = kids(&jwks).await;
    assert_eq!(first.len(), 2, "the current key and the one before it: {first:?}");
    s.rotate(&s.id_token, 1).await;
    assert_eq!(kids(&jwks).await, first, "within its cache period it serves what it loaded");
    jwks.clock.advance(shared::app::KEY_MAX_AGE_SECS);
    let now = kids(&jwks).await;
    assert!(!first.contains(&now[0]), "the new key: {now:?}");
    assert_eq!(now[1], first[0], "with the one before it");
    // A signer that warm signs with the new key once it reloads, and verifiers accept it.
    let signer = base.instance(s.keys(&ALL)).await;
    s.rotate(&s.id_token, 2).await;
    signer.clock.advance(shared::app::KEY_MAX_AGE_SECS);
    let (id_token, _) = signer.id_tokens("warm@example.com").await;
    let header = jsonwebtoken::decode_header(&id_token).unwrap();
    let current = s.document(&s.id_token).await.current.kid;
    assert_eq!(header.kid, Some(format!("{current}:id")), "signed by the new generation without a cold start");
    assert_eq!(jwks.get("/auth/me", Some(&id_token)).await.status, 200, "a verifier behind learns the key");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_signed_before_a_rotation_verify_until_they_expire() {
    let s = Secrets::new().await;
    let base = TestApp::new(Backend::Memory).await;
    let old = base.instance(s.keys(&ALL)).await;
    let (id_token, _) = old.id_tokens("tokens@example.com").await;
    let auth = old.login("tokens@example.com", PASSWORD).await.body["token"].as_str().unwrap().to_owned();
    s.rotate(&s.session, 1).await;
    s.rotate(&s.id_token, 1).await;
    let new = base.instance(s.keys(&ALL)).await;
    assert_eq!(new.get("/identities", Some(&auth)).await.status, 200, "a session token of the previous generation");
    assert_eq!(new.get("/auth/me", Some(&id_token)).await.status, 200, "an idToken of the previous generation");
    // Until they expire: an idToken lives AUTH_ID_TOKEN_SECONDS, a session its idle timeout.
    new.clock.advance(new.app.config.id_token_secs + 1);
    assert_eq!(new.get("/auth/me", Some(&id_token)).await.status, 403, "expired, as surface 2 answers it");
    assert_eq!(new.get("/identities", Some(&auth)).await.status, 401);
}

/// A warm instance remembers the session tokens it verified (the hot path), but only under the
/// keys that verified them: once a rotation has dropped a token's generation and the instance
/// has reloaded its keys, the token it remembered is refused like any other of that generation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_a_warm_instance_remembers_is_refused_once_its_key_is_gone() {
    let s = Secrets::new().await;
    let base = TestApp::new(Backend::Memory).await;
    let warm = base.instance(s.keys(&ALL)).await;
    let (auth, _) = warm.tokens("warm@example.com").await;
    for _ in 0..4 {
        assert_eq!(warm.get("/identities", Some(&auth)).await.status, 200);
    }
    // Two rotations: the token's generation is neither current nor previous any more.
    s.rotate(&s.session, 1).await;
    s.rotate(&s.session, 2).await;
    let fresh = base.instance(s.keys(&ALL)).await;
    let (newest, _) = fresh.tokens("fresh@example.com").await;
    // The warm instance meets a token of the newest generation, and reloads its keys for it.
    assert_eq!(warm.get("/identities", Some(&newest)).await.status, 200);
    for _ in 0..4 {
        assert_eq!(warm.get("/identities", Some(&auth)).await.status, 401, "remembered, but its key is gone");
    }
}
