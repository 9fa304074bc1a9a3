//! Any bytes as a JSON request body: parsing and field validation must answer Ok or a client
//! error, never panic.
#![no_main]

use lambda_http::Body;
use lambda_http::http::Request;
use libfuzzer_sys::fuzz_target;
use shared::http::Fields;

fuzz_target!(|data: &[u8]| {
    let req = Request::builder()
        .method("POST")
        .uri("/login_with_password")
        .header("content-type", "application/json")
        .body(Body::Binary(data.to_vec()))
        .unwrap();
    if let Ok(mut f) = Fields::from_request(&req) {
        let _ = f.string("email", 3, 254);
        let _ = f.string("password.value", 1, 1024);
        let _ = f.one_of("identity.type", &["CONSUMER", "CORPORATE"]);
        if let Err(e) = f.finish() {
            assert!(e.status().is_client_error());
        }
    }
    let _ = shared::otp::normalize(&String::from_utf8_lossy(data));
});
