//! Passkeys: enrolled as a surface-1 factor (with the password alone while the account has no
//! second factor, otherwise from a stepped-up session whose step-up the enrolment spends),
//! removed the same way, proving a step-up, and logging in without a password on both
//! surfaces. Every ceremony's first half is stored for [`CEREMONY_SECS`] and taken, once, by
//! its second half; every assertion checked reserves a lockout attempt first, so wrong,
//! replayed and unknown credentials count like wrong passwords.

use webauthn_rs::prelude::{Passkey, Uuid};

use crate::app::principal::Principal;
use crate::app::sessions::Proof;
use crate::app::{App, Ctx, lockout};
use crate::domain::Epoch;
use crate::domain::error::{DomainError, Rule};
use crate::domain::events::{EventType, SecurityEvent};
use crate::model::{Ceremony, CeremonyKind, PasskeyFactor, Session, User};
use crate::passkeys::{Asserted, CEREMONY_SECS, RelyingParty, Started};

/// A factor's type and channel in `GET /authentication_factors` and in events.
pub const PASSKEY: &str = "PASSKEY";

fn relying_party(app: &App) -> Result<RelyingParty, DomainError> {
    // Checked at start-up (`Config::from_map`): failing here is a bug.
    RelyingParty::new(&app.config).map_err(DomainError::internal)
}

fn rejected(reason: impl std::fmt::Display) -> DomainError {
    tracing::info!(%reason, "passkey credential refused");
    DomainError::Refused(Rule::PasskeyRejected)
}

/// What a ceremony is bound to: a session (enrolment and step-up: one ceremony per session
/// and kind, of the session's account), or a login attempt (its random id; no account yet).
#[derive(Clone, Copy)]
enum Bound<'a> {
    Session(&'a Session),
    Attempt(&'a str),
}

impl Bound<'_> {
    fn id(self, kind: CeremonyKind) -> String {
        match self {
            Bound::Session(session) => Ceremony::of_session(kind, &session.session_id),
            Bound::Attempt(id) => id.to_owned(),
        }
    }

    fn user_id(self) -> Option<String> {
        match self {
            Bound::Session(session) => Some(session.user_id.clone()),
            Bound::Attempt(_) => None,
        }
    }
}

/// Stores the first half of a ceremony of `kind` bound to `bound` and answers its options.
async fn begin(
    app: &App,
    kind: CeremonyKind,
    bound: Bound<'_>,
    started: Started,
    now: Epoch,
) -> Result<serde_json::Value, DomainError> {
    let ceremony = Ceremony {
        id: bound.id(kind),
        kind,
        user_id: bound.user_id(),
        state: started.state,
        created_at: now,
        expires_at: now + CEREMONY_SECS,
    };
    app.store.put_ceremony(&ceremony).await?;
    Ok(started.options)
}

/// Takes the ceremony of `kind` bound to `bound` (whatever comes of this answer, it is spent)
/// if it is alive at `now` and of the account `bound` names, if it names one.
async fn take(app: &App, kind: CeremonyKind, bound: Bound<'_>, now: Epoch) -> Result<Option<Ceremony>, DomainError> {
    let user_id = bound.user_id();
    Ok(app
        .store
        .take_ceremony(&bound.id(kind), kind)
        .await?
        .filter(|c| c.kind == kind && c.is_alive(now) && c.user_id == user_id))
}

fn passkeys_of(user: &User) -> Vec<Passkey> {
    user.passkeys.iter().map(|p| p.passkey.clone()).collect()
}

/// The store's name of a user handle, claimed by its account.
fn handle_name(handle: &Uuid) -> String {
    format!("HANDLE#{handle}")
}

/// The store's name of a credential id, claimed by the account that enrolled it: one account
/// per credential.
pub fn credential_name(credential_id: &str) -> String {
    format!("CREDENTIAL#{credential_id}")
}

/// The account's WebAuthn user id, given to it (and recorded as naming it) at its first
/// enrolment: a random UUID, so the authenticator holds nothing personal.
async fn passkey_handle(app: &App, user: &User) -> Result<Uuid, DomainError> {
    let handle = match user.passkey_handle.as_deref().and_then(|h| Uuid::parse_str(h).ok()) {
        Some(h) => h,
        None => {
            let fresh = Uuid::from_bytes(crate::crypto::random_bytes::<16>()?);
            let saved = crate::app::accounts::update_user_with(app, &user.email, |u| {
                u.passkey_handle.get_or_insert_with(|| fresh.to_string());
                Ok(())
            })
            .await?;
            saved.passkey_handle.as_deref().and_then(|h| Uuid::parse_str(h).ok()).unwrap_or(fresh)
        }
    };
    app.store.claim_passkey_name(&handle_name(&handle), &user.email).await?;
    Ok(handle)
}

