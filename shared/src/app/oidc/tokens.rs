//! The token endpoint's grants (`authorization_code` with PKCE, `refresh_token` on the
//! login's refresh family, `client_credentials`), the tokens they issue (an RS256 ID token and
//! an RFC 9068 access token), userinfo, revocation (RFC 7009), introspection (RFC 7662) and
//! RP-initiated logout.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::app::oidc::sign_in::{code_key, used_key};
use crate::app::oidc::{ACCESS_TOKEN_SECS, Failure, Outcome, oauth};
use crate::app::{App, Ctx};
use crate::crypto;
use crate::domain::Epoch;
use crate::domain::error::DomainError;
use crate::domain::events::EventType;
use crate::domain::oidc::claims::{self, AccessTokenFacts, IdTokenFacts, Subject};
use crate::domain::oidc::{self, OAuthCode};
use crate::model::oidc::{CodeGrant, OidcClient};
use crate::model::{Ceremony, CeremonyKind, RefreshFamily, User};
use crate::oidc_jwt::{self, ACCESS_TYP, ID_TYP};

/// What a grant issued.
#[derive(Debug)]
pub struct Issued {
    pub access_token: String,
    pub id_token: Option<String>,
    pub refresh_token: Option<String>,
    pub scopes: Vec<String>,
}

fn subject(user: &User) -> Subject {
    Subject {
        sub: user.user_id.clone(),
        email: user.email.clone(),
        email_verified: user.mfa.email_verified_at.is_some(),
        name: user.name.clone(),
    }
}

fn bad_grant() -> Failure {
    oauth(OAuthCode::InvalidGrant, "The code or refresh token is invalid, expired, used or of another client.")
}

/// The tokens of a login: an access token, an ID token with `openid`, the refresh token of
/// `generation` when the client may refresh.
async fn issue(
    app: &App,
    client: &OidcClient,
    family: &RefreshFamily,
    user: &User,
    grant: Option<&CodeGrant>,
    generation: u64,
) -> Outcome<Issued> {
    let now = app.now();
    let keys = app.keys();
    let scopes = family.scopes.clone();
    let jti = crypto::random_token_id()?;
    let access = claims::access_token(&AccessTokenFacts {
        issuer: &app.config.issuer,
        audience: &client.client_id,
        client_id: &client.client_id,
        sub: &user.user_id,
        scopes: &scopes,
        sid: Some(&family.family_id),
        now,
        ttl: ACCESS_TOKEN_SECS,
        jti: &jti,
    });
    let access_token = oidc_jwt::sign(&keys, ACCESS_TYP, &access).map_err(DomainError::Internal)?;
    let id_token = match scopes.iter().any(|s| s == "openid") {
        true => {
            let amr: Vec<String> = grant.map(|g| g.amr.clone()).unwrap_or_else(|| vec!["pwd".to_owned()]);
            let id_jti = crypto::random_token_id()?;
            let facts = IdTokenFacts {
                issuer: &app.config.issuer,
                client_id: &client.client_id,
                nonce: grant.and_then(|g| g.request.nonce.as_deref()),
                auth_time: grant.map_or(family.created_at, |g| g.auth_time),
                amr: &amr,
                sid: &family.family_id,
                scopes: &scopes,
                now,
                ttl: app.config.id_token_secs,
                jti: &id_jti,
            };
            let claims = claims::id_token(&subject(user), &facts);
            Some(oidc_jwt::sign(&keys, ID_TYP, &claims).map_err(DomainError::Internal)?)
        }
        false => None,
    };
    let refresh_token = match client.allows_grant("refresh_token") {
        true => Some(crate::app::id_tokens::family_token(app, family, generation).await?),
        false => None,
    };
    Ok(Issued { access_token, id_token, refresh_token, scopes })
}

