//! Every check that spends a lockout attempt, attacked on both stores: each path's failures
//! reach the lockout and the trail by the same road (the failure's event naming the path, and
//! `ACCOUNT_LOCKED` once, from the failure that locked); right passwords arriving all at once
//! never lock the account; a password change needs no quiet moment, however many logins with
//! the old password race it, and none of them outlives it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use integration_tests::passkey::{ORIGINS, RP_ID, SoftAuthenticator};
use integration_tests::{Backend, PASSWORD, TestApp, at_once, on_both_stores};
use lambda_http::http::Method;
use serde_json::{Value, json};
use shared::app::lockout::Check;

const EMAIL: &str = "jane@example.com";
const EVIL: &str = "https://evil.example.com";
/// Below the default, so that one login's share of the TOTP budget (a third of ten checks)
/// reaches it: a login with the password clears the counter, so a lock by TOTP codes must come
/// from one login.
const THRESHOLD: usize = 3;

async fn app(b: Backend) -> TestApp {
    TestApp::with_config(b, |c| {
        c.webauthn_rp_id = RP_ID.to_owned();
        c.webauthn_origins = ORIGINS.iter().map(|o| o.to_string()).collect();
        c.lockout_threshold = THRESHOLD as u32;
    })
    .await
}

async fn enrol_passkey(t: &TestApp, access: &str) -> SoftAuthenticator {
    let mut key = SoftAuthenticator::new();
    let options = t.post("/authentication_factors/passkey", Some(access), json!({})).await.body;
    let credential = key.create(ORIGINS[0], &options).await;
    assert_eq!(t.post("/authentication_factors/passkey/verify", Some(access), credential).await.status, 204);
    key
}

/// Makes the account ready for `check`'s path, then tries it `THRESHOLD` times with a wrong secret;
/// returns the statuses. The match is exhaustive: a new path that spends lockout attempts
/// cannot be added without its attack here.
async fn wrong_until_locked(t: &TestApp, access: &str, id_token: &str, check: Check) -> Vec<u16> {
    let mut statuses = Vec::new();
    match check {
        Check::LoginPassword => {
            for i in 0..THRESHOLD {
                let r = if i % 2 == 0 {
                    t.login(EMAIL, "not the password").await
                } else {
                    t.id_login(EMAIL, "not the password").await
                };
                statuses.push(r.status);
            }
        }
        Check::PasswordUpdate => {
            for _ in 0..THRESHOLD {
                let body = json!({"oldPassword": {"value": "not the password"}, "newPassword": {"value": "violet tugboat harmonica 42"}});
                statuses.push(t.post("/passwords/update", Some(access), body).await.status);
            }
        }
        Check::StepUpCode => {
            integration_tests::enrol_sms(t, access).await;
            t.clock.advance(shared::otp::RESEND_COOLDOWN_SECS + 1);
            assert_eq!(t.post("/stepup/challenges/otp/SMS", Some(access), json!({})).await.status, 204);
            for _ in 0..THRESHOLD {
                let body = json!({"verificationCode": "000000"});
                statuses.push(t.post("/stepup/challenges/otp/SMS/verify", Some(access), body).await.status);
            }
        }
        Check::EnrolmentCode => {
            assert_eq!(t.post("/authentication_factors/otp/SMS", Some(access), json!({})).await.status, 204);
            for _ in 0..THRESHOLD {
                let body = json!({"verificationCode": "000000"});
                statuses.push(t.post("/authentication_factors/otp/SMS/verify", Some(access), body).await.status);
            }
        }
        Check::StepUpPasskey => {
            let mut key = enrol_passkey(t, access).await;
            for _ in 0..THRESHOLD {
                let options = t.post("/stepup/challenges/passkey", Some(access), json!({})).await.body;
                let assertion = key.get(EVIL, &options).await;
                statuses.push(t.post("/stepup/challenges/passkey/verify", Some(access), assertion).await.status);
            }
        }
        Check::LoginPasskey => {
            let mut key = enrol_passkey(t, access).await;
            for i in 0..THRESHOLD {
                let (options, login) = if i % 2 == 0 {
                    ("/login_with_passkey/options", "/login_with_passkey")
                } else {
                    ("/auth/login/passkey/options", "/auth/login/passkey")
                };
                let r = t.post(options, None, json!({})).await.body;
                let assertion = key.get(EVIL, &json!({ "publicKey": r["publicKey"] })).await;
                let body = json!({ "challengeId": r["challengeId"], "credential": assertion });
                statuses.push(t.post(login, None, body).await.status);
            }
        }
        Check::OtpCode => {
            // The e-mail validated as the account's one method: an x-otp is then an e-mailed code.
            assert_eq!(t.get("/auth/otp/code?method=EMAIL", Some(id_token)).await.status, 200);
            let body = Some(json!({"channel": "EMAIL"}));
            assert_eq!(t.with_otp(Method::POST, "/auth/otp/code", id_token, "123456", body).await.status, 200);
            t.clock.advance(shared::otp::RESEND_COOLDOWN_SECS + 1);
            assert_eq!(t.get("/auth/otp/code?method=EMAIL", Some(id_token)).await.status, 200);
            for _ in 0..THRESHOLD {
                let r = t.with_otp(Method::POST, "/auth/otp/methods/totp", id_token, "000000", Some(json!({}))).await;
                statuses.push(r.status);
            }
        }
        Check::Totp => {
            let secret = t.add_totp(id_token).await;
            let code = t.totp_code(&secret, 0);
            let body = Some(json!({"channel": "TOTP"}));
            assert_eq!(t.with_otp(Method::POST, "/auth/otp/code", id_token, &code, body).await.status, 200);
            for _ in 0..THRESHOLD {
                let r = t.with_otp(Method::DELETE, "/auth/otp/methods/totp", id_token, "000000", None).await;
                statuses.push(r.status);
            }
        }
        Check::StepUpRecoveryCode => {
            integration_tests::enrol_sms(t, access).await;
            integration_tests::step_up_by_sms(t, access).await;
            integration_tests::generate_recovery_codes(t, access).await;
            for _ in 0..THRESHOLD {
                let body = json!({"verificationCode": "aaaaa-aaaaa"});
                statuses.push(t.post("/stepup/challenges/recovery_code/verify", Some(access), body).await.status);
            }
        }
    }
    statuses
}

