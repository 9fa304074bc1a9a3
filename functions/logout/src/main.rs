//! Lambda function for `POST /logout`; its handler is [`shared::api::surface1::logout`].

use lambda_http::Error;
use shared::api;

#[tokio::main]
async fn main() -> Result<(), Error> {
    api::lambda::run("logout").await
}
