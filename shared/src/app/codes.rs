//! Sending and checking one-time codes, shared by enrolment, step-up and the surface-2
//! methods: a keyed hash at rest, a resend cooldown checked before any budget is spent, SMS and
//! e-mail budgets, single use, and a check that spends one try atomically and reserves one
//! attempt of the account's lockout before it compares anything.

use crate::app::App;
use crate::app::Ctx;
use crate::app::limits;
use crate::app::lockout;
use crate::domain::codes;
use crate::domain::error::DomainError;
use crate::metrics::{self, BudgetKind, Country};
use crate::model::{CodeChallenge, CodeCheck, CodePurpose};
use crate::otp;
use crate::store::StoreError;

/// Where a code goes.
pub enum Delivery<'a> {
    Sms {
        to_e164: &'a str,
    },
    Email {
        to: &'a str,
    },
    /// An e-mail change's code: [`crate::app::mail_limits::change_code_budgets`], not the address's.
    Change(&'a str),
    /// An e-mail nobody signed in asked for (the mailbox flows): charged to the asking IP and
    /// the address together, never to the account's own budgets, which a stranger must not be
    /// able to spend. With `mail: false` (an address without an account, or a blocked one) it
    /// is never sent, but the challenge and the budgets happen all the same, so such an
    /// address costs, answers and later verifies exactly as an account's would.
    Anonymous {
        to: &'a str,
        mail: bool,
    },
}

/// What goes out: the secret (a code, or a password-reset nonce), how long it lives, and the
/// words around it. Bodies hold secrets, so they are never logged.
pub struct Letter {
    secret: String,
    /// See [`CodeChallenge::locator`].
    locator: Option<String>,
    ttl_secs: i64,
    subject: &'static str,
    body: String,
}

impl Letter {
    /// A six-digit one-time code, valid [`otp::CODE_TTL_SECS`] (the sandbox's is fixed).
    pub fn code(app: &App) -> Result<Self, DomainError> {
        let code = otp::generate(app.config.sandbox)?;
        let body = format!("Your verification code is {code}. It expires in 5 minutes. Never share it.");
        Ok(Letter {
            secret: code,
            locator: None,
            ttl_secs: otp::CODE_TTL_SECS,
            subject: "Your verification code",
            body,
        })
    }

    /// A one-time code that proves an e-mail address, and the reference that names its
    /// challenge (see [`otp::generate_reference`]; none in the sandbox).
    pub fn email_verification(app: &App) -> Result<Self, DomainError> {
        let code = otp::generate(app.config.sandbox)?;
        let reference = otp::generate_reference(app.config.sandbox)?;
        let with = reference.as_deref().map(|r| format!(", with the reference {r}")).unwrap_or_default();
        let body = format!(
            "Your code to verify this e-mail address is {code}{with}. It expires in 5 minutes. Never share it."
        );
        Ok(Letter {
            secret: code,
            locator: reference,
            ttl_secs: otp::CODE_TTL_SECS,
            subject: "Verify your e-mail address",
            body,
        })
    }

    /// A password-reset nonce: 256 random bits (the sandbox's is `123456`), valid
    /// [`otp::NONCE_TTL_SECS`].
    pub fn password_reset(app: &App) -> Result<Self, DomainError> {
        let nonce = otp::generate_nonce(app.config.sandbox)?;
        let body = format!(
            "Someone asked to reset the password of your account. To choose a new one, use this code within \
             10 minutes: {nonce}\n\nIf this was not you, ignore this message: your password has not changed."
        );
        // The sandbox's nonce is a code: no locator.
        let locator = otp::nonce_locator(&nonce).filter(|_| nonce.len() > otp::NONCE_LOCATOR_CHARS).map(str::to_owned);
        Ok(Letter { secret: nonce, locator, ttl_secs: otp::NONCE_TTL_SECS, subject: "Reset your password", body })
    }
}

/// Starts a challenge and sends its code. `Err(ResendTooSoon)` within the
/// cooldown, before any budget is charged; a refused budget or a failed send removes the
/// challenge again, so none is left unanswerable and no cooldown blocks the next try.
pub async fn send_code(
    app: &App,
    ctx: &Ctx,
    user_id: &str,
    purpose: &CodePurpose,
    delivery: Delivery<'_>,
) -> Result<i64, DomainError> {
    send(app, ctx, user_id, purpose, delivery, Letter::code(app)?).await
}

