//! Lambda function for `GET /security_events`; its handler is [`shared::api::surface1::list_security_events`].

use lambda_http::Error;
use shared::api;

#[tokio::main]
async fn main() -> Result<(), Error> {
    api::lambda::run("list-security-events").await
}
