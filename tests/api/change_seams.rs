//! The e-mail change against the rules around it, attacked on both stores by whoever holds the
//! password: moving the account out of the revert's reach, finishing a change asked for before
//! the owner secured the account, leaving their own phone number behind the revert, and a change
//! its budgets refuse spending the owner's step-up.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use integration_tests::passkey::SoftAuthenticator;
use integration_tests::{
    Backend, PASSWORD, TestApp, enrol_sms, on_both_stores, register_verified, step_up_by_email, step_up_by_sms,
};
use lambda_http::http::Method;
use serde_json::json;

const OWNER: &str = "owner@example.com";

fn change(to: &str) -> serde_json::Value {
    json!({"newEmail": to, "password": {"value": PASSWORD}})
}

const CODE: &str = "123456";

/// Moves the account of the session of `access` to `to` (its step-up, when it needs one, is the
/// caller's).
async fn moved_to(t: &TestApp, access: &str, to: &str) {
    let r = t.post("/users/email/change", Some(access), change(to)).await;
    assert_eq!(r.status, 204, "{}", r.body);
    let r = t.post("/users/email/change/verify", Some(access), json!({"verificationCode": CODE})).await;
    assert_eq!(r.status, 204, "to {to}: {}", r.body);
    t.clock.advance(shared::otp::RESEND_COOLDOWN_SECS + 1);
}

/// The owner takes the account back at `OWNER` (the sandbox's nonce), then resets its password.
async fn the_owner_takes_it_back(t: &TestApp) {
    let r = t.post("/users/email/change/revert", None, json!({"email": OWNER, "nonce": CODE})).await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(t.post("/passwords/lost_password/start", None, json!({"email": OWNER})).await.status, 204);
    let resume = json!({"email": OWNER, "nonce": CODE, "newPassword": {"value": "velvet harbour compass 4471"}});
    let r = t.post("/passwords/lost_password/resume", None, resume).await;
    assert_eq!(r.status, 200, "{}", r.body);
}

async fn nine_moves_in_a_day_leave_the_account_within_the_owners_revert(b: Backend) {
    let t = TestApp::new(b).await;
    t.register(OWNER).await;
    let (_, access) = t.session_tokens(OWNER).await;
    // The first move needs the password alone; the address it lands on is verified, so every
    // later one needs a step-up by the e-mail, which the thief's own mailbox gives.
    moved_to(&t, &access, "b1@example.net").await;
    for hop in 2..=9 {
        step_up_by_email(&t, &access).await;
        moved_to(&t, &access, &format!("b{hop}@example.net")).await;
    }
    assert!(t.app.store.get_user("b9@example.net").await.unwrap().is_some());
    the_owner_takes_it_back(&t).await;
    assert_eq!(t.get("/identities", Some(&access)).await.status, 401, "the thief's session ended");
    assert!(t.app.store.get_user("b9@example.net").await.unwrap().is_none());
    assert_ne!(t.login("b9@example.net", PASSWORD).await.status, 200);
}

async fn a_change_asked_for_before_the_owner_secured_the_account_needs_proof_to_finish(b: Backend) {
    let t = TestApp::new(b).await;
    t.register(OWNER).await;
    // The thief asks with the password alone, on both surfaces, while the account has no factor.
    let (_, thief) = t.session_tokens(OWNER).await;
    let r = t.post("/users/email/change", Some(&thief), change("thief@example.net")).await;
    assert_eq!(r.status, 204, "{}", r.body);
    let (id_token, _) = t.id_login_tokens(OWNER).await;
    let r = t.post("/auth/me/email/change", Some(&id_token), change("thief2@example.net")).await;
    assert_eq!(r.status, 204, "{}", r.body);
    // The owner enrols a factor meanwhile.
    let (_, owner) = t.session_tokens(OWNER).await;
    enrol_sms(&t, &owner).await;
    let r = t.post("/auth/me/email/change/verify", Some(&id_token), json!({"verificationCode": CODE})).await;
    assert_eq!((r.status, r.body["code"].as_str()), (403, Some("OTP_REQUIRED")), "{}", r.body);
    // (The surface-2 request replaced the surface-1 one as the pending change; ask it again.)
    let r = t.post("/users/email/change", Some(&thief), change("thief@example.net")).await;
    assert_eq!(r.body["errorCode"], "STEP_UP_REQUIRED", "asking again needs the proof");
    assert!(t.app.store.get_user(OWNER).await.unwrap().is_some(), "the account stays");
}

