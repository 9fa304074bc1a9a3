//! Passkeys and login by push (issue 15), on both stores, with a software authenticator
//! (1Password's passkey-rs, another implementation than the service's webauthn-rs): enrolment,
//! step-up and login on both surfaces, and the attacks: another origin, another RP id, no user
//! verification, a replayed challenge or assertion, a counter turned back, another account's
//! credential, unknown credentials, concurrent answers, expiry, locks and blocks.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use integration_tests::passkey::{ORIGINS, RP_ID, SoftAuthenticator, for_rp_id, without_user_verification};
use integration_tests::{Backend, Device, PASSWORD, TestApp, at_once, on_both_stores};
use serde_json::{Value, json};

const ENROL: &str = "/authentication_factors/passkey";
const ENROL_VERIFY: &str = "/authentication_factors/passkey/verify";
const STEP_UP: &str = "/stepup/challenges/passkey";
const STEP_UP_VERIFY: &str = "/stepup/challenges/passkey/verify";
const SITE: &str = ORIGINS[0];

async fn app(b: Backend) -> TestApp {
    TestApp::with_config(b, |c| {
        c.webauthn_rp_id = RP_ID.to_owned();
        c.webauthn_origins = ORIGINS.iter().map(|o| o.to_string()).collect();
        // Sessions outlive a ceremony, so that only the ceremony's own expiry is tested.
        c.idle_timeout_secs = 3_600;
        c.access_idle_timeout_secs = 3_600;
    })
    .await
}

/// Enrols a passkey of `key` on the account of `access` (whose session must be able to).
async fn enrol(t: &TestApp, access: &str, key: &mut SoftAuthenticator) -> String {
    let options = t.post(ENROL, Some(access), json!({})).await;
    assert_eq!(options.status, 200, "{}", options.body);
    let credential = key.create(SITE, &options.body).await;
    let r = t.post(ENROL_VERIFY, Some(access), credential.clone()).await;
    assert_eq!(r.status, 204, "{}", r.body);
    credential["id"].as_str().unwrap().to_owned()
}

/// Steps the session of `access` up with `key`; the verify's status.
async fn step_up(t: &TestApp, access: &str, key: &mut SoftAuthenticator) -> u16 {
    let options = t.post(STEP_UP, Some(access), json!({})).await;
    assert_eq!(options.status, 200, "{}", options.body);
    let assertion = key.get(SITE, &options.body).await;
    t.post(STEP_UP_VERIFY, Some(access), assertion).await.status
}

/// A login attempt on surface `1` or `2`: its id and the options.
async fn login_options(t: &TestApp, surface: u8) -> (String, Value) {
    let path = if surface == 1 { "/login_with_passkey/options" } else { "/auth/login/passkey/options" };
    let r = t.post(path, None, json!({})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let id = r.body["challengeId"].as_str().unwrap().to_owned();
    (id, json!({ "publicKey": r.body["publicKey"] }))
}

async fn passkey_login(t: &TestApp, surface: u8, challenge_id: &str, credential: &Value) -> integration_tests::Reply {
    let path = if surface == 1 { "/login_with_passkey" } else { "/auth/login/passkey" };
    t.post(path, None, json!({ "challengeId": challenge_id, "credential": credential })).await
}

/// A whole passkey login on `surface` with `key`.
async fn login_with(t: &TestApp, surface: u8, key: &mut SoftAuthenticator) -> integration_tests::Reply {
    let (id, options) = login_options(t, surface).await;
    let assertion = key.get(SITE, &options).await;
    passkey_login(t, surface, &id, &assertion).await
}

/// An authenticator holding a credential created for the site but never enrolled.
async fn unenrolled(t: &TestApp) -> SoftAuthenticator {
    let mut stranger = SoftAuthenticator::new();
    let options = t.post(ENROL, Some(&t.tokens("bob@example.com").await.1), json!({})).await.body;
    stranger.create(SITE, &options).await;
    stranger
}

/// The same login assertion `n` times at once, on alternate surfaces; their statuses.
async fn racing_logins(t: &Arc<TestApp>, challenge_id: &str, assertion: &Value, n: usize) -> Vec<u16> {
    at_once(n, |i| {
        let (t, id, assertion) = (Arc::clone(t), challenge_id.to_owned(), assertion.clone());
        async move { passkey_login(&t, if i % 2 == 0 { 1 } else { 2 }, &id, &assertion).await.status }
    })
    .await
}

fn jwt_claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&shared::crypto::b64url_decode(payload).unwrap()).unwrap()
}

