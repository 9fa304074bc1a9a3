//! The operator's actions, invoked with IAM (`scripts/admin.sh`); the logic is in
//! [`shared::api::admin`].

use lambda_runtime::Error;
use shared::api;

#[tokio::main]
async fn main() -> Result<(), Error> {
    api::lambda::run_admin().await
}
