//! `GET /.well-known/openid-configuration` (OpenID Connect Discovery 1.0 §3): the issuer and
//! every endpoint under it, and what the provider supports.

use axum::http::HeaderValue;
use axum::http::header::CACHE_CONTROL;

use crate::api::prelude::*;
use crate::domain::oidc;

pub async fn handle(State(app): State<AppState>) -> Answer {
    let issuer = app.config.issuer.trim_end_matches('/');
    let at = |path: &str| format!("{issuer}{path}");
    let mut response = ok(&serde_json::json!({
        "issuer": app.config.issuer,
        "authorization_endpoint": at("/oauth2/authorize"),
        "token_endpoint": at("/oauth2/token"),
        "userinfo_endpoint": at("/oauth2/userinfo"),
        "revocation_endpoint": at("/oauth2/revoke"),
        "introspection_endpoint": at("/oauth2/introspect"),
        "end_session_endpoint": at("/oauth2/logout"),
        "jwks_uri": at("/.well-known/jwks.json"),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": oidc::GRANT_TYPES,
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "scopes_supported": oidc::SCOPES,
        "claims_supported": ["iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "amr", "azp", "sid", "email", "email_verified", "name"],
        "prompt_values_supported": ["login", "none"],
        "authorization_response_iss_parameter_supported": true,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "claims_parameter_supported": false,
    }));
    response.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("public, max-age=300"));
    Ok(response)
}
