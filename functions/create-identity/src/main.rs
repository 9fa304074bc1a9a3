//! Lambda function for `POST /identities`; its handler is [`shared::api::surface1::create_identity`].

use lambda_http::Error;
use shared::api;

#[tokio::main]
async fn main() -> Result<(), Error> {
    api::lambda::run("create-identity").await
}
