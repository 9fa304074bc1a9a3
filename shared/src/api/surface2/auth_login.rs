//! `POST /auth/login`: email and password for an idToken and a refresh token. Shares the
//! account, the password and the lockout with `/login_with_password`.

use crate::api::prelude::*;

use crate::app::limits;
use crate::app::sessions as session;
use crate::crypto;
use crate::model::RefreshToken;

pub async fn handle(State(app): State<AppState>, ctx: Ctx, body: Result<Body, ApiError>) -> Answer {
    let app: &App = &app;
    // The budget is charged before the body is read: a malformed request costs the same.
    limits::per_ip(app, &ctx, "login").await?;
    let Body(mut f) = body?;
    let email = crate::api::fields::email_field(&mut f, "email");
    let password = f.string("password", 1, 1024);
    f.finish()?;
    let (Some(email), Some(password)) = (email, password) else { return Err(DomainError::BadCredentials.into()) };
    let user = session::check_password(app, &email, password).await?;
    if session::password_is_expired(app, &user) {
        crate::app::lockout::succeeded(app, &email).await?;
        return Err(DomainError::Denied("The password has expired: change it through /passwords/update.").into());
    }

    let now = app.now();
    let refresh_token = format!("{}.{}", user.user_id, crypto::b64url(&crypto::random_bytes::<32>()?));
    let record = RefreshToken {
        user_id: user.user_id.clone(),
        email: user.email.clone(),
        token_hash: crypto::sha256_b64url(refresh_token.as_bytes()),
        created_at: now,
        expires_at: now + app.config.refresh_token_secs,
        revoked: false,
        credentials_version: user.credentials_version,
    };
    let saved = session::record_login(app, &ctx, user, |u| {
        let record = &record;
        async move { app.store.open_refresh(record, &u).await }
    })
    .await?;
    let id_token = session::id_token(app, &saved, &["pwd"])?;
    tracing::info!(user_id = %saved.user_id, "surface-2 login");
    Ok(ok(&serde_json::json!({ "idToken": id_token, "refreshToken": refresh_token })))
}
