//! `POST /_admin/import` on `local-api` (when `AUTH_ADMIN_LOCAL=true`): the body is the import
//! file itself (`Content-Type: application/x-ndjson`), read as a stream
//! ([`crate::app::import`]); `?dry_run=true` checks it without writing; a Firebase export's
//! parameters come as `base64_signer_key`, `base64_salt_separator`, `rounds` and `mem_cost`.
//! Answers the report. The body is exempt from the local server's transport limit
//! ([`crate::api::layers::Edge::streaming`]): it is read a line at a time, each line bounded.

use std::collections::HashMap;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use futures_util::StreamExt;
use serde_json::json;

use crate::api::extract::AppState;
use crate::app::import::{Options, import};
use crate::password::firebase::FirebaseParams;

fn bad(message: &str) -> Response {
    crate::api::json(StatusCode::BAD_REQUEST, &json!({"code": "INVALID_PARAMETER", "message": message}))
}

/// The import's options from the query string.
pub fn options(query: &HashMap<String, String>) -> Result<Options, String> {
    let dry_run = match query.get("dry_run").map(String::as_str) {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => return Err("`dry_run` must be true or false".into()),
    };
    let names = ["base64_signer_key", "base64_salt_separator", "rounds", "mem_cost"];
    let given: Vec<Option<&String>> = names.iter().map(|n| query.get(*n)).collect();
    let firebase = match given.as_slice() {
        [None, None, None, None] => None,
        [Some(k), Some(s), Some(r), Some(m)] => {
            Some(FirebaseParams::parse(k, s, r, m).map_err(|e| format!("the Firebase parameters: {e}"))?)
        }
        _ => return Err(format!("the Firebase parameters come together: {}", names.join(", "))),
    };
    Ok(Options { dry_run, firebase })
}

pub async fn local(State(app): State<AppState>, req: Request) -> Response {
    let query: HashMap<String, String> =
        form_urlencoded::parse(req.uri().query().unwrap_or_default().as_bytes()).into_owned().collect();
    let ndjson =
        req.headers().get(axum::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| {
            v.split(';').next().is_some_and(|t| t.trim().eq_ignore_ascii_case("application/x-ndjson"))
        });
    if !ndjson {
        return bad("the body is the import file: Content-Type: application/x-ndjson");
    }
    let options = match options(&query) {
        Ok(o) => o,
        Err(message) => return bad(&message),
    };
    let stream = req.into_body().into_data_stream().map(|chunk| chunk.map_err(std::io::Error::other));
    let reader = tokio_util::io::StreamReader::new(stream);
    match import(&app, reader, &options, |_, _| {}).await {
        Ok(report) => crate::api::ok(&report),
        Err(e) => crate::api::surface1::error::render(&e.into()),
    }
}
