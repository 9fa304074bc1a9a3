//! Lambda function for `POST /users/verification/email/verify`; its handler is [`shared::api::surface1::verify_email`].

use lambda_http::Error;
use shared::api;

#[tokio::main]
async fn main() -> Result<(), Error> {
    api::lambda::run("verify-email").await
}
