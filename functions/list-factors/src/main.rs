//! Lambda function for `GET /authentication_factors`; its handler is [`shared::api::surface1::list_factors`].

use lambda_http::Error;
use shared::api;

#[tokio::main]
async fn main() -> Result<(), Error> {
    api::lambda::run("list-factors").await
}