async fn every_path_that_spends_attempts_records_its_failures_and_the_lock(b: Backend) {
    for check in Check::ALL {
        let t = app(b).await;
        let (_, access) = t.tokens(EMAIL).await;
        let (id_token, _) = t.id_login_tokens(EMAIL).await;
        let statuses = wrong_until_locked(&t, &access, &id_token, check).await;
        assert!(statuses[..THRESHOLD - 1].iter().all(|s| *s != 423), "{check:?}: {statuses:?}");
        assert_eq!(statuses[THRESHOLD - 1], 423, "{check:?}: the last failure locks: {statuses:?}");
        assert_eq!(t.login(EMAIL, PASSWORD).await.status, 423, "{check:?}: locked for everyone");
        let events =
            t.get("/security_events?limit=100", Some(&access)).await.body["events"].as_array().unwrap().clone();
        let named =
            |kind: &str| events.iter().filter(|e| e["type"] == kind && e["details"]["check"] == check.name()).count();
        let failure = check.failure().name();
        assert_eq!(named(&failure), THRESHOLD, "{check:?}: every {failure} naming the path: {events:?}");
        assert_eq!(named("ACCOUNT_LOCKED"), 1, "{check:?}: one ACCOUNT_LOCKED naming the path: {events:?}");
    }
}

/// Only the lockout module reserves attempts or writes the counter: no use case can spend an
/// attempt without its failure being recorded.
#[test]
fn no_use_case_writes_the_failed_attempt_counter_but_the_lockout() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/src/app");
    let mut paths: Vec<std::path::PathBuf> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    // A context of its own directory (`app/oidc/`) is read too.
    while let Some(i) = paths.iter().position(|p| p.is_dir()) {
        let sub = paths.remove(i);
        paths.extend(std::fs::read_dir(sub).unwrap().map(|e| e.unwrap().path()));
    }
    for path in paths {
        if path.file_name().is_some_and(|n| n == "lockout.rs") {
            continue;
        }
        let code = std::fs::read_to_string(&path).unwrap();
        for word in ["save_lockout(", "lockout::reserve(", ".reserve(", "policy.failed("] {
            assert!(!code.contains(word), "{} calls {word}: attempts go through lockout::attempt", path.display());
        }
    }
}

