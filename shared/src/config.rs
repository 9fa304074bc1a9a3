//! Settings read from the environment once per cold start. A missing or invalid value stops
//! start-up with a message naming the variable, rather than failing on the first request.

use std::collections::HashMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreKind {
    Memory,
    Dynamo,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub port: u16,
    pub store: StoreKind,
    pub table_name: String,
    /// Create the table at start-up when it is missing (local runs against DynamoDB Local).
    pub create_table: bool,
    /// SMS and push are recorded instead of sent, and every one-time code is `123456`.
    pub sandbox: bool,
    pub idle_timeout_secs: i64,
    pub access_idle_timeout_secs: i64,
    /// Live ACCESS tokens one session may hold at once.
    pub max_access_tokens_per_session: usize,
    pub session_max_secs: i64,
    pub lockout_threshold: u32,
    pub lockout_secs: i64,
    /// 0: passwords never expire (NIST SP 800-63B advises against periodic expiry).
    pub password_max_age_secs: i64,
    /// One secret holding every key purpose (a simpler set-up without the separation).
    pub signing_secret_id: Option<String>,
    /// One secret per key purpose this function is given (`AUTH_SESSION_KEYS_SECRET_ID`, ...):
    /// a function holds no key material but what these name.
    pub key_secrets: Vec<(crate::keys::Purpose, String)>,
    pub id_token_secs: i64,
    pub refresh_token_secs: i64,
    /// How long after a refresh the token it spent may be presented once more for the same
    /// successor (a client that lost the answer); 0 to 60 s: longer lets a thief's replay pass.
    pub refresh_reuse_grace_secs: i64,
    pub issuer: String,
    pub audience: String,
    pub rate_limit: RateLimits,
    /// SNS platform applications for push step-up devices.
    pub push_apns_application: Option<String>,
    pub push_gcm_application: Option<String>,
    /// Sender of one-time codes by e-mail (SES verified identity).
    pub email_from: String,
    /// The issuer name authenticator apps show next to a TOTP code.
    pub totp_issuer: String,
    /// `local-api` also serves the operator actions as `POST /_admin/{action}`: for local runs
    /// and tests only; in AWS they are the `Admin` function, invoked with IAM.
    pub admin_local: bool,
    /// `local-api` also serves `GET /_bench/hello`, a trivial handler to measure against.
    pub bench_hello: bool,
    /// ISO 3166 alpha-2 codes SMS may go to; empty: every country.
    pub sms_countries: Vec<String>,
    /// The WebAuthn relying party id passkeys are bound to: the site's registrable domain.
    pub webauthn_rp_id: String,
    /// The web origins whose pages may run passkey ceremonies (each within the RP id).
    pub webauthn_origins: Vec<String>,
    /// `local-api` also serves `GET /demo/passkeys`, a page that runs every passkey ceremony
    /// in a real browser: for local runs and the browser test only.
    pub demo_pages: bool,
    /// Origins whose pages may call the API from a browser (CORS): `scheme://host[:port]`, no
    /// wildcard. Empty: none.
    pub cors_origins: Vec<String>,
    /// The CloudWatch namespace of the metrics every log line carries (embedded metric format):
    /// the stack's name in AWS, so two stacks in one account keep their metrics apart.
    pub metrics_namespace: String,
}

/// Request budgets; each is a count per window.
#[derive(Debug, Clone)]
pub struct RateLimits {
    pub per_ip_per_minute: u32,
    pub per_account_per_minute: u32,
    pub sms_per_phone_per_hour: u32,
    pub sms_per_account_per_day: u32,
    pub sms_per_ip_per_hour: u32,
    /// Every SMS the service sends in a day, all accounts together: a ceiling on spend.
    pub sms_global_per_day: u32,
    pub email_per_address_per_day: u32,
    /// E-mail change codes asked for from one IP in an hour, and by the whole service in a day.
    pub email_change_per_ip_per_hour: u32,
    pub email_change_global_per_day: u32,
    pub push_per_account_per_10_minutes: u32,
    /// Login pushes one address may ask for from one IP in an hour (login by push is open to
    /// anyone who names an e-mail).
    pub push_login_per_ip_per_hour: u32,
}

