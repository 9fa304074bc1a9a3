//! Triggered by the table's stream: puts its security events on the bus; the logic is in
//! [`shared::publish`].

use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use shared::{config::Config, metrics, publish, telemetry};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    // The configuration only for the metrics' namespace: each batch writes its own line.
    metrics::init(&Config::from_env()?.metrics_namespace);
    let sink = publish::EventBridgeSink::from_env().await?;
    run(service_fn(|event: LambdaEvent<serde_json::Value>| {
        let sink = &sink;
        async move { publish::handle(sink, &event.payload).await }
    }))
    .await
}
