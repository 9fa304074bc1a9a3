//! The lines themselves, in the embedded metric format: a JSON object per line whose `_aws`
//! member tells CloudWatch Logs which top-level members are metrics (by name, with a unit) and
//! which are their dimensions. Serialized straight from borrowed data into one buffer (no JSON
//! tree is built): the request's line is on every request's path.
//!
//! A line holds one value per member, so one value per dimension key: signals of one request
//! that need two values of a key (two channels, say) go in a second line, as does a second
//! count of a metric under other dimensions.

use serde::Serialize;
use serde::ser::{SerializeMap, SerializeSeq, Serializer};

use super::{Metric, Signal};

/// The request's own metrics, by `Operation`.
const REQUEST_METRICS: [Metric; 4] = [Metric::Requests, Metric::Latency, Metric::ClientErrors, Metric::ServerErrors];

/// A signal and the line it goes in (0: the request's own line).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placed {
    pub signal: Signal,
    pub line: u8,
}

/// Adds `signal` to `placed`: summed into an equal one (same metric, same dimensions),
/// otherwise in the first line that holds neither its metric nor another value of one of its
/// dimension keys.
pub fn place(placed: &mut Vec<Placed>, signal: Signal) {
    if let Some(p) = placed.iter_mut().find(|p| p.signal.metric == signal.metric && p.signal.dims == signal.dims) {
        p.signal.value = p.signal.value.saturating_add(signal.value);
        return;
    }
    let fits = |line: u8| placed.iter().filter(|p| p.line == line).all(|p| compatible(&p.signal, &signal));
    let line = (0..=u8::MAX).find(|l| fits(*l)).unwrap_or(u8::MAX);
    placed.push(Placed { signal, line });
}

fn compatible(a: &Signal, b: &Signal) -> bool {
    a.metric != b.metric
        && a.dims.iter().flatten().all(|x| b.dims.iter().flatten().all(|y| x.key() != y.key() || x == y))
}

/// What the request's line reports besides signals: the fields of the log line it replaces.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The route's function name (`login-with-password`), or `route` when no route took it.
    pub operation: &'a str,
    pub request_ref: &'a str,
    pub status: u16,
    pub elapsed_us: u64,
}

/// Appends to `out` the lines of a request (`request`, with the signals it recorded) or, with
/// `request` `None`, of signals alone: one JSON object and a newline each, the request's line
/// first. Nothing for no request and no signals.
pub fn write_lines(
    out: &mut Vec<u8>,
    namespace: &str,
    timestamp_ms: u64,
    request: Option<&Request<'_>>,
    placed: &[Placed],
) {
    let Some(last) = placed.iter().map(|p| p.line).max().or(request.map(|_| 0)) else { return };
    for line in 0..=last {
        let start = out.len();
        let doc = Line { namespace, timestamp_ms, request, line, placed };
        match serde_json::to_writer(&mut *out, &doc) {
            Ok(()) => out.push(b'\n'),
            // Nothing half-written is left behind.
            Err(_) => out.truncate(start),
        }
    }
}

struct Line<'a> {
    namespace: &'a str,
    timestamp_ms: u64,
    request: Option<&'a Request<'a>>,
    line: u8,
    placed: &'a [Placed],
}

impl<'a> Line<'a> {
    /// The request whose own metrics this line carries (its first line only).
    fn head(&self) -> Option<&'a Request<'a>> {
        self.request.filter(|_| self.line == 0)
    }

    fn signals(&self) -> impl Iterator<Item = &'a Signal> + 'a {
        let line = self.line;
        self.placed.iter().filter(move |p| p.line == line).map(|p| &p.signal)
    }
}

