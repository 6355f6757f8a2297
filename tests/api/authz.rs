//! The authorization matrix: every operation of the served OpenAPI document, called as every role (a
//! dispatcher and a responder both of the incident's OPD and of another OPD, and a supervisor scoped to
//! another region), with no token, an unknown, an expired and a forced-out token, checked against the policy
//! table written by hand below.
//!
//! * An operation in the document that the table does not classify fails the test (and so does a table row
//!   the document no longer has): a new endpoint needs a policy here before it can ship.
//! * A denial must be a documented 401, 403 or 404 with the JSON error envelope; an allowance must not be
//!   401, 403 or 404 (the ids are real) nor a 5xx.
//! * Path parameters are real ids from a scenario (a call filed as an incident of the health category,
//!   escalated to Dinkes only, with ambulance AMB-01 assigned), so OPD scoping is exercised, not just roles.
//!   Everything of the scenario is in Batam (21.71), so the supervisor scoped to Jakarta is refused wherever
//!   a single Batam subject is named (a call, a unit, a user, an agent, a place to file at); its lists answer,
//!   empty of Batam's rows. The gateway is refused on calls it did not register.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use siaga_tests::{DEMO_PASSWORD, Engine, Options, TestServer, engine_tests};
use std::collections::BTreeSet;

engine_tests!(every_operation_answers_each_caller_as_the_policy_table_says);

/// 2026-11-25 10:00:00 WIB.
const T0: i64 = 1_795_575_600_000;
/// Batam Centre, inside the demo district 21.71.10.
const LON: f64 = 104.0537;
const LAT: f64 = 1.1279;

/// A caller holding a valid token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Admin,
    Supervisor,
    CallTaker,
    /// Dispatcher of the OPD the incident was escalated to (Dinkes), whose unit AMB-01 is assigned.
    OwnDispatcher,
    /// Dispatcher of an OPD the incident never reached (Polresta).
    OtherDispatcher,
    /// Crew of AMB-01, the unit assigned to the incident and the unit in `/units/{id}` paths.
    OwnResponder,
    /// Crew of PTL-01 (Polresta), not assigned.
    OtherResponder,
    /// A supervisor whose region scope (31.71, Jakarta) does not contain the incident (21.71.10, Batam).
    OtherRegionSupervisor,
    /// A telephony gateway (role `integration`) holding a service token.
    Gateway,
}

use Role::*;

/// Roles of the demo users (and of the two accounts the test creates), logged in with the demo password.
const ROLES: [(Role, &str); 8] = [
    (Admin, "admin"),
    (Supervisor, "supervisor"),
    (CallTaker, "operator1"),
    (OwnDispatcher, "dispatch.dinkes"),
    (OtherDispatcher, "dispatch.polres"),
    (OwnResponder, "amb01"),
    (OtherResponder, "ptl01"),
    (OtherRegionSupervisor, "supervisor.jakarta"),
];

/// Every role holding a token.
const ANY: &[Role] = &[
    Admin,
    Supervisor,
    CallTaker,
    OwnDispatcher,
    OtherDispatcher,
    OwnResponder,
    OtherResponder,
    OtherRegionSupervisor,
];

/// Every holder of a token: people and the gateway.
const ANY_TOKEN: &[Role] = &[
    Admin,
    Supervisor,
    CallTaker,
    OwnDispatcher,
    OtherDispatcher,
    OwnResponder,
    OtherResponder,
    OtherRegionSupervisor,
    Gateway,
];

/// The push service URL of the authorization matrix's phone.
const PUSH_ENDPOINT: &str = "https://push.example.net/send/authz";

/// A subscription as a browser makes it: a fresh P-256 public key and a 16-byte secret.
fn push_subscription() -> Value {
    use p256::elliptic_curve::sec1::ToEncodedPoint;
    let key = p256::SecretKey::random(&mut rand::rngs::OsRng).public_key();
    json!({
        "endpoint": PUSH_ENDPOINT,
        "keys": {
            "p256dh": <base64ct::Base64UrlUnpadded as base64ct::Encoding>::encode_string(key.to_encoded_point(false).as_bytes()),
            "auth": <base64ct::Base64UrlUnpadded as base64ct::Encoding>::encode_string(&[7u8; 16]),
        }
    })
}

