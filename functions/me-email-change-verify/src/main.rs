//! Lambda function for `POST /auth/me/email/change/verify`; its handler is [`shared::api::surface2::me_email_change_verify`].

use lambda_http::Error;
use shared::api;

#[tokio::main]
async fn main() -> Result<(), Error> {
    api::lambda::run("me-email-change-verify").await
}
