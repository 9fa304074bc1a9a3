//! Lambda function for `POST /passwords/lost_password/start`; its handler is [`shared::api::surface1::lost_password_start`].

use lambda_http::Error;
use shared::api;

#[tokio::main]
async fn main() -> Result<(), Error> {
    api::lambda::run("lost-password-start").await
}