async fn a_surface_1_change_asked_for_before_the_owner_secured_the_account_needs_proof_to_finish(b: Backend) {
    let t = TestApp::new(b).await;
    t.register(OWNER).await;
    let (_, thief) = t.session_tokens(OWNER).await;
    let r = t.post("/users/email/change", Some(&thief), change("thief@example.net")).await;
    assert_eq!(r.status, 204, "{}", r.body);
    let (_, owner) = t.session_tokens(OWNER).await;
    enrol_sms(&t, &owner).await;
    let r = t.post("/users/email/change/verify", Some(&thief), json!({"verificationCode": CODE})).await;
    assert_eq!(r.body["errorCode"], "STEP_UP_REQUIRED", "{}", r.body);
    assert!(t.app.store.get_user(OWNER).await.unwrap().is_some(), "the account stays");
    assert!(t.app.store.get_user("thief@example.net").await.unwrap().is_none());
}

async fn the_thiefs_phone_number_does_not_survive_the_revert(b: Backend) {
    let t = TestApp::new(b).await;
    t.register(OWNER).await;
    let (_, access) = t.session_tokens(OWNER).await;
    moved_to(&t, &access, "thief@example.net").await;
    // At the address they hold, the thief sets their own number, proving it by their mailbox.
    let (id_token, _) = t.id_login_tokens("thief@example.net").await;
    assert_eq!(t.get("/auth/otp/code?method=EMAIL", Some(&id_token)).await.status, 200);
    let body = json!({"phone": "07400 922222", "country": "GB"});
    let r = t.with_otp(Method::POST, "/auth/otp/methods/sms", &id_token, CODE, Some(body)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let user = t.app.store.get_user("thief@example.net").await.unwrap().unwrap();
    assert_eq!(user.mobile.unwrap().e164(), "+447400922222");
    the_owner_takes_it_back(&t).await;
    let user = t.app.store.get_user(OWNER).await.unwrap().unwrap();
    assert_eq!(user.mobile.unwrap().e164(), "+447400900123", "the owner's number is back");
    assert!(user.mfa.phone_verified_at.is_none(), "and validated again only by a code sent to it");
}

async fn a_change_its_budget_refuses_spends_no_step_up(b: Backend) {
    let t = TestApp::with_config(b, |c| c.rate_limit.email_change_per_ip_per_hour = 0).await;
    t.register(OWNER).await;
    let (auth, access) = t.session_tokens(OWNER).await;
    enrol_sms(&t, &access).await;
    step_up_by_sms(&t, &access).await;
    let r = t.post("/users/email/change", Some(&access), change("new@example.org")).await;
    assert_eq!(r.status, 429, "{}", r.body);
    let user = t.app.store.get_user(OWNER).await.unwrap().unwrap();
    assert!(user.pending_email.is_none(), "nothing asked for");
    let events = t.app.store.list_events(&user.user_id, None, 100).await.unwrap();
    assert!(!events.iter().any(|e| e.kind.name() == "EMAIL_CHANGE_REQUESTED"));
    let identity = t.get("/identities", Some(&auth)).await.body[0]["id"].clone();
    let r = t.post("/access_token", Some(&auth), json!({ "identity": identity })).await;
    assert_eq!(r.body["status"], "STEPPED_UP", "the step-up is not spent: {}", r.body);
}

const SITE: &str = "http://localhost:3000";

/// Enrols a passkey of `key` on the account of `access`; its credential id.
async fn enrol_passkey(t: &TestApp, access: &str, key: &mut SoftAuthenticator) -> String {
    let options = t.post("/authentication_factors/passkey", Some(access), json!({})).await;
    assert_eq!(options.status, 200, "{}", options.body);
    let credential = key.create(SITE, &options.body).await;
    let r = t.post("/authentication_factors/passkey/verify", Some(access), credential.clone()).await;
    assert_eq!(r.status, 204, "{}", r.body);
    credential["id"].as_str().unwrap().to_owned()
}

async fn a_passkey_enrolled_again_under_the_owners_credential_id_does_not_survive_the_revert(b: Backend) {
    let t = TestApp::with_config(b, |c| {
        c.idle_timeout_secs = 3_600;
        c.access_idle_timeout_secs = 3_600;
    })
    .await;
    const THIEF: &str = "thief@example.net";
    register_verified(&t, OWNER).await;
    // The owner's passkey, enrolled under a step-up by the mailbox: anchored.
    let (_, access) = t.session_tokens(OWNER).await;
    step_up_by_email(&t, &access).await;
    let mut owners = SoftAuthenticator::new();
    let owners_id = enrol_passkey(&t, &access, &mut owners).await;
    // Whoever holds the password and one step-up moves the account to their address.
    let options = t.post("/stepup/challenges/passkey", Some(&access), json!({})).await.body;
    let assertion = owners.get(SITE, &options).await;
    assert_eq!(t.post("/stepup/challenges/passkey/verify", Some(&access), assertion).await.status, 204);
    moved_to(&t, &access, THIEF).await;
    // There: a reset through their own mailbox, the owner's passkey removed, their own enrolled
    // under a step-up by the e-mail, with the id the owner's had (the authenticator chooses it).
    assert_eq!(t.post("/passwords/lost_password/start", None, json!({"email": THIEF})).await.status, 204);
    let resume = json!({"email": THIEF, "nonce": CODE, "newPassword": {"value": "amber tide lantern 5521"}});
    let auth = t.post("/passwords/lost_password/resume", None, resume).await.body["token"].as_str().unwrap().to_owned();
    let thief = t.access_token(&auth).await;
    let r = t.delete(&format!("/authentication_factors/passkey/{owners_id}"), Some(&thief)).await;
    assert_eq!(r.status, 204, "{}", r.body);
    step_up_by_email(&t, &thief).await;
    let mut theirs = SoftAuthenticator::new();
    let their_id = enrol_passkey(&t, &thief, &mut theirs).await;
    let mut user = t.app.store.get_user(THIEF).await.unwrap().unwrap();
    let planted = user.passkeys.iter_mut().find(|p| p.credential_id == their_id).unwrap();
    planted.credential_id.clone_from(&owners_id);
    let planted_at = planted.created_at;
    t.app.store.update_user(&user, &[]).await.unwrap();
    the_owner_takes_it_back(&t).await;
    let user = t.app.store.get_user(OWNER).await.unwrap().unwrap();
    assert!(
        !user.passkeys.iter().any(|p| p.created_at == planted_at && p.credential_id == owners_id),
        "the passkey enrolled at the thief's address is gone"
    );
}

/// A deletion or a password change by whoever holds the password, racing the owner's first
/// factor: whichever write lands second must see the factor, so both never succeed.
async fn a_deletion_or_password_change_racing_the_first_factor_needs_its_proof(b: Backend) {
    let t = TestApp::new(b).await;
    for round in 0..3 {
        let email = format!("owner{round}@example.com");
        t.register(&email).await;
        let (_, thief) = t.session_tokens(&email).await;
        let (_, owner) = t.session_tokens(&email).await;
        assert_eq!(t.post("/authentication_factors/otp/SMS", Some(&owner), json!({})).await.status, 204);
        let enrol = t.post("/authentication_factors/otp/SMS/verify", Some(&owner), json!({"verificationCode": CODE}));
        let (harm, enrolled) = if round % 2 == 0 {
            let delete = t.post("/users/delete", Some(&thief), json!({"password": {"value": PASSWORD}}));
            let (d, e) = tokio::join!(delete, enrol);
            (d.status, e.status)
        } else {
            let body =
                json!({"oldPassword": {"value": PASSWORD}, "newPassword": {"value": "copper kettle meadow 9184"}});
            let (u, e) = tokio::join!(t.post("/passwords/update", Some(&thief), body), enrol);
            (u.status, e.status)
        };
        assert!(!((200..300).contains(&harm) && enrolled == 204), "round {round}: both won ({harm}, {enrolled})");
        t.clock.advance(shared::otp::RESEND_COOLDOWN_SECS + 1);
    }
}

on_both_stores!(
    a_deletion_or_password_change_racing_the_first_factor_needs_its_proof,
    a_passkey_enrolled_again_under_the_owners_credential_id_does_not_survive_the_revert,
    nine_moves_in_a_day_leave_the_account_within_the_owners_revert,
    a_change_asked_for_before_the_owner_secured_the_account_needs_proof_to_finish,
    a_surface_1_change_asked_for_before_the_owner_secured_the_account_needs_proof_to_finish,
    the_thiefs_phone_number_does_not_survive_the_revert,
    a_change_its_budget_refuses_spends_no_step_up,
);
