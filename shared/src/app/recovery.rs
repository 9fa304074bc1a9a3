//! Recovery codes ([`crate::model::recovery`]): a set of ten generated on proof of a second
//! factor (a `STEPPED_UP` session on surface 1, an `x-otp` on surface 2), which replaces any
//! earlier set; each code then steps a surface-1 session up, or proves a surface-2 change in
//! `x-otp`, once. A code is a second factor only: nothing takes one instead of the password.
//!
//! A use is judged like any secret: refused while the account is locked, one lockout attempt
//! reserved before the comparison, a wrong code counted. The code is consumed by a conditional
//! write of the account (its version checked) that also records `RECOVERY_CODE_USED`, so two
//! requests with one code cannot both succeed; the loser answers as for a used code (its
//! attempt given back: the code was right). Every generation and every use is announced, its
//! notice taken from the address's notice budget first (429 when it is spent, the code kept).

use crate::app::lockout::{self, Check, Who};
use crate::app::principal::Principal;
use crate::app::{App, Ctx};
use crate::domain::Epoch;
use crate::domain::error::{DomainError, Rule};
use crate::domain::events::EventType;
use crate::model::recovery::{self, RecoveryCodes, SET_SIZE};
use crate::model::{CodeCheck, SessionStatus, User};
use crate::store::StoreError;

/// The channel a recovery code steps up by, in events and metrics.
const CHANNEL: &str = "RECOVERY_CODE";

/// A fresh set for `user_id`: the codes as shown (once) and the set as stored (their hashes under
/// the current data key). Anchoring is decided by the write that stores it.
fn fresh_set(app: &App, user_id: &str, now: Epoch) -> Result<(Vec<String>, RecoveryCodes), DomainError> {
    let keys = app.keys();
    let data = &keys.data()?.current;
    let mut codes = Vec::with_capacity(SET_SIZE);
    let mut hashes = Vec::with_capacity(SET_SIZE);
    while codes.len() < SET_SIZE {
        let code = recovery::generate()?;
        let normalized = recovery::normalize(&code).ok_or_else(|| DomainError::internal("a recovery code's form"))?;
        let hashed = recovery::hash(&data.data, user_id, &normalized);
        // Two equal codes in one set (a chance of 2^-50 each) would be one code: draw again.
        if !hashes.contains(&hashed) {
            hashes.push(hashed);
            codes.push(code);
        }
    }
    Ok((codes, RecoveryCodes { kid: data.kid.clone(), hashes, generated_at: now, anchored: false, used: Vec::new() }))
}

/// `POST /authentication_factors/recovery_codes`: a new set for the caller's account, on a
/// `STEPPED_UP` session (always: an account with no second factor cannot step up, so whoever
/// holds only the password never gets codes), which the same write spends. The set is anchored
/// to the mailbox as the step-up was. Returns the codes, shown this once.
pub async fn generate(app: &App, ctx: &Ctx, principal: &Principal, now: Epoch) -> Result<Vec<String>, DomainError> {
    if principal.session.status != SessionStatus::SteppedUp {
        return Err(DomainError::StepUpRequired);
    }
    let user = crate::app::accounts::load_user(app, &principal.session.email).await?;
    let (codes, set) = fresh_set(app, &user.user_id, now)?;
    let events = [generated_event(app, ctx, &user)?.session(&principal.session.session_id)];
    let change = crate::app::proof::change_factors(app, principal, &events, |u| {
        // A step-up of an account whose factors all went meanwhile proves nothing any more.
        if !u.has_second_factor() {
            return Err(DomainError::StepUpRequired);
        }
        u.mfa.recovery = Some(set.clone().replacing(u.mfa.recovery.as_ref()));
        Ok(())
    });
    let (before, _) = crate::app::proof::noticed(app, &user, change).await?;
    crate::app::proof::announce_change(app, &before, "new recovery codes were generated (earlier ones no longer work)")
        .await?;
    tracing::info!(user_id = %before.user_id, "recovery codes generated");
    Ok(codes)
}

