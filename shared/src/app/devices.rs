//! The devices an account signs in from (issue 25, part 3). Every successful login (password,
//! passkey, push; both surfaces) records its device ([`crate::domain::devices`] says what one
//! is) in one write, which also answers whether the device was known: a login from a device
//! the account has not signed in from within [`KNOWN_SECS`] sends the account's address a
//! notice and writes `NEW_DEVICE_LOGIN`. Not for the account's very first login (there is no
//! device to compare with: the owner just registered), nor for the login the lost-password
//! reset opens (its own notice says the password was reset). A lost-password reset, and the
//! revert of an e-mail change, forget every device.

use crate::app::sessions::Proof;
use crate::app::{App, Ctx};
use crate::domain::devices::{self, KNOWN_SECS};
use crate::domain::error::DomainError;
use crate::domain::events::EventType;
use crate::model::{KnownDevice, User};

/// The device of a request, as it would be stored for `user_id` at `now`.
pub fn device_of(ctx: &Ctx, user_id: &str, now: crate::domain::Epoch) -> KnownDevice {
    let browser = devices::browser(&ctx.user_agent);
    let system = devices::system(&ctx.user_agent);
    let network = devices::network(&ctx.source_ip);
    KnownDevice {
        user_id: user_id.to_owned(),
        key: devices::device_key(browser, system, &network, ctx.device_id.as_deref()),
        browser: browser.to_owned(),
        system: system.to_owned(),
        network,
        identified: ctx.device_id.is_some(),
        first_seen_at: now,
        last_seen_at: now,
        expires_at: now + KNOWN_SECS,
    }
}

/// After a login of `user` (as it was before the login: `first` says whether it had ever
/// logged in) by `proof` on `surface`: records the device and, if it is new, notices. A
/// failure here is logged, never the login's: the login has happened.
pub async fn after_login(app: &App, ctx: &Ctx, user: &User, first: bool, proof: Proof, surface: u8) {
    if let Err(e) = seen(app, ctx, user, first, proof, surface).await {
        tracing::warn!(outcome = %e, "the login's device was not recorded");
    }
}

async fn seen(app: &App, ctx: &Ctx, user: &User, first: bool, proof: Proof, surface: u8) -> Result<(), DomainError> {
    let now = app.now();
    let device = device_of(ctx, &user.user_id, now);
    let known = app.store.see_device(&device, now).await?;
    if known || first || proof == Proof::Reset {
        return Ok(());
    }
    let event = crate::app::events::by(app, ctx, EventType::NewDeviceLogin, &user.user_id)?
        .with("surface", surface)
        .with("method", proof.name())
        .with("browser", device.browser.as_str())
        .with("system", device.system.as_str())
        .with("network", device.network.as_str());
    app.store.record_events(&[event]).await?;
    // Its own per-address allowance (review finding 5): spent, the notice is dropped, never the
    // login; the event above is written all the same.
    if !crate::app::mail_limits::device_notice(app, &user.email).await {
        return Ok(());
    }
    let text = format!(
        "New sign-in to your account\n\nWhen: {} (UTC)\nBrowser: {}\nSystem: {}\nFrom: {}\n\nIf this was you, there \
         is nothing to do. If it was not, reset your password now (\"forgot password\"), end the sessions you do not \
         recognise, and contact support.",
        crate::profile::iso8601(now),
        device.browser,
        device.system,
        ctx.source_ip,
    );
    match app.email.send(&user.email, "New sign-in to your account", &text).await {
        Ok(()) => crate::metrics::email_sent(),
        Err(e) => tracing::warn!(error = %e, "could not e-mail a new-device notice"),
    }
    tracing::info!(user_id = %user.user_id, "login from a new device");
    Ok(())
}

/// The account's known devices (unexpired), oldest first: for the export.
pub async fn list(app: &App, user_id: &str) -> Result<Vec<KnownDevice>, DomainError> {
    let now = app.now();
    let mut devices: Vec<KnownDevice> =
        app.store.list_devices(user_id).await?.into_iter().filter(|d| now < d.expires_at).collect();
    devices.sort_by(|a, b| a.first_seen_at.cmp(&b.first_seen_at).then_with(|| a.key.cmp(&b.key)));
    Ok(devices)
}

/// A known device as the export shows it.
pub fn view(d: &KnownDevice) -> serde_json::Value {
    serde_json::json!({
        "browser": d.browser,
        "system": d.system,
        "network": d.network,
        "identified": d.identified,
        "firstSeen": crate::profile::iso8601(d.first_seen_at),
        "lastSeen": crate::profile::iso8601(d.last_seen_at),
    })
}

/// Forgets every device of the account (a lost-password reset, a revert); logged, not fatal.
pub async fn forget(app: &App, user_id: &str) {
    if let Err(e) = app.store.forget_devices(user_id).await {
        tracing::warn!(error = %e, "could not forget the account's devices");
    }
}
