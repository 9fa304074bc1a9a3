//! The account, its owner's (issue 25, parts 4 and 5), attacked on both stores: the export
//! (never a secret, budgeted, only the caller's own) and the deletion on both surfaces (proof
//! first; afterwards every token refused, the old login indistinguishable from an unknown
//! address, the address free and the new account inheriting nothing, nothing personal left in
//! the table; a deletion stopped midway finished by the operator; tokens racing it).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use integration_tests::{Backend, Device, PASSWORD, TestApp, at_once, on_both_stores, step_up_by_push};
use serde_json::{Value, json};

const EXPORT: &str = "/users/me/export";
const DELETE: &str = "/users/delete";
const DELETE_2: &str = "/auth/me/delete";

fn password(p: &str) -> Value {
    json!({"password": {"value": p}})
}

fn family_of(refresh_token: &str) -> String {
    refresh_token.splitn(3, '.').take(2).collect::<Vec<_>>().join(".")
}

/// Nothing of the account `user_id` of `email` is left: no item of the table names either
/// (DynamoDB Local: a scan of every item), and no port finds anything of it.
pub(crate) async fn nothing_of_it_is_left(t: &TestApp, user_id: &str, email: &str) {
    let by_id = integration_tests::items_naming(t, user_id).await;
    assert!(by_id.is_empty(), "items still naming the user id: {by_id:#?}");
    let by_address = integration_tests::items_naming(t, email).await;
    assert!(by_address.is_empty(), "items still naming the address: {by_address:#?}");
    let store = &t.app.store;
    assert!(store.get_account_record(email).await.unwrap().is_none_or(|u| u.user_id != user_id));
    assert!(store.list_sessions(user_id).await.unwrap().is_empty());
    assert!(store.list_refresh(user_id).await.unwrap().is_empty());
    assert!(store.list_events(user_id, None, 10).await.unwrap().is_empty());
}

/// The answers a login with `email` gets on both surfaces: (status, body) each.
async fn login_answers(t: &TestApp, email: &str) -> Vec<(u16, Value)> {
    let one = t.login(email, PASSWORD).await;
    let two = t.id_login(email, PASSWORD).await;
    vec![(one.status, one.body), (two.status, two.body)]
}

// ------------------------------------------------------------------ export

async fn the_export_is_the_callers_own_and_never_holds_a_secret(b: Backend) {
    let t = TestApp::new(b).await;
    let (_, access) = t.tokens("jane@example.com").await;
    let device = Device::new(3);
    let r = t.post("/authentication_factors/push/BIOMETRIC", Some(&access), device.enrolment()).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let (id_token, _) = t.id_login_tokens("jane@example.com").await;
    // A TOTP secret, whose text must never appear.
    let r = t.post("/auth/otp/methods/totp", Some(&id_token), json!({})).await;
    let totp_secret = r.body["totp"]["secret"].as_str().map(str::to_owned);
    let (_, other) = t.tokens("other@example.com").await;

    for token in [&access, &id_token] {
        let r = t.get(EXPORT, Some(token)).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let e = &r.body;
        assert_eq!(e["account"]["email"], "jane@example.com");
        assert_eq!(e["account"]["status"], "ACTIVE");
        assert_eq!(e["identities"].as_array().unwrap().len(), 1);
        assert_eq!(e["factors"][0]["channel"], "BIOMETRIC");
        assert!(e["logins"].as_array().unwrap().len() >= 2, "both logins: {}", e["logins"]);
        assert!(e["knownDevices"].is_array());
        let types: Vec<&str> =
            e["securityEvents"].as_array().unwrap().iter().filter_map(|v| v["type"].as_str()).collect();
        assert!(types.contains(&"LOGIN_SUCCEEDED") && types.contains(&"FACTOR_ENROLLED"), "{types:?}");
        // No secret by value ...
        let text = e.to_string();
        let user = t.app.store.get_user("jane@example.com").await.unwrap().unwrap();
        let endpoint = user.factors[0].device.as_ref().unwrap().endpoint.clone();
        let mut secrets = vec![user.password_hash.clone(), endpoint, device.public_key(), PASSWORD.to_owned()];
        secrets.extend(totp_secret.clone());
        secrets.extend(user.mfa.totp.as_ref().map(|s| s.sealed.clone()));
        for secret in &secrets {
            assert!(!text.contains(secret.as_str()), "the export holds a secret: {secret}");
        }
        assert!(!text.contains("other@example.com"), "another account's data");
        // ... nor by name.
        fn keys(v: &Value, out: &mut Vec<String>) {
            match v {
                Value::Object(m) => m.iter().for_each(|(k, v)| {
                    out.push(k.to_lowercase());
                    keys(v, out)
                }),
                Value::Array(a) => a.iter().for_each(|v| keys(v, out)),
                _ => {}
            }
        }
        let mut names = Vec::new();
        keys(e, &mut names);
        let secretish = |n: &str| {
            ["secret", "hash", "sealed", "nonce", "endpoint", "publickey", "privatekey"]
                .iter()
                .any(|bad| n.contains(bad))
                || (n.ends_with("token") && n != "tokentype")
                || (n.ends_with("code") && n != "countrycode")
                || n == "password"
                || n == "otp"
        };
        let named: Vec<&String> = names.iter().filter(|n| secretish(n)).collect();
        assert!(named.is_empty(), "fields named like a secret: {named:?}");
    }
    // The other account exports its own, never Jane's.
    let r = t.get(EXPORT, Some(&other)).await;
    assert_eq!(r.body["account"]["email"], "other@example.com");
    assert!(!r.body.to_string().contains("jane@example.com"));
    // An AUTH token acts for no identity.
    let auth = t.login("jane@example.com", PASSWORD).await.body["token"].as_str().unwrap().to_owned();
    assert_eq!(t.get(EXPORT, Some(&auth)).await.status, 401);
    assert_eq!(t.get(EXPORT, None).await.status, 401);
}