/// `POST /auth/otp/methods/recovery`: a new set, on an `x-otp` of a validated method (or a
/// recovery code); an account with no second factor has nothing to prove with (403
/// `OTP_REQUIRED`). The set is anchored as the proof was.
pub async fn generate_by_otp(
    app: &App,
    ctx: &Ctx,
    user: &User,
    x_otp: Option<&str>,
    now: Epoch,
) -> Result<Vec<String>, DomainError> {
    if !user.has_second_factor() {
        return Err(DomainError::OtpRequired);
    }
    let anchored = crate::app::proof::require_otp(app, ctx, x_otp, user).await?;
    let (codes, mut set) = fresh_set(app, &user.user_id, now)?;
    set.anchored = anchored;
    let events = [generated_event(app, ctx, user)?];
    let change = crate::app::accounts::update_user_reporting(app, &user.email, &events, |u| {
        u.mfa.recovery = Some(set.clone().replacing(u.mfa.recovery.as_ref()));
        Ok(())
    });
    crate::app::proof::noticed(app, user, change).await?;
    crate::app::proof::announce_change(app, user, "new recovery codes were generated (earlier ones no longer work)")
        .await?;
    tracing::info!(user_id = %user.user_id, "recovery codes generated");
    Ok(codes)
}

fn generated_event(app: &App, ctx: &Ctx, user: &User) -> Result<crate::domain::events::SecurityEvent, DomainError> {
    Ok(crate::app::events::by(app, ctx, EventType::RecoveryCodesGenerated, &user.user_id)?
        .with("count", SET_SIZE)
        .with("replaced", user.recovery_codes_left()))
}

/// `POST /stepup/challenges/recovery_code/verify`: a recovery code steps the caller's session
/// up (anchored as the set is). 409 `CHANNEL_NOT_REGISTERED` for an account that never had a
/// set; a wrong or used code, 409 `VERIFICATION_CODE_INVALID`, spending a lockout attempt.
pub async fn step_up(app: &App, ctx: &Ctx, principal: &Principal, typed: &str, now: Epoch) -> Result<(), DomainError> {
    let session = &principal.session;
    let wrong = || DomainError::CodeRejected(CodeCheck::Wrong { attempts: 0 });
    let who = Who::new(&session.user_id, ctx).session(&session.session_id).with("channel", CHANNEL);
    let use_event = |remaining: usize| -> Result<_, DomainError> {
        Ok(crate::app::events::by(app, ctx, EventType::RecoveryCodeUsed, &session.user_id)?
            .session(&session.session_id)
            .with("remaining", remaining)
            .with("for", "STEP_UP"))
    };
    let no_set = || DomainError::Refused(Rule::ChannelNotRegistered);
    let (_, anchored) =
        consume(app, &session.email, typed, Check::StepUpRecoveryCode, who, wrong, no_set, use_event).await?;
    let succeeded = crate::app::events::by(app, ctx, EventType::StepUpSucceeded, &session.user_id)?
        .session(&session.session_id)
        .with("channel", CHANNEL);
    match app.store.set_session_status(&session.session_id, SessionStatus::SteppedUp, anchored, now, &[succeeded]).await
    {
        Ok(()) => {}
        Err(StoreError::Conflict) => return Err(DomainError::Unauthenticated("The session has ended.")),
        Err(e) => return Err(e.into()),
    }
    tracing::info!(user_id = %session.user_id, "session stepped up by a recovery code");
    Ok(())
}

/// Surface 2: a recovery code in `x-otp` (normalised) proves a change once; answers whether
/// the proof is anchored to the mailbox (the set is). A wrong or used code is 403
/// `OTP_INVALID`, counted toward the lockout like any `x-otp`.
pub async fn prove(app: &App, ctx: &Ctx, user: &User, typed: &str) -> Result<bool, DomainError> {
    let who = Who::new(&user.user_id, ctx).with("methods", vec![CHANNEL]);
    let use_event = |remaining: usize| -> Result<_, DomainError> {
        Ok(crate::app::events::by(app, ctx, EventType::RecoveryCodeUsed, &user.user_id)?
            .with("remaining", remaining)
            .with("for", "OTP_PROOF"))
    };
    let wrong = || DomainError::OtpRejected;
    let (_, anchored) = consume(app, &user.email, typed, Check::OtpCode, who, wrong, wrong, use_event).await?;
    Ok(anchored)
}

