//! `POST /login_with_password`: email and password for an AUTH token, or a temporary token that
//! only updates an expired password (409 `{"token"}`). Unknown email and wrong password take the
//! same path, time and answer; consecutive failures lock the account (423).

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};

use crate::app::App;
use crate::error::AuthError;
use crate::http::{self, Ctx, Fields, HandlerResult};
use crate::token::TokenType;

pub async fn handle(app: &App, req: Request) -> HandlerResult {
    http::serve(req, "login_with_password", |ctx, req| run(app, ctx, req)).await
}

const BAD_CREDENTIALS: &str = "The authentication credentials are not found or are incorrect.";

async fn run(app: &App, ctx: Ctx, req: Request) -> Result<Response<Body>, AuthError> {
    crate::limits::per_ip(app, &ctx, "login").await?;
    let mut f = Fields::from_request(&req)?;
    let email = super::email_field(&mut f, "email");
    let pw = f.string("password.value", 1, 1024);
    f.finish()?;
    let (Some(email), Some(pw)) = (email, pw) else {
        return Err(AuthError::Unauthorized(BAD_CREDENTIALS));
    };

    let user = crate::session::check_password(app, &email, pw, || AuthError::Forbidden(BAD_CREDENTIALS)).await?;
    let opened = crate::session::open(app, &ctx, user).await?;
    let body = serde_json::json!({
        "token": opened.token,
        "tokenType": opened.kind,
        "identity": opened.session.identity,
        "credentials": { "type": "ROOT", "id": opened.session.user_id },
    });
    Ok(match opened.kind {
        TokenType::PasswordUpdate => http::json(StatusCode::CONFLICT, &serde_json::json!({ "token": opened.token })),
        _ => http::ok(&body),
    })
}
