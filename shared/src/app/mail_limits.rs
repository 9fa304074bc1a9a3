//! The e-mail budgets that must not be spendable against someone else (review findings 3-5):
//! the codes of an e-mail change, which go to an address the requester names; the new-device
//! notices, which anyone who registers an address can trigger; and the notices of recovery-code
//! uses, which a holder of the codes triggers. None of them touches an address's own code
//! budget (`email-addr:`) or its notice budget (`email-notice:`), so nobody can spend those to
//! stop the owner's step-ups, codes or changes.

use crate::app::limits::{Budget, Charged, charge};
use crate::app::{App, Ctx};
use crate::metrics::BudgetKind;

const HOUR: i64 = 3_600;
const DAY: i64 = 86_400;

/// Change codes one account may ask for in a day, whatever the addresses.
pub const CHANGE_CODES_PER_ACCOUNT_PER_DAY: u32 = 10;

/// The keys of these budgets that name an account (erased with it).
pub fn account_keys(user_id: &str) -> [String; 2] {
    [format!("email-change-user:{user_id}"), format!("recovery-notice:{user_id}")]
}

/// What one e-mail change code spends: the account's code sends per minute and its change codes
/// per day; the asking IP's change codes per hour (`AUTH_EMAIL_CHANGE_PER_IP_PER_HOUR`); the
/// change codes the target address receives per day (its own budget for change codes only,
/// never the address's own code budget, so a stranger asking for changes to someone's address
/// cannot stop that owner's e-mailed codes); and every change code of the service per day
/// (`AUTH_EMAIL_CHANGE_GLOBAL_PER_DAY`). Refused all or none (429).
pub fn change_code_budgets(app: &App, ctx: &Ctx, user_id: &str, to: &str) -> Vec<Budget> {
    let limits = &app.config.rate_limit;
    let address = crate::crypto::sha256_b64url(to.as_bytes());
    vec![
        Budget::fixed(
            BudgetKind::CodesPerAccount,
            format!("user:send-code:{user_id}"),
            limits.per_account_per_minute,
            60,
        ),
        Budget::sliding(
            BudgetKind::EmailChangePerAccount,
            format!("email-change-user:{user_id}"),
            CHANGE_CODES_PER_ACCOUNT_PER_DAY,
            DAY,
        ),
        Budget::sliding(
            BudgetKind::EmailChangePerIp,
            format!("email-change-ip:{}", ctx.source_ip),
            limits.email_change_per_ip_per_hour,
            HOUR,
        ),
        Budget::sliding(
            BudgetKind::EmailChangePerAddress,
            format!("email-change-addr:{address}"),
            limits.email_per_address_per_day,
            DAY,
        ),
        Budget::sliding(
            BudgetKind::EmailChangeGlobal,
            "email-change-global".to_owned(),
            limits.email_change_global_per_day,
            DAY,
        ),
    ]
}

/// Whether a new-device notice may go to `to`: new-device notices per address per day
/// (`AUTH_EMAIL_PER_ADDRESS_PER_DAY`, their own allowance). When it is spent the notice is
/// dropped, never the login (the `NEW_DEVICE_LOGIN` event is written all the same).
pub async fn device_notice(app: &App, to: &str) -> bool {
    let address = crate::crypto::sha256_b64url(to.as_bytes());
    let limit = app.config.rate_limit.email_per_address_per_day;
    let key = format!("email-device-notice:{address}");
    allowed(app, &[Budget::sliding(BudgetKind::DeviceNotice, key, limit, DAY)]).await
}

/// Whether the notice of a recovery code's use may go out: such notices per account per day
/// (`AUTH_EMAIL_PER_ADDRESS_PER_DAY`), apart from the address's notice budget. When it is spent
/// the notice is dropped, never the use: refusing the use would let whoever holds a copy of
/// the codes lock the owner out of their last way in, while the uses past the allowance come
/// after ones that were announced and are each written as `RECOVERY_CODE_USED`.
pub async fn recovery_notice(app: &App, user_id: &str) -> bool {
    let limit = app.config.rate_limit.email_per_address_per_day;
    let key = format!("recovery-notice:{user_id}");
    allowed(app, &[Budget::sliding(BudgetKind::RecoveryNotice, key, limit, DAY)]).await
}

/// Charges `budgets`; `false` when one is spent or the store failed (logged: a notice is not
/// worth a failure of what it announces).
async fn allowed(app: &App, budgets: &[Budget]) -> bool {
    let charged: Result<Charged, _> = charge(app, budgets).await;
    match charged {
        Ok(_) => true,
        Err(e) => {
            tracing::warn!(outcome = %e, "a notice was not sent: its allowance is spent");
            false
        }
    }
}