impl Serialize for Line<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("level", "INFO")?;
        map.serialize_entry("message", if self.head().is_some() { "handled" } else { "metrics" })?;
        if let Some(r) = self.request {
            map.serialize_entry("operation", r.operation)?;
            if self.head().is_some() {
                map.serialize_entry("status", &r.status)?;
                map.serialize_entry("elapsed_us", &r.elapsed_us)?;
            }
            map.serialize_entry("request_ref", r.request_ref)?;
        }
        map.serialize_entry("_aws", &Metadata(self))?;
        if let Some(r) = self.head() {
            map.serialize_entry("Operation", r.operation)?;
            map.serialize_entry(Metric::Requests.name(), &1)?;
            map.serialize_entry(Metric::Latency.name(), &(r.elapsed_us as f64 / 1000.0))?;
            map.serialize_entry(Metric::ClientErrors.name(), &u8::from((400..500).contains(&r.status)))?;
            map.serialize_entry(Metric::ServerErrors.name(), &u8::from(r.status >= 500))?;
        }
        // Each dimension key once (its signals agree on the value: see `place`); there are six.
        let (mut seen, mut count) = ([""; 6], 0);
        for d in self.signals().flat_map(|s| s.dims.iter().flatten()) {
            if seen[..count].contains(&d.key()) {
                continue;
            }
            if let Some(slot) = seen.get_mut(count) {
                *slot = d.key();
                count += 1;
            }
            map.serialize_entry(d.key(), d.value())?;
        }
        for signal in self.signals() {
            map.serialize_entry(signal.metric.name(), &signal.value)?;
        }
        map.end()
    }
}

/// `_aws`: when, and the directives (one per dimension set).
struct Metadata<'a>(&'a Line<'a>);

impl Serialize for Metadata<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(2))?;
        map.serialize_entry("Timestamp", &self.0.timestamp_ms)?;
        map.serialize_entry("CloudWatchMetrics", &Directives(self.0))?;
        map.end()
    }
}

struct Directives<'a>(&'a Line<'a>);

impl Serialize for Directives<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let line = self.0;
        let mut seq = s.serialize_seq(None)?;
        if line.head().is_some() {
            seq.serialize_element(&Directive { line, keys: Keys::Operation })?;
        }
        for (i, signal) in line.signals().enumerate() {
            let keys = signal.keys();
            if line.signals().take(i).all(|earlier| earlier.keys() != keys) {
                seq.serialize_element(&Directive { line, keys: Keys::Signal(keys) })?;
            }
        }
        seq.end()
    }
}

/// Whose dimension set a directive declares.
#[derive(Clone, Copy)]
enum Keys {
    /// The request's: `[["Operation"]]`.
    Operation,
    /// A signal's keys, with the total beside: `[[keys...], []]`, or `[[]]` without keys.
    Signal([Option<&'static str>; 2]),
}

struct Directive<'a> {
    line: &'a Line<'a>,
    keys: Keys,
}

impl Serialize for Directive<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(3))?;
        map.serialize_entry("Namespace", self.line.namespace)?;
        map.serialize_entry("Dimensions", &DimensionSets(self.keys))?;
        map.serialize_entry("Metrics", &Definitions(self))?;
        map.end()
    }
}

struct DimensionSets(Keys);

impl Serialize for DimensionSets {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Keys::Operation => [["Operation"]].serialize(s),
            Keys::Signal([None, None]) => [[(); 0]].serialize(s),
            Keys::Signal(keys) => {
                let named: &[Option<&str>] = &keys;
                let mut seq = s.serialize_seq(Some(2))?;
                seq.serialize_element(&KeyList(named))?;
                seq.serialize_element(&[(); 0])?;
                seq.end()
            }
        }
    }
}

struct KeyList<'a>(&'a [Option<&'a str>]);

impl Serialize for KeyList<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().flatten())
    }
}

struct Definitions<'a>(&'a Directive<'a>);

#[derive(Serialize)]
struct Definition {
    #[serde(rename = "Name")]
    name: &'static str,
    #[serde(rename = "Unit")]
    unit: &'static str,
}

