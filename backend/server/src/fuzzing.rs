//! Fuzzing oracles for the server's parsers of outside input (JSON request bodies and websocket client frames),
//! shared by the cargo-fuzz targets in `fuzz/` and by `tests/fuzz_seeds`, which replays every committed
//! seed on each `cargo test` (no nightly needed).
//!
//! They run the same path a request takes (`parse_json`, the extractor behind `AppJson`, then the handler's
//! pure checks) and panic only when a property the API promises is broken: no panic, every refusal is a 4xx
//! that names the field, and whatever is accepted is in range.

use crate::error::{ApiError, ErrorCode};
use crate::json::parse_json;
use crate::live::position::{FixRejection, LastFix, PositionFix, check_fix};
use crate::live::socket::{ClientFrame, parse_client_frame};
use crate::service::accounts::LoginRequest;
use crate::service::agencies::CreateAgencyRequest;
use crate::service::agents::{SelectableState, SetStateRequest, check_state_request};
use crate::service::assignments::{AssignmentStatusRequest, check_status_request};
use crate::service::calls::{
    AmlRequest, ClassifyRequest, CreateCallRequest, check_new_call, parse_aml,
};
use crate::service::incidents::file::check_new_incident;
use crate::service::incidents::{
    CloseRequest, CreateAssignmentRequest, CreateIncidentRequest, LinkCallRequest, RejectRequest,
};
use crate::service::push::{SubscribeRequest, check_subscription};
use crate::service::units::{CreateUnitRequest, UnitStatusRequest};
use serde::de::DeserializeOwned;
use siaga_core::assignment::AssignmentStatus;
use siaga_core::kpi::agents::AgentState;
use siaga_core::role::Role;
use std::collections::HashMap;

/// The server clock the oracles pretend it is (2026-09-21).
const NOW_MS: i64 = 1_790_000_000_000;

/// The default `live.max_speed_kmh`.
const MAX_SPEED_KMH: f64 = 300.0;

/// Feeds the bytes, as a request body, to every main request type the way the server reads it (`parse_json`
/// then the handler's pure checks).
pub fn json_body(data: &[u8]) {
    if let Some(req) = parse::<CreateCallRequest>(data) {
        create_call(&req);
    }
    if let Some(req) = parse::<AmlRequest>(data) {
        aml_payload(&req.payload);
    }
    if let Some(req) = parse::<CreateIncidentRequest>(data) {
        create_incident(&req);
    }
    if let Some(req) = parse::<AssignmentStatusRequest>(data) {
        assignment_status(&req);
    }
    if let Some(req) = parse::<SetStateRequest>(data) {
        agent_state(&req);
    }
    if let Some(req) = parse::<SubscribeRequest>(data) {
        push_subscription(&req);
    }
    if let Some(fix) = parse::<PositionFix>(data) {
        position_fix(&fix, None);
        // The same fix a second after one at the equator off Africa, and a minute after one in Batam.
        for last in [last_fix(0.0, 0.0, 1_000), last_fix(104.0, 1.1, 60_000)] {
            position_fix(&fix, Some(&last));
        }
    }
    // Bodies whose only checks are in the database: they must parse or refuse cleanly.
    let _ = parse::<ClassifyRequest>(data);
    let _ = parse::<CreateAssignmentRequest>(data);
    let _ = parse::<LinkCallRequest>(data);
    let _ = parse::<RejectRequest>(data);
    let _ = parse::<CloseRequest>(data);
    let _ = parse::<LoginRequest>(data);
    let _ = parse::<CreateAgencyRequest>(data);
    let _ = parse::<CreateUnitRequest>(data);
    let _ = parse::<UnitStatusRequest>(data);
}

/// Feeds the bytes, one websocket text frame per line, to the frame parser and the position checks, keeping
/// each unit's last accepted fix the way the server does.
pub fn ws_frames(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // A whole input is one frame too (frames may contain newlines).
    ws_frame(text, None);
    let mut last: HashMap<String, LastFix> = HashMap::new();
    for line in text.lines() {
        let Some(ClientFrame::Position { unit_id, fix, .. }) = ws_frame(line, Some("unit-1"))
        else {
            continue;
        };
        let previous = last.get(&unit_id).copied();
        if let Some(position) = position_fix(&fix, previous.as_ref()) {
            if let Some(previous) = previous {
                assert!(
                    fix.at > previous.at,
                    "an accepted fix is not newer than the last"
                );
            }
            last.insert(
                unit_id,
                LastFix {
                    at: fix.at,
                    position,
                    accuracy_m: fix.accuracy_m.unwrap_or(0.0),
                },
            );
        }
    }
}