async fn a_passkey_is_enrolled_steps_up_and_logs_in_on_both_surfaces(b: Backend) {
    let t = app(b).await;
    let (_, access) = t.tokens("jane@example.com").await;
    let mut key = SoftAuthenticator::new();

    // The options are the standard JSON form: this RP, a verified, discoverable credential.
    let options = t.post(ENROL, Some(&access), json!({})).await;
    assert_eq!(options.status, 200, "{}", options.body);
    let pk = &options.body["publicKey"];
    assert_eq!(pk["rp"]["id"], RP_ID);
    assert_eq!(pk["authenticatorSelection"]["userVerification"], "required");
    assert_eq!(pk["authenticatorSelection"]["residentKey"], "required");
    assert!(pk["challenge"].as_str().unwrap().len() >= 43, "a 256-bit challenge: {pk}");
    let credential = key.create(SITE, &options.body).await;
    assert_eq!(t.post(ENROL_VERIFY, Some(&access), credential.clone()).await.status, 204);
    let id = credential["id"].as_str().unwrap();

    let factors = t.get("/authentication_factors", Some(&access)).await.body["factors"].clone();
    let passkey = factors.as_array().unwrap().iter().find(|f| f["type"] == "PASSKEY").expect("a passkey factor");
    assert_eq!(
        (&passkey["channel"], &passkey["status"], &passkey["credentialId"]),
        (&json!("PASSKEY"), &json!("ACTIVE"), &json!(id))
    );

    // Step-up: the options list the account's credential only; the session becomes STEPPED_UP,
    // which lets it enrol another passkey (a change of factors).
    let options = t.post(STEP_UP, Some(&access), json!({})).await;
    let allowed: Vec<_> =
        options.body["publicKey"]["allowCredentials"].as_array().unwrap().iter().map(|c| c["id"].clone()).collect();
    assert_eq!(allowed, vec![json!(id)]);
    assert_eq!(t.post(ENROL, Some(&access), json!({})).await.status, 409, "no step-up yet");
    let assertion = key.get(SITE, &options.body).await;
    assert_eq!(t.post(STEP_UP_VERIFY, Some(&access), assertion).await.status, 204);
    assert_eq!(t.post(ENROL, Some(&access), json!({})).await.status, 200, "stepped up");

    // Surface 1: no e-mail, no password; the login body of /login_with_password, STEPPED_UP.
    let r = login_with(&t, 1, &mut key).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["tokenType"], "AUTH");
    assert_eq!(r.body["credentials"]["type"], "ROOT");
    let auth = r.body["token"].as_str().unwrap().to_owned();
    assert_eq!(t.get("/identities", Some(&auth)).await.status, 200);
    let access2 = t.access_token(&auth).await;
    assert_eq!(t.post(ENROL, Some(&access2), json!({})).await.status, 200, "a passkey login is stepped up");

    // Surface 2: an idToken whose amr names a hardware key with its user verified.
    let r = login_with(&t, 2, &mut key).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let claims = jwt_claims(r.body["idToken"].as_str().unwrap());
    assert_eq!(claims["amr"], json!(["hwk", "user"]));
    assert_eq!(t.get("/auth/me", Some(r.body["idToken"].as_str().unwrap())).await.status, 200);
    let refreshed = t.post("/auth/login/refresh", None, json!({"refreshToken": r.body["refreshToken"]})).await;
    assert_eq!(refreshed.status, 200, "{}", refreshed.body);

    // The trail tells: enrolled, stepped up, logged in by passkey on both surfaces.
    let trail = t.get("/security_events?limit=50", Some(&access2)).await.body["events"].clone();
    let has = |kind: &str, field: &str, value: Value| {
        trail.as_array().unwrap().iter().any(|e| e["type"] == kind && e["details"][field] == value)
    };
    assert!(has("FACTOR_ENROLLED", "type", json!("PASSKEY")), "{trail}");
    assert!(has("STEP_UP_SUCCEEDED", "channel", json!("PASSKEY")), "{trail}");
    assert!(has("LOGIN_SUCCEEDED", "method", json!("PASSKEY")), "{trail}");
    // The counter and backup flags are kept and shown.
    let factors = t.get("/authentication_factors", Some(&access2)).await.body["factors"].clone();
    let passkey = factors.as_array().unwrap().iter().find(|f| f["type"] == "PASSKEY").unwrap();
    assert!(passkey["lastUsedAt"].is_number() && passkey["backupEligible"].is_boolean(), "{passkey}");
}

async fn more_passkeys_need_a_step_up_and_each_is_removable(b: Backend) {
    let t = app(b).await;
    let (_, access) = t.tokens("jane@example.com").await;
    let (mut phone, mut laptop) = (SoftAuthenticator::new(), SoftAuthenticator::new());
    let first = enrol(&t, &access, &mut phone).await; // the password alone: no factor yet
    assert_eq!(t.post(ENROL, Some(&access), json!({})).await.body["errorCode"], "STEP_UP_REQUIRED");
    assert_eq!(step_up(&t, &access, &mut phone).await, 204);
    let second = enrol(&t, &access, &mut laptop).await;
    assert_ne!(first, second);
    // The enrolment spent the step-up: removing needs another.
    let remove = |id: &str| format!("{ENROL}/{id}");
    assert_eq!(t.delete(&remove(&first), Some(&access)).await.body["errorCode"], "STEP_UP_REQUIRED");
    assert_eq!(step_up(&t, &access, &mut laptop).await, 204);
    assert_eq!(t.delete(&remove("bm8tc3VjaC1jcmVkZW50aWFs"), Some(&access)).await.status, 404);
    assert_eq!(t.delete(&remove(&first), Some(&access)).await.status, 204);
    // The removed one no longer logs in; the other does.
    assert_eq!(login_with(&t, 1, &mut phone).await.status, 403);
    assert_eq!(login_with(&t, 1, &mut laptop).await.status, 200);
    let factors = t.get("/authentication_factors", Some(&access)).await.body["factors"].clone();
    let ids: Vec<_> = factors.as_array().unwrap().iter().map(|f| f["credentialId"].clone()).collect();
    assert_eq!(ids, vec![json!(second)]);
}

