//! `GET /oauth2/logout`: RP-initiated logout with `id_token_hint` and, optionally, a registered
//! `post_logout_redirect_uri` and `state`. A refusal is a page here, never a redirect.

use axum::extract::RawQuery;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::api::oidc::page::{self, View};
use crate::api::prelude::*;
use crate::app::oidc::Failure;
use crate::app::oidc::authorize::parameters;

pub async fn handle(State(app): State<AppState>, ctx: Ctx, RawQuery(query): RawQuery) -> Response {
    let app: &App = &app;
    let params = match parameters(query.as_deref().unwrap_or_default()) {
        Ok(p) => p,
        Err(e) => return page::render(StatusCode::BAD_REQUEST, "", "", View::Gone, Some(e.description)),
    };
    let get = |name: &str| params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    let done = crate::app::oidc::logout::logout(
        app,
        &ctx,
        get("id_token_hint"),
        get("client_id"),
        get("post_logout_redirect_uri"),
        get("state"),
        app.now(),
    )
    .await;
    match done {
        Ok(Some(location)) => {
            let mut response = StatusCode::SEE_OTHER.into_response();
            if let Ok(v) = HeaderValue::from_str(&location) {
                response.headers_mut().insert(header::LOCATION, v);
            }
            response
        }
        Ok(None) => page::render(StatusCode::OK, "", "", View::SignedOut, None),
        Err(Failure::OAuth(e)) => page::render(StatusCode::BAD_REQUEST, "", "", View::Gone, Some(e.description)),
        Err(f) => crate::api::oidc::error::failure(&f),
    }
}