async fn exports_are_budgeted_per_account(b: Backend) {
    let t = TestApp::new(b).await;
    let (_, access) = t.tokens("jane@example.com").await;
    let (id_token, _) = t.id_login_tokens("jane@example.com").await;
    // Five a day, whichever token asks; concurrently as well.
    let t = Arc::new(t);
    let statuses = at_once(7, |i| {
        let (t, token) = (Arc::clone(&t), if i % 2 == 0 { access.clone() } else { id_token.clone() });
        async move { t.get(EXPORT, Some(&token)).await.status }
    })
    .await;
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 5, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 2, "{statuses:?}");
    let r = t.get(EXPORT, Some(&access)).await;
    assert_eq!(r.status, 429);
    assert!(r.header("retry-after").is_some());
    // Another account's budget is its own.
    let (_, other) = t.tokens("other@example.com").await;
    assert_eq!(t.get(EXPORT, Some(&other)).await.status, 200);
    t.clock.advance(2 * 86_400);
    let (_, access) = t.session_tokens("jane@example.com").await;
    assert_eq!(t.get(EXPORT, Some(&access)).await.status, 200, "a day later");
}

// ------------------------------------------------------------------ deletion

async fn a_deleted_account_leaves_no_token_no_login_and_nothing_in_the_table(b: Backend) {
    let t = TestApp::new(b).await;
    let email = "leaving@example.com";
    let user_id = t.register(email).await["userId"].as_str().unwrap().to_owned();
    let (auth, access) = t.session_tokens(email).await;
    let (id_token, refresh) = t.id_login_tokens(email).await;
    // A second factor: the deletion then needs a step-up.
    let device = Device::new(5);
    assert_eq!(t.post("/authentication_factors/push/BIOMETRIC", Some(&access), device.enrolment()).await.status, 200);
    let r = t.post(DELETE, Some(&access), password(PASSWORD)).await;
    assert_eq!((r.status, r.body["errorCode"].as_str()), (409, Some("STEP_UP_REQUIRED")), "{}", r.body);
    step_up_by_push(&t, &access, "BIOMETRIC", &device).await;
    let r = t.post(DELETE, Some(&access), password("not the password at all")).await;
    assert_eq!((r.status, r.body["errorCode"].as_str()), (409, Some("PASSWORD_INCORRECT")), "{}", r.body);
    assert_eq!(t.app.store.load_lockout(email).await.unwrap().state.failures, 1, "a wrong password spends an attempt");
    // An AUTH token cannot delete; an ACCESS token with the password and the step-up can.
    assert_eq!(t.post(DELETE, Some(&auth), password(PASSWORD)).await.status, 401);
    let notices_before = t.email.sent().len();
    let r = t.post(DELETE, Some(&access), password(PASSWORD)).await;
    assert_eq!(r.status, 204, "{}", r.body);
    let notices: Vec<_> = t.email.sent().into_iter().skip(notices_before).collect();
    assert!(notices.iter().any(|m| m.to == email && m.body.contains("deleted")), "the notice went to the address");

    // Every token of every kind, refused.
    assert_eq!(t.get("/identities", Some(&auth)).await.status, 401);
    assert_eq!(t.get("/authentication_factors", Some(&access)).await.status, 401);
    assert_eq!(t.get("/sessions", Some(&auth)).await.status, 401);
    assert_eq!(t.get(EXPORT, Some(&access)).await.status, 401);
    assert_eq!(t.get("/security_events", Some(&access)).await.status, 401);
    assert_eq!(t.get("/auth/me", Some(&id_token)).await.status, 403);
    assert_eq!(t.get("/sessions", Some(&id_token)).await.status, 401);
    assert_eq!(t.post("/auth/login/refresh", None, json!({"refreshToken": refresh})).await.status, 403);
    assert_eq!(t.post(DELETE, Some(&access), password(PASSWORD)).await.status, 401);
    // The old login answers exactly as an address that never existed.
    assert_eq!(login_answers(&t, email).await, login_answers(&t, "never-was@example.com").await);
    // Nothing personal left (the failed logins just now wrote the address's counter, as for any
    // unknown address: cleared first).
    t.app.store.clear_lockout(email).await.unwrap();
    nothing_of_it_is_left(&t, &user_id, email).await;

    // The address is free, and the new account inherits nothing.
    let fresh = t.register(email).await["userId"].as_str().unwrap().to_owned();
    assert_ne!(fresh, user_id);
    let (_, access2) = t.session_tokens(email).await;
    let e = t.get(EXPORT, Some(&access2)).await.body;
    assert_eq!(e["factors"], json!([]));
    assert_eq!(e["passkeys"], json!([]));
    assert_eq!(e["logins"].as_array().unwrap().len(), 1, "{}", e["logins"]);
    assert!(e["securityEvents"].as_array().unwrap().iter().all(|v| v["type"] == "LOGIN_SUCCEEDED"), "{e}");
    assert_eq!(t.get("/identities", Some(&auth)).await.status, 401, "the old token on the new account");
    assert_eq!(t.get("/auth/me", Some(&id_token)).await.status, 403, "the old idToken on the new account");
    let r = t.post("/auth/login/refresh", None, json!({"refreshToken": refresh})).await;
    assert_eq!(r.status, 403, "the old refresh family on the new account");
    assert_eq!(t.delete(&format!("/sessions/{}", family_of(&refresh)), Some(&access2)).await.status, 404);
    // The push endpoint was unregistered.
    let sends = t.senders.used_by_function();
    assert!(sends.values().any(|s| s.contains("push.unregister")), "{sends:?}");
}

