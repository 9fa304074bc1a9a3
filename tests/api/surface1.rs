//! Surface 1 (seeds 000/001) end to end through the router, on both stores: identities, ACCESS
//! tokens and their confinement, password updates, factor enrolment, and step-up by SMS and push.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use integration_tests::{Backend, Device, PASSWORD, TestApp, enrol_sms, moto_sms_to, on_both_stores, step_up_by_push};
use serde_json::json;

const NEW_PASSWORD: &str = "violet tugboat harmonica 42";

async fn identities_can_be_added_and_listed(b: Backend) {
    let t = TestApp::new(b).await;
    let auth = t.auth_token("jane@example.com").await;
    let r = t.post("/identities", Some(&auth), json!({"type": "CORPORATE", "name": "Acme Ltd"})).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["id"]["type"], "CORPORATE");
    assert_eq!(r.body["name"], "Acme Ltd");
    let list = t.get("/identities", Some(&auth)).await;
    assert_eq!(list.body.as_array().unwrap().len(), 2);
    assert_eq!(list.body[1], r.body);
    let bad = t.post("/identities", Some(&auth), json!({"type": "ROBOT"})).await;
    assert_eq!(bad.status, 400);
}

async fn access_tokens_are_scoped_to_the_holders_identities(b: Backend) {
    let t = TestApp::new(b).await;
    let auth = t.auth_token("jane@example.com").await;
    let other_auth = t.auth_token("john@example.com").await;
    let mine = t.get("/identities", Some(&auth)).await.body[0]["id"].clone();
    let theirs = t.get("/identities", Some(&other_auth)).await.body[0]["id"].clone();

    let r = t.post("/access_token", Some(&auth), json!({"identity": mine})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["identity"], mine);
    assert_eq!(r.body["credentials"]["type"], "ROOT");
    assert_eq!(r.body["status"], "STANDARD");
    assert_ne!(r.body["token"], json!(auth));

    assert_eq!(t.post("/access_token", Some(&auth), json!({"identity": theirs})).await.status, 403);
    let malformed = t.post("/access_token", Some(&auth), json!({"identity": {"type": "CONSUMER", "id": "abc"}})).await;
    assert_eq!(malformed.status, 400);
    assert_eq!(malformed.body["syntaxErrors"]["invalidFields"][0]["fieldName"], "identity.id");
    assert_eq!(t.post("/access_token", Some(&auth), json!({})).await.status, 400);
}

async fn token_kinds_are_confined_to_their_operations(b: Backend) {
    let t = TestApp::new(b).await;
    let (auth, access) = t.tokens("jane@example.com").await;
    // AUTH: identities, access_token, logout only.
    let r = t.get("/authentication_factors", Some(&auth)).await;
    assert_eq!(r.status, 401);
    assert!(r.body["message"].as_str().unwrap().contains("ACCESS"), "{}", r.body);
    assert_eq!(t.post("/stepup/challenges/otp/SMS", Some(&auth), json!({})).await.status, 401);
    // ACCESS: everything else, but not minting more access tokens.
    assert_eq!(t.get("/authentication_factors", Some(&access)).await.status, 200);
    let identity = t.get("/identities", Some(&auth)).await.body[0]["id"].clone();
    assert_eq!(t.post("/access_token", Some(&access), json!({"identity": identity})).await.status, 401);
}

async fn access_tokens_idle_out_on_their_own_clock(b: Backend) {
    let t = TestApp::with_config(b, |c| c.access_idle_timeout_secs = 60).await;
    let (auth, access) = t.tokens("jane@example.com").await;
    t.clock.advance(59);
    assert_eq!(t.get("/authentication_factors", Some(&access)).await.status, 200);
    t.clock.advance(60);
    assert_eq!(t.get("/authentication_factors", Some(&access)).await.status, 401);
    assert_eq!(t.get("/identities", Some(&auth)).await.status, 200, "the AUTH token has its own 5 minutes");
}

