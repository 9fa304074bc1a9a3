//! `POST /users/email/change` `{"newEmail", "password": {"value"}}` (ACCESS; `STEPPED_UP` while
//! the account has a second factor, else 409 `STEP_UP_REQUIRED`): 204, and a code goes to the
//! new address, whether or not another account has it (see [`crate::app::email_change`]).

use crate::api::prelude::*;
use crate::app::email_change::{self, Changer};

pub async fn handle(
    State(app): State<AppState>,
    ctx: Ctx,
    Caller(principal, _): Caller<Access>,
    Body(mut f): Body,
) -> Answer {
    let app: &App = &app;
    let ctx = ctx.spending_as(principal.spender());
    let email = crate::api::fields::email_field(&mut f, "newEmail");
    let password = f.secret("password.value", 1, 1024);
    f.finish()?;
    let (Some(email), Some(password)) = (email, password) else {
        return Err(ApiError::field("body", FieldErrorKind::Required));
    };
    email_change::request(app, &ctx, Changer::Session(&principal), &email, password, app.now()).await?;
    Ok(no_content())
}
