//! `POST /users/delete` `{"password": {"value"}}`: deletes the caller's account (ACCESS token;
//! `STEPPED_UP` when the account has a second factor). 204; afterwards no token of the account
//! works and its address is free.

use crate::api::prelude::*;

pub async fn handle(
    State(app): State<AppState>,
    ctx: Ctx,
    Caller(principal, _): Caller<Access>,
    Body(mut f): Body,
) -> Answer {
    let app: &App = &app;
    let password = f.secret("password.value", 1, 1024);
    f.finish()?;
    let Some(password) = password else { return Err(ApiError::malformed("INVALID_REQUEST", "password")) };
    crate::app::erasure::delete_own(app, &ctx, &principal, password, app.now()).await?;
    Ok(no_content())
}
