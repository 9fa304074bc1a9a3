//! Checking a TOTP code (surface 2's authenticator-app method) under the same rules as every
//! other secret: refused while the account is locked, within its own budget, one lockout
//! attempt reserved before the comparison, and each time step accepted at most once.

use crate::app::App;
use crate::app::accounts::update_user_reporting;
use crate::domain::error::DomainError;
use crate::model::User;
use crate::store::Events;

/// Accepts a TOTP code for the account and records its step, so the same code (or an older
/// one) never works again, even when two requests carry it at once: the step is saved with the
/// account's version check. `then` applies the change the code authorises to the freshest
/// record, and may refuse it (the code is then not spent). Refused while the account is
/// locked; within the TOTP budget, one lockout attempt is reserved before the code is
/// compared, cleared again when it is right. `events` report the change `then` makes, in the
/// same write.
pub async fn accept_totp<F>(
    app: &App,
    ctx: &crate::app::Ctx,
    email: &str,
    code: &str,
    events: Events<'_>,
    then: F,
) -> Result<User, DomainError>
where
    F: FnMut(&mut User) -> Result<(), DomainError>,
{
    let now = app.now();
    let (user, stored) = app.store.load_login(email, now).await?;
    crate::app::lockout::refuse_if_locked(&stored, now)?;
    let user = user.ok_or(DomainError::Unauthenticated("The account no longer exists."))?;
    // The key the secret is sealed under, before anything is charged or counted: an instance
    // that does not hold it yet (enrolled on one that has rotated since) reloads, or answers 503.
    let keys = match user.mfa.totp.as_ref() {
        Some(t) => app.data_keys_with(&t.kid).await?,
        None => app.keys(),
    };
    crate::app::limits::totp_budget(app, ctx, &user.user_id).await?;
    let who = crate::app::lockout::Who::new(&user.user_id, ctx).with("method", "TOTP");
    let attempt = crate::app::lockout::attempt(app, crate::app::lockout::Check::Totp, who, email, stored, now).await?;
    match apply_totp(app, &keys, email, code, now, events, then).await {
        Ok(saved) => {
            attempt.succeeded(app).await?;
            Ok(saved)
        }
        Err(wrong @ DomainError::TotpRejected) => Err(attempt.failed(app, wrong, now).await),
        Err(e) => {
            attempt.release(app, now).await;
            Err(e)
        }
    }
}

/// The comparison of a TOTP code and the write it allows, for a caller that charged the TOTP
/// budget and reserved the lockout attempt: the step is recorded (never accepted twice) and
/// `then` applied to the freshest record, with `events`, in one write. `TotpRejected` for a
/// wrong (or replayed) code.
pub(crate) async fn apply_totp<F>(
    app: &App,
    keys: &crate::keys::KeySet,
    email: &str,
    code: &str,
    now: crate::domain::Epoch,
    events: Events<'_>,
    mut then: F,
) -> Result<User, DomainError>
where
    F: FnMut(&mut User) -> Result<(), DomainError>,
{
    update_user_reporting(app, email, events, |u| {
        let user_id = u.user_id.clone();
        let t = u.mfa.totp.as_mut().ok_or(crate::domain::error::Rule::TotpSecretNotConfigured)?;
        let key = keys
            .data()?
            .by_kid(&t.kid)
            .ok_or_else(|| DomainError::internal("TOTP secret sealed under a retired key"))?;
        let secret = crate::crypto::open(&key.data, user_id.as_bytes(), &t.sealed)
            .ok_or_else(|| DomainError::internal("TOTP secret does not open"))?;
        #[cfg(feature = "test-util")]
        crate::testing::tally(&format!("totp:{user_id}"));
        let step = crate::totp::check(&secret, code, now, t.last_step).ok_or(DomainError::TotpRejected)?;
        t.last_step = Some(step);
        then(u)
    })
    .await
}
