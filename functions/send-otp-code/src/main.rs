//! Lambda function for `GET /auth/otp/code`; its handler is [`shared::api::surface2::send_otp_code`].

use lambda_http::Error;
use shared::api;

#[tokio::main]
async fn main() -> Result<(), Error> {
    api::lambda::run("send-otp-code").await
}
