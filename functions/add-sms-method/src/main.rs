//! Lambda function for `POST /auth/otp/methods/sms`; its handler is [`shared::api::surface2::add_sms_method`].

use lambda_http::Error;
use shared::api;

#[tokio::main]
async fn main() -> Result<(), Error> {
    api::lambda::run("add-sms-method").await
}
