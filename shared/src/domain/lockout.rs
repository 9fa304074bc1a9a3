//! The failed-attempt lockout as one state machine, after `kanidm`'s soft lock: a policy
//! (threshold, duration), a state (failures, locked until, forgotten at) and the transitions
//! "reserve an attempt at `now`" and "an attempt succeeded". Stores only persist what these
//! functions decide, with a conditional write on the version they read.
//!
//! An attempt is *reserved* before the secret is checked (it is in flight until it fails or
//! succeeds), and no reservation is granted while the failures and the attempts in flight
//! together reach `threshold`: however many requests arrive at once, at most `threshold`
//! checks run per lock window. Only a failure counts toward the lock, and the one that reaches
//! the threshold locks the account: attempts in flight never do, so right passwords arriving
//! all at once never lock it (past the threshold they wait for room, they are not refused). A
//! reservation is refused while the account is locked, so nothing that happens during a lock
//! extends it; once a lock has ended the counter starts again from zero, and `threshold` more
//! failures lock it again, every time.

use serde::{Deserialize, Serialize};

use super::events::EventType;

pub use super::Epoch;

/// How many consecutive failures lock an account, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutPolicy {
    pub threshold: u32,
    pub duration_secs: i64,
}

/// How long an attempt stays in flight at most: one whose request died (a crash, a time-out)
/// stops taking room after this.
pub const IN_FLIGHT_SECS: Epoch = 10;

/// Consecutive failed attempts of an account, and its attempts in flight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Lockout {
    pub failures: u32,
    /// Attempts reserved and not yet failed or succeeded.
    #[serde(default)]
    pub in_flight: u32,
    /// After this, the attempts in flight are forgotten (their requests died).
    #[serde(default)]
    pub in_flight_until: Epoch,
    /// While `now < locked_until`, every attempt is refused. 0: never locked in this window.
    pub locked_until: Epoch,
    /// After this the counter is forgotten (the TTL, also checked in code).
    pub expires_at: Epoch,
}

/// A refused reservation: the account is locked until `until`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Locked {
    pub until: Epoch,
}

impl Locked {
    /// Seconds left at `now`, at least one.
    pub fn retry_after(&self, now: Epoch) -> i64 {
        (self.until - now).max(1)
    }
}

impl Lockout {
    pub fn is_locked(&self, now: Epoch) -> bool {
        now < self.locked_until
    }

    /// The counter as it stands at `now`: a forgotten one, or one whose lock has ended, is zero;
    /// attempts in flight past their time are forgotten.
    pub fn current(self, now: Epoch) -> Lockout {
        let lock_ended = self.locked_until != 0 && now >= self.locked_until;
        let mut current = if now >= self.expires_at || lock_ended { Lockout::default() } else { self };
        if now >= self.in_flight_until {
            current.in_flight = 0;
            current.in_flight_until = 0;
        }
        current
    }

    /// `Err` while locked at `now`.
    pub fn check(&self, now: Epoch) -> Result<(), Locked> {
        if self.is_locked(now) { Err(Locked { until: self.locked_until }) } else { Ok(()) }
    }
}

impl LockoutPolicy {
    /// Whether an attempt may be reserved at `now`: the failures and the attempts in flight
    /// together are below the threshold. (When not, and not locked, the caller waits for
    /// the attempts in flight to end.)
    pub fn has_room(&self, state: Lockout, now: Epoch) -> bool {
        let current = state.current(now);
        current.failures.saturating_add(current.in_flight) < self.threshold.max(1)
    }

    /// Reserves one attempt at `now`: the state to store before the secret is checked, or
    /// `Locked` (and nothing to store) while the account is locked. The caller reserves only
    /// while [`LockoutPolicy::has_room`]. The attempt is in flight until
    /// [`LockoutPolicy::failed`] counts it or [`LockoutPolicy::succeeded`] clears the counter.
    pub fn reserve(&self, state: Lockout, now: Epoch) -> Result<Lockout, Locked> {
        state.check(now)?;
        let current = state.current(now);
        Ok(Lockout {
            failures: current.failures,
            in_flight: current.in_flight.saturating_add(1),
            in_flight_until: now + IN_FLIGHT_SECS,
            locked_until: 0,
            expires_at: now + self.duration_secs,
        })
    }

    /// A reserved attempt failed at `now`: it is no longer in flight and counts as a failure;
    /// the failure that reaches the threshold starts the lock.
    pub fn failed(&self, state: Lockout, now: Epoch) -> Lockout {
        let current = state.current(now);
        if current.is_locked(now) {
            return current;
        }
        let failures = current.failures.saturating_add(1);
        let locked_until = if failures >= self.threshold.max(1) { now + self.duration_secs } else { 0 };
        Lockout {
            failures,
            in_flight: current.in_flight.saturating_sub(1),
            in_flight_until: current.in_flight_until,
            locked_until,
            expires_at: now + self.duration_secs,
        }
    }

