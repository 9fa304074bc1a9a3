//! Lambda function for `GET /.well-known/jwks.json`; its handler is [`shared::api::surface2::jwks`].

use lambda_http::Error;
use shared::api;

#[tokio::main]
async fn main() -> Result<(), Error> {
    api::lambda::run("jwks").await
}
