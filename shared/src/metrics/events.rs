//! Which committed security event counts as which signal, with which dimensions: one pure
//! function, so the catalogue's meaning is in one place and tested. An event's details give
//! the dimension values, read into closed sets (an unexpected value becomes `OTHER` or is left
//! out, never copied). A decoy's events (an unknown e-mail's failed login) count like any
//! other: credential stuffing is mostly unknown e-mails.

use serde_json::Value;

use super::{Channel, Dim, Method, Metric, Signal, Surface};
use crate::domain::events::{EventType, SecurityEvent};
use crate::domain::lockout::Check;

/// The signal `event` counts as, if any. `request_surface`: the surface of the route whose
/// request committed it, for a login event whose details do not name one (a failed login's).
pub fn signal_of(event: &SecurityEvent, request_surface: Option<Surface>) -> Option<Signal> {
    let text = |key: &str| event.details.get(key).and_then(Value::as_str);
    let signal = match event.kind {
        EventType::LoginSucceeded | EventType::LoginFailed => {
            let metric =
                if event.kind == EventType::LoginSucceeded { Metric::LoginSucceeded } else { Metric::LoginFailed };
            let surface = match event.details.get("surface").and_then(Value::as_u64) {
                Some(1) => Some(Surface::One),
                Some(2) => Some(Surface::Two),
                _ => request_surface,
            };
            let method = match (text("method"), text("check")) {
                (Some("PASSKEY"), _) | (None, Some("LOGIN_PASSKEY")) => Method::Passkey,
                (Some("PUSH"), _) => Method::Push,
                // No method named, or a reset's new password: a password login.
                _ => Method::Password,
            };
            match surface {
                Some(surface) => Signal::new(metric).by(Dim::Surface(surface)).by(Dim::Method(method)),
                // Outside any route (no such login exists today): the total only.
                None => Signal::new(metric),
            }
        }
        EventType::AccountLocked => Signal::new(Metric::AccountLocked),
        EventType::StepUpStarted | EventType::StepUpSucceeded | EventType::StepUpFailed => {
            let metric = match event.kind {
                EventType::StepUpStarted => Metric::StepUpStarted,
                EventType::StepUpSucceeded => Metric::StepUpSucceeded,
                _ => Metric::StepUpFailed,
            };
            Signal::new(metric).by(Dim::Channel(text("channel").map_or(Channel::Other, Channel::from_name)))
        }
        EventType::VerificationFailed => match text("check").and_then(Check::from_name) {
            Some(check) => Signal::new(Metric::VerificationFailed).by(Dim::Check(check)),
            None => Signal::new(Metric::VerificationFailed),
        },
        EventType::RefreshTokenReused => Signal::new(Metric::RefreshTokenReused),
        _ => return None,
    };
    Some(signal)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::events::decoy_user_id;

    fn event(kind: EventType) -> SecurityEvent {
        SecurityEvent::new("id".into(), kind, 0, "123")
    }

    fn dims(s: &Signal) -> Vec<(&'static str, String)> {
        s.dims.iter().flatten().map(|d| (d.key(), d.value().to_owned())).collect()
    }

    fn pairs(list: &[(&'static str, &str)]) -> Vec<(&'static str, String)> {
        list.iter().map(|(k, v)| (*k, (*v).to_owned())).collect()
    }

    #[test]
    fn logins_count_by_surface_and_method() {
        let cases = [
            (
                event(EventType::LoginSucceeded).with("surface", 1).with("tokenType", "AUTH"),
                None,
                "surface1",
                "password",
            ),
            (
                event(EventType::LoginSucceeded).with("surface", 2).with("method", "PASSKEY"),
                None,
                "surface2",
                "passkey",
            ),
            (event(EventType::LoginSucceeded).with("surface", 1).with("method", "PUSH"), None, "surface1", "push"),
            (
                event(EventType::LoginSucceeded).with("surface", 1).with("method", "PASSWORD_RESET"),
                None,
                "surface1",
                "password",
            ),
            // A failed login names no surface: the route's.
            (event(EventType::LoginFailed).with("check", "LOGIN_PASSWORD"), Some(Surface::Two), "surface2", "password"),
            (
                event(EventType::LoginFailed).with("check", "LOGIN_PASSKEY").with("method", "PASSKEY"),
                Some(Surface::One),
                "surface1",
                "passkey",
            ),
            (
                event(EventType::LoginFailed).with("method", "PUSH").with("reason", "REJECTED"),
                Some(Surface::One),
                "surface1",
                "push",
            ),
            // The event's own surface wins over the route's.
            (event(EventType::LoginSucceeded).with("surface", 1), Some(Surface::Two), "surface1", "password"),
        ];
        for (e, route, surface, method) in cases {
            let s = signal_of(&e, route).unwrap();
            let metric = if e.kind == EventType::LoginSucceeded { Metric::LoginSucceeded } else { Metric::LoginFailed };
            assert_eq!((s.metric, s.value), (metric, 1), "{e:?}");
            assert_eq!(dims(&s), pairs(&[("Surface", surface), ("Method", method)]), "{e:?}");
        }
    }

    #[test]
    fn an_unknown_emails_failed_login_counts_too() {
        let mut decoy = event(EventType::LoginFailed).with("check", "LOGIN_PASSWORD");
        decoy.user_id = decoy_user_id("nobody@example.com");
        let s = signal_of(&decoy, Some(Surface::One)).unwrap();
        assert_eq!(s.metric, Metric::LoginFailed);
        // Outside a route, only the total.
        assert_eq!(signal_of(&decoy, None).unwrap().dims, [None, None]);
    }

    #[test]
    fn step_ups_count_by_channel_from_a_closed_set() {
        for (kind, metric) in [
            (EventType::StepUpStarted, Metric::StepUpStarted),
            (EventType::StepUpSucceeded, Metric::StepUpSucceeded),
            (EventType::StepUpFailed, Metric::StepUpFailed),
        ] {
            for (channel, want) in [
                ("SMS", "SMS"),
                ("EMAIL", "EMAIL"),
                ("BIOMETRIC", "BIOMETRIC"),
                ("PASSKEY", "PASSKEY"),
                ("RECOVERY_CODE", "RECOVERY_CODE"),
            ] {
                let s = signal_of(&event(kind).with("channel", channel), None).unwrap();
                assert_eq!((s.metric, dims(&s)), (metric, pairs(&[("Channel", want)])));
            }
            // Whatever else an event says never becomes a dimension value.
            let odd = signal_of(&event(kind).with("channel", "+447400123456"), None).unwrap();
            assert_eq!(dims(&odd), pairs(&[("Channel", "OTHER")]));
            assert_eq!(dims(&signal_of(&event(kind), None).unwrap()), pairs(&[("Channel", "OTHER")]));
        }
    }

    #[test]
    fn failed_verifications_count_by_check() {
        for check in Check::ALL {
            let s = signal_of(&event(EventType::VerificationFailed).with("check", check.name()), None).unwrap();
            assert_eq!((s.metric, dims(&s)), (Metric::VerificationFailed, pairs(&[("Check", check.name())])));
        }
        let s = signal_of(&event(EventType::VerificationFailed).with("check", "jane@example.com"), None).unwrap();
        assert!(dims(&s).is_empty());
    }

    #[test]
    fn locks_and_reuse_count_in_total_and_other_events_not_at_all() {
        assert_eq!(signal_of(&event(EventType::AccountLocked), None), Some(Signal::new(Metric::AccountLocked)));
        let reused = event(EventType::RefreshTokenReused).with("generation", 3);
        assert_eq!(signal_of(&reused, Some(Surface::Two)), Some(Signal::new(Metric::RefreshTokenReused)));
        let counted = [
            EventType::LoginSucceeded,
            EventType::LoginFailed,
            EventType::AccountLocked,
            EventType::StepUpStarted,
            EventType::StepUpSucceeded,
            EventType::StepUpFailed,
            EventType::VerificationFailed,
            EventType::RefreshTokenReused,
        ];
        for kind in EventType::ALL {
            assert_eq!(signal_of(&event(kind), Some(Surface::One)).is_some(), counted.contains(&kind), "{kind:?}");
        }
    }
}