/// [`send_code`] with any [`Letter`].
pub async fn send(
    app: &App,
    ctx: &Ctx,
    user_id: &str,
    purpose: &CodePurpose,
    delivery: Delivery<'_>,
    letter: Letter,
) -> Result<i64, DomainError> {
    let now = app.now();
    let Letter { secret: code, locator, ttl_secs, subject, body } = letter;
    let purpose_key = purpose.key();
    let keys = app.keys();
    let data = &keys.data()?.current;
    let challenge = CodeChallenge {
        user_id: user_id.to_owned(),
        purpose: purpose_key.clone(),
        code_hash: otp::hash(&data.data, user_id, &purpose_key, &code),
        created_at: now,
        expires_at: now + ttl_secs,
        attempts: 0,
        key_id: Some(data.kid.clone()),
        locator,
    };
    // The account's SMS cooldown too, whatever the purpose or session: still before any budget.
    let sms_to = match delivery {
        Delivery::Sms { to_e164 } => Some(to_e164),
        Delivery::Email { .. } | Delivery::Change(_) | Delivery::Anonymous { .. } => None,
    };
    // An SMS refused, by which limit, is a metric (SMS cost money: its refusals are a signal).
    let refused = |by: BudgetKind, e: DomainError| {
        if sms_to.is_some() {
            metrics::sms_refused(by);
        }
        e
    };
    let too_soon = || DomainError::ResendTooSoon { retry_after: crate::otp::RESEND_COOLDOWN_SECS };
    match app.store.put_code(&challenge, otp::RESEND_COOLDOWN_SECS, now).await {
        Ok(()) => {}
        Err(StoreError::Conflict) => return Err(refused(BudgetKind::Cooldown, too_soon())),
        Err(e) => return Err(e.into()),
    }
    let claimed = match sms_to {
        Some(_) => match limits::claim_sms_cooldown(app, user_id).await? {
            Some(at) => Some(at),
            None => {
                app.store.delete_code(user_id, &purpose_key).await?;
                return Err(refused(BudgetKind::Cooldown, too_soon()));
            }
        },
        None => None,
    };
    let charged = match delivery {
        Delivery::Sms { to_e164 } => match limits::sms_destination(app, to_e164) {
            Ok(()) => limits::charge_naming(app, &limits::code_budgets(app, ctx, user_id, Some(to_e164), None)).await,
            Err(e) => Err((e, Some(BudgetKind::SmsDestination))),
        },
        Delivery::Email { to } => {
            limits::charge(app, &limits::code_budgets(app, ctx, user_id, None, Some(to))).await.map_err(|e| (e, None))
        }
        Delivery::Anonymous { to, .. } => {
            limits::charge(app, &limits::anonymous_email_budgets(app, ctx, to)).await.map_err(|e| (e, None))
        }
        Delivery::Change(to) => {
            limits::charge(app, &crate::app::mail_limits::change_code_budgets(app, ctx, user_id, to))
                .await
                .map_err(|e| (e, None))
        }
    };
    let charged = match charged {
        Ok(charged) => charged,
        Err((e, by)) => {
            give_back(app, user_id, &purpose_key, claimed, None).await?;
            return Err(match by {
                Some(by) => refused(by, e),
                None => e,
            });
        }
    };
    let sent = match delivery {
        Delivery::Sms { to_e164 } => app.sms.send(to_e164, &body).await,
        Delivery::Email { to } | Delivery::Change(to) | Delivery::Anonymous { to, mail: true } => {
            app.email.send(to, subject, &body).await
        }
        Delivery::Anonymous { mail: false, .. } => Ok(()),
    };
    if let Err(e) = sent {
        // Nothing went out: no challenge, no cooldown and no budget spent.
        give_back(app, user_id, &purpose_key, claimed, Some(&charged)).await?;
        return Err(DomainError::Unavailable { retry_after: 5, source: e });
    }
    match delivery {
        Delivery::Sms { to_e164 } => {
            metrics::sms_sent(crate::phone::country_of(to_e164).map_or(Country::UNKNOWN, |c| Country::new(&c)));
        }
        Delivery::Email { .. } | Delivery::Change(_) | Delivery::Anonymous { mail: true, .. } => metrics::email_sent(),
        Delivery::Anonymous { mail: false, .. } => {}
    }
    tracing::info!(user_id, purpose = %purpose_kind(purpose), "one-time code sent");
    Ok(challenge.expires_at)
}

