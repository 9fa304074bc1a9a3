//! Lambda function for `POST /stepup/challenges/passkey/verify`; its handler is [`shared::api::surface1::stepup_passkey_verify`].

use lambda_http::Error;
use shared::api;

#[tokio::main]
async fn main() -> Result<(), Error> {
    api::lambda::run("stepup-passkey-verify").await
}