/// Consumes the recovery code `typed` (normalised) of `email`'s account: refused while locked,
/// one attempt of `check` reserved before the comparison, the code removed from the set with
/// its `RECOVERY_CODE_USED` event (made by `use_event` from the count left) in one conditional
/// write, and a notice sent (from the account's own allowance: dropped when it is spent). `no_set` when the account never had a set (nothing compared);
/// `wrong` for a code not in the set: counted as a failure, unless it is a code of the set
/// already used (by another request meanwhile, or before: then given back, not a guess). Returns the account
/// as saved and whether the set was anchored.
#[allow(clippy::too_many_arguments)]
async fn consume(
    app: &App,
    email: &str,
    typed: &str,
    check: Check,
    who: Who,
    wrong: impl Fn() -> DomainError,
    no_set: impl Fn() -> DomainError,
    use_event: impl Fn(usize) -> Result<crate::domain::events::SecurityEvent, DomainError>,
) -> Result<(User, bool), DomainError> {
    let now = app.now();
    let (user, stored) = app.store.load_login(email, now).await?;
    lockout::refuse_if_locked(&stored, now)?;
    let mut user = user.ok_or(DomainError::Unauthenticated("The account no longer exists."))?;
    let Some(kid) = user.mfa.recovery.as_ref().map(|s| s.kid.clone()) else { return Err(no_set()) };
    let key = app.data_key(&kid).await?;
    let hashed = recovery::hash(&key, &user.user_id, typed);
    let attempt = lockout::attempt(app, check, who, email, stored, now).await?;
    let mut seen = false;
    for round in 0..5 {
        if round > 0 {
            user = match crate::app::accounts::load_user(app, email).await {
                Ok(user) => user,
                Err(e) => return Err(give_back(app, attempt, e, now).await),
            };
        }
        let found = user.mfa.recovery.as_ref().filter(|s| s.kid == kid).and_then(|s| s.position(&hashed));
        let (Some(index), Some(set)) = (found, user.mfa.recovery.as_ref()) else {
            let used = user.mfa.recovery.as_ref().is_some_and(|s| s.kid == kid && s.was_used(&hashed));
            if seen || used {
                // Right, but used already (a retry, or a twin that won): refused, not a guess.
                return Err(give_back(app, attempt, wrong(), now).await);
            }
            return Err(attempt.failed(app, wrong(), now).await);
        };
        seen = true;
        let anchored = set.anchored;
        let mut next = user.clone();
        let remaining = set.remaining() - 1;
        if let Some(s) = next.mfa.recovery.as_mut() {
            s.used.push(s.hashes.remove(index));
        }
        let event = match use_event(remaining) {
            Ok(event) => event,
            Err(e) => return Err(give_back(app, attempt, e, now).await),
        };
        match app.store.update_user(&next, &[event]).await {
            Ok(saved) => {
                attempt.succeeded(app).await?;
                // The notice comes from the account's own allowance, never the address's notice
                // budget (which the owner's reset needs); when it is spent the notice is dropped,
                // not the use.
                if crate::app::mail_limits::recovery_notice(app, &saved.user_id).await {
                    let text = format!("a recovery code was used ({remaining} left)");
                    crate::app::proof::notify(app, &saved, &text).await;
                }
                tracing::info!(user_id = %saved.user_id, remaining, "recovery code used");
                return Ok((saved, anchored));
            }
            Err(StoreError::Conflict) => continue,
            Err(e) => return Err(give_back(app, attempt, e.into(), now).await),
        }
    }
    Err(give_back(app, attempt, DomainError::kept_changing("the account kept changing"), now).await)
}

/// A use that neither failed nor succeeded: its attempt's place given back.
async fn give_back(app: &App, attempt: lockout::Attempt, answer: DomainError, now: Epoch) -> DomainError {
    attempt.release(app, now).await;
    answer
}
