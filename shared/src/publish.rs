//! Publishing security events to EventBridge, from the table's stream: the other half of the
//! outbox. Each event item the store commits (`EVENT#…`, see [`crate::domain::events`])
//! reaches `functions/publish-events` as a stream record; this puts it on the stack's bus, at
//! least once: a record that could not be put is reported back (a batch item failure), so the
//! stream delivers it again from there, and the event's own `id` lets consumers drop the
//! duplicates that retries make. What keeps failing ends in the dead-letter queue (template).

use async_trait::async_trait;
use serde_json::{Map, Value, json};

use crate::domain::error::BoxError;
use crate::domain::events::SecurityEvent;
use crate::metrics::{Metric, Signal};

/// The `source` of every event this service puts on the bus.
pub const SOURCE: &str = "auth-service";

/// Where events go.
#[async_trait]
pub trait EventSink: Send + Sync {
    /// Puts `events` (at most 10); per event, whether it was accepted.
    async fn put(&self, events: &[SecurityEvent]) -> Result<Vec<bool>, BoxError>;
}

/// The stack's EventBridge bus.
pub struct EventBridgeSink {
    client: aws_sdk_eventbridge::Client,
    bus: String,
}

impl EventBridgeSink {
    pub fn new(client: aws_sdk_eventbridge::Client, bus: impl Into<String>) -> Self {
        EventBridgeSink { client, bus: bus.into() }
    }

    /// The bus named by `AUTH_EVENT_BUS_NAME`, with the SDK's own configuration.
    pub async fn from_env() -> Result<Self, BoxError> {
        let bus = std::env::var("AUTH_EVENT_BUS_NAME").map_err(|_| "AUTH_EVENT_BUS_NAME is not set")?;
        let config = crate::aws::sdk_config().await;
        Ok(EventBridgeSink::new(aws_sdk_eventbridge::Client::new(&config), bus))
    }
}

#[async_trait]
impl EventSink for EventBridgeSink {
    async fn put(&self, events: &[SecurityEvent]) -> Result<Vec<bool>, BoxError> {
        let mut request = self.client.put_events();
        for e in events {
            let entry = aws_sdk_eventbridge::types::PutEventsRequestEntry::builder()
                .event_bus_name(&self.bus)
                .source(SOURCE)
                .detail_type(e.kind.name())
                .detail(serde_json::to_string(e)?)
                .build();
            request = request.entries(entry);
        }
        let out = request.send().await?;
        // One result per entry, in order; an entry with an error code was not put.
        Ok(out.entries().iter().map(|r| r.error_code().is_none()).collect())
    }
}

/// The events of a DynamoDB stream batch (the Lambda event), each with its record's sequence
/// number. Records that are no new event item are skipped; one that does not decode is an
/// error (it would never publish: it belongs in the dead-letter queue, with its cause).
pub fn events_of(batch: &Value) -> Result<Vec<(String, SecurityEvent)>, BoxError> {
    let mut out = Vec::new();
    for record in batch.get("Records").and_then(Value::as_array).into_iter().flatten() {
        let inserted = record.get("eventName").and_then(Value::as_str) == Some("INSERT");
        let image = &record["dynamodb"]["NewImage"];
        let sk = image["SK"]["S"].as_str().unwrap_or_default();
        if !inserted || !sk.starts_with("EVENT#") {
            continue;
        }
        let sequence = record["dynamodb"]["SequenceNumber"].as_str().ok_or("a record without a sequence number")?;
        let mut item = plain(image).ok_or("an event item that is not a DynamoDB image")?;
        if let Value::Object(fields) = &mut item {
            for key in ["PK", "SK", crate::store::dynamo::TTL_ATTRIBUTE] {
                fields.remove(key);
            }
        }
        let event: SecurityEvent = serde_json::from_value(item)?;
        // A decoy's (an unknown e-mail's failed login, written for its timing alone).
        if crate::domain::events::is_decoy(&event.user_id) {
            continue;
        }
        out.push((sequence.to_owned(), event));
    }
    Ok(out)
}

