//! Triggered by the table's stream: puts its security events on the bus; the logic is in
//! [`shared::publish`].

use lambda_runtime::Error;
use shared::api;

#[tokio::main]
async fn main() -> Result<(), Error> {
    api::lambda::run_publisher().await
}
