//! The metrics each request writes (embedded metric format), on both stores: a signal counts
//! the security events its write committed, once, and nothing for a write that failed; the
//! request's own line names its operation and outcome. `scripts/metrics-check.py` reads the
//! same lines from local-api's stdout as CloudWatch would.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use integration_tests::{Backend, PASSWORD, TestApp, on_both_stores};
use serde_json::{Value, json};
use shared::testing::Fault;

/// Every metric of `lines` but the request's own: (name, its dimensions as `key=value`, value).
fn signals(lines: &[Value]) -> Vec<(String, Vec<String>, u64)> {
    let mut out = Vec::new();
    for line in lines {
        for directive in line["_aws"]["CloudWatchMetrics"].as_array().unwrap() {
            let sets = directive["Dimensions"].as_array().unwrap();
            if sets == &[json!(["Operation"])] {
                continue;
            }
            assert_eq!(sets.last(), Some(&json!([])), "a signal is counted in total too: {line}");
            let keys: Vec<&str> = sets[0].as_array().unwrap().iter().map(|k| k.as_str().unwrap()).collect();
            let dims: Vec<String> = keys.iter().map(|k| format!("{k}={}", line[*k].as_str().unwrap())).collect();
            for m in directive["Metrics"].as_array().unwrap() {
                let name = m["Name"].as_str().unwrap();
                out.push((name.to_owned(), dims.clone(), line[name].as_u64().unwrap()));
            }
        }
    }
    out
}

fn count(signals: &[(String, Vec<String>, u64)], name: &str, dims: &[&str]) -> u64 {
    signals.iter().filter(|(n, d, _)| n == name && d == dims).map(|(_, _, v)| v).sum()
}

/// The request lines of `lines`: (operation, status, client errors, server errors).
fn requests(lines: &[Value]) -> Vec<(String, u64, u64, u64)> {
    lines
        .iter()
        .filter(|l| l["message"] == "handled")
        .map(|l| {
            let n = |k: &str| l[k].as_u64().unwrap();
            (l["Operation"].as_str().unwrap().to_owned(), n("status"), n("ClientErrors"), n("ServerErrors"))
        })
        .collect()
}

