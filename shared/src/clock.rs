//! The only reader of system time. Everything that expires (sessions, lockouts, one-time codes,
//! TOTP steps) asks a [`Clock`], so tests move time forward instead of sleeping.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch. Every expiry in the service is kept at this resolution.
pub use crate::domain::Epoch;

pub trait Clock: Send + Sync {
    fn now(&self) -> Epoch;

    /// Milliseconds since the Unix epoch, for what must be told apart within a second (the
    /// order of security events); `now() * 1000` for a clock that keeps only seconds.
    fn now_ms(&self) -> i64 {
        self.now().saturating_mul(1000)
    }
}

#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Epoch {
        SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as Epoch).unwrap_or(0)
    }

    /// Never less than an earlier answer in this process: a step back of the system clock
    /// (NTP) does not put a later event before an earlier one.
    fn now_ms(&self) -> i64 {
        static LATEST: AtomicI64 = AtomicI64::new(0);
        let ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or(0);
        LATEST.fetch_max(ms, Ordering::SeqCst).max(ms)
    }
}

/// A clock that only moves when told to.
#[cfg(any(test, feature = "test-util"))]
#[derive(Debug)]
pub struct ManualClock(AtomicI64);

#[cfg(any(test, feature = "test-util"))]
impl ManualClock {
    pub fn new(start: Epoch) -> Self {
        Self(AtomicI64::new(start))
    }
    pub fn advance(&self, seconds: i64) {
        self.0.fetch_add(seconds, Ordering::SeqCst);
    }
    pub fn set(&self, at: Epoch) {
        self.0.store(at, Ordering::SeqCst);
    }
}

#[cfg(any(test, feature = "test-util"))]
impl Clock for ManualClock {
    fn now(&self) -> Epoch {
        self.0.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_system_clock_never_goes_back_and_its_milliseconds_fall_in_its_second() {
        let mut last = 0;
        for _ in 0..1000 {
            let ms = SystemClock.now_ms();
            assert!(ms >= last);
            last = ms;
        }
        let (before, ms, after) = (SystemClock.now(), SystemClock.now_ms(), SystemClock.now());
        assert!((before..=after).contains(&ms.div_euclid(1000)));
        assert_eq!(ManualClock::new(7).now_ms(), 7000);
    }
}
