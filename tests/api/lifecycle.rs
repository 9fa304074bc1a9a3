//! The rest of the account lifecycle (issue 13), attacked on both stores: the reset of a
//! forgotten password, the e-mail verified, the validation of a password, refresh-token
//! rotation with reuse detection, the account's logins listed and ended from either surface,
//! and the operator's actions.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use integration_tests::{Backend, Device, PASSWORD, TestApp, burst, on_both_stores, raw_request, step_up_by_push};
use serde_json::{Value, json};

const NEW: &str = "violet tugboat harmonica 42";
const START: &str = "/passwords/lost_password/start";
const RESUME: &str = "/passwords/lost_password/resume";
const SEND: &str = "/users/verification/email/send";
const VERIFY: &str = "/users/verification/email/verify";
const REFRESH: &str = "/auth/login/refresh";

fn resume(email: &str, nonce: &str, password: &str) -> Value {
    json!({"email": email, "nonce": nonce, "newPassword": {"value": password}})
}

fn refresh(token: &str) -> Value {
    json!({ "refreshToken": token })
}

fn s(v: &Value, field: &str) -> String {
    v[field].as_str().unwrap_or_else(|| panic!("no {field} in {v}")).to_owned()
}

/// The refresh family (a login's id) of a refresh token.
fn family_of(refresh_token: &str) -> String {
    refresh_token.splitn(3, '.').take(2).collect::<Vec<_>>().join(".")
}

// ------------------------------------------------------------------ lost password

async fn a_forgotten_password_is_reset_through_the_mailbox(b: Backend) {
    let t = TestApp::new(b).await;
    let (auth, access) = t.tokens("jane@example.com").await;
    let (id_token, refresh_token) = t.id_login_tokens("jane@example.com").await;
    // A push factor enrolled with proof of the mailbox (the e-mail verified, a step-up by it),
    // which the reset must keep.
    assert_eq!(t.post(SEND, None, json!({"email": "jane@example.com"})).await.status, 204);
    let verified = t.post(VERIFY, None, json!({"email": "jane@example.com", "verificationCode": "123456"})).await;
    assert_eq!(verified.status, 204, "{}", verified.body);
    assert_eq!(t.post("/stepup/challenges/otp/EMAIL", Some(&access), json!({})).await.status, 204);
    let step =
        t.post("/stepup/challenges/otp/EMAIL/verify", Some(&access), json!({"verificationCode": "123456"})).await;
    assert_eq!(step.status, 204, "{}", step.body);
    t.clock.advance(shared::otp::RESEND_COOLDOWN_SECS + 1);
    let device = Device::new(9);
    assert_eq!(t.post("/authentication_factors/push/BIOMETRIC", Some(&access), device.enrolment()).await.status, 200);
    assert_eq!(t.post(START, None, json!({"email": "jane@example.com"})).await.status, 204);
    let mail = t.email.sent().into_iter().rfind(|m| m.subject == "Reset your password").expect("a reset e-mail");
    assert_eq!(mail.to, "jane@example.com");
    assert!(mail.body.contains("123456"), "the sandbox nonce");

    let r = t.post(RESUME, None, resume("jane@example.com", "123456", NEW)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["tokenType"], "AUTH");
    assert!(r.body["identity"]["id"].is_string() && r.body["credentials"]["type"] == "ROOT", "{}", r.body);
    let fresh = s(&r.body, "token");
    assert_eq!(t.get("/identities", Some(&fresh)).await.status, 200, "the answer's token works");
    // Every earlier login ended, on both surfaces; the old password is gone, the new one works.
    assert_eq!(t.get("/identities", Some(&auth)).await.status, 401);
    assert_eq!(t.get("/authentication_factors", Some(&access)).await.status, 401);
    assert_eq!(t.get("/auth/me", Some(&id_token)).await.status, 403);
    assert_eq!(t.post(REFRESH, None, refresh(&refresh_token)).await.status, 403);
    assert_eq!(t.login("jane@example.com", PASSWORD).await.status, 403);
    let access = t.access_token(&s(&t.login("jane@example.com", NEW).await.body, "token")).await;
    // The factors are unchanged: a reset never removes a factor anchored to the mailbox.
    let factors = t.get("/authentication_factors", Some(&access)).await.body;
    assert!(factors.to_string().contains("BIOMETRIC"), "{factors}");
    // The nonce is single-use.
    let again = t.post(RESUME, None, resume("jane@example.com", "123456", "another long passphrase")).await;
    assert_eq!((again.status, again.body["errorCode"].as_str()), (409, Some("NONCE_INVALID")));
    // The owner heard of it: a notice by e-mail, and on the device.
    assert!(t.email.sent().iter().any(|m| m.subject == "Security notice" && m.body.contains("reset")));
}

async fn wrong_used_and_expired_nonces_are_refused_and_five_wrong_tries_kill_one(b: Backend) {
    let t = TestApp::new(b).await;
    t.register("jane@example.com").await;
    let refused = |r: &integration_tests::Reply| (r.status, r.body["errorCode"].as_str().map(str::to_owned));
    let nonce_invalid = (409, Some("NONCE_INVALID".to_owned()));
    // Nothing started: refused.
    assert_eq!(refused(&t.post(RESUME, None, resume("jane@example.com", "123456", NEW)).await), nonce_invalid);
    // An unknown address answers exactly as a wrong nonce does.
    assert_eq!(refused(&t.post(RESUME, None, resume("nobody@example.com", "123456", NEW)).await), nonce_invalid);
    assert_eq!(t.post(START, None, json!({"email": "jane@example.com"})).await.status, 204);
    for _ in 0..5 {
        assert_eq!(refused(&t.post(RESUME, None, resume("jane@example.com", "654321", NEW)).await), nonce_invalid);
    }
    // Dead after five wrong tries, even with the right nonce.
    assert_eq!(refused(&t.post(RESUME, None, resume("jane@example.com", "123456", NEW)).await), nonce_invalid);
    // A fresh one expires after 10 minutes.
    t.clock.advance(shared::otp::RESEND_COOLDOWN_SECS + 1);
    assert_eq!(t.post(START, None, json!({"email": "jane@example.com"})).await.status, 204);
    t.clock.advance(shared::otp::NONCE_TTL_SECS);
    assert_eq!(refused(&t.post(RESUME, None, resume("jane@example.com", "123456", NEW)).await), nonce_invalid);
    assert_eq!(t.login("jane@example.com", PASSWORD).await.status, 200, "the password never changed");
}

