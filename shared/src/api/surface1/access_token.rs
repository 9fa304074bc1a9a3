//! `POST /access_token`: exchanges an AUTH token for an ACCESS token scoped to one of the
//! holder's identities. The ACCESS token hangs off the same session (logout kills it), with
//! its own idle expiry and its own signing key.

use crate::api::prelude::*;

use crate::model::{IdentityId, IdentityType};
use crate::token::TokenType;

pub async fn handle(State(app): State<AppState>, Caller(principal, _): Caller<Auth>, Body(mut f): Body) -> Answer {
    let app: &App = &app;
    let kind = f.one_of("identity.type", &IdentityType::NAMES).and_then(IdentityType::parse);
    let id = f.string("identity.id", 1, 30);
    if id.as_deref().is_some_and(|i| !i.bytes().all(|b| b.is_ascii_digit())) {
        f.error("identity.id", FieldErrorKind::Regex, &["^[0-9]+$"]);
    }
    f.finish()?;
    let (Some(kind), Some(id)) = (kind, id) else { return Err(ApiError::malformed("INVALID_REQUEST", "identity")) };
    let wanted = IdentityId { kind, id };

    let (token, user) = crate::app::grants::grant_access(app, &principal, wanted.clone(), app.now()).await?;
    let session = &principal.session;
    Ok(ok(&serde_json::json!({
        "token": token,
        "tokenType": TokenType::Access,
        "identity": wanted,
        "credentials": { "type": "ROOT", "id": user.user_id },
        "status": session.status,
    })))
}
