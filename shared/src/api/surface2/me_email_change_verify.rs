//! `POST /auth/me/email/change/verify` `{"verificationCode"}` (idToken): 204, the account's
//! address is now the new one, verified. The caller's refresh family follows the account (its
//! next idToken carries the new `email`; the idToken that asked names the old one and is
//! refused from now on); every other login ends.

use crate::api::prelude::*;
use crate::app::email_change::{self, Changer};

pub async fn handle(
    State(app): State<AppState>,
    ctx: Ctx,
    IdCaller { claims, user, spender, .. }: IdCaller,
    Body(mut f): Body,
) -> Answer {
    let app: &App = &app;
    let ctx = ctx.spending_as(spender);
    let code = f.string("verificationCode", 1, 32);
    f.finish()?;
    let family_id = claims.sid.as_deref().unwrap_or_default();
    let changer = Changer::IdToken { user: &user, family_id, x_otp: None };
    email_change::verify(app, &ctx, changer, &code.unwrap_or_default(), app.now()).await?;
    Ok(no_content())
}
