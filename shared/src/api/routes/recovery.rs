//! The routes of issue 25's recovery codes (beside the table of `routes.rs`, which they join).

use super::{Route, Routed, Surface, s1, s2};
use axum::http::Method;
use axum::routing::on;

/// `functions/generate-recovery-codes`.
pub const GENERATE_RECOVERY_CODES: &[Route] = &[
    route!(One POST "/authentication_factors/recovery_codes" => "generate-recovery-codes", s1::generate_recovery_codes::handle),
];

/// `functions/stepup-recovery-code-verify`.
pub const STEPUP_RECOVERY_CODE_VERIFY: &[Route] = &[
    route!(One POST "/stepup/challenges/recovery_code/verify" => "stepup-recovery-code-verify", s1::stepup_recovery_code_verify::handle),
];

/// `functions/add-recovery-method`.
pub const ADD_RECOVERY_METHOD: &[Route] =
    &[route!(Two POST "/auth/otp/methods/recovery" => "add-recovery-method", s2::add_recovery_method::handle)];