/// `POST /authentication_factors/passkey`: creation options for a new passkey, bound to the
/// caller's session.
pub async fn start_enrolment(app: &App, principal: &Principal, now: Epoch) -> Result<serde_json::Value, DomainError> {
    let user = crate::app::accounts::load_user(app, &principal.session.email).await?;
    crate::app::proof::require_step_up(&user, principal)?;
    let handle = passkey_handle(app, &user).await?;
    let started = relying_party(app)?.start_registration(handle, &user.email, &passkeys_of(&user))?;
    begin(app, CeremonyKind::Enrolment, Bound::Session(&principal.session), started, now).await
}

/// `POST /authentication_factors/passkey/verify`: the browser's new credential. Spends the
/// session's step-up when the account has a second factor, and is announced.
pub async fn finish_enrolment(
    app: &App,
    ctx: &Ctx,
    principal: &Principal,
    credential: &serde_json::Value,
    now: Epoch,
) -> Result<String, DomainError> {
    let session = &principal.session;
    let ceremony = take(app, CeremonyKind::Enrolment, Bound::Session(session), now)
        .await?
        .ok_or(DomainError::Refused(Rule::StateInvalid))?;
    let passkey = relying_party(app)?.finish_registration(credential, &ceremony.state).map_err(rejected)?;
    let credential_id = crate::passkeys::credential_id(passkey.cred_id());
    let user = crate::app::accounts::load_user(app, &session.email).await?;
    // A credential id is one account's (WebAuthn §7.1, step 22): claimed before it is added.
    let name = credential_name(&credential_id);
    // Only a claim made here goes on: a second enrolment of the same id racing this one (even
    // of this account) is refused, so the claim is this attempt's to give back if it fails.
    match app.store.claim_passkey_name(&name, &user.email).await {
        Ok(true) => {}
        Ok(false) => return Err(rejected("the credential id is claimed already")),
        Err(crate::store::StoreError::Conflict) => return Err(rejected("the credential id is another account's")),
        Err(e) => return Err(e.into()),
    }
    let enrolled = passkey_event(app, ctx, principal, EventType::FactorEnrolled, &credential_id)?;
    // Anchored or not by the change that adds it (`proof::change_factors`).
    let factor = PasskeyFactor {
        credential_id: credential_id.clone(),
        passkey,
        created_at: now,
        last_used_at: None,
        anchored: false,
    };
    let changed = crate::app::proof::noticed(
        app,
        &user,
        crate::app::proof::change_factors(app, principal, &[enrolled], |u| {
            if u.passkeys.iter().any(|p| p.credential_id == factor.credential_id) {
                return Err(DomainError::Refused(Rule::ChannelAlreadyRegistered));
            }
            u.passkeys.push(factor.clone());
            Ok(())
        }),
    )
    .await;
    let (before, _) = match changed {
        Ok(changed) => changed,
        Err(refused) => {
            // Not added: the id is free again (unless the change was written after all).
            let current = crate::app::accounts::load_user(app, &session.email).await?;
            if !current.passkeys.iter().any(|p| p.credential_id == credential_id) {
                app.store.release_passkey_name(&name, &user.email).await?;
            }
            return Err(refused);
        }
    };
    crate::app::proof::announce_change(app, &before, "a passkey was enrolled").await?;
    tracing::info!(user_id = %session.user_id, "passkey enrolled");
    Ok(credential_id)
}

/// `DELETE /authentication_factors/passkey/{credentialId}`: as any factor change.
pub async fn remove(app: &App, ctx: &Ctx, principal: &Principal, credential_id: &str) -> Result<(), DomainError> {
    let user = crate::app::accounts::load_user(app, &principal.session.email).await?;
    if !user.passkeys.iter().any(|p| p.credential_id == credential_id) {
        return Err(DomainError::NotFound);
    }
    crate::app::proof::require_step_up_to_remove(&user, principal)?;
    let removed = passkey_event(app, ctx, principal, EventType::FactorRemoved, credential_id)?;
    let (before, _) = crate::app::proof::noticed(
        app,
        &user,
        crate::app::proof::remove_factors(app, principal, &[removed], |u| {
            let at = u.passkeys.iter().position(|p| p.credential_id == credential_id).ok_or(DomainError::NotFound)?;
            u.passkeys.remove(at);
            Ok(())
        }),
    )
    .await?;
    app.store.release_passkey_name(&credential_name(credential_id), &user.email).await?;
    crate::app::proof::announce_change(app, &before, "a passkey was removed").await?;
    Ok(())
}

