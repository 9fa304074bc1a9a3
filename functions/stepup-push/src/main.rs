//! Lambda function for `POST /stepup/challenges/push/{channel}`; the logic is in [`shared::handlers::stepup_push`].

use lambda_http::{Error, run, service_fn};
use shared::{App, handlers::stepup_push, telemetry};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let app = App::from_env().await?;
    run(service_fn(|req| stepup_push::handle(&app, req))).await
}