#[derive(Debug, thiserror::Error)]
#[error("configuration: {name}: {problem}")]
pub struct ConfigError {
    pub name: &'static str,
    pub problem: String,
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_map(&std::env::vars().collect())
    }

    /// The defaults for a local run: memory store, sandbox on.
    pub fn local_defaults() -> Self {
        // An empty map cannot fail to parse: every value has a default.
        Self::from_map(&HashMap::new()).unwrap_or_else(|_| unreachable_defaults())
    }

    pub fn from_map(env: &HashMap<String, String>) -> Result<Self, ConfigError> {
        let get = |name: &str| env.get(name).map(|v| v.trim()).filter(|v| !v.is_empty());
        let store = match get("AUTH_STORE") {
            None | Some("memory") => StoreKind::Memory,
            Some("dynamodb") => StoreKind::Dynamo,
            Some(other) => {
                return Err(ConfigError {
                    name: "AUTH_STORE",
                    problem: format!("expected `memory` or `dynamodb`, got `{other}`"),
                });
            }
        };
        let table_name = get("TABLE_NAME").unwrap_or("auth").to_owned();
        let config = Config {
            port: number(env, "PORT", 3000)?,
            store,
            table_name,
            create_table: boolean(env, "AUTH_CREATE_TABLE", false)?,
            sandbox: boolean(env, "AUTH_SANDBOX", store == StoreKind::Memory)?,
            idle_timeout_secs: positive(env, "AUTH_IDLE_TIMEOUT_SECONDS", 300)?,
            access_idle_timeout_secs: positive(env, "AUTH_ACCESS_IDLE_TIMEOUT_SECONDS", 300)?,
            session_max_secs: positive(env, "AUTH_SESSION_MAX_SECONDS", 43_200)?,
            max_access_tokens_per_session: number(env, "AUTH_MAX_ACCESS_TOKENS_PER_SESSION", 100)?,
            lockout_threshold: number::<u32>(env, "AUTH_LOCKOUT_THRESHOLD", 5)?.max(1),
            lockout_secs: positive(env, "AUTH_LOCKOUT_SECONDS", 1_800)?,
            password_max_age_secs: number(env, "AUTH_PASSWORD_MAX_AGE_SECONDS", 0)?,
            signing_secret_id: get("AUTH_SIGNING_SECRET_ID").map(str::to_owned),
            key_secrets: crate::keys::Purpose::ALL
                .iter()
                .filter_map(|p| get(p.env_var()).map(|id| (*p, id.to_owned())))
                .collect(),
            id_token_secs: positive(env, "AUTH_ID_TOKEN_SECONDS", 900)?,
            refresh_token_secs: positive(env, "AUTH_REFRESH_TOKEN_SECONDS", 30 * 86_400)?,
            refresh_reuse_grace_secs: number(env, "AUTH_REFRESH_REUSE_GRACE_SECONDS", 10)?,
            issuer: get("AUTH_ISSUER").unwrap_or("https://auth.local").to_owned(),
            audience: get("AUTH_AUDIENCE").unwrap_or("auth-clients").to_owned(),
            rate_limit: RateLimits {
                per_ip_per_minute: number(env, "AUTH_RATE_PER_IP_PER_MINUTE", 120)?,
                per_account_per_minute: number(env, "AUTH_RATE_PER_ACCOUNT_PER_MINUTE", 10)?,
                sms_per_phone_per_hour: number(env, "AUTH_SMS_PER_PHONE_PER_HOUR", 5)?,
                sms_per_account_per_day: number(env, "AUTH_SMS_PER_ACCOUNT_PER_DAY", 20)?,
                sms_per_ip_per_hour: number(env, "AUTH_SMS_PER_IP_PER_HOUR", 10)?,
                sms_global_per_day: number(env, "AUTH_SMS_GLOBAL_PER_DAY", 10_000)?,
                email_per_address_per_day: number(env, "AUTH_EMAIL_PER_ADDRESS_PER_DAY", 10)?,
                email_change_per_ip_per_hour: number(env, "AUTH_EMAIL_CHANGE_PER_IP_PER_HOUR", 10)?,
                email_change_global_per_day: number(env, "AUTH_EMAIL_CHANGE_GLOBAL_PER_DAY", 10_000)?,
                push_per_account_per_10_minutes: number(env, "AUTH_PUSH_PER_ACCOUNT_PER_10_MINUTES", 5)?,
                push_login_per_ip_per_hour: number(env, "AUTH_PUSH_LOGIN_PER_IP_PER_HOUR", 20)?,
            },
            push_apns_application: get("AUTH_PUSH_APNS_APPLICATION_ARN").map(str::to_owned),
            push_gcm_application: get("AUTH_PUSH_GCM_APPLICATION_ARN").map(str::to_owned),
            email_from: get("AUTH_EMAIL_FROM").unwrap_or("no-reply@auth.local").to_owned(),
            totp_issuer: get("AUTH_TOTP_ISSUER").unwrap_or("Auth").to_owned(),
            admin_local: boolean(env, "AUTH_ADMIN_LOCAL", false)?,
            bench_hello: boolean(env, "AUTH_BENCH_HELLO", false)?,
            sms_countries: countries(env, "AUTH_SMS_COUNTRIES")?,
            webauthn_rp_id: get("AUTH_WEBAUTHN_RP_ID").unwrap_or("localhost").to_owned(),
            webauthn_origins: get("AUTH_WEBAUTHN_ORIGINS")
                .unwrap_or("http://localhost:3000")
                .split(',')
                .map(|o| o.trim().trim_end_matches('/').to_owned())
                .filter(|o| !o.is_empty())
                .collect(),
            demo_pages: boolean(env, "AUTH_DEMO_PAGES", false)?,
            cors_origins: get("AUTH_CORS_ORIGINS")
                .unwrap_or("")
                .split(',')
                .map(|o| o.trim().trim_end_matches('/').to_owned())
                .filter(|o| !o.is_empty())
                .collect(),
            metrics_namespace: get("AUTH_METRICS_NAMESPACE").unwrap_or("Auth").to_owned(),
        };
        // An allowed origin is one exact origin: never `*`, a path or a pattern, so a page on any
        // other origin is refused by the browser.
        if let Some(bad) = config.cors_origins.iter().find(|o| !is_origin(o)) {
            return Err(ConfigError {
                name: "AUTH_CORS_ORIGINS",
                problem: format!("`{bad}` is not an origin (scheme://host[:port], no wildcard or path)"),
            });
        }
        // An authenticator app's label is `issuer:account`: a colon would break every enrolment.
        if config.totp_issuer.contains(':') || config.totp_issuer.len() > 64 {
            return Err(ConfigError { name: "AUTH_TOTP_ISSUER", problem: "1 to 64 characters, no `:`".into() });
        }
        if !is_namespace(&config.metrics_namespace) {
            return Err(ConfigError {
                name: "AUTH_METRICS_NAMESPACE",
                problem: "1 to 255 of letters, digits and . - _ / # : (not starting with AWS/)".into(),
            });
        }
        if !(0..=60).contains(&config.refresh_reuse_grace_secs) {
            return Err(ConfigError { name: "AUTH_REFRESH_REUSE_GRACE_SECONDS", problem: "0 to 60 seconds".into() });
        }
        crate::passkeys::RelyingParty::new(&config)?;
        if config.store == StoreKind::Dynamo && !env.contains_key("TABLE_NAME") {
            return Err(ConfigError { name: "TABLE_NAME", problem: "required when AUTH_STORE=dynamodb".into() });
        }
        Ok(config)
    }
}

