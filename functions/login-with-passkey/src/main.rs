//! Lambda function for `POST /login_with_passkey`; its handler is [`shared::api::surface1::login_with_passkey`].

use lambda_http::Error;
use shared::api;

#[tokio::main]
async fn main() -> Result<(), Error> {
    api::lambda::run("login-with-passkey").await
}