async fn logout_kills_every_derived_access_token(b: Backend) {
    let t = TestApp::new(b).await;
    let (auth, access) = t.tokens("jane@example.com").await;
    let second = t.access_token(&auth).await;
    assert_eq!(t.post("/logout", Some(&auth), json!({})).await.status, 204);
    assert_eq!(t.get("/authentication_factors", Some(&access)).await.status, 401);
    assert_eq!(t.get("/authentication_factors", Some(&second)).await.status, 401);
}

async fn access_token_is_refused_while_the_account_is_locked(b: Backend) {
    let t = TestApp::new(b).await;
    let auth = t.auth_token("jane@example.com").await;
    for _ in 0..5 {
        t.login("jane@example.com", "wrong").await;
    }
    let identity = t.get("/identities", Some(&auth)).await.body[0]["id"].clone();
    let r = t.post("/access_token", Some(&auth), json!({"identity": identity})).await;
    assert_eq!(r.status, 423);
}

async fn password_update_checks_and_rotates_everything(b: Backend) {
    let t = TestApp::new(b).await;
    let (_auth, access) = t.tokens("jane@example.com").await;
    let other_session = t.login("jane@example.com", PASSWORD).await.body["token"].as_str().unwrap().to_owned();
    let update = |old: &str, new: &str| json!({"oldPassword": {"value": old}, "newPassword": {"value": new}});

    for (old, new, code) in [
        ("wrong password", NEW_PASSWORD, "PASSWORD_INCORRECT"),
        (PASSWORD, "short", "PASSWORD_TOO_SHORT"),
        (PASSWORD, &"x7#".repeat(50), "PASSWORD_TOO_LONG"),
        (PASSWORD, "password1", "PASSWORD_TOO_SIMPLE"),
        (PASSWORD, PASSWORD, "PASSWORD_ALREADY_USED"),
    ] {
        let r = t.post("/passwords/update", Some(&access), update(old, new)).await;
        assert_eq!(r.status, 409, "{code}: {}", r.body);
        assert_eq!(r.body, json!({"errorCode": code}));
    }
    let r = t.post("/passwords/update", Some(&access), update(PASSWORD, NEW_PASSWORD)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["passwordInfo"]["expiryDate"], 0);
    assert!(r.body["passwordInfo"]["identityId"].as_str().is_some());
    let fresh = r.body["token"].as_str().unwrap().to_owned();
    assert_eq!(t.get("/identities", Some(&fresh)).await.status, 200);
    assert_eq!(t.get("/identities", Some(&other_session)).await.status, 401, "other sessions end");
    assert_eq!(t.login("jane@example.com", PASSWORD).await.status, 403);
    assert_eq!(t.login("jane@example.com", NEW_PASSWORD).await.status, 200);
    // The old password is now history.
    let access2 = t.access_token(&fresh).await;
    let again = t.post("/passwords/update", Some(&access2), update(NEW_PASSWORD, PASSWORD)).await;
    assert_eq!(again.body, json!({"errorCode": "PASSWORD_ALREADY_USED"}));
}

async fn wrong_old_passwords_count_toward_the_lockout(b: Backend) {
    let t = TestApp::new(b).await;
    let (_auth, access) = t.tokens("jane@example.com").await;
    let body = json!({"oldPassword": {"value": "wrong"}, "newPassword": {"value": NEW_PASSWORD}});
    for _ in 0..4 {
        assert_eq!(t.post("/passwords/update", Some(&access), body.clone()).await.status, 409);
    }
    assert_eq!(t.post("/passwords/update", Some(&access), body).await.status, 423);
    assert_eq!(t.login("jane@example.com", PASSWORD).await.status, 423);
}

