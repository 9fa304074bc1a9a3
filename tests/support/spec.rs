//! `openapi.yaml` as the judge of every answer a test receives through the router: each is
//! checked against the spec's schema for its operation and status, and an answer the spec
//! does not describe (an unknown status, a body of another shape, a value outside an enum)
//! fails the test that received it. Clients are generated from the spec; what it does not say,
//! they cannot read.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use serde_json::{Map, Value};
use yaml_rust2::Yaml;

fn to_json(y: &Yaml) -> Value {
    match y {
        Yaml::Real(r) => r.parse::<f64>().map(Value::from).unwrap_or(Value::Null),
        Yaml::Integer(i) => Value::from(*i),
        Yaml::String(s) => Value::from(s.clone()),
        Yaml::Boolean(b) => Value::from(*b),
        Yaml::Array(a) => Value::Array(a.iter().map(to_json).collect()),
        Yaml::Hash(h) => {
            let mut m = Map::new();
            for (k, v) in h {
                let key = match k {
                    Yaml::String(s) => s.clone(),
                    Yaml::Integer(i) => i.to_string(),
                    Yaml::Boolean(b) => b.to_string(),
                    Yaml::Real(r) => r.clone(),
                    other => format!("{other:?}"),
                };
                m.insert(key, to_json(v));
            }
            Value::Object(m)
        }
        _ => Value::Null,
    }
}

/// The spec, as JSON.
pub fn spec() -> &'static Value {
    static SPEC: OnceLock<Value> = OnceLock::new();
    SPEC.get_or_init(|| {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../openapi.yaml");
        let text = std::fs::read_to_string(path).expect("openapi.yaml");
        let docs = yaml_rust2::YamlLoader::load_from_str(&text).expect("openapi.yaml parses");
        to_json(&docs[0])
    })
}

fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

/// The route template (`/authentication_factors/push/{channel}`) that serves `path`.
fn template_of(method: &str, path: &str) -> Option<&'static str> {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    shared::api::routes::routes()
        .into_iter()
        .find(|r| {
            let pattern: Vec<&str> = r.path.trim_matches('/').split('/').collect();
            r.method.as_str() == method
                && pattern.len() == segments.len()
                && pattern.iter().zip(&segments).all(|(p, s)| p == s || (p.starts_with('{') && !s.is_empty()))
        })
        .map(|r| r.path)
}

/// Checks one answer; `Err` says what the spec does not describe. Paths no route serves (the
/// edge's 404s and 405s) are not operations of the spec and are not judged here.
pub fn check(method: &str, path: &str, status: u16, body: &Value) -> Result<(), String> {
    let Some(template) = template_of(method, path.split('?').next().unwrap_or(path)) else { return Ok(()) };
    let spec = spec();
    let op_pointer = format!("/paths/{}/{}", escape(template), method.to_ascii_lowercase());
    let op = spec.pointer(&op_pointer).ok_or_else(|| format!("{method} {template} is not in the spec"))?;
    let status_key = status.to_string();
    let (mut response_pointer, mut response) = match op["responses"].get(&status_key) {
        Some(r) => (format!("{op_pointer}/responses/{status_key}"), r),
        None => match op["responses"].get("default") {
            Some(r) => (format!("{op_pointer}/responses/default"), r),
            None => return Err(format!("{method} {template}: status {status} is not described: {body}")),
        },
    };
    if let Some(reference) = response.get("$ref").and_then(Value::as_str) {
        response_pointer = reference.trim_start_matches('#').to_owned();
        response = spec.pointer(&response_pointer).ok_or_else(|| format!("dangling {reference}"))?;
    }
    if response.pointer("/content/application~1json/schema").is_none() {
        return if body.is_null() {
            Ok(())
        } else {
            Err(format!("{method} {template} {status}: the spec describes no body, the answer has {body}"))
        };
    }
    let schema_pointer = format!("{response_pointer}/content/application~1json/schema");
    static VALIDATORS: OnceLock<Mutex<HashMap<String, std::sync::Arc<jsonschema::Validator>>>> = OnceLock::new();
    let validator = {
        let mut cache = VALIDATORS.get_or_init(Default::default).lock().unwrap();
        if let Some(v) = cache.get(&schema_pointer) {
            std::sync::Arc::clone(v)
        } else {
            let mut root = spec.clone();
            // A URI fragment: the pointer's braces (route parameters) percent-encoded.
            let fragment = schema_pointer.replace('{', "%7B").replace('}', "%7D");
            root["$ref"] = Value::from(format!("#{fragment}"));
            let built = jsonschema::options()
                .with_draft(jsonschema::Draft::Draft202012)
                .build(&root)
                .map_err(|e| format!("the schema at {schema_pointer} does not compile: {e}"))?;
            let built = std::sync::Arc::new(built);
            cache.insert(schema_pointer.clone(), std::sync::Arc::clone(&built));
            built
        }
    };
    let errors: Vec<String> = validator.iter_errors(body).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(format!("{method} {template} {status}: the answer is not what the spec describes: {errors:?}\n{body}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The judge fails an answer the spec does not describe: a status it lists for no
    /// operation, a field it does not allow, a value outside an enum.
    #[test]
    fn an_unspecified_answer_fails() {
        let ok = serde_json::json!({"factors": [{"type": "OTP", "channel": "SMS", "status": "ACTIVE"}]});
        assert_eq!(check("GET", "/authentication_factors", 200, &ok), Ok(()));
        let unknown_value = serde_json::json!({"factors": [{"type": "OTP", "channel": "FAX", "status": "ACTIVE"}]});
        assert!(check("GET", "/authentication_factors", 200, &unknown_value).is_err());
        let extra_field =
            serde_json::json!({"factors": [{"type": "OTP", "channel": "SMS", "status": "ACTIVE", "x": 1}]});
        assert!(check("GET", "/authentication_factors", 200, &extra_field).is_err());
        assert!(check("GET", "/authentication_factors", 418, &serde_json::Value::Null).is_err(), "an unlisted status");
        assert!(
            check("POST", "/logout", 204, &serde_json::json!({"a": "body"})).is_err(),
            "a body where none is described"
        );
    }
}