async fn surface_two_deletes_with_the_password_and_an_x_otp(b: Backend) {
    let t = TestApp::new(b).await;
    let email = "jane@example.com";
    let user_id = t.register(email).await["userId"].as_str().unwrap().to_owned();
    let (id_token, refresh) = t.id_login_tokens(email).await;
    let (auth, _) = t.session_tokens(email).await;
    let secret = t.add_totp(&id_token).await;
    let code = t.totp_code(&secret, 0);
    let r = t
        .with_otp(axum::http::Method::POST, "/auth/otp/code", &id_token, &code, Some(json!({"channel": "TOTP"})))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    t.clock.advance(30);
    // No x-otp, a wrong one, a wrong password: refused, the account intact.
    let r = t.post(DELETE_2, Some(&id_token), json!({"password": PASSWORD})).await;
    assert_eq!((r.status, r.body["code"].as_str()), (403, Some("OTP_REQUIRED")), "{}", r.body);
    let wrong = if t.totp_code(&secret, 0) == "000000" { "111111" } else { "000000" };
    let r = t.with_otp(axum::http::Method::POST, DELETE_2, &id_token, wrong, Some(json!({"password": PASSWORD}))).await;
    assert_eq!((r.status, r.body["code"].as_str()), (403, Some("OTP_INVALID")), "{}", r.body);
    let code = t.totp_code(&secret, 0);
    let body = Some(json!({"password": "not the password at all"}));
    let r = t.with_otp(axum::http::Method::POST, DELETE_2, &id_token, &code, body).await;
    assert_eq!((r.status, r.body["code"].as_str()), (400, Some("PASSWORD_INCORRECT")), "{}", r.body);
    assert_eq!(t.get("/auth/me", Some(&id_token)).await.status, 200);
    // Both, right: deleted.
    let r = t.with_otp(axum::http::Method::POST, DELETE_2, &id_token, &code, Some(json!({"password": PASSWORD}))).await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(t.get("/auth/me", Some(&id_token)).await.status, 403);
    assert_eq!(t.post("/auth/login/refresh", None, json!({"refreshToken": refresh})).await.status, 403);
    assert_eq!(t.get("/identities", Some(&auth)).await.status, 401);
    assert_eq!(login_answers(&t, email).await, login_answers(&t, "never-was@example.com").await);
    t.app.store.clear_lockout(email).await.unwrap();
    nothing_of_it_is_left(&t, &user_id, email).await;
    assert_eq!(
        t.post("/users", None, json!({"email": email, "password": {"value": PASSWORD}, "name": "Again"})).await.status,
        201
    );
}