async fn another_origin_rp_id_or_no_user_verification_is_refused(b: Backend) {
    let t = app(b).await;
    let (_, access) = t.tokens("jane@example.com").await;
    let mut key = SoftAuthenticator::new();
    let refused = |r: integration_tests::Reply| {
        assert_eq!((r.status, r.body["errorCode"].as_str()), (409, Some("PASSKEY_REJECTED")), "{}", r.body);
    };
    // Enrolment: from a page the service does not list; for another RP id (from an origin
    // it lists); without the user verified.
    let options = t.post(ENROL, Some(&access), json!({})).await.body;
    let credential = key.create("https://evil.example.com", &options).await;
    refused(t.post(ENROL_VERIFY, Some(&access), credential).await);
    let options = t.post(ENROL, Some(&access), json!({})).await.body;
    let credential = key.create(ORIGINS[1], &for_rp_id(&options, "app.example.com")).await;
    refused(t.post(ENROL_VERIFY, Some(&access), credential).await);
    let options = t.post(ENROL, Some(&access), json!({})).await.body;
    let credential = key.create(SITE, &without_user_verification(&options)).await;
    refused(t.post(ENROL_VERIFY, Some(&access), credential).await);
    assert!(t.get("/authentication_factors", Some(&access)).await.body["factors"].as_array().unwrap().is_empty());

    // The same attacks on a step-up and on a login, once a passkey is enrolled from the
    // second listed origin (an app on a sub-domain of the RP id).
    let mut key = SoftAuthenticator::new();
    let options = t.post(ENROL, Some(&access), json!({})).await.body;
    let credential = key.create(ORIGINS[1], &options).await;
    assert_eq!(t.post(ENROL_VERIFY, Some(&access), credential).await.status, 204);
    let options = t.post(STEP_UP, Some(&access), json!({})).await.body;
    refused(t.post(STEP_UP_VERIFY, Some(&access), key.get("https://evil.example.com", &options).await).await);
    let options = t.post(STEP_UP, Some(&access), json!({})).await.body;
    refused(t.post(STEP_UP_VERIFY, Some(&access), key.get(SITE, &without_user_verification(&options)).await).await);
    let mut statuses = Vec::new();
    for surface in [1, 2] {
        let (id, options) = login_options(&t, surface).await;
        let assertion = key.get(SITE, &without_user_verification(&options)).await;
        statuses.push(passkey_login(&t, surface, &id, &assertion).await.status);
        let (id, options) = login_options(&t, surface).await;
        let assertion = key.get("https://evil.example.com", &options).await;
        statuses.push(passkey_login(&t, surface, &id, &assertion).await.status);
    }
    // Each counted: the fifth failure (two step-ups, three logins) locks the account.
    assert_eq!(statuses, vec![403, 403, 423, 423]);
    assert_eq!(t.login("jane@example.com", PASSWORD).await.status, 423);
    assert_eq!(login_with(&t, 1, &mut key).await.status, 423, "a lock stops passkey logins too");
}

async fn replayed_challenges_and_assertions_are_refused_and_counted(b: Backend) {
    let t = app(b).await;
    let (_, access) = t.tokens("jane@example.com").await;
    let mut key = SoftAuthenticator::new();
    enrol(&t, &access, &mut key).await;
    // A step-up assertion answers its challenge once.
    let options = t.post(STEP_UP, Some(&access), json!({})).await.body;
    let assertion = key.get(SITE, &options).await;
    assert_eq!(t.post(STEP_UP_VERIFY, Some(&access), assertion.clone()).await.status, 204);
    let again = t.post(STEP_UP_VERIFY, Some(&access), assertion.clone()).await;
    assert_eq!((again.status, again.body["errorCode"].as_str()), (409, Some("PASSKEY_REJECTED")));
    // ... nor against a fresh challenge of the session (it signed the old one).
    t.post(STEP_UP, Some(&access), json!({})).await;
    assert_eq!(t.post(STEP_UP_VERIFY, Some(&access), assertion).await.status, 409);
    // A login assertion: once on its own attempt, never on another.
    let (id, options) = login_options(&t, 1).await;
    let assertion = key.get(SITE, &options).await;
    assert_eq!(passkey_login(&t, 1, &id, &assertion).await.status, 200);
    assert_eq!(passkey_login(&t, 1, &id, &assertion).await.status, 403);
    let (other, _) = login_options(&t, 2).await;
    assert_eq!(passkey_login(&t, 2, &other, &assertion).await.status, 403);
    // Replays against live challenges count, replays of a spent attempt check nothing. The
    // login cleared the count; one replay since: with the threshold of 5, the fourth more locks.
    for expected in [403, 403, 403, 423] {
        let (id, _) = login_options(&t, 1).await;
        let r = passkey_login(&t, 1, &id, &assertion).await;
        assert_eq!(r.status, expected, "{}", r.body);
    }
}

async fn a_counter_turned_back_is_refused(b: Backend) {
    let t = app(b).await;
    let (_, access) = t.tokens("jane@example.com").await;
    let mut key = SoftAuthenticator::new();
    enrol(&t, &access, &mut key).await;
    let before = key.keys();
    assert_eq!(login_with(&t, 1, &mut key).await.status, 200);
    assert_eq!(login_with(&t, 2, &mut key).await.status, 200);
    // A clone of the authenticator as it was two uses ago signs with an older counter.
    key.restore(before);
    assert_eq!(login_with(&t, 1, &mut key).await.status, 403);
    assert_eq!(step_up(&t, &access, &mut key).await, 409);
}

