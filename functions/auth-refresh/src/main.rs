//! Lambda function for `POST /auth/login/refresh`; its handler is [`shared::api::surface2::auth_refresh`].

use lambda_http::Error;
use shared::api;

#[tokio::main]
async fn main() -> Result<(), Error> {
    api::lambda::run("auth-refresh").await
}
