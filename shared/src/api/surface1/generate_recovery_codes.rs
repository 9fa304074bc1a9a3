//! `POST /authentication_factors/recovery_codes`: ten recovery codes, shown this once, replacing
//! any earlier set; on a `STEPPED_UP` session, whose step-up it spends.

use crate::api::prelude::*;

pub async fn handle(State(app): State<AppState>, ctx: Ctx, Caller(principal, _): Caller<Access>) -> Answer {
    let app: &App = &app;
    let codes = crate::app::recovery::generate(app, &ctx, &principal, app.now()).await?;
    Ok(ok(&serde_json::json!({ "codes": codes })))
}
