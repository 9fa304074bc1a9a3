//! `POST /identities`: adds an identity (a consumer or corporate persona) to the account.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};

use crate::app::App;
use crate::crypto;
use crate::error::AuthError;
use crate::http::{self, Ctx, Fields, HandlerResult};
use crate::model::{Identity, IdentityId, IdentityType};
use crate::principal::authenticate;
use crate::token::TokenType;

/// More identities than this on one account is a sign of abuse, not of a real user.
pub const MAX_IDENTITIES: usize = 20;

pub async fn handle(app: &App, req: Request) -> HandlerResult {
    http::serve(req, "create_identity", |ctx, req| run(app, ctx, req)).await
}

async fn run(app: &App, _ctx: Ctx, req: Request) -> Result<Response<Body>, AuthError> {
    let principal = authenticate(app, &req, &[TokenType::Auth, TokenType::Access]).await?;
    let mut f = Fields::from_request(&req)?;
    let kind = f.one_of("type", &IdentityType::NAMES).and_then(IdentityType::parse);
    let name = f.string("name", 1, 100);
    f.finish()?;
    let (Some(kind), Some(name)) = (kind, name) else {
        return Err(AuthError::bad_request("INVALID_REQUEST", "type and name"));
    };
    let identity = Identity { id: IdentityId { kind, id: crypto::random_numeric_id()? }, name };
    let created = identity.clone();
    super::update_user_with(app, &principal.session.email, move |user| {
        if user.identities.len() >= MAX_IDENTITIES {
            return Err(AuthError::Conflict("IDENTITY_LIMIT_REACHED"));
        }
        user.identities.push(created.clone());
        Ok(())
    })
    .await?;
    Ok(http::json(StatusCode::CREATED, &identity))
}
