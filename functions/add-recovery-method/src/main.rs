//! Lambda function for `POST /auth/otp/methods/recovery`; its handler is [`shared::api::surface2::add_recovery_method`].

use lambda_http::Error;
use shared::api;

#[tokio::main]
async fn main() -> Result<(), Error> {
    api::lambda::run("add-recovery-method").await
}