async fn the_password_policy_and_history_apply_without_spending_the_nonce(b: Backend) {
    let t = TestApp::new(b).await;
    t.register("jane@example.com").await;
    assert_eq!(t.post(START, None, json!({"email": "jane@example.com"})).await.status, 204);
    for (password, code) in
        [("short", "PASSWORD_TOO_SHORT"), ("aaaaaaaaaaaa", "PASSWORD_TOO_SIMPLE"), (PASSWORD, "PASSWORD_ALREADY_USED")]
    {
        let r = t.post(RESUME, None, resume("jane@example.com", "123456", password)).await;
        assert_eq!((r.status, r.body["errorCode"].as_str()), (409, Some(code)), "{password}");
    }
    // The nonce still works: a weak password spent no try, a reused one one try each.
    assert_eq!(t.post(RESUME, None, resume("jane@example.com", "123456", NEW)).await.status, 200);
}

async fn the_reset_is_the_way_out_of_a_lock(b: Backend) {
    let t = TestApp::new(b).await;
    t.register("jane@example.com").await;
    for _ in 0..5 {
        t.login("jane@example.com", "guessing").await;
    }
    assert_eq!(t.login("jane@example.com", PASSWORD).await.status, 423, "locked by a stranger's guesses");
    // Starting and resuming answer as for any account: the lock does not show, nor stop them.
    assert_eq!(t.post(START, None, json!({"email": "jane@example.com"})).await.status, 204);
    let wrong = t.post(RESUME, None, resume("jane@example.com", "654321", NEW)).await;
    assert_eq!(wrong.status, 409, "a wrong nonce is a 409 while locked, not a 423: {}", wrong.body);
    assert_eq!(t.post(RESUME, None, resume("jane@example.com", "123456", NEW)).await.status, 200);
    assert_eq!(t.login("jane@example.com", NEW).await.status, 200, "the reset cleared the lock");
    assert_eq!(t.id_login("jane@example.com", NEW).await.status, 200);
}

async fn a_blocked_account_is_not_reset(b: Backend) {
    let t = TestApp::new(b).await;
    t.register("jane@example.com").await;
    shared::app::accounts::set_blocked(&t.app, "jane@example.com", true).await.unwrap();
    let mails = t.email.sent().len();
    assert_eq!(t.post(START, None, json!({"email": "jane@example.com"})).await.status, 204);
    assert_eq!(t.email.sent().len(), mails, "nothing is mailed for a blocked account");
    let r = t.post(RESUME, None, resume("jane@example.com", "123456", NEW)).await;
    assert_eq!((r.status, r.body["errorCode"].as_str()), (409, Some("NONCE_INVALID")));
}

/// Only one of many concurrent resumes with the right nonce changes the password.
async fn concurrent_resumes_with_one_nonce_reset_once(b: Backend) {
    let t = TestApp::new(b).await;
    t.register("jane@example.com").await;
    let addr = t.serve().await;
    assert_eq!(t.post(START, None, json!({"email": "jane@example.com"})).await.status, 204);
    let requests: Vec<String> = (0..6)
        .map(|i| raw_request("POST", RESUME, None, Some(&resume("jane@example.com", "123456", &format!("{NEW} {i}")))))
        .collect();
    let answers = burst(addr, requests).await;
    let won: Vec<usize> = answers.iter().enumerate().filter(|(_, (st, _))| *st == 200).map(|(i, _)| i).collect();
    assert_eq!(won.len(), 1, "{answers:?}");
    for (status, body) in answers.iter().filter(|(st, _)| *st != 200) {
        assert_eq!((*status, body["errorCode"].as_str()), (409, Some("NONCE_INVALID")));
    }
    assert_eq!(t.login("jane@example.com", &format!("{NEW} {}", won[0])).await.status, 200);
}

/// Outside the sandbox the nonce is long and random, and only its keyed hash is stored.
async fn real_nonces_are_long_random_and_stored_hashed(b: Backend) {
    let t = TestApp::with_config(b, |c| c.sandbox = false).await;
    t.register("jane@example.com").await;
    assert_eq!(t.post(START, None, json!({"email": "jane@example.com"})).await.status, 204);
    let mail = t.email.sent().into_iter().rfind(|m| m.subject == "Reset your password").unwrap();
    let nonce = mail.body.split_whitespace().find(|w| w.len() == 43).expect("a 256-bit nonce").to_owned();
    let user = t.app.store.get_user("jane@example.com").await.unwrap().unwrap();
    let purpose = shared::model::CodePurpose::password_reset(&user.email).key();
    let stored = t.app.store.get_code(&user.user_id, &purpose).await.unwrap().unwrap();
    assert!(!format!("{stored:?}").contains(&nonce), "the nonce is stored in clear");
    assert_eq!(t.post(RESUME, None, resume("jane@example.com", "123456", NEW)).await.status, 409);
    assert_eq!(t.post(RESUME, None, resume("jane@example.com", &nonce, NEW)).await.status, 200);
}

/// Start and send tell nothing of the address: the same answer for an account, none, a blocked
/// one, and within the resend cooldown (their timing is in `benches/enumeration.rs`).
async fn start_and_send_answer_alike_for_any_address(b: Backend) {
    let t = TestApp::new(b).await;
    t.register("jane@example.com").await;
    t.register("blocked@example.com").await;
    shared::app::accounts::set_blocked(&t.app, "blocked@example.com", true).await.unwrap();
    for path in [START, SEND] {
        let mut answers = Vec::new();
        for email in ["jane@example.com", "jane@example.com", "nobody@example.com", "blocked@example.com"] {
            let started = std::time::Instant::now();
            let r = t.post(path, None, json!({ "email": email })).await;
            assert!(started.elapsed() >= shared::app::mailbox::UNIFORM_ANSWER, "{path} answered early");
            answers.push((r.status, r.body.to_string(), r.header("retry-after").map(str::to_owned)));
        }
        assert!(answers.windows(2).all(|w| w[0] == w[1]), "{path}: {answers:?}");
        assert_eq!(answers[0].0, 204);
    }
}

async fn the_password_policy_can_be_asked_without_a_token(b: Backend) {
    let t = TestApp::new(b).await;
    let validate = |p: &str| json!({"password": {"value": p}});
    assert_eq!(t.post("/passwords/validate", None, validate(NEW)).await.status, 204);
    for (password, code) in [("short", "PASSWORD_TOO_SHORT"), ("aaaaaaaaaaaa", "PASSWORD_TOO_SIMPLE")] {
        let r = t.post("/passwords/validate", None, validate(password)).await;
        assert_eq!((r.status, r.body["errorCode"].as_str()), (409, Some(code)));
    }
    assert_eq!(t.post("/passwords/validate", None, json!({})).await.status, 400);
}

