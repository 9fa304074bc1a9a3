//! Lambda function for `GET /identities`; its handler is [`shared::api::surface1::list_identities`].

use lambda_http::Error;
use shared::api;

#[tokio::main]
async fn main() -> Result<(), Error> {
    api::lambda::run("list-identities").await
}
