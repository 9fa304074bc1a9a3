//! `GET /oauth2/authorize`: an accepted request starts a sign-in and shows the hosted page;
//! a refused one is shown here (unknown client or redirect URI) or sent back to the client.
//! `POST /oauth2/authorize`: the page's forms (the password, a code to send, the second
//! factor); a finished sign-in goes back to the client with its code (303).

use axum::body::Bytes;
use axum::extract::RawQuery;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::api::oidc::page::{self, View};
use crate::api::oidc::{cookie, field, form};
use crate::api::prelude::*;
use crate::app::oidc::Failure;
use crate::app::oidc::authorize::{Refusal, error_redirect, validate};
use crate::app::oidc::sign_in::{self, Retry, Step};
use crate::domain::email::Email;

fn see_other(location: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    response
}

fn secure(app: &App) -> bool {
    app.config.issuer.starts_with("https://")
}

pub async fn show(State(app): State<AppState>, RawQuery(query): RawQuery) -> Response {
    let app: &App = &app;
    let (_, request) = match validate(app, query.as_deref().unwrap_or_default()).await {
        Ok(accepted) => accepted,
        Err(Refusal::Here(e)) => return page::render(StatusCode::BAD_REQUEST, "", "", View::Gone, Some(e.description)),
        Err(Refusal::Back { redirect_uri, state, error }) => {
            return see_other(&error_redirect(&redirect_uri, state.as_deref(), &error));
        }
    };
    let redirect_uri = request.redirect_uri.clone();
    let started = match sign_in::start(app, request, app.now()).await {
        Ok(s) => s,
        Err(f) => return crate::api::oidc::error::failure(&f),
    };
    let mut response = page::render(StatusCode::OK, &started.id, &redirect_uri, View::Password { email: "" }, None);
    if let Ok(v) = HeaderValue::from_str(&page::set_cookie(&started.id, &started.browser_secret, secure(app))) {
        response.headers_mut().insert(header::SET_COOKIE, v);
    }
    response
}

/// What the page says of a failed step: never whether the account exists.
fn message(error: &Failure) -> (&'static str, StatusCode) {
    match error {
        Failure::OAuth(e) => (e.description, StatusCode::BAD_REQUEST),
        Failure::Domain(e) => match e {
            DomainError::BadCredentials => ("The e-mail or password is incorrect.", StatusCode::UNAUTHORIZED),
            DomainError::Locked { .. } => (
                "The account is temporarily locked after consecutive failed attempts. Try again later.",
                StatusCode::LOCKED,
            ),
            DomainError::Blocked => ("This account cannot sign in.", StatusCode::FORBIDDEN),
            DomainError::Denied(m) => (m, StatusCode::FORBIDDEN),
            DomainError::RateLimited { .. } | DomainError::ResendTooSoon { .. } => {
                ("Too many attempts: wait a little and try again.", StatusCode::TOO_MANY_REQUESTS)
            }
            DomainError::OtpRequired
            | DomainError::OtpRejected
            | DomainError::TotpRejected
            | DomainError::CodeRejected(_) => ("The code is wrong or has expired.", StatusCode::UNAUTHORIZED),
            DomainError::Refused(_) => ("That method is not available for this account.", StatusCode::BAD_REQUEST),
            DomainError::Unavailable { .. } => ("Try again in a moment.", StatusCode::SERVICE_UNAVAILABLE),
            _ => ("Something went wrong.", StatusCode::INTERNAL_SERVER_ERROR),
        },
    }
}

pub async fn submit(State(app): State<AppState>, ctx: Ctx, headers: HeaderMap, body: Bytes) -> Response {
    let app: &App = &app;
    let now = app.now();
    let fields = match form(&headers, &body) {
        Ok(f) => f,
        Err(e) => return page::render(StatusCode::BAD_REQUEST, "", "", View::Gone, Some(e.description)),
    };
    let id = field(&fields, "sign_in").unwrap_or_default();
    let browser = cookie(&headers, &page::cookie_name(id, secure(app))).unwrap_or_default();
    let email_text = field(&fields, "email").unwrap_or_default();
    let step = match field(&fields, "step").unwrap_or_default() {
        "password" => {
            let email = Email::parse(email_text);
            let password = field(&fields, "password")
                .filter(|p| !p.is_empty() && p.len() <= 1024)
                .map(|p| secrecy::SecretString::from(p.to_owned()));
            sign_in::password(app, &ctx, id, browser, email, password, now).await
        }
        "code" => {
            let code = field(&fields, "code").unwrap_or_default().trim();
            sign_in::second_factor(app, &ctx, id, browser, code, now).await
        }
        "send_sms" => sign_in::send_code(app, &ctx, id, browser, true, now).await,
        "send_email" => sign_in::send_code(app, &ctx, id, browser, false, now).await,
        _ => {
            return page::render(StatusCode::BAD_REQUEST, "", "", View::Gone, Some("The form is malformed."));
        }
    };
    match step {
        Ok(Step::Done { redirect }) => see_other(&redirect),
        Ok(Step::SecondFactor { methods, redirect_uri }) => {
            page::render(StatusCode::OK, id, &redirect_uri, View::SecondFactor { methods: &methods }, None)
        }
        Err(Retry { error, second_factor, redirect_uri }) => {
            let (text, status) = message(&error);
            if let Failure::Domain(DomainError::Internal(source)) = &error {
                tracing::error!(error = %crate::domain::error::chain(source.as_ref()), "unexpected error");
            }
            let view = match (&error, &second_factor) {
                (Failure::OAuth(_), _) => View::Gone,
                (_, Some(methods)) => View::SecondFactor { methods },
                (_, None) => View::Password { email: "" },
            };
            page::render(status, id, &redirect_uri, view, Some(text))
        }
    }
}
