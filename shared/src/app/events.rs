//! Making security events ([`crate::domain::events`]) for the use cases: a fresh id, the
//! time, the request's origin. The store commits them with their change.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::app::{App, Ctx};
use crate::crypto;
use crate::domain::error::DomainError;
use crate::domain::events::{EventType, Origin, SecurityEvent, ordered_id};

/// Counts the events this process makes: of two made in the same millisecond, the later one
/// has the higher count, so the trail keeps them in order.
static MADE: AtomicU64 = AtomicU64::new(0);

/// An event of `kind` for the account `user_id`, now (to the millisecond).
pub fn event(app: &App, kind: EventType, user_id: &str) -> Result<SecurityEvent, DomainError> {
    let ms = app.clock.now_ms();
    let seq = MADE.fetch_add(1, Ordering::SeqCst);
    let id = ordered_id(ms, seq, &crypto::random_token_id()?);
    Ok(SecurityEvent::new(id, kind, 0, user_id).at_ms(ms))
}

/// `e` made again now: a fresh time and place in the order, the rest (its random part too)
/// unchanged. For an event whose write is retried: it must be stamped when it is committed,
/// after the events of whatever made the retry necessary.
pub fn restamped(app: &App, e: &SecurityEvent) -> SecurityEvent {
    let ms = app.clock.now_ms();
    let seq = MADE.fetch_add(1, Ordering::SeqCst);
    let random = e.id.get(29..).unwrap_or(&e.id);
    let mut again = e.clone().at_ms(ms);
    again.id = ordered_id(ms, seq, random);
    again
}

/// An event of `kind` for `user_id`, caused by the request `ctx`.
pub fn by(app: &App, ctx: &Ctx, kind: EventType, user_id: &str) -> Result<SecurityEvent, DomainError> {
    Ok(event(app, kind, user_id)?.from(origin(ctx)))
}

pub fn origin(ctx: &Ctx) -> Origin {
    Origin { user_agent: ctx.user_agent.clone(), source_ip: ctx.source_ip.clone() }
}

/// An event as the trail shows it (`GET /security_events`, the operator's `events`).
pub fn view(e: &SecurityEvent) -> serde_json::Value {
    serde_json::json!({
        "id": e.id,
        "type": e.kind,
        "at": crate::profile::iso8601(e.at),
        "atMs": e.millis(),
        "sessionId": e.session_id,
        "userAgent": e.origin.as_ref().map(|o| &o.user_agent),
        "sourceIp": e.origin.as_ref().map(|o| &o.source_ip),
        "details": e.details,
    })
}

/// The trail of the account `user_id`: newest first (in the order they happened: see
/// [`crate::domain::events::ordered_id`]), `limit` at most, older than the cursor
/// (the trail key of the last event of the previous page); events older than the trail's
/// 90 days (which the store's TTL deletes late) are not shown. Returns the page and the
/// cursor of the next one, `None` on the last page (one more event is read to know).
pub async fn trail(
    app: &App,
    user_id: &str,
    cursor: Option<&str>,
    limit: usize,
) -> Result<(Vec<SecurityEvent>, Option<String>), DomainError> {
    let now = app.now();
    let mut events = app.store.list_events(user_id, cursor, limit + 1).await?;
    let more = events.len() > limit;
    events.truncate(limit);
    let read = events.len();
    events.retain(|e| e.expires_at() > now);
    // Newest first: once one has expired, so has everything after it.
    let next = (more && events.len() == read).then(|| events.last().map(SecurityEvent::trail_key)).flatten();
    Ok((events, next))
}
