//! `POST /identities`: adds an identity (a consumer or corporate persona) to the account.

use crate::api::prelude::*;

use crate::crypto;
use crate::model::{Identity, IdentityId, IdentityType};

/// More identities than this on one account is a sign of abuse, not of a real user.
pub const MAX_IDENTITIES: usize = 20;

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
    let identity = Identity { id: IdentityId { kind, id: crypto::random_numeric_id()? }, name };
    let created = identity.clone();
    crate::app::accounts::update_user_with(app, &principal.session.email, move |user| {
        if user.identities.len() >= MAX_IDENTITIES {
            return Err(DomainError::Refused(Rule::IdentityLimitReached));
        }
        user.identities.push(created.clone());
        Ok(())
    })
    .await?;
    Ok(json(StatusCode::CREATED, &identity))
}
