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
    let cursor = query_param(query.as_deref(), "cursor");
    if cursor.as_deref().is_some_and(|c| !is_trail_key(c)) {
        return Err(ApiError::field("cursor", FieldErrorKind::Regex));
    }
    let (events, next) = crate::app::events::trail(app, &caller.user_id, cursor.as_deref(), limit).await?;
    Ok(ok(
        &serde_json::json!({ "events": events.iter().map(crate::app::events::view).collect::<Vec<_>>(), "cursor": next }),
    ))
}

/// A cursor is the trail key of an event: `<12 digits>#<id>`.
fn is_trail_key(c: &str) -> bool {
    c.len() <= 64
        && c.split_once('#').is_some_and(|(at, id)| {
            at.len() == 12
                && at.bytes().all(|b| b.is_ascii_digit())
                && !id.is_empty()
                && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}
