//! E-mail budgets a stranger could spend against someone else, each attacked as a request
//! sequence, on both stores: a password holder's recovery-code uses no
//! longer block the owner's lost-password reset; e-mail change codes to an address no longer
//! spend that address's own code budget; new-device notices and change codes have budgets.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use integration_tests::{Backend, Device, PASSWORD, TestApp, generate_recovery_codes, on_both_stores, request};
use lambda_http::http::Method;
use serde_json::json;

/// Registers `email` without a mobile number (no second factor of any kind).
async fn bare(t: &TestApp, email: &str) {
    let body = json!({"email": email, "password": {"value": PASSWORD}, "name": "Jo Bloggs"});
    assert_eq!(t.post("/users", None, body).await.status, 201);
}

fn mails(t: &TestApp, subject: &str, needle: &str) -> usize {
    t.email.sent().iter().filter(|m| m.subject == subject && m.body.contains(needle)).count()
}

/// Finding 3: a holder of the password alone enrols a push device, steps up by it, makes
/// recovery codes and spends eight as step-ups; the owner's reset must still go through.
async fn recovery_code_notices_cannot_block_the_owners_reset(b: Backend) {
    let t = TestApp::new(b).await;
    bare(&t, "own@example.com").await;
    let (_, access) = t.session_tokens("own@example.com").await;
    let device = Device::new(5);
    let r = t.post("/authentication_factors/push/BIOMETRIC", Some(&access), device.enrolment()).await;
    assert!(r.status < 300, "{}", r.body);
    integration_tests::step_up_by_push(&t, &access, "BIOMETRIC", &device).await;
    let codes = generate_recovery_codes(&t, &access).await;
    for code in codes.iter().take(8) {
        let r =
            t.post("/stepup/challenges/recovery_code/verify", Some(&access), json!({"verificationCode": code})).await;
        assert_eq!(r.status, 204, "{}", r.body);
    }
    assert_eq!(t.post("/passwords/lost_password/start", None, json!({"email": "own@example.com"})).await.status, 204);
    let body = json!({"email": "own@example.com", "nonce": "123456", "newPassword": {"value": "violet tugboat harmonica 42x"}});
    let r = t.post("/passwords/lost_password/resume", None, body).await;
    assert_eq!(r.status, 200, "the owner's reset is never refused for a budget: {}", r.body);
    assert_eq!(mails(&t, "Security notice", "the password was reset"), 1);
    // The planted device is gone: the reset evicted the password holder.
    assert_eq!(t.get("/authentication_factors", Some(&access)).await.status, 401);
}

/// Finding 3, the allowance: past the account's recovery-notice allowance a code's use goes on
/// (its event written) and its notice is dropped; the address's notice budget is untouched.
async fn recovery_code_uses_past_their_allowance_are_not_refused(b: Backend) {
    let t = TestApp::with_config(b, |c| c.rate_limit.email_per_address_per_day = 3).await;
    bare(&t, "own@example.com").await;
    let (_, access) = t.session_tokens("own@example.com").await;
    let device = Device::new(6);
    let r = t.post("/authentication_factors/push/BIOMETRIC", Some(&access), device.enrolment()).await;
    assert!(r.status < 300, "{}", r.body);
    integration_tests::step_up_by_push(&t, &access, "BIOMETRIC", &device).await;
    let codes = generate_recovery_codes(&t, &access).await;
    for code in codes.iter().take(5) {
        let r =
            t.post("/stepup/challenges/recovery_code/verify", Some(&access), json!({"verificationCode": code})).await;
        assert_eq!(r.status, 204, "{}", r.body);
    }
    assert_eq!(mails(&t, "Security notice", "a recovery code was used"), 3, "the allowance, then dropped");
    let user = t.app.store.get_user("own@example.com").await.unwrap().unwrap();
    let events = t.app.store.list_events(&user.user_id, None, 200).await.unwrap();
    assert_eq!(events.iter().filter(|e| e.kind.name() == "RECOVERY_CODE_USED").count(), 5);
    // The address's notice budget (3) was spent by the enrolment and the codes' making only:
    // one more noticed change fits.
    generate_recovery_codes(&t, &access).await;
}

