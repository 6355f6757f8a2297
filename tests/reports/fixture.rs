//! The event history the report tests count, written with plain SQL into a running server's database.

use serde_json::Value;
use siaga_core::kpi::period::parse_local_datetime;
use siaga_core::time::{WIB_OFFSET_MINUTES, WITA_OFFSET_MINUTES};
use siaga_tests::{Engine, TestServer};

/// 2026-11-26 00:00 WIB: the moment the reports are made.
pub fn as_of() -> i64 {
    wib("2026-11-26", "00:00")
}

/// `date time` on the WIB wall clock, in ms.
pub fn wib(date: &str, time: &str) -> i64 {
    parse_local_datetime(&format!("{date} {time}"), WIB_OFFSET_MINUTES)
        .unwrap()
        .0
}

/// `date time` on the WITA wall clock, in ms.
pub fn wita(date: &str, time: &str) -> i64 {
    parse_local_datetime(&format!("{date} {time}"), WITA_OFFSET_MINUTES)
        .unwrap()
        .0
}

const D: &str = "2026-11-24";

/// Runs SQL statements (one string each) against the server's database.
pub async fn exec(srv: &TestServer, statements: &[String]) {
    match srv.db.engine {
        Engine::Sqlite => {
            let pool = sqlx::SqlitePool::connect(&srv.db.url).await.unwrap();
            for s in statements {
                sqlx::query(s)
                    .execute(&pool)
                    .await
                    .unwrap_or_else(|e| panic!("{s}: {e}"));
            }
            pool.close().await;
        }
        Engine::Postgres => {
            let pool = sqlx::PgPool::connect(&srv.db.url).await.unwrap();
            for s in statements {
                sqlx::query(s)
                    .execute(&pool)
                    .await
                    .unwrap_or_else(|e| panic!("{s}: {e}"));
            }
            pool.close().await;
        }
    }
}

fn q(v: Option<&str>) -> String {
    v.map_or_else(|| "NULL".to_owned(), |s| format!("'{s}'"))
}

fn n(v: Option<i64>) -> String {
    v.map_or_else(|| "NULL".to_owned(), |x| x.to_string())
}

/// Ids of the demo users, agencies and units the fixture refers to.
pub struct Ids {
    pub operator1: String,
    pub operator2: String,
    pub dispatch_damkar: String,
    pub damkar: String,
    pub dinkes: String,
    pub polres: String,
    pub damkar_unit: String,
    pub dinkes_unit: String,
}

async fn user_id(srv: &TestServer, token: &str, username: &str) -> String {
    let (_, users) = srv.get("/api/v1/users", token).await;
    users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == username)
        .unwrap_or_else(|| panic!("user {username}"))["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn first_unit(srv: &TestServer, token: &str, agency: &str) -> String {
    let (_, units) = srv
        .get(&format!("/api/v1/units?agency_id={agency}"), token)
        .await;
    units[0]["id"].as_str().unwrap().to_owned()
}

/// Looks up the demo ids as `supervisor`.
pub async fn ids(srv: &TestServer, supervisor: &str) -> Ids {
    let damkar = srv.agency_id(supervisor, "DAMKAR-BTM").await;
    let dinkes = srv.agency_id(supervisor, "DINKES-BTM").await;
    Ids {
        operator1: user_id(srv, supervisor, "operator1").await,
        operator2: user_id(srv, supervisor, "operator2").await,
        dispatch_damkar: user_id(srv, supervisor, "dispatch.damkar").await,
        damkar_unit: first_unit(srv, supervisor, &damkar).await,
        dinkes_unit: first_unit(srv, supervisor, &dinkes).await,
        polres: srv.agency_id(supervisor, "POLRESTA-BRL").await,
        damkar,
        dinkes,
    }
}

/// A WITA regency (Kota Makassar) next to the demo's WIB city.
pub fn wita_region() -> String {
    "INSERT INTO regions (code, name, level, parent_code, time_zone, number_prefix, imported_at) \
     VALUES ('73.71', 'Kota Makassar (TEST)', 'regency', '73', 'Asia/Makassar', 'MKS', 0)"
        .to_owned()
}

