//! A wrong password against an imported hash of a cheap scheme costs at least what one
//! against a native Argon2id hash does ([`shared::password::check`] pads it with an Argon2id
//! verify): the medians of `check` with a wrong password, native against PBKDF2 at 1,000
//! iterations, scrypt at N = 2^10 and bcrypt at cost 4. The cases are measured interleaved (one
//! check of each, round after round), so that whatever else the machine does weighs on all of
//! them alike. `cargo bench -p shared --bench imported`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // benchmark set-up

use std::time::Instant;

const ROUNDS: usize = 150;

fn check_ms(stored: &str) -> f64 {
    let t = Instant::now();
    assert!(!shared::password::check("wrong password", stored).unwrap().matches);
    t.elapsed().as_secs_f64() * 1000.0
}

fn main() {
    let native = shared::password::hash("correct horse battery staple").unwrap();
    let cases = [
        ("argon2id (native)", native.as_str()),
        ("pbkdf2_sha256 1000", "pbkdf2_sha256$1000$importsalt$ei1DY7E0IqXPddMRmV7IHu5if7qEBezY7CT1hW8ucJk="),
        ("scrypt ln=10", "$scrypt$ln=10,r=8,p=1$c2NyeXB0c2FsdDEyMzQ1Ng$pzmpz4mgYtSX8mpYxBEEWc7AlgJrYGep42VZIubCwyE"),
        ("bcrypt cost 4", "$2b$04$EGdrhbKUv8Oc9vGiXX0HQOxSg445d458Muh7DAHskb6QbtCvdxcie"),
    ];
    for (_, stored) in cases {
        for _ in 0..5 {
            check_ms(stored);
        }
    }
    let mut times: Vec<Vec<f64>> = vec![Vec::with_capacity(ROUNDS); cases.len()];
    for round in 0..ROUNDS {
        // A different case first each round.
        for k in 0..cases.len() {
            let i = (round + k) % cases.len();
            times[i].push(check_ms(cases[i].1));
        }
    }
    let median = |t: &mut Vec<f64>| {
        t.sort_by(f64::total_cmp);
        t[t.len() / 2]
    };
    let medians: Vec<f64> = times.iter_mut().map(median).collect();
    for ((name, _), m) in cases.iter().zip(&medians) {
        println!("wrong password, {name:20} median_ms={m:.3} ratio_to_native={:.2}", m / medians[0]);
    }
}