/// `scheme://host[:port]`, http or https, nothing else.
fn is_origin(o: &str) -> bool {
    let Some((scheme, rest)) = o.split_once("://") else { return false };
    let host = rest.rsplit_once(':').map_or(rest, |(h, port)| if port.parse::<u16>().is_ok() { h } else { "" });
    matches!(scheme, "http" | "https")
        && !host.is_empty()
        && host.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
}

/// A CloudWatch namespace CloudWatch accepts (its characters and length); `AWS/` is AWS's own.
fn is_namespace(ns: &str) -> bool {
    (1..=255).contains(&ns.len())
        && !ns.starts_with("AWS/")
        && ns.chars().all(|c| c.is_ascii_alphanumeric() || ".-_/#: ".contains(c))
}

#[allow(clippy::panic)] // start-up only, and unreachable: every setting has a valid default
fn unreachable_defaults() -> Config {
    panic!("the built-in configuration defaults are invalid")
}

fn number<T: std::str::FromStr>(
    env: &HashMap<String, String>,
    name: &'static str,
    default: T,
) -> Result<T, ConfigError> {
    match env.get(name).map(|v| v.trim()).filter(|v| !v.is_empty()) {
        None => Ok(default),
        Some(raw) => {
            raw.parse().map_err(|_| ConfigError { name, problem: format!("expected a whole number, got `{raw}`") })
        }
    }
}

