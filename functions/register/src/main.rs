//! Lambda function for `POST /users`; its handler is [`shared::api::surface1::register`].

use lambda_http::Error;
use shared::api;

#[tokio::main]
async fn main() -> Result<(), Error> {
    api::lambda::run("register").await
}