async fn an_expired_password_is_changed_with_the_temporary_token(b: Backend) {
    let t = TestApp::with_config(b, |c| c.password_max_age_secs = 90 * 86_400).await;
    t.register("jane@example.com").await;
    t.clock.advance(90 * 86_400);
    let temp = t.login("jane@example.com", PASSWORD).await.body["token"].as_str().unwrap().to_owned();
    let body = json!({"oldPassword": {"value": PASSWORD}, "newPassword": {"value": NEW_PASSWORD}});
    let r = t.post("/passwords/update", Some(&temp), body.clone()).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let expiry = r.body["passwordInfo"]["expiryDate"].as_i64().unwrap();
    assert_eq!(expiry, (t.clock_now() + 90 * 86_400) * 1000);
    assert_eq!(t.post("/passwords/update", Some(&temp), body).await.status, 401, "the temporary token is spent");
    let fresh = r.body["token"].as_str().unwrap();
    assert_eq!(t.get("/identities", Some(fresh)).await.status, 200);
    assert_eq!(t.login("jane@example.com", NEW_PASSWORD).await.status, 200);
}

async fn sms_factor_enrolment(b: Backend) {
    let t = TestApp::new(b).await;
    let (_, access) = t.tokens("jane@example.com").await;
    assert_eq!(
        t.post("/authentication_factors/otp/EMAIL", Some(&access), json!({})).await.body,
        json!({"errorCode": "CHANNEL_NOT_SUPPORTED"})
    );
    assert_eq!(
        t.post("/authentication_factors/otp/SMS/verify", Some(&access), json!({"verificationCode": "123456"}))
            .await
            .body["errorCode"],
        "STATE_INVALID"
    );
    assert_eq!(t.post("/authentication_factors/otp/SMS", Some(&access), json!({})).await.status, 204);
    let sent = t.sms.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].to, integration_tests::MOBILE);
    assert!(sent[0].body.contains("123456"));
    let factors = t.get("/authentication_factors", Some(&access)).await.body;
    assert_eq!(factors, json!({"factors": [{"type": "OTP", "channel": "SMS", "status": "PENDING_VERIFICATION"}]}));
    // Asking again within 15 s.
    assert_eq!(
        t.post("/authentication_factors/otp/SMS", Some(&access), json!({})).await.body,
        json!({"errorCode": "RETRY_IN_15SEC"})
    );
    let wrong =
        t.post("/authentication_factors/otp/SMS/verify", Some(&access), json!({"verificationCode": "000000"})).await;
    assert_eq!(wrong.body, json!({"errorCode": "VERIFICATION_CODE_INVALID"}));
    let r =
        t.post("/authentication_factors/otp/SMS/verify", Some(&access), json!({"verificationCode": "123456"})).await;
    assert_eq!(r.status, 204, "{}", r.body);
    let factors = t.get("/authentication_factors", Some(&access)).await.body;
    assert_eq!(factors["factors"][0]["status"], "ACTIVE");
    t.clock.advance(20);
    assert_eq!(
        t.post("/authentication_factors/otp/SMS", Some(&access), json!({})).await.body,
        json!({"errorCode": "CHANNEL_ALREADY_REGISTERED"})
    );
    assert_eq!(
        t.post("/authentication_factors/otp/SMS/verify", Some(&access), json!({"verificationCode": "123456"}))
            .await
            .body,
        json!({"errorCode": "CHANNEL_ALREADY_REGISTERED"})
    );
}

async fn sms_factor_needs_a_mobile_number_and_a_fresh_code(b: Backend) {
    let t = TestApp::new(b).await;
    let r = t
        .post(
            "/users",
            None,
            json!({"email": "nomobile@example.com", "password": {"value": PASSWORD}, "name": "No Mobile"}),
        )
        .await;
    assert_eq!(r.status, 201);
    let auth = t.login("nomobile@example.com", PASSWORD).await.body["token"].as_str().unwrap().to_owned();
    let access = t.access_token(&auth).await;
    assert_eq!(
        t.post("/authentication_factors/otp/SMS", Some(&access), json!({})).await.body,
        json!({"errorCode": "MOBILE_NUMBER_NOT_AVAILABLE"})
    );

    let (_, access) = t.tokens("jane@example.com").await;
    assert_eq!(t.post("/authentication_factors/otp/SMS", Some(&access), json!({})).await.status, 204);
    t.clock.advance(200);
    assert_eq!(t.get("/authentication_factors", Some(&access)).await.status, 200, "keep the token alive");
    t.clock.advance(100);
    let r =
        t.post("/authentication_factors/otp/SMS/verify", Some(&access), json!({"verificationCode": "123456"})).await;
    assert_eq!(r.body, json!({"errorCode": "VERIFICATION_CODE_EXPIRED"}));
}

