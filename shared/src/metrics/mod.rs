//! Metrics for operators, in CloudWatch's embedded metric format (EMF): the JSON line each
//! request already writes carries its metrics, and CloudWatch Logs extracts them from the log
//! group, so no request pays for a call to CloudWatch (no `PutMetricData`).
//!
//! Per request: `Requests`, `Latency`, `ClientErrors` and `ServerErrors` by `Operation`. Beside
//! them the security signals, each by its own dimensions and in total (the empty dimension set,
//! which alarms use): logins, locks, step-ups, failed verifications, refresh-token reuse, SMS
//! and e-mail sent or refused, events published. Security events are counted when their write
//! commits ([`committed`], called by each store adapter where it commits an outbox), so a write
//! that was retried or failed counts once or not at all.
//!
//! Dimension values come from closed sets only (the enums below, an operation's `&'static str`
//! name, a two-letter country): never a user id, e-mail, IP, token, number or request ref, so
//! the metrics stay low-cardinality and carry nothing personal. The catalogue's names are the
//! contract with `template.yaml`'s alarms and dashboard (`scripts/metrics-check.py` checks it).

mod emf;
mod events;
mod request;

pub use emf::{Placed, Request, write_lines};
pub use events::signal_of;
#[cfg(feature = "test-util")]
pub use request::captured;
pub use request::{Scope, current_surface, finish, name_operation, scope};

use crate::domain::events::SecurityEvent;
use crate::domain::lockout::Check;

/// The namespace when the configuration names none (`AUTH_METRICS_NAMESPACE`).
pub const DEFAULT_NAMESPACE: &str = "Auth";

static NAMESPACE: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Sets the namespace of every metric this process writes, once (from the configuration, at
/// start-up); later calls keep the first.
pub fn init(namespace: &str) {
    let _ = NAMESPACE.set(namespace.to_owned());
}

fn namespace() -> &'static str {
    NAMESPACE.get().map_or(DEFAULT_NAMESPACE, String::as_str)
}

/// The catalogue: every metric the service writes. Its names are what the template's alarms
/// and dashboard refer to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    Requests,
    Latency,
    ClientErrors,
    ServerErrors,
    LoginSucceeded,
    LoginFailed,
    AccountLocked,
    StepUpStarted,
    StepUpSucceeded,
    StepUpFailed,
    VerificationFailed,
    RefreshTokenReused,
    SmsSent,
    SmsRefused,
    EmailsSent,
    EventsPublished,
    EventsPublishFailed,
}

impl Metric {
    pub const ALL: [Metric; 17] = [
        Metric::Requests,
        Metric::Latency,
        Metric::ClientErrors,
        Metric::ServerErrors,
        Metric::LoginSucceeded,
        Metric::LoginFailed,
        Metric::AccountLocked,
        Metric::StepUpStarted,
        Metric::StepUpSucceeded,
        Metric::StepUpFailed,
        Metric::VerificationFailed,
        Metric::RefreshTokenReused,
        Metric::SmsSent,
        Metric::SmsRefused,
        Metric::EmailsSent,
        Metric::EventsPublished,
        Metric::EventsPublishFailed,
    ];

    /// Its CloudWatch name.
    pub fn name(self) -> &'static str {
        match self {
            Metric::Requests => "Requests",
            Metric::Latency => "Latency",
            Metric::ClientErrors => "ClientErrors",
            Metric::ServerErrors => "ServerErrors",
            Metric::LoginSucceeded => "LoginSucceeded",
            Metric::LoginFailed => "LoginFailed",
            Metric::AccountLocked => "AccountLocked",
            Metric::StepUpStarted => "StepUpStarted",
            Metric::StepUpSucceeded => "StepUpSucceeded",
            Metric::StepUpFailed => "StepUpFailed",
            Metric::VerificationFailed => "VerificationFailed",
            Metric::RefreshTokenReused => "RefreshTokenReused",
            Metric::SmsSent => "SmsSent",
            Metric::SmsRefused => "SmsRefused",
            Metric::EmailsSent => "EmailsSent",
            Metric::EventsPublished => "EventsPublished",
            Metric::EventsPublishFailed => "EventsPublishFailed",
        }
    }

    /// Its CloudWatch unit.
    pub fn unit(self) -> &'static str {
        match self {
            Metric::Latency => "Milliseconds",
            _ => "Count",
        }
    }
}

