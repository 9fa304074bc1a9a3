//! The authorization request (OpenID Connect Core §3.1.2): authorization code flow only, PKCE
//! `S256` required of every client, `redirect_uri` matched exactly. Until the client and its
//! redirect URI are known to match, a refusal is shown here and never redirects (RFC 6749
//! §4.1.2.1); after, it goes back to the client with `error` and `state`.

use crate::app::App;
use crate::domain::oidc::{self, OAuthCode, OAuthError, refuse};
use crate::model::oidc::{AuthorizationRequest, OidcClient};

/// A refused authorization request.
#[derive(Debug)]
pub enum Refusal {
    /// Shown to the user: the client or its redirect URI is unknown, or the store failed.
    Here(OAuthError),
    /// Sent back to the client's redirect URI.
    Back { redirect_uri: String, state: Option<String>, error: OAuthError },
}

/// The request's parameters: each at most once (RFC 6749 §3.1).
pub fn parameters(query: &str) -> Result<Vec<(String, String)>, OAuthError> {
    let pairs: Vec<(String, String)> =
        form_urlencoded::parse(query.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    for (i, (k, _)) in pairs.iter().enumerate() {
        if pairs[..i].iter().any(|(other, _)| other == k) {
            return Err(refuse(OAuthCode::InvalidRequest, "A parameter was sent more than once."));
        }
    }
    Ok(pairs)
}

fn get<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// Judges an authorization request: the client and the request it may make.
pub async fn validate(app: &App, query: &str) -> Result<(OidcClient, AuthorizationRequest), Refusal> {
    let params = parameters(query).map_err(Refusal::Here)?;
    let here = |d| Refusal::Here(refuse(OAuthCode::InvalidRequest, d));
    let client_id =
        get(&params, "client_id").filter(|c| !c.is_empty() && c.len() <= 64).ok_or(here("Unknown client."))?;
    let client = match app.store.get_client(client_id).await {
        Ok(Some(c)) => c,
        Ok(None) => return Err(here("Unknown client.")),
        Err(e) => {
            tracing::warn!(error = %e, "the client could not be read");
            return Err(Refusal::Here(refuse(OAuthCode::TemporarilyUnavailable, "Try again in a moment.")));
        }
    };
    let redirect_uri = get(&params, "redirect_uri").ok_or(here("redirect_uri is required."))?;
    if !oidc::redirect_matches(&client.redirect_uris, redirect_uri) {
        return Err(here("redirect_uri is not registered for this client."));
    }
    let state = get(&params, "state").map(str::to_owned);
    let back = |code, description| Refusal::Back {
        redirect_uri: redirect_uri.to_owned(),
        state: state.clone(),
        error: refuse(code, description),
    };
    if state.as_deref().is_some_and(|s| !oidc::carried_value(s)) {
        return Err(Refusal::Back {
            redirect_uri: redirect_uri.to_owned(),
            state: None,
            error: refuse(OAuthCode::InvalidRequest, "state is malformed."),
        });
    }
    if get(&params, "request").is_some() || get(&params, "request_uri").is_some() {
        return Err(back(OAuthCode::InvalidRequest, "Request objects are not supported."));
    }
    if get(&params, "response_type") != Some("code") {
        return Err(back(OAuthCode::UnsupportedResponseType, "Only response_type=code is supported."));
    }
    if get(&params, "response_mode").is_some_and(|m| m != "query") {
        return Err(back(OAuthCode::InvalidRequest, "Only response_mode=query is supported."));
    }
    if !client.allows_grant("authorization_code") {
        return Err(back(OAuthCode::UnauthorizedClient, "The client may not use the authorization code flow."));
    }
    let scopes = oidc::parse_scopes(get(&params, "scope").unwrap_or_default())
        .filter(|s| !s.is_empty() && oidc::scopes_allowed(s, &client.scopes))
        .ok_or_else(|| back(OAuthCode::InvalidScope, "A scope is unknown or not allowed for this client."))?;
    let challenge = get(&params, "code_challenge").unwrap_or_default();
    if get(&params, "code_challenge_method") != Some("S256") || !oidc::valid_challenge(challenge) {
        return Err(back(
            OAuthCode::InvalidRequest,
            "PKCE is required: code_challenge with code_challenge_method=S256.",
        ));
    }
    let nonce = get(&params, "nonce").map(str::to_owned);
    if nonce.as_deref().is_some_and(|n| !oidc::carried_value(n)) {
        return Err(back(OAuthCode::InvalidRequest, "nonce is malformed."));
    }
    // The provider keeps no browser session: every request signs in on the page, so
    // `prompt=login` always holds and `prompt=none` cannot.
    let prompts: Vec<&str> = get(&params, "prompt").unwrap_or_default().split(' ').filter(|p| !p.is_empty()).collect();
    if prompts.contains(&"none") {
        return Err(back(OAuthCode::LoginRequired, "The user must sign in."));
    }
    if get(&params, "max_age").is_some_and(|m| m.parse::<u64>().is_err()) {
        return Err(back(OAuthCode::InvalidRequest, "max_age must be a number of seconds."));
    }
    Ok((
        client.clone(),
        AuthorizationRequest {
            client_id: client.client_id,
            redirect_uri: redirect_uri.to_owned(),
            scopes,
            state,
            nonce,
            code_challenge: challenge.to_owned(),
        },
    ))
}

/// `redirect_uri` with the answer's parameters added to its query.
pub fn redirect_with(redirect_uri: &str, params: &[(&str, &str)]) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (k, v) in params {
        query.append_pair(k, v);
    }
    let sep = if redirect_uri.contains('?') { '&' } else { '?' };
    format!("{redirect_uri}{sep}{}", query.finish())
}

/// The redirect of a refusal that goes back to the client.
pub fn error_redirect(redirect_uri: &str, state: Option<&str>, error: &OAuthError) -> String {
    let mut params = vec![("error", error.code.as_str()), ("error_description", error.description)];
    if let Some(s) = state {
        params.push(("state", s));
    }
    redirect_with(redirect_uri, &params)
}