async fn a_locked_account_is_not_deleted_and_a_wrong_password_counts(b: Backend) {
    let t = TestApp::new(b).await;
    let email = "jane@example.com";
    let (_, access) = t.tokens(email).await;
    for _ in 0..4 {
        let r = t.post(DELETE, Some(&access), password("not the password at all")).await;
        assert_eq!(r.status, 409, "{}", r.body);
    }
    assert_eq!(t.post(DELETE, Some(&access), password("not the password at all")).await.status, 423);
    assert_eq!(t.post(DELETE, Some(&access), password(PASSWORD)).await.status, 423, "the right one, while locked");
    assert!(t.app.store.get_user(email).await.unwrap().is_some(), "not deleted");
    let r = t.get(EXPORT, Some(&access)).await;
    assert_eq!((r.status, r.body["account"]["status"].as_str()), (200, Some("LOCKED")));
    // A body without the password is a 400 and spends nothing.
    assert_eq!(t.post(DELETE, Some(&access), json!({})).await.status, 400);
}

async fn tokens_racing_the_deletion_resurrect_nothing(b: Backend) {
    let t = Arc::new(TestApp::new(b).await);
    let email = "racing@example.com";
    let user_id = t.register(email).await["userId"].as_str().unwrap().to_owned();
    let (auth, access) = t.session_tokens(email).await;
    let mut refreshes = Vec::new();
    for _ in 0..3 {
        refreshes.push(t.id_login_tokens(email).await);
    }
    let answers = at_once(16, |i| {
        let (t, auth, access, refreshes) = (Arc::clone(&t), auth.clone(), access.clone(), refreshes.clone());
        async move {
            match i {
                0 => t.post(DELETE, Some(&access), password(PASSWORD)).await.status,
                1..=3 => t.post("/auth/login/refresh", None, json!({"refreshToken": refreshes[i - 1].1})).await.status,
                4..=6 => t.login(email, PASSWORD).await.status,
                7..=9 => t.id_login(email, PASSWORD).await.status,
                10 | 11 => {
                    t.post("/access_token", Some(&auth), json!({"identity": {"type": "CONSUMER", "id": "0"}}))
                        .await
                        .status
                }
                12 | 13 => t.get("/identities", Some(&auth)).await.status,
                _ => t.get("/auth/me", Some(&refreshes[0].0)).await.status,
            }
        }
    })
    .await;
    assert_eq!(answers[0], 204, "{answers:?}");
    // Whatever won its race before the deletion is gone with it: no login, token or refresh
    // token of the account works afterwards.
    assert_eq!(t.get("/identities", Some(&auth)).await.status, 401);
    for (id_token, refresh) in &refreshes {
        assert_eq!(t.get("/auth/me", Some(id_token)).await.status, 403);
        assert_eq!(t.post("/auth/login/refresh", None, json!({"refreshToken": refresh})).await.status, 403);
    }
    assert_eq!(t.login(email, PASSWORD).await.status, 403);
    t.app.store.clear_lockout(email).await.unwrap();
    nothing_of_it_is_left(&t, &user_id, email).await;
}

