//! `DELETE /authentication_factors/push/{channel}`: removes the enrolled push device.

use crate::api::prelude::*;

pub async fn handle(
    State(app): State<AppState>,
    Caller(principal, _): Caller<Access>,
    PushChannel(channel): PushChannel,
) -> Answer {
    let app: &App = &app;
    let current = crate::app::accounts::load_user(app, &principal.session.email).await?;
    if current.factor(channel).is_none() {
        return Err(DomainError::Refused(Rule::ChannelNotRegistered).into());
    }
    crate::app::proof::require_step_up(&current, &principal)?;
    let mut removed = None;
    let (before, _) = crate::app::proof::noticed(
        app,
        &current,
        crate::app::proof::change_factors(app, &principal, |u| {
            let at = u
                .factors
                .iter()
                .position(|f| f.channel == channel)
                .ok_or(DomainError::Refused(Rule::ChannelNotRegistered))?;
            removed = Some(u.factors.remove(at));
            Ok(())
        }),
    )
    .await?;
    crate::app::proof::announce_change(app, &before, "a push device was removed").await?;
    if let Some(endpoint) = removed.and_then(|f| f.device).map(|d| d.endpoint) {
        // The factor is gone either way; a stale SNS endpoint only costs a failed publish later.
        if let Err(e) = app.push.unregister(&endpoint).await {
            tracing::warn!(error = %e, "could not delete the SNS endpoint of a removed device");
        }
    }
    Ok(no_content())
}