async fn another_accounts_credential_proves_nothing(b: Backend) {
    let t = app(b).await;
    let (_, jane) = t.tokens("jane@example.com").await;
    let (_, mallory) = t.tokens("mallory@example.com").await;
    let (mut janes, mut mallorys) = (SoftAuthenticator::new(), SoftAuthenticator::new());
    enrol(&t, &jane, &mut janes).await;
    enrol(&t, &mallory, &mut mallorys).await;
    // Mallory's assertion, made for her own step-up, posted to Jane's session.
    let options = t.post(STEP_UP, Some(&mallory), json!({})).await.body;
    t.post(STEP_UP, Some(&jane), json!({})).await;
    let assertion = mallorys.get(SITE, &options).await;
    assert_eq!(t.post(STEP_UP_VERIFY, Some(&jane), assertion).await.status, 409);
    // Jane's options list only Jane's credential: Mallory's authenticator has nothing to offer.
    let options = t.post(STEP_UP, Some(&jane), json!({})).await.body;
    assert!(mallorys.try_get(SITE, &options).await.is_none());
    // A login assertion whose user handle claims Jane's account.
    let (id, options) = login_options(&t, 1).await;
    let janes_handle = janes.get(SITE, &login_options(&t, 1).await.1).await["response"]["userHandle"].clone();
    let mut assertion = mallorys.get(SITE, &options).await;
    assertion["response"]["userHandle"] = janes_handle;
    assert_eq!(passkey_login(&t, 1, &id, &assertion).await.status, 403);
}

async fn unknown_credentials_answer_like_wrong_ones(b: Backend) {
    let t = app(b).await;
    let (_, access) = t.tokens("jane@example.com").await;
    let mut key = SoftAuthenticator::new();
    enrol(&t, &access, &mut key).await;
    let mut stranger = unenrolled(&t).await;
    let (id, options) = login_options(&t, 1).await;
    let unknown = passkey_login(&t, 1, &id, &stranger.get(SITE, &options).await).await;
    // Jane's credential with its signature broken.
    let (id, options) = login_options(&t, 1).await;
    let mut wrong = key.get(SITE, &options).await;
    let signature = wrong["response"]["signature"].as_str().unwrap().to_owned();
    let flipped = if signature.starts_with('A') { "B" } else { "A" };
    wrong["response"]["signature"] = json!(format!("{flipped}{}", &signature[1..]));
    let wrong = passkey_login(&t, 1, &id, &wrong).await;
    assert_eq!((unknown.status, &unknown.body), (wrong.status, &wrong.body));
    assert_eq!(unknown.status, 403);
    // Surface 2 alike.
    let (id, options) = login_options(&t, 2).await;
    let unknown2 = passkey_login(&t, 2, &id, &stranger.get(SITE, &options).await).await;
    let (id, options) = login_options(&t, 2).await;
    let mut wrong2 = key.get(SITE, &options).await;
    wrong2["response"]["signature"] = json!("AAAA");
    let wrong2 = passkey_login(&t, 2, &id, &wrong2).await;
    assert_eq!((unknown2.status, &unknown2.body), (wrong2.status, &wrong2.body));
}

async fn concurrent_answers_to_one_challenge_pass_once(b: Backend) {
    let t = Arc::new(app(b).await);
    let (_, access) = t.tokens("jane@example.com").await;
    let mut key = SoftAuthenticator::new();
    enrol(&t, &access, &mut key).await;
    let (id, options) = login_options(&t, 1).await;
    let statuses = racing_logins(&t, &id, &key.get(SITE, &options).await, 8).await;
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "{statuses:?}");
    // One step-up assertion, four times at once (below the lockout threshold, which replays
    // count toward): one step-up.
    let options = t.post(STEP_UP, Some(&access), json!({})).await.body;
    let assertion = key.get(SITE, &options).await;
    let statuses = at_once(4, |_| {
        let (t, access, assertion) = (Arc::clone(&t), access.clone(), assertion.clone());
        async move { t.post(STEP_UP_VERIFY, Some(&access), assertion).await.status }
    })
    .await;
    assert_eq!(statuses.iter().filter(|s| **s == 204).count(), 1, "{statuses:?}");
}

async fn challenges_expire_after_five_minutes(b: Backend) {
    let t = app(b).await;
    let (_, access) = t.tokens("jane@example.com").await;
    let mut key = SoftAuthenticator::new();
    let options = t.post(ENROL, Some(&access), json!({})).await.body;
    let credential = key.create(SITE, &options).await;
    t.clock.advance(shared::passkeys::CEREMONY_SECS);
    assert_eq!(t.post(ENROL_VERIFY, Some(&access), credential).await.body["errorCode"], "STATE_INVALID");
    enrol(&t, &access, &mut key).await;
    let (id, options) = login_options(&t, 1).await;
    let assertion = key.get(SITE, &options).await;
    t.clock.advance(shared::passkeys::CEREMONY_SECS);
    assert_eq!(passkey_login(&t, 1, &id, &assertion).await.status, 403);
}

async fn a_blocked_account_cannot_log_in_with_its_passkey(b: Backend) {
    let t = app(b).await;
    let (_, access) = t.tokens("jane@example.com").await;
    let mut key = SoftAuthenticator::new();
    enrol(&t, &access, &mut key).await;
    shared::app::accounts::set_blocked(&t.app, "jane@example.com", true).await.unwrap();
    assert_eq!(login_with(&t, 1, &mut key).await.status, 403);
    assert_eq!(login_with(&t, 2, &mut key).await.status, 403);
}

// ------------------------------------------------------------------ login by push

const PUSH_LOGIN: &str = "/login_via_biometrics";