async fn otp_step_up_marks_the_session(b: Backend) {
    let t = TestApp::new(b).await;
    let (auth, access) = t.tokens("jane@example.com").await;
    assert_eq!(
        t.post("/stepup/challenges/otp/SMS", Some(&access), json!({})).await.body,
        json!({"errorCode": "CHANNEL_NOT_REGISTERED"})
    );
    assert_eq!(
        t.post("/stepup/challenges/otp/PUSH", Some(&access), json!({})).await.body,
        json!({"errorCode": "CHANNEL_NOT_SUPPORTED"})
    );
    enrol_sms(&t, &access).await;
    let verify = |code: &str| json!({"verificationCode": code});
    assert_eq!(
        t.post("/stepup/challenges/otp/SMS/verify", Some(&access), verify("123456")).await.body,
        json!({"errorCode": "STATE_INVALID"})
    );
    assert_eq!(t.post("/stepup/challenges/otp/SMS", Some(&access), json!({})).await.status, 204);
    assert_eq!(
        t.post("/stepup/challenges/otp/SMS", Some(&access), json!({})).await.body,
        json!({"errorCode": "RETRY_IN_15SEC"})
    );
    assert_eq!(
        t.post("/stepup/challenges/otp/SMS/verify", Some(&access), verify("111111")).await.body,
        json!({"errorCode": "VERIFICATION_CODE_INVALID"})
    );
    assert_eq!(t.post("/stepup/challenges/otp/SMS/verify", Some(&access), verify("123456")).await.status, 204);
    // A code works once.
    assert_eq!(
        t.post("/stepup/challenges/otp/SMS/verify", Some(&access), verify("123456")).await.body,
        json!({"errorCode": "STATE_INVALID"})
    );
    let identity = t.get("/identities", Some(&auth)).await.body[0]["id"].clone();
    let r = t.post("/access_token", Some(&auth), json!({"identity": identity})).await;
    assert_eq!(r.body["status"], "STEPPED_UP");
}

async fn the_fifth_wrong_code_kills_the_challenge(b: Backend) {
    // The lockout is out of the way here (see the next test): the challenge's own limit alone.
    let t = TestApp::with_config(b, |c| c.lockout_threshold = 1000).await;
    let (_, access) = t.tokens("jane@example.com").await;
    enrol_sms(&t, &access).await;
    assert_eq!(t.post("/stepup/challenges/otp/SMS", Some(&access), json!({})).await.status, 204);
    let wrong = json!({"verificationCode": "999999"});
    for _ in 0..4 {
        assert_eq!(
            t.post("/stepup/challenges/otp/SMS/verify", Some(&access), wrong.clone()).await.body["errorCode"],
            "VERIFICATION_CODE_INVALID"
        );
    }
    assert_eq!(
        t.post("/stepup/challenges/otp/SMS/verify", Some(&access), wrong).await.body["errorCode"],
        "CHALLENGE_LIMIT_EXCEEDED"
    );
    let right = t.post("/stepup/challenges/otp/SMS/verify", Some(&access), json!({"verificationCode": "123456"})).await;
    assert_eq!(right.body["errorCode"], "CHALLENGE_LIMIT_EXCEEDED");
    t.clock.advance(200);
    assert_eq!(t.get("/authentication_factors", Some(&access)).await.status, 200, "keep the token alive");
    t.clock.advance(100);
    let r = t.post("/stepup/challenges/otp/SMS", Some(&access), json!({})).await;
    assert_eq!(r.status, 204);
    let r = t.post("/stepup/challenges/otp/SMS/verify", Some(&access), json!({"verificationCode": "123456"})).await;
    assert_eq!(r.status, 204, "{}", r.body);
}

