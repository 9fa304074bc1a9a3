//! What proving the mailbox opens, on surface 1: resetting a forgotten password
//! (`/passwords/lost_password/start` and `/resume`) and verifying the account's e-mail address
//! (`/users/verification/email/send` and `/verify`). Nobody is authenticated here, so none of
//! these may tell whether an address has an account: an unknown (or blocked) address gets a
//! decoy challenge that is stored and charged like a real one but never mailed, every refusal
//! of a send is kept to the log, and every answer takes at least [`UNIFORM_ANSWER`].

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

use crate::app::codes::{self as challenge, Delivery, Letter};
use crate::app::sessions::Opened;
use crate::app::{App, Ctx};
use crate::domain::Epoch;
use crate::domain::email::Email;
use crate::domain::error::{DomainError, Rule};
use crate::domain::events::EventType;
use crate::model::{CodeCheck, CodePurpose, User};
use crate::password;

/// The least time any answer of these flows takes: more than the work of the slowest path
/// (a store write or three and an SES call), so the time of an answer does not tell which
/// path ran. A path slower than this (SES far beyond its usual latency) would show.
pub const UNIFORM_ANSWER: Duration = Duration::from_millis(400);

/// Runs `work`, answering no sooner than [`UNIFORM_ANSWER`] after it began.
pub(crate) async fn uniform<T>(work: impl std::future::Future<Output = T>) -> T {
    let deadline = tokio::time::Instant::now() + UNIFORM_ANSWER;
    let result = work.await;
    tokio::time::sleep_until(deadline).await;
    result
}

/// Runs `work`, answering a refusal no sooner than [`UNIFORM_ANSWER`] after it began; a
/// success is not held back (where it shows itself anyway, as a login does).
pub(crate) async fn uniform_refusals<T, E>(work: impl std::future::Future<Output = Result<T, E>>) -> Result<T, E> {
    let deadline = tokio::time::Instant::now() + UNIFORM_ANSWER;
    let result = work.await;
    if result.is_err() {
        tokio::time::sleep_until(deadline).await;
    }
    result
}

/// The account a mailbox flow acts on, if the address has one that is not blocked.
async fn account(app: &App, email: &Email) -> Result<Option<User>, DomainError> {
    Ok(app.store.get_user(email.as_str()).await?.filter(|u| !u.blocked))
}

/// Where the challenges of an address without an account live: a user id no account has
/// (account ids are digits), derived from the address, so a later check finds its decoy.
fn decoy_user_id(email: &Email) -> String {
    crate::domain::events::decoy_user_id(email.as_str())
}

/// Sends `letter` for `purpose` to the address's account, or a decoy; a refusal (cooldown,
/// budget, provider) is logged and otherwise swallowed: the answer is the same.
async fn send_to_mailbox(app: &App, ctx: &Ctx, email: &Email, purpose: &CodePurpose, letter: Letter) {
    let sent = match account(app, email).await {
        Ok(Some(user)) => {
            let to = Delivery::Anonymous { to: &user.email, mail: true };
            challenge::send(app, ctx, &user.user_id, purpose, to, letter).await
        }
        Ok(None) => {
            let to = Delivery::Anonymous { to: email.as_str(), mail: false };
            challenge::send(app, ctx, &decoy_user_id(email), purpose, to, letter).await
        }
        Err(e) => Err(e),
    };
    if let Err(e) = sent {
        tracing::warn!(outcome = %e, "a mailbox code was not sent");
    }
}

/// `lost_password/start`: mails a reset nonce to the address's account, if it has one.
pub async fn start_password_reset(app: &App, ctx: &Ctx, email: &Email) -> Result<(), DomainError> {
    uniform(async {
        let letter = Letter::password_reset(app)?;
        send_to_mailbox(app, ctx, email, &CodePurpose::password_reset(email.as_str()), letter).await;
        Ok(())
    })
    .await
}

