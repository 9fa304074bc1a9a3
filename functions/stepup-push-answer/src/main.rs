//! Lambda function for `POST /stepup/challenges/push/{channel}/{id}/approve` and `POST /stepup/challenges/push/{channel}/{id}/reject`; its handler is [`shared::api::surface1::stepup_push_answer`].

use lambda_http::Error;
use shared::api;

#[tokio::main]
async fn main() -> Result<(), Error> {
    api::lambda::run("stepup-push-answer").await
}