/// A DynamoDB attribute value in the stream's JSON (`{"S": "x"}`, `{"M": {...}}`, ...) as plain
/// JSON; an item (a map of attribute values) likewise.
fn plain(v: &Value) -> Option<Value> {
    let Value::Object(map) = v else { return None };
    if map.len() == 1 {
        let (tag, inner) = map.iter().next()?;
        let converted = match tag.as_str() {
            "S" => Some(inner.clone()),
            "N" => inner.as_str().and_then(|n| serde_json::from_str::<Value>(n).ok()),
            "BOOL" => inner.as_bool().map(Value::Bool),
            "NULL" => Some(Value::Null),
            "M" => plain_map(inner),
            "L" => inner.as_array().map(|l| l.iter().filter_map(plain).collect()),
            "SS" => Some(inner.clone()),
            "NS" => inner.as_array().map(|l| {
                l.iter().filter_map(|n| n.as_str().and_then(|n| serde_json::from_str::<Value>(n).ok())).collect()
            }),
            _ => None,
        };
        if converted.is_some() {
            return converted;
        }
    }
    plain_map(v)
}

fn plain_map(v: &Value) -> Option<Value> {
    let Value::Object(map) = v else { return None };
    let mut out = Map::new();
    for (k, attr) in map {
        out.insert(k.clone(), plain(attr)?);
    }
    Some(Value::Object(out))
}

