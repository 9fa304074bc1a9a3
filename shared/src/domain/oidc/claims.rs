//! The claims of the provider's tokens and of userinfo, as the scopes granted allow: the ID
//! token (OpenID Connect Core §2, §5.4), the access token (RFC 9068 §2.2), userinfo (§5.3).

use serde_json::{Map, Value, json};

use crate::domain::Epoch;

/// Who a token speaks of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    pub sub: String,
    pub email: String,
    pub email_verified: bool,
    pub name: String,
}

fn has(scopes: &[String], scope: &str) -> bool {
    scopes.iter().any(|s| s == scope)
}

/// The claims the scopes release: `email` and `email_verified` with `email`, `name` with
/// `profile`.
fn released(subject: &Subject, scopes: &[String], into: &mut Map<String, Value>) {
    if has(scopes, "email") {
        into.insert("email".into(), json!(subject.email));
        into.insert("email_verified".into(), json!(subject.email_verified));
    }
    if has(scopes, "profile") && !subject.name.is_empty() {
        into.insert("name".into(), json!(subject.name));
    }
}

/// What an ID token says, besides who.
#[derive(Debug, Clone)]
pub struct IdTokenFacts<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub nonce: Option<&'a str>,
    pub auth_time: Epoch,
    pub amr: &'a [String],
    /// The login (the refresh family) it belongs to.
    pub sid: &'a str,
    pub scopes: &'a [String],
    pub now: Epoch,
    pub ttl: i64,
    pub jti: &'a str,
}

pub fn id_token(subject: &Subject, facts: &IdTokenFacts<'_>) -> Value {
    let mut claims = Map::new();
    claims.insert("iss".into(), json!(facts.issuer));
    claims.insert("sub".into(), json!(subject.sub));
    claims.insert("aud".into(), json!(facts.client_id));
    claims.insert("azp".into(), json!(facts.client_id));
    claims.insert("iat".into(), json!(facts.now));
    claims.insert("exp".into(), json!(facts.now + facts.ttl));
    claims.insert("auth_time".into(), json!(facts.auth_time));
    claims.insert("jti".into(), json!(facts.jti));
    claims.insert("sid".into(), json!(facts.sid));
    claims.insert("amr".into(), json!(facts.amr));
    if let Some(nonce) = facts.nonce {
        claims.insert("nonce".into(), json!(nonce));
    }
    released(subject, facts.scopes, &mut claims);
    Value::Object(claims)
}

/// What an access token says (RFC 9068 §2.2).
#[derive(Debug, Clone)]
pub struct AccessTokenFacts<'a> {
    pub issuer: &'a str,
    pub audience: &'a str,
    pub client_id: &'a str,
    /// The user, or the client itself for `client_credentials`.
    pub sub: &'a str,
    pub scopes: &'a [String],
    /// The login it belongs to; none for `client_credentials`.
    pub sid: Option<&'a str>,
    pub now: Epoch,
    pub ttl: i64,
    pub jti: &'a str,
}

pub fn access_token(facts: &AccessTokenFacts<'_>) -> Value {
    let mut claims = json!({
        "iss": facts.issuer,
        "sub": facts.sub,
        "aud": facts.audience,
        "client_id": facts.client_id,
        "scope": facts.scopes.join(" "),
        "iat": facts.now,
        "nbf": facts.now,
        "exp": facts.now + facts.ttl,
        "jti": facts.jti,
    });
    if let (Some(sid), Some(map)) = (facts.sid, claims.as_object_mut()) {
        map.insert("sid".into(), json!(sid));
    }
    claims
}

/// The userinfo answer: `sub`, and what the scopes release.
pub fn userinfo(subject: &Subject, scopes: &[String]) -> Value {
    let mut claims = Map::new();
    claims.insert("sub".into(), json!(subject.sub));
    released(subject, scopes, &mut claims);
    Value::Object(claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_release_only_their_claims() {
        let s = Subject { sub: "u1".into(), email: "a@b.c".into(), email_verified: true, name: "Ann".into() };
        let only_openid = userinfo(&s, &["openid".into()]);
        assert_eq!(only_openid, json!({"sub": "u1"}));
        let all = userinfo(&s, &["openid".into(), "email".into(), "profile".into()]);
        assert_eq!(all, json!({"sub": "u1", "email": "a@b.c", "email_verified": true, "name": "Ann"}));
    }
}