async fn poll(t: &TestApp, id: &str, token: &str) -> integration_tests::Reply {
    let req = integration_tests::request(lambda_http::http::Method::GET, &format!("{PUSH_LOGIN}/{id}"), None, None);
    let (mut parts, body) = req.into_parts();
    parts.headers.insert("x-poll-token", token.parse().unwrap());
    t.call(lambda_http::Request::from_parts(parts, body)).await
}

async fn with_device(t: &TestApp, email: &str) -> Device {
    let (_, access) = t.tokens(email).await;
    let device = Device::new(5);
    assert_eq!(t.post("/authentication_factors/push/BIOMETRIC", Some(&access), device.enrolment()).await.status, 200);
    device
}

fn answer(device: &Device, id: &str, approve: bool) -> (String, Value) {
    let verb = if approve { "approve" } else { "reject" };
    (
        format!("/stepup/challenges/push/BIOMETRIC/{id}/{verb}"),
        json!({"signature": device.sign(&format!("{id}:{verb}"))}),
    )
}

async fn a_login_by_push_is_approved_on_the_device_and_claimed_once(b: Backend) {
    let t = Arc::new(TestApp::new(b).await);
    let device = with_device(&t, "jane@example.com").await;
    let pushes = t.push.sent().len();
    let r = t.post_from("198.51.100.7", PUSH_LOGIN, None, json!({"email": "jane@example.com"})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let (id, token) =
        (r.body["challengeId"].as_str().unwrap().to_owned(), r.body["pollToken"].as_str().unwrap().to_owned());
    assert!(token.len() >= 22, "at least 128 bits");
    let push = t.push.sent().last().unwrap().clone();
    assert_eq!(t.push.sent().len(), pushes + 1);
    assert_eq!(
        (push.payload["type"].as_str(), push.payload["challengeId"].as_str()),
        (Some("LOGIN"), Some(id.as_str()))
    );
    assert_eq!(push.payload["sourceIp"], "198.51.100.7", "the asking device's context");
    assert_eq!(poll(&t, &id, &token).await.body, json!({"status": "PENDING"}));
    assert_eq!(poll(&t, &id, "a-wrong-poll-token-of-some-length").await.status, 404);

    let (path, signed) = answer(&device, &id, true);
    assert_eq!(t.post(&path, None, signed).await.status, 204);
    // Ten polls at once: one gets the login.
    let bodies = at_once(10, |_| {
        let (t, id, token) = (Arc::clone(&t), id.clone(), token.clone());
        async move { poll(&t, &id, &token).await.body }
    })
    .await;
    let logins: Vec<&Value> = bodies.iter().filter(|b| b["token"].is_string()).collect();
    assert_eq!(logins.len(), 1, "{bodies:?}");
    assert!(bodies.iter().all(|b| b["status"] == "APPROVED"));
    let login = logins[0];
    assert_eq!(login["tokenType"], "AUTH");
    let auth = login["token"].as_str().unwrap();
    let access = t.access_token(auth).await;
    // STEPPED_UP: it may remove the device at once.
    assert_eq!(t.delete("/authentication_factors/push/BIOMETRIC", Some(&access)).await.status, 204);
    let trail = t.get("/security_events?limit=50", Some(&access)).await.body["events"].clone();
    assert!(
        trail.as_array().unwrap().iter().any(|e| e["type"] == "LOGIN_SUCCEEDED" && e["details"]["method"] == "PUSH"),
        "{trail}"
    );
}

async fn rejected_and_expired_logins_by_push_log_nobody_in(b: Backend) {
    let t = TestApp::new(b).await;
    let device = with_device(&t, "jane@example.com").await;
    let start = || t.post(PUSH_LOGIN, None, json!({"email": "jane@example.com"}));
    let r = start().await;
    let (id, token) =
        (r.body["challengeId"].as_str().unwrap().to_owned(), r.body["pollToken"].as_str().unwrap().to_owned());
    let (path, signed) = answer(&device, &id, false);
    assert_eq!(t.post(&path, None, signed).await.status, 204);
    assert_eq!(poll(&t, &id, &token).await.body, json!({"status": "REJECTED"}));
    // A rejection cannot be turned into an approval afterwards.
    let (path, signed) = answer(&device, &id, true);
    assert_eq!(t.post(&path, None, signed).await.status, 409);
    let r = start().await;
    let (id, token) =
        (r.body["challengeId"].as_str().unwrap().to_owned(), r.body["pollToken"].as_str().unwrap().to_owned());
    t.clock.advance(shared::app::push_step_up::PUSH_TTL_SECS);
    assert_eq!(poll(&t, &id, &token).await.body, json!({"status": "EXPIRED"}));
    let (path, signed) = answer(&device, &id, true);
    assert_eq!(t.post(&path, None, signed).await.status, 409);
}

async fn any_address_gets_a_challenge_and_only_owners_get_a_push(b: Backend) {
    let t = TestApp::new(b).await;
    with_device(&t, "jane@example.com").await;
    t.register("nodevice@example.com").await;
    let pushes = t.push.sent().len();
    for email in ["nobody@example.com", "nodevice@example.com"] {
        let r = t.post(PUSH_LOGIN, None, json!({"email": email})).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let keys: Vec<_> = r.body.as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys, vec!["challengeId", "pollToken"]);
        let (id, token) = (r.body["challengeId"].as_str().unwrap(), r.body["pollToken"].as_str().unwrap());
        assert_eq!(poll(&t, id, token).await.body, json!({"status": "PENDING"}));
        t.clock.advance(shared::app::push_step_up::PUSH_TTL_SECS);
        assert_eq!(poll(&t, id, token).await.body, json!({"status": "EXPIRED"}));
    }
    assert_eq!(t.push.sent().len(), pushes, "nothing sent for them");
}

