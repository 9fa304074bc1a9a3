//! `POST /sessions/revoke_others`: ends every login of the caller's account but the one of the
//! token that asks.

use crate::api::prelude::*;

pub async fn handle(State(app): State<AppState>, ctx: Ctx, caller: AnyCaller) -> Answer {
    let app: &App = &app;
    crate::app::logins::end_others(app, &ctx, &caller.user_id, &caller.current).await?;
    Ok(no_content())
}
