//! Accounts whose password hash was made by another system: a login on either surface checks
//! it by its own scheme and, when it matches, upgrades it to the service's Argon2id in the
//! login's own write (no extra round trip); a wrong password changes nothing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use integration_tests::{Backend, PASSWORD, TestApp, on_both_stores};
use shared::password::firebase::{FirebaseHash, FirebaseParams};

/// hashlib.pbkdf2_hmac('sha256', PASSWORD, b'importsalt', 1000), in Django's form.
pub const PBKDF2: &str = "pbkdf2_sha256$1000$importsalt$ei1DY7E0IqXPddMRmV7IHu5if7qEBezY7CT1hW8ucJk=";
/// hashlib.scrypt(PASSWORD, salt=b'scryptsalt123456', n=2**10, r=8, p=1, dklen=32), PHC form.
pub const SCRYPT: &str = "$scrypt$ln=10,r=8,p=1$c2NyeXB0c2FsdDEyMzQ1Ng$pzmpz4mgYtSX8mpYxBEEWc7AlgJrYGep42VZIubCwyE";

/// Firebase's modified scrypt of PASSWORD under the published test project's parameters.
pub fn firebase() -> String {
    let params = FirebaseParams::parse(
        "jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==",
        "Bw==",
        "8",
        "14",
    )
    .unwrap();
    FirebaseHash::new(
        &params,
        "uV9IYV0ybu+wwKfXzW1cSLwnRSABuaAGYRLSOS2yL9oI/C0GAZHSwZp4znvG7K1WFOssvDW5Bmg01hwZyn9xgg==",
        "ZmJzYWx0MDEyMw==",
    )
    .unwrap()
    .stored()
}

/// Registers `email` and gives it `hash` as if it had been imported with it.
async fn imported(t: &TestApp, email: &str, hash: &str) {
    t.register(email).await;
    let mut user = t.app.store.get_user(email).await.unwrap().unwrap();
    user.password_hash = hash.to_owned();
    t.app.store.update_user(&user, &[]).await.unwrap();
}

async fn stored_hash(t: &TestApp, email: &str) -> String {
    t.app.store.get_user(email).await.unwrap().unwrap().password_hash
}

async fn imported_hashes_sign_in_on_both_surfaces_and_are_upgraded_by_the_login_write(backend: Backend) {
    let t = TestApp::new(backend).await;
    let firebase = firebase();
    for (i, hash) in [PBKDF2, SCRYPT, firebase.as_str()].into_iter().enumerate() {
        for surface in [1, 2] {
            let email = format!("user{i}-{surface}@example.com");
            imported(&t, &email, hash).await;
            let login = |password: &'static str| {
                let (t, email) = (&t, email.clone());
                async move {
                    if surface == 1 { t.login(&email, password).await } else { t.id_login(&email, password).await }
                }
            };
            let wrong = login("correct horse battery stapler").await;
            assert!((400..500).contains(&wrong.status), "{}: {}", wrong.status, wrong.body);
            assert_eq!(stored_hash(&t, &email).await, hash, "a wrong password changes nothing");
            // A native account's login, for the count of round trips.
            let native = format!("native{i}-{surface}@example.com");
            t.register(&native).await;
            t.probe.reset();
            let native_login =
                if surface == 1 { t.login(&native, PASSWORD).await } else { t.id_login(&native, PASSWORD).await };
            assert_eq!(native_login.status, 200);
            let native_trips = t.probe.round_trips();
            t.probe.reset();
            let right = login(PASSWORD).await;
            assert_eq!(right.status, 200, "{hash} on surface {surface}: {}", right.body);
            assert_eq!(
                t.probe.round_trips(),
                native_trips,
                "the upgrade rides the login's write: {:?}",
                t.probe.calls()
            );
            let upgraded = stored_hash(&t, &email).await;
            assert!(shared::password::is_native(&upgraded), "upgraded to Argon2id: {upgraded}");
            assert!(shared::password::verify(PASSWORD, &upgraded));
            assert_eq!(login(PASSWORD).await.status, 200, "and the upgraded hash signs in");
            assert!(login("correct horse battery stapler").await.status >= 400);
        }
    }
}

async fn an_account_imported_without_a_password_cannot_sign_in_with_one(backend: Backend) {
    let t = TestApp::new(backend).await;
    imported(&t, "nohash@example.com", "").await;
    for password in [PASSWORD, ""] {
        assert!(t.login("nohash@example.com", password).await.status >= 400);
        assert!(t.id_login("nohash@example.com", password).await.status >= 400);
    }
    assert_eq!(stored_hash(&t, "nohash@example.com").await, "");
}

on_both_stores!(
    imported_hashes_sign_in_on_both_surfaces_and_are_upgraded_by_the_login_write,
    an_account_imported_without_a_password_cannot_sign_in_with_one,
);
