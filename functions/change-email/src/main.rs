//! Lambda function for `POST /users/email/change`; its handler is [`shared::api::surface1::change_email`].

use lambda_http::Error;
use shared::api;

#[tokio::main]
async fn main() -> Result<(), Error> {
    api::lambda::run("change-email").await
}