async fn a_deletion_stopped_midway_is_finished_by_the_operator(b: Backend) {
    let t = TestApp::new(b).await;
    let email = "jane@example.com";
    let user_id = t.register(email).await["userId"].as_str().unwrap().to_owned();
    let (auth, access) = t.session_tokens(email).await;
    let (id_token, refresh) = t.id_login_tokens(email).await;
    // The erasure breaks right after the mark.
    t.probe.fail_method_after("erase_user_items", 0);
    let r = t.post(DELETE, Some(&access), password(PASSWORD)).await;
    assert_eq!(r.status, 503, "{}", r.body);
    t.probe.heal();
    // Marked: the account behaves as gone everywhere, although its items are still there, and
    // its ACCOUNT_DELETED (the user id and who asked, nothing else) is committed for the
    // publisher.
    let trail = t.app.store.list_events(&user_id, None, 100).await.unwrap();
    let deleted: Vec<_> =
        trail.iter().filter(|e| e.kind == shared::domain::events::EventType::AccountDeleted).collect();
    assert_eq!(deleted.len(), 1, "{trail:?}");
    assert_eq!((deleted[0].origin.is_none(), deleted[0].session_id.is_none()), (true, true));
    assert_eq!(deleted[0].details, serde_json::from_value(json!({"by": "OWNER"})).unwrap());
    assert_eq!(t.get("/identities", Some(&auth)).await.status, 401);
    assert_eq!(t.get("/sessions", Some(&auth)).await.status, 401);
    assert_eq!(t.get(EXPORT, Some(&access)).await.status, 401);
    assert_eq!(t.get("/auth/me", Some(&id_token)).await.status, 403);
    assert_eq!(t.post("/auth/login/refresh", None, json!({"refreshToken": refresh})).await.status, 403);
    assert_eq!(login_answers(&t, email).await, login_answers(&t, "never-was@example.com").await);
    // The operator finishes it (and says so); again, it is an unknown account.
    let answer = shared::app::admin::run(&t.app, shared::app::admin::Action::Delete, email).await.unwrap();
    assert_eq!(answer["changed"]["resumed"], true, "{answer}");
    t.app.store.clear_lockout(email).await.unwrap();
    nothing_of_it_is_left(&t, &user_id, email).await;
    assert!(matches!(
        shared::app::admin::run(&t.app, shared::app::admin::Action::Delete, email).await,
        Err(shared::domain::error::DomainError::NotFound)
    ));
    t.register(email).await;
}

async fn the_operator_deletes_an_account_and_records_who_asked(b: Backend) {
    let t = TestApp::new(b).await;
    let email = "jane@example.com";
    let user_id = t.register(email).await["userId"].as_str().unwrap().to_owned();
    let (auth, _) = t.session_tokens(email).await;
    let answer = shared::app::admin::run(&t.app, shared::app::admin::Action::Delete, email).await.unwrap();
    assert_eq!((answer["action"].as_str(), answer["changed"]["resumed"].as_bool()), (Some("delete"), Some(false)));
    assert_eq!(answer["changed"]["userId"], user_id.as_str());
    assert_eq!(t.get("/identities", Some(&auth)).await.status, 401);
    assert!(t.email.sent().iter().any(|m| m.to == email && m.body.contains("deleted")));
    nothing_of_it_is_left(&t, &user_id, email).await;
}