/// Undoes a send that did not happen: its challenge, the account's SMS cooldown, its budgets.
async fn give_back(
    app: &App,
    user_id: &str,
    purpose_key: &str,
    sms_claimed_at: Option<i64>,
    charged: Option<&limits::Charged>,
) -> Result<(), DomainError> {
    app.store.delete_code(user_id, purpose_key).await?;
    if let Some(at) = sms_claimed_at {
        limits::release_sms_cooldown(app, user_id, at).await;
    }
    if let Some(charged) = charged {
        limits::refund(app, charged).await;
    }
    Ok(())
}

fn purpose_kind(p: &CodePurpose) -> &'static str {
    match p {
        CodePurpose::FactorSms { .. } => "factor-sms",
        CodePurpose::StepUp { .. } => "step-up",
        CodePurpose::Method { .. } => "method",
        CodePurpose::PasswordReset { .. } => "password-reset",
        CodePurpose::EmailVerification { .. } => "email-verification",
        CodePurpose::EmailChange { .. } => "email-change",
    }
}

/// Checks a typed code: refused (423) while the account is locked; otherwise one try of the
/// challenge is spent in one atomic write and one attempt of the account's lockout reserved,
/// and only then are the hashes compared. A right code consumes the challenge (exactly once)
/// and clears the lockout counter; a wrong one stays counted, and the one that reaches the
/// threshold answers 423. A code is checked under the data-key generation it was hashed with,
/// found before any attempt is reserved: an instance that does not hold it yet reloads its
/// keys, and if it still cannot (Secrets Manager unreachable) answers 503 having counted no
/// attempt against the account (the challenge's try is spent).
pub async fn check_code(
    app: &App,
    check: lockout::Check,
    who: lockout::Who,
    email: &str,
    purpose: &CodePurpose,
    typed: &str,
) -> Result<CodeCheck, DomainError> {
    let user_id = who.user_id.clone();
    let user_id = user_id.as_str();
    let now = app.now();
    let stored = app.store.load_lockout(email).await?;
    lockout::refuse_if_locked(&stored, now)?;
    let purpose_key = purpose.key();
    let mut spent = match spend_try(app, user_id, &purpose_key, now).await? {
        Ok(spent) => spent,
        Err(unspendable) => return Ok(unspendable),
    };
    let attempt = lockout::attempt(app, check, who, email, stored, now).await?;
    match accept(app, &mut spent, typed).await? {
        CodeCheck::Accepted => {
            attempt.succeeded(app).await?;
            Ok(CodeCheck::Accepted)
        }
        // A concurrent check with the same right code consumed it first: nothing counted.
        CodeCheck::Missing => {
            attempt.release(app, now).await;
            Ok(CodeCheck::Missing)
        }
        // Compared and wrong: the failure is recorded (and the lock, if this one caused it).
        wrong => match attempt.failed(app, DomainError::CodeRejected(wrong), now).await {
            DomainError::CodeRejected(_) => Ok(wrong),
            other => Err(other),
        },
    }
}

/// A try of the challenge of `purpose` spent, if it is alive and has tries left: for a caller
/// that reserved its lockout attempt itself (one attempt for a whole `x-otp`).
pub(crate) async fn spend(
    app: &App,
    user_id: &str,
    purpose: &CodePurpose,
    now: i64,
) -> Result<Option<Spent>, DomainError> {
    Ok(spend_try(app, user_id, &purpose.key(), now).await?.ok())
}

/// Compares what was typed with a challenge whose try was spent and, when it is right,
/// consumes it: `Accepted` for the one check that consumed it, `Missing` when another did
/// first. A malformed code is a wrong try like any other.
pub(crate) async fn accept(app: &App, spent: &mut Spent, typed: &str) -> Result<CodeCheck, DomainError> {
    match compare(spent, otp::normalize(typed).as_deref()) {
        CodeCheck::Accepted => {
            let c = &spent.challenge;
            if !app.store.consume_code(&c.user_id, &c.purpose, &spent.typed_hash).await? {
                return Ok(CodeCheck::Missing);
            }
            Ok(CodeCheck::Accepted)
        }
        wrong => Ok(wrong),
    }
}

