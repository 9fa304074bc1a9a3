//! Serves every endpoint on 127.0.0.1:$PORT through the same router as the Lambda functions:
//! the memory store and sandbox by default, no AWS account needed.

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    shared::telemetry::init();
    let app = std::sync::Arc::new(shared::App::from_env().await?);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", app.config.port)).await?;
    tracing::info!(address = %listener.local_addr()?, store = ?app.config.store, sandbox = app.config.sandbox, "local API listening");
    shared::api::local::serve(app, listener).await?;
    Ok(())
}
