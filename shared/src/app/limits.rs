//! Request budgets, counted by the store in windows (so every Lambda instance shares them):
//! per source IP on unauthenticated operations; and the budgets that guard money and guesses:
//! SMS per number and account, per account, per source IP and for the whole service; e-mail
//! per address; push per account; TOTP checks per account. Per-account login attempts are
//! bounded by the lockout itself.
//!
//! The per-minute throttles count in fixed windows (one store write). The security budgets
//! count the current *and* the previous fixed window together, so no span of one window length
//! ever holds more than the limit, however the hits bunch at a boundary (it refuses a little
//! early rather than ever late); that costs one more read.
//!
//! A budget keyed by something a stranger can name (a phone number, an e-mail address) is
//! charged per account, so nobody can spend another account's budget; and the budgets of one
//! request are charged all or none: a request refused by one gives back what it took from the
//! others.

use crate::app::App;
use crate::app::Ctx;
use crate::domain::error::DomainError;
use crate::metrics::BudgetKind;

const HOUR: i64 = 3_600;
const DAY: i64 = 86_400;

/// One budget a request spends from.
pub struct Budget {
    /// Which limit it is, for the logs and metrics (the key names an account, an IP, ...).
    pub kind: BudgetKind,
    pub key: String,
    pub limit: u32,
    pub window_secs: i64,
    /// Sliding (estimated over the last `window_secs`) rather than fixed windows.
    pub sliding: bool,
}

impl Budget {
    pub(crate) fn fixed(kind: BudgetKind, key: String, limit: u32, window_secs: i64) -> Self {
        Budget { kind, key, limit, window_secs, sliding: false }
    }

    pub(crate) fn sliding(kind: BudgetKind, key: String, limit: u32, window_secs: i64) -> Self {
        Budget { kind, key, limit, window_secs, sliding: true }
    }
}

fn window_end(now: i64, window_secs: i64) -> i64 {
    (now.div_euclid(window_secs) + 1) * window_secs
}

/// Whether `hits` in the current window (ending at `end`), with `previous` in the one before
/// for a sliding budget, fit `limit`; if not, seconds until they would.
fn over_limit(b: &Budget, previous: u64, hits: u64, now: i64, end: i64) -> Option<i64> {
    let limit = u64::from(b.limit);
    if !b.sliding {
        return (hits > limit).then_some((end - now).max(1));
    }
    if previous + hits <= limit {
        return None;
    }
    // The previous window stops counting when this one ends; this one's hits count for the
    // whole of the next as well.
    Some(if hits > limit { end - now + b.window_secs } else { end - now }.max(1))
}

/// What [`charge`] took: exactly these windows are given back by [`refund`].
#[derive(Debug, Default)]
pub struct Charged(Vec<(String, i64)>);

/// Charges every budget or none: each is counted in turn; when one is over its limit, every
/// hit counted for this request is given back and the answer is 429 with `Retry-After`.
pub async fn charge(app: &App, budgets: &[Budget]) -> Result<Charged, DomainError> {
    charge_naming(app, budgets).await.map_err(|(e, _)| e)
}

/// [`charge`], saying which budget refused (none when the store failed).
pub async fn charge_naming(app: &App, budgets: &[Budget]) -> Result<Charged, (DomainError, Option<BudgetKind>)> {
    let now = app.now();
    let mut charged = Charged::default();
    for b in budgets {
        let end = window_end(now, b.window_secs);
        let hits = app.store.hit_rate_counter(&b.key, end).await.map_err(|e| (e.into(), None))?;
        charged.0.push((b.key.clone(), end));
        let previous = if b.sliding {
            app.store.get_rate_counter(&b.key, end - b.window_secs).await.map_err(|e| (e.into(), None))?
        } else {
            0
        };
        if let Some(retry_after) = over_limit(b, previous, hits, now, end) {
            tracing::warn!(limit = b.limit, budget = b.kind.name(), "rate limit reached");
            refund(app, &charged).await;
            return Err((DomainError::RateLimited { limit: b.limit, retry_after }, Some(b.kind)));
        }
    }
    Ok(charged)
}

/// Gives back what [`charge`] took, in the very windows it took it from (a request that was
/// charged but did nothing, such as a send the provider refused). Best effort: a failure is
/// logged.
pub async fn refund(app: &App, charged: &Charged) {
    for (key, end) in &charged.0 {
        if let Err(e) = app.store.release_rate_counter(key, *end).await {
            tracing::warn!(error = %e, "could not give a budget hit back");
        }
    }
}

/// The login a request spends an account's budgets from: a surface-1 session or a surface-2
/// refresh family. `proven`: it has proven a second factor (a `STEPPED_UP` session, which a
/// passkey or push login is from the start).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spender {
    pub login: String,
    pub proven: bool,
}

/// How an account's budget of `limit` is shared by its logins: `(share, reserve)`, what one
/// login may spend (half, rounded up) and what only a proven login may spend (a quarter,
/// rounded down): from a limit of 4 on, one login cannot spend what the others may.
pub fn shares(limit: u32) -> (u32, u32) {
    (limit.div_ceil(2).max(1), (limit / 4).min(limit.saturating_sub(1)))
}