async fn locked_accounts_are_refused_and_pushes_are_budgeted(b: Backend) {
    let t = TestApp::new(b).await;
    with_device(&t, "jane@example.com").await;
    t.align_clock(3_600);
    for _ in 0..5 {
        assert_eq!(t.post(PUSH_LOGIN, None, json!({"email": "jane@example.com"})).await.status, 200);
    }
    let over = t.post(PUSH_LOGIN, None, json!({"email": "jane@example.com"})).await;
    assert_eq!(over.status, 429, "{}", over.body);
    // Another address from the same IP: its own budget; the IP's is 20 an hour.
    for i in 0..15 {
        assert_eq!(t.post(PUSH_LOGIN, None, json!({"email": format!("x{i}@example.com")})).await.status, 200);
    }
    assert_eq!(t.post(PUSH_LOGIN, None, json!({"email": "y@example.com"})).await.status, 429);
    // A lock refuses the login, from another IP too.
    for _ in 0..5 {
        t.login("jane@example.com", "wrong").await;
    }
    let r = t.post_from("192.0.2.99", PUSH_LOGIN, None, json!({"email": "jane@example.com"})).await;
    assert_eq!(r.status, 423, "{}", r.body);
}

// ------------------------------------------------------------------ the attack review's findings

/// Finding 1: the operator's `remove_factors` removes passkeys too (with their events), and
/// frees their credential ids.
async fn remove_factors_removes_passkeys(b: Backend) {
    let t = app(b).await;
    let (_, access) = t.tokens("jane@example.com").await;
    let mut key = SoftAuthenticator::new();
    let id = enrol(&t, &access, &mut key).await;
    let r = shared::api::admin::invoke(&t.app, json!({"action": "remove_factors", "email": "jane@example.com"}))
        .await
        .unwrap();
    assert_eq!(r["changed"]["removedFactors"][0]["credentialId"], json!(id), "{r}");
    let (_, access) = t.session_tokens("jane@example.com").await;
    assert!(t.get("/authentication_factors", Some(&access)).await.body["factors"].as_array().unwrap().is_empty());
    assert_eq!(login_with(&t, 1, &mut key).await.status, 403);
    assert_eq!(login_with(&t, 2, &mut key).await.status, 403);
    let owner = t.app.store.passkey_owner(&shared::app::passkeys::credential_name(&id)).await.unwrap();
    assert_eq!(owner, None, "the credential id is free again");
    // With no factor left, the password alone may enrol again.
    enrol(&t, &access, &mut SoftAuthenticator::new()).await;
}

/// Finding 6: a credential id is one account's; a second account cannot enrol it.
async fn a_credential_id_belongs_to_one_account(b: Backend) {
    let t = app(b).await;
    let (_, mallory) = t.tokens("mallory@example.com").await;
    let mut key = SoftAuthenticator::new();
    let options = t.post(ENROL, Some(&mallory), json!({})).await.body;
    let credential = key.create(SITE, &options).await;
    // The same id, already Jane's (as a forged registration would present it).
    let name = shared::app::passkeys::credential_name(credential["id"].as_str().unwrap());
    t.app.store.claim_passkey_name(&name, "jane@example.com").await.unwrap();
    let r = t.post(ENROL_VERIFY, Some(&mallory), credential).await;
    assert_eq!((r.status, r.body["errorCode"].as_str()), (409, Some("PASSKEY_REJECTED")), "{}", r.body);
    assert!(t.get("/authentication_factors", Some(&mallory)).await.body["factors"].as_array().unwrap().is_empty());
}

/// Finding 2: an approved login by push that nobody collected yet is a login like any other:
/// ending the account's logins ends it, and the poll hands nothing out.
async fn ending_every_login_ends_an_uncollected_push_login(b: Backend) {
    let t = TestApp::new(b).await;
    let device = with_device(&t, "jane@example.com").await;
    for end in ["revoke_others", "operator", "password"] {
        let r = t.post(PUSH_LOGIN, None, json!({"email": "jane@example.com"})).await;
        let (id, token) =
            (r.body["challengeId"].as_str().unwrap().to_owned(), r.body["pollToken"].as_str().unwrap().to_owned());
        let (path, signed) = answer(&device, &id, true);
        assert_eq!(t.post(&path, None, signed).await.status, 204);
        let (_, access) = t.session_tokens("jane@example.com").await;
        match end {
            "revoke_others" => {
                assert_eq!(t.post("/sessions/revoke_others", Some(&access), json!({})).await.status, 204)
            }
            "password" => {
                integration_tests::step_up_by_push(&t, &access, "BIOMETRIC", &device).await;
                let change = json!({"oldPassword": {"value": PASSWORD}, "newPassword": {"value": "violet tugboat harmonica 42"}});
                assert_eq!(t.post("/passwords/update", Some(&access), change).await.status, 200);
            }
            _ => {
                let event = json!({"action": "end_sessions", "email": "jane@example.com"});
                shared::api::admin::invoke(&t.app, event).await.unwrap();
            }
        }
        let polled = poll(&t, &id, &token).await;
        assert!(polled.body["token"].is_null(), "{end}: {}", polled.body);
        assert_eq!(polled.body["status"], "EXPIRED", "{end}");
    }
}