/// The surface a login came by (`Surface`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Surface {
    One,
    Two,
    /// The OpenID Connect provider.
    Oidc,
}

/// How a login proved who logs in (`Method`): a password (a reset's new one too), a passkey,
/// an approved push.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Password,
    Passkey,
    Push,
}

/// The channel of a step-up (`Channel`), as its events name it; anything else is `OTHER`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Sms,
    Email,
    Totp,
    Authy,
    Biometric,
    Push,
    Passkey,
    Other,
    RecoveryCode,
}

impl Channel {
    const ALL: [Channel; 9] = [
        Channel::Sms,
        Channel::Email,
        Channel::Totp,
        Channel::Authy,
        Channel::Biometric,
        Channel::Push,
        Channel::Passkey,
        Channel::Other,
        Channel::RecoveryCode,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Channel::Sms => "SMS",
            Channel::Email => "EMAIL",
            Channel::Totp => "TOTP",
            Channel::Authy => "AUTHY",
            Channel::Biometric => "BIOMETRIC",
            Channel::Push => "PUSH",
            Channel::Passkey => "PASSKEY",
            Channel::Other => "OTHER",
            Channel::RecoveryCode => "RECOVERY_CODE",
        }
    }

    /// The channel an event names (any case); `OTHER` for one outside the set.
    pub fn from_name(name: &str) -> Channel {
        Channel::ALL.into_iter().find(|c| c.name().eq_ignore_ascii_case(name)).unwrap_or(Channel::Other)
    }
}

/// Which limit refused (`Budget`): every budget of `app::limits`, the SMS destination check and
/// the resend cooldown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BudgetKind {
    /// An unauthenticated operation's requests per source IP per minute.
    IpPerMinute,
    /// Code sends per account per minute.
    CodesPerAccount,
    SmsPerPhone,
    SmsPerAccount,
    SmsPerIp,
    /// Every SMS of the service in a day.
    SmsGlobal,
    /// Not a mobile number of an allowed country (`AUTH_SMS_COUNTRIES`).
    SmsDestination,
    /// One SMS per account per 15 s, and one code per purpose per 15 s.
    Cooldown,
    EmailPerAddress,
    /// Mail nobody signed in asked for, per IP and address.
    EmailAnonymous,
    EmailNotice,
    PushPerAccount,
    PushLoginPerIp,
    PushLoginPerAddress,
    TotpPerAccount,
    /// Exports of the account's data per account per day.
    ExportPerAccount,
    /// E-mail change codes: per account per day, per IP per hour, per target address per day,
    /// for the whole service per day.
    EmailChangePerAccount,
    EmailChangePerIp,
    EmailChangePerAddress,
    EmailChangeGlobal,
    /// New-device notices per address per day (the notice is dropped, not the login).
    DeviceNotice,
    /// Notices of recovery-code uses per account per day (the notice is dropped, not the use).
    RecoveryNotice,
}

impl BudgetKind {
    pub fn name(self) -> &'static str {
        match self {
            BudgetKind::IpPerMinute => "IP_PER_MINUTE",
            BudgetKind::CodesPerAccount => "CODES_PER_ACCOUNT",
            BudgetKind::SmsPerPhone => "SMS_PER_PHONE",
            BudgetKind::SmsPerAccount => "SMS_PER_ACCOUNT",
            BudgetKind::SmsPerIp => "SMS_PER_IP",
            BudgetKind::SmsGlobal => "SMS_GLOBAL_DAY",
            BudgetKind::SmsDestination => "SMS_DESTINATION_NOT_ALLOWED",
            BudgetKind::Cooldown => "COOLDOWN",
            BudgetKind::EmailPerAddress => "EMAIL_PER_ADDRESS",
            BudgetKind::EmailAnonymous => "EMAIL_ANONYMOUS",
            BudgetKind::EmailNotice => "EMAIL_NOTICE",
            BudgetKind::PushPerAccount => "PUSH_PER_ACCOUNT",
            BudgetKind::PushLoginPerIp => "PUSH_LOGIN_PER_IP",
            BudgetKind::PushLoginPerAddress => "PUSH_LOGIN_PER_ADDRESS",
            BudgetKind::TotpPerAccount => "TOTP_PER_ACCOUNT",
            BudgetKind::ExportPerAccount => "EXPORT_PER_ACCOUNT",
            BudgetKind::EmailChangePerAccount => "EMAIL_CHANGE_PER_ACCOUNT",
            BudgetKind::EmailChangePerIp => "EMAIL_CHANGE_PER_IP",
            BudgetKind::EmailChangePerAddress => "EMAIL_CHANGE_PER_ADDRESS",
            BudgetKind::EmailChangeGlobal => "EMAIL_CHANGE_GLOBAL_DAY",
            BudgetKind::DeviceNotice => "DEVICE_NOTICE",
            BudgetKind::RecoveryNotice => "RECOVERY_NOTICE",
        }
    }
}

