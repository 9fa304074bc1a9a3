//! Surface 1 (seeds 000/001, the Weavr Multi API): one module per endpoint, each an axum
//! handler over the use cases of [`crate::app`]; failures take this surface's shape in
//! [`error`].

pub mod access_token;
pub mod change_email;
pub mod change_email_revert;
pub mod change_email_verify;
pub mod create_identity;
pub mod delete_account;
pub mod end_session;
pub mod enrol_otp_factor;
pub mod enrol_passkey_factor;
pub mod enrol_push_factor;
pub mod error;
pub mod export_account;
pub mod list_factors;
pub mod list_identities;
pub mod list_security_events;
pub mod list_sessions;
pub mod login_via_biometrics;
pub mod login_via_biometrics_status;
pub mod login_with_passkey;
pub mod login_with_passkey_options;
pub mod login_with_password;
pub mod logout;
pub mod lost_password_resume;
pub mod lost_password_start;
pub mod register;
pub mod remove_otp_factor;
pub mod remove_passkey_factor;
pub mod remove_push_factor;
pub mod revoke_other_sessions;
pub mod send_email_verification;
pub mod stepup_otp;
pub mod stepup_otp_verify;
pub mod stepup_passkey;
pub mod stepup_passkey_verify;
pub mod stepup_push;
pub mod stepup_push_answer;
pub mod stepup_push_status;
pub mod update_password;
pub mod validate_password;
pub mod verify_email;
pub mod verify_otp_factor;
pub mod verify_passkey_factor;
// Issue 25: recovery codes.
pub mod generate_recovery_codes;
pub mod stepup_recovery_code_verify;
