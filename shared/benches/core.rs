//! The pure costs of the service: `cargo bench -p shared --bench core`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // benchmark set-up

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use shared::keys::{KeySet, KeySetDocument, generate_generation};
use shared::model::{IdentityId, IdentityType, Session, SessionStatus};
use shared::store::MemoryStore;
use shared::store::prelude::*;
use shared::token::{self, IdClaims, SessionClaims, TokenType};
use shared::{crypto, otp, password, totp};

fn keys() -> KeySet {
    KeySet::from_document(&KeySetDocument {
        current: generate_generation("bench").unwrap(),
        previous: None,
        retired: Vec::new(),
    })
    .unwrap()
}

fn benches(c: &mut Criterion) {
    let phc = password::hash("correct horse battery staple").unwrap();
    c.bench_function("argon2id verify (m=19456,t=2,p=1)", |b| {
        b.iter(|| password::verify(black_box("correct horse battery staple"), black_box(&phc)))
    });

    let keys = keys();
    let claims = SessionClaims { sid: "1.abc".into(), typ: TokenType::Auth, gid: None, iat: 1, exp: i64::MAX };
    let session_token = token::issue_session_token(&keys, &claims).unwrap();
    c.bench_function("session token issue (HS256)", |b| {
        b.iter(|| token::issue_session_token(&keys, black_box(&claims)))
    });
    c.bench_function("session token verify (HS256)", |b| {
        b.iter(|| token::verify_session_token(&keys, black_box(&session_token), 2))
    });
    let id_claims = IdClaims {
        iss: "i".into(),
        aud: "a".into(),
        sub: "1".into(),
        email: "a@b.c".into(),
        email_verified: false,
        iat: 1,
        exp: i64::MAX,
        jti: "j".into(),
        amr: vec!["pwd".into()],
        ver: 1,
        sid: None,
    };
    let id_token = token::issue_id_token(&keys, &id_claims).unwrap();
    c.bench_function("idToken issue (EdDSA)", |b| b.iter(|| token::issue_id_token(&keys, black_box(&id_claims))));
    c.bench_function("idToken verify (EdDSA)", |b| {
        b.iter(|| token::verify_id_token(&keys, black_box(&id_token), "i", "a", 2))
    });

    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let store = Arc::new(MemoryStore::new());
    let session = Session {
        session_id: "1.s".into(),
        user_id: "1".into(),
        email: "a@b.c".into(),
        kind: TokenType::Auth,
        identity: IdentityId { kind: IdentityType::Consumer, id: "2".into() },
        status: SessionStatus::Standard,
        created_at: 0,
        idle_expires_at: i64::MAX,
        absolute_expires_at: i64::MAX,
        revoked: false,
        grants: Default::default(),
        last_used_at: None,
        user_agent: String::new(),
        source_ip: String::new(),
        anchored: false,
        mailbox: false,
    };
    let user: shared::model::User = serde_json::from_value(serde_json::json!({
        "userId": "1", "email": "a@b.c", "name": "A", "passwordHash": phc, "passwordChangedAt": 0,
        "identities": [], "credentialsVersion": 1, "createdAt": 0, "version": 1
    }))
    .unwrap();
    rt.block_on(async {
        store.create_user(&user).await.unwrap();
        store.open_session(&session, &user, shared::store::FailedLogins::Clear, &[]).await.unwrap();
    });
    c.bench_function("session check (memory store touch)", |b| {
        b.to_async(&rt).iter(|| async { store.touch_session(black_box("1.s"), None, 10, 310).await.unwrap() })
    });

    let secret = [7u8; 20];
    let now = 1_700_000_000;
    let code = totp::code_at(&secret, now).unwrap();
    c.bench_function("TOTP verify (3 steps)", |b| {
        b.iter(|| totp::check(black_box(&secret), black_box(&code), now, None))
    });

    let data_key = [9u8; 32];
    let stored = otp::hash(&data_key, "1", "STEPUP#x", "123456");
    c.bench_function("one-time code hash + compare", |b| {
        b.iter(|| {
            let h = otp::hash(&data_key, black_box("1"), "STEPUP#x", black_box("123456"));
            crypto::constant_time_eq(h.as_bytes(), stored.as_bytes())
        })
    });
}

criterion_group!(core, benches);
criterion_main!(core);