/// Finding 4: ten throwaway accounts ask for a change to V's address; V's own e-mailed codes
/// (a step-up on surface 1, a code on surface 2) still go out.
async fn change_codes_do_not_spend_the_addresss_own_code_budget(b: Backend) {
    let t = TestApp::new(b).await;
    bare(&t, "victim@example.com").await;
    assert_eq!(
        t.post("/users/verification/email/send", None, json!({"email": "victim@example.com"})).await.status,
        204
    );
    let body = json!({"email": "victim@example.com", "verificationCode": "123456"});
    assert_eq!(t.post("/users/verification/email/verify", None, body).await.status, 204);
    let change = json!({"newEmail": "victim@example.com", "password": {"value": PASSWORD}});
    for i in 0..10 {
        let email = format!("att-{i}@evil.example");
        bare(&t, &email).await;
        let (_, access) = t.session_tokens(&email).await;
        let ip = format!("198.51.100.{}", i + 1);
        let r = t.post_from(&ip, "/users/email/change", Some(&access), change.clone()).await;
        assert_eq!(r.status, 204, "{}", r.body);
    }
    // An eleventh is over the change codes the address may receive in a day.
    bare(&t, "att-x@evil.example").await;
    let (_, access) = t.session_tokens("att-x@evil.example").await;
    let r = t.post_from("198.51.100.99", "/users/email/change", Some(&access), change).await;
    assert_eq!(r.status, 429, "{}", r.body);
    let (_, v_access) = t.session_tokens("victim@example.com").await;
    let r = t.post("/stepup/challenges/otp/EMAIL", Some(&v_access), json!({})).await;
    assert_eq!(r.status, 204, "V's step-up code: {}", r.body);
    let (id_token, _) = t.id_login_tokens("victim@example.com").await;
    t.clock.advance(shared::otp::RESEND_COOLDOWN_SECS + 1);
    let r = t.get("/auth/otp/code?method=EMAIL", Some(&id_token)).await;
    assert_eq!(r.status, 200, "V's surface-2 code: {}", r.body);
}

/// Finding 5: forty logins from new devices of an address mail at most its daily allowance of
/// new-device notices; every login succeeds and every one is written as an event.
async fn new_device_notices_are_bounded_per_address(b: Backend) {
    let t = TestApp::new(b).await;
    bare(&t, "target@example.com").await;
    assert_eq!(t.login("target@example.com", PASSWORD).await.status, 200);
    for i in 0..40 {
        let body = json!({"email": "target@example.com", "password": {"value": PASSWORD}});
        let mut req = request(Method::POST, "/login_with_password", None, Some(body));
        req.headers_mut().insert("x-device-id", format!("dev-{i}").parse().unwrap());
        assert_eq!(t.call(req).await.status, 200);
    }
    assert_eq!(mails(&t, "New sign-in to your account", ""), 10, "AUTH_EMAIL_PER_ADDRESS_PER_DAY");
    let user = t.app.store.get_user("target@example.com").await.unwrap().unwrap();
    let events = t.app.store.list_events(&user.user_id, None, 200).await.unwrap();
    assert_eq!(events.iter().filter(|e| e.kind.name() == "NEW_DEVICE_LOGIN").count(), 40);
    // A day later the allowance is back.
    t.clock.advance(2 * 86_400);
    let mut req = request(
        Method::POST,
        "/login_with_password",
        None,
        Some(json!({"email": "target@example.com", "password": {"value": PASSWORD}})),
    );
    req.headers_mut().insert("x-device-id", "dev-late".parse().unwrap());
    assert_eq!(t.call(req).await.status, 200);
    assert_eq!(mails(&t, "New sign-in to your account", ""), 11);
}

async fn ask_change(t: &TestApp, ip: &str, access: &str, to: &str) -> u16 {
    let body = json!({"newEmail": to, "password": {"value": PASSWORD}});
    t.post_from(ip, "/users/email/change", Some(access), body).await.status
}

/// Finding 5: change codes to arbitrary addresses, per account per day, per IP per hour and
/// for the whole service per day.
async fn change_codes_are_bounded_per_account_ip_and_service(b: Backend) {
    let t = TestApp::with_config(b, |c| {
        c.rate_limit.email_change_per_ip_per_hour = 30;
        c.rate_limit.email_change_global_per_day = 40;
    })
    .await;
    // Per account per day: ten, even spread over minutes.
    bare(&t, "spam@example.com").await;
    let (_, access) = t.session_tokens("spam@example.com").await;
    for i in 0..10 {
        assert_eq!(ask_change(&t, "203.0.113.1", &access, &format!("r{i}@victims.example")).await, 204);
        t.clock.advance(61);
    }
    assert_eq!(ask_change(&t, "203.0.113.1", &access, "r10@victims.example").await, 429);
    // Per IP per hour: fresh accounts from one IP stop at its 30.
    for n in 0..3 {
        let email = format!("spam{n}@example.com");
        bare(&t, &email).await;
        let (_, access) = t.session_tokens(&email).await;
        for i in 0..10 {
            let status = ask_change(&t, "203.0.113.2", &access, &format!("s{n}-{i}@victims.example")).await;
            assert_eq!(status, 204, "{n} {i}");
        }
    }
    bare(&t, "spam3@example.com").await;
    let (_, access) = t.session_tokens("spam3@example.com").await;
    assert_eq!(ask_change(&t, "203.0.113.2", &access, "s3@victims.example").await, 429, "the IP's hour");
    // The service's day: 40 in all, from any IP (10 + 30 so far).
    assert_eq!(ask_change(&t, "203.0.113.3", &access, "s3@victims.example").await, 429, "the service's day");
}

on_both_stores!(
    recovery_code_notices_cannot_block_the_owners_reset,
    recovery_code_uses_past_their_allowance_are_not_refused,
    change_codes_do_not_spend_the_addresss_own_code_budget,
    new_device_notices_are_bounded_per_address,
    change_codes_are_bounded_per_account_ip_and_service
);
