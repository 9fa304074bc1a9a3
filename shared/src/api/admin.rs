//! The operator's actions ([`crate::app::admin`]) at their two doors: the `Admin` Lambda
//! function's event (`{"action": "unlock", "email": "…"}`, invoked with IAM, never routed by API
//! Gateway), and `POST /_admin/{action}` with `{"email"}` on `local-api` when
//! `AUTH_ADMIN_LOCAL=true`.

use axum::extract::{Path, State};
use axum::response::Response;
use serde_json::Value;

use crate::api::error::ApiError;
use crate::api::extract::{AppState, Body};
use crate::app::App;
use crate::app::admin::{self, Action};
use crate::domain::email::Email;
use crate::domain::error::{BoxError, DomainError};

/// The `Admin` function's answer to one invocation. An unknown action or address, or a bad
/// e-mail, is an error the caller sees (`errorMessage`), naming what was wrong.
pub async fn invoke(app: &App, event: Value) -> Result<Value, BoxError> {
    let action = event.get("action").and_then(Value::as_str).unwrap_or_default();
    if crate::api::oidc::admin::ACTIONS.contains(&action) {
        return crate::api::oidc::admin::invoke(app, action, &event).await;
    }
    // Moving accounts in and out, through the transfer bucket.
    if crate::api::admin_transfer::handles(action) {
        return crate::api::admin_transfer::invoke_from_env(app, &event).await;
    }
    let action = Action::parse(action).ok_or_else(|| {
        format!("`action` must be one of {}, import, export", Action::ALL.map(Action::name).join(", "))
    })?;
    let email = event.get("email").and_then(Value::as_str).unwrap_or_default();
    let email = Email::parse(email).ok_or("`email` must be an e-mail address")?;
    match admin::run(app, action, email.as_str()).await {
        Ok(changed) => Ok(changed),
        Err(DomainError::NotFound) => Err("no account has that e-mail address".into()),
        Err(e) => Err(crate::domain::error::chain(&e).into()),
    }
}

/// `POST /_admin/{action}` on `local-api`: 200 with what changed, 404 for an unknown account or
/// action, 400 for a bad body.
pub async fn local(State(app): State<AppState>, Path(action): Path<String>, body: Result<Body, ApiError>) -> Response {
    let answer = async {
        let action = Action::parse(&action).ok_or(ApiError::NoRoute)?;
        let Body(mut f) = body?;
        let email = crate::api::fields::email_field(&mut f, "email");
        f.finish()?;
        let email = email.ok_or(ApiError::field("email", crate::api::error::FieldErrorKind::Required))?;
        admin::run(&app, action, email.as_str()).await.map_err(ApiError::from)
    };
    match answer.await {
        Ok(changed) => crate::api::ok(&changed),
        Err(e) => crate::api::surface1::error::render(&e),
    }
}