/// `POST /stepup/challenges/passkey`: request options listing the account's passkeys, bound to
/// the caller's session.
pub async fn start_step_up(app: &App, principal: &Principal, now: Epoch) -> Result<serde_json::Value, DomainError> {
    let user = crate::app::accounts::load_user(app, &principal.session.email).await?;
    if user.passkeys.is_empty() {
        return Err(DomainError::Refused(Rule::ChannelNotRegistered));
    }
    let started = relying_party(app)?.start_assertion(&passkeys_of(&user))?;
    begin(app, CeremonyKind::StepUp, Bound::Session(&principal.session), started, now).await
}

/// `POST /stepup/challenges/passkey/verify`: the assertion; the session becomes `STEPPED_UP`.
/// An attempt is reserved before anything is checked: a wrong, replayed or foreign assertion
/// is a failure toward the lockout, like a wrong code.
pub async fn finish_step_up(
    app: &App,
    ctx: &Ctx,
    principal: &Principal,
    credential: &serde_json::Value,
    now: Epoch,
) -> Result<(), DomainError> {
    let session = &principal.session;
    let (user, stored) = app.store.load_login(&session.email, now).await?;
    let user = user.ok_or(DomainError::Unauthenticated("The session has ended."))?;
    let who = lockout::Who::new(&user.user_id, ctx).session(&session.session_id).with("channel", PASSKEY);
    let attempt = lockout::attempt(app, lockout::Check::StepUpPasskey, who, &user.email, stored, now).await?;
    let checked = match take(app, CeremonyKind::StepUp, Bound::Session(session), now).await? {
        Some(ceremony) => relying_party(app)?.finish_assertion(credential, &ceremony.state).map_err(rejected),
        None => Err(rejected("no live step-up challenge for this session (answered already, or expired)")),
    };
    let advanced = match checked {
        Ok(asserted) => {
            record_use(app, &user.email, &asserted, now).await.map(|u| u.passkey_anchored(&asserted.credential_id))
        }
        Err(e) => Err(e),
    };
    let anchored = match advanced {
        Ok(anchored) => anchored,
        Err(refused) => return Err(attempt.failed(app, refused, now).await),
    };
    lockout::succeeded(app.store.as_ref(), &user.email).await?;
    let succeeded = step_up_event(app, principal, EventType::StepUpSucceeded)?.from(crate::app::events::origin(ctx));
    match app
        .store
        .set_session_status(&session.session_id, crate::model::SessionStatus::SteppedUp, anchored, now, &[succeeded])
        .await
    {
        Ok(()) => {}
        Err(crate::store::StoreError::Conflict) => return Err(DomainError::Unauthenticated("The session has ended.")),
        Err(e) => return Err(e.into()),
    }
    tracing::info!(user_id = %session.user_id, "session stepped up by a passkey");
    Ok(())
}

/// Moves the stored passkey to the assertion's counter and backup state, refusing a counter
/// that does not move forward (a cloned authenticator): checked again on the account as it is
/// when written, so two assertions racing cannot both pass on one counter.
async fn record_use(app: &App, email: &str, asserted: &Asserted, now: Epoch) -> Result<User, DomainError> {
    crate::app::accounts::update_user_with(app, email, |u| {
        let factor = u
            .passkeys
            .iter_mut()
            .find(|p| p.credential_id == asserted.credential_id)
            .ok_or_else(|| rejected("the credential is not the account's (any more)"))?;
        if !crate::passkeys::advance(&mut factor.passkey, asserted) {
            return Err(rejected("the sign counter did not move forward: a cloned authenticator?"));
        }
        factor.last_used_at = Some(now);
        Ok(())
    })
    .await
}

/// `POST /login_with_passkey/options` and `/auth/login/passkey/options`: a login attempt, its
/// id and request options that name no credential (the browser offers the user's passkeys).
pub async fn start_login(app: &App, now: Epoch) -> Result<(String, serde_json::Value), DomainError> {
    let started = relying_party(app)?.start_discoverable()?;
    let id = crate::crypto::random_token_id()?;
    let options = begin(app, CeremonyKind::Login, Bound::Attempt(&id), started, now).await?;
    Ok((id, options))
}

