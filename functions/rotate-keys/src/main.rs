//! Secrets Manager rotation function of the key secret; the logic is in [`shared::rotation`].

use lambda_runtime::{Error, run, service_fn};
use shared::{rotation, telemetry};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let rotator = rotation::Rotator::from_env().await;
    run(service_fn(|event| rotation::handle(&rotator, event))).await
}
