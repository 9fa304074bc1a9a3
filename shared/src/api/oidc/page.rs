//! The hosted sign-in page: plain server-rendered HTML, usable without JavaScript, under a
//! strict Content-Security-Policy (no script, no style, no frame, forms only to this page and,
//! by the redirect that follows, to the client's redirect URI), never framed
//! (`frame-ancestors 'none'`, `X-Frame-Options: DENY`). Its forms carry the sign-in id, and
//! count only from the browser holding the sign-in's cookie (`HttpOnly`, `SameSite=Strict`,
//! `Secure` when the issuer is https).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// What the page shows.
pub enum View<'a> {
    Password {
        email: &'a str,
    },
    SecondFactor {
        methods: &'a [&'a str],
    },
    /// The sign-in cannot go on (expired, used, another browser's): start again from the app.
    Gone,
    /// After a logout with nowhere to go back to.
    SignedOut,
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The cookie that binds a sign-in to its browser.
pub fn cookie_name(sign_in_id: &str, secure: bool) -> String {
    let short: String = sign_in_id.chars().take(8).collect();
    if secure { format!("__Host-signin-{short}") } else { format!("signin-{short}") }
}

pub fn set_cookie(sign_in_id: &str, secret: &str, secure: bool) -> String {
    let attrs = if secure { "; Secure" } else { "" };
    format!(
        "{}={secret}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{attrs}",
        cookie_name(sign_in_id, secure),
        crate::domain::oidc::SIGN_IN_SECS
    )
}

/// The origin (`scheme://host[:port]`) of a URI, for `form-action`.
fn origin(uri: &str) -> Option<&str> {
    let (_, rest) = uri.split_once("://")?;
    let end = rest.find(['/', '?']).map_or(uri.len(), |i| uri.len() - rest.len() + i);
    Some(&uri[..end])
}

/// The page, with its headers.
pub fn render(
    status: StatusCode,
    sign_in_id: &str,
    redirect_uri: &str,
    view: View<'_>,
    error: Option<&str>,
) -> Response {
    let id = escape(sign_in_id);
    let alert = error.map(|e| format!("<p role=\"alert\"><strong>{}</strong></p>", escape(e))).unwrap_or_default();
    let form = match view {
        View::Password { email } => format!(
            "<form method=\"post\" action=\"/oauth2/authorize\">\
             <input type=\"hidden\" name=\"sign_in\" value=\"{id}\"><input type=\"hidden\" name=\"step\" value=\"password\">\
             <p><label>E-mail <input type=\"email\" name=\"email\" value=\"{}\" autocomplete=\"username\" required></label></p>\
             <p><label>Password <input type=\"password\" name=\"password\" autocomplete=\"current-password\" required></label></p>\
             <p><button type=\"submit\">Sign in</button></p></form>",
            escape(email)
        ),
        View::SecondFactor { methods } => {
            let mut sends = String::new();
            for (method, label) in [("SMS", "Text me a code"), ("EMAIL", "E-mail me a code")] {
                if methods.contains(&method) {
                    sends.push_str(&format!(
                        "<form method=\"post\" action=\"/oauth2/authorize\">\
                         <input type=\"hidden\" name=\"sign_in\" value=\"{id}\">\
                         <input type=\"hidden\" name=\"step\" value=\"send_{}\">\
                         <button type=\"submit\">{label}</button></form>",
                        method.to_ascii_lowercase()
                    ));
                }
            }
            format!(
                "<p>Enter a code from your authenticator app, a code we sent you, or a recovery code.</p>\
                 <form method=\"post\" action=\"/oauth2/authorize\">\
                 <input type=\"hidden\" name=\"sign_in\" value=\"{id}\"><input type=\"hidden\" name=\"step\" value=\"code\">\
                 <p><label>Code <input type=\"text\" name=\"code\" autocomplete=\"one-time-code\" required></label></p>\
                 <p><button type=\"submit\">Continue</button></p></form>{sends}"
            )
        }
        View::Gone => "<p>Go back to the application and sign in again.</p>".to_owned(),
        View::SignedOut => "<p>You are signed out.</p>".to_owned(),
    };
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>Sign in</title></head>\
         <body><main><h1>Sign in</h1>{alert}{form}</main></body></html>"
    );
    let form_action = match origin(redirect_uri) {
        Some(o) => format!("'self' {o}"),
        None => "'self'".to_owned(),
    };
    let csp = format!(
        "default-src 'none'; form-action {form_action}; frame-ancestors 'none'; base-uri 'none'; img-src 'self'"
    );
    let mut response = (status, html).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    if let Ok(v) = HeaderValue::from_str(&csp) {
        headers.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_and_escaping() {
        assert_eq!(origin("https://app.example:8443/cb?x=1"), Some("https://app.example:8443"));
        assert_eq!(origin("http://127.0.0.1:5000/cb"), Some("http://127.0.0.1:5000"));
        assert_eq!(escape("<a href=\"x\">'&"), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;");
    }
}
