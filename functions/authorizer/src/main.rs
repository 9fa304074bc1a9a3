//! Lambda REQUEST authorizer for other APIs; the logic is in [`shared::api::authorizer`].

use lambda_runtime::{Error, run, service_fn};
use shared::{App, api::authorizer, telemetry};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let app = App::from_env().await?;
    run(service_fn(|event| authorizer::handle(&app, event))).await
}
