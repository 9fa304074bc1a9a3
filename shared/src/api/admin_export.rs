//! `POST /_admin/export` on `local-api` (when `AUTH_ADMIN_LOCAL=true`): answers every account
//! as JSON Lines ([`crate::app::export_accounts`]), streamed as the store is read;
//! `?include_secrets=true` writes the TOTP secrets too. An export that fails midway ends the
//! answer's body abnormally (the client sees a broken transfer, never a short file that looks
//! whole).

use std::collections::HashMap;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::Response;
use futures_util::StreamExt;
use serde_json::json;

use crate::api::extract::AppState;
use crate::app::export_accounts::{Options, export};

/// The export's options from the query string.
pub fn options(query: &HashMap<String, String>) -> Result<Options, String> {
    match query.get("include_secrets").map(String::as_str) {
        None | Some("false") => Ok(Options { include_secrets: false }),
        Some("true") => Ok(Options { include_secrets: true }),
        Some(_) => Err("`include_secrets` must be true or false".into()),
    }
}

pub async fn local(State(app): State<AppState>, req: Request) -> Response {
    let query: HashMap<String, String> =
        form_urlencoded::parse(req.uri().query().unwrap_or_default().as_bytes()).into_owned().collect();
    let options = match options(&query) {
        Ok(o) => o,
        Err(message) => {
            return crate::api::json(
                StatusCode::BAD_REQUEST,
                &json!({"code": "INVALID_PARAMETER", "message": message}),
            );
        }
    };
    let (writer, reader) = tokio::io::duplex(64 * 1024);
    let (done, outcome) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        let result = export(&app, options, writer, |_| {}).await;
        if let Err(e) = &result {
            tracing::error!(error = %crate::domain::error::chain(e), "operator export failed");
        }
        let _ = done.send(result.is_ok());
    });
    let tail = futures_util::stream::once(async move {
        match outcome.await {
            Ok(true) => None,
            _ => Some(Err(std::io::Error::other("the export failed"))),
        }
    })
    .filter_map(std::future::ready);
    let body = tokio_util::io::ReaderStream::new(reader).chain(tail);
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/x-ndjson")
        .body(Body::from_stream(body))
        .unwrap_or_else(|_| crate::api::json(StatusCode::INTERNAL_SERVER_ERROR, &json!({"code": "INTERNAL"})))
}