/// An account's budget `key` of `limit` per `window_secs`, as the logins of the account share
/// it, so that a holder of the password cannot spend it all and keep the owner from proving
/// themselves (stepping up, an `x-otp`): a login that has proven nothing beyond the password
/// spends at most its share, and all such logins together at most the limit less a reserve,
/// which only a login that has proven a second factor (or the mailbox) may spend ([`shares`]);
/// a proven login spends from the whole limit. Without a login (no caller to tell apart) the
/// whole limit applies.
pub fn shared_budget(ctx: &Ctx, kind: BudgetKind, key: String, limit: u32, window_secs: i64) -> Vec<Budget> {
    let Some(spender) = &ctx.login else { return vec![Budget::sliding(kind, key, limit, window_secs)] };
    if spender.proven {
        return vec![Budget::sliding(kind, key, limit, window_secs)];
    }
    let (share, reserve) = shares(limit);
    let login = crate::crypto::sha256_b64url(spender.login.as_bytes());
    vec![
        Budget::sliding(kind, format!("{key}@{}", &login[..22]), share, window_secs),
        Budget::sliding(kind, key, limit - reserve, window_secs),
    ]
}

/// Security notices per address per day (their own budget, beside the codes'): an address
/// someone registered without owning it receives a bounded number. Charged before the change
/// a notice announces, which waits (429) when the budget is spent. Neither the lost-password
/// reset's notice nor a recovery code's use is charged here ([`crate::app::mail_limits`]): a
/// budget a stranger can spend must never stop the owner's way back in.
pub async fn notice_budget(app: &App, to: &str) -> Result<Charged, DomainError> {
    let address = crate::crypto::sha256_b64url(to.as_bytes());
    let limit = app.config.rate_limit.email_per_address_per_day;
    charge(app, &[Budget::sliding(BudgetKind::EmailNotice, format!("email-notice:{address}"), limit, DAY)]).await
}

/// The per-account SMS cooldown: one SMS per account per 15 s, whatever the purpose or session
/// asking (exact, not windowed). `false` while an earlier one is younger.
/// Returns the time of the claim, which only its holder may give back.
pub async fn claim_sms_cooldown(app: &App, user_id: &str) -> Result<Option<i64>, DomainError> {
    let (key, now) = (format!("sms:{user_id}"), app.now());
    Ok(app.store.claim_cooldown(&key, now, crate::otp::RESEND_COOLDOWN_SECS).await?.then_some(now))
}

/// Gives the per-account SMS cooldown back (the SMS did not go out), if it is still the claim
/// made at `claimed_at` and not a later request's.
pub async fn release_sms_cooldown(app: &App, user_id: &str, claimed_at: i64) {
    if let Err(e) = app.store.release_cooldown(&format!("sms:{user_id}"), claimed_at).await {
        tracing::warn!(error = %e, "could not release the SMS cooldown");
    }
}

/// Per source IP, per minute: login, registration, push answers.
pub async fn per_ip(app: &App, ctx: &Ctx, operation: &str) -> Result<(), DomainError> {
    let limit = app.config.rate_limit.per_ip_per_minute;
    let key = format!("ip:{operation}:{}", ctx.source_ip);
    charge(app, &[Budget::fixed(BudgetKind::IpPerMinute, key, limit, 60)]).await.map(drop)
}

/// What sending one code spends, checked only once the resend cooldown has let it through: the
/// account's code sends per minute, and for SMS the destination (a mobile of an allowed
/// country) and the SMS budgets; for e-mail the address's daily budget.
pub fn code_budgets(app: &App, ctx: &Ctx, user_id: &str, sms_to: Option<&str>, email_to: Option<&str>) -> Vec<Budget> {
    let limits = &app.config.rate_limit;
    let per_minute = limits.per_account_per_minute;
    let mut budgets =
        vec![Budget::fixed(BudgetKind::CodesPerAccount, format!("user:send-code:{user_id}"), per_minute, 60)];
    if let Some(to) = sms_to {
        let number = crate::crypto::sha256_b64url(to.as_bytes());
        let per_phone = format!("sms-phone:{number}:{user_id}");
        budgets.extend(shared_budget(ctx, BudgetKind::SmsPerPhone, per_phone, limits.sms_per_phone_per_hour, HOUR));
        let per_user = format!("sms-user:{user_id}");
        budgets.extend(shared_budget(ctx, BudgetKind::SmsPerAccount, per_user, limits.sms_per_account_per_day, DAY));
        budgets.extend([
            Budget::sliding(
                BudgetKind::SmsPerIp,
                format!("sms-ip:{}", ctx.source_ip),
                limits.sms_per_ip_per_hour,
                HOUR,
            ),
            Budget::sliding(BudgetKind::SmsGlobal, "sms-global".to_owned(), limits.sms_global_per_day, DAY),
        ]);
    }
    if let Some(to) = email_to {
        let address = crate::crypto::sha256_b64url(to.as_bytes());
        let key = format!("email-addr:{address}");
        budgets.push(Budget::sliding(BudgetKind::EmailPerAddress, key, limits.email_per_address_per_day, DAY));
    }
    budgets
}

