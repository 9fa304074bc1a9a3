//! Changing the account's e-mail address (issue 25, part 2), on both surfaces.
//!
//! 1. `request`: the password (a wrong one is `PASSWORD_INCORRECT` and spends a lockout attempt;
//!    423 while locked) and, while the account has a second factor, its proof (surface 1: a
//!    `STEPPED_UP` session, whose step-up the write spends; surface 2: an `x-otp`). The new
//!    address is stored as pending and a code goes to it. Whether the new address belongs to
//!    another account is never looked at here: the answer, its work and its floor
//!    ([`crate::app::mailbox::UNIFORM_ANSWER`]) are the same either way.
//! 2. `verify`: the code moves the account to the new address, verified, in one atomic write
//!    with its event ([`crate::store::MoveStore::move_account`]); only now, and only to the
//!    proven owner of the new mailbox, may the answer say the address is taken (409
//!    `EMAIL_ALREADY_REGISTERED`). The caller's login follows the account; every other login
//!    ends (each carried the old address). The old address gets a notice with a revert nonce
//!    ([`crate::model::REVERT_SECS`]) and stays reserved meanwhile.
//! 3. The revert ([`revert`]): see its module.

use secrecy::SecretString;

use crate::app::codes::{self as challenge, Delivery, Letter};
use crate::app::principal::Principal;
use crate::app::{App, Ctx, lockout};
use crate::domain::Epoch;
use crate::domain::email::Email;
use crate::domain::error::{DomainError, Rule};
use crate::domain::events::EventType;
use crate::model::{CodeCheck, CodePurpose, MovedAddress, PendingEmail, REVERT_SECS, SessionStatus, User};
use crate::store::{AccountMove, StoreError};

pub use crate::app::email_revert::revert;

/// Who asks for (or proves) the change, and with what.
#[derive(Clone, Copy)]
pub enum Changer<'a> {
    /// Surface 1: an ACCESS token's session.
    Session(&'a Principal),
    /// Surface 2: an idToken of refresh family `family_id`, with the `x-otp` header if sent.
    IdToken { user: &'a User, family_id: &'a str, x_otp: Option<&'a str> },
}

impl Changer<'_> {
    fn email(&self) -> &str {
        match self {
            Changer::Session(p) => &p.session.email,
            Changer::IdToken { user, .. } => &user.email,
        }
    }

    fn user_id(&self) -> &str {
        match self {
            Changer::Session(p) => &p.session.user_id,
            Changer::IdToken { user, .. } => &user.user_id,
        }
    }

    fn session_id(&self) -> Option<&str> {
        match self {
            Changer::Session(p) => Some(&p.session.session_id),
            Changer::IdToken { .. } => None,
        }
    }

    fn family_id(&self) -> Option<&str> {
        match self {
            Changer::Session(_) => None,
            Changer::IdToken { family_id, .. } => Some(family_id),
        }
    }

    fn login_id(&self) -> &str {
        self.session_id().or(self.family_id()).unwrap_or_default()
    }
}

const GONE: DomainError = DomainError::Unauthenticated("The account no longer exists.");

/// The caller's account, as stored now.
async fn load(app: &App, changer: Changer<'_>) -> Result<User, DomainError> {
    let user = crate::app::accounts::load_user(app, changer.email()).await?;
    if user.user_id != changer.user_id() {
        return Err(GONE);
    }
    Ok(user)
}

/// `POST /users/email/change`, `POST /auth/me/email/change`: see the module.
pub async fn request(
    app: &App,
    ctx: &Ctx,
    changer: Changer<'_>,
    new_email: &Email,
    password: SecretString,
    now: Epoch,
) -> Result<(), DomainError> {
    crate::app::mailbox::uniform(request_unfloored(app, ctx, changer, new_email, password, now)).await
}

