//! The operator's actions, invoked with IAM (`scripts/admin.sh`); the logic is in
//! [`shared::api::admin`].

use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use shared::{App, api::admin, telemetry};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let app = App::from_env().await?;
    run(service_fn(|event: LambdaEvent<serde_json::Value>| admin::invoke(&app, event.payload))).await
}
