//! The routes of the account exported and deleted (beside the table of `routes.rs`, which
//! they join).

use super::{Route, Routed, Surface, s1, s2};
use axum::http::Method;
use axum::routing::on;

/// `functions/export-account`.
pub const EXPORT_ACCOUNT: &[Route] =
    &[route!(One GET "/users/me/export" => "export-account", s1::export_account::handle)];

/// `functions/delete-account`.
pub const DELETE_ACCOUNT: &[Route] =
    &[route!(One POST "/users/delete" => "delete-account", s1::delete_account::handle)];

/// `functions/auth-me-delete`.
pub const AUTH_ME_DELETE: &[Route] =
    &[route!(Two POST "/auth/me/delete" => "auth-me-delete", s2::auth_me_delete::handle)];
