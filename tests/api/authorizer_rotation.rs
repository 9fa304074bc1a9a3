//! The two functions that are not HTTP endpoints: the API Gateway authorizer (fed its event
//! file) and the key rotation (its four steps against Secrets Manager on moto).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use integration_tests::{Backend, TestApp, on_both_stores, secrets_client};
use serde_json::{Value, json};
use shared::keys::{KeySet, KeySetDocument, generate_generation};
use shared::rotation::{RotationEvent, Rotator};
use shared::token::{SessionClaims, TokenType};

fn event(name: &str) -> String {
    std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../events").join(format!("{name}.json")))
        .unwrap()
}

async fn decide(t: &TestApp, token: &str) -> Value {
    let e: Value = serde_json::from_str(&event("authorizer").replace("<ACCESS_TOKEN>", token)).unwrap();
    shared::api::authorizer::decide(&t.app, &e).await.unwrap()
}

fn effect(v: &Value) -> &str {
    v["policyDocument"]["Statement"][0]["Effect"].as_str().unwrap()
}

async fn the_authorizer_allows_live_access_tokens_with_their_context(b: Backend) {
    let t = TestApp::new(b).await;
    let (auth, access) = t.tokens("jane@example.com").await;
    let v = decide(&t, &access).await;
    assert_eq!(effect(&v), "Allow", "{v}");
    assert_eq!(
        v["policyDocument"]["Statement"][0]["Resource"],
        "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/prod/GET/orders"
    );
    let identity = t.get("/identities", Some(&auth)).await.body[0]["id"].clone();
    assert_eq!(v["context"]["identityId"], identity["id"]);
    assert_eq!(v["context"]["identityType"], identity["type"]);
    assert_eq!(v["context"]["tokenType"], "ACCESS");
    assert_eq!(v["context"]["status"], "STANDARD");
    assert_eq!(v["principalId"], v["context"]["userId"]);
    // It slides the idle expiry like any authenticated call.
    for _ in 0..3 {
        t.clock.advance(299);
        assert_eq!(effect(&decide(&t, &access).await), "Allow");
    }
    // AUTH tokens, garbage and ended sessions are denied.
    assert_eq!(effect(&decide(&t, &auth).await), "Deny");
    assert_eq!(effect(&decide(&t, "garbage").await), "Deny");
    let no_header: Value = json!({"methodArn": "arn:x", "headers": {}});
    assert_eq!(effect(&shared::api::authorizer::decide(&t.app, &no_header).await.unwrap()), "Deny");
    assert_eq!(t.post("/logout", Some(&access), json!({})).await.status, 204);
    let denied = decide(&t, &access).await;
    assert_eq!(effect(&denied), "Deny");
    assert!(denied.get("context").is_none());
}

async fn the_authorizer_reports_a_store_outage_instead_of_denying(b: Backend) {
    let t = TestApp::new(b).await;
    let (_, access) = t.tokens("jane@example.com").await;
    t.probe.set_fault(shared::testing::Fault::Unavailable);
    let e: Value = serde_json::from_str(&event("authorizer").replace("<ACCESS_TOKEN>", &access)).unwrap();
    assert!(shared::api::authorizer::decide(&t.app, &e).await.is_err());
}

