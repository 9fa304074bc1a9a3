//! `POST /users/email/change/verify` `{"verificationCode"}` (ACCESS): 204, the account's address
//! is now the new one, verified; 409 `EMAIL_ALREADY_REGISTERED` if another account has it by
//! now. The caller's session follows the account; every other login ends.

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
    let code = f.string("verificationCode", 1, 32);
    f.finish()?;
    let changer = Changer::Session(&principal);
    email_change::verify(app, &ctx, changer, &code.unwrap_or_default(), app.now()).await?;
    Ok(no_content())
}
