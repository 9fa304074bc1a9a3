//! Lambda function for `OPTIONS` on every path (browsers' CORS preflights); its service is [`shared::api::lambda::run_preflight`].

use lambda_http::Error;
use shared::api;

#[tokio::main]
async fn main() -> Result<(), Error> {
    api::lambda::run_preflight().await
}