/// Twenty right passwords at once, on both surfaces: all log in, and the account is not locked.
async fn right_passwords_all_at_once_never_lock_the_account(b: Backend) {
    let t = Arc::new(app(b).await);
    t.register(EMAIL).await;
    let statuses = at_once(20, |i| {
        let t = Arc::clone(&t);
        async move {
            if i % 2 == 0 { t.login(EMAIL, PASSWORD).await.status } else { t.id_login(EMAIL, PASSWORD).await.status }
        }
    })
    .await;
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    assert_eq!(t.login(EMAIL, PASSWORD).await.status, 200);
    let (_, stored) = t.app.store.load_login(EMAIL, t.clock_now()).await.unwrap();
    assert!(!stored.state.is_locked(t.clock_now()));
}

/// A stream of right logins with the old password does not hold a password change back, and no
/// login they opened (either surface) outlives it.
async fn a_password_change_needs_no_quiet_moment_and_no_racing_login_outlives_it(b: Backend) {
    let t = Arc::new(app(b).await);
    let (_, access) = t.tokens(EMAIL).await;
    let change = {
        let t = Arc::clone(&t);
        tokio::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_millis(30)).await;
            let body =
                json!({"oldPassword": {"value": PASSWORD}, "newPassword": {"value": "violet tugboat harmonica 42"}});
            t.post("/passwords/update", Some(&access), body).await
        })
    };
    let logins: Vec<Value> = at_once(24, |i| {
        let t = Arc::clone(&t);
        async move {
            tokio::time::sleep(std::time::Duration::from_millis(5 * (i as u64 % 12))).await;
            let r = if i % 2 == 0 { t.login(EMAIL, PASSWORD).await } else { t.id_login(EMAIL, PASSWORD).await };
            json!({"status": r.status, "body": r.body})
        }
    })
    .await;
    let changed = change.await.unwrap();
    assert_eq!(changed.status, 200, "{}", changed.body);
    for login in logins.iter().filter(|l| l["status"] == 200) {
        let body = &login["body"];
        let dead = match (body["token"].as_str(), body["idToken"].as_str()) {
            (Some(auth), _) => t.get("/identities", Some(auth)).await.status == 401,
            (_, Some(id)) => t.get("/auth/me", Some(id)).await.status == 403,
            _ => panic!("{body}"),
        };
        assert!(dead, "a login with the old password outlived the change: {body}");
    }
    assert!(logins.iter().all(|l| l["status"] == 200 || l["status"] == 401 || l["status"] == 403), "{logins:?}");
}

/// A holder of the password asks for step-up codes from login after login: one login spends at
/// most a third of the account's SMS ceiling, logins that proved nothing beyond the password at
/// most two thirds together, and the rest stays for the owner's proven login (here the one the
/// reset opens, which also ends the holder's logins).
async fn logins_share_the_accounts_sms_budget_and_a_proven_login_keeps_a_reserve(b: Backend) {
    let t = TestApp::with_config(b, |c| {
        c.rate_limit.sms_per_account_per_day = 6;
        c.rate_limit.sms_per_phone_per_hour = 100;
    })
    .await;
    let (_, owner) = t.tokens(EMAIL).await;
    // The owner's SMS factor, anchored to the mailbox (so the reset keeps it): one SMS.
    assert_eq!(t.post("/users/verification/email/send", None, json!({ "email": EMAIL })).await.status, 204);
    let verify = json!({"email": EMAIL, "verificationCode": "123456"});
    assert_eq!(t.post("/users/verification/email/verify", None, verify).await.status, 204);
    assert_eq!(t.post("/stepup/challenges/otp/EMAIL", Some(&owner), json!({})).await.status, 204);
    let step = json!({"verificationCode": "123456"});
    assert_eq!(t.post("/stepup/challenges/otp/EMAIL/verify", Some(&owner), step).await.status, 204);
    integration_tests::enrol_sms(&t, &owner).await;
    let ask = |access: String| {
        let t = &t;
        async move {
            let status = t.post("/stepup/challenges/otp/SMS", Some(&access), json!({})).await.status;
            t.clock.advance(shared::otp::RESEND_COOLDOWN_SECS + 1);
            status
        }
    };
    // Ceiling 6: a share of 3 per login, 5 for unproven logins together (the owner's enrolment
    // spent one), a reserve of 1.
    let (_, a1) = t.session_tokens(EMAIL).await;
    let mut one_login = Vec::new();
    for _ in 0..4 {
        one_login.push(ask(a1.clone()).await);
    }
    assert_eq!(one_login, [204, 204, 204, 429], "one login spends at most its share");
    let (_, a2) = t.session_tokens(EMAIL).await;
    let (_, a3) = t.session_tokens(EMAIL).await;
    let more = [ask(a2.clone()).await, ask(a2).await, ask(a3).await];
    assert_eq!(more, [204, 429, 429], "unproven logins together stop short of the reserve");
    // The owner proves the mailbox: the reset's login is proven, and steps up by SMS.
    assert_eq!(t.post("/passwords/lost_password/start", None, json!({ "email": EMAIL })).await.status, 204);
    let reset = json!({"email": EMAIL, "nonce": "123456", "newPassword": {"value": "violet tugboat harmonica 42"}});
    let r = t.post("/passwords/lost_password/resume", None, reset).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let owner = t.access_token(r.body["token"].as_str().unwrap()).await;
    assert_eq!(ask(owner.clone()).await, 204, "the reserve is the proven login's");
    let verified =
        t.post("/stepup/challenges/otp/SMS/verify", Some(&owner), json!({"verificationCode": "123456"})).await;
    assert_eq!(verified.status, 204, "{}", verified.body);
}

