//! The only reader of system time. Everything that expires (sessions, lockouts, one-time codes,
//! TOTP steps) asks a [`Clock`], so tests move time forward instead of sleeping.

#[cfg(any(test, feature = "test-util"))]
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch. Every expiry in the service is kept at this resolution.
pub use crate::domain::Epoch;

pub trait Clock: Send + Sync {
    fn now(&self) -> Epoch;
}

#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Epoch {
        SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as Epoch).unwrap_or(0)
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
