//! `DELETE /sessions/{id}`: ends one of the caller's logins (a session and its tokens, or a
//! refresh family and its tokens); 404 when it is not the caller's.

use crate::api::prelude::*;

pub async fn handle(State(app): State<AppState>, ctx: Ctx, caller: AnyCaller, PathId(id): PathId) -> Answer {
    let app: &App = &app;
    crate::app::logins::end(app, &ctx, &caller.user_id, &id, app.now()).await?;
    Ok(no_content())
}
