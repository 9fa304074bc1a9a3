//! Pure domain rules: no HTTP, no AWS, no I/O and no clock of their own (`now` is a parameter).
//! Adapters persist the decisions made here; handlers translate them to each surface's wire
//! shape.

pub mod codes;
pub mod devices;
pub mod email;
pub mod error;
pub mod events;
pub mod lockout;
pub mod oidc;
pub mod password_policy;
pub mod refresh;

/// Seconds since the Unix epoch: every time in the domain.
pub type Epoch = i64;