async fn deletions_racing_each_other_delete_once(b: Backend) {
    let t = Arc::new(TestApp::new(b).await);
    let email = "twice@example.com";
    let user_id = t.register(email).await["userId"].as_str().unwrap().to_owned();
    let (_, access) = t.session_tokens(email).await;
    let (id_token, _) = t.id_login_tokens(email).await;
    let statuses = at_once(6, |i| {
        let (t, access, id_token) = (Arc::clone(&t), access.clone(), id_token.clone());
        async move {
            match i % 3 {
                0 | 1 => t.post(DELETE, Some(&access), password(PASSWORD)).await.status,
                _ => t.post(DELETE_2, Some(&id_token), json!({"password": PASSWORD})).await.status,
            }
        }
    })
    .await;
    assert!(statuses.iter().all(|s| [204, 401, 403].contains(s)), "{statuses:?}");
    assert!(statuses.contains(&204), "{statuses:?}");
    // One ACCOUNT_DELETED notice went out, however many raced.
    let notices = t.email.sent().into_iter().filter(|m| m.to == email && m.body.contains("deleted")).count();
    assert_eq!(notices, 1, "{statuses:?}");
    t.app.store.clear_lockout(email).await.unwrap();
    nothing_of_it_is_left(&t, &user_id, email).await;
}

/// The store failing at every point of a deletion in turn: each time the account is either whole
/// (its owner logs in, and deleting again works) or gone (a login answers as for an unknown
/// address, no token works), never in between; the operator's `delete` finishes what the mark
/// began, and then nothing of it is left.
async fn a_deletion_broken_at_any_store_call_leaves_the_account_whole_or_gone(b: Backend) {
    let t = TestApp::new(b).await;
    for n in 0..40 {
        let email = format!("broken-{n}@example.com");
        let user_id = t.register(&email).await["userId"].as_str().unwrap().to_owned();
        let (auth, access) = t.session_tokens(&email).await;
        t.probe.fail_after_calls(n);
        let status = t.post(DELETE, Some(&access), password(PASSWORD)).await.status;
        t.probe.heal();
        assert!([204, 503].contains(&status), "call {n}: {status}");
        let marked = t.app.store.get_account_record(&email).await.unwrap().filter(|u| u.user_id == user_id);
        let erased = marked.is_none();
        match marked {
            Some(u) if !u.deleted => {
                // Broken before the mark: whole, and the owner deletes it again.
                assert_eq!(t.login(&email, PASSWORD).await.status, 200, "call {n}");
                let r = t.post(DELETE, Some(&access), password(PASSWORD)).await;
                assert_eq!(r.status, 204, "call {n}: {}", r.body);
            }
            Some(_) => {
                // Marked, not yet erased: gone to every client; the operator finishes it.
                assert_eq!(t.get("/identities", Some(&auth)).await.status, 401, "call {n}");
                let unknown = format!("never-{n}@example.com");
                assert_eq!(login_answers(&t, &email).await, login_answers(&t, &unknown).await, "call {n}");
                let admin = shared::app::admin::run(&t.app, shared::app::admin::Action::Delete, &email).await;
                assert_eq!(admin.unwrap()["changed"]["resumed"], true, "call {n}");
            }
            None => assert_eq!(status, 204, "call {n}: erased, yet answered {status}"),
        }
        assert_eq!(t.get("/identities", Some(&auth)).await.status, 401, "call {n}");
        t.app.store.clear_lockout(&email).await.unwrap();
        nothing_of_it_is_left(&t, &user_id, &email).await;
        if n > 0 && status == 204 && erased {
            // The whole deletion fits in the calls allowed: no later point left to break.
            break;
        }
    }
}

on_both_stores!(
    a_deletion_broken_at_any_store_call_leaves_the_account_whole_or_gone,
    deletions_racing_each_other_delete_once,
    the_export_is_the_callers_own_and_never_holds_a_secret,
    exports_are_budgeted_per_account,
    a_deleted_account_leaves_no_token_no_login_and_nothing_in_the_table,
    surface_two_deletes_with_the_password_and_an_x_otp,
    a_locked_account_is_not_deleted_and_a_wrong_password_counts,
    tokens_racing_the_deletion_resurrect_nothing,
    a_deletion_stopped_midway_is_finished_by_the_operator,
    the_operator_deletes_an_account_and_records_who_asked,
);
