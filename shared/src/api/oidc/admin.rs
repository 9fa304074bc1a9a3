//! The operator's client actions, at both doors of [`crate::api::admin`]: `register_client`
//! (`{"name", "type", "redirectUris", "postLogoutRedirectUris", "grantTypes", "scopes"}`,
//! answering `{"clientId", "clientSecret"}`, the secret only for a confidential client and only
//! this once), `list_clients`, `remove_client` (`{"clientId"}`).

use serde_json::{Value, json};

use crate::app::App;
use crate::app::oidc::clients::{self, Refused, Registration};
use crate::domain::error::DomainError;
use crate::model::oidc::{ClientType, OidcClient};

pub const ACTIONS: [&str; 3] = ["register_client", "list_clients", "remove_client"];

/// Why an action failed.
#[derive(Debug, thiserror::Error)]
pub enum Failed {
    #[error("{0}")]
    Invalid(String),
    #[error("no client has that id")]
    NotFound,
    #[error(transparent)]
    Domain(#[from] DomainError),
}

fn strings(body: &Value, name: &str, required: bool) -> Result<Vec<String>, Failed> {
    match body.get(name) {
        None | Some(Value::Null) if !required => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| {
                v.as_str().map(str::to_owned).ok_or_else(|| Failed::Invalid(format!("`{name}` must list strings")))
            })
            .collect(),
        _ => Err(Failed::Invalid(format!("`{name}` must be an array of strings"))),
    }
}

fn shown(c: &OidcClient) -> Value {
    json!({
        "clientId": c.client_id,
        "name": c.name,
        "type": c.kind,
        "redirectUris": c.redirect_uris,
        "postLogoutRedirectUris": c.post_logout_redirect_uris,
        "grantTypes": c.grant_types,
        "scopes": c.scopes,
        "createdAt": crate::profile::iso8601(c.created_at),
    })
}

pub async fn run(app: &App, action: &str, body: &Value) -> Result<Value, Failed> {
    match action {
        "register_client" => {
            let kind = match body.get("type").and_then(Value::as_str) {
                Some("public") => ClientType::Public,
                Some("confidential") => ClientType::Confidential,
                _ => return Err(Failed::Invalid("`type` must be public or confidential".into())),
            };
            let registration = Registration {
                name: body.get("name").and_then(Value::as_str).unwrap_or_default().to_owned(),
                kind,
                redirect_uris: strings(body, "redirectUris", false)?,
                post_logout_redirect_uris: strings(body, "postLogoutRedirectUris", false)?,
                grant_types: strings(body, "grantTypes", true)?,
                scopes: strings(body, "scopes", true)?,
            };
            let (client, secret) = clients::register(app, registration, app.now()).await.map_err(|e| match e {
                Refused::Invalid(m) => Failed::Invalid(m.to_owned()),
                Refused::Domain(d) => Failed::Domain(d),
            })?;
            let mut answer = json!({ "clientId": client.client_id });
            if let (Some(secret), Some(map)) = (secret, answer.as_object_mut()) {
                map.insert("clientSecret".into(), secret.into());
            }
            Ok(answer)
        }
        "list_clients" => Ok(json!({ "clients": clients::list(app).await?.iter().map(shown).collect::<Vec<_>>() })),
        "remove_client" => {
            let id = body.get("clientId").and_then(Value::as_str).unwrap_or_default();
            match clients::remove(app, id).await? {
                true => Ok(json!({ "clientId": id, "removed": true })),
                false => Err(Failed::NotFound),
            }
        }
        _ => Err(Failed::NotFound),
    }
}

/// The `Admin` function's answer to a client action.
pub async fn invoke(app: &App, action: &str, event: &Value) -> Result<Value, crate::domain::error::BoxError> {
    run(app, action, event).await.map_err(|e| match e {
        Failed::Domain(d) => crate::domain::error::chain(&d).into(),
        other => other.to_string().into(),
    })
}

/// `POST /_admin/{register_client,list_clients,remove_client}` on `local-api`: 200 with the
/// answer, 400 for a bad body, 404 for an unknown client.
pub async fn local(
    axum::extract::State(app): axum::extract::State<crate::api::AppState>,
    uri: axum::http::Uri,
    body: axum::body::Bytes,
) -> axum::response::Response {
    use axum::http::StatusCode;
    let action = uri.path().rsplit('/').next().unwrap_or_default().to_owned();
    let body: Value = match body.is_empty() {
        true => json!({}),
        false => match serde_json::from_slice(&body) {
            Ok(v) => v,
            Err(_) => return crate::api::json(StatusCode::BAD_REQUEST, &json!({ "message": "the body is not JSON" })),
        },
    };
    match run(&app, &action, &body).await {
        Ok(answer) => crate::api::ok(&answer),
        Err(Failed::Invalid(m)) => crate::api::json(StatusCode::BAD_REQUEST, &json!({ "message": m })),
        Err(Failed::NotFound) => {
            crate::api::json(StatusCode::NOT_FOUND, &json!({ "message": "no client has that id" }))
        }
        Err(Failed::Domain(d)) => crate::api::oidc::error::domain(&d),
    }
}
