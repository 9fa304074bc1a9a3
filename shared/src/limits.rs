//! Request budgets, counted in fixed windows by the store (so every Lambda instance shares
//! them): per source IP on unauthenticated operations, and SMS budgets per phone number and per
//! account against SMS pumping. Per-account login attempts are bounded by the lockout itself.

use crate::app::App;
use crate::error::AuthError;
use crate::http::Ctx;

async fn enforce(app: &App, key: &str, limit: u32, window_secs: i64) -> Result<(), AuthError> {
    let now = app.now();
    let window_end = (now.div_euclid(window_secs) + 1) * window_secs;
    let hits = app.store.hit_rate_counter(key, window_end).await?;
    if hits > u64::from(limit) {
        tracing::warn!(limit, "rate limit reached");
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

/// SMS pumping protection: a few messages per number per hour, and per account per day.
pub async fn sms_budget(app: &App, to_e164: &str, user_id: &str) -> Result<(), AuthError> {
    let limits = &app.config.rate_limit;
    let phone_key = format!("sms-phone:{}", crate::crypto::sha256_b64url(to_e164.as_bytes()));
    enforce(app, &phone_key, limits.sms_per_phone_per_hour, 3_600).await?;
    enforce(app, &format!("sms-user:{user_id}"), limits.sms_per_account_per_day, 86_400).await
}
