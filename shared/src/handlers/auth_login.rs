//! `POST /auth/login`: email and password for an idToken and a refresh token. Shares the
//! account, the password and the lockout with `/login_with_password`.

use lambda_http::{Body, Request, Response};

use crate::app::App;
use crate::crypto;
use crate::error::AuthError;
use crate::http::{self, Ctx, Fields, HandlerResult};
use crate::limits;
use crate::model::RefreshToken;
use crate::session;

pub async fn handle(app: &App, req: Request) -> HandlerResult {
    http::serve_surface2(req, "auth_login", |ctx, req| run(app, ctx, req)).await
}

const BAD_CREDENTIALS: &str = "The email or password is incorrect.";

async fn run(app: &App, ctx: Ctx, req: Request) -> Result<Response<Body>, AuthError> {
    limits::per_ip(app, &ctx, "login").await?;
    let mut f = Fields::from_request(&req)?;
    let email = super::email_field(&mut f, "email");
    let password = f.string("password", 1, 1024);
    f.finish()?;
    let (Some(email), Some(password)) = (email, password) else { return Err(AuthError::Forbidden(BAD_CREDENTIALS)) };
    let user = session::check_password(app, &email, password, || AuthError::Forbidden(BAD_CREDENTIALS)).await?;
    if session::password_is_expired(app, &user) {
        crate::attempts::succeeded(app, &email).await?;
        return Err(AuthError::Forbidden("The password has expired: change it through /passwords/update."));
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
    Ok(http::ok(&serde_json::json!({ "idToken": id_token, "refreshToken": refresh_token })))
}
