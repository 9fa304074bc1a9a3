//! Deleting an account (GDPR art. 17; app stores' in-app deletion), by its owner on either
//! surface or by the operator, in two phases so that a crash midway loses nothing and leaves
//! nothing half-written:
//!
//! 1. **The mark**: one conditional write of the account item (on its version) sets `deleted`,
//!    bumps the credentials version and commits `ACCOUNT_DELETED` (the user id and `by` only)
//!    to the account's trail, spending the caller's step-up when it needed one. From then on the
//!    stores answer as if the account did not exist (`get_user`, `load_login`): every login,
//!    session token, idToken and refresh token is refused, a login with the old address answers
//!    as for an unknown one, and a login or refresh racing the mark cannot record itself (its
//!    write is conditional on the credentials version). The table's stream carries the event's
//!    insert to `publish-events`, which publishes it (at least once) although the item itself is
//!    erased a moment later. The notice then goes to the address, and to the push devices.
//! 2. **The erasure** ([`erase`]): push endpoints unregistered from SNS, passkey credential ids
//!    and the user handle released, every item under the user id deleted (sessions, codes, push
//!    challenges, refresh families, the trail), the account's own rate counters and cooldowns,
//!    and last the account item with the address's failed-attempt counter: the address is free.
//!    Every step may run again; a deletion that stopped midway (its request answered 503 after
//!    the mark) is finished by the operator's `delete` action on the address, which finds the
//!    marked item and resumes.

use secrecy::SecretString;
use serde_json::{Value, json};

use crate::app::principal::Principal;
use crate::app::{App, Ctx, lockout};
use crate::domain::Epoch;
use crate::domain::error::{DomainError, Rule};
use crate::domain::events::EventType;
use crate::model::{SessionStatus, User};
use crate::store::StoredLockout;

const GONE: &str = "The account no longer exists.";

/// Who asked for a deletion: the `by` of its `ACCOUNT_DELETED`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum By {
    Owner,
    Operator,
}

impl By {
    fn name(self) -> &'static str {
        match self {
            By::Owner => "OWNER",
            By::Operator => "OPERATOR",
        }
    }
}

/// Surface 1 (`POST /users/delete`): the caller's password, and a `STEPPED_UP` session when the
/// account has a second factor (spent by the mark), then the deletion.
pub async fn delete_own(
    app: &App,
    ctx: &Ctx,
    principal: &Principal,
    password: SecretString,
    now: Epoch,
) -> Result<(), DomainError> {
    let session = &principal.session;
    let (user, stored) = app.store.load_login(&session.email, now).await?;
    let user = user.filter(|u| u.user_id == session.user_id).ok_or(DomainError::Unauthenticated(GONE))?;
    crate::app::accounts::refuse_blocked(&user)?;
    crate::app::proof::require_step_up(&user, principal)?;
    check_password(app, ctx, &user, stored, password, Some(&session.session_id), now).await?;
    let spend = user.has_second_factor().then_some(session.session_id.as_str());
    // Without a step-up to spend, a factor enrolled meanwhile must stop the deletion.
    let unproven = spend.is_none().then_some(step_up_required as fn() -> DomainError);
    let checked = Some(user.credentials_version);
    let marked = mark(app, &user.email, &user.user_id, checked, spend, unproven, By::Owner).await?;
    erase(app, &marked).await?;
    Ok(())
}

/// Surface 2 (`POST /auth/me/delete`): the password, and a current code of a validated method in
/// `x-otp` when the account has one, then the deletion.
pub async fn delete_with_otp(
    app: &App,
    ctx: &Ctx,
    user: &User,
    password: SecretString,
    x_otp: Option<&str>,
    now: Epoch,
) -> Result<(), DomainError> {
    crate::app::accounts::refuse_blocked(user)?;
    if user.has_second_factor() && x_otp.is_none() {
        return Err(DomainError::OtpRequired);
    }
    let stored = app.store.load_lockout(&user.email).await?;
    check_password(app, ctx, user, stored, password, None, now).await?;
    crate::app::proof::require_otp(app, ctx, x_otp, user).await?;
    let unproven = (!user.has_second_factor()).then_some(otp_required as fn() -> DomainError);
    let checked = Some(user.credentials_version);
    let marked = mark(app, &user.email, &user.user_id, checked, None, unproven, By::Owner).await?;
    erase(app, &marked).await?;
    Ok(())
}

