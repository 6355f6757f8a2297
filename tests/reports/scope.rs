//! Who may see which report, bad parameters, and the heat map.

use crate::fixture::server_with_history;
use reqwest::StatusCode;
use siaga_tests::{Engine, assert_error, engine_tests};

engine_tests!(
    reports_are_for_supervisors_admins_and_an_opds_own_dispatchers,
    bad_report_parameters_name_the_field,
    heatmap_counts_incidents_per_h3_cell,
);

async fn reports_are_for_supervisors_admins_and_an_opds_own_dispatchers(engine: Engine) {
    let (srv, supervisor, ids) = server_with_history(engine).await;
    for user in ["operator1", "amb01"] {
        let token = srv.demo_login(user).await;
        assert_error(
            &srv.get("/api/v1/reports/kpi?period=2026-11-24", &token)
                .await,
            StatusCode::FORBIDDEN,
            "forbidden",
        );
    }
    let dispatcher = srv.demo_login("dispatch.damkar").await;
    assert_error(
        &srv.get(
            &format!(
                "/api/v1/reports/kpi?period=2026-11-24&agency_id={}",
                ids.dinkes
            ),
            &dispatcher,
        )
        .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    // A dispatcher's report is their OPD's: I1 and I2 were escalated to Damkar; only I1's assignment and
    // clocks are Damkar's; the calls are those linked to Damkar's incidents (c1).
    let (status, own) = srv
        .get("/api/v1/reports/kpi?period=2026-11-24", &dispatcher)
        .await;
    assert_eq!(status, StatusCode::OK, "{own}");
    assert_eq!(own["scope"]["agency_id"], ids.damkar.as_str());
    assert_eq!(own["incidents"]["total"], 2);
    assert_eq!(own["calls"]["offered"], 1);
    assert_eq!(
        (
            &own["sla"]["total"]["met"],
            &own["sla"]["total"]["breached"]
        ),
        (&1.into(), &1.into())
    );
    let agents: Vec<&str> = own["agents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["username"].as_str().unwrap())
        .collect();
    assert_eq!(agents, ["dispatch.damkar"]);
    // The same as the supervisor asking for Damkar.
    let (_, same) = srv
        .get(
            &format!(
                "/api/v1/reports/kpi?period=2026-11-24&agency_id={}",
                ids.damkar
            ),
            &supervisor,
        )
        .await;
    assert_eq!(same["incidents"], own["incidents"]);
    assert_eq!(same["intervals"], own["intervals"]);
    let admin = srv.demo_login("admin").await;
    assert_eq!(
        srv.get("/api/v1/reports/monthly?period=2026-11", &admin)
            .await
            .0,
        StatusCode::OK
    );
}

async fn bad_report_parameters_name_the_field(engine: Engine) {
    let (srv, supervisor, _) = server_with_history(engine).await;
    for (query, field) in [
        ("kpi?period=2026-13", "period"),
        ("kpi?period=2026-W54", "period"),
        ("kpi?period=2026-11-24&format=pdf", "format"),
        ("kpi?period=2026-11-24&region=99.99", "region"),
        ("kpi?period=2026-11-24&agency_id=nope", "agency_id"),
        ("heatmap?category=volcano", "category"),
        ("heatmap?from=yesterday", "from"),
        ("heatmap?from=2000&to=1000", "to"),
    ] {
        let err = assert_error(
            &srv.get(&format!("/api/v1/reports/{query}"), &supervisor)
                .await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        );
        assert_eq!(err["field"], field, "{query}");
    }
    let err = assert_error(
        &srv.get("/api/v1/reports/kpi?period=2026-11&colour=red", &supervisor)
            .await,
        StatusCode::BAD_REQUEST,
        "bad_request",
    );
    assert_eq!(err["field"], "colour");
    let err = assert_error(
        &srv.get("/api/v1/reports/kpi", &supervisor).await,
        StatusCode::BAD_REQUEST,
        "bad_request",
    );
    assert_eq!(err["field"], "period");
}

async fn heatmap_counts_incidents_per_h3_cell(engine: Engine) {
    let (srv, supervisor, _) = server_with_history(engine).await;
    // I1 and I2 are 15 m apart in Batam; I3 is 7 km away; I4 is in Makassar.
    let (status, map) = srv
        .get(
            "/api/v1/reports/heatmap?period=2026-11&resolution=8",
            &supervisor,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{map}");
    assert_eq!(map["type"], "FeatureCollection");
    assert_eq!((&map["total"], &map["resolution"]), (&4.into(), &8.into()));
    let features = map["features"].as_array().unwrap();
    assert_eq!(features.len(), 3);
    let mut counts: Vec<u64> = features
        .iter()
        .map(|f| f["properties"]["count"].as_u64().unwrap())
        .collect();
    counts.sort_unstable();
    assert_eq!(counts, [1, 1, 2]);
    let pair = features
        .iter()
        .find(|f| f["properties"]["count"] == 2)
        .unwrap();
    assert_eq!(pair["geometry"]["type"], "Polygon");
    let ring = pair["geometry"]["coordinates"][0].as_array().unwrap();
    assert_eq!(ring.first(), ring.last());
    // GeoJSON order: longitude (104°E) first.
    assert!(
        (ring[0][0].as_f64().unwrap() - 104.05).abs() < 0.05,
        "{ring:?}"
    );

    // Filtered by category, by region, and clamped resolution.
    let (_, fire) = srv
        .get(
            "/api/v1/reports/heatmap?period=2026-11&category=fire&resolution=2",
            &supervisor,
        )
        .await;
    assert_eq!(
        (&fire["total"], &fire["resolution"]),
        (&2.into(), &4.into())
    );
    let (_, makassar) = srv
        .get(
            "/api/v1/reports/heatmap?period=2026-11&region=73.71",
            &supervisor,
        )
        .await;
    assert_eq!(makassar["total"], 1);
    let (_, day) = srv
        .get(
            &format!(
                "/api/v1/reports/heatmap?from={}&to={}&resolution=15",
                crate::fixture::wib("2026-11-24", "00:00"),
                crate::fixture::wib("2026-11-25", "00:00")
            ),
            &supervisor,
        )
        .await;
    // I4 (00:20 WITA on the 24th) is 23:20 WIB on the 23rd: outside this WIB window.
    assert_eq!((&day["total"], &day["resolution"]), (&2.into(), &10.into()));
}
