//! `POST /oauth2/token`, `POST /oauth2/revoke` (RFC 7009) and `POST /oauth2/introspect`
//! (RFC 7662): a form, and the client authenticated by `client_secret_basic` (HTTP Basic, the
//! id and secret form-encoded) or `client_secret_post` (`client_id` and `client_secret` in
//! the form), one or the other; a public client names itself with `client_id` only.

use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};

use crate::api::oidc::error::{failure, oauth};
use crate::api::oidc::{field, form};
use crate::api::prelude::*;
use crate::app::oidc::tokens::{self, Issued};
use crate::app::oidc::{Outcome, clients, oauth as refusal};
use crate::domain::oidc::OAuthCode;
use crate::model::oidc::OidcClient;

fn decode(part: &str) -> Option<String> {
    percent_encoding::percent_decode_str(&part.replace('+', " ")).decode_utf8().ok().map(|s| s.into_owned())
}

/// The client's id and secret, from Basic or from the form (not both).
fn credentials(headers: &HeaderMap, fields: &[(String, String)]) -> Outcome<(String, Option<String>)> {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic ").or_else(|| v.strip_prefix("basic ")));
    let posted = (field(fields, "client_id"), field(fields, "client_secret"));
    match (basic, posted) {
        (Some(b), (_, None)) => {
            let raw = crate::crypto::b64_decode(b).and_then(|r| String::from_utf8(r).ok());
            let (id, secret) = raw
                .as_deref()
                .and_then(|r| r.split_once(':'))
                .and_then(|(i, s)| Some((decode(i)?, decode(s)?)))
                .ok_or_else(|| refusal(OAuthCode::InvalidClient, "Client authentication failed."))?;
            if posted.0.is_some_and(|p| p != id) {
                return Err(refusal(OAuthCode::InvalidRequest, "Two different client ids."));
            }
            Ok((id, Some(secret)))
        }
        (None, (Some(id), secret)) => Ok((id.to_owned(), secret.map(str::to_owned))),
        (Some(_), (_, Some(_))) => Err(refusal(OAuthCode::InvalidRequest, "Use one client authentication method.")),
        (None, (None, _)) => Err(refusal(OAuthCode::InvalidClient, "Client authentication failed.")),
    }
}

async fn client(app: &App, ctx: &Ctx, headers: &HeaderMap, fields: &[(String, String)]) -> Outcome<OidcClient> {
    let (id, secret) = credentials(headers, fields)?;
    clients::authenticate(app, ctx, &id, secret.as_deref()).await
}

fn issued(i: Issued) -> Response {
    let mut body = serde_json::json!({
        "access_token": i.access_token,
        "token_type": "Bearer",
        "expires_in": crate::app::oidc::ACCESS_TOKEN_SECS,
        "scope": i.scopes.join(" "),
    });
    if let Some(map) = body.as_object_mut() {
        if let Some(id_token) = i.id_token {
            map.insert("id_token".into(), id_token.into());
        }
        if let Some(refresh) = i.refresh_token {
            map.insert("refresh_token".into(), refresh.into());
        }
    }
    let mut response = ok(&body);
    response.headers_mut().insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

pub async fn token(State(app): State<AppState>, ctx: Ctx, headers: HeaderMap, body: Bytes) -> Response {
    let app: &App = &app;
    let now = app.now();
    let answer = async {
        let fields = form(&headers, &body)?;
        let client = client(app, &ctx, &headers, &fields).await?;
        let get = |name| field(&fields, name).unwrap_or_default();
        match get("grant_type") {
            "authorization_code" => {
                if field(&fields, "code_verifier").is_none() {
                    return Err(refusal(OAuthCode::InvalidRequest, "code_verifier is required (PKCE)."));
                }
                tokens::redeem_code(app, &ctx, &client, get("code"), get("redirect_uri"), get("code_verifier"), now)
                    .await
            }
            "refresh_token" => tokens::refresh(app, &ctx, &client, get("refresh_token"), now).await,
            "client_credentials" => tokens::client_credentials(app, &client, field(&fields, "scope"), now),
            "" => Err(refusal(OAuthCode::InvalidRequest, "grant_type is required.")),
            _ => Err(refusal(OAuthCode::UnsupportedGrantType, "That grant type is not supported.")),
        }
    };
    match answer.await {
        Ok(i) => issued(i),
        Err(f) => failure(&f),
    }
}

pub async fn revoke(State(app): State<AppState>, ctx: Ctx, headers: HeaderMap, body: Bytes) -> Response {
    let app: &App = &app;
    let answer = async {
        let fields = form(&headers, &body)?;
        let client = client(app, &ctx, &headers, &fields).await?;
        let token = field(&fields, "token").unwrap_or_default();
        if token.is_empty() {
            return Err(refusal(OAuthCode::InvalidRequest, "token is required."));
        }
        tokens::revoke(app, &ctx, &client, token, app.now()).await
    };
    match answer.await {
        Ok(()) => axum::http::StatusCode::OK.into_response(),
        Err(f) => failure(&f),
    }
}

pub async fn introspect(State(app): State<AppState>, ctx: Ctx, headers: HeaderMap, body: Bytes) -> Response {
    let app: &App = &app;
    let answer = async {
        let fields = form(&headers, &body)?;
        let client = client(app, &ctx, &headers, &fields).await?;
        let token = field(&fields, "token").unwrap_or_default();
        if token.is_empty() {
            return Err(refusal(OAuthCode::InvalidRequest, "token is required."));
        }
        tokens::introspect(app, &client, token, app.now()).await
    };
    match answer.await {
        Ok(v) => ok(&v),
        Err(f) => failure(&f),
    }
}

/// An OAuth refusal rendered (for handlers that refuse before any use case).
pub fn refused(code: OAuthCode, description: &'static str) -> Response {
    oauth(&crate::domain::oidc::refuse(code, description))
}
