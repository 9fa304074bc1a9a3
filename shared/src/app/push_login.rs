//! Login by push (`/login_via_biometrics`, surface 1): anyone may ask for a login of any
//! address; the account's enrolled `BIOMETRIC` device gets a push with the asking device's
//! context and answers through the signed approve and reject endpoints of step-up; the asker
//! polls with the poll token it was given (256 random bits, stored as a hash) and, once, when
//! approved, gets a `STEPPED_UP` AUTH session. An address without an account or device gets a
//! challenge that only expires, in the same time and answer.

use crate::app::push_step_up::PUSH_TTL_SECS;
use crate::app::sessions::{Opened, Proof};
use crate::app::{App, Ctx, limits, lockout};
use crate::crypto;
use crate::domain::Epoch;
use crate::domain::email::Email;
use crate::domain::error::DomainError;
use crate::model::User;
use crate::model::{FactorChannel, FactorStatus, PushChallenge, PushLogin, PushStatus, RequestOrigin};

/// How long after its deadline an approved login may still be claimed by a poll.
pub const CLAIM_SECS: i64 = 60;

/// A login by push, asked for.
pub struct Started {
    pub challenge_id: String,
    pub poll_token: String,
}

/// `POST /login_via_biometrics`: a challenge, and a push to the account's device when there is
/// one. Refused (423) while the address is locked; budgeted per address and per IP. Every
/// answer takes [`crate::app::mailbox::UNIFORM_ANSWER`] at least: a push sent or not is not
/// told by the time.
pub async fn start(app: &App, ctx: &Ctx, email: &Email, now: Epoch) -> Result<Started, DomainError> {
    crate::app::mailbox::uniform(start_now(app, ctx, email, now)).await
}

async fn start_now(app: &App, ctx: &Ctx, email: &Email, now: Epoch) -> Result<Started, DomainError> {
    let (user, stored) = app.store.load_login(email.as_str(), now).await?;
    lockout::refuse_if_locked(&stored, now)?;
    let device = user
        .as_ref()
        .filter(|u| !u.blocked)
        .and_then(|u| u.factor(FactorChannel::Biometric))
        .filter(|f| f.status == FactorStatus::Active)
        .and_then(|f| f.device.as_ref())
        .map(|d| d.endpoint.clone());
    let poll_token = crypto::b64url(&crypto::random_bytes::<32>()?);
    let id = crypto::random_numeric_id()?;
    let challenge = PushChallenge {
        id: id.clone(),
        user_id: match (&user, &device) {
            (Some(u), Some(_)) => u.user_id.clone(),
            _ => crate::domain::events::decoy_user_id(email.as_str()),
        },
        email: email.as_str().to_owned(),
        // Its own slot: logins by push do not wait for one another (their budgets bound them).
        session_id: format!("login-{id}"),
        channel: FactorChannel::Biometric,
        status: PushStatus::Pending,
        created_at: now,
        expires_at: now + PUSH_TTL_SECS,
        requested_by: RequestOrigin { user_agent: ctx.user_agent.clone(), source_ip: ctx.source_ip.clone() },
        login: Some(PushLogin {
            poll_token_hash: crypto::sha256_b64url(poll_token.as_bytes()),
            decoy: device.is_none(),
            claimed: false,
            session_id: crate::app::sessions::new_session_id(match (&user, &device) {
                (Some(u), Some(_)) => &u.user_id,
                _ => "decoy",
            })?,
            credentials_version: user.as_ref().map_or(0, |u| u.credentials_version),
        }),
        anchored: user.as_ref().is_some_and(|u| u.factor_anchored(FactorChannel::Biometric)),
    };
    let charged = limits::charge(app, &limits::push_login_budgets(app, ctx, email.as_str())).await?;
    app.store.create_push_challenge(&challenge, now).await?;
    if let Some(endpoint) = device {
        crate::app::push_step_up::notify_device(app, &endpoint, &challenge, "LOGIN", &charged).await?;
    }
    Ok(Started { challenge_id: id, poll_token })
}

/// What a poll sees: the status, and the login the first poll after an approval claims.
pub struct Polled {
    pub status: PushStatus,
    pub login: Option<Opened>,
}

/// `GET /login_via_biometrics/{challengeId}` with its poll token: a wrong token finds nothing.
pub async fn poll(app: &App, id: &str, poll_token: &str, now: Epoch) -> Result<Polled, DomainError> {
    let challenge = app.store.get_push_challenge(id).await?.ok_or(DomainError::NotFound)?;
    let login = challenge.login.as_ref().ok_or(DomainError::NotFound)?;
    let presented = crypto::sha256_b64url(poll_token.as_bytes());
    if !crypto::constant_time_eq(presented.as_bytes(), login.poll_token_hash.as_bytes()) {
        return Err(DomainError::NotFound);
    }
    let status = challenge.status_at(now);
    if status != PushStatus::Approved || login.claimed || login.decoy {
        return Ok(Polled { status, login: None });
    }
    if now >= challenge.expires_at + CLAIM_SECS {
        return Ok(Polled { status: PushStatus::Expired, login: None });
    }
    // The account as it is now: a lock or a block since the approval stops the login.
    let (user, stored) = app.store.load_login(&challenge.email, now).await?;
    lockout::refuse_if_locked(&stored, now)?;
    let user = user.filter(|u| u.user_id == challenge.user_id).ok_or(DomainError::NotFound)?;
    // A password change or reset since the login was asked ends it, approved or not.
    if user.credentials_version != login.credentials_version {
        return Ok(Polled { status: PushStatus::Expired, login: None });
    }
    if user.blocked {
        return Err(DomainError::Blocked);
    }
    // The session the approval opened, if it still stands: ending the account's logins (a
    // password change or reset, "log out everywhere", an operator) since then ended it too.
    let session = app.store.get_session(&login.session_id).await?.filter(|s| s.is_alive(None, now));
    let Some(session) = session else {
        return Ok(Polled { status: PushStatus::Expired, login: None });
    };
    if !app.store.claim_push_login(id).await? {
        return Ok(Polled { status, login: None });
    }
    let opened = crate::app::sessions::handed_out(app, session, user)?;
    Ok(Polled { status, login: Some(opened) })
}

/// The device approved login `challenge` of `user`: the session opens now, in the name and
/// with the context of the device that asked, and waits for the poll to collect it.
pub async fn approved(app: &App, ctx: &Ctx, challenge: &PushChallenge, user: User) -> Result<(), DomainError> {
    let Some(login) = &challenge.login else { return Ok(()) };
    if user.blocked {
        return Ok(());
    }
    let asker = Ctx {
        request_ref: ctx.request_ref.clone(),
        source_ip: challenge.requested_by.source_ip.clone(),
        user_agent: challenge.requested_by.user_agent.clone(),
        device_id: None,
        login: None,
    };
    let proof = Proof::Push { anchored: challenge.anchored };
    crate::app::sessions::start(app, &asker, user, proof, Some(login.session_id.clone())).await?;
    Ok(())
}
