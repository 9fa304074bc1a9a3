//! Lambda function for `POST /access_token`; its handler is [`shared::api::surface1::access_token`].

use lambda_http::Error;
use shared::api;

#[tokio::main]
async fn main() -> Result<(), Error> {
    api::lambda::run("access-token").await
}
