//! Lambda function for `POST /stepup/challenges/otp/{channel}/verify`; its handler is [`shared::api::surface1::stepup_otp_verify`].

use lambda_http::Error;
use shared::api;

#[tokio::main]
async fn main() -> Result<(), Error> {
    api::lambda::run("stepup-otp-verify").await
}