async fn logins_failures_and_the_lock_count_by_surface_and_method(b: Backend) {
    let t = TestApp::new(b).await;
    let ((), lines) = shared::metrics::captured(async {
        t.register("jane@example.com").await;
        assert_eq!(t.login("jane@example.com", PASSWORD).await.status, 200);
        assert_eq!(t.id_login("jane@example.com", PASSWORD).await.status, 200);
        // An unknown e-mail's failure is written to a decoy trail: it counts too.
        assert_eq!(t.id_login("nobody@example.com", "a wrong guess").await.status, 403);
        let mut statuses = Vec::new();
        for _ in 0..5 {
            statuses.push(t.login("jane@example.com", "a wrong guess").await.status);
        }
        assert_eq!(statuses.last(), Some(&423), "{statuses:?}");
    })
    .await;
    let s = signals(&lines);
    assert_eq!(count(&s, "LoginSucceeded", &["Surface=surface1", "Method=password"]), 1, "{s:?}");
    assert_eq!(count(&s, "LoginSucceeded", &["Surface=surface2", "Method=password"]), 1, "{s:?}");
    assert_eq!(count(&s, "LoginFailed", &["Surface=surface2", "Method=password"]), 1, "{s:?}");
    assert_eq!(count(&s, "LoginFailed", &["Surface=surface1", "Method=password"]), 5, "{s:?}");
    assert_eq!(count(&s, "AccountLocked", &[]), 1, "{s:?}");
    let r = requests(&lines);
    assert_eq!(r.len(), 9, "one request line per request: {r:?}");
    assert_eq!(r[0], ("register".to_owned(), 201, 0, 0));
    assert_eq!(r[8], ("login-with-password".to_owned(), 423, 1, 0));
    assert!(lines.iter().all(|l| l["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "Auth"));
}

/// A write retried after a lost race counts once; a write that failed counts nothing (and its
/// request counts as a server error).
async fn only_committed_events_count(b: Backend) {
    let t = TestApp::new(b).await;
    t.register("jane@example.com").await;
    let (_, lines) = shared::metrics::captured(async {
        t.probe.conflict_once("open_session");
        assert_eq!(t.login("jane@example.com", PASSWORD).await.status, 200);
    })
    .await;
    assert_eq!(count(&signals(&lines), "LoginSucceeded", &["Surface=surface1", "Method=password"]), 1);
    let (_, lines) = shared::metrics::captured(async {
        t.probe.set_fault(Fault::Unavailable);
        assert_eq!(t.login("jane@example.com", PASSWORD).await.status, 503);
        t.probe.set_fault(Fault::None);
    })
    .await;
    assert!(signals(&lines).is_empty(), "{lines:?}");
    assert_eq!(requests(&lines), [("login-with-password".to_owned(), 503, 0, 1)]);
}

/// Refresh-token reuse, the step-up by SMS, a failed verification, SMS and e-mail sent, and an
/// SMS refused by a budget: each with its dimensions, none of them personal.
async fn step_ups_reuse_and_sms_count_with_closed_dimensions(b: Backend) {
    let t = TestApp::with_config(b, |c| c.rate_limit.sms_global_per_day = 2).await;
    let ((), lines) = shared::metrics::captured(async {
        let (_, access) = t.tokens("jane@example.com").await;
        assert_eq!(t.post("/authentication_factors/otp/SMS", Some(&access), json!({})).await.status, 204);
        let wrong = json!({"verificationCode": "000000"});
        assert_eq!(t.post("/authentication_factors/otp/SMS/verify", Some(&access), wrong.clone()).await.status, 409);
        let right = json!({"verificationCode": "123456"});
        assert_eq!(t.post("/authentication_factors/otp/SMS/verify", Some(&access), right.clone()).await.status, 204);
        t.clock.advance(shared::otp::RESEND_COOLDOWN_SECS + 1);
        assert_eq!(t.post("/stepup/challenges/otp/SMS", Some(&access), json!({})).await.status, 204);
        assert_eq!(t.post("/stepup/challenges/otp/SMS/verify", Some(&access), wrong).await.status, 409);
        assert_eq!(t.post("/stepup/challenges/otp/SMS/verify", Some(&access), right).await.status, 204);
        // The day's two SMS are spent: the next is refused by the global budget.
        let (_, other) = t.tokens("mallory@example.com").await;
        assert_eq!(t.post("/authentication_factors/otp/SMS", Some(&other), json!({})).await.status, 429);
        let login = t.id_login("jane@example.com", PASSWORD).await;
        let first = login.body["refreshToken"].as_str().unwrap().to_owned();
        assert_eq!(t.post("/auth/login/refresh", None, json!({"refreshToken": first})).await.status, 200);
        t.clock.advance(61);
        assert_eq!(t.post("/auth/login/refresh", None, json!({"refreshToken": first})).await.status, 403);
    })
    .await;
    let s = signals(&lines);
    for (name, dims, want) in [
        ("SmsSent", vec!["Country=GB"], 2),
        ("SmsRefused", vec!["Budget=SMS_GLOBAL_DAY"], 1),
        ("VerificationFailed", vec!["Check=ENROLMENT_CODE"], 1),
        ("StepUpStarted", vec!["Channel=SMS"], 1),
        ("StepUpFailed", vec!["Channel=SMS"], 1),
        ("StepUpSucceeded", vec!["Channel=SMS"], 1),
        ("RefreshTokenReused", vec![], 1),
        // The security notice of the new factor.
        ("EmailsSent", vec![], 1),
    ] {
        assert_eq!(count(&s, name, &dims), want, "{name} {dims:?}: {s:?}");
    }
    let text = serde_json::to_string(&lines).unwrap();
    for personal in ["jane@example.com", "7400900123", "127.0.0.1"] {
        assert!(!text.contains(personal), "{personal} in the metric lines");
    }
}

on_both_stores!(
    logins_failures_and_the_lock_count_by_surface_and_method,
    only_committed_events_count,
    step_ups_reuse_and_sms_count_with_closed_dimensions,
);