/// `lost_password/resume`: with the mailed nonce, replaces the password (policy and history
/// apply), ends every session, refresh family and pending login by push, clears the
/// failed-login lock (the nonce is checked even while the account is locked), removes every
/// way in that is not anchored to the mailbox (what whoever held only the password could have
/// planted: [`User::strip_unanchored`]) and keeps the rest, announces the change on the
/// channels that remain and opens a session. A wrong, used, expired or dead nonce, and an
/// unknown address, all answer `NONCE_INVALID`.
pub async fn resume_password_reset(
    app: &App,
    ctx: &Ctx,
    email: &Email,
    nonce: &str,
    new: SecretString,
    now: Epoch,
) -> Result<Opened, DomainError> {
    uniform(async {
        // The policy needs no account and says nothing of one: a weak password spends no try.
        password::check_policy(new.expose_secret(), &[email.as_str()]).map_err(|v| DomainError::Refused(v.rule()))?;
        let invalid = || DomainError::Refused(Rule::NonceInvalid);
        let user = app.store.get_user(email.as_str()).await?.ok_or_else(invalid)?;
        let purpose = CodePurpose::password_reset(email.as_str());
        let named = crate::otp::nonce_locator(nonce);
        let checked = challenge::check_mailbox_secret(app, &user.user_id, &purpose, nonce, named, || async {
            // The nonce proved the mailbox: only now may the answer depend on the account.
            crate::app::accounts::refuse_blocked(&user)?;
            password::check_policy(new.expose_secret(), &[&user.email, &user.name])
                .map_err(|v| DomainError::Refused(v.rule()))?;
            // Its notice is charged to no budget: the reset is the owner's way
            // to evict whoever else got in, who could spend any budget of the address; and its
            // notice goes to the very mailbox that just proved itself, which nobody else can
            // make it send to (the nonces are bounded per asking IP and address).
            crate::app::passwords::hash_unless_recent(&user, new.clone()).await
        })
        .await?;
        let new_hash = checked.map_err(|_| invalid())?;
        let event = crate::app::events::by(app, ctx, EventType::PasswordReset, &user.user_id)?;
        let replaced = crate::app::passwords::replace_password(app, user.clone(), new_hash, None, event, true, now);
        let (saved, stripped) = replaced.await.map_err(|e| match e {
            // The account went meanwhile (a deletion that won the race): as for any address
            // without one.
            DomainError::Unauthenticated(_) => invalid(),
            e => e,
        })?;
        crate::app::lockout::succeeded(app.store.as_ref(), &saved.email).await?;
        crate::app::factors::forget_removed(app, &saved.email, &stripped).await;
        // The devices it knew were known to whoever held the account before the reset.
        crate::app::devices::forget(app, &saved.user_id).await;
        // Only to what remains: a device the reset removed hears nothing of it.
        crate::app::proof::announce_change(app, &saved, "the password was reset").await?;
        tracing::info!(user_id = %saved.user_id, "password reset through the mailbox");
        crate::app::sessions::open_by(app, ctx, saved, crate::app::sessions::Proof::Reset, None).await
    })
    .await
}

/// `POST /passwords/validate`: the password policy alone (no account: no context words).
pub fn validate_password(candidate: &SecretString) -> Result<(), DomainError> {
    password::check_policy(candidate.expose_secret(), &[]).map_err(|v| DomainError::Refused(v.rule()))
}

/// `verification/email/send`: mails a code that proves the address to its account, if any.
pub async fn send_email_verification(app: &App, ctx: &Ctx, email: &Email) -> Result<(), DomainError> {
    uniform(async {
        let letter = Letter::email_verification(app)?;
        send_to_mailbox(app, ctx, email, &CodePurpose::email_verification(email.as_str()), letter).await;
        Ok(())
    })
    .await
}

/// `verification/email/verify`: the code, with the reference its e-mail gave (see
/// [`crate::otp::generate_reference`]), marks the account's e-mail verified, on both surfaces.
/// A try without that reference spends none of the code's tries. An unknown address answers as
/// a known one (its decoy challenge is checked).
pub async fn verify_email(
    app: &App,
    ctx: &Ctx,
    email: &Email,
    code: &str,
    reference: Option<&str>,
    now: Epoch,
) -> Result<(), DomainError> {
    uniform(async {
        let user = account(app, email).await?;
        let user_id = user.as_ref().map(|u| u.user_id.clone()).unwrap_or_else(|| decoy_user_id(email));
        let typed = crate::otp::normalize(code).unwrap_or_default();
        let named = reference.map(crate::otp::normalize_reference);
        let purpose = CodePurpose::email_verification(email.as_str());
        let checked =
            challenge::check_mailbox_secret(app, &user_id, &purpose, &typed, named.as_deref(), || async { Ok(()) })
                .await?;
        let rejected = |check| match check {
            CodeCheck::Missing | CodeCheck::Accepted => CodeCheck::Wrong { attempts: 0 },
            other => other,
        };
        checked.map_err(|check| DomainError::CodeRejected(rejected(check)))?;
        // Only a real account's challenge can be right: a decoy's code was never sent.
        let Some(user) = user else { return Err(DomainError::CodeRejected(CodeCheck::Wrong { attempts: 0 })) };
        let event = crate::app::events::by(app, ctx, EventType::EmailVerified, &user.user_id)?;
        // Reported once: a second verification changes nothing.
        let events = if user.mfa.email_verified_at.is_none() { vec![event] } else { Vec::new() };
        crate::app::accounts::update_user_reporting(app, &user.email, &events, |u| {
            u.mfa.email_verified_at.get_or_insert(now);
            Ok(())
        })
        .await?;
        tracing::info!(user_id = %user.user_id, "e-mail address verified");
        Ok(())
    })
    .await
}
