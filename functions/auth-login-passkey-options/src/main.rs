//! Lambda function for `POST /auth/login/passkey/options`; its handler is [`shared::api::surface2::auth_login_passkey_options`].

use lambda_http::Error;
use shared::api;

#[tokio::main]
async fn main() -> Result<(), Error> {
    api::lambda::run("auth-login-passkey-options").await
}
