//! `GET /security_events?limit&cursor`: the caller's own security events of the last 90 days,
//! newest first, a page at a time (ACCESS token or idToken).

use axum::extract::RawQuery;

use crate::api::extract::query_param;
use crate::api::prelude::*;

/// Events per page when `limit` is not given, and the most a page holds.
const DEFAULT_LIMIT: usize = 20;
const MAX_LIMIT: usize = 100;

pub async fn handle(
    State(app): State<AppState>,
    AccessOrIdCaller(caller): AccessOrIdCaller,
    RawQuery(query): RawQuery,
) -> Answer {
    let app: &App = &app;
    let limit = match query_param(query.as_deref(), "limit") {
        None => DEFAULT_LIMIT,
        Some(raw) => raw
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_LIMIT).contains(n))
            .ok_or(ApiError::field("limit", FieldErrorKind::Range))?,
    };
    let cursor = match query_param(query.as_deref(), "cursor") {
        None => None,
        Some(c) => Some(trail_key(&c).ok_or(ApiError::field("cursor", FieldErrorKind::Regex))?),
    };
    let (events, next) = crate::app::events::trail(app, &caller.user_id, cursor.as_deref(), limit).await?;
    let next = next.map(|key| key.replacen('#', ".", 1));
    let events: Vec<serde_json::Value> = events.iter().map(crate::app::events::view).collect();
    Ok(ok(&serde_json::json!({ "events": events, "cursor": next })))
}

/// The trail key a cursor names: a cursor is `<12 digits>.<id>` (the key with a URL-safe
/// separator), nothing else.
fn trail_key(c: &str) -> Option<String> {
    let (at, id) = c.split_once('.')?;
    let valid = c.len() <= 96
        && at.len() == 12
        && at.bytes().all(|b| b.is_ascii_digit())
        && !id.is_empty()
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    valid.then(|| format!("{at}#{id}"))
}