async fn five_wrong_codes_lock_the_account_and_no_code_is_checked_during_the_lock(b: Backend) {
    let t = TestApp::new(b).await;
    let (auth, access) = t.tokens("jane@example.com").await;
    enrol_sms(&t, &access).await;
    assert_eq!(t.post("/stepup/challenges/otp/SMS", Some(&access), json!({})).await.status, 204);
    let wrong = json!({"verificationCode": "999999"});
    for _ in 0..4 {
        let r = t.post("/stepup/challenges/otp/SMS/verify", Some(&access), wrong.clone()).await;
        assert_eq!(r.body["errorCode"], "VERIFICATION_CODE_INVALID");
    }
    let fifth = t.post("/stepup/challenges/otp/SMS/verify", Some(&access), wrong).await;
    assert_eq!(fifth.status, 423, "the fifth wrong code locks the account: {}", fifth.body);
    let right = t.post("/stepup/challenges/otp/SMS/verify", Some(&access), json!({"verificationCode": "123456"})).await;
    assert_eq!(right.status, 423, "no code is compared while locked");
    assert_eq!(t.login("jane@example.com", PASSWORD).await.status, 423);
    // The live session goes on for what needs no secret check.
    assert_eq!(t.get("/identities", Some(&auth)).await.status, 200);
}

async fn non_sandbox_codes_go_out_through_sns(b: Backend) {
    let t = TestApp::with_sns(b).await;
    let mobile = format!("+4474009{:05}", shared::crypto::random_digits(5).unwrap());
    let number = mobile.trim_start_matches("+44").to_owned();
    let r = t
        .post("/users", None, json!({"email": "sns@example.com", "password": {"value": PASSWORD}, "name": "Sns", "mobile": {"countryCode": "+44", "number": number}}))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let auth = t.login("sns@example.com", PASSWORD).await.body["token"].as_str().unwrap().to_owned();
    let access = t.access_token(&auth).await;
    assert_eq!(t.post("/authentication_factors/otp/SMS", Some(&access), json!({})).await.status, 204);
    let messages = moto_sms_to(&mobile);
    assert_eq!(messages.len(), 1, "{messages:?}");
    let code: String = messages[0].chars().filter(|c| c.is_ascii_digit()).take(6).collect();
    assert_eq!(code.len(), 6);
    assert_ne!(code, "123456", "outside the sandbox codes are random (1 in a million to be unlucky)");
    assert_eq!(
        t.post("/authentication_factors/otp/SMS/verify", Some(&access), json!({"verificationCode": "123456"}))
            .await
            .status,
        409
    );
    let r = t.post("/authentication_factors/otp/SMS/verify", Some(&access), json!({"verificationCode": code})).await;
    assert_eq!(r.status, 204, "{}", r.body);
}

async fn push_enrolment_and_removal(b: Backend) {
    let t = TestApp::new(b).await;
    let (_, access) = t.tokens("jane@example.com").await;
    let device = Device::new(3);
    assert_eq!(
        t.post("/authentication_factors/push/SMS", Some(&access), device.enrolment()).await.body["errorCode"],
        "CHANNEL_NOT_SUPPORTED"
    );
    let bad_key =
        json!({"deviceToken": "t", "platform": "APNS", "publicKey": "c2hvcnQga2V5IHRoYXQgaXMgbm90IDMyIGJ5dGVz"});
    assert_eq!(t.post("/authentication_factors/push/AUTHY", Some(&access), bad_key).await.status, 400);
    let r = t.post("/authentication_factors/push/AUTHY", Some(&access), device.enrolment()).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["linkingCode"].as_str().unwrap().len(), 8);
    assert_eq!(
        t.post("/authentication_factors/push/AUTHY", Some(&access), device.enrolment()).await.body["errorCode"],
        "CHANNEL_ALREADY_REGISTERED"
    );
    let factors = t.get("/authentication_factors", Some(&access)).await.body;
    assert_eq!(factors, json!({"factors": [{"type": "PUSH", "channel": "AUTHY", "status": "ACTIVE"}]}));
    // Removing the account's only factor is a change of how it proves itself: step up first.
    assert_eq!(
        t.delete("/authentication_factors/push/AUTHY", Some(&access)).await.body["errorCode"],
        "STEP_UP_REQUIRED"
    );
    step_up_by_push(&t, &access, "AUTHY", &device).await;
    assert_eq!(t.delete("/authentication_factors/push/AUTHY", Some(&access)).await.status, 204);
    assert_eq!(
        t.delete("/authentication_factors/push/AUTHY", Some(&access)).await.body["errorCode"],
        "CHANNEL_NOT_REGISTERED"
    );
    assert_eq!(t.get("/authentication_factors", Some(&access)).await.body, json!({"factors": []}));
}

