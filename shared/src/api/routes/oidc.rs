//! The OpenID Connect provider's routes (beside the table of `routes.rs`). `local-api` and the
//! tests serve them; they are not yet among [`super::FUNCTIONS`], the Lambda functions of
//! `template.yaml`.

use super::{Route, Routed, Surface, op};
use axum::http::Method;
use axum::routing::on;

/// `functions/oidc-discovery`.
pub const OIDC_DISCOVERY: &[Route] =
    &[route!(Oidc GET "/.well-known/openid-configuration" => "oidc-discovery", op::discovery::handle)];

/// `functions/oidc-authorize`: the authorization endpoint and its hosted page's forms.
pub const OIDC_AUTHORIZE: &[Route] = &[
    route!(Oidc GET "/oauth2/authorize" => "oidc-authorize", op::authorize::show),
    route!(Oidc POST "/oauth2/authorize" => "oidc-authorize", op::authorize::submit),
];

/// `functions/oidc-token`.
pub const OIDC_TOKEN: &[Route] = &[route!(Oidc POST "/oauth2/token" => "oidc-token", op::token::token)];

/// `functions/oidc-userinfo`.
pub const OIDC_USERINFO: &[Route] = &[route!(Oidc GET "/oauth2/userinfo" => "oidc-userinfo", op::userinfo::handle)];

/// `functions/oidc-revoke`.
pub const OIDC_REVOKE: &[Route] = &[route!(Oidc POST "/oauth2/revoke" => "oidc-revoke", op::token::revoke)];

/// `functions/oidc-introspect`.
pub const OIDC_INTROSPECT: &[Route] =
    &[route!(Oidc POST "/oauth2/introspect" => "oidc-introspect", op::token::introspect)];

/// `functions/oidc-logout`.
pub const OIDC_LOGOUT: &[Route] = &[route!(Oidc GET "/oauth2/logout" => "oidc-logout", op::logout::handle)];

/// Every function of the provider.
pub const PROVIDER: &[&[Route]] =
    &[OIDC_DISCOVERY, OIDC_AUTHORIZE, OIDC_TOKEN, OIDC_USERINFO, OIDC_REVOKE, OIDC_INTROSPECT, OIDC_LOGOUT];

/// Every route of the provider.
pub fn provider_routes() -> Vec<&'static Route> {
    PROVIDER.iter().flat_map(|f| f.iter()).collect()
}
