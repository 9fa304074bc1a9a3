//! `GET /users/me/export`: everything the service keeps of the caller's account, never a
//! secret (ACCESS token or idToken); 5 per account per day.

use crate::api::prelude::*;

pub async fn handle(State(app): State<AppState>, AccessOrIdCaller(caller): AccessOrIdCaller) -> Answer {
    let app: &App = &app;
    let (user, lockout) = app.store.load_login(&caller.email, app.now()).await?;
    // The account the token was issued for, not another one that took its address since.
    let user = user
        .filter(|u| u.user_id == caller.user_id)
        .ok_or(DomainError::Unauthenticated("The account no longer exists."))?;
    crate::app::accounts::refuse_blocked(&user)?;
    let export = crate::app::export::export(app, &user, &lockout.state, &caller.current).await?;
    Ok(ok(&export))
}
