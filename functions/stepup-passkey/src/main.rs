//! Lambda function for `POST /stepup/challenges/passkey`; its handler is [`shared::api::surface1::stepup_passkey`].

use lambda_http::Error;
use shared::api;

#[tokio::main]
async fn main() -> Result<(), Error> {
    api::lambda::run("stepup-passkey").await
}