// ------------------------------------------------------------------ e-mail verification

async fn the_email_is_verified_on_both_surfaces(b: Backend) {
    let t = TestApp::new(b).await;
    let (id_token, _) = t.id_tokens("jane@example.com").await;
    assert_eq!(t.get("/auth/me", Some(&id_token)).await.body["hasValidatedEmail"], false);
    assert_eq!(t.post(SEND, None, json!({"email": "jane@example.com"})).await.status, 204);
    let wrong = t.post(VERIFY, None, json!({"email": "jane@example.com", "verificationCode": "000000"})).await;
    assert_eq!((wrong.status, wrong.body["errorCode"].as_str()), (409, Some("VERIFICATION_CODE_INVALID")));
    let right = t.post(VERIFY, None, json!({"email": "jane@example.com", "verificationCode": "123456"})).await;
    assert_eq!(right.status, 204, "{}", right.body);
    assert_eq!(t.get("/auth/me", Some(&id_token)).await.body["hasValidatedEmail"], true);
    let (fresh, _) = (s(&t.id_login("jane@example.com", PASSWORD).await.body, "idToken"), ());
    let claims: Value =
        serde_json::from_slice(&shared::crypto::b64url_decode(fresh.split('.').nth(1).unwrap()).unwrap()).unwrap();
    assert_eq!(claims["email_verified"], true);
    // Used once.
    let again = t.post(VERIFY, None, json!({"email": "jane@example.com", "verificationCode": "123456"})).await;
    assert_eq!(again.status, 409);
}

/// Every outcome of a check is the same for an address with and without an account.
async fn verification_codes_expire_run_out_and_tell_no_accounts_apart(b: Backend) {
    let t = TestApp::new(b).await;
    t.register("jane@example.com").await;
    let code_of = |r: &integration_tests::Reply| (r.status, r.body["errorCode"].as_str().map(str::to_owned));
    for email in ["jane@example.com", "nobody@example.com"] {
        let verify = |code: &str| json!({"email": email, "verificationCode": code});
        assert_eq!(
            code_of(&t.post(VERIFY, None, verify("123456")).await).1.as_deref(),
            Some("VERIFICATION_CODE_INVALID")
        );
        assert_eq!(t.post(SEND, None, json!({ "email": email })).await.status, 204);
        for _ in 0..4 {
            assert_eq!(
                code_of(&t.post(VERIFY, None, verify("000000")).await).1.as_deref(),
                Some("VERIFICATION_CODE_INVALID")
            );
        }
        let last = code_of(&t.post(VERIFY, None, verify("000000")).await);
        assert_eq!(last, (409, Some("CHALLENGE_LIMIT_EXCEEDED".to_owned())), "{email}");
        t.clock.advance(shared::otp::RESEND_COOLDOWN_SECS + 1);
        assert_eq!(t.post(SEND, None, json!({ "email": email })).await.status, 204);
        t.clock.advance(shared::otp::CODE_TTL_SECS);
        assert_eq!(
            code_of(&t.post(VERIFY, None, verify("000000")).await),
            (409, Some("VERIFICATION_CODE_EXPIRED".to_owned())),
            "{email}"
        );
    }
    assert!(t.email.sent().iter().all(|m| m.to != "nobody@example.com"), "a decoy was mailed");
}

/// An account whose one second factor is its verified e-mail steps up by e-mail (and so can
/// enrol a surface-1 factor); once it has another factor, the mailbox (which also resets the
/// password) proves nothing on either surface: it cannot get around that factor.
async fn the_mailbox_alone_cannot_get_around_another_factor(b: Backend) {
    let t = TestApp::new(b).await;
    let (_, access) = t.tokens("jane@example.com").await;
    assert_eq!(t.post(SEND, None, json!({"email": "jane@example.com"})).await.status, 204);
    assert_eq!(
        t.post(VERIFY, None, json!({"email": "jane@example.com", "verificationCode": "123456"})).await.status,
        204
    );
    // The e-mail is now a second factor: enrolling SMS needs a step-up, which the e-mail gives.
    let enrol = t.post("/authentication_factors/otp/SMS", Some(&access), json!({})).await;
    assert_eq!((enrol.status, enrol.body["errorCode"].as_str()), (409, Some("STEP_UP_REQUIRED")));
    assert_eq!(t.post("/stepup/challenges/otp/EMAIL", Some(&access), json!({})).await.status, 204);
    let step =
        t.post("/stepup/challenges/otp/EMAIL/verify", Some(&access), json!({"verificationCode": "123456"})).await;
    assert_eq!(step.status, 204, "{}", step.body);
    assert_eq!(t.post("/authentication_factors/otp/SMS", Some(&access), json!({})).await.status, 204);
    let done =
        t.post("/authentication_factors/otp/SMS/verify", Some(&access), json!({"verificationCode": "123456"})).await;
    assert_eq!(done.status, 204, "{}", done.body);

    // Whoever holds the mailbox resets the password...
    t.clock.advance(shared::otp::RESEND_COOLDOWN_SECS + 1);
    assert_eq!(t.post(START, None, json!({"email": "jane@example.com"})).await.status, 204);
    let token = s(&t.post(RESUME, None, resume("jane@example.com", "123456", NEW)).await.body, "token");
    let access = t.access_token(&token).await;
    // ...but cannot step up by e-mail any more, so the SMS factor stays the owner's.
    let by_mail = t.post("/stepup/challenges/otp/EMAIL", Some(&access), json!({})).await;
    assert_eq!((by_mail.status, by_mail.body["errorCode"].as_str()), (409, Some("CHANNEL_NOT_REGISTERED")));
    let device = t.post("/authentication_factors/push/BIOMETRIC", Some(&access), Device::new(4).enrolment()).await;
    assert_eq!((device.status, device.body["errorCode"].as_str()), (409, Some("STEP_UP_REQUIRED")));
    // Nor, on surface 2, does an e-mail code prove a change.
    let r = t.post("/auth/login", None, json!({"email": "jane@example.com", "password": NEW})).await;
    let id_token = s(&r.body, "idToken");
    assert_eq!(t.get("/auth/otp/code?method=EMAIL", Some(&id_token)).await.status, 200);
    let totp = t
        .with_otp(lambda_http::http::Method::POST, "/auth/otp/methods/totp", &id_token, "123456", Some(json!({})))
        .await;
    assert_eq!((totp.status, totp.body["code"].as_str()), (403, Some("OTP_INVALID")), "{}", totp.body);
}