/// An ISO 3166 alpha-2 code (`Country`): two upper-case letters, `ZZ` (unknown) otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Country([u8; 2]);

impl Country {
    pub const UNKNOWN: Country = Country(*b"ZZ");

    pub fn new(code: &str) -> Country {
        match code.as_bytes() {
            [a, b] if a.is_ascii_uppercase() && b.is_ascii_uppercase() => Country([*a, *b]),
            _ => Country::UNKNOWN,
        }
    }

    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("ZZ")
    }
}

/// One dimension of a signal: its key is fixed by its kind, its value by a closed set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dim {
    Surface(Surface),
    Method(Method),
    Channel(Channel),
    Check(Check),
    Country(Country),
    Budget(BudgetKind),
}

impl Dim {
    pub fn key(&self) -> &'static str {
        match self {
            Dim::Surface(_) => "Surface",
            Dim::Method(_) => "Method",
            Dim::Channel(_) => "Channel",
            Dim::Check(_) => "Check",
            Dim::Country(_) => "Country",
            Dim::Budget(_) => "Budget",
        }
    }

    pub fn value(&self) -> &str {
        match self {
            Dim::Surface(Surface::One) => "surface1",
            Dim::Surface(Surface::Two) => "surface2",
            Dim::Surface(Surface::Oidc) => "oidc",
            Dim::Method(Method::Password) => "password",
            Dim::Method(Method::Passkey) => "passkey",
            Dim::Method(Method::Push) => "push",
            Dim::Channel(c) => c.name(),
            Dim::Check(c) => c.name(),
            Dim::Country(c) => c.as_str(),
            Dim::Budget(b) => b.name(),
        }
    }
}

/// A count of one metric with its dimensions (at most two; each also counted in total).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Signal {
    pub metric: Metric,
    pub dims: [Option<Dim>; 2],
    pub value: u32,
}

impl Signal {
    pub fn new(metric: Metric) -> Self {
        Signal { metric, dims: [None, None], value: 1 }
    }

    pub fn by(mut self, dim: Dim) -> Self {
        if let Some(slot) = self.dims.iter_mut().find(|d| d.is_none()) {
            *slot = Some(dim);
        }
        self
    }

    pub fn times(mut self, value: u32) -> Self {
        self.value = value;
        self
    }

    /// Its dimension keys, which make its dimension set.
    pub fn keys(&self) -> [Option<&'static str>; 2] {
        self.dims.map(|d| d.map(|d| d.key()))
    }
}

/// Counts a signal: into the request's line when it happens during a request, otherwise in a
/// line of its own, at once.
pub fn record(signal: Signal) {
    if !request::collect(signal) {
        write_now(&[signal]);
    }
}

/// Counts the security events a store write has just committed (each adapter calls it where
/// it commits an outbox, after the write succeeded).
pub fn committed(events: &[SecurityEvent]) {
    for e in events {
        if let Some(signal) = signal_of(e, current_surface()) {
            record(signal);
        }
    }
}

/// An SMS went out to a number of `country`.
pub fn sms_sent(country: Country) {
    record(Signal::new(Metric::SmsSent).by(Dim::Country(country)));
}

/// An SMS was not sent: `by` refused it.
pub fn sms_refused(by: BudgetKind) {
    record(Signal::new(Metric::SmsRefused).by(Dim::Budget(by)));
}

/// An e-mail went out.
pub fn email_sent() {
    record(Signal::new(Metric::EmailsSent));
}

/// Writes `signals` now, in lines of their own (outside any request: the stream consumer).
pub fn write_now(signals: &[Signal]) {
    let mut placed: Vec<Placed> = Vec::with_capacity(signals.len());
    for s in signals {
        emf::place(&mut placed, *s);
    }
    let mut out = Vec::with_capacity(512);
    write_lines(&mut out, namespace(), now_ms(), None, &placed);
    request::emit(&out);
}

fn now_ms() -> u64 {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
}
