//! Lambda function for `POST /login_with_password`; its handler is [`shared::api::surface1::login_with_password`].

use lambda_http::Error;
use shared::api;

#[tokio::main]
async fn main() -> Result<(), Error> {
    api::lambda::run("login-with-password").await
}