/// The attack review's finding: a code e-mailed for a step-up while the e-mail was the only
/// second factor must not step up once another factor exists.
async fn an_email_step_up_code_proves_nothing_once_another_factor_exists(b: Backend) {
    let t = TestApp::new(b).await;
    let (_, a) = t.tokens("jane@example.com").await;
    let (_, other) = t.session_tokens("jane@example.com").await;
    assert_eq!(t.post(SEND, None, json!({"email": "jane@example.com"})).await.status, 204);
    assert_eq!(
        t.post(VERIFY, None, json!({"email": "jane@example.com", "verificationCode": "123456"})).await.status,
        204
    );
    // Session A asks for an e-mailed step-up code and keeps it.
    assert_eq!(t.post("/stepup/challenges/otp/EMAIL", Some(&a), json!({})).await.status, 204);
    // Meanwhile the other session steps up by e-mail and enrols SMS.
    t.clock.advance(shared::otp::RESEND_COOLDOWN_SECS + 1);
    assert_eq!(t.post("/stepup/challenges/otp/EMAIL", Some(&other), json!({})).await.status, 204);
    let step = json!({"verificationCode": "123456"});
    assert_eq!(t.post("/stepup/challenges/otp/EMAIL/verify", Some(&other), step.clone()).await.status, 204);
    assert_eq!(t.post("/authentication_factors/otp/SMS", Some(&other), json!({})).await.status, 204);
    assert_eq!(t.post("/authentication_factors/otp/SMS/verify", Some(&other), step.clone()).await.status, 204);
    // A's old code proves nothing now, by either path.
    let late = t.post("/stepup/challenges/otp/EMAIL/verify", Some(&a), step.clone()).await;
    assert_eq!((late.status, late.body["errorCode"].as_str()), (409, Some("CHANNEL_NOT_REGISTERED")), "{}", late.body);
    assert_eq!(t.post("/stepup/challenges/otp/SMS/verify", Some(&a), step).await.status, 409);
    let device = t.post("/authentication_factors/push/AUTHY", Some(&a), Device::new(6).enrolment()).await;
    assert_eq!((device.status, device.body["errorCode"].as_str()), (409, Some("STEP_UP_REQUIRED")));
}

/// The attack review's finding: strangers asking for mail to an address spend their own
/// budgets, not the owner's; and their guesses at a reset nonce spend none of its tries.
async fn strangers_cannot_spend_the_owners_mail_budget_nor_kill_the_owners_nonce(b: Backend) {
    let t = TestApp::with_config(b, |c| c.sandbox = false).await;
    let (id_token, _) = t.id_tokens("jane@example.com").await;
    let stranger = "198.51.100.7";
    let limit = t.app.config.rate_limit.email_per_address_per_day;
    for i in 0..=limit {
        t.clock.advance(shared::otp::RESEND_COOLDOWN_SECS + 1);
        let path = if i % 2 == 0 { START } else { SEND };
        assert_eq!(t.post_from(stranger, path, None, json!({"email": "jane@example.com"})).await.status, 204);
    }
    // The owner's own codes still go out: signed in, and from their own address.
    t.clock.advance(shared::otp::RESEND_COOLDOWN_SECS + 1);
    let own = t.get("/auth/otp/code?method=EMAIL", Some(&id_token)).await;
    assert_eq!(own.status, 200, "{}", own.body);
    let mails = t.email.sent().len();
    assert_eq!(t.post_from("203.0.113.5", START, None, json!({"email": "jane@example.com"})).await.status, 204);
    assert_eq!(t.email.sent().len(), mails + 1, "the owner's reset e-mail went out");
    let mail = t.email.sent().pop().unwrap();
    let nonce = mail.body.split_whitespace().find(|w| w.len() == 43).unwrap().to_owned();
    // A stranger's guesses, however many, spend none of its tries.
    for i in 0..8 {
        // Never the nonce: its first character replaced by another.
        let first = if nonce.starts_with('A') { 'B' } else { 'A' };
        let guess = format!("{first}{i}{}", &nonce[2..]);
        let r = t.post_from(stranger, RESUME, None, resume("jane@example.com", &guess, NEW)).await;
        assert_eq!(r.status, 409);
    }
    assert_eq!(t.post(RESUME, None, resume("jane@example.com", &nonce, NEW)).await.status, 200);
}

/// The code and the reference (if any) of the last verification e-mail to `to`.
fn verification_mail(t: &TestApp, to: &str) -> (String, Option<String>) {
    let mail = t.email.sent().into_iter().rfind(|m| m.to == to && m.subject == "Verify your e-mail address").unwrap();
    let words: Vec<&str> = mail.body.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()).collect();
    let code = words.iter().find(|w| w.len() == 6 && w.bytes().all(|b| b.is_ascii_digit())).unwrap().to_string();
    let reference = words.windows(2).find(|w| w[0] == "reference").map(|w| w[1].to_owned());
    (code, reference)
}