/// The second half of a passkey login: the account whose passkey signed the challenge of
/// attempt `challenge_id`, with the user verified. The attempt is spent by the first answer.
/// An unknown credential takes the path of a wrong one (an attempt reserved on a decoy
/// counter, a failure recorded on a decoy trail), and every refusal takes
/// [`crate::app::mailbox::UNIFORM_ANSWER`] at least, so neither the answer nor its time tells
/// the two apart. A blocked account is refused, a locked one too (423): a lock stops every
/// way in.
pub async fn login(
    app: &App,
    ctx: &Ctx,
    challenge_id: &str,
    credential: &serde_json::Value,
    now: Epoch,
) -> Result<(User, Proof), DomainError> {
    // The work behind a refusal depends on the credential (a registered one's key type and
    // backup flag are checked before, or instead of, its signature; an unknown one's decoy is
    // ES256), which the time would otherwise tell.
    crate::app::mailbox::uniform_refusals(login_now(app, ctx, challenge_id, credential, now)).await
}

async fn login_now(
    app: &App,
    ctx: &Ctx,
    challenge_id: &str,
    credential: &serde_json::Value,
    now: Epoch,
) -> Result<(User, Proof), DomainError> {
    // Without a live attempt nothing is checked, nor counted: only the attempt's own answer
    // (whoever took it first) reserves a lockout attempt, so racing replays of one assertion
    // cannot lock the account under the login they replay.
    let ceremony = take(app, CeremonyKind::Login, Bound::Attempt(challenge_id), now)
        .await?
        .ok_or_else(|| rejected("no live login attempt of that id"))
        .map_err(|_| DomainError::BadCredentials)?;
    let rp = relying_party(app)?;
    let (handle, credential_id) = rp.identify(credential).map_err(|_| DomainError::BadCredentials)?;
    let owner = app.store.passkey_owner(&handle_name(&handle)).await?;
    // The counter (and trail) a failure is charged to: the account's, or a decoy's.
    let key = owner.clone().unwrap_or_else(|| format!("passkey#{handle}"));
    let (user, stored) = app.store.load_login(&key, now).await?;
    let user = user.filter(|u| owner.is_some() && u.passkey_handle.as_deref() == Some(&handle.to_string()));
    let owner_id = match &user {
        Some(u) => u.user_id.clone(),
        None => crate::domain::events::decoy_user_id(&key),
    };
    let who = lockout::Who::new(&owner_id, ctx).with("method", PASSKEY);
    let attempt = lockout::attempt(app, lockout::Check::LoginPasskey, who, &key, stored, now).await?;
    let factor = user.as_ref().and_then(|u| u.passkeys.iter().find(|p| p.credential_id == credential_id));
    let checked = match factor {
        Some(f) => rp.finish_discoverable(credential, &ceremony.state, &f.passkey).map_err(rejected),
        // The same checks, signature included, against a decoy key: the time must not tell an
        // unknown credential from a wrong one.
        None => {
            if let Some(decoy) = crate::passkeys::decoy_for(&credential_id, credential) {
                let _ = rp.finish_discoverable(credential, &ceremony.state, &decoy);
            }
            Err(rejected("no account holds that credential"))
        }
    };
    let verified = match (checked, &user) {
        (Ok(asserted), Some(u)) => record_use(app, &u.email, &asserted, now).await,
        (Ok(_), None) => Err(DomainError::BadCredentials),
        (Err(e), _) => Err(e),
    };
    match verified {
        Ok(user) if user.blocked => Err(DomainError::Blocked),
        Ok(user) => {
            let anchored = user.passkey_anchored(&credential_id);
            Ok((user, Proof::Passkey { anchored }))
        }
        Err(_) => Err(attempt.failed(app, DomainError::BadCredentials, now).await),
    }
}

/// A passkey factor's event, in the session (and from where) that changed it.
fn passkey_event(
    app: &App,
    ctx: &Ctx,
    principal: &Principal,
    kind: EventType,
    credential_id: &str,
) -> Result<SecurityEvent, DomainError> {
    Ok(crate::app::events::by(app, ctx, kind, &principal.session.user_id)?
        .session(&principal.session.session_id)
        .with("type", PASSKEY)
        .with("channel", PASSKEY)
        .with("credentialId", credential_id))
}

fn step_up_event(app: &App, principal: &Principal, kind: EventType) -> Result<SecurityEvent, DomainError> {
    Ok(crate::app::events::event(app, kind, &principal.session.user_id)?
        .session(&principal.session.session_id)
        .with("channel", PASSKEY))
}