/// Findings 3 and 7: a challenge asked for an address without an account, or without a
/// device, is answered like a wrong signature (403), whoever answers: no 404 tells which
/// addresses exist, and a device enrolled since cannot approve it.
async fn decoy_push_logins_answer_like_wrong_signatures(b: Backend) {
    let t = TestApp::new(b).await;
    let device = with_device(&t, "jane@example.com").await;
    let (_, later) = t.tokens("later@example.com").await;
    let mut answers = Vec::new();
    for email in ["jane@example.com", "nobody@example.com", "later@example.com"] {
        let r = t.post(PUSH_LOGIN, None, json!({"email": email})).await;
        let id = r.body["challengeId"].as_str().unwrap().to_owned();
        let path = format!("/stepup/challenges/push/BIOMETRIC/{id}/approve");
        let forged = t.post(&path, None, json!({"signature": Device::new(99).sign(&format!("{id}:approve"))})).await;
        answers.push((forged.status, forged.body));
        if email == "later@example.com" {
            // The owner enrols a device afterwards; its genuine approval still approves nothing.
            let late = Device::new(6);
            let enrolled = t.post("/authentication_factors/push/BIOMETRIC", Some(&later), late.enrolment()).await;
            assert_eq!(enrolled.status, 200);
            let (path, signed) = answer(&late, &id, true);
            assert_eq!(t.post(&path, None, signed).await.status, 403);
            let token = r.body["pollToken"].as_str().unwrap();
            assert_eq!(poll(&t, &id, token).await.body, json!({"status": "PENDING"}));
        }
    }
    assert!(answers.iter().all(|a| a == &answers[0]), "{answers:?}");
    assert_eq!(answers[0].0, 403);
    let _ = device;
}

// ------------------------------------------------------------- the second review's findings

/// Finding 1: a challenge is taken once however many answers race, on DynamoDB too (whose
/// unconditional deletes may each return the item): an authenticator without a counter, whose
/// one assertion nothing else stops, logs in once; and the racing copies count nothing.
async fn racing_copies_of_a_counterless_assertion_log_in_once(b: Backend) {
    let t = Arc::new(app(b).await);
    let (_, access) = t.tokens("jane@example.com").await;
    let mut key = SoftAuthenticator::counterless();
    enrol(&t, &access, &mut key).await;
    for round in 0..3 {
        let (id, options) = login_options(&t, 1).await;
        let statuses = racing_logins(&t, &id, &key.get(SITE, &options).await, 12).await;
        assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "round {round}: {statuses:?}");
    }
    assert_eq!(t.login("jane@example.com", PASSWORD).await.status, 200, "the replays locked nobody out");
    // The port itself: of many takes of one ceremony at once, one gets it.
    for round in 0..5 {
        let ceremony = shared::model::Ceremony {
            id: format!("race-{round}"),
            kind: shared::model::CeremonyKind::Login,
            user_id: None,
            state: "{}".into(),
            created_at: t.app.now(),
            expires_at: t.app.now() + 300,
        };
        t.app.store.put_ceremony(&ceremony).await.unwrap();
        let takes = at_once(16, |_| {
            let (t, id) = (Arc::clone(&t), ceremony.id.clone());
            async move { t.app.store.take_ceremony(&id, shared::model::CeremonyKind::Login).await.unwrap().is_some() }
        })
        .await;
        assert_eq!(takes.iter().filter(|taken| **taken).count(), 1, "round {round}");
    }
}

/// Finding 2: a login by push asked before a lock is not approved during it, and the lock
/// stands: the device's approval answers 423, the poll hands nothing out, the password is
/// still refused.
async fn a_lock_stops_a_login_by_push_asked_before_it(b: Backend) {
    let t = TestApp::new(b).await;
    let device = with_device(&t, "jane@example.com").await;
    let r = t.post(PUSH_LOGIN, None, json!({"email": "jane@example.com"})).await;
    let (id, token) = (r.body["challengeId"].as_str().unwrap(), r.body["pollToken"].as_str().unwrap());
    for _ in 0..5 {
        t.login("jane@example.com", "wrong").await;
    }
    let (path, signed) = answer(&device, id, true);
    let approved = t.post(&path, None, signed).await;
    assert_eq!(approved.status, 423, "{}", approved.body);
    let polled = poll(&t, id, token).await;
    assert!(polled.body["token"].is_null(), "{}", polled.body);
    assert_eq!(t.login("jane@example.com", PASSWORD).await.status, 423, "the lock stands");
}

/// Finding 4: a login answer naming another kind of ceremony (a session's step-up, by its
/// predictable id) takes nothing: the owner's step-up still passes.
async fn a_login_cannot_spend_a_sessions_ceremony(b: Backend) {
    let t = app(b).await;
    let (_, access) = t.tokens("jane@example.com").await;
    let mut key = SoftAuthenticator::new();
    enrol(&t, &access, &mut key).await;
    let options = t.post(STEP_UP, Some(&access), json!({})).await.body;
    let sid = jwt_claims(&access)["sid"].as_str().unwrap().to_owned();
    let assertion = key.get(SITE, &options).await;
    for surface in [1, 2] {
        let r = passkey_login(&t, surface, &format!("StepUp#{sid}"), &assertion).await;
        assert_eq!(r.status, 403, "{}", r.body);
    }
    assert_eq!(t.post(STEP_UP_VERIFY, Some(&access), assertion).await.status, 204);
}