/// Strangers' guesses at the owner's pending e-mail verification code, however many, spend
/// none of its tries: a try that does not name the challenge by the reference its e-mail
/// carries spends nothing. Named, the tries stay bounded (five). And an address with an
/// account answers every such try exactly as one without.
async fn strangers_cannot_kill_the_owners_verification_code(b: Backend) {
    let t = TestApp::with_config(b, |c| c.sandbox = false).await;
    t.register("jane@example.com").await;
    let stranger = "198.51.100.7";
    let verify = |email: &str, code: &str, reference: Option<&str>| {
        let mut body = json!({ "email": email, "verificationCode": code });
        if let Some(r) = reference {
            body["reference"] = json!(r);
        }
        body
    };
    let answer = |r: &integration_tests::Reply| (r.status, r.body.to_string());
    let invalid = (409, json!({"errorCode": "VERIFICATION_CODE_INVALID"}).to_string());
    assert_eq!(t.post(SEND, None, json!({"email": "jane@example.com"})).await.status, 204);
    let (code, reference) = verification_mail(&t, "jane@example.com");
    let wrong = |i: u32| format!("{:06}", (code.parse::<u32>().unwrap() + 1 + i) % 1_000_000);
    for i in 0..6 {
        // Without a reference, with another one, with the code's own digits as one.
        let named = [None, Some("ZZZZZZZZZZ"), Some(code.as_str())];
        for named in named.into_iter().take(if i == 0 { 3 } else { 2 }) {
            let r = t.post_from(stranger, VERIFY, None, verify("jane@example.com", &wrong(i), named)).await;
            assert_eq!(answer(&r), invalid, "{named:?}");
        }
    }
    let r = t.post(VERIFY, None, verify("jane@example.com", &code, reference.as_deref())).await;
    assert_eq!(r.status, 204, "the owner's code was killed: {}", r.body);
    let user = t.app.store.get_user("jane@example.com").await.unwrap().unwrap();
    assert!(user.mfa.email_verified_at.is_some());

    // Named by its reference (case aside), a code still has five tries.
    t.clock.advance(shared::otp::RESEND_COOLDOWN_SECS + 1);
    assert_eq!(t.post(SEND, None, json!({"email": "jane@example.com"})).await.status, 204);
    let (code, reference) = verification_mail(&t, "jane@example.com");
    let reference = reference.unwrap().to_lowercase();
    let wrong = |i: u32| format!("{:06}", (code.parse::<u32>().unwrap() + 1 + i) % 1_000_000);
    for i in 0..4 {
        let r = t.post_from(stranger, VERIFY, None, verify("jane@example.com", &wrong(i), Some(&reference))).await;
        assert_eq!(answer(&r), invalid);
    }
    let last = t.post_from(stranger, VERIFY, None, verify("jane@example.com", &wrong(4), Some(&reference))).await;
    assert_eq!((last.status, last.body["errorCode"].as_str()), (409, Some("CHALLENGE_LIMIT_EXCEEDED")));
    let dead = t.post(VERIFY, None, verify("jane@example.com", &code, Some(&reference))).await;
    assert_eq!(dead.status, 409, "{}", dead.body);

    // A stranger cannot tell an account by these answers: the same for an address without one.
    t.clock.advance(shared::otp::RESEND_COOLDOWN_SECS + 1);
    let mut answers = Vec::new();
    for email in ["jane@example.com", "nobody@example.com"] {
        assert_eq!(t.post_from(stranger, SEND, None, json!({ "email": email })).await.status, 204);
        let mut seen = Vec::new();
        for (i, named) in [None, Some("ZZZZZZZZZZ")].into_iter().cycle().take(7).enumerate() {
            let started = std::time::Instant::now();
            let r = t.post_from(stranger, VERIFY, None, verify(email, &format!("{i:06}"), named)).await;
            assert!(started.elapsed() >= shared::app::mailbox::UNIFORM_ANSWER, "answered early");
            seen.push(answer(&r));
        }
        answers.push(seen);
    }
    assert_eq!(answers[0], answers[1]);
    assert!(answers[0].iter().all(|a| *a == invalid), "{answers:?}");
    assert!(t.email.sent().iter().all(|m| m.to != "nobody@example.com"), "a decoy was mailed");
}

// ------------------------------------------------------------------ refresh rotation

