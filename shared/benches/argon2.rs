//! The raw Argon2id verify at the service's parameters, as one number for `make bench` to
//! compare logins against: `cargo bench -p shared --bench argon2`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // benchmark set-up

use std::time::Instant;

fn main() {
    let phc = shared::password::hash("correct horse battery staple").unwrap();
    for _ in 0..5 {
        shared::password::verify("correct horse battery staple", &phc);
    }
    let mut times: Vec<f64> = (0..60)
        .map(|_| {
            let t = Instant::now();
            assert!(shared::password::verify("correct horse battery staple", &phc));
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    times.sort_by(f64::total_cmp);
    println!("argon2id verify median_ms={:.3} p99_ms={:.3}", times[times.len() / 2], times[times.len() * 99 / 100]);
}
