//! Lambda function for `GET /sessions`; its handler is [`shared::api::surface1::list_sessions`].

use lambda_http::Error;
use shared::api;

#[tokio::main]
async fn main() -> Result<(), Error> {
    api::lambda::run("list-sessions").await
}