/// Attempts that neither fail nor succeed give their place back: right passwords of a blocked
/// account (403), and wrong ones whose requests are cancelled mid-check (their connections
/// closed before the answer), on either surface. Neither leaves the owner waiting for room.
async fn attempts_that_end_unsettled_give_their_place_back(b: Backend) {
    let t = TestApp::with_config(b, |c| c.admin_local = true).await;
    t.register(EMAIL).await;
    let block = |action: &'static str| {
        let t = &t;
        async move { t.post(&format!("/_admin/{action}"), None, json!({ "email": EMAIL })).await.status }
    };
    assert_eq!(block("block").await, 200);
    for i in 0..6 {
        let r = if i % 2 == 0 { t.login(EMAIL, PASSWORD).await } else { t.id_login(EMAIL, PASSWORD).await };
        assert_eq!(r.status, 403, "blocked, told only after the right password: {}", r.body);
    }
    assert_eq!(block("unblock").await, 200);
    assert_eq!(t.login(EMAIL, PASSWORD).await.status, 200, "no place was kept by the refused logins");

    let addr = t.serve().await;
    let wrong = json!({"email": EMAIL, "password": {"value": "a wrong guess"}});
    let request = integration_tests::raw_request("POST", "/login_with_password", None, Some(&wrong));
    tokio::task::spawn_blocking(move || {
        use std::io::Write;
        let mut streams: Vec<std::net::TcpStream> =
            (0..5).map(|_| std::net::TcpStream::connect(addr).unwrap()).collect();
        for s in &mut streams {
            s.write_all(request.as_bytes()).unwrap();
        }
        // Closed while their passwords are being checked.
        std::thread::sleep(std::time::Duration::from_millis(5));
        drop(streams);
    })
    .await
    .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    let owner = t.login(EMAIL, PASSWORD).await;
    assert_eq!(owner.status, 200, "{}", owner.body);
    assert_eq!(t.id_login(EMAIL, PASSWORD).await.status, 200);
}