/// A call; `answer_after_s = None` is an abandoned call.
#[expect(
    clippy::too_many_arguments,
    reason = "one fixture row, column by column"
)]
pub fn call(
    id: &str,
    ring: i64,
    answer_after_s: Option<i64>,
    talk_s: i64,
    class: &str,
    taker: Option<&str>,
    region: &str,
    incident: Option<&str>,
) -> String {
    let answered = answer_after_s.map(|s| ring + s * 1000);
    let ended = answered.map_or(ring + 3000, |a| a + talk_s * 1000);
    let status = if answered.is_some() {
        "ended"
    } else {
        "abandoned"
    };
    format!(
        "INSERT INTO calls (id, ani, channel, service_line, status, class, ring_at, answered_at, ended_at, \
         call_taker_id, region_code, incident_id, created_at, updated_at) VALUES ('{id}', '+6281200000000', \
         'voice', '112', '{status}', '{class}', {ring}, {}, {ended}, {}, '{region}', {}, {ring}, {ended})",
        n(answered),
        q(taker),
        q(incident)
    )
}

/// A call-back task of a call, due 30 minutes after it was created.
pub fn call_back(
    id: &str,
    call: &str,
    created: i64,
    first_attempt: Option<i64>,
    attempts: i64,
    outcome: Option<&str>,
    status: &str,
) -> String {
    let reason = if call == "c5" { "abandoned" } else { "ghost" };
    format!(
        "INSERT INTO call_backs (id, call_id, ani, reason, status, due_at, created_at, attempts, \
         first_attempt_at, last_attempt_at, last_outcome) VALUES ('{id}', '{call}', '+6281200000000', \
         '{reason}', '{status}', {}, {created}, {attempts}, {}, {}, {})",
        created + 30 * 60_000,
        n(first_attempt),
        n(first_attempt),
        q(outcome)
    )
}

/// An incident at a position.
#[expect(
    clippy::too_many_arguments,
    reason = "one fixture row, column by column"
)]
pub fn incident(
    id: &str,
    number: &str,
    category: &str,
    priority: &str,
    region: &str,
    created: i64,
    resolved: Option<i64>,
    closed: Option<i64>,
    lon: f64,
    lat: f64,
) -> String {
    format!(
        "INSERT INTO incidents (id, number, status, category, priority, lon, lat, region_code, created_at, \
         updated_at, resolved_at, closed_at) VALUES ('{id}', '{number}', 'verified', '{category}', '{priority}', \
         {lon}, {lat}, '{region}', {created}, {created}, {}, {})",
        n(resolved),
        n(closed)
    )
}

fn escalation(incident: &str, agency: &str, at: i64) -> String {
    format!(
        "INSERT INTO incident_agencies (incident_id, agency_id, agency_type, status, escalated_at) \
         VALUES ('{incident}', '{agency}', 'fire', 'verified', {at})"
    )
}

#[expect(
    clippy::too_many_arguments,
    reason = "one fixture row, column by column"
)]
fn assignment(
    id: &str,
    incident: &str,
    unit: &str,
    agency: &str,
    by: &str,
    assigned: i64,
    ack: Option<i64>,
    on_scene: Option<i64>,
) -> String {
    format!(
        "INSERT INTO assignments (id, incident_id, unit_id, agency_id, status, assigned_by, assigned_at, \
         acknowledged_at, on_scene_at, updated_at) VALUES ('{id}', '{incident}', '{unit}', '{agency}', \
         'on_scene', '{by}', {assigned}, {}, {}, {assigned})",
        n(ack),
        n(on_scene)
    )
}

#[expect(
    clippy::too_many_arguments,
    reason = "one fixture row, column by column"
)]
fn clock(
    id: &str,
    subject_type: &str,
    subject: &str,
    kind: &str,
    agency: Option<&str>,
    due: i64,
    stopped: Option<i64>,
    breached: bool,
) -> String {
    format!(
        "INSERT INTO sla_clocks (id, subject_type, subject_id, kind, agency_id, started_at, target_ms, due_at, \
         stopped_at, breached_at) VALUES ('{id}', '{subject_type}', '{subject}', '{kind}', {}, {}, 60000, {due}, \
         {}, {})",
        q(agency),
        due - 60_000,
        n(stopped),
        n(breached.then_some(due + 1))
    )
}

fn agent_state(user: &str, state: &str, reason: Option<&str>, at: i64) -> String {
    format!(
        "INSERT INTO agent_states (user_id, state, reason, at) VALUES ('{user}', '{state}', {}, {at})",
        q(reason)
    )
}

