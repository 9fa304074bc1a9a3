//! Triggered by the table's stream: puts its security events on the bus; the logic is in
//! [`shared::publish`].

use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use shared::{publish, telemetry};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let sink = publish::EventBridgeSink::from_env().await?;
    run(service_fn(|event: LambdaEvent<serde_json::Value>| {
        let sink = &sink;
        async move { publish::handle(sink, &event.payload).await }
    }))
    .await
}