/// The operator's `delete`: marks the account of `email` deleted and erases it; on an account
/// marked already (a deletion that stopped midway), finishes its erasure. `NotFound` when the
/// address has no account, deleted or not.
pub async fn operator_delete(app: &App, email: &str) -> Result<Value, DomainError> {
    let record = app.store.get_account_record(email).await?.ok_or(DomainError::NotFound)?;
    let resumed = record.deleted;
    let marked = match resumed {
        true => record,
        false => mark(app, email, &record.user_id, None, None, None, By::Operator).await?,
    };
    let erased = erase(app, &marked).await?;
    tracing::warn!(user_id = %marked.user_id, resumed, erased, "operator action: account deleted");
    Ok(json!({ "deleted": true, "userId": marked.user_id, "resumed": resumed, "erasedItems": erased }))
}

/// The password of a deletion, checked under the lockout rules (an attempt reserved first;
/// 423 while locked); a wrong one is 409 `PASSWORD_INCORRECT` and a `VERIFICATION_FAILED`.
async fn check_password(
    app: &App,
    ctx: &Ctx,
    user: &User,
    stored: StoredLockout,
    password: SecretString,
    session_id: Option<&str>,
    now: Epoch,
) -> Result<(), DomainError> {
    let mut who = lockout::Who::new(&user.user_id, ctx).with("operation", "DELETE_ACCOUNT");
    if let Some(id) = session_id {
        who = who.session(id);
    }
    let attempt = lockout::attempt(app, lockout::Check::PasswordUpdate, who, &user.email, stored, now).await?;
    if !crate::password::verify_blocking(password, Some(user.password_hash.clone())).await? {
        return Err(attempt.failed(app, Rule::PasswordIncorrect.into(), now).await);
    }
    attempt.succeeded(app).await
}

fn step_up_required() -> DomainError {
    DomainError::StepUpRequired
}

fn otp_required() -> DomainError {
    DomainError::OtpRequired
}

/// Phase 1: the mark, with `ACCOUNT_DELETED`, in one conditional write (spending the step-up of
/// session `spend` in it, when given), its notice charged first; then the notice. Retried on a
/// lost race with another write of the account; refused when the account went meanwhile, or
/// the step-up was spent by another change, or (with `unproven`, the answer to give) the
/// account the caller proved no second factor of has one by now, or (with `checked`, the
/// credentials version the caller's password was checked under) the password changed since:
/// a deletion racing the owner's reset must not land after it.
async fn mark(
    app: &App,
    email: &str,
    user_id: &str,
    checked: Option<u64>,
    spend: Option<&str>,
    unproven: Option<fn() -> DomainError>,
    by: By,
) -> Result<User, DomainError> {
    for _ in 0..5 {
        let before = app.store.get_user(email).await?.filter(|u| u.user_id == user_id);
        let before = before.ok_or(DomainError::Unauthenticated(GONE))?;
        if checked.is_some_and(|v| v != before.credentials_version) {
            return Err(Rule::PasswordIncorrect.into());
        }
        if before.has_second_factor()
            && let Some(answer) = unproven
        {
            return Err(answer());
        }
        let mut next = before.clone();
        next.deleted = true;
        next.credentials_version += 1;
        // Only the user id (and who asked): downstream systems erase what they hold of it.
        let event = crate::app::events::event(app, EventType::AccountDeleted, user_id)?.with("by", by.name());
        let events = [event];
        let write = async {
            let written = match spend {
                Some(session) => app.store.update_user_spending_step_up(&next, session, app.now(), &events).await,
                None => app.store.update_user(&next, &events).await,
            };
            written.map_err(DomainError::from)
        };
        match crate::app::proof::noticed(app, &before, write).await {
            Ok(saved) => {
                crate::app::proof::announce_change(app, &before, "the account was deleted").await?;
                return Ok(saved);
            }
            Err(DomainError::Unavailable { .. }) => {
                // A lost race (the account changed, or the step-up went): judge again.
                if let Some(session) = spend {
                    let now = app.now();
                    let still = app.store.get_session(session).await?.is_some_and(|s| {
                        s.status == SessionStatus::SteppedUp && !s.revoked && now < s.absolute_expires_at
                    });
                    if !still {
                        return Err(DomainError::StepUpRequired);
                    }
                }
            }
            Err(e) => return Err(e),
        }
    }
    Err(DomainError::kept_changing("the account kept changing"))
}