fn positive(env: &HashMap<String, String>, name: &'static str, default: i64) -> Result<i64, ConfigError> {
    let value = number(env, name, default)?;
    if value <= 0 {
        return Err(ConfigError { name, problem: format!("must be greater than zero, got {value}") });
    }
    Ok(value)
}

/// A comma-separated list of ISO 3166 alpha-2 codes, upper-cased; unset or empty: none named.
fn countries(env: &HashMap<String, String>, name: &'static str) -> Result<Vec<String>, ConfigError> {
    let raw = env.get(name).map(|v| v.trim()).unwrap_or("");
    raw.split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(|c| {
            let code = c.to_ascii_uppercase();
            if code.parse::<phonenumber::country::Id>().is_ok() {
                Ok(code)
            } else {
                Err(ConfigError { name, problem: format!("`{c}` is not an ISO 3166 alpha-2 country code") })
            }
        })
        .collect()
}

fn boolean(env: &HashMap<String, String>, name: &'static str, default: bool) -> Result<bool, ConfigError> {
    match env.get(name).map(|v| v.trim().to_ascii_lowercase()).as_deref() {
        None | Some("") => Ok(default),
        Some("true" | "1" | "yes") => Ok(true),
        Some("false" | "0" | "no") => Ok(false),
        Some(other) => Err(ConfigError { name, problem: format!("expected true or false, got `{other}`") }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn defaults_follow_the_contract() {
        let c = Config::local_defaults();
        assert_eq!(c.port, 3000);
        assert_eq!(c.store, StoreKind::Memory);
        assert!(c.sandbox);
        assert_eq!(c.idle_timeout_secs, 300);
        assert_eq!(c.lockout_threshold, 5);
        assert_eq!(c.lockout_secs, 1800);
        assert_eq!(c.password_max_age_secs, 0);
        assert_eq!(c.session_max_secs, 43_200);
    }

    #[test]
    fn an_invalid_value_names_its_variable() {
        let err = Config::from_map(&env(&[("AUTH_LOCKOUT_SECONDS", "soon")])).unwrap_err();
        assert_eq!(err.name, "AUTH_LOCKOUT_SECONDS");
        let err = Config::from_map(&env(&[("AUTH_STORE", "redis")])).unwrap_err();
        assert_eq!(err.name, "AUTH_STORE");
        let err = Config::from_map(&env(&[("AUTH_IDLE_TIMEOUT_SECONDS", "0")])).unwrap_err();
        assert_eq!(err.name, "AUTH_IDLE_TIMEOUT_SECONDS");
        let err = Config::from_map(&env(&[("AUTH_SMS_COUNTRIES", "GB,Narnia")])).unwrap_err();
        assert_eq!(err.name, "AUTH_SMS_COUNTRIES");
        let c = Config::from_map(&env(&[("AUTH_SMS_COUNTRIES", " gb, ES ")])).unwrap();
        assert_eq!(c.sms_countries, ["GB", "ES"]);
        let err = Config::from_map(&env(&[("AUTH_METRICS_NAMESPACE", "AWS/Lambda")])).unwrap_err();
        assert_eq!(err.name, "AUTH_METRICS_NAMESPACE");
        assert_eq!(Config::local_defaults().metrics_namespace, "Auth");
        let c = Config::from_map(&env(&[("AUTH_METRICS_NAMESPACE", "auth-prod")])).unwrap();
        assert_eq!(c.metrics_namespace, "auth-prod");
    }

    #[test]
    fn dynamodb_needs_a_table_and_is_not_sandboxed_by_default() {
        let err = Config::from_map(&env(&[("AUTH_STORE", "dynamodb")])).unwrap_err();
        assert_eq!(err.name, "TABLE_NAME");
        let c = Config::from_map(&env(&[("AUTH_STORE", "dynamodb"), ("TABLE_NAME", "t")])).unwrap();
        assert!(!c.sandbox);
    }
}