impl Serialize for Definitions<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let definition = |m: Metric| Definition { name: m.name(), unit: m.unit() };
        match self.0.keys {
            Keys::Operation => s.collect_seq(REQUEST_METRICS.map(definition)),
            Keys::Signal(keys) => {
                s.collect_seq(self.0.line.signals().filter(|g| g.keys() == keys).map(|g| definition(g.metric)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::{BudgetKind, Channel, Country, Dim, Method, Surface};
    use serde_json::{Value, json};

    const UNITS: [&str; 2] = ["Count", "Milliseconds"];

    fn lines(request: Option<&Request<'_>>, signals: &[Signal]) -> Vec<Value> {
        let mut placed = Vec::new();
        for s in signals {
            place(&mut placed, *s);
        }
        let mut out = Vec::new();
        write_lines(&mut out, "auth-test", 1_700_000_000_123, request, &placed);
        let text = String::from_utf8(out).unwrap();
        assert!(text.is_empty() || text.ends_with('\n'));
        text.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
    }

    /// What CloudWatch requires of a line (the specification's MUSTs that apply to it).
    fn assert_valid_emf(line: &Value) {
        let aws = &line["_aws"];
        assert!(aws["Timestamp"].is_u64(), "{line}");
        for directive in aws["CloudWatchMetrics"].as_array().unwrap() {
            assert_eq!(directive["Namespace"], "auth-test");
            for set in directive["Dimensions"].as_array().unwrap() {
                let keys = set.as_array().unwrap();
                assert!(keys.len() <= 30);
                for key in keys {
                    assert!(line[key.as_str().unwrap()].is_string(), "dimension {key} is not a member: {line}");
                }
            }
            let metrics = directive["Metrics"].as_array().unwrap();
            assert!(!metrics.is_empty() && metrics.len() <= 100);
            for m in metrics {
                assert!(UNITS.contains(&m["Unit"].as_str().unwrap()), "{m}");
                assert!(line[m["Name"].as_str().unwrap()].is_number(), "metric {m} is not a member: {line}");
            }
        }
    }

    fn login(metric: Metric, surface: Surface, method: Method) -> Signal {
        Signal::new(metric).by(Dim::Surface(surface)).by(Dim::Method(method))
    }

    #[test]
    fn a_request_line_keeps_the_log_fields_and_adds_its_metrics_by_operation() {
        let r = Request { operation: "list-identities", request_ref: "r3f", status: 404, elapsed_us: 1_250 };
        let out = lines(Some(&r), &[]);
        assert_eq!(out.len(), 1);
        let line = &out[0];
        assert_valid_emf(line);
        assert_eq!(
            (&line["level"], &line["message"], &line["operation"], &line["status"], &line["elapsed_us"]),
            (&json!("INFO"), &json!("handled"), &json!("list-identities"), &json!(404), &json!(1250))
        );
        assert_eq!(line["request_ref"], "r3f");
        assert_eq!(line["_aws"]["Timestamp"], 1_700_000_000_123u64);
        assert_eq!(
            line["_aws"]["CloudWatchMetrics"],
            json!([{"Namespace": "auth-test", "Dimensions": [["Operation"]], "Metrics": [
                {"Name": "Requests", "Unit": "Count"}, {"Name": "Latency", "Unit": "Milliseconds"},
                {"Name": "ClientErrors", "Unit": "Count"}, {"Name": "ServerErrors", "Unit": "Count"}]}])
        );
        assert_eq!(
            (&line["Operation"], &line["Requests"], &line["Latency"]),
            (&json!("list-identities"), &json!(1), &json!(1.25))
        );
        assert_eq!((&line["ClientErrors"], &line["ServerErrors"]), (&json!(1), &json!(0)));
        let failed = Request { status: 503, ..r };
        let line = &lines(Some(&failed), &[])[0];
        assert_eq!((&line["ClientErrors"], &line["ServerErrors"]), (&json!(0), &json!(1)));
    }

    #[test]
    fn signals_go_in_the_request_line_by_their_dimensions_and_in_total() {
        let r = Request { operation: "login-with-password", request_ref: "x", status: 423, elapsed_us: 9 };
        let signals = [login(Metric::LoginFailed, Surface::One, Method::Password), Signal::new(Metric::AccountLocked)];
        let out = lines(Some(&r), &signals);
        assert_eq!(out.len(), 1, "{out:?}");
        let line = &out[0];
        assert_valid_emf(line);
        let directives = line["_aws"]["CloudWatchMetrics"].as_array().unwrap();
        assert_eq!(directives[1]["Dimensions"], json!([["Surface", "Method"], []]));
        assert_eq!(directives[1]["Metrics"], json!([{"Name": "LoginFailed", "Unit": "Count"}]));
        assert_eq!(directives[2]["Dimensions"], json!([[]]));
        assert_eq!(directives[2]["Metrics"], json!([{"Name": "AccountLocked", "Unit": "Count"}]));
        assert_eq!((&line["Surface"], &line["Method"]), (&json!("surface1"), &json!("password")));
        assert_eq!((&line["LoginFailed"], &line["AccountLocked"]), (&json!(1), &json!(1)));
    }

    #[test]
    fn the_same_signal_twice_is_summed_and_a_second_value_of_a_key_takes_a_second_line() {
        let r = Request { operation: "stepup-otp", request_ref: "ref", status: 204, elapsed_us: 3 };
        let sms = Signal::new(Metric::StepUpStarted).by(Dim::Channel(Channel::Sms));
        let email = Signal::new(Metric::StepUpFailed).by(Dim::Channel(Channel::Email));
        let sent = Signal::new(Metric::SmsSent).by(Dim::Country(Country::new("GB")));
        let sent_es = Signal::new(Metric::SmsSent).by(Dim::Country(Country::new("ES")));
        let out = lines(Some(&r), &[sms, sms, email, sent, sent_es, sent]);
        assert_eq!(out.len(), 2, "{out:?}");
        for line in &out {
            assert_valid_emf(line);
            assert_eq!((&line["operation"], &line["request_ref"]), (&json!("stepup-otp"), &json!("ref")));
        }
        let (first, second) = (&out[0], &out[1]);
        assert_eq!(
            (&first["Channel"], &first["StepUpStarted"], &first["Country"], &first["SmsSent"]),
            (&json!("SMS"), &json!(2), &json!("GB"), &json!(2))
        );
        assert_eq!(first["Requests"], 1);
        // The later signals whose key already has another value: a line of their own, which
        // counts no request again.
        assert_eq!(
            (&second["message"], &second["Channel"], &second["StepUpFailed"]),
            (&json!("metrics"), &json!("EMAIL"), &json!(1))
        );
        assert_eq!((&second["Country"], &second["SmsSent"]), (&json!("ES"), &json!(1)));
        assert!(
            second.get("Requests").is_none() && second.get("Operation").is_none() && second.get("status").is_none()
        );
    }

    #[test]
    fn signals_outside_a_request_make_lines_of_their_own_and_nothing_makes_none() {
        assert!(lines(None, &[]).is_empty());
        let refused = Signal::new(Metric::SmsRefused).by(Dim::Budget(BudgetKind::SmsPerIp));
        let out = lines(None, &[refused, Signal::new(Metric::EventsPublished).times(0)]);
        assert_eq!(out.len(), 1);
        assert_valid_emf(&out[0]);
        assert_eq!(
            (&out[0]["message"], &out[0]["Budget"], &out[0]["EventsPublished"]),
            (&json!("metrics"), &json!("SMS_PER_IP"), &json!(0))
        );
        assert!(out[0].get("operation").is_none());
    }

    #[test]
    fn the_catalogue_names_and_units_are_cloudwatch_s() {
        for m in Metric::ALL {
            assert!(UNITS.contains(&m.unit()));
            assert!(!m.name().is_empty() && m.name().chars().all(|c| c.is_ascii_alphanumeric()));
        }
        assert_eq!(Country::new("gb"), Country::UNKNOWN);
        assert_eq!(Country::new("+44"), Country::UNKNOWN);
        assert_eq!(Country::new("GB").as_str(), "GB");
    }
}