async fn refresh_rotates_and_a_replay_ends_the_family(b: Backend) {
    let t = TestApp::new(b).await;
    let (_, first) = t.id_tokens("jane@example.com").await;
    let (_, other_login) = t.id_login_tokens("jane@example.com").await;
    let r = t.post(REFRESH, None, refresh(&first)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let (second, id_token) = (s(&r.body, "refreshToken"), s(&r.body, "idToken"));
    assert_ne!(second, first);
    t.clock.advance(app_grace(&t) + 1);
    let r = t.post(REFRESH, None, refresh(&second)).await;
    let third = s(&r.body, "refreshToken");
    // The first, long spent, comes back: the whole family ends.
    let replay = t.post(REFRESH, None, refresh(&first)).await;
    assert_eq!((replay.status, replay.body["code"].as_str()), (403, Some("REFRESH_TOKEN_REUSED")), "{}", replay.body);
    assert_eq!(t.post(REFRESH, None, refresh(&third)).await.status, 403, "the latest token died with its family");
    assert_eq!(t.get("/auth/me", Some(&id_token)).await.status, 403, "and so did its idTokens");
    // Another login of the same account is untouched.
    assert_eq!(t.post(REFRESH, None, refresh(&other_login)).await.status, 200);
}

async fn a_lost_answer_is_retried_once_within_the_grace(b: Backend) {
    let t = TestApp::new(b).await;
    let (_, first) = t.id_tokens("jane@example.com").await;
    let successor = s(&t.post(REFRESH, None, refresh(&first)).await.body, "refreshToken");
    // The client lost that answer and retries: the same successor, once.
    let retry = t.post(REFRESH, None, refresh(&first)).await;
    assert_eq!(retry.status, 200, "{}", retry.body);
    assert_eq!(s(&retry.body, "refreshToken"), successor);
    let twice = t.post(REFRESH, None, refresh(&first)).await;
    assert_eq!((twice.status, twice.body["code"].as_str()), (403, Some("REFRESH_TOKEN_REUSED")));
    assert_eq!(t.post(REFRESH, None, refresh(&successor)).await.status, 403);
    // After the grace, even a first retry is a replay.
    let (_, first) = t.id_login_tokens("jane@example.com").await;
    let successor = s(&t.post(REFRESH, None, refresh(&first)).await.body, "refreshToken");
    t.clock.advance(app_grace(&t));
    assert_eq!(t.post(REFRESH, None, refresh(&first)).await.body["code"], "REFRESH_TOKEN_REUSED");
    assert_eq!(t.post(REFRESH, None, refresh(&successor)).await.status, 403);
}

/// A burst of refreshes with one token, on real sockets: every success carries the same
/// successor, and afterwards at most that one successor is live.
async fn concurrent_refreshes_never_leave_two_live_successors(b: Backend) {
    let t = TestApp::new(b).await;
    t.register("jane@example.com").await;
    let addr = t.serve().await;
    for width in [2, 6] {
        let (_, token) = t.id_login_tokens("jane@example.com").await;
        let requests = (0..width).map(|_| raw_request("POST", REFRESH, None, Some(&refresh(&token)))).collect();
        let answers = burst(addr, requests).await;
        let successors: std::collections::BTreeSet<String> =
            answers.iter().filter(|(st, _)| *st == 200).map(|(_, b)| s(b, "refreshToken")).collect();
        assert!(successors.len() <= 1, "two successors: {answers:?}");
        // The rest are replays (403 REFRESH_TOKEN_REUSED), or came after a replay had ended the
        // family (403, the token no longer valid).
        assert!(answers.iter().all(|(st, _)| *st == 200 || *st == 403), "{answers:?}");
        let survived = match successors.iter().next() {
            Some(next) => t.post(REFRESH, None, refresh(next)).await.status == 200,
            None => false,
        };
        let reused = answers.iter().any(|(st, _)| *st == 403);
        // Either the family lives on (at most one retry) or a replay ended it: never both live.
        assert_eq!(survived, !reused, "width {width}: {answers:?}");
        assert_eq!(t.post(REFRESH, None, refresh(&token)).await.status, 403);
    }
}

async fn refresh_is_refused_for_a_blocked_locked_or_expired_account(b: Backend) {
    let t = TestApp::with_config(b, |c| c.password_max_age_secs = 86_400).await;
    let (_, token) = t.id_tokens("jane@example.com").await;
    for _ in 0..5 {
        t.login("jane@example.com", "guessing").await;
    }
    let locked = t.post(REFRESH, None, refresh(&token)).await;
    assert_eq!(locked.status, 423, "{}", locked.body);
    t.clock.advance(t.app.config.lockout_secs);
    shared::app::accounts::set_blocked(&t.app, "jane@example.com", true).await.unwrap();
    assert_eq!(t.post(REFRESH, None, refresh(&token)).await.status, 403);
    shared::app::accounts::set_blocked(&t.app, "jane@example.com", false).await.unwrap();
    // The block ended the family: a new login for the expiry case.
    let (_, token) = t.id_login_tokens("jane@example.com").await;
    t.clock.advance(86_400);
    let expired = t.post(REFRESH, None, refresh(&token)).await;
    assert_eq!(expired.status, 403, "{}", expired.body);
    assert!(expired.body["message"].as_str().unwrap().contains("expired"), "{}", expired.body);
}

fn app_grace(t: &TestApp) -> i64 {
    t.app.config.refresh_reuse_grace_secs
}

// ------------------------------------------------------------------ the account's logins

async fn logins_are_listed_and_ended_from_either_surface(b: Backend) {
    let t = TestApp::new(b).await;
    let (auth, access) = t.tokens("jane@example.com").await;
    let (id_token, refresh_token) = t.id_login_tokens("jane@example.com").await;
    let family = family_of(&refresh_token);
    for (token, current) in [(&auth, None), (&access, None), (&id_token, Some(family.clone()))] {
        let r = t.get("/sessions", Some(token)).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let list = r.body.as_array().unwrap();
        assert_eq!(list.len(), 2, "{list:?}");
        let surfaces: Vec<i64> = list.iter().map(|l| l["surface"].as_i64().unwrap()).collect();
        assert!(surfaces.contains(&1) && surfaces.contains(&2), "{list:?}");
        let currents: Vec<&Value> = list.iter().filter(|l| l["current"] == true).collect();
        assert_eq!(currents.len(), 1, "{list:?}");
        if let Some(family) = &current {
            assert_eq!(currents[0]["id"], family.as_str());
        }
        for l in list {
            for field in ["id", "createdAt", "lastUsedAt", "userAgent", "sourceIp"] {
                assert!(l[field].is_string(), "{field} in {l}");
            }
        }
    }
    // Another account cannot see or end them: its id answers as an unknown one.
    let (stranger, _) = t.tokens("mallory@example.com").await;
    assert_eq!(t.delete(&format!("/sessions/{family}"), Some(&stranger)).await.status, 404);
    assert_eq!(t.delete("/sessions/12345.nothing", Some(&stranger)).await.status, 404);
    assert_eq!(t.post(REFRESH, None, refresh(&refresh_token)).await.status, 200, "untouched by the stranger");
    // The surface-1 caller ends the surface-2 login: its tokens die.
    let refresh_token = s(&t.post(REFRESH, None, refresh(&refresh_token)).await.body, "refreshToken");
    assert_eq!(t.delete(&format!("/sessions/{family}"), Some(&auth)).await.status, 204);
    assert_eq!(t.post(REFRESH, None, refresh(&refresh_token)).await.status, 403);
    assert_eq!(t.get("/auth/me", Some(&id_token)).await.status, 403);
    assert_eq!(t.delete(&format!("/sessions/{family}"), Some(&auth)).await.status, 404, "ended already");
    // And the other way round.
    let (id_token, _) = t.id_login_tokens("jane@example.com").await;
    let sessions = t.get("/sessions", Some(&id_token)).await.body;
    let s1 =
        sessions.as_array().unwrap().iter().find(|l| l["surface"] == 1).unwrap()["id"].as_str().unwrap().to_owned();
    assert_eq!(t.delete(&format!("/sessions/{s1}"), Some(&id_token)).await.status, 204);
    assert_eq!(t.get("/identities", Some(&auth)).await.status, 401);
    assert_eq!(t.get("/authentication_factors", Some(&access)).await.status, 401);
}

async fn revoke_others_keeps_only_the_callers_login(b: Backend) {
    let t = TestApp::new(b).await;
    let (auth, _) = t.tokens("jane@example.com").await;
    let (other_auth, other_access) = t.session_tokens("jane@example.com").await;
    let (id_token, refresh_token) = t.id_login_tokens("jane@example.com").await;
    assert_eq!(t.post("/sessions/revoke_others", Some(&auth), json!({})).await.status, 204);
    assert_eq!(t.get("/identities", Some(&auth)).await.status, 200, "the caller's own stays");
    assert_eq!(t.get("/identities", Some(&other_auth)).await.status, 401);
    assert_eq!(t.get("/authentication_factors", Some(&other_access)).await.status, 401);
    assert_eq!(t.get("/auth/me", Some(&id_token)).await.status, 403);
    assert_eq!(t.post(REFRESH, None, refresh(&refresh_token)).await.status, 403);
    let list = t.get("/sessions", Some(&auth)).await.body;
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    // From surface 2: the idToken's family stays, and refreshes.
    let (id_token, refresh_token) = t.id_login_tokens("jane@example.com").await;
    assert_eq!(t.post("/sessions/revoke_others", Some(&id_token), json!({})).await.status, 204);
    assert_eq!(t.get("/identities", Some(&auth)).await.status, 401);
    assert_eq!(t.post(REFRESH, None, refresh(&refresh_token)).await.status, 200);
    assert_eq!(t.get("/sessions", None).await.status, 401);
    assert_eq!(t.post("/sessions/revoke_others", Some("not-a-token"), json!({})).await.status, 401);
}

// ------------------------------------------------------------------ operator actions

async fn operator_actions_change_what_they_say(b: Backend) {
    let t = TestApp::with_config(b, |c| c.admin_local = true).await;
    let admin = |action: &str, email: &str| {
        let t = &t;
        let (action, email) = (action.to_owned(), email.to_owned());
        async move { t.post(&format!("/_admin/{action}"), None, json!({ "email": email })).await }
    };
    let (auth, access) = t.tokens("jane@example.com").await;
    let (_, refresh_token) = t.id_login_tokens("jane@example.com").await;
    // Unlock: a stranger's lock lifted.
    for _ in 0..5 {
        t.login("jane@example.com", "guessing").await;
    }
    let r = admin("unlock", "jane@example.com").await;
    assert_eq!((r.status, &r.body["changed"]["wasLocked"]), (200, &json!(true)), "{}", r.body);
    assert!(r.header("request-ref").is_some() && r.header("cache-control") == Some("no-store"), "behind the edge");
    assert_eq!(t.login("jane@example.com", PASSWORD).await.status, 200);
    // End sessions: every login of both surfaces.
    let r = admin("end_sessions", "jane@example.com").await;
    assert!(r.body["changed"]["endedSessions"].as_u64().unwrap() >= 3, "{}", r.body);
    assert_eq!(t.get("/identities", Some(&auth)).await.status, 401);
    assert_eq!(t.post(REFRESH, None, refresh(&refresh_token)).await.status, 403);
    // Block and unblock.
    let (auth, _) = t.session_tokens("jane@example.com").await;
    let r = admin("block", "jane@example.com").await;
    assert_eq!(r.body["changed"]["blocked"], true, "{}", r.body);
    assert_eq!(t.get("/identities", Some(&auth)).await.status, 401);
    assert_eq!(t.login("jane@example.com", PASSWORD).await.status, 403);
    assert_eq!(admin("unblock", "jane@example.com").await.body["changed"]["wasBlocked"], true);
    assert_eq!(t.login("jane@example.com", PASSWORD).await.status, 200);
    // Expire the password: the next login gets the temporary token.
    assert_eq!(admin("expire_password", "jane@example.com").await.status, 200);
    assert_eq!(t.login("jane@example.com", PASSWORD).await.status, 409);
    // Remove factors.
    let (_, access2) = {
        let mut c = t.app.store.get_user("jane@example.com").await.unwrap().unwrap();
        c.password_expired = false;
        t.app.store.update_user(&c, &[]).await.unwrap();
        t.session_tokens("jane@example.com").await
    };
    let device = Device::new(2);
    assert_eq!(t.post("/authentication_factors/push/BIOMETRIC", Some(&access2), device.enrolment()).await.status, 200);
    step_up_by_push(&t, &access2, "BIOMETRIC", &device).await;
    let r = admin("remove_factors", "jane@example.com").await;
    assert_eq!(r.body["changed"]["removedFactors"].as_array().unwrap().len(), 1, "{}", r.body);
    let user = t.app.store.get_user("jane@example.com").await.unwrap().unwrap();
    assert!(!user.has_second_factor(), "factors left: {:?}", user.factors);
    assert_eq!(
        t.post("/stepup/challenges/push/BIOMETRIC", Some(&access2), json!({})).await.status,
        409,
        "the removed device cannot step up"
    );
    let _ = access;
    // Unknown account and action: 404.
    assert_eq!(admin("unlock", "nobody@example.com").await.status, 404);
    assert_eq!(admin("delete_everything", "jane@example.com").await.status, 404);
    assert_eq!(t.post("/_admin/unlock", None, json!({"email": "not an address"})).await.status, 400);
}

/// What an operator means by expiring a password: every login opened under it ends, on both
/// surfaces, announced and recorded; the next login gets the temporary token.
async fn expiring_a_password_ends_every_login_opened_under_it(b: Backend) {
    let t = TestApp::with_config(b, |c| c.admin_local = true).await;
    let (auth, access) = t.tokens("jane@example.com").await;
    let (id_token, refresh_token) = t.id_login_tokens("jane@example.com").await;
    let mails = t.email.sent().len();
    let r = t.post("/_admin/expire_password", None, json!({"email": "jane@example.com"})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["changed"]["endedSessions"], 2, "{}", r.body);
    assert_eq!(t.get("/identities", Some(&auth)).await.status, 401, "the AUTH token outlived the password");
    assert_eq!(t.get("/security_events", Some(&access)).await.status, 401, "the ACCESS token outlived it");
    assert_eq!(t.get("/auth/me", Some(&id_token)).await.status, 403, "the idToken outlived it");
    assert_eq!(t.post(REFRESH, None, refresh(&refresh_token)).await.status, 403, "the refresh token outlived it");
    let login = t.login("jane@example.com", PASSWORD).await;
    assert_eq!(login.status, 409, "{}", login.body);
    // Announced, and recorded: the expiry, and each login it ended.
    assert!(t.email.sent()[mails..].iter().any(|m| m.to == "jane@example.com" && m.subject == "Security notice"));
    let user = t.app.store.get_user("jane@example.com").await.unwrap().unwrap();
    let events = t.app.store.list_events(&user.user_id, None, 100).await.unwrap();
    let by_operator = |kind: &str| {
        events
            .iter()
            .filter(|e| e.kind.name() == kind)
            .filter(|e| e.details.get("by").or(e.details.get("reason")).is_some_and(|v| v != "OWNER"))
            .count()
    };
    assert_eq!((by_operator("PASSWORD_EXPIRED"), by_operator("SESSION_REVOKED")), (1, 2), "{events:?}");
    let reasons: Vec<&serde_json::Value> =
        events.iter().filter(|e| e.kind.name() == "SESSION_REVOKED").map(|e| &e.details["reason"]).collect();
    assert!(reasons.iter().all(|r| *r == "PASSWORD_EXPIRED"), "{reasons:?}");
}

/// What an operator means by removing factors: no way to prove a second factor is left, on
/// either surface. Push devices (their SNS endpoints deleted), the SMS factor, the phone's
/// validation and its number, TOTP and the e-mail's verified mark all go, each recorded in the
/// change's write and announced; no step-up is possible afterwards.
async fn removing_factors_leaves_no_way_to_prove_a_second_factor(b: Backend) {
    let t = TestApp::with_config(b, |c| c.admin_local = true).await;
    let (_, access) = t.tokens("jane@example.com").await;
    // The e-mail verified (a second factor by itself), a push device, the SMS factor.
    assert_eq!(t.post(SEND, None, json!({"email": "jane@example.com"})).await.status, 204);
    let verify = json!({"email": "jane@example.com", "verificationCode": "123456"});
    assert_eq!(t.post(VERIFY, None, verify).await.status, 204);
    assert_eq!(t.post("/stepup/challenges/otp/EMAIL", Some(&access), json!({})).await.status, 204);
    let step = json!({"verificationCode": "123456"});
    assert_eq!(t.post("/stepup/challenges/otp/EMAIL/verify", Some(&access), step).await.status, 204);
    let device = Device::new(9);
    assert_eq!(t.post("/authentication_factors/push/BIOMETRIC", Some(&access), device.enrolment()).await.status, 200);
    step_up_by_push(&t, &access, "BIOMETRIC", &device).await;
    integration_tests::enrol_sms(&t, &access).await;
    // Surface 2's phone validated and a TOTP secret, as their flows leave them.
    let mut user = t.app.store.get_user("jane@example.com").await.unwrap().unwrap();
    let now = t.app.now();
    user.mfa.phone_verified_at = Some(now);
    user.mfa.totp = Some(shared::model::TotpSecret {
        kid: "k".into(),
        sealed: "sealed".into(),
        verified_at: Some(now),
        last_step: None,
        unproven: false,
        anchored: true,
    });
    t.app.store.update_user(&user, &[]).await.unwrap();
    let mails = t.email.sent().len();

    let r = t.post("/_admin/remove_factors", None, json!({"email": "jane@example.com"})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let changed = &r.body["changed"];
    assert_eq!(changed["removedFactors"].as_array().unwrap().len(), 2, "{changed}");
    assert_eq!(changed["removedMethods"], json!(["SMS", "TOTP", "EMAIL"]), "{changed}");
    assert_eq!(changed["removedMobile"], true, "{changed}");
    let user = t.app.store.get_user("jane@example.com").await.unwrap().unwrap();
    assert!(!user.has_second_factor(), "{user:?}");
    assert_eq!((user.mobile.is_none(), user.mfa.email_verified_at), (true, None), "the number or the mark stayed");
    assert!(
        t.senders.used_by_function().values().any(|used| used.contains("push.unregister")),
        "the device's SNS endpoint was kept"
    );
    // No way to step up is left: not by e-mail, SMS or the removed device.
    let (_, access) = t.session_tokens("jane@example.com").await;
    for channel in ["otp/EMAIL", "otp/SMS", "push/BIOMETRIC"] {
        let r = t.post(&format!("/stepup/challenges/{channel}"), Some(&access), json!({})).await;
        assert_eq!((r.status, r.body["errorCode"].as_str()), (409, Some("CHANNEL_NOT_REGISTERED")), "{channel}");
    }
    let (id_token, _) = t.id_login_tokens("jane@example.com").await;
    let me = t.get("/auth/me", Some(&id_token)).await.body;
    assert_eq!(me["hasValidatedEmail"], false, "{me}");
    // Announced, and recorded: one FACTOR_REMOVED per factor or method, by the operator.
    assert!(t.email.sent()[mails..].iter().any(|m| m.to == "jane@example.com" && m.subject == "Security notice"));
    let events = t.app.store.list_events(&user.user_id, None, 100).await.unwrap();
    let mut removed: Vec<String> = events
        .iter()
        .filter(|e| e.kind.name() == "FACTOR_REMOVED" && e.details["by"] == "OPERATOR")
        .map(|e| {
            let d = &e.details;
            d.get("channel").or(d.get("method")).and_then(Value::as_str).unwrap_or_default().to_owned()
        })
        .collect();
    removed.sort();
    assert_eq!(removed, vec!["BIOMETRIC", "EMAIL", "SMS", "SMS", "TOTP"], "{events:?}");
    // With nothing left, the password alone may enrol a factor again (the owner's way back).
    let device = Device::new(10);
    assert_eq!(t.post("/authentication_factors/push/BIOMETRIC", Some(&access), device.enrolment()).await.status, 200);
}

async fn without_the_variable_the_admin_path_is_an_ordinary_404(b: Backend) {
    let t = TestApp::new(b).await;
    t.register("jane@example.com").await;
    let r = t.post("/_admin/block", None, json!({"email": "jane@example.com"})).await;
    assert_eq!(r.status, 404);
    assert_eq!(r.body, t.post("/no/such/path", None, json!({})).await.body);
    assert_eq!(t.login("jane@example.com", PASSWORD).await.status, 200, "nothing was blocked");
}

/// `events/admin.json`, as `aws lambda invoke` delivers it to the Admin function.
async fn the_admin_event_runs_its_action(b: Backend) {
    let t = TestApp::new(b).await;
    t.register("jane@example.com").await;
    let raw =
        std::fs::read_to_string(std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../events/admin.json"));
    let event: Value = serde_json::from_str(&raw.unwrap()).unwrap();
    let answer = shared::api::admin::invoke(&t.app, event.clone()).await.unwrap();
    assert_eq!(answer["action"], event["action"]);
    assert_eq!(answer["email"], "jane@example.com");
    let unknown = json!({"action": "unlock", "email": "nobody@example.com"});
    assert!(shared::api::admin::invoke(&t.app, unknown).await.unwrap_err().to_string().contains("no account"));
    let bad = json!({"action": "drop_table", "email": "jane@example.com"});
    assert!(shared::api::admin::invoke(&t.app, bad).await.unwrap_err().to_string().contains("action"));
}

on_both_stores!(
    a_forgotten_password_is_reset_through_the_mailbox,
    wrong_used_and_expired_nonces_are_refused_and_five_wrong_tries_kill_one,
    the_password_policy_and_history_apply_without_spending_the_nonce,
    the_reset_is_the_way_out_of_a_lock,
    a_blocked_account_is_not_reset,
    concurrent_resumes_with_one_nonce_reset_once,
    real_nonces_are_long_random_and_stored_hashed,
    start_and_send_answer_alike_for_any_address,
    the_password_policy_can_be_asked_without_a_token,
    the_email_is_verified_on_both_surfaces,
    verification_codes_expire_run_out_and_tell_no_accounts_apart,
    the_mailbox_alone_cannot_get_around_another_factor,
    an_email_step_up_code_proves_nothing_once_another_factor_exists,
    strangers_cannot_spend_the_owners_mail_budget_nor_kill_the_owners_nonce,
    strangers_cannot_kill_the_owners_verification_code,
    refresh_rotates_and_a_replay_ends_the_family,
    a_lost_answer_is_retried_once_within_the_grace,
    concurrent_refreshes_never_leave_two_live_successors,
    refresh_is_refused_for_a_blocked_locked_or_expired_account,
    logins_are_listed_and_ended_from_either_surface,
    revoke_others_keeps_only_the_callers_login,
    operator_actions_change_what_they_say,
    expiring_a_password_ends_every_login_opened_under_it,
    removing_factors_leaves_no_way_to_prove_a_second_factor,
    without_the_variable_the_admin_path_is_an_ordinary_404,
    the_admin_event_runs_its_action,
);
