//! Lambda function for `GET /stepup/challenges/push/{channel}/{id}`; its handler is [`shared::api::surface1::stepup_push_status`].

use lambda_http::Error;
use shared::api;

#[tokio::main]
async fn main() -> Result<(), Error> {
    api::lambda::run("stepup-push-status").await
}