/// Who may call an operation.
enum Policy {
    /// No token needed; every caller is served.
    Public,
    /// A valid token of one of these roles; the other roles get 403 (or 404).
    Only(&'static [Role]),
}

/// One row of the table: an operation, its policy, and a request that would succeed for an allowed caller.
struct Row {
    method: &'static str,
    path: &'static str,
    policy: Policy,
    /// The value of `{id}`, when the path has one.
    id: Option<String>,
    query: String,
    body: Option<Value>,
    /// Log in afresh for each call (the operation ends the caller's session).
    fresh_session: bool,
}

fn row(method: &'static str, path: &'static str, policy: Policy) -> Row {
    Row {
        method,
        path,
        policy,
        id: None,
        query: String::new(),
        body: None,
        fresh_session: false,
    }
}

impl Row {
    fn id(mut self, id: &str) -> Row {
        self.id = Some(id.to_owned());
        self
    }
    fn query(mut self, q: String) -> Row {
        self.query = q;
        self
    }
    fn body(mut self, b: Value) -> Row {
        self.body = Some(b);
        self
    }
    fn fresh_session(mut self) -> Row {
        self.fresh_session = true;
        self
    }
}

/// Real ids of the scenario.
struct Ids {
    dinkes: String,
    /// AMB-01 (Dinkes), crewed by `amb01`, assigned to the incident.
    unit: String,
    /// AMB-02 (Dinkes), available: the unit a dispatcher may assign.
    spare_unit: String,
    /// A call answered and classified as an emergency, filed as the incident.
    call: String,
    /// A second, ringing call, to be linked to the incident.
    second_call: String,
    incident: String,
    assignment: String,
    /// `dispatch.dp3a`: the user whose account and sessions the user endpoints change.
    target_user: String,
    /// The gateway's integration account.
    gateway_user: String,
    /// A quitline call (tiered line, follow-up programme), answered and located in Batam (21.71).
    quitline_call: String,
    /// The first follow-up task of the quitline call.
    follow_up: String,
    /// The call-back task of a call abandoned in Batam.
    call_back: String,
}

/// The policy table, written by hand, one row per operation.
fn table(ids: &Ids) -> Vec<Row> {
    let dinkes = &ids.dinkes;
    let point = format!("lon={LON}&lat={LAT}");
    vec![
        row("get", "/healthz", Policy::Public),
        row("get", "/readyz", Policy::Public),
        row("get", "/metrics", Policy::Only(&[Admin, Supervisor, OtherRegionSupervisor])),
        row("post", "/api/v1/auth/login", Policy::Public)
            .body(json!({"username": "dispatch.dp3a", "password": DEMO_PASSWORD})),
        row("post", "/api/v1/auth/logout", Policy::Only(ANY_TOKEN)).fresh_session(),
        row("get", "/api/v1/auth/me", Policy::Only(ANY_TOKEN)),
        // A new password that is refused as too common: allowed through, refused on its merits (422), and
        // nothing changes for the callers after it.
        row("post", "/api/v1/auth/password", Policy::Only(ANY_TOKEN))
            .body(json!({"current_password": DEMO_PASSWORD, "new_password": "password"})),
        row("get", "/api/v1/client-config", Policy::Public),
        row("get", "/api/v1/basemap.pmtiles", Policy::Public),
        row("post", "/api/v1/users/{id}/service-token", Policy::Only(&[Admin])).id(&ids.gateway_user),
        row("get", "/api/v1/users", Policy::Only(&[Admin, Supervisor, OtherRegionSupervisor])),
        row("post", "/api/v1/users", Policy::Only(&[Admin])).body(json!({
            "username": "matrix.operator", "display_name": "Matrix", "role": "call_taker",
            "password": "panjang-sekali-123"
        })),
        row("patch", "/api/v1/users/{id}", Policy::Only(&[Admin]))
            .id(&ids.target_user)
            .body(json!({"active": true})),
        // The target is Batam's (DP3A's dispatcher): not the Jakarta supervisor's to force out.
        row(
            "post",
            "/api/v1/users/{id}/force-logout",
            Policy::Only(&[Admin, Supervisor]),
        )
        .id(&ids.target_user)
        .body(json!({"reason": "authorization matrix"})),
        row("get", "/api/v1/agencies", Policy::Only(ANY)),
        row("post", "/api/v1/agencies", Policy::Only(&[Admin])).body(json!({
            "code": "MATRIX-BTM", "name": "Matrix OPD", "agency_type": "other", "region_code": "21.71"
        })),
        row("patch", "/api/v1/agencies/{id}", Policy::Only(&[Admin]))
            .id(dinkes)
            .body(json!({"phone": "119"})),
        // With `agency_id` of Dinkes: another OPD's dispatcher and crew are refused.
        row(
            "get",
            "/api/v1/units",
            Policy::Only(&[
                Admin,
                Supervisor,
                CallTaker,
                OwnDispatcher,
                OwnResponder,
                OtherRegionSupervisor,
            ]),
        )
        .query(format!("agency_id={dinkes}")),
        row("post", "/api/v1/units", Policy::Only(&[Admin])).body(json!({
            "agency_id": dinkes, "call_sign": "MTX-01", "unit_type": "other"
        })),
        row(
            "get",
            "/api/v1/units/{id}",
            Policy::Only(&[Admin, Supervisor, CallTaker, OwnDispatcher, OwnResponder]),
        )
        .id(&ids.unit),
        row(
            "patch",
            "/api/v1/units/{id}/status",
            Policy::Only(&[Admin, OwnDispatcher, OwnResponder]),
        )
        .id(&ids.unit)
        .body(json!({"status": "out_of_service"})),
        row(
            "post",
            "/api/v1/units/{id}/position",
            Policy::Only(&[Admin, OwnResponder]),
        )
        .id(&ids.unit)
        .body(json!({"lon": LON, "lat": LAT, "accuracy_m": 5.0, "at": T0 + 12 * 3600 * 1000 + 1000})),
        // A batch: any responder may send one, but another unit's fix comes back refused in the answer (the
        // batch test checks that); call takers, dispatchers and supervisors are refused outright.
        row(
            "post",
            "/api/v1/positions",
            Policy::Only(&[Admin, OwnResponder, OtherResponder]),
        )
        .body(json!({"fixes": [{"unit_id": ids.unit, "lon": LON, "lat": LAT, "accuracy_m": 5.0,
            "at": T0 + 12 * 3600 * 1000 + 2000}]})),
        // A phone's Web Push subscription (responders only); deleting one the caller lacks is a 204 too.
        row("post", "/api/v1/push/subscriptions", Policy::Only(&[OwnResponder, OtherResponder]))
            .body(push_subscription()),
        row("delete", "/api/v1/push/subscriptions", Policy::Only(&[OwnResponder, OtherResponder]))
            .body(json!({"endpoint": PUSH_ENDPOINT})),
        row("get", "/api/v1/regions", Policy::Only(ANY)),
        row("get", "/api/v1/audit", Policy::Only(&[Admin, Supervisor, OtherRegionSupervisor])),
        row(
            "post",
            "/api/v1/agents/me/state",
            Policy::Only(&[CallTaker, OwnDispatcher, OtherDispatcher]),
        )
        .body(json!({"state": "ready"})),
        row("get", "/api/v1/agents", Policy::Only(&[Admin, Supervisor, OtherRegionSupervisor])),
        row(
            "get",
            "/api/v1/service-lines",
            Policy::Only(&[Admin, Supervisor, OtherRegionSupervisor]),
        ),
        // operator1 works for the whole centre: outside any regional supervisor's scope.
        row(
            "post",
            "/api/v1/agents/schedules",
            Policy::Only(&[Admin, Supervisor]),
        )
        .body(json!([{"username": "operator1", "shift_start": "2026-11-26 07:00",
                      "shift_end": "2026-11-26 15:00"}])),
        // Reports of Dinkes: its own dispatcher, supervisors and admins.
        row(
            "get",
            "/api/v1/reports/kpi",
            Policy::Only(&[Admin, Supervisor, OwnDispatcher, OtherRegionSupervisor]),
        )
        .query(format!("period=2026-11&agency_id={dinkes}")),
        row(
            "get",
            "/api/v1/reports/monthly",
            Policy::Only(&[Admin, Supervisor, OwnDispatcher, OtherRegionSupervisor]),
        )
        .query(format!("period=2026-11&agency_id={dinkes}")),
        row(
            "get",
            "/api/v1/reports/heatmap",
            Policy::Only(&[Admin, Supervisor, OwnDispatcher, OtherRegionSupervisor]),
        )
        .query(format!("agency_id={dinkes}")),
        row("post", "/api/v1/calls", Policy::Only(&[Admin, CallTaker, Gateway]))
            .body(json!({"ani": "081200009999", "channel": "voice"})),
        row(
            "get",
            "/api/v1/calls",
            Policy::Only(&[Admin, Supervisor, CallTaker, OtherRegionSupervisor]),
        ),
        row(
            "get",
            "/api/v1/calls/{id}",
            Policy::Only(&[Admin, Supervisor, CallTaker]),
        )
        .id(&ids.call),
        row("post", "/api/v1/calls/{id}/answer", Policy::Only(&[CallTaker])).id(&ids.call),
        row(
            "post",
            "/api/v1/calls/{id}/classify",
            Policy::Only(&[CallTaker]),
        )
        .id(&ids.call)
        .body(json!({"class": "emergency"})),
        // The call is classified and filed: its fix is frozen (409, allowed through); the gateway did not
        // register it.
        row(
            "post",
            "/api/v1/calls/{id}/aml",
            Policy::Only(&[Admin, CallTaker]),
        )
        .id(&ids.call)
        .body(json!({"payload": format!(
            "v=3&location_latitude={LAT}&location_longitude={LON}&location_accuracy=20&location_time={T0}"
        )})),
        row(
            "post",
            "/api/v1/calls/{id}/end",
            Policy::Only(&[Admin, CallTaker]),
        )
        .id(&ids.call),
        // The quitline call is located in Batam (routed to 21.71 by the scenario).
        row(
            "post",
            "/api/v1/calls/{id}/route",
            Policy::Only(&[Supervisor, CallTaker]),
        )
        .id(&ids.quitline_call)
        .body(json!({"region_code": "21.71"})),
        // Only members of the regional team the call is offered to; none of the callers is one (operator1
        // is central), so everyone is refused.
        row("post", "/api/v1/calls/{id}/take", Policy::Only(&[])).id(&ids.quitline_call),
        row(
            "post",
            "/api/v1/calls/{id}/follow-ups",
            Policy::Only(&[Supervisor, CallTaker]),
        )
        .id(&ids.quitline_call),
        row(
            "get",
            "/api/v1/follow-ups",
            Policy::Only(&[Admin, Supervisor, CallTaker, OtherRegionSupervisor]),
        ),
        row(
            "post",
            "/api/v1/follow-ups/{id}/outcome",
            Policy::Only(&[Supervisor, CallTaker]),
        )
        .id(&ids.follow_up)
        .body(json!({"outcome": "no_answer"})),
        // The caller history of the incident's caller: scoped like the call list (the Jakarta supervisor
        // gets an empty history).
        row(
            "get",
            "/api/v1/callers/{ani}",
            Policy::Only(&[Admin, Supervisor, CallTaker, OtherRegionSupervisor]),
        )
        .id("+6281200001111"),
        row(
            "get",
            "/api/v1/call-backs",
            Policy::Only(&[Admin, Supervisor, CallTaker, OtherRegionSupervisor]),
        ),
        // "Call back to confirm" on the incident: the desk, and the dispatcher of the OPD taking part.
        row(
            "post",
            "/api/v1/call-backs",
            Policy::Only(&[Supervisor, CallTaker, OwnDispatcher]),
        )
        .body(json!({"incident_id": ids.incident, "note": "authorization matrix"})),
        // The abandoned call is located in Batam. Once the supervisor holds the task, the call taker's claim
        // is a 409 (allowed through, refused on its merits).
        row(
            "post",
            "/api/v1/call-backs/{id}/claim",
            Policy::Only(&[Supervisor, CallTaker]),
        )
        .id(&ids.call_back),
        row(
            "post",
            "/api/v1/call-backs/{id}/outcome",
            Policy::Only(&[Supervisor, CallTaker]),
        )
        .id(&ids.call_back)
        .body(json!({"outcome": "no_answer"})),
        // The body's location is in Batam.
        row(
            "post",
            "/api/v1/incidents",
            Policy::Only(&[Supervisor, CallTaker]),
        )
        .body(incident_body(None)),
        // Lists are scoped, not refused: another OPD's dispatcher gets its own (empty) queue.
        row(
            "get",
            "/api/v1/incidents",
            Policy::Only(&[
                Admin,
                Supervisor,
                CallTaker,
                OwnDispatcher,
                OtherDispatcher,
                OtherRegionSupervisor,
            ]),
        ),
        row(
            "get",
            "/api/v1/incidents/duplicates",
            Policy::Only(&[
                Supervisor,
                CallTaker,
                OwnDispatcher,
                OtherDispatcher,
                OtherRegionSupervisor,
            ]),
        )
        .query(format!("{point}&category=health")),
        row(
            "get",
            "/api/v1/incidents/{id}",
            Policy::Only(&[Admin, Supervisor, CallTaker, OwnDispatcher, OwnResponder]),
        )
        .id(&ids.incident),
        // Dinkes assigned AMB-01, so its row is verified: its dispatcher corrects; the call taker who filed it
        // no longer may (an OPD verified it), nor another OPD, nor a supervisor of another region.
        row(
            "patch",
            "/api/v1/incidents/{id}",
            Policy::Only(&[Supervisor, OwnDispatcher]),
        )
        .id(&ids.incident)
        .body(json!({"description": "pingsan, matriks otorisasi"})),
        row(
            "post",
            "/api/v1/incidents/{id}/calls",
            Policy::Only(&[Supervisor, CallTaker]),
        )
        .id(&ids.incident)
        .body(json!({"call_id": ids.second_call})),
        row(
            "post",
            "/api/v1/incidents/{id}/verify",
            Policy::Only(&[OwnDispatcher]),
        )
        .id(&ids.incident),
        row(
            "post",
            "/api/v1/incidents/{id}/reject",
            Policy::Only(&[OwnDispatcher]),
        )
        .id(&ids.incident)
        .body(json!({"reason": "authorization matrix"})),
        // Escalating again to the OPD that has it open is a 409: allowed through, refused on its merits.
        row(
            "post",
            "/api/v1/incidents/{id}/escalate",
            Policy::Only(&[Supervisor, CallTaker]),
        )
        .id(&ids.incident)
        .body(json!({"agency_ids": [ids.dinkes]})),
        row(
            "get",
            "/api/v1/incidents/{id}/recommendations",
            Policy::Only(&[Admin, Supervisor, OwnDispatcher]),
        )
        .id(&ids.incident),
        row(
            "get",
            "/api/v1/incidents/{id}/route",
            Policy::Only(&[Admin, Supervisor, OwnDispatcher]),
        )
        .id(&ids.incident)
        .query(format!("unit_id={}", ids.spare_unit)),
        row(
            "post",
            "/api/v1/incidents/{id}/assignments",
            Policy::Only(&[OwnDispatcher]),
        )
        .id(&ids.incident)
        .body(json!({"unit_id": ids.spare_unit})),
        row(
            "get",
            "/api/v1/incidents/{id}/timeline",
            Policy::Only(&[Admin, Supervisor, CallTaker, OwnDispatcher, OwnResponder]),
        )
        .id(&ids.incident),
        row(
            "post",
            "/api/v1/incidents/{id}/timeline",
            Policy::Only(&[Supervisor, CallTaker, OwnDispatcher, OwnResponder]),
        )
        .id(&ids.incident)
        .body(json!({"text": "authorization matrix"})),
        row(
            "post",
            "/api/v1/incidents/{id}/close",
            Policy::Only(&[Supervisor, OwnDispatcher]),
        )
        .id(&ids.incident)
        .body(json!({"report": "authorization matrix"})),
        // Both answer 422 on their merits to those allowed (a duplicate without its master; a merge into
        // itself), so the matrix leaves the incident as it is; the call taker may not, the incident being
        // verified by Dinkes.
        row(
            "post",
            "/api/v1/incidents/{id}/cancel",
            Policy::Only(&[Supervisor, OwnDispatcher]),
        )
        .id(&ids.incident)
        .body(json!({"reason": "duplicate"})),
        row(
            "post",
            "/api/v1/incidents/{id}/merge",
            Policy::Only(&[Supervisor, OwnDispatcher]),
        )
        .id(&ids.incident)
        .body(json!({"into": ids.incident})),
        row(
            "get",
            "/api/v1/assignments",
            Policy::Only(&[OwnDispatcher, OtherDispatcher, OwnResponder, OtherResponder]),
        ),
        row(
            "get",
            "/api/v1/assignments/{id}",
            Policy::Only(&[Admin, Supervisor, OwnDispatcher, OwnResponder]),
        )
        .id(&ids.assignment),
        row(
            "post",
            "/api/v1/assignments/{id}/status",
            Policy::Only(&[Supervisor, OwnDispatcher, OwnResponder]),
        )
        .id(&ids.assignment)
        .body(json!({"status": "acknowledged"})),
        row("get", "/api/v1/geo/locate", Policy::Only(ANY)).query(point.clone()),
        row(
            "get",
            "/api/v1/coverage",
            Policy::Only(&[
                Supervisor,
                OwnDispatcher,
                OtherDispatcher,
                OtherRegionSupervisor,
            ]),
        )
        .query("unit_type=ambulance".into()),
        row(
            "get",
            "/api/v1/geo/nearest",
            Policy::Only(&[
                Admin,
                Supervisor,
                CallTaker,
                OwnDispatcher,
                OtherDispatcher,
                OtherRegionSupervisor,
            ]),
        )
        .query(point),
        row(
            "get",
            "/api/v1/geo/search",
            Policy::Only(&[
                Admin,
                Supervisor,
                CallTaker,
                OwnDispatcher,
                OtherDispatcher,
                OtherRegionSupervisor,
            ]),
        )
        .query("q=batam".to_owned()),
        row("get", "/api/v1/geo/regions.geojson", Policy::Only(ANY)),
        row("get", "/api/v1/geo/facilities.geojson", Policy::Only(ANY)),
        // Authorized, then refused as a plain GET is not a websocket upgrade (400).
        row("get", "/api/v1/ws", Policy::Only(ANY)),
    ]
}

fn incident_body(call_id: Option<&str>) -> Value {
    json!({
        "call_id": call_id, "category": "health", "priority": "p2",
        "location": {"lon": LON, "lat": LAT}, "address": "Jl. Engku Putri",
        "reporter": {"name": "Pelapor Matriks", "phone": "081277770000"},
        "victims": {"count": 1, "condition": "serious"}, "description": "pingsan"
    })
}

/// Files the scenario: a call, its incident (health: Dinkes only) and AMB-01 assigned to it.
async fn scenario(srv: &TestServer, admin: &str) -> Ids {
    let taker = srv.demo_login("operator1").await;
    let dinkes_dispatcher = srv.demo_login("dispatch.dinkes").await;
    let dinkes = srv.agency_id(&taker, "DINKES-BTM").await;
    let unit = srv.unit_id(admin, "AMB-01").await;
    let spare_unit = srv.unit_id(admin, "AMB-02").await;

    let (s, call) = srv
        .post(
            "/api/v1/calls",
            &taker,
            json!({"ani": "081200001111", "channel": "voice"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{call}");
    let call = call["id"].as_str().unwrap().to_owned();
    let (s, body) = srv
        .post(&format!("/api/v1/calls/{call}/answer"), &taker, json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let (s, body) = srv
        .post(
            &format!("/api/v1/calls/{call}/classify"),
            &taker,
            json!({"class": "emergency"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let (s, incident) = srv
        .post("/api/v1/incidents", &taker, incident_body(Some(&call)))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{incident}");
    let escalated: Vec<&str> = incident["agencies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["agency_id"].as_str().unwrap())
        .collect();
    assert_eq!(escalated, [dinkes.as_str()], "{incident}");
    let incident = incident["id"].as_str().unwrap().to_owned();
    let (s, assignment) = srv
        .post(
            &format!("/api/v1/incidents/{incident}/assignments"),
            &dinkes_dispatcher,
            json!({"unit_id": unit}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{assignment}");
    let (s, second_call) = srv
        .post(
            "/api/v1/calls",
            &taker,
            json!({"ani": "081200002222", "channel": "voice"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{second_call}");
    let (_, users) = srv.get("/api/v1/users", admin).await;
    let target_user = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "dispatch.dp3a")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // The gateway's account, and a quitline call enrolled in its follow-up programme.
    let (s, gateway) = srv
        .post(
            "/api/v1/users",
            admin,
            json!({"username": "matrix.pbx", "display_name": "PBX", "role": "integration",
                   "password": DEMO_PASSWORD}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{gateway}");
    let (s, quitline) = srv
        .post(
            "/api/v1/calls",
            &taker,
            json!({"ani": "081200003333", "channel": "voice", "service_line": "quitline"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{quitline}");
    let quitline_call = quitline["id"].as_str().unwrap().to_owned();
    let (s, body) = srv
        .post(
            &format!("/api/v1/calls/{quitline_call}/answer"),
            &taker,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    // The caller names Batam: the call is located there.
    let (s, body) = srv
        .post(
            &format!("/api/v1/calls/{quitline_call}/route"),
            &taker,
            json!({"region_code": "21.71"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let (s, tasks) = srv
        .post(
            &format!("/api/v1/calls/{quitline_call}/follow-ups"),
            &taker,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{tasks}");
    // A call located in Batam by its AML fix, abandoned: its call-back task.
    let (s, dropped) = srv
        .post(
            "/api/v1/calls",
            &taker,
            json!({"ani": "081200005555", "channel": "voice", "aml": format!(
                "v=3&location_latitude={LAT}&location_longitude={LON}&location_accuracy=20&location_time={}",
                T0 + 12 * 3600 * 1000
            )}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{dropped}");
    let dropped = dropped["id"].as_str().unwrap();
    let (s, body) = srv
        .post(&format!("/api/v1/calls/{dropped}/end"), &taker, json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let (s, backs) = srv.get("/api/v1/call-backs", &taker).await;
    assert_eq!(s, StatusCode::OK, "{backs}");
    let call_back = backs
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["call_id"] == dropped)
        .unwrap_or_else(|| panic!("no call-back for the abandoned call: {backs}"))["id"]
        .as_str()
        .unwrap()
        .to_owned();
    Ids {
        call_back,
        gateway_user: gateway["id"].as_str().unwrap().to_owned(),
        quitline_call,
        follow_up: tasks[0]["id"].as_str().unwrap().to_owned(),
        dinkes,
        unit,
        spare_unit,
        call,
        second_call: second_call["id"].as_str().unwrap().to_owned(),
        incident,
        assignment: assignment["id"].as_str().unwrap().to_owned(),
        target_user,
    }
}

/// A caller of the matrix and what it should get where a token is needed.
struct Caller {
    name: String,
    role: Option<Role>,
    username: Option<&'static str>,
    token: Option<String>,
    /// For callers without a valid token: the 401 code every protected operation must answer.
    refused_with: Option<&'static str>,
}

async fn every_operation_answers_each_caller_as_the_policy_table_says(engine: Engine) {
    let srv = TestServer::start_with(
        engine,
        Options {
            manual_clock_at: Some(T0),
            demo: true,
            tweak: Some(tiered_quitline_and_basemap),
        },
    )
    .await;
    let clock = srv.clock.clone().unwrap();

    // The expired token is issued first, then the clock moves past its lifetime (12 h by default).
    let expired = srv.demo_login("operator2").await;
    clock.advance(12 * 3600 * 1000 + 1000);
    assert_eq!(
        srv.get("/api/v1/auth/me", &expired).await.0,
        StatusCode::UNAUTHORIZED
    );
    let admin = srv.demo_login("admin").await;
    let forced = srv.demo_login("dispatch.bpbd").await;
    let (_, me) = srv.get("/api/v1/auth/me", &forced).await;
    let (s, body) = srv
        .post(
            &format!("/api/v1/users/{}/force-logout", me["id"].as_str().unwrap()),
            &admin,
            json!({"reason": "authorization matrix"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");

    // A user's region must exist: Jakarta Pusat, without a boundary (the demo holds Batam only).
    srv.ensure_region("31.71", "Kota Jakarta Pusat").await;
    let (s, body) = srv
        .post(
            "/api/v1/users",
            &admin,
            json!({"username": "supervisor.jakarta", "display_name": "Supervisor Jakarta",
                   "role": "supervisor", "password": DEMO_PASSWORD, "region_code": "31.71"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let ids = scenario(&srv, &admin).await;

    let mut callers = vec![
        Caller {
            name: "no token".into(),
            role: None,
            username: None,
            token: None,
            refused_with: Some("unauthenticated"),
        },
        Caller {
            name: "unknown token".into(),
            role: None,
            username: None,
            token: Some("not-a-siaga-token".into()),
            refused_with: Some("unauthenticated"),
        },
        Caller {
            name: "expired token".into(),
            role: None,
            username: None,
            token: Some(expired),
            refused_with: Some("token_expired"),
        },
        Caller {
            name: "forced-out token".into(),
            role: None,
            username: None,
            token: Some(forced),
            refused_with: Some("session_revoked"),
        },
    ];
    for (role, username) in ROLES {
        callers.push(Caller {
            name: format!("{role:?} ({username})"),
            role: Some(role),
            username: Some(username),
            token: Some(srv.demo_login(username).await),
            refused_with: None,
        });
    }
    let (s, issued) = srv
        .post(
            &format!("/api/v1/users/{}/service-token", ids.gateway_user),
            &admin,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{issued}");
    callers.push(Caller {
        name: "Gateway (matrix.pbx, service token)".into(),
        role: Some(Gateway),
        username: Some("matrix.pbx"),
        token: Some(issued["token"].as_str().unwrap().to_owned()),
        refused_with: None,
    });

    let (s, doc) = srv.call(Method::GET, "/api/openapi.json", None, None).await;
    assert_eq!(s, StatusCode::OK);
    let table = table(&ids);

    // Every operation of the document is classified, and every row still names an operation.
    let documented: BTreeSet<(String, String)> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, ops)| {
            ops.as_object()
                .unwrap()
                .keys()
                .filter(|m| is_method(m))
                .map(move |m| (m.clone(), path.clone()))
        })
        .collect();
    let classified: BTreeSet<(String, String)> = table
        .iter()
        .map(|r| (r.method.to_owned(), r.path.to_owned()))
        .collect();
    let unclassified: Vec<_> = documented.difference(&classified).collect();
    assert!(
        unclassified.is_empty(),
        "operations without a policy in tests/api/authz.rs: {unclassified:?}"
    );
    let stale: Vec<_> = classified.difference(&documented).collect();
    assert!(
        stale.is_empty(),
        "policy rows for operations the document no longer has: {stale:?}"
    );
    assert_eq!(classified.len(), table.len(), "duplicate rows in the table");

    let mut failures = Vec::new();
    let mut calls = 0;
    for r in &table {
        let op = &doc["paths"][r.path][r.method];
        let secured = op.get("security").is_some();
        if matches!(r.policy, Policy::Public) == secured {
            failures.push(format!(
                "{} {}: the document's `security` disagrees with the table",
                r.method, r.path
            ));
        }
        let documented_statuses: BTreeSet<String> = op["responses"]
            .as_object()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        let mut path = match &r.id {
            Some(id) => r.path.replace("{id}", id).replace("{ani}", id),
            None => r.path.to_owned(),
        };
        assert!(!path.contains('{'), "{} has an unfilled parameter", r.path);
        if !r.query.is_empty() {
            path = format!("{path}?{}", r.query);
        }
        let method = Method::from_bytes(r.method.to_uppercase().as_bytes()).unwrap();
        for c in &callers {
            let token = match (r.fresh_session, c.username) {
                (true, Some(user)) => Some(srv.demo_login(user).await),
                _ => c.token.clone(),
            };
            let got = srv
                .call(method.clone(), &path, token.as_deref(), r.body.clone())
                .await;
            calls += 1;
            let allowed = match (&r.policy, c.role) {
                (Policy::Public, _) => true,
                (Policy::Only(roles), Some(role)) => roles.contains(&role),
                (Policy::Only(_), None) => false,
            };
            let verdict = if allowed {
                check_allowed(&got)
            } else {
                check_denied(&got, c.refused_with, &documented_statuses)
            };
            if let Err(why) = verdict {
                failures.push(format!(
                    "{} {} as {}: expected {}, {why}",
                    r.method,
                    r.path,
                    c.name,
                    if allowed { "allowed" } else { "denied" }
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {calls} calls broke the policy:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(calls >= 40 * callers.len(), "only {calls} calls made");
}

/// A quitline (tiered, with follow-ups) and an offline basemap, so every route has something to serve.
fn tiered_quitline_and_basemap(c: &mut siaga::Config) {
    c.routing = serde_json::from_value(json!({
        "lines": [{"line": "quitline", "fallback_after_ms": 60_000,
                   "regional_teams": [{"team_id": "quitline-batam", "region_codes": ["21.71"]}]}],
        "follow_ups": [{"line": "quitline", "day_offsets": [1, 7]}],
    }))
    .unwrap();
    // Only the route is checked here, not the tiles: a PMTiles v3 header is enough.
    let basemap = std::env::temp_dir().join("siaga-authz-basemap.pmtiles");
    let mut bytes = b"PMTiles\x03".to_vec();
    bytes.resize(127, 0);
    std::fs::write(&basemap, bytes).unwrap();
    c.map.basemap_pmtiles = Some(basemap);
}

fn is_method(m: &str) -> bool {
    matches!(
        m,
        "get" | "put" | "post" | "delete" | "options" | "head" | "patch" | "trace"
    )
}

fn check_allowed((status, body): &(StatusCode, Value)) -> Result<(), String> {
    if matches!(
        *status,
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN | StatusCode::NOT_FOUND
    ) || status.is_server_error()
    {
        return Err(format!("got {status}: {body}"));
    }
    Ok(())
}

fn check_denied(
    (status, body): &(StatusCode, Value),
    refused_with: Option<&str>,
    documented: &BTreeSet<String>,
) -> Result<(), String> {
    let code = body["error"]["code"].as_str();
    if !body["error"]["message"].is_string() {
        return Err(format!("got {status} without the error envelope: {body}"));
    }
    match refused_with {
        Some(expected) if *status != StatusCode::UNAUTHORIZED || code != Some(expected) => {
            return Err(format!("got {status} {body}, wanted 401 {expected}"));
        }
        Some(_) => {}
        None => {
            let fits = matches!(
                (*status, code),
                (StatusCode::FORBIDDEN, Some("forbidden"))
                    | (StatusCode::NOT_FOUND, Some("not_found"))
            );
            if !fits {
                return Err(format!(
                    "got {status} {body}, wanted 403 forbidden or 404 not_found"
                ));
            }
        }
    }
    if !documented.contains(status.as_str()) {
        return Err(format!(
            "got {status}, which the operation's documented responses ({documented:?}) do not list"
        ));
    }
    Ok(())
}