    /// An attempt that neither failed nor succeeded ends at `now`: one fewer in flight.
    pub fn released(&self, state: Lockout, now: Epoch) -> Lockout {
        let mut current = state.current(now);
        current.in_flight = current.in_flight.saturating_sub(1);
        current
    }

    /// The state after a check that succeeded: nothing counted.
    pub fn succeeded(&self) -> Lockout {
        Lockout::default()
    }
}

/// Every check that spends a lockout attempt, named by the path that runs it. A failure of
/// any of them is recorded by `app::lockout::Attempt::failed` (the one place: the failure's
/// event, with `check` naming the path, and `ACCOUNT_LOCKED` when it reached the threshold);
/// the store-level `reserve` is `app::lockout`'s alone, so a new path cannot spend attempts
/// unrecorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// The password of a login (either surface).
    LoginPassword,
    /// A passkey assertion of a login (either surface).
    LoginPasskey,
    /// The old password of `/passwords/update`.
    PasswordUpdate,
    /// A step-up code, by SMS or e-mail (surface 1).
    StepUpCode,
    /// A passkey assertion of a step-up (surface 1).
    StepUpPasskey,
    /// A code enrolling or validating a factor or method: the surface-1 SMS factor, the
    /// surface-2 phone or e-mail.
    EnrolmentCode,
    /// An SMS or e-mail code in `x-otp`, proving a surface-2 change.
    OtpCode,
    /// A TOTP code: in `x-otp`, validating the secret, or removing it.
    Totp,
    /// A recovery code of a step-up (surface 1).
    StepUpRecoveryCode,
}

impl Check {
    pub const ALL: [Check; 9] = [
        Check::LoginPassword,
        Check::LoginPasskey,
        Check::PasswordUpdate,
        Check::StepUpCode,
        Check::StepUpPasskey,
        Check::EnrolmentCode,
        Check::OtpCode,
        Check::Totp,
        Check::StepUpRecoveryCode,
    ];

