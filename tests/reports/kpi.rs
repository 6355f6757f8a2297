//! The KPI and monthly reports over the fixed history: every figure against the hand count, the WITA day
//! boundary, a call spanning midnight at the end of a month, and XLSX/CSV equal to the JSON.

use crate::fixture::{self, as_of, count, exec, server_with_history, wib, wita};
use calamine::{Data, Reader, Xlsx};
use reqwest::StatusCode;
use serde_json::Value;
use siaga_tests::{Engine, TestServer, assert_error, engine_tests};
use std::collections::HashMap;
use std::io::Cursor;

engine_tests!(
    kpi_report_of_a_day_matches_the_hand_count,
    a_wita_region_counts_by_its_own_day,
    monthly_report_keeps_a_call_spanning_midnight_in_the_month_it_rang,
    xlsx_and_csv_carry_the_same_figures_as_the_json,
    report_command_writes_the_xlsx_file,
);

const S: i64 = 1000;

async fn report(srv: &TestServer, token: &str, query: &str) -> Value {
    let (status, body) = srv.get(&format!("/api/v1/reports/{query}"), token).await;
    assert_eq!(status, StatusCode::OK, "{query}: {body}");
    body
}

fn by_key<'a>(list: &'a Value, key: &str) -> &'a Value {
    list.as_array()
        .unwrap()
        .iter()
        .find(|v| v["key"] == key || v["interval"] == key || v["username"] == key)
        .unwrap_or_else(|| panic!("{key} in {list}"))
}

