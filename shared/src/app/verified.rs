//! The session tokens this thread verified lately, with their claims. A client presents the
//! same token on request after request, and verifying it anew (jsonwebtoken parses its header
//! and claims twice and builds its HMAC key on every call) was most of an authenticated
//! request's own CPU (docs/performance.md, "The hot path"). Only a token whose signature
//! checked out is remembered, and only under the key set that verified it: a reload of the
//! keys (a rotation, a retired generation) forgets every token at once. What the claims do not
//! settle is judged on every use, as before: the expiry against the service's clock here, the
//! session (revoked, idle, ended) by the caller.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::{Arc, Weak};

use crate::keys::KeySet;
use crate::token::SessionClaims;

/// Tokens remembered per thread before the memory is emptied and filled again.
const CAPACITY: usize = 1024;

struct Verified {
    /// The key set the tokens were verified under. A `Weak` keeps its allocation, so its
    /// address cannot be reused by a later key set while this is held.
    keys: Weak<KeySet>,
    claims: HashMap<Box<str>, SessionClaims>,
}

thread_local! {
    static VERIFIED: RefCell<Verified> = RefCell::new(Verified { keys: Weak::new(), claims: HashMap::new() });
}

/// The claims of `token` if this thread verified it under `keys`.
pub fn get(keys: &Arc<KeySet>, token: &str) -> Option<SessionClaims> {
    VERIFIED.with(|v| {
        let v = v.borrow();
        if !std::ptr::eq(v.keys.as_ptr(), Arc::as_ptr(keys)) {
            return None;
        }
        v.claims.get(token).cloned()
    })
}

/// Remembers that `token`'s signature checked out under `keys`, with its claims.
pub fn put(keys: &Arc<KeySet>, token: &str, claims: &SessionClaims) {
    VERIFIED.with(|v| {
        let mut v = v.borrow_mut();
        if !std::ptr::eq(v.keys.as_ptr(), Arc::as_ptr(keys)) {
            v.keys = Arc::downgrade(keys);
            v.claims.clear();
        }
        if v.claims.len() >= CAPACITY {
            v.claims.clear();
        }
        v.claims.insert(token.into(), claims.clone());
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token::TokenType;

    fn keys() -> Arc<KeySet> {
        Arc::new(KeySet::default())
    }

    fn claims(sid: &str) -> SessionClaims {
        SessionClaims { sid: sid.into(), typ: TokenType::Auth, gid: None, iat: 0, exp: 100 }
    }

    #[test]
    fn a_token_is_remembered_only_under_the_keys_that_verified_it() {
        let (a, b) = (keys(), keys());
        put(&a, "t1", &claims("s1"));
        assert_eq!(get(&a, "t1"), Some(claims("s1")));
        assert_eq!(get(&a, "t1x"), None, "only the very token");
        assert_eq!(get(&b, "t1"), None, "another key set (a reload) remembers nothing");
        put(&b, "t2", &claims("s2"));
        assert_eq!(get(&a, "t1"), None, "the reload forgot the earlier set's tokens");
        assert_eq!(get(&b, "t2"), Some(claims("s2")));
    }

    #[test]
    fn the_memory_is_bounded() {
        let a = keys();
        for i in 0..=CAPACITY {
            put(&a, &format!("t{i}"), &claims("s"));
        }
        assert!(VERIFIED.with(|v| v.borrow().claims.len()) <= CAPACITY);
        assert_eq!(get(&a, &format!("t{CAPACITY}")), Some(claims("s")), "the latest is kept");
    }
}