/// Handles one stream batch: puts its events in order, ten at a time, and answers the
/// partial-batch response: the sequence number of the first record not put (the stream
/// retries from there; later records, put or not, come again too).
pub async fn handle(sink: &dyn EventSink, batch: &Value) -> Result<Value, BoxError> {
    let events = events_of(batch)?;
    let mut first_failed: Option<&str> = None;
    // What the bus accepted, and what it refused (or could not be reached for).
    let (mut published, mut refused) = (0u32, 0u32);
    for chunk in events.chunks(10) {
        let items: Vec<SecurityEvent> = chunk.iter().map(|(_, e)| e.clone()).collect();
        let accepted = match sink.put(&items).await {
            Ok(accepted) => accepted,
            Err(e) => {
                tracing::warn!(error = %crate::domain::error::chain(e.as_ref()), "putting events failed");
                vec![false; items.len()]
            }
        };
        let oks: Vec<bool> = accepted.iter().copied().chain(std::iter::repeat(false)).take(chunk.len()).collect();
        published += oks.iter().filter(|ok| **ok).count() as u32;
        refused += oks.iter().filter(|ok| !**ok).count() as u32;
        if let Some(at) = oks.iter().position(|ok| !ok) {
            first_failed = Some(chunk[at].0.as_str());
            break;
        }
    }
    let failures: Vec<Value> = first_failed.map(|seq| json!({ "itemIdentifier": seq })).into_iter().collect();
    tracing::info!(events = events.len(), failed = failures.len(), "events published");
    crate::metrics::write_now(&[
        Signal::new(Metric::EventsPublished).times(published),
        Signal::new(Metric::EventsPublishFailed).times(refused),
    ]);
    Ok(json!({ "batchItemFailures": failures }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::events::EventType;
    use std::sync::Mutex;

    fn record(seq: &str, id: &str) -> Value {
        json!({
            "eventName": "INSERT",
            "dynamodb": {
                "SequenceNumber": seq,
                "NewImage": {
                    "PK": {"S": "USER#1"},
                    "SK": {"S": format!("EVENT#000000000100#{id}")},
                    "expiresAt": {"N": "7776100"},
                    "id": {"S": id},
                    "type": {"S": "LOGIN_SUCCEEDED"},
                    "at": {"N": "100"},
                    "userId": {"S": "1"},
                    "sessionId": {"S": "1.abc"},
                    "origin": {"M": {"userAgent": {"S": "ua"}, "sourceIp": {"S": "203.0.113.1"}}},
                    "details": {"M": {"surface": {"N": "1"}}}
                }
            }
        })
    }

    struct Flaky {
        fail_from: usize,
        seen: Mutex<Vec<String>>,
    }

    #[async_trait]
    impl EventSink for Flaky {
        async fn put(&self, events: &[SecurityEvent]) -> Result<Vec<bool>, BoxError> {
            let mut seen = self.seen.lock().map_err(|_| "poisoned")?;
            let mut out = Vec::new();
            for e in events {
                let ok = seen.len() < self.fail_from;
                if ok {
                    seen.push(e.id.clone());
                }
                out.push(ok);
            }
            Ok(out)
        }
    }

    #[test]
    fn a_stream_record_decodes_into_its_event_and_other_records_are_skipped() {
        let batch = json!({"Records": [
            record("1", "a"),
            {"eventName": "MODIFY", "dynamodb": {"SequenceNumber": "2", "NewImage": {"SK": {"S": "EVENT#x"}}}},
            {"eventName": "INSERT", "dynamodb": {"SequenceNumber": "3", "NewImage": {"SK": {"S": "SESSION#x"}}}},
        ]});
        let events = events_of(&batch).unwrap();
        assert_eq!(events.len(), 1);
        let (seq, e) = &events[0];
        assert_eq!((seq.as_str(), e.id.as_str(), e.kind, e.at), ("1", "a", EventType::LoginSucceeded, 100));
        assert_eq!(e.origin.as_ref().unwrap().source_ip, "203.0.113.1");
        assert_eq!(e.details["surface"], 1);
    }

    #[tokio::test]
    async fn a_failed_put_is_reported_from_its_record_and_retried_without_new_ids() {
        let batch =
            json!({"Records": (0..25).map(|i| record(&format!("{i:03}"), &format!("e{i}"))).collect::<Vec<_>>()});
        let sink = Flaky { fail_from: 13, seen: Mutex::new(Vec::new()) };
        let answer = handle(&sink, &batch).await.unwrap();
        assert_eq!(answer["batchItemFailures"], json!([{"itemIdentifier": "013"}]), "{answer}");
        // The stream delivers again from the failed record; the sink works again.
        let retry =
            json!({"Records": (13..25).map(|i| record(&format!("{i:03}"), &format!("e{i}"))).collect::<Vec<_>>()});
        let sink2 = Flaky { fail_from: usize::MAX, seen: Mutex::new(sink.seen.lock().unwrap().clone()) };
        assert_eq!(handle(&sink2, &retry).await.unwrap()["batchItemFailures"], json!([]));
        let seen = sink2.seen.lock().unwrap().clone();
        let want: Vec<String> = (0..25).map(|i| format!("e{i}")).collect();
        assert_eq!(seen, want, "every event once, in order, with its own id");
    }

    /// Each batch writes its own metric line: what the bus took and what it refused.
    #[tokio::test]
    async fn each_batch_writes_what_was_published_and_what_failed_as_metrics() {
        let batch =
            json!({"Records": (0..25).map(|i| record(&format!("{i:03}"), &format!("e{i}"))).collect::<Vec<_>>()});
        let sink = Flaky { fail_from: 13, seen: Mutex::new(Vec::new()) };
        let (answer, lines) = crate::metrics::captured(handle(&sink, &batch)).await;
        assert_eq!(answer.unwrap()["batchItemFailures"], json!([{"itemIdentifier": "013"}]));
        assert_eq!(lines.len(), 1, "{lines:?}");
        let line = &lines[0];
        assert_eq!((line["EventsPublished"].as_u64(), line["EventsPublishFailed"].as_u64()), (Some(13), Some(7)));
        let directive = &line["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(directive["Dimensions"], json!([[]]));
        let names: Vec<&str> =
            directive["Metrics"].as_array().unwrap().iter().map(|m| m["Name"].as_str().unwrap()).collect();
        assert_eq!(names, ["EventsPublished", "EventsPublishFailed"]);
        assert!(line["_aws"]["Timestamp"].as_u64().unwrap() > 1_600_000_000_000);
        let sink = Flaky { fail_from: usize::MAX, seen: Mutex::new(Vec::new()) };
        let (_, lines) = crate::metrics::captured(handle(&sink, &batch)).await;
        assert_eq!(
            (lines[0]["EventsPublished"].as_u64(), lines[0]["EventsPublishFailed"].as_u64()),
            (Some(25), Some(0))
        );
    }
}
