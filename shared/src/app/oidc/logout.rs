//! RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): the ID token the client holds
//! (`id_token_hint`, accepted expired: the login may have outlived it) names the client and the
//! login, which ends (a `LOGOUT` event); the browser goes back only to a post-logout redirect
//! URI registered for that client, matched exactly.

use serde::Deserialize;

use crate::app::oidc::{Outcome, oauth};
use crate::app::{App, Ctx};
use crate::domain::Epoch;
use crate::domain::events::EventType;
use crate::domain::oidc::{self, OAuthCode};
use crate::oidc_jwt::{self, ID_TYP};

#[derive(Debug, Deserialize)]
struct Hint {
    iss: String,
    sub: String,
    aud: String,
    #[serde(default)]
    sid: Option<String>,
}

/// Where the browser goes after the logout: the registered URI (with `state`), or nowhere
/// (the page says it is done).
pub async fn logout(
    app: &App,
    ctx: &Ctx,
    id_token_hint: Option<&str>,
    client_id: Option<&str>,
    post_logout_redirect_uri: Option<&str>,
    state: Option<&str>,
    now: Epoch,
) -> Outcome<Option<String>> {
    let invalid = || oauth(OAuthCode::InvalidRequest, "id_token_hint must be an ID token of this provider.");
    let hint = id_token_hint.ok_or_else(invalid)?;
    let claims: Hint = match oidc_jwt::verify(&app.keys(), hint, ID_TYP) {
        Ok(c) => c,
        Err(crate::token::TokenError::UnknownKid) => {
            let keys = app.reload_keys_if_due().await.ok_or_else(invalid)?;
            oidc_jwt::verify(&keys, hint, ID_TYP).map_err(|_| invalid())?
        }
        Err(_) => return Err(invalid()),
    };
    if claims.iss != app.config.issuer || client_id.is_some_and(|c| c != claims.aud) {
        return Err(invalid());
    }
    let client = app.store.get_client(&claims.aud).await?.ok_or_else(invalid)?;
    let back = match post_logout_redirect_uri {
        Some(uri) if oidc::redirect_matches(&client.post_logout_redirect_uris, uri) => Some(uri),
        Some(_) => {
            return Err(oauth(
                OAuthCode::InvalidRequest,
                "post_logout_redirect_uri is not registered for this client.",
            ));
        }
        None => None,
    };
    if let Some(sid) = claims.sid.as_deref() {
        let family = app.store.get_refresh(sid).await?;
        let ours = family.filter(|f| {
            f.is_live(now) && f.user_id == claims.sub && f.client_id.as_deref() == Some(client.client_id.as_str())
        });
        if let Some(family) = ours {
            let event = crate::app::events::by(app, ctx, EventType::Logout, &family.user_id)?
                .session(&family.family_id)
                .with("surface", 2)
                .with("client", client.client_id.clone());
            app.store.revoke_refresh(&family.family_id, &[event]).await?;
        }
    }
    Ok(back.map(|uri| match state {
        Some(s) => crate::app::oidc::authorize::redirect_with(uri, &[("state", s)]),
        None => uri.to_owned(),
    }))
}
