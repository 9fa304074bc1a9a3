//! `GET /.well-known/jwks.json`: the idToken verification keys (current and previous), so other
//! services verify idTokens offline.

use lambda_http::http::HeaderValue;
use lambda_http::http::header::CACHE_CONTROL;
use lambda_http::{Body, Request, Response};

use crate::app::App;
use crate::error::AuthError;
use crate::http::{self, Ctx, HandlerResult};
use crate::token;

pub async fn handle(app: &App, req: Request) -> HandlerResult {
    http::serve_surface2(req, "jwks", |ctx, req| run(app, ctx, req)).await
}

async fn run(app: &App, _ctx: Ctx, _req: Request) -> Result<Response<Body>, AuthError> {
    let mut response = http::ok(&token::jwks(&app.keys())?);
    // Public keys may be cached; a rotation keeps the previous key published meanwhile.
    response.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("public, max-age=300"));
    Ok(response)
}
