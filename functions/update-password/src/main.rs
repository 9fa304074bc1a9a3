//! Lambda function for `POST /passwords/update`; its handler is [`shared::api::surface1::update_password`].

use lambda_http::Error;
use shared::api;

#[tokio::main]
async fn main() -> Result<(), Error> {
    api::lambda::run("update-password").await
}
