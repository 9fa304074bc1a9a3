//! The sign-in on the provider's hosted page: started by an accepted authorization request
//! (a single-use TTL item holding the request, keyed by the digest of the sign-in id, bound
//! to the browser by the digest of a cookie's secret), then the password (the same check as
//! the APIs' logins: lockout, dummy hash for an unknown address, events), then the account's
//! second factor when it has one (the same check as surface 2's `x-otp`: TOTP, an SMS or
//! e-mail code, a recovery code). It ends by opening the login (a refresh family naming the
//! client, with the same `LOGIN_SUCCEEDED` event) and a single-use authorization code, live
//! [`oidc::CODE_SECS`], bound to the client, the redirect URI, the PKCE challenge and nonce.

use secrecy::SecretString;

use crate::app::oidc::{Failure, Outcome, oauth};
use crate::app::sessions::Proof;
use crate::app::{App, Ctx};
use crate::crypto;
use crate::domain::Epoch;
use crate::domain::email::Email;
use crate::domain::error::DomainError;
use crate::domain::events::EventType;
use crate::domain::oidc::{self, OAuthCode};
use crate::model::oidc::{AuthorizationRequest, CodeGrant, SignIn};
use crate::model::{Ceremony, CeremonyKind, RefreshFamily, User};

fn sign_in_key(id: &str) -> String {
    format!("OIDC#SIGNIN#{}", crypto::sha256_b64url(id.as_bytes()))
}

pub fn code_key(code: &str) -> String {
    format!("OIDC#CODE#{}", crypto::sha256_b64url(code.as_bytes()))
}

pub fn used_key(code: &str) -> String {
    format!("OIDC#USED#{}", crypto::sha256_b64url(code.as_bytes()))
}

/// A sign-in begun: its id (for the page's form) and the browser's secret (for its cookie).
pub struct Started {
    pub id: String,
    pub browser_secret: String,
}

pub async fn start(app: &App, request: AuthorizationRequest, now: Epoch) -> Outcome<Started> {
    let started = Started { id: crypto::random_token_id()?, browser_secret: crypto::random_token_id()? };
    let sign_in = SignIn {
        request,
        browser_hash: crypto::sha256_b64url(started.browser_secret.as_bytes()),
        user_email: None,
        password_at: None,
    };
    put(app, &started.id, &sign_in, now + oidc::SIGN_IN_SECS, now).await?;
    Ok(started)
}

async fn put(app: &App, id: &str, sign_in: &SignIn, expires_at: Epoch, now: Epoch) -> Outcome<()> {
    let state = serde_json::to_string(sign_in).map_err(DomainError::internal)?;
    let ceremony = Ceremony {
        id: sign_in_key(id),
        kind: CeremonyKind::OidcSignIn,
        user_id: None,
        state,
        created_at: now,
        expires_at,
    };
    Ok(app.store.put_ceremony(&ceremony).await?)
}

/// A sign-in taken for one step: it must be live and this browser's. Returns it with its
/// expiry, to put back when the step does not finish it.
async fn take(app: &App, id: &str, browser_secret: &str, now: Epoch) -> Outcome<(SignIn, Epoch)> {
    let gone = || oauth(OAuthCode::AccessDenied, "This sign-in has expired or was already used: start again.");
    if id.is_empty() || id.len() > 64 {
        return Err(gone());
    }
    let ceremony = app.store.take_ceremony(&sign_in_key(id), CeremonyKind::OidcSignIn).await?.ok_or_else(gone)?;
    if !ceremony.is_alive(now) {
        return Err(gone());
    }
    let sign_in: SignIn = serde_json::from_str(&ceremony.state).map_err(DomainError::internal)?;
    let browser = crypto::sha256_b64url(browser_secret.as_bytes());
    if !crypto::constant_time_eq(browser.as_bytes(), sign_in.browser_hash.as_bytes()) {
        // Another browser's form: login CSRF. The sign-in is spent.
        tracing::warn!("a sign-in form was posted from a browser that did not start it");
        return Err(gone());
    }
    Ok((sign_in, ceremony.expires_at))
}

