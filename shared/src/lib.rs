//! The auth service's core: everything but the ten-line `main` of each Lambda function.
//!
//! Pure logic ([`password`], [`token`], [`clock`], [`crypto`]) knows nothing of AWS or HTTP.
//! Ports ([`store::Store`], [`sms::SmsSender`], [`keys::KeySource`]) have adapters named by
//! technology. [`handlers`] hold one module per endpoint, called alike by the Lambda binaries,
//! the local server and the tests.

pub mod accounts;
pub mod app;
pub mod attempts;
pub mod authorizer;
pub mod challenge;
pub mod clock;
pub mod config;
pub mod crypto;
pub mod domain;
pub mod email;
pub mod error;
pub mod handlers;
pub mod http;
pub mod id_token_check;
pub mod keys;
pub mod limits;
#[cfg(feature = "local-server")]
pub mod local_server;
pub mod model;
pub mod otp;
pub mod password;
pub mod phone;
pub mod principal;
pub mod profile;
pub mod proof;
pub mod push;
pub mod rotation;
pub mod router;
pub mod session;
pub mod sms;
pub mod store;
pub mod telemetry;
#[cfg(feature = "test-util")]
pub mod testing;
pub mod token;
pub mod totp;

pub use app::App;
pub use error::AuthError;
