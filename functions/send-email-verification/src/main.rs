//! Lambda function for `POST /users/verification/email/send`; its handler is [`shared::api::surface1::send_email_verification`].

use lambda_http::Error;
use shared::api;

#[tokio::main]
async fn main() -> Result<(), Error> {
    api::lambda::run("send-email-verification").await
}
