//! `POST /users/email/change/revert` (no token): the owner of the address an account moved away
//! from takes the change back with the nonce mailed there, within
//! [`crate::model::REVERT_SECS`]. The revert is the owner's way back from a takeover, so it
//! restores the old address (verified), ends every login of the account (sessions and refresh
//! families, before and after the write, as a password change does), replaces the password
//! with an unknown one, so that the password must be reset through the mailbox ("forgot
//! password"; `passwordExpired` is set too), removes every way in that was not anchored to the
//! mailbox when the account left the old address (the rule of the lost-password reset, applied
//! to what the account held then: whatever was added since, even under the new address's
//! anchoring, goes), and forgets the known devices. The nonce is stored only as a SHA-256 and
//! works once: the move back consumes the reservation conditionally on it, so of racing
//! reverts exactly one wins. A wrong, used or expired nonce, and an address that never moved,
//! all answer `NONCE_INVALID` no sooner than [`crate::app::mailbox::UNIFORM_ANSWER`].

use secrecy::SecretString;

use crate::app::mail_limits::CHANGE_CODES_PER_ACCOUNT_PER_DAY;
use crate::app::{App, Ctx};
use crate::crypto::constant_time_eq;
use crate::domain::Epoch;
use crate::domain::email::Email;
use crate::domain::error::{DomainError, Rule};
use crate::domain::events::EventType;
use crate::model::{MovedAddress, REVERT_SECS, User};
use crate::store::{AccountMove, StoreError};

/// How many moves a revert follows to find the account (it may have moved on since): every move
/// a reservation can still name. Each move takes a change code, at most
/// [`CHANGE_CODES_PER_ACCOUNT_PER_DAY`] in any day, and a reservation lives
/// [`crate::model::REVERT_SECS`]; a chain cut shorter would let whoever holds the password move
/// the account out of the owner's reach.
const MAX_HOPS: usize = (CHANGE_CODES_PER_ACCOUNT_PER_DAY as usize) * (REVERT_SECS as usize / 86_400 + 1);

/// The account that moved away from `moved.from`, wherever it went since.
async fn find(app: &App, moved: &MovedAddress) -> Result<Option<User>, DomainError> {
    let mut at = moved.to.clone();
    for _ in 0..MAX_HOPS {
        if let Some(user) = app.store.get_user(&at).await? {
            return Ok((user.user_id == moved.user_id).then_some(user));
        }
        match app.store.get_moved(&at).await? {
            Some(next) if next.user_id == moved.user_id && next.to != moved.from => at = next.to,
            _ => return Ok(None),
        }
    }
    Ok(None)
}

/// See the module.
pub async fn revert(app: &App, ctx: &Ctx, email: &Email, nonce: &str, now: Epoch) -> Result<(), DomainError> {
    crate::app::mailbox::uniform(async {
        let invalid = || DomainError::Refused(Rule::NonceInvalid);
        let typed = crate::crypto::sha256_b64url(nonce.trim().as_bytes());
        for _ in 0..5 {
            let moved = app.store.get_moved(email.as_str()).await?.ok_or_else(invalid)?;
            if now >= moved.expires_at || !constant_time_eq(typed.as_bytes(), moved.nonce_hash.as_bytes()) {
                return Err(invalid());
            }
            let user = find(app, &moved).await?.ok_or_else(invalid)?;
            match restore(app, ctx, &moved, user, now).await {
                Err(DomainError::Unavailable { source, .. }) if source.to_string() == RETRY => continue,
                other => return other,
            }
        }
        Err(DomainError::kept_changing("the account kept changing"))
    })
    .await
}

const RETRY: &str = "the account changed during the revert";

async fn restore(app: &App, ctx: &Ctx, moved: &MovedAddress, user: User, now: Epoch) -> Result<(), DomainError> {
    // Nobody knows the new password: it must be reset through the restored mailbox.
    let unknown = crate::crypto::random_token_id().map_err(DomainError::internal)?;
    let unknown_hash = crate::password::hash_blocking(SecretString::from(unknown)).await?;
    let event = crate::app::events::by(app, ctx, EventType::EmailChangeReverted, &user.user_id)?;
    let origin = event.origin.clone();
    let reason = event.kind.name();
    crate::app::sessions::revoke_sessions(app, &user.user_id, None, &reason, origin.as_ref()).await?;
    let mut after = user.clone();
    after.email.clone_from(&moved.from);
    after.pending_email = None;
    after.moved_from.retain(|m| m.email != moved.from && m.expires_at > now);
    after.mfa.email_verified_at = Some(now);
    if let Some(then) = &moved.left_with
        && after.mobile != then.mobile
    {
        // A number set since the account left goes, and so does the validation it carries
        // (the owner validates theirs again, by a code sent to it).
        after.mobile.clone_from(&then.mobile);
        after.mfa.phone_verified_at = None;
        after.mfa.phone_anchored = false;
    }
    after.unanchor_all_but(&moved.anchored);
    let stripped = after.strip_unanchored();
    after.password_history.insert(0, std::mem::replace(&mut after.password_hash, unknown_hash));
    after.password_history.truncate(crate::app::passwords::HISTORY - 1);
    after.password_changed_at = now;
    after.password_expired = true;
    after.credentials_version += 1;
    let mut events = vec![event.clone()];
    events.extend(crate::app::passwords::removal_events(app, &event, &stripped)?);
    let names = crate::app::email_change::passkey_names(&after);
    let mv =
        AccountMove { before: &user, after: &after, passkey_names: &names, caller_session: None, caller_family: None };
    let saved = match app.store.revert_account(mv, &moved.nonce_hash, &events).await {
        Ok(saved) => saved,
        // Used meanwhile (the reservation is gone), or the account changed: judged again.
        Err(StoreError::Conflict) => {
            return Err(DomainError::Unavailable { retry_after: 1, source: RETRY.into() });
        }
        Err(e) => return Err(e.into()),
    };
    // Logins that landed between the first sweep and the write.
    crate::app::sessions::revoke_sessions(app, &saved.user_id, None, &reason, origin.as_ref()).await?;
    crate::app::sessions::end_step_ups(app, &saved.user_id).await?;
    crate::app::factors::forget_removed(app, &user.email, &stripped).await;
    crate::app::devices::forget(app, &saved.user_id).await;
    let text = "Security notice: the change of your account's e-mail address was taken back, and every login of \
                the account ended. Choose a new password with \"forgot password\" before you sign in again.";
    match app.email.send(&saved.email, "Your e-mail address was restored", text).await {
        Ok(()) => crate::metrics::email_sent(),
        Err(e) => tracing::warn!(error = %e, "could not e-mail the revert's notice"),
    }
    tracing::info!(user_id = %saved.user_id, "e-mail change reverted");
    Ok(())
}