/// Where a step left the sign-in.
pub enum Step {
    /// The account has a second factor: the page asks for it (the methods it may use).
    SecondFactor { methods: Vec<&'static str>, redirect_uri: String },
    /// Signed in: the browser goes back to the client with this URL (the code and state).
    Done { redirect: String },
}

/// A step that failed but leaves the sign-in open: the page shows `error` and asks again.
pub struct Retry {
    pub error: Failure,
    /// The second factor's methods, when the page asks for it again.
    pub second_factor: Option<Vec<&'static str>>,
    /// The client's redirect URI, once the sign-in is known (the page's `form-action`).
    pub redirect_uri: String,
}

fn fatal(error: Failure) -> Retry {
    Retry { error, second_factor: None, redirect_uri: String::new() }
}

/// The methods the page offers for the account's second factor.
pub fn methods(user: &User) -> Vec<&'static str> {
    let mut m = Vec::new();
    if user.mfa.totp.as_ref().is_some_and(|t| t.verified_at.is_some()) {
        m.push("TOTP");
    }
    if user.mfa.phone_verified_at.is_some() && user.mobile.is_some() {
        m.push("SMS");
    }
    if user.email_may_prove() {
        m.push("EMAIL");
    }
    if user.recovery_codes_left() > 0 {
        m.push("RECOVERY_CODE");
    }
    m
}

/// The password step.
pub async fn password(
    app: &App,
    ctx: &Ctx,
    id: &str,
    browser_secret: &str,
    email: Option<Email>,
    password: Option<SecretString>,
    now: Epoch,
) -> Result<Step, Retry> {
    let (mut sign_in, expires_at) = take(app, id, browser_secret, now).await.map_err(fatal)?;
    let redirect_uri = sign_in.request.redirect_uri.clone();
    let checked = async {
        crate::app::limits::per_ip(app, ctx, "login").await?;
        let (Some(email), Some(password)) = (email, password) else { return Err(DomainError::BadCredentials) };
        let user = crate::app::sessions::check_password(app, ctx, &email, password).await?;
        if crate::app::sessions::password_is_expired(app, &user) {
            crate::app::lockout::succeeded(app.store.as_ref(), &user.email).await?;
            return Err(DomainError::Denied("The password has expired: change it, then sign in again."));
        }
        Ok(user)
    };
    let user = match checked.await {
        Ok(user) => user,
        Err(e) => {
            put(app, id, &sign_in, expires_at, now).await.map_err(fatal)?;
            return Err(Retry { error: e.into(), second_factor: None, redirect_uri });
        }
    };
    if user.has_second_factor() {
        // The counter is cleared once the second factor is proven, by the login's write.
        sign_in.user_email = Some(user.email.clone());
        sign_in.password_at = Some(now);
        put(app, id, &sign_in, expires_at, now).await.map_err(fatal)?;
        return Ok(Step::SecondFactor { methods: methods(&user), redirect_uri });
    }
    finish(app, ctx, sign_in.request, user, &["pwd"], false, now).await.map_err(fatal)
}

/// Sends a one-time code to the account's validated phone or e-mail, for the second factor.
pub async fn send_code(
    app: &App,
    ctx: &Ctx,
    id: &str,
    browser_secret: &str,
    sms: bool,
    now: Epoch,
) -> Result<Step, Retry> {
    let (sign_in, expires_at, user) = signed_in_by_password(app, id, browser_secret, now).await?;
    let method = if sms { crate::app::methods::Method::Sms } else { crate::app::methods::Method::Email };
    let sent = crate::app::methods::send_code(app, ctx, &user, method, None).await;
    let redirect_uri = sign_in.request.redirect_uri.clone();
    put(app, id, &sign_in, expires_at, now).await.map_err(fatal)?;
    match sent {
        Ok(_) => Ok(Step::SecondFactor { methods: methods(&user), redirect_uri }),
        Err(e) => Err(Retry { error: e.into(), second_factor: Some(methods(&user)), redirect_uri }),
    }
}