/// A challenge with one try spent on it, and the key its code was hashed under.
pub struct Spent {
    challenge: CodeChallenge,
    key: Vec<u8>,
    /// Filled by [`compare`]: the hash of what was typed, which consuming the challenge needs.
    typed_hash: String,
}

/// Spends one try of the challenge in one atomic write (if it is alive and has tries left) and
/// finds the data key it was hashed under; `Ok(Err(check))` says why no try could be spent.
async fn spend_try(
    app: &App,
    user_id: &str,
    purpose_key: &str,
    now: i64,
) -> Result<Result<Spent, CodeCheck>, DomainError> {
    let Some(challenge) = app.store.spend_code_try(user_id, purpose_key, now, otp::MAX_ATTEMPTS).await? else {
        let challenge = app.store.get_code(user_id, purpose_key).await?;
        return Ok(Err(codes::unspendable(challenge.as_ref(), now, otp::MAX_ATTEMPTS)));
    };
    let key = hashing_key(app, challenge.key_id.as_deref()).await?;
    Ok(Ok(Spent { challenge, key, typed_hash: String::new() }))
}

/// Compares what was typed (already normalised; `None`: malformed) with the challenge whose
/// try was spent. "!" is the hash of nothing, so a malformed entry is simply wrong.
fn compare(spent: &mut Spent, typed: Option<&str>) -> CodeCheck {
    let c = &spent.challenge;
    spent.typed_hash = match typed {
        Some(code) => otp::hash(&spent.key, &c.user_id, &c.purpose, code),
        None => "!".to_owned(),
    };
    #[cfg(feature = "test-util")]
    crate::testing::tally(&format!("code:{}:{}", c.user_id, c.purpose));
    codes::judge(c, &spent.typed_hash, otp::MAX_ATTEMPTS)
}

/// A check of a secret sent by e-mail to prove the mailbox (a password-reset nonce, an e-mail
/// verification code): one try spent and compared, and nothing else. No lockout attempt is
/// reserved and a lock does not refuse it: proving the mailbox is the way out of a lock, and
/// the answer must not differ for a locked account. Its own tries bound the guesses; a try
/// that does not name the challenge's locator (`named`: a nonce's first characters, a code's
/// mailed reference) spends none (see [`CodeChallenge::locator`]), so only whoever read the
/// message can use its tries up. An accepted challenge is not consumed yet: `then` runs first
/// (it may still refuse, leaving the challenge alive), and only the one check that consumes it
/// goes on to `finish`.
pub async fn check_mailbox_secret<T, Fut>(
    app: &App,
    user_id: &str,
    purpose: &CodePurpose,
    typed: &str,
    named: Option<&str>,
    then: impl FnOnce() -> Fut,
) -> Result<Result<T, CodeCheck>, DomainError>
where
    Fut: std::future::Future<Output = Result<T, DomainError>>,
{
    let purpose_key = purpose.key();
    let typed = typed.trim();
    // A try meant for another challenge (a stranger's guess, who never saw the message) spends
    // nothing.
    match app.store.get_code(user_id, &purpose_key).await? {
        Some(c) if !codes::meant_for(&c, named) => return Ok(Err(CodeCheck::Missing)),
        _ => {}
    }
    let mut spent = match spend_try(app, user_id, &purpose_key, app.now()).await? {
        Ok(spent) => spent,
        Err(unspendable) => return Ok(Err(unspendable)),
    };
    match compare(&mut spent, Some(typed)) {
        CodeCheck::Accepted => {}
        wrong => return Ok(Err(wrong)),
    }
    let value = then().await?;
    if !app.store.consume_code(user_id, &purpose_key, &spent.typed_hash).await? {
        return Ok(Err(CodeCheck::Missing));
    }
    Ok(Ok(value))
}

/// The data key a challenge's code was hashed under: the generation it names, or the current
/// one for a challenge that names none ([`App::data_keys_with`] reloads an instance that does
/// not hold it yet).
async fn hashing_key(app: &App, kid: Option<&str>) -> Result<Vec<u8>, DomainError> {
    let Some(kid) = kid else { return Ok(app.keys().data()?.current.data.clone()) };
    app.data_key(kid).await
}
