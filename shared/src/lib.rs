//! The auth service's core: everything but the ten-line `main` of each Lambda function.
//!
//! Layers, each importing only from those below it:
//! - [`domain`]: pure rules (lockout, one-time codes, the error naming every outcome);
//! - [`app`]: use cases per context, over the store's ports and the senders;
//! - [`store`] (ports, and adapters `memory` and `dynamo`), [`sms`], [`email`], [`push`],
//!   [`keys`], [`publish`] (security events to EventBridge): ports with adapters named by
//!   technology;
//! - [`wiring`]: the composition root, choosing each port's adapter from the configuration;
//! - [`api`]: the HTTP edge, axum handlers per surface, served alike by the Lambda binaries,
//!   the local server and the tests.
//!
//! Beside them, [`metrics`]: the embedded-metric-format lines every layer may record into.

pub mod api;
pub mod app;
pub mod aws;
pub mod clock;
pub mod config;
pub mod crypto;
pub mod domain;
pub mod email;
pub mod iam;
pub mod keys;
pub mod metrics;
pub mod model;
pub mod oidc_jwt;
pub mod otp;
pub mod passkeys;
pub mod password;
pub mod phone;
pub mod profile;
pub mod publish;
pub mod push;
pub mod rotation;
pub mod sms;
pub mod store;
pub mod telemetry;
#[cfg(feature = "test-util")]
pub mod testing;
pub mod token;
pub mod totp;
pub mod wiring;

pub use app::App;