/// Finding 5: an enrolment goes on only with a claim it made itself, and gives back only that:
/// a claim held already (a racing enrolment of the same id, even of the same account) refuses
/// it and is left standing.
async fn an_enrolment_gives_back_only_its_own_claim(b: Backend) {
    let t = app(b).await;
    let (_, access) = t.tokens("jane@example.com").await;
    let mut key = SoftAuthenticator::new();
    let options = t.post(ENROL, Some(&access), json!({})).await.body;
    let credential = key.create(SITE, &options).await;
    let name = shared::app::passkeys::credential_name(credential["id"].as_str().unwrap());
    assert!(t.app.store.claim_passkey_name(&name, "jane@example.com").await.unwrap(), "a new claim");
    assert!(!t.app.store.claim_passkey_name(&name, "jane@example.com").await.unwrap(), "held by the same account");
    let r = t.post(ENROL_VERIFY, Some(&access), credential).await;
    assert_eq!((r.status, r.body["errorCode"].as_str()), (409, Some("PASSKEY_REJECTED")), "{}", r.body);
    let owner = t.app.store.passkey_owner(&name).await.unwrap();
    assert_eq!(owner.as_deref(), Some("jane@example.com"), "the other attempt's claim stands");
}

/// Finding 3, again: the time of a refusal depends on the credential (a registered one's key
/// type and backup flag are checked before its signature; an unknown one's decoy is ES256), so
/// every refused passkey login answers no sooner than the uniform floor: unknown, wrong, and
/// a registered credential presented with its backup-eligible flag flipped.
async fn refused_passkey_logins_answer_no_sooner_than_the_floor(b: Backend) {
    let t = app(b).await;
    let (_, access) = t.tokens("jane@example.com").await;
    let mut key = SoftAuthenticator::new();
    enrol(&t, &access, &mut key).await;
    let mut stranger = unenrolled(&t).await;
    for (case, surface) in [("unknown", 1), ("wrong", 2), ("flag flipped", 1)] {
        let (id, options) = login_options(&t, surface).await;
        let credential = match case {
            "unknown" => stranger.get(SITE, &options).await,
            "wrong" => {
                let mut c = key.get(SITE, &options).await;
                c["response"]["signature"] = json!("AAAA");
                c
            }
            _ => {
                let mut c = key.get(SITE, &options).await;
                let data = c["response"]["authenticatorData"].as_str().unwrap();
                let mut data = shared::crypto::b64url_decode(data).unwrap();
                data[32] ^= 0x08;
                c["response"]["authenticatorData"] = json!(shared::crypto::b64url(&data));
                c
            }
        };
        let started = std::time::Instant::now();
        let r = passkey_login(&t, surface, &id, &credential).await;
        assert_eq!(r.status, 403, "{case}: {}", r.body);
        assert!(started.elapsed() >= shared::app::mailbox::UNIFORM_ANSWER, "{case} answered early");
    }
    // A success is not held back.
    assert_eq!(login_with(&t, 1, &mut key).await.status, 200);
}

/// The second review's N1: a lock written after a login by push was approved stands (the
/// approval's session does not clear the counter), and the poll then refuses.
async fn a_lock_after_the_approval_stands(b: Backend) {
    let t = TestApp::new(b).await;
    let device = with_device(&t, "jane@example.com").await;
    let r = t.post(PUSH_LOGIN, None, json!({"email": "jane@example.com"})).await;
    let (id, token) = (r.body["challengeId"].as_str().unwrap(), r.body["pollToken"].as_str().unwrap());
    for _ in 0..4 {
        t.login("jane@example.com", "wrong").await;
    }
    let (path, signed) = answer(&device, id, true);
    assert_eq!(t.post(&path, None, signed).await.status, 204);
    assert_eq!(t.login("jane@example.com", "wrong").await.status, 423, "the fifth failure locks");
    let polled = poll(&t, id, token).await;
    assert_eq!(polled.status, 423, "{}", polled.body);
    assert!(polled.body["token"].is_null());
    assert_eq!(t.login("jane@example.com", PASSWORD).await.status, 423, "the lock stands");
}

on_both_stores!(
    refused_passkey_logins_answer_no_sooner_than_the_floor,
    a_lock_after_the_approval_stands,
    racing_copies_of_a_counterless_assertion_log_in_once,
    a_lock_stops_a_login_by_push_asked_before_it,
    a_login_cannot_spend_a_sessions_ceremony,
    an_enrolment_gives_back_only_its_own_claim,
    a_passkey_is_enrolled_steps_up_and_logs_in_on_both_surfaces,
    more_passkeys_need_a_step_up_and_each_is_removable,
    another_origin_rp_id_or_no_user_verification_is_refused,
    replayed_challenges_and_assertions_are_refused_and_counted,
    a_counter_turned_back_is_refused,
    another_accounts_credential_proves_nothing,
    unknown_credentials_answer_like_wrong_ones,
    concurrent_answers_to_one_challenge_pass_once,
    challenges_expire_after_five_minutes,
    a_blocked_account_cannot_log_in_with_its_passkey,
    a_login_by_push_is_approved_on_the_device_and_claimed_once,
    rejected_and_expired_logins_by_push_log_nobody_in,
    any_address_gets_a_challenge_and_only_owners_get_a_push,
    locked_accounts_are_refused_and_pushes_are_budgeted,
    remove_factors_removes_passkeys,
    a_credential_id_belongs_to_one_account,
    ending_every_login_ends_an_uncollected_push_login,
    decoy_push_logins_answer_like_wrong_signatures,
);