async fn push_step_up_is_answered_by_the_device_signature(b: Backend) {
    let t = TestApp::new(b).await;
    let (auth, access) = t.tokens("jane@example.com").await;
    let device = Device::new(5);
    assert_eq!(
        t.post("/stepup/challenges/push/BIOMETRIC", Some(&access), json!({})).await.body["errorCode"],
        "CHANNEL_NOT_REGISTERED"
    );
    t.post("/authentication_factors/push/BIOMETRIC", Some(&access), device.enrolment()).await;
    let r = t.post("/stepup/challenges/push/BIOMETRIC", Some(&access), json!({})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let id = r.body["id"].as_str().unwrap().to_owned();
    assert!(id.bytes().all(|c| c.is_ascii_digit()));
    assert_eq!(t.push.sent().last().unwrap().payload["challengeId"], json!(id));
    // One in flight per session.
    assert_eq!(
        t.post("/stepup/challenges/push/BIOMETRIC", Some(&access), json!({})).await.body["errorCode"],
        "STATE_INVALID"
    );
    let status_path = format!("/stepup/challenges/push/BIOMETRIC/{id}");
    let pending = t.get(&status_path, Some(&access)).await.body;
    assert_eq!(pending["status"], "PENDING");
    // The status names the device that asked, so the user can tell whose request it is.
    assert_eq!(pending["userAgent"], "integration-tests/1.0");
    assert!(pending["sourceIp"].is_string() && pending["requestedAt"].is_i64(), "{pending}");

    let approve = format!("{status_path}/approve");
    // A signature by another key, or over the other answer, is refused.
    let stranger = Device::new(6);
    assert_eq!(t.post(&approve, None, json!({"signature": stranger.sign(&format!("{id}:approve"))})).await.status, 403);
    assert_eq!(t.post(&approve, None, json!({"signature": device.sign(&format!("{id}:reject"))})).await.status, 403);
    assert_eq!(t.post(&approve, None, json!({"signature": "!!"})).await.status, 403);
    assert_eq!(
        t.post("/stepup/challenges/push/BIOMETRIC/999/approve", None, json!({"signature": device.sign("999:approve")}))
            .await
            .status,
        404
    );
    let r = t.post(&approve, None, json!({"signature": device.sign(&format!("{id}:approve"))})).await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(t.get(&status_path, Some(&access)).await.body["status"], "APPROVED");
    assert_eq!(
        t.post(&approve, None, json!({"signature": device.sign(&format!("{id}:approve"))})).await.body["errorCode"],
        "STATE_INVALID"
    );
    let identity = t.get("/identities", Some(&auth)).await.body[0]["id"].clone();
    assert_eq!(t.post("/access_token", Some(&auth), json!({"identity": identity})).await.body["status"], "STEPPED_UP");

    // The next challenge can start once this one is settled; a rejection does not step up.
    let r = t.post("/stepup/challenges/push/BIOMETRIC", Some(&access), json!({})).await;
    let id2 = r.body["id"].as_str().unwrap().to_owned();
    let reject = format!("/stepup/challenges/push/BIOMETRIC/{id2}/reject");
    assert_eq!(t.post(&reject, None, json!({"signature": device.sign(&format!("{id2}:reject"))})).await.status, 204);
    assert_eq!(
        t.get(&format!("/stepup/challenges/push/BIOMETRIC/{id2}"), Some(&access)).await.body["status"],
        "REJECTED"
    );
}

async fn push_challenges_expire(b: Backend) {
    let t = TestApp::new(b).await;
    let (_, access) = t.tokens("jane@example.com").await;
    let device = Device::new(5);
    t.post("/authentication_factors/push/BIOMETRIC", Some(&access), device.enrolment()).await;
    let id = t.post("/stepup/challenges/push/BIOMETRIC", Some(&access), json!({})).await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    t.clock.advance(120);
    let path = format!("/stepup/challenges/push/BIOMETRIC/{id}");
    assert_eq!(t.get(&path, Some(&access)).await.body["status"], "EXPIRED");
    let late =
        t.post(&format!("{path}/approve"), None, json!({"signature": device.sign(&format!("{id}:approve"))})).await;
    assert_eq!(late.body["errorCode"], "STATE_INVALID");
    // An expired challenge no longer blocks a new one.
    assert_eq!(t.post("/stepup/challenges/push/BIOMETRIC", Some(&access), json!({})).await.status, 200);
    // Another session cannot see it.
    let (_, other) = t.tokens("john@example.com").await;
    assert_eq!(t.get(&path, Some(&other)).await.status, 404);
}

async fn every_response_carries_a_unique_request_ref(b: Backend) {
    let t = TestApp::new(b).await;
    let a = t.get("/identities", None).await;
    let c = t.get("/nowhere", None).await;
    let (ra, rc) = (a.header("request-ref").unwrap(), c.header("request-ref").unwrap());
    assert!(ra.len() >= 16);
    assert_ne!(ra, rc);
}

async fn logins_from_one_ip_are_rate_limited(b: Backend) {
    let t = TestApp::with_config(b, |c| c.rate_limit.per_ip_per_minute = 3).await;
    for _ in 0..3 {
        assert_eq!(t.login("nobody@example.com", "x").await.status, 403);
    }
    let r = t.login("nobody@example.com", "x").await;
    assert_eq!(r.status, 429);
    assert_eq!(r.header("x-ratelimit-limit"), Some("3"));
    assert!(r.header("x-ratelimit-reset").is_some());
    assert!(r.header("retry-after").is_some());
    t.clock.advance(60);
    assert_eq!(t.login("nobody@example.com", "x").await.status, 403);
}

async fn sms_per_phone_budget_stops_pumping(b: Backend) {
    let t = TestApp::with_config(b, |c| c.rate_limit.sms_per_phone_per_hour = 2).await;
    let (_, access) = t.tokens("jane@example.com").await;
    enrol_sms(&t, &access).await;
    // Another login: one login's share of a budget of 2 is 1, spent by the enrolment.
    let (_, access) = t.session_tokens("jane@example.com").await;
    assert_eq!(t.post("/stepup/challenges/otp/SMS", Some(&access), json!({})).await.status, 204);
    t.clock.advance(16);
    let r = t.post("/stepup/challenges/otp/SMS", Some(&access), json!({})).await;
    assert_eq!(r.status, 429, "{}", r.body);
    assert!(r.header("retry-after").is_some());
}

on_both_stores!(
    identities_can_be_added_and_listed,
    access_tokens_are_scoped_to_the_holders_identities,
    token_kinds_are_confined_to_their_operations,
    access_tokens_idle_out_on_their_own_clock,
    logout_kills_every_derived_access_token,
    access_token_is_refused_while_the_account_is_locked,
    password_update_checks_and_rotates_everything,
    wrong_old_passwords_count_toward_the_lockout,
    an_expired_password_is_changed_with_the_temporary_token,
    sms_factor_enrolment,
    sms_factor_needs_a_mobile_number_and_a_fresh_code,
    otp_step_up_marks_the_session,
    the_fifth_wrong_code_kills_the_challenge,
    five_wrong_codes_lock_the_account_and_no_code_is_checked_during_the_lock,
    non_sandbox_codes_go_out_through_sns,
    push_enrolment_and_removal,
    push_step_up_is_answered_by_the_device_signature,
    push_challenges_expire,
    every_response_carries_a_unique_request_ref,
    logins_from_one_ip_are_rate_limited,
    sms_per_phone_budget_stops_pumping,
);
