//! `DELETE /authentication_factors/passkey/{credentialId}`: removes one of the account's
//! passkeys (a change of how it proves itself: a stepped-up session spends its step-up).

use crate::api::prelude::*;

pub async fn handle(
    State(app): State<AppState>,
    ctx: Ctx,
    Caller(principal, _): Caller<Access>,
    CredentialIdParam(credential_id): CredentialIdParam,
) -> Answer {
    let app: &App = &app;
    crate::app::passkeys::remove(app, &ctx, &principal, &credential_id).await?;
    Ok(no_content())
}