on_both_stores!(
    the_authorizer_allows_live_access_tokens_with_their_context,
    the_authorizer_reports_a_store_outage_instead_of_denying
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotation_adds_a_generation_and_keeps_the_previous_one_verifiable() {
    let client = secrets_client();
    let name = format!("rotation-{}", shared::crypto::random_token_id().unwrap());
    // As CloudFormation creates it: a bare generation.
    let initial = generate_generation("initial").unwrap();
    let created = client
        .create_secret()
        .name(&name)
        .secret_string(serde_json::to_string(&initial).unwrap())
        .send()
        .await
        .unwrap();
    let arn = created.arn().unwrap().to_owned();
    let before = KeySet::from_json(&serde_json::to_string(&initial).unwrap()).unwrap();
    let claims = SessionClaims { sid: "1.a".into(), typ: TokenType::Auth, gid: None, iat: 0, exp: i64::MAX };
    let old_token = shared::token::issue_session_token(&before, &claims).unwrap();

    let rotator = Rotator::new(client.clone());
    let token = "11111111-2222-3333-4444-555555555555";
    // The event file, filled in, drives the first step.
    let first: RotationEvent =
        serde_json::from_str(&event("rotate-keys").replace("<SECRET_ARN>", &arn).replace("<ROTATION_TOKEN>", token))
            .unwrap();
    assert_eq!(first.step, "createSecret");
    for step in ["createSecret", "createSecret", "setSecret", "testSecret", "finishSecret", "finishSecret"] {
        let e = RotationEvent { step: step.into(), ..first.clone() };
        rotator.rotate(&e, 1_800_000_000).await.unwrap_or_else(|err| panic!("{step}: {err}"));
    }
    let current = client.get_secret_value().secret_id(&arn).version_stage("AWSCURRENT").send().await.unwrap();
    let doc: KeySetDocument = serde_json::from_str(current.secret_string().unwrap()).unwrap();
    assert!(doc.current.kid.starts_with("k1800000000-"), "{}", doc.current.kid);
    assert_eq!(doc.previous.as_ref().unwrap().kid, "initial");
    let after = KeySet::from_document(&doc).unwrap();
    assert!(
        shared::token::verify_session_token(&after, &old_token, 1).is_ok(),
        "tokens of the previous generation still verify"
    );
    let new_token = shared::token::issue_session_token(&after, &claims).unwrap();
    assert!(new_token.contains('.'));
    assert!(shared::token::verify_session_token(&before, &new_token, 1).is_err());
    let bad = RotationEvent { step: "dance".into(), token: "other-token".into(), ..first };
    assert!(rotator.rotate(&bad, 0).await.is_err());
}

/// Finding 12 of the attack review, on Secrets Manager (moto): one secret per key purpose. The
/// idToken key's rotation publishes its public keys; a verifier given only those (the JWKS
/// function, surface-2 endpoints) verifies tokens from before and after the rotation but holds
/// no private key, and no session or data key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_function_reads_only_its_keys_and_rotation_publishes_the_public_ones() {
    use shared::keys::{KeySource, Purpose, SecretsManagerKeys};
    let client = secrets_client();
    let suffix = shared::crypto::random_token_id().unwrap();
    let create = |name: String, value: String| {
        let client = client.clone();
        async move { client.create_secret().name(name).secret_string(value).send().await.unwrap().arn().unwrap().to_owned() }
    };
    let bare = |kid: &str| serde_json::to_string(&generate_generation(kid).unwrap()).unwrap();
    let id_secret = create(format!("id-{suffix}"), bare("initial")).await;
    let public_secret = create(format!("public-{suffix}"), r#"{"keys":[]}"#.into()).await;
    let session_secret = create(format!("session-{suffix}"), bare("initial")).await;
    let signer = SecretsManagerKeys::per_purpose(client.clone(), vec![(Purpose::IdToken, id_secret.clone())]);
    let verifier =
        SecretsManagerKeys::per_purpose(client.clone(), vec![(Purpose::IdTokenPublic, public_secret.clone())]);
    let claims = |jti: &str| shared::token::IdClaims {
        iss: "i".into(),
        aud: "a".into(),
        sub: "1".into(),
        email: "a@b.c".into(),
        email_verified: false,
        iat: 0,
        exp: i64::MAX,
        jti: jti.into(),
        amr: vec!["pwd".into()],
        ver: 1,
        sid: None,
    };
    let before = shared::token::issue_id_token(&signer.load().await.unwrap(), &claims("before")).unwrap();

    let rotator = Rotator::new(client.clone()).publishing_public_keys(id_secret.clone(), public_secret.clone());
    for (secret, token) in [
        (&id_secret, "aaaaaaaa-2222-3333-4444-555555555555"),
        (&session_secret, "bbbbbbbb-2222-3333-4444-555555555555"),
    ] {
        for step in ["createSecret", "setSecret", "testSecret", "finishSecret"] {
            let e = RotationEvent { secret_id: secret.clone(), token: token.into(), step: step.into() };
            rotator.rotate(&e, 1_800_000_000).await.unwrap_or_else(|err| panic!("{step}: {err}"));
        }
    }
    let after = shared::token::issue_id_token(&signer.load().await.unwrap(), &claims("after")).unwrap();
    let public_only = verifier.load().await.unwrap();
    for token in [&before, &after] {
        assert!(
            shared::token::verify_id_token(&public_only, token, "i", "a", 1).is_ok(),
            "verifies from the public keys"
        );
    }
    let jwks = shared::token::jwks(&public_only).unwrap();
    let kids: Vec<&str> = jwks["keys"].as_array().unwrap().iter().map(|k| k["kid"].as_str().unwrap()).collect();
    // The EdDSA keys of both generations, then the OpenID Connect provider's RS256 ones.
    assert_eq!(kids.len(), 4, "published by the idToken rotation alone: {kids:?}");
    assert!(kids[0].starts_with("k1800000000-") && kids[0].ends_with(":id"), "{kids:?}");
    assert_eq!(kids[1], "initial:id");
    assert_eq!(kids[2..], [kids[0].replace(":id", ":rs"), "initial:rs".to_owned()], "{kids:?}");
    assert!(public_only.id_token().is_err(), "no private key");
    assert!(public_only.session().is_err() && public_only.data().is_err(), "no other purpose");
    assert!(shared::token::issue_id_token(&public_only, &claims("forged")).is_err(), "cannot sign");
}
