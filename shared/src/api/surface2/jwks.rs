//! `GET /.well-known/jwks.json`: the idToken verification keys (current and previous), so other
//! services verify idTokens offline.

use axum::http::HeaderValue;
use axum::http::header::CACHE_CONTROL;

use crate::api::prelude::*;
use crate::token;

pub async fn handle(State(app): State<AppState>) -> Answer {
    let mut response = ok(&token::jwks(&app.keys()).map_err(DomainError::from)?);
    // Public keys may be cached; a rotation keeps the previous key published meanwhile.
    response.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("public, max-age=300"));
    Ok(response)
}
