//! `POST /logout`: ends the session of the token; the AUTH token and every ACCESS token derived
//! from it stop working at once.

use lambda_http::{Body, Request, Response};

use crate::app::App;
use crate::error::AuthError;
use crate::http::{self, Ctx, HandlerResult};
use crate::principal::verify_claims;

pub async fn handle(app: &App, req: Request) -> HandlerResult {
    http::serve(req, "logout", |ctx, req| run(app, ctx, req)).await
}

async fn run(app: &App, _ctx: Ctx, req: Request) -> Result<Response<Body>, AuthError> {
    let token =
        http::bearer(&req).ok_or(AuthError::Unauthorized("A bearer token is required in the Authorization header."))?;
    // Any token of the session ends it, the temporary password-update token included.
    let claims = verify_claims(app, token).await?;
    // One conditional write both checks that the session is unrevoked and within its absolute
    // lifetime and ends it: a token that has idled out can still end its session, and with it
    // every ACCESS token derived from it.
    if !app.store.end_session(&claims.sid, app.now()).await? {
        return Err(AuthError::Unauthorized("The access token is missing, invalid or expired."));
    }
    tracing::info!("logged out");
    Ok(http::no_content())
}