async fn kpi_report_of_a_day_matches_the_hand_count(engine: Engine) {
    // Arrange
    let (srv, supervisor, ids) = server_with_history(engine).await;

    // Act
    let r = report(&srv, &supervisor, "kpi?period=2026-11-24").await;

    // Assert: calls c1..c6 and c9 (WITA); c7 and c8 are the 25th in their own zones.
    assert_eq!(r["period"]["text"], "2026-11-24");
    assert_eq!(r["as_of"], as_of());
    let c = &r["calls"];
    assert_eq!(
        (
            &c["offered"],
            &c["answered"],
            &c["abandoned"],
            &c["unanswered"]
        ),
        (&7.into(), &6.into(), &1.into(), &0.into())
    );
    assert_eq!(c["asa_ms"], 15_833);
    // The test call rang that day too, and counts nowhere.
    assert!(
        c["by_class"]
            .as_array()
            .unwrap()
            .iter()
            .all(|k| k["key"] != "test"),
        "{c}"
    );
    let cb = &r["call_backs"];
    assert_eq!(
        (
            &cb["created"],
            &cb["made"],
            &cb["attempts"],
            &cb["reached"],
            &cb["within_target"],
            &cb["open"]
        ),
        (
            &2.into(),
            &2.into(),
            &3.into(),
            &1.into(),
            &1.into(),
            &1.into()
        ),
        "{cb}"
    );
    assert_eq!(cb["within_target_ratio"], 0.5);
    assert_eq!(c["answer_speed"]["median_ms"], 15 * S);
    assert_eq!(c["answer_speed"]["p90_ms"], 30 * S);
    assert_eq!(
        (&c["answered_within_15s"], &c["answered_within_20s"]),
        (&4.into(), &5.into())
    );
    assert_eq!(c["service_level_15s"].as_f64(), Some(4.0 / 7.0));
    assert_eq!(c["service_level_20s"].as_f64(), Some(5.0 / 7.0));
    assert_eq!(c["aht_ms"], 183_333);
    assert_eq!(c["handling_time"]["median_ms"], 60 * S);
    assert_eq!(c["handling_time"]["p90_ms"], 600 * S);
    assert_eq!(count(&c["by_class"], "emergency"), 2);
    assert_eq!(count(&c["by_class"], "information"), 2);
    assert_eq!(count(&c["by_class"], "prank"), 1);
    assert_eq!(count(&c["by_class"], "ghost"), 1);
    assert_eq!(count(&c["by_class"], "abandoned"), 1);
    assert_eq!(c["success_call_ratio"].as_f64(), Some(4.0 / 7.0));
    assert_eq!(c["genuine_share_of_answered"].as_f64(), Some(4.0 / 6.0));
    assert_eq!(c["prank_ghost_ratio"].as_f64(), Some(2.0 / 6.0));

    // Incidents I1, I2, I4; I3 is the 25th.
    let i = &r["incidents"];
    assert_eq!(i["total"], 3);
    assert_eq!(count(&i["by_category"], "fire"), 1);
    assert_eq!(count(&i["by_category"], "traffic_accident"), 1);
    assert_eq!(count(&i["by_agency"], &ids.damkar), 2);
    assert_eq!(count(&i["by_agency"], &ids.dinkes), 1);
    assert_eq!(count(&i["by_agency"], &ids.polres), 1);
    assert!(
        by_key(&i["by_agency"], &ids.damkar)["name"]
            .as_str()
            .unwrap()
            .contains("Pemadam")
    );
    assert_eq!(count(&i["by_region"], "73.71"), 1);
    assert_eq!(count(&i["by_region"], "21.71.06"), 1);

    let interval = |name: &str| {
        let v = by_key(&r["intervals"], name);
        (
            v["count"].as_u64().unwrap(),
            v["mean_ms"].as_i64(),
            v["median_ms"].as_i64(),
            v["p90_ms"].as_i64(),
        )
    };
    let s = |n, mean: i64, med: i64, p90: i64| (n, Some(mean * S), Some(med * S), Some(p90 * S));
    assert_eq!(interval("answer_to_escalation"), s(2, 100, 90, 110));
    assert_eq!(interval("escalation_to_dispatch"), s(2, 90, 60, 120));
    assert_eq!(interval("dispatch_to_acknowledge"), s(1, 30, 30, 30));
    assert_eq!(interval("acknowledge_to_on_scene"), s(1, 690, 690, 690));
    assert_eq!(interval("on_scene_to_resolved"), s(1, 2700, 2700, 2700));
    assert_eq!(interval("resolved_to_closed"), s(1, 1800, 1800, 1800));
    assert_eq!(interval("answer_to_dispatch"), s(2, 190, 170, 210));
    assert_eq!(interval("answer_to_on_scene"), s(2, 1090, 890, 1290));

    // SLA: s1, s3 met; s2, s4 (overdue, never stopped), s5 breached; s6 running; s7 is the 25th.
    let sla = &r["sla"];
    assert_eq!(
        (
            &sla["total"]["met"],
            &sla["total"]["breached"],
            &sla["total"]["running"]
        ),
        (&2.into(), &3.into(), &1.into())
    );
    assert_eq!(sla["total"]["compliance"].as_f64(), Some(0.4));
    let damkar = by_key(&sla["by_agency"], &ids.damkar);
    assert_eq!(
        (
            &damkar["met"],
            &damkar["breached"],
            damkar["compliance"].as_f64()
        ),
        (&1.into(), &1.into(), Some(0.5))
    );
    let centre = by_key(&sla["by_agency"], "centre");
    assert_eq!(
        (&centre["breached"], &centre["running"]),
        (&1.into(), &1.into())
    );
    assert_eq!(
        by_key(&sla["by_category"], "fire")["compliance"].as_f64(),
        Some(0.5)
    );
    assert_eq!(
        by_key(&sla["by_category"], "traffic_accident")["compliance"],
        Value::Null
    );
    assert_eq!(
        by_key(
            &sla["by_agency_category"],
            &format!("{}/health", ids.dinkes)
        )["breached"],
        1
    );
    // The answer breach (s5) is counted above but not listed: it is the abandoned call c5.
    assert_eq!(sla["breaches_total"], 2);
    let kinds: Vec<&str> = sla["breaches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["arrival", "arrival"]);
    assert_eq!(sla["breaches"][0]["incident_number"], "BTM-20261124-0001");
    assert_eq!(sla["breaches"][0]["overdue_ms"], 120 * S);
    assert_eq!(
        sla["breaches"][1]["overdue_ms"],
        (27 * 3600 + 44 * 60 + 30) * S
    );

    // Agents: operator1 = a, operator2 = b in the core fixture; the schedule came through the CSV upload.
    let a = by_key(&r["agents"], "operator1");
    assert_eq!(
        (&a["calls_handled"], &a["talk_ms"], &a["aht_ms"]),
        (&3.into(), &(960 * S).into(), &(320 * S).into())
    );
    assert_eq!(a["logged_in_ms"], (7 * 3600 + 35 * 60) * S);
    assert_eq!(a["ready_ms"], 7 * 3600 * S);
    assert_eq!(a["aux_ms"], 1800 * S);
    assert_eq!(a["aux_by_reason"][0]["reason"], "break");
    assert_eq!(a["scheduled_ms"], 8 * 3600 * S);
    assert_eq!(a["adherence"].as_f64(), Some(0.875));
    assert_eq!(
        (
            &a["early_logouts"],
            &a["early_logout_ms"],
            &a["late_logins"]
        ),
        (&1.into(), &(1800 * S).into(), &0.into())
    );
    let b = by_key(&r["agents"], "operator2");
    assert_eq!(
        (&b["calls_handled"], &b["aht_ms"]),
        (&3.into(), &46_667.into())
    );
    assert_eq!(b["aux_by_reason"][0]["reason"], "toilet");
    assert_eq!(b["available_in_shift_ms"], 27_900 * S);
    assert_eq!(b["adherence"].as_f64(), Some(27_900.0 / 43_200.0));
    assert_eq!(
        (&b["late_logins"], &b["late_login_ms"], &b["absent_shifts"]),
        (&1.into(), &(600 * S).into(), &1.into())
    );
    assert_eq!(by_key(&r["agents"], "dispatch.damkar")["dispatches"], 2);

    // One row per day; the midnight-spanning call c6 is on the 24th.
    assert_eq!(r["days"].as_array().unwrap().len(), 1);
    assert_eq!(r["days"][0]["offered"], 7);
}

async fn a_wita_region_counts_by_its_own_day(engine: Engine) {
    let (srv, supervisor, _) = server_with_history(engine).await;

    // Makassar (WITA): c9 (00:30 WITA on the 24th) is in, c8 (00:30 WITA on the 25th, still the 24th in WIB)
    // is out; I4 (00:20 WITA on the 24th) is in.
    let wita_day = report(&srv, &supervisor, "kpi?period=2026-11-24&region=73.71").await;
    assert_eq!(wita_day["scope"]["region"], "73.71");
    assert_eq!(wita_day["calls"]["offered"], 1);
    assert_eq!(wita_day["calls"]["aht_ms"], 100 * S);
    assert_eq!(wita_day["incidents"]["total"], 1);
    let next = report(&srv, &supervisor, "kpi?period=2026-11-25&region=73.71").await;
    assert_eq!(next["calls"]["offered"], 1);

    // Batam (WIB) only: c1..c6.
    let batam = report(&srv, &supervisor, "kpi?period=2026-11-24&region=21.71").await;
    assert_eq!(batam["calls"]["offered"], 6);
    assert_eq!(batam["incidents"]["total"], 2);
    // A district: c3, c4 and I2 are in 21.71.06.
    let district = report(&srv, &supervisor, "kpi?period=2026-11-24&region=21.71.06").await;
    assert_eq!(district["calls"]["offered"], 2);
    assert_eq!(district["incidents"]["total"], 1);

    // The ISO week 2026-W48 (23–29 November) holds every fixture call but c10 (October).
    let week = report(&srv, &supervisor, "kpi?period=2026-W48").await;
    assert_eq!(week["period"]["first_day"], "2026-11-23");
    assert_eq!(week["calls"]["offered"], 9);
    assert_eq!(week["days"].as_array().unwrap().len(), 7);
}

async fn monthly_report_keeps_a_call_spanning_midnight_in_the_month_it_rang(engine: Engine) {
    let (srv, supervisor, ids) = server_with_history(engine).await;
    let op1 = Some(ids.operator1.as_str());
    exec(
        &srv,
        &[
            // Rings 23:58 WIB on 30 November, ends 00:05 on 1 December.
            fixture::call(
                "m1",
                wib("2026-11-30", "23:58"),
                Some(20),
                400,
                "emergency",
                op1,
                "21.71.01",
                None,
            ),
            // 00:30 WITA on 1 December is 23:30 WIB on 30 November: December in Makassar.
            fixture::call(
                "m2",
                wita("2026-12-01", "00:30"),
                Some(10),
                90,
                "information",
                op1,
                "73.71",
                None,
            ),
        ],
    )
    .await;

    let nov = report(&srv, &supervisor, "monthly?period=2026-11").await;
    assert_eq!(nov["period"]["kind"], "month");
    let days = nov["days"].as_array().unwrap();
    assert_eq!(days.len(), 30);
    assert_eq!(days[29]["date"], "2026-11-30");
    assert_eq!(
        (&days[29]["offered"], &days[29]["aht_ms"]),
        (&1.into(), &(400 * S).into())
    );
    assert_eq!(days[23]["offered"], 7);
    assert_eq!(days[24]["offered"], 2);
    // c1..c9 and m1; c10 rang in October; m2 is December in its zone.
    assert_eq!(nov["calls"]["offered"], 10);
    assert_eq!(nov["incidents"]["total"], 4);
    assert!(
        nov["sla_by_agency"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["key"] == ids.damkar.as_str())
    );
    // Listed breaches: s2 and s4 (the answer breaches s5 and s7 are counted, not listed).
    assert_eq!(nov["sla_breaches_total"], 2);
    assert_eq!(nov["sla_total"]["breached"], 4);
    assert!(
        nov["intervals"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["interval"] == "answer_to_on_scene")
    );
    assert!(
        nov.get("agents").is_none(),
        "the monthly report has no per-agent table"
    );

    let dec = report(&srv, &supervisor, "monthly?period=2026-12").await;
    assert_eq!(dec["calls"]["offered"], 1);
    assert_eq!(dec["days"][0]["offered"], 1);
    assert_eq!(dec["days"].as_array().unwrap().len(), 31);

    let err = assert_error(
        &srv.get("/api/v1/reports/monthly?period=2026-W48", &supervisor)
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_eq!(err["field"], "period");
}

fn cell_value(d: &Data) -> Value {
    match d {
        Data::Int(i) => (*i).into(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 9e15 => (*f as i64).into(),
        Data::Float(f) => (*f).into(),
        Data::String(s) => s.clone().into(),
        Data::Empty => Value::Null,
        other => other.to_string().into(),
    }
}

/// Equal values; numbers compare by value (the XLSX reader gives 1 where the JSON has 1.0).
#[track_caller]
fn assert_same(got: &Value, expected: &Value, what: &Value) {
    match (got.as_f64(), expected.as_f64()) {
        (Some(g), Some(e)) => assert_eq!(g, e, "{what}"),
        _ => assert_eq!(got, expected, "{what}"),
    }
}

fn sheets(bytes: Vec<u8>) -> HashMap<String, Vec<Vec<Value>>> {
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).expect("a readable XLSX");
    book.sheet_names()
        .into_iter()
        .map(|name| {
            let range = book.worksheet_range(&name).unwrap();
            let rows = range
                .rows()
                .map(|r| r.iter().map(cell_value).collect())
                .collect();
            (name, rows)
        })
        .collect()
}

async fn fetch(srv: &TestServer, token: &str, query: &str) -> (String, Vec<u8>) {
    let resp = srv
        .request(
            reqwest::Method::GET,
            &format!("/api/v1/reports/{query}"),
            Some(token),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let ct = resp.headers()["content-type"].to_str().unwrap().to_owned();
    let cd = resp.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cd.starts_with("attachment; filename=\"siaga-"), "{cd}");
    (ct, resp.bytes().await.unwrap().to_vec())
}

async fn xlsx_and_csv_carry_the_same_figures_as_the_json(engine: Engine) {
    let (srv, supervisor, _) = server_with_history(engine).await;
    let json = report(&srv, &supervisor, "kpi?period=2026-11-24..2026-11-25").await;

    let (ct, bytes) = fetch(
        &srv,
        &supervisor,
        "kpi?period=2026-11-24..2026-11-25&format=xlsx",
    )
    .await;
    assert_eq!(
        ct,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let book = sheets(bytes);
    for name in [
        "summary",
        "days",
        "intervals",
        "calls_by_class",
        "incidents",
        "sla",
        "sla_breaches",
        "agents",
    ] {
        assert!(book.contains_key(name), "sheet {name}");
    }
    let summary: HashMap<String, Value> = book["summary"][1..]
        .iter()
        .map(|r| (r[0].as_str().unwrap().to_owned(), r[1].clone()))
        .collect();
    let c = &json["calls"];
    for (metric, expected) in [
        ("calls_offered", &c["offered"]),
        ("calls_answered", &c["answered"]),
        ("calls_abandoned", &c["abandoned"]),
        ("asa_ms", &c["asa_ms"]),
        ("aht_ms", &c["aht_ms"]),
        ("service_level_15s", &c["service_level_15s"]),
        ("service_level_20s", &c["service_level_20s"]),
        ("success_call_ratio", &c["success_call_ratio"]),
        ("prank_ghost_ratio", &c["prank_ghost_ratio"]),
        ("prank_ratio", &c["prank_ratio"]),
        ("abandoned_ratio", &c["abandoned_ratio"]),
        ("incidents_total", &json["incidents"]["total"]),
        ("sla_compliance", &json["sla"]["total"]["compliance"]),
        ("call_backs_created", &json["call_backs"]["created"]),
        ("call_backs_reached", &json["call_backs"]["reached"]),
        (
            "call_backs_within_target",
            &json["call_backs"]["within_target"],
        ),
        ("period", &json["period"]["text"]),
    ] {
        assert_same(&summary[metric], expected, &Value::from(metric));
    }
    assert_eq!(summary["calls_offered"], 9);

    let days = &book["days"];
    assert_eq!(days[0][0], "date");
    assert_eq!(days.len(), 3);
    for (row, day) in days[1..].iter().zip(json["days"].as_array().unwrap()) {
        for (col, name) in days[0].iter().enumerate() {
            assert_same(&row[col], &day[name.as_str().unwrap()], name);
        }
    }
    let intervals = &book["intervals"];
    for (row, i) in intervals[1..]
        .iter()
        .zip(json["intervals"].as_array().unwrap())
    {
        for (col, name) in intervals[0].iter().enumerate() {
            assert_same(&row[col], &i[name.as_str().unwrap()], name);
        }
    }
    let agents = &book["agents"];
    let header: Vec<&str> = agents[0].iter().map(|v| v.as_str().unwrap()).collect();
    for row in &agents[1..] {
        let a = by_key(&json["agents"], row[0].as_str().unwrap());
        for (col, name) in header.iter().enumerate() {
            assert_same(&row[col], &a[*name], &Value::from(*name));
        }
    }
    assert_eq!(
        book["sla_breaches"].len() as u64 - 1,
        json["sla"]["breaches_total"].as_u64().unwrap()
    );

    // CSV: one figure per line, the same numbers.
    let (ct, bytes) = fetch(
        &srv,
        &supervisor,
        "kpi?period=2026-11-24..2026-11-25&format=csv",
    )
    .await;
    assert!(ct.starts_with("text/csv"));
    let text = String::from_utf8(bytes).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("section,key,metric,value"));
    let figures: HashMap<(String, String, String), String> = lines
        .map(|l| {
            let f: Vec<&str> = l.splitn(4, ',').collect();
            ((f[0].into(), f[1].into(), f[2].into()), f[3].into())
        })
        .collect();
    let get =
        |s: &str, k: &str, m: &str| figures[&(s.to_owned(), k.to_owned(), m.to_owned())].clone();
    assert_eq!(get("summary", "calls_offered", "value"), "9");
    assert_eq!(get("summary", "asa_ms", "value"), c["asa_ms"].to_string());
    assert_eq!(
        get("summary", "service_level_15s", "value")
            .parse::<f64>()
            .ok(),
        c["service_level_15s"].as_f64()
    );
    assert_eq!(get("days", "2026-11-25", "offered"), "2");
    assert_eq!(get("intervals", "answer_to_on_scene", "p90_ms"), "1290000");
    assert_eq!(get("calls_by_class", "class:prank", "count"), "1");

    // The monthly report as XLSX: summary, intervals, SLA per OPD, days.
    let (_, bytes) = fetch(&srv, &supervisor, "monthly?period=2026-11&format=xlsx").await;
    let monthly = sheets(bytes);
    let mut names: Vec<&String> = monthly.keys().collect();
    names.sort();
    assert_eq!(names, ["days", "intervals", "sla_by_agency", "summary"]);
    assert_eq!(monthly["days"].len(), 31);
}

async fn report_command_writes_the_xlsx_file(engine: Engine) {
    use clap::Parser;
    let (srv, _, _) = server_with_history(engine).await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("nov.xlsx");
    let cli = siaga::cli::Cli::try_parse_from([
        "siaga",
        "report",
        "--period",
        "2026-11",
        "--region",
        "21.71",
        "--format",
        "xlsx",
        "--out",
        out.to_str().unwrap(),
        "--database-url",
        &srv.db.url,
    ])
    .unwrap();
    siaga::cli::run(cli).await.unwrap();
    let book = sheets(std::fs::read(&out).unwrap());
    let offered = book["summary"]
        .iter()
        .find(|r| r[0] == "calls_offered")
        .unwrap()[1]
        .clone();
    // Batam's November: c1..c7 (the WITA calls are Makassar's, c10 is October).
    assert_eq!(offered, 7);
    let region = book["summary"].iter().find(|r| r[0] == "region").unwrap()[1].clone();
    assert_eq!(region, "21.71");
}
