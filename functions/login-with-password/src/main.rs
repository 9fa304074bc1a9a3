//! Lambda function for `POST /login_with_password`; the logic is in [`shared::handlers::login_with_password`].

use lambda_http::{Error, run, service_fn};
use shared::{App, handlers::login_with_password, telemetry};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let app = App::from_env().await?;
    run(service_fn(|req| login_with_password::handle(&app, req))).await
}
