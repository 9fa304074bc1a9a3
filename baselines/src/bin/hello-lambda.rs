//! The baseline of `make cold-start`: a `lambda_http` function that does nothing, measured the
//! same way as the service's functions.

use lambda_http::{Body, Error, Request, Response, run, service_fn};

async fn hello(_req: Request) -> Result<Response<Body>, Error> {
    Ok(Response::new(Body::Text("hello".into())))
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    run(service_fn(hello)).await
}
