//! Which of an account's ways in are anchored to its mailbox. Proving the mailbox (the
//! lost-password reset) is the root of the account: a factor, passkey, TOTP secret or phone
//! counts as the owner's only if it was added with proof that leads back there: while the
//! e-mail was verified (then adding it needs a step-up), under a step-up by the e-mail itself
//! or by something anchored in turn. Whatever was added with the password alone, or under a
//! step-up of something that was, could have been planted by whoever held the password (or
//! registered the address before its owner), and a reset removes it.

use super::{Factor, FactorStatus, User};

/// What a reset removed from an account: none of it was anchored to the mailbox.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Stripped {
    /// Surface-1 factors (push devices keep their SNS endpoint here, to be unregistered).
    pub factors: Vec<Factor>,
    /// Credential ids of passkeys (their claims to be released).
    pub passkeys: Vec<String>,
    /// The TOTP secret.
    pub totp: bool,
    /// The phone's validation (the number stays, unvalidated).
    pub phone: bool,
    /// The recovery codes' set.
    pub recovery_codes: bool,
}

impl Stripped {
    pub fn is_empty(&self) -> bool {
        self.factors.is_empty() && self.passkeys.is_empty() && !self.totp && !self.phone && !self.recovery_codes
    }
}

impl User {
    /// Marks what this account gained over `before` (a factor that became active, a new
    /// passkey, a new TOTP secret, a newly validated or re-pointed phone) as anchored or not,
    /// as the proof the change was made with was. Called on every change of how the account
    /// proves itself, so nothing added escapes the rule.
    pub fn anchor_new_proofs(&mut self, before: &User, anchored: bool) {
        for f in &mut self.factors {
            let had =
                before.factor(f.channel).is_some_and(|b| b.status == FactorStatus::Active && b.device == f.device);
            if f.status == FactorStatus::Active && !had {
                f.anchored = anchored;
            }
        }
        for p in &mut self.passkeys {
            if !before.passkeys.iter().any(|b| b.credential_id == p.credential_id) {
                p.anchored = anchored;
            }
        }
        if let Some(t) = self.mfa.totp.as_mut()
            && before.mfa.totp.as_ref().map(|b| &b.sealed) != Some(&t.sealed)
        {
            t.anchored = anchored;
        }
        let validated_now = self.mfa.phone_verified_at.is_some() && before.mfa.phone_verified_at.is_none();
        if validated_now || self.mobile != before.mobile {
            self.mfa.phone_anchored = anchored;
        }
        if let Some(set) = self.mfa.recovery.as_mut()
            && set.is_new_since(before.mfa.recovery.as_ref())
        {
            set.anchored = anchored;
        }
    }

    /// Removes every way in that is not anchored to the mailbox; returns what it removed.
    pub fn strip_unanchored(&mut self) -> Stripped {
        let mut stripped = Stripped::default();
        let (kept, removed): (Vec<_>, Vec<_>) = std::mem::take(&mut self.factors).into_iter().partition(|f| f.anchored);
        self.factors = kept;
        stripped.factors = removed;
        let (kept, removed): (Vec<_>, Vec<_>) =
            std::mem::take(&mut self.passkeys).into_iter().partition(|p| p.anchored);
        self.passkeys = kept;
        stripped.passkeys = removed.into_iter().map(|p| p.credential_id).collect();
        if self.mfa.totp.as_ref().is_some_and(|t| !t.anchored) {
            self.mfa.totp = None;
            stripped.totp = true;
        }
        if self.mfa.phone_verified_at.is_some() && !self.mfa.phone_anchored {
            self.mfa.phone_verified_at = None;
            stripped.phone = true;
        }
        if self.mfa.recovery.as_ref().is_some_and(|r| !r.anchored) {
            self.mfa.recovery = None;
            stripped.recovery_codes = true;
        }
        stripped
    }

    /// Whether `self` proves itself differently from `before`: an active factor, a passkey, a
    /// TOTP secret, the phone (number or validation), the e-mail (address or verification), the
    /// password, or the recovery codes (a set generated, replaced or removed, a code used) added,
    /// removed or re-pointed. Such a change must be reported: the write that makes one without
    /// an event is refused (`accounts::update_user_reporting`).
    /// (A passkey's counter, a TOTP secret's last step and a pending enrolment are not ways in.)
    pub fn proves_differently_from(&self, before: &User) -> bool {
        let factors = |u: &User| {
            u.factors
                .iter()
                .filter(|f| f.status == FactorStatus::Active)
                .map(|f| (f.channel, f.device.as_ref().map(|d| d.endpoint.clone())))
                .collect::<Vec<_>>()
        };
        let passkeys = |u: &User| u.passkeys.iter().map(|p| p.credential_id.clone()).collect::<Vec<_>>();
        let totp = |u: &User| u.mfa.totp.as_ref().map(|t| (t.sealed.clone(), t.verified_at.is_some()));
        let recovery = |u: &User| u.mfa.recovery.as_ref().map(|r| r.hashes.clone());
        factors(self) != factors(before)
            || recovery(self) != recovery(before)
            || passkeys(self) != passkeys(before)
            || totp(self) != totp(before)
            || self.mobile != before.mobile
            || self.mfa.phone_verified_at.is_some() != before.mfa.phone_verified_at.is_some()
            || self.mfa.email_verified_at.is_some() != before.mfa.email_verified_at.is_some()
            || self.email != before.email
            || self.password_hash != before.password_hash
    }

    /// Whether a step-up (or passwordless login) by the account's `channel` factor is anchored.
    pub fn factor_anchored(&self, channel: super::FactorChannel) -> bool {
        self.factor(channel).is_some_and(|f| f.status == FactorStatus::Active && f.anchored)
    }

    /// Whether a step-up (or passwordless login) by passkey `credential_id` is anchored.
    pub fn passkey_anchored(&self, credential_id: &str) -> bool {
        self.passkeys.iter().any(|p| p.credential_id == credential_id && p.anchored)
    }
}
