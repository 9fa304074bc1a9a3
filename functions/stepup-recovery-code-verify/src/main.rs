//! Lambda function for `POST /stepup/challenges/recovery_code/verify`; its handler is [`shared::api::surface1::stepup_recovery_code_verify`].

use lambda_http::Error;
use shared::api;

#[tokio::main]
async fn main() -> Result<(), Error> {
    api::lambda::run("stepup-recovery-code-verify").await
}
