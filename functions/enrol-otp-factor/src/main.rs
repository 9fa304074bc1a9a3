//! Lambda function for `POST /authentication_factors/otp/{channel}`; its handler is [`shared::api::surface1::enrol_otp_factor`].

use lambda_http::Error;
use shared::api;

#[tokio::main]
async fn main() -> Result<(), Error> {
    api::lambda::run("enrol-otp-factor").await
}
