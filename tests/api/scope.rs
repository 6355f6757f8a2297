//! Role and scope checks: each role is refused (403) on at least one endpoint of each kind, and allowed where
//! its work needs it; region-scoped desks, OPDs and gateways reach only what their scope covers
//! (`siaga_core::scope`): one scenario per finding of the security probe (issue 13: 4, 5, 6, 8, 9, 17).

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use siaga_tests::{DEMO_PASSWORD, Engine, TestServer, assert_error, engine_tests};

/// Batam Centre, inside the demo district 21.71.10.
const LON: f64 = 104.0537;
const LAT: f64 = 1.1279;

engine_tests!(
    account_endpoints_are_for_admins_and_supervisors,
    agency_and_unit_creation_is_for_admins,
    dispatcher_sees_and_changes_only_its_own_agencys_units,
    responder_sees_and_changes_only_its_own_unit,
    audit_trail_is_for_supervisors_and_admins,
    every_protected_endpoint_refuses_a_missing_token,
    listing_calls_is_an_audited_read_of_each_callers_number,
    region_scoped_desks_read_and_work_only_their_regions_calls,
    a_calls_aml_fix_is_frozen_once_classified_or_linked_and_kept_in_the_audit,
    a_gateway_touches_only_the_calls_it_registered,
    force_logout_stays_in_the_supervisors_region_and_never_reaches_an_admin,
    an_opd_that_rejected_an_incident_no_longer_reads_or_closes_it,
    a_region_scoped_supervisor_files_lists_audits_and_schedules_only_in_its_region,
    a_dispatchers_nearest_units_are_its_own_agencys_only,
);

async fn units_of(srv: &TestServer, token: &str, agency: &str) -> Vec<Value> {
    let (status, body) = srv
        .get(&format!("/api/v1/units?agency_id={agency}"), token)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body.as_array().unwrap().clone()
}

