//! Request budgets, counted in fixed windows by the store (so every Lambda instance shares
//! them): per source IP on unauthenticated operations; SMS budgets per number and account, per
//! source IP and for the whole service against SMS pumping; e-mail per address; push per
//! account. Per-account login attempts are bounded by the lockout itself.
//!
//! A budget keyed by something a stranger can name (a phone number, an e-mail address) is
//! charged per account, so nobody can spend another account's budget.

use crate::app::App;
use crate::error::AuthError;
use crate::http::Ctx;

const HOUR: i64 = 3_600;
const DAY: i64 = 86_400;

async fn enforce(app: &App, key: &str, limit: u32, window_secs: i64) -> Result<(), AuthError> {
    let now = app.now();
    let window_end = (now.div_euclid(window_secs) + 1) * window_secs;
    let hits = app.store.hit_rate_counter(key, window_end).await?;
    if hits > u64::from(limit) {
        tracing::warn!(limit, budget = key.split(':').next().unwrap_or(""), "rate limit reached");
        return Err(AuthError::TooManyRequests { limit, retry_after: window_end - now });
    }
    Ok(())
}

/// Per source IP, per minute: login, registration, push answers.
pub async fn per_ip(app: &App, ctx: &Ctx, operation: &str) -> Result<(), AuthError> {
    let limit = app.config.rate_limit.per_ip_per_minute;
    enforce(app, &format!("ip:{operation}:{}", ctx.source_ip), limit, 60).await
}

/// Per account, per minute: operations that cost money or guesses (code sending).
pub async fn per_account(app: &App, user_id: &str, operation: &str) -> Result<(), AuthError> {
    let limit = app.config.rate_limit.per_account_per_minute;
    enforce(app, &format!("user:{operation}:{user_id}"), limit, 60).await
}

/// SMS pumping protection, spent only once a code is really about to be sent: the destination
/// must be a mobile of an allowed country; then a few messages per number and account per hour,
/// per account per day, per source IP per hour, and a ceiling for the whole service per day.
pub async fn sms_budget(app: &App, ctx: &Ctx, to_e164: &str, user_id: &str) -> Result<(), AuthError> {
    if !crate::phone::may_receive_sms(to_e164, &app.config.sms_countries) {
        return Err(AuthError::Conflict("MOBILE_NUMBER_NOT_SUPPORTED"));
    }
    let limits = &app.config.rate_limit;
    let number = crate::crypto::sha256_b64url(to_e164.as_bytes());
    enforce(app, &format!("sms-phone:{number}:{user_id}"), limits.sms_per_phone_per_hour, HOUR).await?;
    enforce(app, &format!("sms-user:{user_id}"), limits.sms_per_account_per_day, DAY).await?;
    enforce(app, &format!("sms-ip:{}", ctx.source_ip), limits.sms_per_ip_per_hour, HOUR).await?;
    enforce(app, "sms-global", limits.sms_global_per_day, DAY).await
}

/// E-mail codes per address per day: a third party's address cannot be flooded.
pub async fn email_budget(app: &App, to: &str) -> Result<(), AuthError> {
    let address = crate::crypto::sha256_b64url(to.as_bytes());
    enforce(app, &format!("email-addr:{address}"), app.config.rate_limit.email_per_address_per_day, DAY).await
}

/// Push challenges per account per 10 minutes, whatever session asks.
pub async fn push_budget(app: &App, user_id: &str) -> Result<(), AuthError> {
    let limit = app.config.rate_limit.push_per_account_per_10_minutes;
    enforce(app, &format!("push-user:{user_id}"), limit, 600).await
}

/// TOTP checks per account per lockout period, on top of the lockout: a successful password
/// login clears the lockout counter but not this, so a holder of the password cannot buy an
/// endless series of TOTP guesses by logging in between them.
pub async fn totp_budget(app: &App, user_id: &str) -> Result<(), AuthError> {
    enforce(app, &format!("totp:{user_id}"), TOTP_CHECKS_PER_WINDOW, app.config.lockout_secs).await
}

/// TOTP codes checked per account per lockout period (30 minutes by default).
pub const TOTP_CHECKS_PER_WINDOW: u32 = 10;