/// One frame: refusals must say what is wrong and echo the `ref` they could read.
fn ws_frame(text: &str, own_unit: Option<&str>) -> Option<ClientFrame> {
    match parse_client_frame(text, own_unit) {
        Ok(frame) => {
            let ClientFrame::Position { unit_id, .. } = &frame;
            if own_unit.is_none() {
                assert!(
                    serde_json::from_str::<serde_json::Value>(text)
                        .ok()
                        .and_then(|v| v.get("unit_id").cloned())
                        .is_some(),
                    "a frame without unit_id was given unit {unit_id:?} by a sender with no unit"
                );
            }
            Some(frame)
        }
        Err(refused) => {
            let e = &refused.error;
            match e.code {
                ErrorCode::InvalidJson => {
                    assert!(refused.r#ref.is_none(), "a ref read from invalid JSON");
                }
                ErrorCode::BadRequest => {
                    assert_eq!(e.field.as_deref(), Some("type"), "{}", e.message)
                }
                ErrorCode::ValidationFailed => check_names_field(e),
                other => panic!("a frame refused with {other:?}: {}", e.message),
            }
            None
        }
    }
}

/// Parses like `AppJson` does; a refusal is a 400 (syntax) or a 422 naming the field.
fn parse<T: DeserializeOwned>(data: &[u8]) -> Option<T> {
    match parse_json::<T>(data) {
        Ok(v) => Some(v),
        Err(e) => {
            match e.code {
                ErrorCode::InvalidJson => assert!(e.field.is_none()),
                ErrorCode::ValidationFailed => {
                    check_names_field(&e);
                    let field = e.field.as_deref().unwrap_or_default();
                    assert!(
                        e.message.starts_with(&format!("{field}: ")),
                        "message {:?} does not start with its field {field:?}",
                        e.message
                    );
                }
                other => panic!("a body refused with {other:?}: {}", e.message),
            }
            None
        }
    }
}

fn check_names_field(e: &ApiError) {
    assert_eq!(e.code, ErrorCode::ValidationFailed);
    assert!(
        e.field.as_deref().is_some_and(|f| !f.is_empty()),
        "a validation error without a field: {}",
        e.message
    );
    assert!(!e.message.is_empty());
}

fn check_refusal_field(e: &ApiError, allowed: &[&str]) {
    check_names_field(e);
    let field = e.field.as_deref().unwrap_or_default();
    assert!(
        allowed.contains(&field) || field.starts_with("aml"),
        "refusal names {field:?}, not one of {allowed:?}: {}",
        e.message
    );
}

fn create_call(req: &CreateCallRequest) {
    match check_new_call(req, NOW_MS) {
        Ok(call) => {
            assert!(call.ring_at <= NOW_MS + 60_000 && call.ring_at >= NOW_MS - 86_400_000);
            assert_eq!(call.fix.is_some(), req.aml.is_some());
            if let Some(fix) = &call.fix {
                check_aml_fix(fix);
            }
        }
        Err(e) => check_refusal_field(&e, &["ani", "service_line", "ring_at"]),
    }
}

fn aml_payload(payload: &str) {
    match parse_aml(payload) {
        Ok(fix) => check_aml_fix(&fix),
        Err(e) => {
            check_names_field(&e);
            assert!(e.field.as_deref().is_some_and(|f| f.starts_with("aml")));
        }
    }
}

fn check_aml_fix(fix: &siaga_core::aml::AmlFix) {
    let (lon, lat) = (fix.position.lon(), fix.position.lat());
    assert!(
        lon.is_finite() && (-180.0..=180.0).contains(&lon),
        "AML lon {lon}"
    );
    assert!(
        lat.is_finite() && (-90.0..=90.0).contains(&lat),
        "AML lat {lat}"
    );
    assert!(
        fix.radius_m.is_finite() && fix.radius_m >= 0.0,
        "AML radius {}",
        fix.radius_m
    );
}

fn create_incident(req: &CreateIncidentRequest) {
    match check_new_incident(req) {
        Ok(checked) => {
            assert_eq!(checked.position.lon(), req.location.lon);
            assert_eq!(checked.position.lat(), req.location.lat);
            assert!(req.victims.count <= 100_000);
            assert!(req.accuracy_m.is_none_or(|a| a.is_finite() && a >= 0.0));
            if let Some(p) = req.reporter.as_ref().and_then(|r| r.position) {
                assert!(p.lon.is_finite() && p.lat.is_finite());
            }
        }
        Err(e) => check_refusal_field(
            &e,
            &[
                "location",
                "location.lon",
                "location.lat",
                "reporter.position.lon",
                "reporter.position.lat",
                "accuracy_m",
                "victims.count",
                "subcategory",
            ],
        ),
    }
}

fn assignment_status(req: &AssignmentStatusRequest) {
    for role in Role::ALL {
        match check_status_request(req, role) {
            Ok(via) => {
                assert_eq!(
                    via.is_some(),
                    role != Role::Responder && req.status != AssignmentStatus::Cancelled
                );
                assert_ne!(req.status, AssignmentStatus::Assigned);
                assert!(req.status != AssignmentStatus::Declined || req.reason.is_some());
                assert!(!(req.status == AssignmentStatus::Cancelled && role == Role::Responder));
            }
            Err(e) if e.code == ErrorCode::Forbidden => {
                assert_eq!(
                    (req.status, role),
                    (AssignmentStatus::Cancelled, Role::Responder)
                );
            }
            Err(e) => check_refusal_field(&e, &["status", "reason", "reported_via"]),
        }
    }
}

fn agent_state(req: &SetStateRequest) {
    match check_state_request(req) {
        Ok((state, reason)) => {
            if let Some(r) = reason {
                assert!(!r.is_empty() && r.trim() == r && r.chars().count() <= 64);
                assert!(!r.chars().any(char::is_control));
            }
            match req.state {
                SelectableState::Ready => assert_eq!((state, reason), (AgentState::Ready, None)),
                SelectableState::Aux => assert!(state == AgentState::Aux && reason.is_some()),
                SelectableState::LoggedOut => assert_eq!(state, AgentState::LoggedOut),
            }
        }
        Err(e) => check_refusal_field(&e, &["reason"]),
    }
}

/// A push subscription is accepted only with an https endpoint that has a host, a P-256 point and a 16-byte
/// secret; a refusal names one of those fields.
fn push_subscription(req: &SubscribeRequest) {
    let config = crate::config::PushConfig::default();
    match check_subscription(&config, req) {
        Ok(()) => {
            assert!(req.endpoint.starts_with("https://") && req.endpoint.len() <= 2048);
            assert!(!req.keys.auth.is_empty() && !req.keys.p256dh.is_empty());
        }
        Err(e) => check_refusal_field(&e, &["endpoint", "keys.p256dh", "keys.auth"]),
    }
}

fn last_fix(lon: f64, lat: f64, ago_ms: i64) -> LastFix {
    let Ok(position) = siaga_core::position::Position::from_lon_lat(lon, lat) else {
        panic!("a fixed test position is invalid");
    };
    LastFix {
        at: NOW_MS - ago_ms,
        position,
        accuracy_m: 10.0,
    }
}

/// Checks a fix; an accepted one has finite in-range values and is newer than the last, a refused one names
/// its field (only the implied-speed check blames no single field).
fn position_fix(
    fix: &PositionFix,
    last: Option<&LastFix>,
) -> Option<siaga_core::position::Position> {
    match check_fix(fix, last, NOW_MS, MAX_SPEED_KMH) {
        Ok(p) => {
            assert!(p.lon().is_finite() && (-180.0..=180.0).contains(&p.lon()));
            assert!(p.lat().is_finite() && (-90.0..=90.0).contains(&p.lat()));
            assert_eq!((p.lon(), p.lat()), (fix.lon, fix.lat));
            let in_range = |v: Option<f64>, hi: f64| {
                v.is_none_or(|v| v.is_finite() && (0.0..=hi).contains(&v))
            };
            assert!(in_range(fix.accuracy_m, 1.0e6));
            assert!(in_range(fix.heading_deg, 360.0));
            assert!(in_range(fix.speed_mps, MAX_SPEED_KMH / 3.6));
            assert!(fix.at > 0 && fix.at <= NOW_MS + 60_000);
            if let Some(last) = last {
                assert!(fix.at > last.at);
            }
            Some(p)
        }
        Err(FixRejection { field, message }) => {
            assert!(!message.is_empty());
            match field {
                Some(f) => assert!(
                    ["lat", "lon", "accuracy_m", "heading_deg", "speed_mps", "at"].contains(&f),
                    "fix refused naming {f:?}"
                ),
                None => assert!(
                    last.is_some() && message.starts_with("physically impossible"),
                    "fix refused without a field: {message}"
                ),
            }
            None
        }
    }
}
