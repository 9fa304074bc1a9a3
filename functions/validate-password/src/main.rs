//! Lambda function for `POST /passwords/validate`; its handler is [`shared::api::surface1::validate_password`].

use lambda_http::Error;
use shared::api;

#[tokio::main]
async fn main() -> Result<(), Error> {
    api::lambda::run("validate-password").await
}
