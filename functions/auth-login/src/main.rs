//! Lambda function for `POST /auth/login`; its handler is [`shared::api::surface2::auth_login`].

use lambda_http::Error;
use shared::api;

#[tokio::main]
async fn main() -> Result<(), Error> {
    api::lambda::run("auth-login").await
}
