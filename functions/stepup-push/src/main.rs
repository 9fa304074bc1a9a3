//! Lambda function for `POST /stepup/challenges/push/{channel}`; its handler is [`shared::api::surface1::stepup_push`].

use lambda_http::Error;
use shared::api;

#[tokio::main]
async fn main() -> Result<(), Error> {
    api::lambda::run("stepup-push").await
}