/// One `x-otp` is one check, whatever it is compared with: with TOTP validated and an SMS
/// code pending, each wrong `x-otp` records one failure and spends one attempt.
async fn one_x_otp_is_one_check_however_many_methods_it_is_compared_with(b: Backend) {
    let t = app(b).await;
    let (_, access) = t.tokens(EMAIL).await;
    let (id_token, _) = t.id_login_tokens(EMAIL).await;
    // The phone validated first (the account's first factor), then TOTP on proof of it.
    assert_eq!(t.get("/auth/otp/code?method=SMS", Some(&id_token)).await.status, 200);
    let body = Some(json!({"channel": "SMS"}));
    assert_eq!(t.with_otp(Method::POST, "/auth/otp/code", &id_token, "123456", body).await.status, 200);
    t.clock.advance(shared::otp::RESEND_COOLDOWN_SECS + 1);
    assert_eq!(t.get("/auth/otp/code?method=SMS", Some(&id_token)).await.status, 200);
    let r = t.with_otp(Method::POST, "/auth/otp/methods/totp", &id_token, "123456", Some(json!({}))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let secret =
        totp_rs::Secret::try_from_base32(r.body["totp"]["secret"].as_str().unwrap()).unwrap().as_ref().to_vec();
    let code = t.totp_code(&secret, 0);
    let body = Some(json!({"channel": "TOTP"}));
    assert_eq!(t.with_otp(Method::POST, "/auth/otp/code", &id_token, &code, body).await.status, 200);
    // An SMS code pending, then two wrong x-otp: each compared with TOTP and with the SMS code.
    t.clock.advance(shared::otp::RESEND_COOLDOWN_SECS + 1);
    let right = t.totp_code(&secret, 0);
    let wrong = if right == "000111" { "000222" } else { "000111" };
    assert_eq!(t.with_otp(Method::GET, "/auth/otp/code?method=SMS", &id_token, &right, None).await.status, 200);
    for _ in 0..2 {
        let r = t.with_otp(Method::GET, "/auth/otp/code?method=EMAIL", &id_token, wrong, None).await;
        assert_eq!(r.status, 403, "{}", r.body);
    }
    let (_, stored) = t.app.store.load_login(EMAIL, t.clock_now()).await.unwrap();
    assert_eq!(stored.state.failures, 2, "two guesses, two failures: {stored:?}");
    let events = t.get("/security_events?limit=100", Some(&access)).await.body["events"].as_array().unwrap().clone();
    let failures: Vec<&Value> = events.iter().filter(|e| e["type"] == "VERIFICATION_FAILED").collect();
    assert_eq!(failures.len(), 2, "{failures:?}");
    assert!(
        failures
            .iter()
            .all(|e| e["details"]["check"] == "OTP_CODE" && e["details"]["methods"] == json!(["TOTP", "SMS"])),
        "{failures:?}"
    );
}

/// A session's login is listed before its revocation, however the login's write was retried.
async fn a_login_is_listed_before_its_own_revocation(b: Backend) {
    let t = Arc::new(TestApp::with_config(b, |c| c.admin_local = true).await);
    let (_, access) = t.tokens(EMAIL).await;
    let block = {
        let t = Arc::clone(&t);
        tokio::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            t.post("/_admin/block", None, json!({ "email": EMAIL })).await.status
        })
    };
    at_once(16, |i| {
        let t = Arc::clone(&t);
        async move {
            tokio::time::sleep(std::time::Duration::from_millis(3 * (i as u64))).await;
            t.login(EMAIL, PASSWORD).await.status
        }
    })
    .await;
    assert_eq!(block.await.unwrap(), 200);
    let events =
        t.app.store.list_events(&t.app.store.get_user(EMAIL).await.unwrap().unwrap().user_id, None, 200).await.unwrap();
    let _ = access;
    // Newest first: a session's revocation comes before (newer than) its login.
    for (i, e) in events.iter().enumerate() {
        if e.kind == shared::domain::events::EventType::LoginSucceeded {
            let revoked_earlier = events[i..]
                .iter()
                .any(|r| r.kind == shared::domain::events::EventType::SessionRevoked && r.session_id == e.session_id);
            assert!(!revoked_earlier, "a login listed after its own revocation: {:?}", e.session_id);
        }
    }
}

/// A factor planted with the password alone proves nothing for the budgets: the sessions it
/// steps up spend as unproven ones (a share, and never the reserve), so the owner's reset
/// session still finds the reserve.
async fn a_step_up_by_a_planted_factor_does_not_spend_the_reserve(b: Backend) {
    let t = TestApp::new(b).await;
    t.register(EMAIL).await;
    let (_, attacker) = t.session_tokens(EMAIL).await;
    let device = integration_tests::Device::new(51);
    assert_eq!(t.post("/authentication_factors/push/BIOMETRIC", Some(&attacker), device.enrolment()).await.status, 200);
    // Five pushes per account: an unproven login's share is three, all unproven ones four.
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let r = t.post("/stepup/challenges/push/BIOMETRIC", Some(&attacker), json!({})).await;
        statuses.push(r.status);
        if r.status == 200 {
            let id = r.body["id"].as_str().unwrap();
            let approve = format!("/stepup/challenges/push/BIOMETRIC/{id}/approve");
            t.post(&approve, None, json!({"signature": device.sign(&format!("{id}:approve"))})).await;
        }
    }
    assert_eq!(statuses, [200, 200, 200, 429], "stepped up by a planted device, still unproven");
    // The owner resets; the reset's session enrols the owner's device and steps up with it.
    assert_eq!(t.post("/passwords/lost_password/start", None, json!({ "email": EMAIL })).await.status, 204);
    let reset = json!({"email": EMAIL, "nonce": "123456", "newPassword": {"value": "violet tugboat harmonica 42"}});
    let r = t.post("/passwords/lost_password/resume", None, reset).await;
    let owner = t.access_token(r.body["token"].as_str().unwrap()).await;
    let mine = integration_tests::Device::new(52);
    assert_eq!(t.post("/authentication_factors/push/BIOMETRIC", Some(&owner), mine.enrolment()).await.status, 200);
    assert_eq!(t.post("/stepup/challenges/push/BIOMETRIC", Some(&owner), json!({})).await.status, 200);
}

