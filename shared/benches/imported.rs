//! A wrong password against an imported hash of a cheap scheme costs at least what one
//! against a native Argon2id hash does ([`shared::password::check`] pads it with an Argon2id
//! verify): the medians of `check` with a wrong password, native against PBKDF2 at 1,000
//! iterations, scrypt at N = 2^10 and bcrypt at cost 4. `cargo bench -p shared --bench imported`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // benchmark set-up

use std::time::Instant;

fn median_ms(stored: &str) -> f64 {
    for _ in 0..5 {
        shared::password::check("wrong password", stored).unwrap();
    }
    let mut times: Vec<f64> = (0..60)
        .map(|_| {
            let t = Instant::now();
            assert!(!shared::password::check("wrong password", stored).unwrap().matches);
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

fn main() {
    let native = shared::password::hash("correct horse battery staple").unwrap();
    let cases = [
        ("argon2id (native)", native.as_str()),
        ("pbkdf2_sha256 1000", "pbkdf2_sha256$1000$importsalt$ei1DY7E0IqXPddMRmV7IHu5if7qEBezY7CT1hW8ucJk="),
        ("scrypt ln=10", "$scrypt$ln=10,r=8,p=1$c2NyeXB0c2FsdDEyMzQ1Ng$pzmpz4mgYtSX8mpYxBEEWc7AlgJrYGep42VZIubCwyE"),
        ("bcrypt cost 4", "$2b$04$EGdrhbKUv8Oc9vGiXX0HQOxSg445d458Muh7DAHskb6QbtCvdxcie"),
    ];
    let base = median_ms(cases[0].1);
    for (name, stored) in cases {
        let m = median_ms(stored);
        println!("wrong password, {name:20} median_ms={m:.3} ratio_to_native={:.2}", m / base);
    }
}