/// What an e-mail nobody signed in asked for spends (a reset nonce, a verification code):
/// budgets of the asking IP, per minute and with this address per day. None is the account's:
/// a stranger asking for mail to someone's address spends their own budgets, so they cannot
/// stop the owner's own codes (the owner asks from their own address, or signed in).
pub fn anonymous_email_budgets(app: &App, ctx: &Ctx, to: &str) -> Vec<Budget> {
    let limits = &app.config.rate_limit;
    let address = crate::crypto::sha256_b64url(to.as_bytes());
    vec![
        Budget::fixed(
            BudgetKind::IpPerMinute,
            format!("ip:send-mail:{}", ctx.source_ip),
            limits.per_account_per_minute,
            60,
        ),
        Budget::sliding(
            BudgetKind::EmailAnonymous,
            format!("email-anon:{address}:{}", ctx.source_ip),
            limits.email_per_address_per_day,
            DAY,
        ),
    ]
}

/// The SMS destination check: a mobile number of an allowed country (settings change after
/// numbers were stored, so it is checked again at every send).
pub fn sms_destination(app: &App, to_e164: &str) -> Result<(), DomainError> {
    if crate::phone::may_receive_sms(to_e164, &app.config.sms_countries) {
        Ok(())
    } else {
        Err(DomainError::Refused(crate::domain::error::Rule::MobileNumberNotSupported))
    }
}

/// Push challenges per account per 10 minutes, shared by its logins ([`shared_budget`]);
/// charged only for a challenge that was really created (and given back if its push cannot be
/// sent).
pub async fn push_budget(app: &App, ctx: &Ctx, user_id: &str) -> Result<Charged, DomainError> {
    let limit = app.config.rate_limit.push_per_account_per_10_minutes;
    charge(app, &shared_budget(ctx, BudgetKind::PushPerAccount, format!("push-user:{user_id}"), limit, 600)).await
}

/// Login pushes (`/login_via_biometrics`), which anyone naming an address can ask for: per
/// address (account or not) per 10 minutes, and per asking IP per hour. Apart from the step-up
/// budget, so a stranger spending these cannot stop the owner's step-ups.
pub fn push_login_budgets(app: &App, ctx: &Ctx, email: &str) -> Vec<Budget> {
    let limits = &app.config.rate_limit;
    let address = crate::crypto::sha256_b64url(email.as_bytes());
    vec![
        Budget::sliding(
            BudgetKind::PushLoginPerIp,
            format!("push-login-ip:{}", ctx.source_ip),
            limits.push_login_per_ip_per_hour,
            3_600,
        ),
        Budget::sliding(
            BudgetKind::PushLoginPerAddress,
            format!("push-login:{address}"),
            limits.push_per_account_per_10_minutes,
            600,
        ),
    ]
}

/// TOTP checks per account per lockout period, on top of the lockout: a successful password
/// login clears the lockout counter but not this, so a holder of the password cannot buy an
/// endless series of TOTP guesses by logging in between them. Shared by the account's logins
/// ([`shared_budget`]).
pub async fn totp_budget(app: &App, ctx: &Ctx, user_id: &str) -> Result<(), DomainError> {
    let window = app.config.lockout_secs;
    let budgets =
        shared_budget(ctx, BudgetKind::TotpPerAccount, format!("totp:{user_id}"), TOTP_CHECKS_PER_WINDOW, window);
    charge(app, &budgets).await.map(drop)
}

/// TOTP codes checked per account per lockout period (30 minutes by default).
pub const TOTP_CHECKS_PER_WINDOW: u32 = 10;

#[cfg(test)]
mod tests {
    use super::*;

    fn b(limit: u32, window: i64) -> Budget {
        Budget::sliding(BudgetKind::SmsPerPhone, "k".into(), limit, window)
    }

    #[test]
    fn a_sliding_budget_never_holds_more_than_its_limit_in_one_window_span() {
        // Five at the very end of one 600 s window, then the next window starts.
        let budget = b(5, 600);
        assert_eq!(over_limit(&budget, 0, 5, 599, 600), None, "five fit");
        assert!(over_limit(&budget, 0, 6, 599, 600).is_some(), "a sixth does not");
        assert!(over_limit(&budget, 5, 1, 601, 1200).is_some(), "nor one just after the boundary");
        assert!(over_limit(&budget, 5, 1, 1199, 1200).is_some(), "nor late in the next window");
        assert_eq!(over_limit(&budget, 5, 1, 601, 1200), Some(599), "until the previous one stops counting");
        assert_eq!(over_limit(&budget, 0, 1, 1201, 1800), None, "then there is room");
        assert_eq!(over_limit(&budget, 0, 6, 0, 600), Some(1200), "a window over the limit counts in the next too");
    }

    #[test]
    fn a_fixed_window_counts_only_its_own_hits() {
        let budget = Budget::fixed(BudgetKind::IpPerMinute, "k".into(), 5, 60);
        assert_eq!(over_limit(&budget, 0, 5, 59, 60), None);
        assert_eq!(over_limit(&budget, 0, 6, 0, 60), Some(60));
    }
}
