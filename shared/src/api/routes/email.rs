//! The routes of the e-mail address changed (beside the table of `routes.rs`, which they join).

use super::{Route, Routed, Surface, s1, s2};
use axum::http::Method;
use axum::routing::on;

/// `functions/change-email`.
pub const CHANGE_EMAIL: &[Route] =
    &[route!(One POST "/users/email/change" => "change-email", s1::change_email::handle)];

/// `functions/change-email-verify`.
pub const CHANGE_EMAIL_VERIFY: &[Route] =
    &[route!(One POST "/users/email/change/verify" => "change-email-verify", s1::change_email_verify::handle)];

/// `functions/change-email-revert`.
pub const CHANGE_EMAIL_REVERT: &[Route] =
    &[route!(One POST "/users/email/change/revert" => "change-email-revert", s1::change_email_revert::handle)];

/// `functions/me-email-change`.
pub const ME_EMAIL_CHANGE: &[Route] =
    &[route!(Two POST "/auth/me/email/change" => "me-email-change", s2::me_email_change::handle)];

/// `functions/me-email-change-verify`.
pub const ME_EMAIL_CHANGE_VERIFY: &[Route] =
    &[route!(Two POST "/auth/me/email/change/verify" => "me-email-change-verify", s2::me_email_change_verify::handle)];