/// The fixture of `backend/core/src/kpi/tests.rs`, in SQL: calls c1..c9, incidents I1..I4, their
/// escalations, assignments and SLA clocks s1..s7, and the state history of operator1 (`a`) and operator2 (`b`).
pub fn history(ids: &Ids) -> Vec<String> {
    let (a, b) = (Some(ids.operator1.as_str()), Some(ids.operator2.as_str()));
    let disp = ids.dispatch_damkar.as_str();
    vec![
        wita_region(),
        incident(
            "i1",
            "BTM-20261124-0001",
            "fire",
            "p1",
            "21.71.01",
            wib(D, "08:01"),
            Some(wib(D, "09:00")),
            Some(wib(D, "09:30")),
            104.0537,
            1.1291,
        ),
        incident(
            "i2",
            "BTM-20261124-0002",
            "health",
            "p2",
            "21.71.06",
            wib(D, "20:00"),
            None,
            None,
            104.0538,
            1.1292,
        ),
        incident(
            "i3",
            "BTM-20261125-0001",
            "fire",
            "p1",
            "21.71.01",
            wib("2026-11-25", "00:10"),
            None,
            None,
            103.99,
            1.14,
        ),
        incident(
            "i4",
            "MKS-20261124-0001",
            "traffic_accident",
            "p3",
            "73.71",
            wita(D, "00:20"),
            None,
            None,
            119.42,
            -5.14,
        ),
        call(
            "c1",
            wib(D, "08:00"),
            Some(10),
            300,
            "emergency",
            a,
            "21.71.01",
            Some("i1"),
        ),
        call(
            "c2",
            wib(D, "09:00"),
            Some(15),
            60,
            "information",
            a,
            "21.71.01",
            None,
        ),
        call(
            "c3",
            wib(D, "10:00"),
            Some(20),
            30,
            "prank",
            b,
            "21.71.06",
            None,
        ),
        call(
            "c4",
            wib(D, "11:00"),
            Some(30),
            10,
            "ghost",
            b,
            "21.71.06",
            None,
        ),
        call(
            "c5",
            wib(D, "12:00"),
            None,
            0,
            "abandoned",
            None,
            "21.71.10",
            None,
        ),
        // The start-of-shift test call: in no figure.
        call(
            "c_test",
            wib(D, "07:00"),
            Some(2),
            20,
            "test",
            a,
            "21.71.01",
            None,
        ),
        // Call-backs: the ghost call c4 reached at the first attempt, in time; the abandoned c5 rung twice,
        // late, still open.
        call_back(
            "cb4",
            "c4",
            wib(D, "11:01"),
            Some(wib(D, "11:10")),
            1,
            Some("reached"),
            "done",
        ),
        call_back(
            "cb5",
            "c5",
            wib(D, "12:00"),
            Some(wib(D, "12:45")),
            2,
            Some("no_answer"),
            "open",
        ),
        call(
            "c6",
            wib(D, "23:59:50"),
            Some(15),
            600,
            "emergency",
            a,
            "21.71.01",
            None,
        ),
        call(
            "c7",
            wib("2026-11-25", "00:30"),
            Some(5),
            50,
            "information",
            a,
            "21.71.01",
            None,
        ),
        call(
            "c8",
            wita("2026-11-25", "00:30"),
            Some(5),
            50,
            "information",
            b,
            "73.71",
            None,
        ),
        call(
            "c9",
            wita(D, "00:30"),
            Some(5),
            100,
            "information",
            b,
            "73.71",
            None,
        ),
        // I2's answer came from a call linked through incident_calls only (19:59).
        call(
            "c10",
            wib("2026-10-31", "19:58:30"),
            Some(30),
            60,
            "emergency",
            a,
            "21.71.06",
            None,
        ),
        format!(
            "UPDATE calls SET answered_at = {} WHERE id = 'c10'",
            wib(D, "19:59")
        ),
        "INSERT INTO incident_calls (incident_id, call_id, linked_at) VALUES ('i2', 'c10', 0)"
            .to_owned(),
        escalation("i1", &ids.damkar, wib(D, "08:02")),
        escalation("i2", &ids.dinkes, wib(D, "20:01")),
        escalation("i2", &ids.damkar, wib(D, "20:00:30")),
        escalation("i4", &ids.polres, wita(D, "00:25")),
        assignment(
            "as1",
            "i1",
            &ids.damkar_unit,
            &ids.damkar,
            disp,
            wib(D, "08:03"),
            Some(wib(D, "08:03:30")),
            Some(wib(D, "08:15")),
        ),
        assignment(
            "as2",
            "i2",
            &ids.dinkes_unit,
            &ids.dinkes,
            disp,
            wib(D, "20:02:30"),
            None,
            Some(wib(D, "20:20:30")),
        ),
        clock(
            "s1",
            "incident",
            "i1",
            "dispatch",
            Some(&ids.damkar),
            wib(D, "08:04"),
            Some(wib(D, "08:03")),
            false,
        ),
        clock(
            "s2",
            "assignment",
            "as1",
            "arrival",
            Some(&ids.damkar),
            wib(D, "08:13"),
            Some(wib(D, "08:15")),
            true,
        ),
        clock(
            "s3",
            "incident",
            "i2",
            "dispatch",
            Some(&ids.dinkes),
            wib(D, "20:05"),
            Some(wib(D, "20:02:30")),
            false,
        ),
        clock(
            "s4",
            "assignment",
            "as2",
            "arrival",
            Some(&ids.dinkes),
            wib(D, "20:15:30"),
            None,
            false,
        ),
        clock(
            "s5",
            "call",
            "c5",
            "answer",
            None,
            wib(D, "12:00:10"),
            None,
            true,
        ),
        clock(
            "s6",
            "incident",
            "i4",
            "escalation",
            None,
            wib("2026-11-30", "00:00"),
            None,
            false,
        ),
        clock(
            "s7",
            "call",
            "c7",
            "answer",
            None,
            wib("2026-11-25", "00:30:10"),
            None,
            true,
        ),
        agent_state(&ids.operator1, "logged_in", None, wib(D, "06:55")),
        agent_state(&ids.operator1, "ready", None, wib(D, "07:00")),
        agent_state(&ids.operator1, "aux", Some("break"), wib(D, "12:00")),
        agent_state(&ids.operator1, "ready", None, wib(D, "12:30")),
        agent_state(&ids.operator1, "logged_out", None, wib(D, "14:30")),
        agent_state(
            &ids.operator2,
            "logged_out",
            None,
            wib("2026-11-23", "15:00"),
        ),
        agent_state(&ids.operator2, "ready", None, wib(D, "07:10")),
        agent_state(&ids.operator2, "aux", Some(" Toilet "), wib(D, "10:00")),
        agent_state(&ids.operator2, "ready", None, wib(D, "10:05")),
        agent_state(&ids.operator2, "logged_out", None, wib(D, "15:05")),
    ]
}