    /// Its name in the failure's `check` detail.
    pub fn name(self) -> &'static str {
        match self {
            Check::LoginPassword => "LOGIN_PASSWORD",
            Check::LoginPasskey => "LOGIN_PASSKEY",
            Check::PasswordUpdate => "PASSWORD_UPDATE",
            Check::StepUpCode => "STEP_UP_CODE",
            Check::StepUpPasskey => "STEP_UP_PASSKEY",
            Check::EnrolmentCode => "ENROLMENT_CODE",
            Check::OtpCode => "OTP_CODE",
            Check::Totp => "TOTP",
            Check::StepUpRecoveryCode => "STEP_UP_RECOVERY_CODE",
        }
    }

    /// The check of that name ([`Check::name`]), if any.
    pub fn from_name(name: &str) -> Option<Check> {
        Check::ALL.into_iter().find(|c| c.name() == name)
    }

    /// The event a failure of it is recorded as.
    pub fn failure(self) -> EventType {
        match self {
            Check::LoginPassword | Check::LoginPasskey => EventType::LoginFailed,
            Check::StepUpCode | Check::StepUpPasskey | Check::StepUpRecoveryCode => EventType::StepUpFailed,
            _ => EventType::VerificationFailed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: LockoutPolicy = LockoutPolicy { threshold: 5, duration_secs: 1800 };

    /// One whole failed attempt: reserved, then failed.
    fn fail(p: &LockoutPolicy, s: Lockout, now: Epoch) -> Result<Lockout, Locked> {
        p.reserve(s, now).map(|r| p.failed(r, now))
    }

    #[test]
    fn attempts_in_flight_take_room_but_never_lock() {
        let mut s = Lockout::default();
        for i in 0..5 {
            assert!(P.has_room(s, 100), "room for the {}th", i + 1);
            s = P.reserve(s, 100).unwrap();
            assert!(!s.is_locked(100), "in flight never locks");
        }
        assert!(!P.has_room(s, 100), "five in flight fill the threshold");
        assert_eq!(s.in_flight, 5);
        // Right answers clear; a wrong one counts.
        let s2 = P.failed(s, 101);
        assert_eq!((s2.failures, s2.in_flight), (1, 4));
        assert!(!P.has_room(s2, 101));
        assert!(P.has_room(s, 100 + IN_FLIGHT_SECS), "attempts whose requests died stop taking room");
        assert!(P.has_room(P.succeeded(), 100));
    }

    #[test]
    fn five_in_flight_failing_lock_once() {
        let mut s = Lockout::default();
        for _ in 0..5 {
            s = P.reserve(s, 0).unwrap();
        }
        for i in 1..=5 {
            s = P.failed(s, 1);
            assert_eq!(s.is_locked(1), i == 5);
        }
        assert_eq!(P.failed(s, 2).locked_until, s.locked_until, "a failure during the lock does not extend it");
    }

    #[test]
    fn the_threshold_th_reservation_locks_for_the_duration() {
        let mut s = Lockout::default();
        for i in 1..5 {
            s = fail(&P, s, 100).unwrap();
            assert_eq!(s.failures, i);
            assert!(!s.is_locked(100), "{i} failures do not lock");
        }
        s = fail(&P, s, 100).unwrap();
        assert!(s.is_locked(100));
        assert!(s.is_locked(100 + 1799));
        assert!(!s.is_locked(100 + 1800), "the lock ends exactly at its end");
        assert_eq!(fail(&P, s, 101), Err(Locked { until: 1900 }));
    }

    #[test]
    fn nothing_during_a_lock_changes_it() {
        let mut s = Lockout::default();
        for _ in 0..5 {
            s = fail(&P, s, 0).unwrap();
        }
        let locked = s;
        for t in [1, 900, 1799] {
            assert_eq!(fail(&P, s, t), Err(Locked { until: 1800 }), "refused at {t}");
        }
        assert_eq!(s, locked, "a refused reservation produces nothing to store");
    }

    #[test]
    fn after_a_lock_ends_threshold_more_failures_lock_again_every_time() {
        let mut s = Lockout::default();
        let mut now = 0;
        for round in 0..10 {
            for i in 1..=5 {
                s = fail(&P, s, now).unwrap_or_else(|e| panic!("round {round}, failure {i}: {e:?}"));
                assert_eq!(s.is_locked(now), i == 5, "round {round}, failure {i}");
                now += 1;
            }
            assert!(fail(&P, s, now).is_err());
            now = s.locked_until;
        }
    }

    #[test]
    fn a_stale_state_written_during_a_lock_does_not_disable_the_next_one() {
        // The state the attack review produced: a counter living past its lock.
        let s = Lockout { failures: 9, locked_until: 1000, expires_at: 5000, ..Lockout::default() };
        let mut s = s;
        for i in 1..=5 {
            s = fail(&P, s, 1000 + i).unwrap();
            assert_eq!(s.failures, u32::try_from(i).unwrap());
        }
        assert!(s.is_locked(1006));
    }

    #[test]
    fn the_counter_is_forgotten_when_it_expires_and_success_clears_it() {
        let s = fail(&P, Lockout::default(), 0).unwrap();
        assert_eq!(s.expires_at, 1800);
        assert_eq!(s.current(1799).failures, 1);
        assert_eq!(s.current(1800), Lockout::default());
        assert_eq!(fail(&P, s, 1800).unwrap().failures, 1, "a forgotten counter starts again");
        assert_eq!(P.succeeded(), Lockout::default());
    }

    #[test]
    fn every_reservation_extends_the_window_but_never_a_lock() {
        let s = fail(&P, Lockout::default(), 0).unwrap();
        let s = fail(&P, s, 1000).unwrap();
        assert_eq!(s.expires_at, 2800, "consecutive failures are counted from the last one");
        assert_eq!(s.current(2000).failures, 2);
    }

    #[test]
    fn boundaries_of_the_threshold() {
        let one = LockoutPolicy { threshold: 1, duration_secs: 60 };
        assert!(fail(&one, Lockout::default(), 0).unwrap().is_locked(0), "threshold 1 locks at once");
        let zero = LockoutPolicy { threshold: 0, duration_secs: 60 };
        assert!(fail(&zero, Lockout::default(), 0).unwrap().is_locked(0), "0 is treated as 1");
        let max = Lockout { failures: u32::MAX, locked_until: 0, expires_at: 100, ..Lockout::default() };
        assert_eq!(fail(&P, max, 0).unwrap().failures, u32::MAX, "saturates");
        assert_eq!(Locked { until: 10 }.retry_after(10), 1);
        assert_eq!(Locked { until: 10 }.retry_after(4), 6);
    }

    #[test]
    fn exhaustive_small_histories_never_grant_more_than_threshold_checks_per_lock_duration() {
        // Every sequence of 7 attempts, each 0, 1, 5 or 10 seconds after the one before: no
        // `threshold + 1` granted reservations ever fall within one lock duration.
        let p = LockoutPolicy { threshold: 3, duration_secs: 10 };
        let mut histories = vec![(Lockout::default(), 0 as Epoch, Vec::<Epoch>::new())];
        for _ in 0..7 {
            let mut next = Vec::with_capacity(histories.len() * 4);
            for (s, now, granted) in &histories {
                for dt in [0, 1, 5, 10] {
                    let at = now + dt;
                    match fail(&p, *s, at) {
                        Ok(n) => {
                            let mut g = granted.clone();
                            g.push(at);
                            next.push((n, at, g));
                        }
                        Err(l) => {
                            assert!(at < l.until, "refused only while locked");
                            next.push((*s, at, granted.clone()));
                        }
                    }
                }
            }
            histories = next;
        }
        assert_eq!(histories.len(), 4usize.pow(7));
        for (_, _, granted) in histories {
            for w in granted.windows(4) {
                assert!(w[3] - w[0] >= p.duration_secs, "four grants within one lock duration: {granted:?}");
            }
        }
    }
}
