//! Lambda function for `POST /auth/me/delete`; its handler is [`shared::api::surface2::auth_me_delete`].

use lambda_http::Error;
use shared::api;

#[tokio::main]
async fn main() -> Result<(), Error> {
    api::lambda::run("auth-me-delete").await
}