/// A surface-2 login by an anchored passkey is proven: it spends the reserve the password's
/// logins cannot.
async fn a_surface_2_login_by_an_anchored_passkey_spends_as_proven(b: Backend) {
    let t = TestApp::with_config(b, |c| {
        c.webauthn_rp_id = RP_ID.to_owned();
        c.webauthn_origins = ORIGINS.iter().map(|o| o.to_string()).collect();
        c.rate_limit.sms_per_account_per_day = 4;
        c.rate_limit.sms_per_phone_per_hour = 100;
    })
    .await;
    let (_, access) = t.tokens(EMAIL).await;
    // The e-mail verified; the phone validated on its proof (one SMS); a passkey enrolled under
    // a step-up by that phone (one SMS): all anchored.
    assert_eq!(t.post("/users/verification/email/send", None, json!({ "email": EMAIL })).await.status, 204);
    let verify = json!({"email": EMAIL, "verificationCode": "123456"});
    assert_eq!(t.post("/users/verification/email/verify", None, verify).await.status, 204);
    let (id_token, _) = t.id_login_tokens(EMAIL).await;
    assert_eq!(t.get("/auth/otp/code?method=EMAIL", Some(&id_token)).await.status, 200);
    assert_eq!(t.with_otp(Method::GET, "/auth/otp/code?method=SMS", &id_token, "123456", None).await.status, 200);
    let body = Some(json!({"channel": "SMS"}));
    assert_eq!(t.with_otp(Method::POST, "/auth/otp/code", &id_token, "123456", body).await.status, 200);
    t.clock.advance(shared::otp::RESEND_COOLDOWN_SECS + 1);
    assert_eq!(t.post("/stepup/challenges/otp/SMS", Some(&access), json!({})).await.status, 204);
    let step = json!({"verificationCode": "123456"});
    assert_eq!(t.post("/stepup/challenges/otp/SMS/verify", Some(&access), step).await.status, 204);
    let mut key = enrol_passkey(&t, &access).await;
    // Four SMS a day: two spent, the unproven logins' part (three) leaves one more for them.
    t.clock.advance(shared::otp::RESEND_COOLDOWN_SECS + 1);
    let (stranger, _) = t.id_login_tokens(EMAIL).await;
    assert_eq!(t.get("/auth/otp/code?method=SMS", Some(&stranger)).await.status, 200);
    t.clock.advance(shared::otp::RESEND_COOLDOWN_SECS + 1);
    let (again, _) = t.id_login_tokens(EMAIL).await;
    assert_eq!(t.get("/auth/otp/code?method=SMS", Some(&again)).await.status, 429, "the reserve is not theirs");
    // The owner's surface-2 login by the anchored passkey gets the last one.
    let r = t.post("/auth/login/passkey/options", None, json!({})).await.body;
    let assertion = key.get(ORIGINS[0], &json!({ "publicKey": r["publicKey"] })).await;
    let login =
        t.post("/auth/login/passkey", None, json!({ "challengeId": r["challengeId"], "credential": assertion })).await;
    assert_eq!(login.status, 200, "{}", login.body);
    let owner = login.body["idToken"].as_str().unwrap();
    assert_eq!(t.get("/auth/otp/code?method=SMS", Some(owner)).await.status, 200);
}

on_both_stores!(
    a_step_up_by_a_planted_factor_does_not_spend_the_reserve,
    a_surface_2_login_by_an_anchored_passkey_spends_as_proven,
    attempts_that_end_unsettled_give_their_place_back,
    one_x_otp_is_one_check_however_many_methods_it_is_compared_with,
    a_login_is_listed_before_its_own_revocation,
    logins_share_the_accounts_sms_budget_and_a_proven_login_keeps_a_reserve,
    every_path_that_spends_attempts_records_its_failures_and_the_lock,
    right_passwords_all_at_once_never_lock_the_account,
    a_password_change_needs_no_quiet_moment_and_no_racing_login_outlives_it,
);
