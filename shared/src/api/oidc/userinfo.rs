//! `GET /oauth2/userinfo` (OpenID Connect Core §5.3): the claims an access token with
//! `openid` may see, as its scopes release them.

use axum::http::HeaderMap;
use axum::response::Response;

use crate::api::extract::bearer;
use crate::api::oidc::error::failure;
use crate::api::oidc::token::refused;
use crate::api::prelude::*;
use crate::domain::oidc::OAuthCode;

pub async fn handle(State(app): State<AppState>, headers: HeaderMap) -> Response {
    let app: &App = &app;
    let Some(token) = bearer(&headers) else {
        return refused(OAuthCode::InvalidToken, "An access token is required.");
    };
    match crate::app::oidc::tokens::userinfo(app, token, app.now()).await {
        Ok(claims) => ok(&claims),
        Err(f) => failure(&f),
    }
}