async fn account_endpoints_are_for_admins_and_supervisors(engine: Engine) {
    let srv = TestServer::start(engine).await;
    let new_user = json!({
        "username": "operator9", "display_name": "Call Taker Sembilan",
        "role": "call_taker", "password": "panjang-sekali"
    });
    for user in ["operator1", "dispatch.damkar", "amb01"] {
        let token = srv.demo_login(user).await;
        assert_error(
            &srv.get("/api/v1/users", &token).await,
            StatusCode::FORBIDDEN,
            "forbidden",
        );
        assert_error(
            &srv.post("/api/v1/users", &token, new_user.clone()).await,
            StatusCode::FORBIDDEN,
            "forbidden",
        );
    }
    let supervisor = srv.demo_login("supervisor").await;
    assert_eq!(
        srv.get("/api/v1/users", &supervisor).await.0,
        StatusCode::OK
    );
    assert_error(
        &srv.post("/api/v1/users", &supervisor, new_user.clone())
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    let admin = srv.demo_login("admin").await;
    let (status, body) = srv.post("/api/v1/users", &admin, new_user.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    srv.login("operator9", "panjang-sekali").await;
    let dup = srv.post("/api/v1/users", &admin, new_user).await;
    let err = assert_error(&dup, StatusCode::CONFLICT, "conflict");
    assert_eq!(err["field"], "username");
}

async fn agency_and_unit_creation_is_for_admins(engine: Engine) {
    let srv = TestServer::start(engine).await;
    let agency = json!({"code": "SATPOL-BTM", "name": "Satpol PP Batam", "agency_type": "other", "region_code": "21.71"});
    for user in ["operator1", "dispatch.damkar", "amb01", "supervisor"] {
        let token = srv.demo_login(user).await;
        assert_error(
            &srv.post("/api/v1/agencies", &token, agency.clone()).await,
            StatusCode::FORBIDDEN,
            "forbidden",
        );
    }
    let admin = srv.demo_login("admin").await;
    let (status, created) = srv.post("/api/v1/agencies", &admin, agency).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");

    let unit = json!({"agency_id": created["id"], "call_sign": "SAT-01", "unit_type": "other",
                      "position": {"lon": 104.05, "lat": 1.13}});
    let dispatcher = srv.demo_login("dispatch.damkar").await;
    assert_error(
        &srv.post("/api/v1/units", &dispatcher, unit.clone()).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    let (status, body) = srv.post("/api/v1/units", &admin, unit).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["status"], "available");
    assert_eq!(body["position"]["lon"], 104.05);
}

async fn dispatcher_sees_and_changes_only_its_own_agencys_units(engine: Engine) {
    let srv = TestServer::start(engine).await;
    let damkar = srv.demo_login("dispatch.damkar").await;
    let damkar_id = srv.agency_id(&damkar, "DAMKAR-BTM").await;
    let police_id = srv.agency_id(&damkar, "POLRESTA-BRL").await;

    // Listing without a filter shows only the dispatcher's own agency.
    let (_, all) = srv.get("/api/v1/units", &damkar).await;
    let all = all.as_array().unwrap();
    assert_eq!(all.len(), 4);
    assert!(all.iter().all(|u| u["agency_id"] == damkar_id.as_str()));

    // Another agency's units are refused, by list and by id.
    let denied = srv
        .get(&format!("/api/v1/units?agency_id={police_id}"), &damkar)
        .await;
    assert_error(&denied, StatusCode::FORBIDDEN, "forbidden");
    let supervisor = srv.demo_login("supervisor").await;
    let police_units = units_of(&srv, &supervisor, &police_id).await;
    let police_unit = police_units[0]["id"].as_str().unwrap();
    assert_error(
        &srv.get(&format!("/api/v1/units/{police_unit}"), &damkar)
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    let change = srv
        .call(
            Method::PATCH,
            &format!("/api/v1/units/{police_unit}/status"),
            Some(&damkar),
            Some(json!({"status": "out_of_service"})),
        )
        .await;
    assert_error(&change, StatusCode::FORBIDDEN, "forbidden");

    // Its own unit: allowed, and audited.
    let own = all[0]["id"].as_str().unwrap();
    let (status, body) = srv
        .call(
            Method::PATCH,
            &format!("/api/v1/units/{own}/status"),
            Some(&damkar),
            Some(json!({"status": "out_of_service"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "out_of_service");
    let (_, audit) = srv
        .get(
            &format!("/api/v1/audit?subject_id={own}&action=unit.status"),
            &supervisor,
        )
        .await;
    assert_eq!(audit.as_array().unwrap().len(), 1, "{audit}");
    assert_eq!(audit[0]["before"]["status"], "available");
    assert_eq!(audit[0]["after"]["status"], "out_of_service");

    // Statuses that follow assignments cannot be set by hand; the error lists what can.
    let bad = srv
        .call(
            Method::PATCH,
            &format!("/api/v1/units/{own}/status"),
            Some(&damkar),
            Some(json!({"status": "on_scene"})),
        )
        .await;
    let err = assert_error(&bad, StatusCode::CONFLICT, "invalid_transition");
    assert_eq!(err["allowed"], json!(["available"]));
}

async fn responder_sees_and_changes_only_its_own_unit(engine: Engine) {
    let srv = TestServer::start(engine).await;
    let responder = srv.demo_login("amb01").await;
    let (_, me) = srv.get("/api/v1/auth/me", &responder).await;
    let own = me["unit_id"].as_str().unwrap().to_owned();
    let (_, visible) = srv.get("/api/v1/units", &responder).await;
    let visible = visible.as_array().unwrap();
    assert_eq!(visible.len(), 1);
    assert_eq!(visible[0]["id"], own.as_str());
    assert_eq!(visible[0]["call_sign"], "AMB-01");

    let supervisor = srv.demo_login("supervisor").await;
    let dinkes = srv.agency_id(&supervisor, "DINKES-BTM").await;
    let colleague = units_of(&srv, &supervisor, &dinkes)
        .await
        .into_iter()
        .find(|u| u["call_sign"] == "AMB-02")
        .unwrap();
    let colleague = colleague["id"].as_str().unwrap();
    assert_error(
        &srv.get(&format!("/api/v1/units/{colleague}"), &responder)
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    let change = srv
        .call(
            Method::PATCH,
            &format!("/api/v1/units/{colleague}/status"),
            Some(&responder),
            Some(json!({"status": "out_of_service"})),
        )
        .await;
    assert_error(&change, StatusCode::FORBIDDEN, "forbidden");
    let (status, _) = srv
        .call(
            Method::PATCH,
            &format!("/api/v1/units/{own}/status"),
            Some(&responder),
            Some(json!({"status": "out_of_service"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    // A call taker cannot change unit statuses at all.
    let taker = srv.demo_login("operator1").await;
    let change = srv
        .call(
            Method::PATCH,
            &format!("/api/v1/units/{own}/status"),
            Some(&taker),
            Some(json!({"status": "available"})),
        )
        .await;
    assert_error(&change, StatusCode::FORBIDDEN, "forbidden");
}

async fn audit_trail_is_for_supervisors_and_admins(engine: Engine) {
    let srv = TestServer::start(engine).await;
    for user in ["operator1", "dispatch.polres", "ptl01"] {
        let token = srv.demo_login(user).await;
        assert_error(
            &srv.get("/api/v1/audit", &token).await,
            StatusCode::FORBIDDEN,
            "forbidden",
        );
    }
    for user in ["supervisor", "admin"] {
        let token = srv.demo_login(user).await;
        let (status, body) = srv.get("/api/v1/audit?action=session.login", &token).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(!body.as_array().unwrap().is_empty());
    }
}

async fn every_protected_endpoint_refuses_a_missing_token(engine: Engine) {
    let srv = TestServer::start(engine).await;
    let (_, doc) = srv.call(Method::GET, "/api/openapi.json", None, None).await;
    let paths = doc["paths"].as_object().expect("paths");
    let mut checked = 0;
    for (path, ops) in paths {
        for (method, op) in ops.as_object().unwrap() {
            if op.get("security").is_none() {
                continue;
            }
            let concrete = path.replace("{id}", "00000000-0000-0000-0000-000000000000");
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let got = srv.call(method.clone(), &concrete, None, None).await;
            assert_error(&got, StatusCode::UNAUTHORIZED, "unauthenticated");
            checked += 1;
        }
    }
    assert!(checked >= 10, "only {checked} protected operations found");
}

// ---- Region, agency and gateway scopes (issue 13) ----

/// An HTTPS-form AML payload placing the caller at `lon`, `lat`.
fn aml_at(lon: f64, lat: f64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis();
    format!(
        "v=3&location_latitude={lat}&location_longitude={lon}&location_accuracy=20&location_time={now}"
    )
}

/// Creates an account (as `admin`) and logs it in.
async fn account(
    srv: &TestServer,
    admin: &str,
    username: &str,
    role: &str,
    region: Option<&str>,
) -> String {
    if let Some(code) = region {
        srv.ensure_region(code, code).await;
    }
    let (s, body) = srv
        .post(
            "/api/v1/users",
            admin,
            json!({"username": username, "display_name": username, "role": role,
                   "password": DEMO_PASSWORD, "region_code": region}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    srv.login(username, DEMO_PASSWORD).await
}

/// Supervisors scoped to Jakarta (31.71) and to Batam (21.71), logged in.
async fn regional_supervisors(srv: &TestServer, admin: &str) -> (String, String) {
    let jakarta = account(
        srv,
        admin,
        "supervisor.jakarta",
        "supervisor",
        Some("31.71"),
    )
    .await;
    let batam = account(srv, admin, "supervisor.batam", "supervisor", Some("21.71")).await;
    (jakarta, batam)
}

/// The id of the account behind `token`.
async fn me(srv: &TestServer, token: &str) -> String {
    let (_, me) = srv.get("/api/v1/auth/me", token).await;
    me["id"].as_str().unwrap().to_owned()
}

/// The id of the user named `username` (read by an admin).
async fn user_id(srv: &TestServer, admin: &str, username: &str) -> String {
    let (_, users) = srv.get("/api/v1/users", admin).await;
    users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == username)
        .unwrap_or_else(|| panic!("no user {username}"))["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Registers a call (with an AML fix when given) and returns its id.
async fn ring(srv: &TestServer, token: &str, ani: &str, aml: Option<String>) -> String {
    let (s, call) = srv
        .post(
            "/api/v1/calls",
            token,
            json!({"ani": ani, "channel": "voice", "aml": aml}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{call}");
    call["id"].as_str().unwrap().to_owned()
}

/// The ids in a list answer.
fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"))
        .iter()
        .map(|v| v["id"].as_str().unwrap().to_owned())
        .collect()
}

/// Audit entries matching `query`, read by an admin.
async fn audit(srv: &TestServer, admin: &str, query: &str) -> Vec<Value> {
    let (s, body) = srv.get(&format!("/api/v1/audit?{query}"), admin).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    body.as_array().unwrap().clone()
}

/// Finding 4: `GET /calls` shows callers' numbers, so each call it lists is an audited read, as `GET
/// /calls/{id}` is.
async fn listing_calls_is_an_audited_read_of_each_callers_number(engine: Engine) {
    let srv = TestServer::start(engine).await;
    let admin = srv.demo_login("admin").await;
    let taker = srv.demo_login("operator1").await;
    let supervisor = srv.demo_login("supervisor").await;
    let first = ring(&srv, &taker, "081200004401", None).await;
    let second = ring(&srv, &taker, "081200004402", None).await;
    let (s, list) = srv.get("/api/v1/calls?status=ringing", &supervisor).await;
    assert_eq!(s, StatusCode::OK, "{list}");
    let listed = ids(&list);
    assert!(
        listed.contains(&first) && listed.contains(&second),
        "{list}"
    );
    let reader = me(&srv, &supervisor).await;
    for id in [&first, &second] {
        let reads = audit(
            &srv,
            &admin,
            &format!("action=call.read_personal&subject_id={id}"),
        )
        .await;
        assert!(
            reads.iter().any(|e| e["actor_id"] == reader.as_str()),
            "no audited read of {id} by the supervisor: {reads:?}"
        );
    }
}

/// Finding 5: a call taker or supervisor scoped to a city or a kecamatan reads and works only the calls
/// located there; a call not located yet is the whole desk's.
async fn region_scoped_desks_read_and_work_only_their_regions_calls(engine: Engine) {
    let srv = TestServer::start(engine).await;
    let admin = srv.demo_login("admin").await;
    let taker = srv.demo_login("operator1").await;
    let jakarta_taker = account(&srv, &admin, "taker.jakarta", "call_taker", Some("31.71")).await;
    let jakarta_supervisor = account(
        &srv,
        &admin,
        "supervisor.jakarta",
        "supervisor",
        Some("31.71"),
    )
    .await;
    // Another kecamatan of Batam than the caller's (21.71.10).
    let sekupang_taker = account(
        &srv,
        &admin,
        "taker.sekupang",
        "call_taker",
        Some("21.71.06"),
    )
    .await;
    let batam_taker = account(&srv, &admin, "taker.batam", "call_taker", Some("21.71")).await;
    let located = ring(&srv, &taker, "081200005501", Some(aml_at(LON, LAT))).await;
    let unlocated = ring(&srv, &taker, "081200005502", None).await;

    for outsider in [&jakarta_taker, &jakarta_supervisor, &sekupang_taker] {
        let (s, list) = srv.get("/api/v1/calls", outsider).await;
        assert_eq!(s, StatusCode::OK, "{list}");
        let listed = ids(&list);
        assert!(!listed.contains(&located), "{list}");
        assert!(
            listed.contains(&unlocated),
            "an unlocated call is the whole desk's: {list}"
        );
        let read = srv.get(&format!("/api/v1/calls/{located}"), outsider).await;
        let err = assert_error(&read, StatusCode::FORBIDDEN, "forbidden");
        assert!(err.to_string().find("0812000055").is_none(), "{err}");
    }
    for path in ["answer", "end"] {
        assert_error(
            &srv.post(
                &format!("/api/v1/calls/{located}/{path}"),
                &jakarta_taker,
                json!({}),
            )
            .await,
            StatusCode::FORBIDDEN,
            "forbidden",
        );
    }
    // The city's desk sees and answers it: the AML fix located it in Batam Kota.
    let (_, call) = srv.get(&format!("/api/v1/calls/{located}"), &taker).await;
    assert_eq!(call["route"]["region_code"], "21.71.10", "{call}");
    let (_, list) = srv.get("/api/v1/calls", &batam_taker).await;
    assert!(ids(&list).contains(&located), "{list}");
    let (s, body) = srv
        .post(
            &format!("/api/v1/calls/{located}/answer"),
            &batam_taker,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
}

/// Finding 6 (the fix): a late AML fix may replace the fix only until the call is classified or linked to an
/// incident (then 409 naming `aml`), and the audit keeps the fix it replaced.
async fn a_calls_aml_fix_is_frozen_once_classified_or_linked_and_kept_in_the_audit(engine: Engine) {
    let srv = TestServer::start(engine).await;
    let admin = srv.demo_login("admin").await;
    let taker = srv.demo_login("operator1").await;
    let id = ring(&srv, &taker, "081200006601", Some(aml_at(LON, LAT))).await;
    let aml_path = format!("/api/v1/calls/{id}/aml");

    // Before classification a better fix replaces the first; the audit keeps what it replaced.
    let (s, body) = srv
        .post(
            &aml_path,
            &taker,
            json!({"payload": aml_at(104.0540, 1.1282)}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let entries = audit(&srv, &admin, &format!("action=call.aml&subject_id={id}")).await;
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0]["before"]["aml"]["lat"], LAT, "{entries:?}");
    assert_eq!(entries[0]["before"]["aml"]["lon"], LON, "{entries:?}");
    assert!(
        !entries[0].to_string().contains("location_time"),
        "{entries:?}"
    );
    assert_eq!(entries[0]["after"]["aml"]["lat"], 1.1282, "{entries:?}");

    for (step, body) in [
        ("answer", json!({})),
        ("classify", json!({"class": "emergency"})),
    ] {
        let (s, body) = srv
            .post(&format!("/api/v1/calls/{id}/{step}"), &taker, body)
            .await;
        assert_eq!(s, StatusCode::OK, "{step}: {body}");
    }
    for who in [&taker, &admin] {
        let refused = srv
            .post(&aml_path, who, json!({"payload": aml_at(106.8, -6.2)}))
            .await;
        let err = assert_error(&refused, StatusCode::CONFLICT, "conflict");
        assert_eq!(err["field"], "aml", "{err}");
    }
    // Linked to an incident: still frozen.
    let (s, incident) = srv
        .post(
            "/api/v1/incidents",
            &taker,
            json!({"call_id": id, "category": "health", "priority": "p2",
                   "location": {"lon": LON, "lat": LAT}, "victims": {"count": 1, "condition": "serious"}}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{incident}");
    let refused = srv
        .post(&aml_path, &taker, json!({"payload": aml_at(106.8, -6.2)}))
        .await;
    assert_error(&refused, StatusCode::CONFLICT, "conflict");
    let (_, call) = srv.get(&format!("/api/v1/calls/{id}"), &taker).await;
    assert_eq!(call["aml"]["lat"], 1.1282, "{call}");
}

/// Finding 6 (the gateway): an integration account touches only the calls it registered, and its answers
/// never show another call's number.
async fn a_gateway_touches_only_the_calls_it_registered(engine: Engine) {
    let srv = TestServer::start(engine).await;
    let admin = srv.demo_login("admin").await;
    let taker = srv.demo_login("operator1").await;
    let (s, gateway) = srv
        .post(
            "/api/v1/users",
            &admin,
            json!({"username": "pbx.batam", "display_name": "PBX", "role": "integration",
                   "password": DEMO_PASSWORD}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{gateway}");
    let (s, issued) = srv
        .post(
            &format!(
                "/api/v1/users/{}/service-token",
                gateway["id"].as_str().unwrap()
            ),
            &admin,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{issued}");
    let pbx = issued["token"].as_str().unwrap().to_owned();

    let own = ring(&srv, &pbx, "081200007701", None).await;
    let (s, body) = srv
        .post(
            &format!("/api/v1/calls/{own}/aml"),
            &pbx,
            json!({"payload": aml_at(LON, LAT)}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");

    let others = ring(&srv, &taker, "081200007702", None).await;
    for (path, body) in [
        ("aml", json!({"payload": aml_at(LON, LAT)})),
        ("end", json!({})),
    ] {
        let got = srv
            .post(&format!("/api/v1/calls/{others}/{path}"), &pbx, body)
            .await;
        assert_error(&got, StatusCode::FORBIDDEN, "forbidden");
        assert!(
            !got.1.to_string().contains("081200007702"),
            "{path}: {}",
            got.1
        );
    }
    let (_, call) = srv.get(&format!("/api/v1/calls/{others}"), &taker).await;
    assert!(call["aml"].is_null(), "{call}");
    assert_eq!(call["status"], "ringing", "{call}");
}

/// Finding 8: a region-scoped supervisor forces out only users working in its region (a dispatcher works in
/// its agency's region; a user of no region works for the whole centre), and no supervisor forces out an
/// admin.
async fn force_logout_stays_in_the_supervisors_region_and_never_reaches_an_admin(engine: Engine) {
    let srv = TestServer::start(engine).await;
    let admin = srv.demo_login("admin").await;
    let (jakarta, batam) = regional_supervisors(&srv, &admin).await;
    let supervisor = srv.demo_login("supervisor").await;
    let force = |token: String, username: &'static str| {
        let srv = &srv;
        let admin = admin.clone();
        async move {
            let id = user_id(srv, &admin, username).await;
            srv.post(
                &format!("/api/v1/users/{id}/force-logout"),
                &token,
                json!({"reason": "scope test"}),
            )
            .await
        }
    };
    for target in ["dispatch.dinkes", "operator1", "admin"] {
        let got = force(jakarta.clone(), target).await;
        assert_error(&got, StatusCode::FORBIDDEN, "forbidden");
    }
    // Batam's supervisor: Batam's dispatcher yes, a centre-wide call taker or an admin no.
    let got = force(batam.clone(), "dispatch.dinkes").await;
    assert_eq!(got.0, StatusCode::OK, "{}", got.1);
    for target in ["operator1", "admin"] {
        assert_error(
            &force(batam.clone(), target).await,
            StatusCode::FORBIDDEN,
            "forbidden",
        );
    }
    // The centre's supervisor: anyone but an admin.
    assert_error(
        &force(supervisor.clone(), "admin").await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    let got = force(supervisor.clone(), "operator1").await;
    assert_eq!(got.0, StatusCode::OK, "{}", got.1);
    // The admin is still logged in.
    assert_eq!(srv.get("/api/v1/auth/me", &admin).await.0, StatusCode::OK);
}

/// Finding 9: an OPD that sent an incident back is no longer part of it: it neither reads it (nor its
/// reporter) nor lists it, nor closes it with its own report, while the other OPD works it to the end.
async fn an_opd_that_rejected_an_incident_no_longer_reads_or_closes_it(engine: Engine) {
    let srv = TestServer::start(engine).await;
    let taker = srv.demo_login("operator1").await;
    let damkar = srv.demo_login("dispatch.damkar").await;
    let dinkes = srv.demo_login("dispatch.dinkes").await;
    // A fire with a victim: Damkar and Dinkes.
    let (s, incident) = srv
        .post(
            "/api/v1/incidents",
            &taker,
            json!({"category": "fire", "priority": "p2", "location": {"lon": LON, "lat": LAT},
                   "reporter": {"name": "Pelapor Rahasia", "phone": "081277771234"},
                   "victims": {"count": 1, "condition": "serious"}}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{incident}");
    assert_eq!(
        incident["agencies"].as_array().unwrap().len(),
        2,
        "{incident}"
    );
    let id = incident["id"].as_str().unwrap().to_owned();
    let path = |action: &str| format!("/api/v1/incidents/{id}/{action}");
    let (_, list) = srv.get("/api/v1/incidents", &damkar).await;
    assert!(ids(&list).contains(&id), "{list}");

    let (s, rejected) = srv
        .post(
            &path("reject"),
            &damkar,
            json!({"reason": "bukan kebakaran"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{rejected}");
    assert!(rejected["reporter"].is_null(), "{rejected}");
    assert_error(
        &srv.get(&format!("/api/v1/incidents/{id}"), &damkar).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    let (_, list) = srv.get("/api/v1/incidents", &damkar).await;
    assert!(!ids(&list).contains(&id), "{list}");
    assert_error(
        &srv.get(&path("recommendations"), &damkar).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );

    // Dinkes works it to resolved; Damkar still may not close it.
    let admin = srv.demo_login("admin").await;
    let amb = srv.unit_id(&admin, "AMB-01").await;
    let (s, assignment) = srv
        .post(&path("assignments"), &dinkes, json!({"unit_id": amb}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{assignment}");
    let crew = srv.demo_login("amb01").await;
    let assignment = assignment["id"].as_str().unwrap();
    for status in ["acknowledged", "en_route", "on_scene", "resolved"] {
        let (s, a) = srv
            .post(
                &format!("/api/v1/assignments/{assignment}/status"),
                &crew,
                json!({"status": status}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{status}: {a}");
    }
    assert_error(
        &srv.post(&path("close"), &damkar, json!({"report": "laporan palsu"}))
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    let (s, closed) = srv
        .post(
            &path("close"),
            &dinkes,
            json!({"report": "korban dibawa ke RS"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{closed}");
    assert_eq!(closed["final_report"], "korban dibawa ke RS");
}

/// Finding 17: a supervisor scoped to Jakarta neither files an incident in Batam nor reads Batam's users or
/// audit trail, nor schedules Batam's agents.
async fn a_region_scoped_supervisor_files_lists_audits_and_schedules_only_in_its_region(
    engine: Engine,
) {
    let srv = TestServer::start(engine).await;
    let admin = srv.demo_login("admin").await;
    let (jakarta, batam) = regional_supervisors(&srv, &admin).await;
    let dinkes = srv.demo_login("dispatch.dinkes").await;
    let dinkes_id = me(&srv, &dinkes).await;

    let incident = json!({"category": "health", "priority": "p2", "location": {"lon": LON, "lat": LAT},
                          "victims": {"count": 1, "condition": "serious"}});
    assert_error(
        &srv.post("/api/v1/incidents", &jakarta, incident.clone())
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    let (s, filed) = srv.post("/api/v1/incidents", &batam, incident).await;
    assert_eq!(s, StatusCode::CREATED, "{filed}");

    // Users: Jakarta sees only itself; Batam its dispatchers and responders, not the centre-wide accounts.
    let names = |list: &Value| -> Vec<String> {
        list.as_array()
            .unwrap()
            .iter()
            .map(|u| u["username"].as_str().unwrap().to_owned())
            .collect()
    };
    let (_, users) = srv.get("/api/v1/users", &jakarta).await;
    assert_eq!(names(&users), ["supervisor.jakarta"], "{users}");
    let (_, users) = srv.get("/api/v1/users", &batam).await;
    let batam_users = names(&users);
    assert!(
        batam_users.contains(&"dispatch.dinkes".to_owned()),
        "{users}"
    );
    assert!(!batam_users.contains(&"operator1".to_owned()), "{users}");
    assert!(!batam_users.contains(&"admin".to_owned()), "{users}");

    // The audit trail: Batam's dispatcher's login is Batam's, not Jakarta's.
    let query = format!("/api/v1/audit?action=session.login&actor_id={dinkes_id}");
    let (s, entries) = srv.get(&query, &jakarta).await;
    assert_eq!(s, StatusCode::OK, "{entries}");
    assert_eq!(entries, json!([]));
    let (_, entries) = srv
        .get("/api/v1/audit?action=incident.create", &jakarta)
        .await;
    assert_eq!(entries, json!([]));
    let (_, entries) = srv.get(&query, &batam).await;
    assert!(!entries.as_array().unwrap().is_empty(), "{entries}");

    // Shifts: Jakarta schedules none of Batam's (or the centre's) agents; Batam its own dispatcher.
    for username in ["operator1", "dispatch.dinkes"] {
        let shift = json!([{"username": username, "shift_start": "2026-11-26 07:00",
                            "shift_end": "2026-11-26 15:00"}]);
        assert_error(
            &srv.post("/api/v1/agents/schedules", &jakarta, shift).await,
            StatusCode::FORBIDDEN,
            "forbidden",
        );
    }
    let shift = json!([{"username": "dispatch.dinkes", "shift_start": "2026-11-26 07:00",
                        "shift_end": "2026-11-26 15:00"}]);
    let (s, body) = srv.post("/api/v1/agents/schedules", &batam, shift).await;
    assert!(s.is_success(), "{body}");
    let (_, agents) = srv.get("/api/v1/agents", &jakarta).await;
    assert_eq!(agents, json!([]));
    // Units: Batam's fleet is not Jakarta's to read.
    let amb = srv.unit_id(&admin, "AMB-01").await;
    assert_error(
        &srv.get(&format!("/api/v1/units/{amb}"), &jakarta).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    let (_, units) = srv.get("/api/v1/units", &jakarta).await;
    assert_eq!(units, json!([]));
}

/// Finding 17 (geo): a dispatcher's nearest units, and the nearer units left out, are its own OPD's only.
async fn a_dispatchers_nearest_units_are_its_own_agencys_only(engine: Engine) {
    let srv = TestServer::start(engine).await;
    let damkar = srv.demo_login("dispatch.damkar").await;
    let own = srv.agency_id(&damkar, "DAMKAR-BTM").await;
    let (_, own_units) = srv.get("/api/v1/units", &damkar).await;
    let own_units = ids(&own_units);
    let (s, near) = srv
        .get(
            &format!("/api/v1/geo/nearest?lon={LON}&lat={LAT}&k=10"),
            &damkar,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{near}");
    let units = near["units"].as_array().unwrap();
    assert!(!units.is_empty(), "{near}");
    assert!(
        units.iter().all(|u| u["agency_id"] == own.as_str()),
        "{near}"
    );
    for e in near["excluded"].as_array().unwrap() {
        assert!(
            own_units.contains(&e["unit_id"].as_str().unwrap().to_owned()),
            "another OPD's unit among the excluded: {near}"
        );
    }
}
