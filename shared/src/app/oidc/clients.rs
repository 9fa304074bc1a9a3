//! Clients of the provider, registered by the operator (`register_client`, `list_clients`,
//! `remove_client`), and authenticated at the token endpoint: `client_secret_basic` or
//! `client_secret_post` for a confidential client (the secret's digest compared in constant
//! time, wrong secrets budgeted per client), nothing for a public one (PKCE proves it).

use crate::app::oidc::{Outcome, oauth};
use crate::app::{App, Ctx};
use crate::crypto;
use crate::domain::Epoch;
use crate::domain::error::DomainError;
use crate::domain::oidc::{self, OAuthCode};
use crate::model::oidc::{ClientType, OidcClient};

/// What the operator registers.
#[derive(Debug, Clone)]
pub struct Registration {
    pub name: String,
    pub kind: ClientType,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub grant_types: Vec<String>,
    pub scopes: Vec<String>,
}

/// Why a registration was refused: the message names the field.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    #[error("{0}")]
    Invalid(&'static str),
    #[error(transparent)]
    Domain(#[from] DomainError),
}

fn check(r: &Registration) -> Result<(), &'static str> {
    if r.name.trim().is_empty() || r.name.len() > 100 {
        return Err("`name` must be 1 to 100 characters");
    }
    if r.grant_types.is_empty() || !r.grant_types.iter().all(|g| oidc::GRANT_TYPES.contains(&g.as_str())) {
        return Err("`grantTypes` must name some of authorization_code, refresh_token, client_credentials");
    }
    let has = |g: &str| r.grant_types.iter().any(|x| x == g);
    if r.kind == ClientType::Public && has("client_credentials") {
        return Err("a public client cannot use client_credentials: it holds no secret");
    }
    if has("refresh_token") && !has("authorization_code") {
        return Err("refresh_token needs authorization_code");
    }
    if has("authorization_code") && r.redirect_uris.is_empty() {
        return Err("`redirectUris` must name at least one URI for authorization_code");
    }
    let uris = r.redirect_uris.iter().chain(&r.post_logout_redirect_uris);
    if r.redirect_uris.len() > 10 || r.post_logout_redirect_uris.len() > 10 {
        return Err("at most 10 redirect URIs and 10 post-logout redirect URIs");
    }
    for uri in uris {
        if !oidc::registrable_redirect(uri) {
            return Err("every redirect URI must be absolute https (http only on a loopback host), without fragment");
        }
    }
    if r.scopes.is_empty() || !r.scopes.iter().all(|s| oidc::SCOPES.contains(&s.as_str())) {
        return Err("`scopes` must name some of openid, email, profile, offline_access");
    }
    Ok(())
}

/// Registers a client: its id and, for a confidential client, its secret (shown this once;
/// only its digest is stored).
pub async fn register(app: &App, r: Registration, now: Epoch) -> Result<(OidcClient, Option<String>), Refused> {
    check(&r).map_err(Refused::Invalid)?;
    let secret = match r.kind {
        ClientType::Confidential => Some(crypto::b64url(&crypto::random_bytes::<32>().map_err(DomainError::from)?)),
        ClientType::Public => None,
    };
    let client = OidcClient {
        client_id: crypto::random_token_id().map_err(DomainError::from)?,
        name: r.name.trim().to_owned(),
        kind: r.kind,
        secret_hash: secret.as_deref().map(|s| crypto::sha256_b64url(s.as_bytes())),
        redirect_uris: r.redirect_uris,
        post_logout_redirect_uris: r.post_logout_redirect_uris,
        grant_types: r.grant_types,
        scopes: r.scopes,
        created_at: now,
    };
    app.store.put_client(&client).await.map_err(DomainError::from)?;
    tracing::info!(client_id = %client.client_id, "OpenID Connect client registered");
    Ok((client, secret))
}

pub async fn list(app: &App) -> Result<Vec<OidcClient>, DomainError> {
    Ok(app.store.list_clients().await?)
}

pub async fn remove(app: &App, client_id: &str) -> Result<bool, DomainError> {
    Ok(app.store.remove_client(client_id).await?)
}

/// Wrong secrets one client may be sent per window before it is refused for the rest of it.
pub const SECRET_FAILURES_PER_WINDOW: u64 = 10;
pub const SECRET_WINDOW_SECS: i64 = 600;

/// The client calling the token, revocation or introspection endpoint. A confidential client
/// must present its secret; a public one must not claim one. Unknown client, wrong secret and
/// a budget spent are all `invalid_client` (401): nothing says which.
pub async fn authenticate(app: &App, ctx: &Ctx, client_id: &str, secret: Option<&str>) -> Outcome<OidcClient> {
    let unknown = || oauth(OAuthCode::InvalidClient, "Client authentication failed.");
    crate::app::limits::per_ip(app, ctx, "oidc-client").await?;
    if client_id.is_empty() || client_id.len() > 64 {
        return Err(unknown());
    }
    let client = app.store.get_client(client_id).await?.ok_or_else(unknown)?;
    match (client.kind, client.secret_hash.as_deref(), secret) {
        (ClientType::Public, _, None) => Ok(client),
        (ClientType::Confidential, Some(hash), Some(given)) => {
            // Every secret presented is counted first, atomically: however many arrive at once,
            // at most the budget's worth is ever compared; a right one gives its count back.
            let window = (app.now().div_euclid(SECRET_WINDOW_SECS) + 1) * SECRET_WINDOW_SECS;
            let key = format!("oidc-secret:{client_id}");
            if app.store.hit_rate_counter(&key, window).await? > SECRET_FAILURES_PER_WINDOW {
                return Err(unknown());
            }
            let digest = crypto::sha256_b64url(given.as_bytes());
            if crypto::constant_time_eq(digest.as_bytes(), hash.as_bytes()) {
                app.store.release_rate_counter(&key, window).await?;
                return Ok(client);
            }
            tracing::info!(client_id, "wrong client secret");
            Err(unknown())
        }
        _ => Err(unknown()),
    }
}
