//! `DELETE /authentication_factors/push/{channel}`: removes the enrolled push device.

use lambda_http::{Body, Request, Response};

use crate::app::App;
use crate::error::AuthError;
use crate::http::{self, Ctx, HandlerResult};
use crate::model::FactorType;
use crate::principal::authenticate;
use crate::token::TokenType;

pub async fn handle(app: &App, req: Request) -> HandlerResult {
    http::serve(req, "remove_push_factor", |ctx, req| run(app, ctx, req)).await
}

async fn run(app: &App, _ctx: Ctx, req: Request) -> Result<Response<Body>, AuthError> {
    let principal = authenticate(app, &req, &[TokenType::Access]).await?;
    let channel = super::channel_param(&req, FactorType::Push)?;
    let current = super::load_user(app, &principal.session.email).await?;
    if current.factor(channel).is_none() {
        return Err(AuthError::Conflict("CHANNEL_NOT_REGISTERED"));
    }
    crate::proof::require_step_up(&current, &principal)?;
    let mut removed = None;
    let (before, _) = crate::proof::noticed(
        app,
        &current,
        crate::proof::change_factors(app, &principal, |u| {
            let at = u
                .factors
                .iter()
                .position(|f| f.channel == channel)
                .ok_or(AuthError::Conflict("CHANNEL_NOT_REGISTERED"))?;
            removed = Some(u.factors.remove(at));
            Ok(())
        }),
    )
    .await?;
    crate::proof::announce_change(app, &before, "a push device was removed").await?;
    if let Some(endpoint) = removed.and_then(|f| f.device).map(|d| d.endpoint) {
        // The factor is gone either way; a stale SNS endpoint only costs a failed publish later.
        if let Err(e) = app.push.unregister(&endpoint).await {
            tracing::warn!(error = %e, "could not delete the SNS endpoint of a removed device");
        }
    }
    Ok(http::no_content())
}
