//! Lambda REQUEST authorizer for other APIs; the logic is in [`shared::api::authorizer`].

use lambda_runtime::Error;
use shared::api;

#[tokio::main]
async fn main() -> Result<(), Error> {
    api::lambda::run_authorizer().await
}
