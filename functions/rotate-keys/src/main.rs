//! Secrets Manager rotation function of the key secret; the logic is in [`shared::rotation`].

use lambda_runtime::Error;
use shared::api;

#[tokio::main]
async fn main() -> Result<(), Error> {
    api::lambda::run_rotation().await
}