/// `grant_type=authorization_code`: the code is taken (single use, whoever presents it); it
/// must be live, the presenting client's, for the same redirect URI, and the verifier must be
/// its PKCE challenge's. A code presented again after it issued tokens ends the login it
/// opened (RFC 6749 §4.1.2, RFC 9700 §4.2.4).
pub async fn redeem_code(
    app: &App,
    ctx: &Ctx,
    client: &OidcClient,
    code: &str,
    redirect_uri: &str,
    verifier: &str,
    now: Epoch,
) -> Outcome<Issued> {
    if code.is_empty() || code.len() > 128 {
        return Err(bad_grant());
    }
    let Some(taken) = app.store.take_ceremony(&code_key(code), CeremonyKind::OidcCode).await? else {
        if let Some(used) = app.store.take_ceremony(&used_key(code), CeremonyKind::OidcCodeUsed).await? {
            let family_id = used.state;
            let user_id = used.user_id.unwrap_or_default();
            let event = crate::app::events::by(app, ctx, EventType::RefreshTokenReused, &user_id)?
                .session(&family_id)
                .with("reason", "AUTHORIZATION_CODE_REPLAYED");
            app.store.revoke_refresh(&family_id, &[event]).await?;
            tracing::warn!(user_id = %user_id, "an authorization code was presented again: its login ended");
        }
        return Err(bad_grant());
    };
    let grant: CodeGrant = serde_json::from_str(&taken.state).map_err(DomainError::internal)?;
    let bound = taken.is_alive(now)
        && grant.request.client_id == client.client_id
        && grant.request.redirect_uri == redirect_uri
        && oidc::pkce_matches(verifier, &grant.request.code_challenge);
    if !bound {
        return Err(bad_grant());
    }
    let used = Ceremony {
        id: used_key(code),
        kind: CeremonyKind::OidcCodeUsed,
        user_id: Some(grant.user_id.clone()),
        state: grant.family_id.clone(),
        created_at: now,
        expires_at: now + 86_400,
    };
    app.store.put_ceremony(&used).await?;
    let family = app.store.get_refresh(&grant.family_id).await?.filter(|f| f.is_live(now)).ok_or_else(bad_grant)?;
    let user = live_user(app, &family, now).await?;
    issue(app, client, &family, &user, Some(&grant), 0).await
}

/// The account of a login, if it may still get tokens.
async fn live_user(app: &App, family: &RefreshFamily, now: Epoch) -> Outcome<User> {
    let (user, lockout) = app.store.load_login(&family.email, now).await?;
    let user = user
        .filter(|u| u.user_id == family.user_id && u.credentials_version == family.credentials_version && !u.blocked)
        .ok_or_else(bad_grant)?;
    crate::app::lockout::refuse_if_locked(&lockout, now)?;
    Ok(user)
}

/// `grant_type=refresh_token`: rotation with reuse detection on the login's refresh family,
/// for the client the login signed in to only.
pub async fn refresh(app: &App, ctx: &Ctx, client: &OidcClient, token: &str, now: Epoch) -> Outcome<Issued> {
    if !client.allows_grant("refresh_token") {
        return Err(oauth(OAuthCode::UnauthorizedClient, "The client may not use refresh tokens."));
    }
    let (family, user, next) = match crate::app::id_tokens::rotate(app, ctx, token, Some(&client.client_id), now).await
    {
        Ok(rotated) => rotated,
        Err(DomainError::Unauthenticated(_) | DomainError::RefreshTokenReused | DomainError::Denied(_)) => {
            return Err(bad_grant());
        }
        Err(e) => return Err(e.into()),
    };
    let mut issued = issue(app, client, &family, &user, None, 0).await?;
    issued.refresh_token = Some(next);
    Ok(issued)
}

/// `grant_type=client_credentials`: an access token for the client itself, with the scopes
/// asked (of those it is registered for, `openid` aside: there is no user).
pub fn client_credentials(app: &App, client: &OidcClient, scope: Option<&str>, now: Epoch) -> Outcome<Issued> {
    if !client.allows_grant("client_credentials") {
        return Err(oauth(OAuthCode::UnauthorizedClient, "The client may not use client_credentials."));
    }
    let asked = match scope {
        Some(s) => oidc::parse_scopes(s).ok_or_else(|| oauth(OAuthCode::InvalidScope, "A scope is unknown."))?,
        None => client.scopes.clone(),
    };
    let scopes: Vec<String> = asked.into_iter().filter(|s| s != "openid" && s != "offline_access").collect();
    if !oidc::scopes_allowed(&scopes, &client.scopes) {
        return Err(oauth(OAuthCode::InvalidScope, "A scope is not allowed for this client."));
    }
    let jti = crypto::random_token_id()?;
    let claims = claims::access_token(&AccessTokenFacts {
        issuer: &app.config.issuer,
        audience: &client.client_id,
        client_id: &client.client_id,
        sub: &client.client_id,
        scopes: &scopes,
        sid: None,
        now,
        ttl: ACCESS_TOKEN_SECS,
        jti: &jti,
    });
    let access_token = oidc_jwt::sign(&app.keys(), ACCESS_TYP, &claims).map_err(DomainError::Internal)?;
    Ok(Issued { access_token, id_token: None, refresh_token: None, scopes })
}

/// The claims of a provider access token this service reads.
#[derive(Debug, Clone, Deserialize)]
pub struct AccessClaims {
    pub iss: String,
    pub sub: String,
    pub aud: String,
    pub client_id: String,
    pub scope: String,
    pub exp: Epoch,
    pub iat: Epoch,
    #[serde(default)]
    pub sid: Option<String>,
}

