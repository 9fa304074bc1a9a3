//! `POST /auth/login/passkey/options`: as `/login_with_passkey/options`, for surface 2.

use crate::api::prelude::*;

pub async fn handle(state: State<AppState>, ctx: Ctx) -> Answer {
    crate::api::surface1::login_with_passkey_options::handle(state, ctx).await
}
