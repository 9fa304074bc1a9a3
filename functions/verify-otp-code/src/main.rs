//! Lambda function for `POST /auth/otp/code`; its handler is [`shared::api::surface2::verify_otp_code`].

use lambda_http::Error;
use shared::api;

#[tokio::main]
async fn main() -> Result<(), Error> {
    api::lambda::run("verify-otp-code").await
}