async fn signed_in_by_password(
    app: &App,
    id: &str,
    browser_secret: &str,
    now: Epoch,
) -> Result<(SignIn, Epoch, User), Retry> {
    let (sign_in, expires_at) = take(app, id, browser_secret, now).await.map_err(fatal)?;
    let gone = || oauth(OAuthCode::AccessDenied, "This sign-in has expired or was already used: start again.");
    let email = sign_in.user_email.clone().ok_or_else(|| fatal(gone()))?;
    let user = app.store.get_user(&email).await.map_err(|e| fatal(e.into()))?.ok_or_else(|| fatal(gone()))?;
    Ok((sign_in, expires_at, user))
}

/// The second-factor step: a TOTP code, a code sent by SMS or e-mail, or a recovery code.
pub async fn second_factor(
    app: &App,
    ctx: &Ctx,
    id: &str,
    browser_secret: &str,
    code: &str,
    now: Epoch,
) -> Result<Step, Retry> {
    let (sign_in, expires_at, user) = signed_in_by_password(app, id, browser_secret, now).await?;
    let redirect_uri = sign_in.request.redirect_uri.clone();
    let again = |error| Retry { error, second_factor: Some(methods(&user)), redirect_uri: redirect_uri.clone() };
    let proven = async {
        crate::app::accounts::refuse_blocked(&user)?;
        crate::app::proof::require_otp(app, ctx, Some(code), &user).await
    };
    let anchored = match proven.await {
        Ok(anchored) => anchored,
        Err(e) => {
            put(app, id, &sign_in, expires_at, now).await.map_err(again)?;
            return Err(again(e.into()));
        }
    };
    let amr: &[&str] =
        if crate::model::recovery::normalize(code).is_some() { &["pwd", "mfa"] } else { &["pwd", "otp", "mfa"] };
    finish(app, ctx, sign_in.request, user, amr, anchored, now).await.map_err(fatal)
}

/// Opens the login (a refresh family of the client) and makes its authorization code.
async fn finish(
    app: &App,
    ctx: &Ctx,
    request: AuthorizationRequest,
    user: User,
    amr: &[&str],
    anchored: bool,
    now: Epoch,
) -> Outcome<Step> {
    let family = RefreshFamily {
        client_id: Some(request.client_id.clone()),
        scopes: request.scopes.clone(),
        ..crate::app::id_tokens::fresh_family(app, ctx, &user, anchored, now)?
    };
    let login = crate::app::events::by(app, ctx, EventType::LoginSucceeded, &user.user_id)?
        .session(&family.family_id)
        .with("surface", 2)
        .with("client", request.client_id.clone());
    let first = user.last_login_at.is_none();
    let saved = crate::app::sessions::record_login(app, ctx, user, |u| {
        let (family, login) = (&family, crate::app::events::restamped(app, &login));
        async move { app.store.open_refresh(family, &u, std::slice::from_ref(&login)).await }
    })
    .await?;
    crate::app::devices::after_login(app, ctx, &saved, first, Proof::Password, 2).await;
    let code = crypto::b64url(&crypto::random_bytes::<32>()?);
    let grant = CodeGrant {
        request: request.clone(),
        user_id: saved.user_id.clone(),
        email: saved.email.clone(),
        amr: amr.iter().map(|s| s.to_string()).collect(),
        auth_time: now,
        anchored: family.anchored,
        family_id: family.family_id.clone(),
    };
    let ceremony = Ceremony {
        id: code_key(&code),
        kind: CeremonyKind::OidcCode,
        user_id: Some(saved.user_id.clone()),
        state: serde_json::to_string(&grant).map_err(DomainError::internal)?,
        created_at: now,
        expires_at: now + oidc::CODE_SECS,
    };
    app.store.put_ceremony(&ceremony).await?;
    tracing::info!(user_id = %saved.user_id, client_id = %request.client_id, "provider sign-in");
    let mut params = vec![("code", code.as_str()), ("iss", app.config.issuer.as_str())];
    if let Some(state) = request.state.as_deref() {
        params.push(("state", state));
    }
    Ok(Step::Done { redirect: crate::app::oidc::authorize::redirect_with(&request.redirect_uri, &params) })
}
