//! Lambda function for `GET /auth/me`; its handler is [`shared::api::surface2::auth_me`].

use lambda_http::Error;
use shared::api;

#[tokio::main]
async fn main() -> Result<(), Error> {
    api::lambda::run("auth-me").await
}