/// Phase 2: erases everything of the marked account `user`; every step idempotent. Returns how
/// many items of its partition were deleted.
pub async fn erase(app: &App, user: &User) -> Result<usize, DomainError> {
    if !user.deleted {
        return Err(DomainError::internal("an account is erased only once marked deleted"));
    }
    for endpoint in user.factors.iter().filter_map(|f| f.device.as_ref()).map(|d| &d.endpoint) {
        if let Err(e) = app.push.unregister(endpoint).await {
            // The endpoint names a device token of a deleted account, nothing more: logged.
            tracing::warn!(error = %e, "could not delete the SNS endpoint of a deleted account's device");
        }
    }
    for p in &user.passkeys {
        app.store.release_passkey_name(&crate::app::passkeys::credential_name(&p.credential_id), &user.email).await?;
    }
    if let Some(handle) = &user.passkey_handle {
        app.store.release_passkey_name(&format!("HANDLE#{handle}"), &user.email).await?;
    }
    // The counters first: their keys name the logins, which the items below list.
    let logins = app.store.list_login_ids(&user.user_id).await?;
    app.store.erase_counters(&counter_keys(user, &logins)).await?;
    let mut erased = app.store.erase_user_items(&user.user_id).await?;
    app.store.erase_account(user).await?;
    // Whatever a request that was already past its checks wrote under the id meanwhile. The
    // account is gone by now: a failure here is logged, not the caller's answer.
    match app.store.erase_user_items(&user.user_id).await {
        Ok(late) => erased += late,
        Err(e) => {
            tracing::warn!(user_id = %user.user_id, error = %e, "could not sweep a deleted account's items again")
        }
    }
    tracing::info!(user_id = %user.user_id, erased, "account erased");
    Ok(erased)
}

/// The rate counters and cooldowns whose keys name the account ([`crate::app::limits`]),
/// each login's share of the shared budgets included (`<key>@<login>`): erased with it. (Those
/// keyed by a hash of the address, or by a source IP, name nobody by their keys; they expire
/// with their windows.)
pub fn counter_keys(user: &User, logins: &[String]) -> Vec<String> {
    let id = &user.user_id;
    let mut shared = vec![format!("sms-user:{id}"), format!("push-user:{id}"), format!("totp:{id}")];
    if let Some(mobile) = &user.mobile {
        let number = crate::crypto::sha256_b64url(mobile.e164().as_bytes());
        shared.push(format!("sms-phone:{number}:{id}"));
    }
    let mut keys = vec![format!("user:send-code:{id}"), format!("sms:{id}"), crate::app::export::budget_key(id)];
    keys.extend(crate::app::mail_limits::account_keys(id));
    for key in &shared {
        for login in logins {
            let login = crate::crypto::sha256_b64url(login.as_bytes());
            keys.push(format!("{key}@{}", &login[..22]));
        }
    }
    keys.extend(shared);
    keys
}
