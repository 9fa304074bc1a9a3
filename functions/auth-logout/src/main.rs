//! Lambda function for `POST /auth/logout`; its handler is [`shared::api::surface2::auth_logout`].

use lambda_http::Error;
use shared::api;

#[tokio::main]
async fn main() -> Result<(), Error> {
    api::lambda::run("auth-logout").await
}