/// A live access token: signature, issuer, expiry, and its login still live.
pub async fn access(app: &App, token: &str, now: Epoch) -> Outcome<(AccessClaims, Option<(RefreshFamily, User)>)> {
    let invalid = || oauth(OAuthCode::InvalidToken, "The access token is invalid or expired.");
    let claims: AccessClaims = match oidc_jwt::verify(&app.keys(), token, ACCESS_TYP) {
        Ok(c) => c,
        Err(crate::token::TokenError::UnknownKid) => {
            let keys = app.reload_keys_if_due().await.ok_or_else(invalid)?;
            oidc_jwt::verify(&keys, token, ACCESS_TYP).map_err(|_| invalid())?
        }
        Err(_) => return Err(invalid()),
    };
    if claims.iss != app.config.issuer || now >= claims.exp {
        return Err(invalid());
    }
    let Some(sid) = claims.sid.as_deref() else { return Ok((claims, None)) };
    let family = app.store.get_refresh(sid).await?.filter(|f| f.is_live(now) && f.user_id == claims.sub);
    let family = family.ok_or_else(invalid)?;
    let user = live_user(app, &family, now).await.map_err(|_| invalid())?;
    Ok((claims, Some((family, user))))
}

/// `GET /oauth2/userinfo`: needs an access token of a user with `openid`.
pub async fn userinfo(app: &App, token: &str, now: Epoch) -> Outcome<Value> {
    let (claims, login) = access(app, token, now).await?;
    let scopes: Vec<String> = claims.scope.split(' ').map(str::to_owned).collect();
    let Some((_, user)) = login.filter(|_| scopes.iter().any(|s| s == "openid")) else {
        return Err(oauth(OAuthCode::InsufficientScope, "The access token lacks the openid scope."));
    };
    Ok(claims::userinfo(&subject(&user), &scopes))
}

/// The login a token of `client` belongs to: a refresh token (genuine, its family the
/// client's) or an access token (valid, the client's, of a login).
async fn login_of(app: &App, client: &OidcClient, token: &str, now: Epoch) -> Outcome<Option<RefreshFamily>> {
    if let Some((family, _)) = crate::app::id_tokens::genuine_family(app, token).await? {
        let ours = family.client_id.as_deref() == Some(client.client_id.as_str());
        return Ok(ours.then_some(family));
    }
    match access(app, token, now).await {
        Ok((claims, Some((family, _)))) if claims.client_id == client.client_id => Ok(Some(family)),
        _ => Ok(None),
    }
}

/// `POST /oauth2/revoke` (RFC 7009): a refresh or access token of the client ends its login;
/// anything else is ignored, and the answer is the same.
pub async fn revoke(app: &App, ctx: &Ctx, client: &OidcClient, token: &str, now: Epoch) -> Outcome<()> {
    if let Some(family) = login_of(app, client, token, now).await?.filter(|f| f.is_live(now)) {
        let event = crate::app::events::by(app, ctx, EventType::Logout, &family.user_id)?
            .session(&family.family_id)
            .with("surface", 2)
            .with("client", client.client_id.clone());
        app.store.revoke_refresh(&family.family_id, &[event]).await?;
    }
    Ok(())
}

/// `POST /oauth2/introspect` (RFC 7662), for confidential clients, of their own tokens.
pub async fn introspect(app: &App, client: &OidcClient, token: &str, now: Epoch) -> Outcome<Value> {
    if client.secret_hash.is_none() {
        return Err(oauth(OAuthCode::UnauthorizedClient, "Only confidential clients may introspect."));
    }
    if let Some((family, _)) = crate::app::id_tokens::genuine_family(app, token).await? {
        let ours = family.client_id.as_deref() == Some(client.client_id.as_str()) && family.is_live(now);
        if !ours {
            return Ok(json!({ "active": false }));
        }
        return Ok(json!({
            "active": true, "token_type": "refresh_token", "client_id": client.client_id, "sub": family.user_id,
            "scope": family.scopes.join(" "), "exp": family.expires_at, "iat": family.created_at, "iss": app.config.issuer,
        }));
    }
    match access(app, token, now).await {
        Ok((c, _)) if c.client_id == client.client_id => Ok(json!({
            "active": true, "token_type": "Bearer", "client_id": c.client_id, "sub": c.sub, "aud": c.aud,
            "scope": c.scope, "exp": c.exp, "iat": c.iat, "iss": c.iss,
        })),
        _ => Ok(json!({ "active": false })),
    }
}
