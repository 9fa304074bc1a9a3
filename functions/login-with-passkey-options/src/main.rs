//! Lambda function for `POST /login_with_passkey/options`; its handler is [`shared::api::surface1::login_with_passkey_options`].

use lambda_http::Error;
use shared::api;

#[tokio::main]
async fn main() -> Result<(), Error> {
    api::lambda::run("login-with-passkey-options").await
}
