//! `POST /identities`: adds an identity (a consumer or corporate persona) to the account.

use crate::api::prelude::*;

use crate::model::IdentityType;

pub async fn handle(
    State(app): State<AppState>,
    Caller(principal, _): Caller<AuthOrAccess>,
    Body(mut f): Body,
) -> Answer {
    let app: &App = &app;
    let kind = f.one_of("type", &IdentityType::NAMES).and_then(IdentityType::parse);
    let name = f.string("name", 1, 100);
    f.finish()?;
    let (Some(kind), Some(name)) = (kind, name) else {
        return Err(ApiError::malformed("INVALID_REQUEST", "type and name"));
    };
    let identity = crate::app::accounts::create_identity(app, &principal.session.email, kind, name).await?;
    Ok(json(StatusCode::CREATED, &identity))
}