async fn request_unfloored(
    app: &App,
    ctx: &Ctx,
    changer: Changer<'_>,
    new_email: &Email,
    password: SecretString,
    now: Epoch,
) -> Result<(), DomainError> {
    let (user, stored) = app.store.load_login(changer.email(), now).await?;
    let user = user.filter(|u| u.user_id == changer.user_id()).ok_or(GONE)?;
    crate::app::accounts::refuse_blocked(&user)?;
    if let Changer::Session(principal) = changer {
        crate::app::proof::require_step_up(&user, principal)?;
    }
    let mut who = lockout::Who::new(&user.user_id, ctx).with("change", "EMAIL");
    if let Some(sid) = changer.session_id() {
        who = who.session(sid);
    }
    let attempt = lockout::attempt(app, lockout::Check::PasswordUpdate, who, &user.email, stored, now).await?;
    let checked = crate::password::check_blocking(password, Some(user.password_hash.clone())).await?;
    if !checked.matches {
        return Err(attempt.failed(app, Rule::PasswordIncorrect.into(), now).await);
    }
    attempt.succeeded(app).await?;
    // An imported hash is replaced by its upgrade to the service's Argon2id in the request's own
    // write, while the password is still the one checked (same credentials version).
    let verified = (user.credentials_version, checked.upgraded);
    if let Changer::IdToken { x_otp, .. } = changer {
        crate::app::proof::require_otp(app, ctx, x_otp, &user).await?;
    }
    if new_email.as_str() == user.email {
        return Err(Rule::StateInvalid.into());
    }
    let mut event = crate::app::events::by(app, ctx, EventType::EmailChangeRequested, &user.user_id)?;
    if let Some(sid) = changer.session_id() {
        event = event.session(sid);
    }
    // The code goes out (its budgets charged) before anything is written: a request its
    // budgets refuse leaves no pending change and spends no step-up.
    let purpose = CodePurpose::email_change(new_email.as_str());
    let to = Delivery::Change(new_email.as_str());
    challenge::send(app, ctx, &user.user_id, &purpose, to, Letter::code(app)?).await?;
    // Surface 2 proved it by the x-otp above when the account had a second factor then.
    let proven_by_otp = matches!(changer, Changer::IdToken { .. }) && user.has_second_factor();
    let mut current = user;
    for _ in 0..5 {
        let mut next = current.clone();
        let proven = match changer {
            Changer::Session(_) => current.has_second_factor(),
            Changer::IdToken { .. } => proven_by_otp,
        };
        next.pending_email = Some(PendingEmail { address: new_email.as_str().to_owned(), requested_at: now, proven });
        if let (version, Some(upgraded)) = &verified
            && next.credentials_version == *version
        {
            next.password_hash.clone_from(upgraded);
        }
        // Surface 1 spends the step-up that proved the change (one step-up, one change).
        let written = match changer {
            Changer::Session(p) if current.has_second_factor() => {
                app.store.update_user_spending_step_up(&next, &p.session.session_id, now, &[event.clone()]).await
            }
            _ => app.store.update_user(&next, &[event.clone()]).await,
        };
        match written {
            Ok(_) => {
                tracing::info!(user_id = %current.user_id, "e-mail change asked for");
                return Ok(());
            }
            Err(StoreError::Conflict) => {
                if let Some(sid) = changer.session_id() {
                    let alive = app.store.get_session(sid).await?.is_some_and(|s| {
                        s.status == SessionStatus::SteppedUp && !s.revoked && now < s.absolute_expires_at
                    });
                    if current.has_second_factor() && !alive {
                        return Err(DomainError::StepUpRequired);
                    }
                }
                current = load(app, changer).await?;
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(DomainError::kept_changing("the account kept changing"))
}

/// The account's passkey names, which point at its address.
pub(crate) fn passkey_names(user: &User) -> Vec<String> {
    let handle = user.passkey_handle.iter().map(|h| format!("HANDLE#{h}"));
    handle.chain(user.passkeys.iter().map(|p| crate::app::passkeys::credential_name(&p.credential_id))).collect()
}

/// `POST /users/email/change/verify`, `POST /auth/me/email/change/verify`: see the module.
pub async fn verify(app: &App, ctx: &Ctx, changer: Changer<'_>, code: &str, now: Epoch) -> Result<(), DomainError> {
    let user = load(app, changer).await?;
    let pending = user.pending_email.clone().ok_or(DomainError::CodeRejected(CodeCheck::Missing))?;
    let purpose = CodePurpose::email_change(&pending.address);
    let who = lockout::Who::new(&user.user_id, ctx).with("change", "EMAIL");
    let check = challenge::check_code(app, lockout::Check::EnrolmentCode, who, &user.email, &purpose, code).await?;
    if check != CodeCheck::Accepted {
        return Err(DomainError::CodeRejected(check));
    }
    let mut current = user;
    for _ in 0..5 {
        if current.pending_email.as_ref() != Some(&pending) {
            // Another request changed the address, or asked for another, meanwhile.
            return Err(Rule::StateInvalid.into());
        }
        if current.has_second_factor() && !pending.proven {
            // Asked for before the account had a second factor: it must be asked again, with one.
            return Err(match changer {
                Changer::Session(_) => DomainError::StepUpRequired,
                Changer::IdToken { .. } => DomainError::OtpRequired,
            });
        }
        let nonce = crate::otp::generate_nonce(app.config.sandbox)?;
        let moved = MovedAddress {
            from: current.email.clone(),
            to: pending.address.clone(),
            user_id: current.user_id.clone(),
            nonce_hash: crate::crypto::sha256_b64url(nonce.as_bytes()),
            moved_at: now,
            expires_at: now + REVERT_SECS,
            anchored: current.anchored_ways_in(),
            left_with: Some(crate::model::LeftWith { mobile: current.mobile.clone() }),
        };
        let mut after = current.clone();
        after.email.clone_from(&pending.address);
        after.pending_email = None;
        // Remembered for the erasure: the reservation left at the old address names the account.
        after.moved_from.retain(|m| m.expires_at > now);
        after.moved_from.push(crate::model::MovedFrom { email: moved.from.clone(), expires_at: moved.expires_at });
        after.mfa.email_verified_at = Some(now);
        let mut event = crate::app::events::by(app, ctx, EventType::EmailChanged, &current.user_id)?;
        if let Some(sid) = changer.session_id() {
            event = event.session(sid);
        }
        let names = passkey_names(&current);
        let mv = AccountMove {
            before: &current,
            after: &after,
            passkey_names: &names,
            caller_session: changer.session_id(),
            caller_family: changer.family_id(),
        };
        match app.store.move_account(mv, &moved, &[event]).await {
            Ok(saved) => return switched(app, ctx, changer, &current, &saved, &nonce).await,
            Err(StoreError::Conflict) => {
                let taken = app.store.get_user(&pending.address).await?.is_some()
                    || app
                        .store
                        .get_moved(&pending.address)
                        .await?
                        .is_some_and(|m| m.user_id != current.user_id && now < m.expires_at);
                if taken {
                    return Err(Rule::EmailAlreadyRegistered.into());
                }
                current = load(app, changer).await?;
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(DomainError::kept_changing("the account kept changing"))
}

/// After the move: every other login ends (each still names the old address), step-ups end,
/// codes sent to the old address die, and the old address hears of it with its revert nonce.
async fn switched(
    app: &App,
    ctx: &Ctx,
    changer: Changer<'_>,
    before: &User,
    saved: &User,
    nonce: &str,
) -> Result<(), DomainError> {
    let origin = crate::app::events::origin(ctx);
    let keep = Some(changer.login_id());
    crate::app::sessions::revoke_sessions(app, &saved.user_id, keep, "EMAIL_CHANGED", Some(&origin)).await?;
    crate::app::sessions::end_step_ups(app, &saved.user_id).await?;
    for purpose in [
        CodePurpose::email_method(),
        CodePurpose::email_method_first(),
        CodePurpose::email_verification(&before.email),
        CodePurpose::password_reset(&before.email),
    ] {
        app.store.delete_code(&saved.user_id, &purpose.key()).await?;
    }
    let text = format!(
        "Security notice: the e-mail address of your account was changed from this address to {}.\n\nIf this was \
         not you, take the change back within 7 days: POST /users/email/change/revert with \
         {{\"email\": \"{}\", \"nonce\": \"{nonce}\"}} (or open the revert link of your app with this nonce). \
         Every login of the account then ends, and you choose a new password with \"forgot password\".",
        crate::profile::obfuscate_email(&saved.email),
        before.email,
    );
    match app.email.send(&before.email, "Your e-mail address was changed", &text).await {
        Ok(()) => crate::metrics::email_sent(),
        Err(e) => tracing::warn!(error = %e, "could not e-mail the old address its revert link"),
    }
    tracing::info!(user_id = %saved.user_id, "e-mail address changed");
    Ok(())
}
