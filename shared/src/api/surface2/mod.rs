//! Surface 2 (seed 002, Criptan): one module per endpoint, each an axum handler over the use
//! cases of [`crate::app`]; failures take this surface's shape in [`error`].

pub mod add_sms_method;
pub mod add_totp_method;
pub mod auth_login;
pub mod auth_login_passkey;
pub mod auth_login_passkey_options;
pub mod auth_logout;
pub mod auth_me;
pub mod auth_me_delete;
pub mod auth_refresh;
pub mod error;
pub mod jwks;
pub mod me_email_change;
pub mod me_email_change_verify;
pub mod remove_totp_method;
pub mod send_otp_code;
pub mod verify_otp_code;
// Issue 25: recovery codes.
pub mod add_recovery_method;