/// The shift schedule of the fixture, as the CSV a supervisor uploads (WIB wall clock).
pub const SCHEDULE_CSV: &str = "username,shift_start,shift_end\n\
    operator1,2026-11-24 07:00,2026-11-24 15:00\n\
    operator2,2026-11-24 07:00,2026-11-24 15:00\n\
    operator2,2026-11-24 16:00,2026-11-24 20:00\n";

/// A server at `as_of` with the demo data, the fixture and the schedule; returns it, a supervisor token and
/// the ids.
pub async fn server_with_history(engine: Engine) -> (TestServer, String, Ids) {
    let srv = TestServer::start_with(
        engine,
        siaga_tests::Options {
            manual_clock_at: Some(as_of()),
            demo: true,
            ..Default::default()
        },
    )
    .await;
    let supervisor = srv.demo_login("supervisor").await;
    let ids = ids(&srv, &supervisor).await;
    exec(&srv, &history(&ids)).await;
    let resp = srv
        .request(
            reqwest::Method::POST,
            "/api/v1/agents/schedules",
            Some(&supervisor),
        )
        .header("content-type", "text/csv")
        .body(SCHEDULE_CSV)
        .send()
        .await
        .unwrap();
    let (status, body) = siaga_tests::read(resp).await;
    assert_eq!(status, reqwest::StatusCode::OK, "{body}");
    assert_eq!(body["imported"], 3);
    (srv, supervisor, ids)
}

/// The `count` under `key` in a list of `{key, count}`.
pub fn count(list: &Value, key: &str) -> u64 {
    list.as_array()
        .unwrap()
        .iter()
        .find(|k| k["key"] == key)
        .map_or(0, |k| k["count"].as_u64().unwrap())
}
