//! Logging set-up: JSON lines on stdout (what CloudWatch and Lambda's JSON log format expect),
//! level from `RUST_LOG` (default `info`; `webauthn_rs_core` off unless named).

use tracing_subscriber::EnvFilter;

pub fn init() {
    let asked = std::env::var("RUST_LOG").unwrap_or_default();
    let mut filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    // webauthn-rs logs a client's malformed or wrong credential at ERROR, which would page an
    // operator for anyone's garbage; the service logs why it refused a credential itself
    // (`passkeys::Refused`), so the library's own lines stay off unless RUST_LOG names them.
    if !asked.contains("webauthn")
        && let Ok(quiet) = "webauthn_rs_core=off".parse()
    {
        filter = filter.add_directive(quiet);
    }
    // A second init (tests, or a host that set one up) keeps the first subscriber.
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(true)
        .with_span_list(false)
        .without_time()
        .try_init();
}
