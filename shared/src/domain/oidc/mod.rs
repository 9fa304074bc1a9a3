//! The OpenID Connect provider's rules, pure: PKCE (RFC 7636, `S256` only), matching a
//! redirect URI exactly against a client's registered list, what a registered URI may be,
//! scopes, and the OAuth 2.0 error codes (RFC 6749 §4.1.2.1, §5.2) a refusal is named by.

use crate::crypto;

pub mod claims;

/// The scopes the provider knows; a request naming others is refused (`invalid_scope`).
pub const SCOPES: [&str; 4] = ["openid", "email", "profile", "offline_access"];

/// The grant types a client may be registered for.
pub const GRANT_TYPES: [&str; 3] = ["authorization_code", "refresh_token", "client_credentials"];

/// How long an authorization code lives (seconds).
pub const CODE_SECS: i64 = 60;

/// How long a sign-in on the hosted page may take, from the authorization request (seconds).
pub const SIGN_IN_SECS: i64 = 600;

/// An OAuth 2.0 error code, as the wire names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OAuthCode {
    InvalidRequest,
    InvalidClient,
    InvalidGrant,
    UnauthorizedClient,
    UnsupportedGrantType,
    UnsupportedResponseType,
    InvalidScope,
    AccessDenied,
    LoginRequired,
    InvalidToken,
    InsufficientScope,
    /// Too many attempts: 429 with `Retry-After`.
    SlowDown,
    ServerError,
    TemporarilyUnavailable,
}

impl OAuthCode {
    pub fn as_str(self) -> &'static str {
        match self {
            OAuthCode::InvalidRequest => "invalid_request",
            OAuthCode::InvalidClient => "invalid_client",
            OAuthCode::InvalidGrant => "invalid_grant",
            OAuthCode::UnauthorizedClient => "unauthorized_client",
            OAuthCode::UnsupportedGrantType => "unsupported_grant_type",
            OAuthCode::UnsupportedResponseType => "unsupported_response_type",
            OAuthCode::InvalidScope => "invalid_scope",
            OAuthCode::AccessDenied => "access_denied",
            OAuthCode::LoginRequired => "login_required",
            OAuthCode::InvalidToken => "invalid_token",
            OAuthCode::InsufficientScope => "insufficient_scope",
            OAuthCode::SlowDown => "slow_down",
            OAuthCode::ServerError => "server_error",
            OAuthCode::TemporarilyUnavailable => "temporarily_unavailable",
        }
    }
}

/// A refusal of the provider: its code and a description for the developer (never a secret,
/// never whether an account exists).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {description}", code.as_str())]
pub struct OAuthError {
    pub code: OAuthCode,
    pub description: &'static str,
}

pub fn refuse(code: OAuthCode, description: &'static str) -> OAuthError {
    OAuthError { code, description }
}

/// Whether `c` may appear in a PKCE verifier or an S256 challenge (RFC 7636 §4.1: unreserved).
fn unreserved(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~')
}

/// An S256 challenge as RFC 7636 makes it: base64url of a SHA-256 digest, 43 characters.
pub fn valid_challenge(challenge: &str) -> bool {
    challenge.len() == 43 && crypto::b64url_decode(challenge).is_some_and(|d| d.len() == 32)
}

/// Whether `verifier` (43 to 128 unreserved characters) is the one whose S256 challenge is
/// `challenge`; compared in constant time.
pub fn pkce_matches(verifier: &str, challenge: &str) -> bool {
    let well_formed = (43..=128).contains(&verifier.len()) && verifier.chars().all(unreserved);
    well_formed && crypto::constant_time_eq(crypto::sha256_b64url(verifier.as_bytes()).as_bytes(), challenge.as_bytes())
}

/// Exact, whole-string match against the registered list: no wildcard, no prefix, no
/// normalisation (RFC 9700 §4.1.3).
pub fn redirect_matches(registered: &[String], given: &str) -> bool {
    registered.iter().any(|r| r == given)
}

/// What a registered redirect (or post-logout redirect) URI may be: absolute, `https`, or
/// `http` on a loopback host for native apps and local development (RFC 8252 §7.3); no
/// fragment, no user information, at most 512 characters.
pub fn registrable_redirect(uri: &str) -> bool {
    if uri.len() > 512 || uri.contains('#') || uri.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    let (scheme, rest) = match uri.split_once("://") {
        Some(parts) => parts,
        None => return false,
    };
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    if authority.is_empty() || authority.contains('@') {
        return false;
    }
    let host = match authority.rsplit_once(':') {
        Some((h, port)) if !h.is_empty() && port.chars().all(|c| c.is_ascii_digit()) => h,
        _ => authority,
    };
    match scheme {
        "https" => true,
        "http" => matches!(host, "localhost" | "127.0.0.1" | "[::1]"),
        _ => false,
    }
}

/// The scopes of a space-separated `scope` parameter, deduplicated, in the order given; `None`
/// when one is unknown or malformed.
pub fn parse_scopes(scope: &str) -> Option<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for s in scope.split(' ').filter(|s| !s.is_empty()) {
        if !SCOPES.contains(&s) {
            return None;
        }
        if !out.iter().any(|o| o == s) {
            out.push(s.to_owned());
        }
    }
    Some(out)
}

/// Whether every scope asked for is among those allowed.
pub fn scopes_allowed(asked: &[String], allowed: &[String]) -> bool {
    asked.iter().all(|a| allowed.contains(a))
}

/// A `state` or `nonce` as the provider carries it: printable ASCII, at most 512 characters.
pub fn carried_value(value: &str) -> bool {
    !value.is_empty() && value.len() <= 512 && value.chars().all(|c| c.is_ascii_graphic() || c == ' ')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_s256_checks_the_verifier_against_the_challenge() {
        // RFC 7636 appendix B.
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(valid_challenge(challenge));
        assert!(pkce_matches(verifier, challenge));
        assert!(!pkce_matches("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXj", challenge));
        assert!(!pkce_matches(challenge, challenge), "plain is not S256");
        assert!(!pkce_matches("short", challenge));
        assert!(!valid_challenge("plain-challenge"));
    }

    #[test]
    fn redirects_match_exactly_and_only_safe_ones_register() {
        let registered = vec!["https://app.example/cb".to_owned()];
        assert!(redirect_matches(&registered, "https://app.example/cb"));
        for other in [
            "https://app.example/cb/",
            "https://app.example/cb?x=1",
            "https://APP.example/cb",
            "https://app.example.evil/cb",
        ] {
            assert!(!redirect_matches(&registered, other), "{other}");
        }
        assert!(registrable_redirect("https://app.example/cb"));
        assert!(registrable_redirect("http://127.0.0.1:8765/cb"));
        assert!(registrable_redirect("http://localhost/cb"));
        for bad in
            ["http://app.example/cb", "https://app.example/cb#x", "javascript:alert(1)", "https://u@app.example/", "cb"]
        {
            assert!(!registrable_redirect(bad), "{bad}");
        }
    }

    #[test]
    fn scopes_are_known_ones_only() {
        assert_eq!(parse_scopes("openid  email openid"), Some(vec!["openid".to_owned(), "email".to_owned()]));
        assert_eq!(parse_scopes("openid admin"), None);
        assert!(scopes_allowed(&["openid".to_owned()], &["openid".to_owned(), "email".to_owned()]));
        assert!(!scopes_allowed(&["email".to_owned()], &["openid".to_owned()]));
    }
}
