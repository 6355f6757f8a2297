//! Hand-checked KPI figures over a small fixed history. Every expected value below was worked out by hand from
//! the fixture; the arithmetic is in the comments.

use super::agents::*;
use super::period::*;
use super::stats::*;
use super::*;
use crate::time::{LocalDate, WIB_OFFSET_MINUTES as WIB, WITA_OFFSET_MINUTES as WITA};

fn at(date: &str, time: &str, offset: i32) -> Timestamp {
    parse_local_datetime(&format!("{date} {time}"), offset).expect("valid fixture time")
}

fn wib(date: &str, time: &str) -> Timestamp {
    at(date, time, WIB)
}

const D: &str = "2026-11-24";
const S: i64 = 1000;

#[test]
fn periods_parse_and_bound_in_local_time() {
    let day: Period = "2026-11-24".parse().unwrap();
    assert_eq!(day.kind(), "day");
    let (start, end) = day.bounds(WIB);
    // 2026-11-24 00:00 WIB is 2026-11-23T17:00Z.
    assert_eq!(start, wib(D, "00:00"));
    assert_eq!(start.0, 1_795_453_200_000);
    assert_eq!(end.millis_since(start), MS_PER_DAY_TEST);
    // WITA starts an hour earlier in UTC.
    assert_eq!(day.bounds(WITA).0.millis_since(start), -3_600_000);

    let month: Period = "2026-11".parse().unwrap();
    assert_eq!(month.first_day().to_string(), "2026-11-01");
    assert_eq!(month.last_day().to_string(), "2026-11-30");
    assert_eq!(month.days().len(), 30);
    let feb: Period = "2028-02".parse().unwrap();
    assert_eq!(feb.last_day().to_string(), "2028-02-29");
    let dec: Period = "2026-12".parse().unwrap();
    assert_eq!(dec.last_day().to_string(), "2026-12-31");

    // ISO weeks start on Monday; week 1 holds 4 January.
    let w47: Period = "2026-W47".parse().unwrap();
    assert_eq!(w47.first_day().to_string(), "2026-11-16");
    assert_eq!(w47.last_day().to_string(), "2026-11-22");
    assert_eq!(iso_weekday(w47.first_day_number()), 1);
    let w1: Period = "2026-W01".parse().unwrap();
    assert_eq!(w1.first_day().to_string(), "2025-12-29");
    // 2026 starts on a Thursday, so it has 53 weeks; 2025 (starting on a Wednesday, not leap) has 52.
    let w53: Period = "2026-W53".parse().unwrap();
    assert_eq!(w53.last_day().to_string(), "2027-01-03");
    assert_eq!("2025-W53".parse::<Period>(), Err(InvalidPeriod::NoSuchDate));

    let range: Period = "2026-11-01..2026-11-15".parse().unwrap();
    assert_eq!(range.days().len(), 15);
    assert_eq!(range.to_string(), "2026-11-01..2026-11-15");
    for text in [
        "2026-11",
        "2026-W47",
        "2026-11-24",
        "2026-11-01..2026-11-15",
    ] {
        assert_eq!(text.parse::<Period>().unwrap().to_string(), text);
    }
    for bad in [
        "2026-13",
        "2026-02-30",
        "2026-W00",
        "2026-W54",
        "2026-11-30..2026-11-01",
    ] {
        assert!(bad.parse::<Period>().is_err(), "{bad}");
    }
    for bad in [
        "",
        "2026",
        "26-11",
        "2026-1",
        "2026/11/24",
        "2026-11-24T00",
        "x",
    ] {
        assert_eq!(bad.parse::<Period>(), Err(InvalidPeriod::Shape), "{bad}");
    }
    assert_eq!(
        "2025-01-01..2026-01-02".parse::<Period>(),
        Err(InvalidPeriod::BadRange)
    );
}

const MS_PER_DAY_TEST: i64 = 86_400_000;

#[test]
fn time_zones_of_indonesia_are_fixed_offsets() {
    assert_eq!(utc_offset_minutes_of("Asia/Jakarta"), Some(420));
    assert_eq!(utc_offset_minutes_of("Asia/Pontianak"), Some(420));
    assert_eq!(utc_offset_minutes_of("Asia/Makassar"), Some(480));
    assert_eq!(utc_offset_minutes_of("Asia/Jayapura"), Some(540));
    assert_eq!(utc_offset_minutes_of("Europe/Amsterdam"), None);
    // 00:30 WITA on the 25th is still the 24th in WIB.
    let ts = at("2026-11-25", "00:30", WITA);
    assert_eq!(
        date_of_day(local_day(ts, WITA)),
        LocalDate::new(2026, 11, 25).unwrap()
    );
    assert_eq!(
        date_of_day(local_day(ts, WIB)),
        LocalDate::new(2026, 11, 24).unwrap()
    );
}

#[test]
fn percentiles_are_nearest_rank() {
    assert_eq!(nearest_rank(&[], 50), None);
    assert_eq!(nearest_rank(&[7], 50), Some(7));
    assert_eq!(nearest_rank(&[7], 90), Some(7));
    // n = 2: median rank ⌈1⌉ = 1, p90 rank ⌈1.8⌉ = 2.
    assert_eq!(nearest_rank(&[1, 2], 50), Some(1));
    assert_eq!(nearest_rank(&[1, 2], 90), Some(2));
    // n = 20: p90 rank 18.
    let v: Vec<i64> = (1..=20).collect();
    assert_eq!(nearest_rank(&v, 90), Some(18));
    assert_eq!(nearest_rank(&v, 100), Some(20));
    assert_eq!(mean(95_000, 6), Some(15_833));
    assert_eq!(mean(5, 2), Some(3));
    assert_eq!(mean(-5, 2), Some(-3));
    assert_eq!(mean(1, 0), None);
    let mut values = vec![30, 10, 20];
    let s = Summary::of(&mut values);
    assert_eq!(
        (s.count, s.mean_ms, s.median_ms, s.p90_ms, s.max_ms),
        (3, Some(20), Some(20), Some(30), Some(30))
    );
}

fn call(
    ring: Timestamp,
    answer_after_s: Option<i64>,
    talk_s: i64,
    class: CallClass,
    agent: &str,
    offset: i32,
) -> CallRecord {
    let answered_at = answer_after_s.map(|s| ring.plus_millis(s * S));
    CallRecord {
        ring_at: ring,
        answered_at,
        ended_at: answered_at
            .map(|a| a.plus_millis(talk_s * S))
            .or(Some(ring.plus_millis(3 * S))),
        abandoned: answered_at.is_none(),
        class: Some(class),
        call_taker_id: answered_at.map(|_| agent.to_owned()),
        utc_offset_minutes: offset,
    }
}

fn fixture_calls() -> Vec<CallRecord> {
    use CallClass::*;
    vec![
        // c1..c4: 10 s, 15 s, 20 s and 30 s to answer; 300, 60, 30 and 10 s of talk.
        call(wib(D, "08:00"), Some(10), 300, Emergency, "a", WIB),
        call(wib(D, "09:00"), Some(15), 60, Information, "a", WIB),
        call(wib(D, "10:00"), Some(20), 30, Prank, "b", WIB),
        call(wib(D, "11:00"), Some(30), 10, Ghost, "b", WIB),
        // c5: abandoned.
        call(wib(D, "12:00"), None, 0, Abandoned, "", WIB),
        // c6: rings before midnight, answered and ended after it: counts on the 24th, whole.
        call(wib(D, "23:59:50"), Some(15), 600, Emergency, "a", WIB),
        // c7: the 25th.
        call(
            wib("2026-11-25", "00:30"),
            Some(5),
            50,
            Information,
            "a",
            WIB,
        ),
        // c8: 00:30 WITA on the 25th (23:30 WIB on the 24th): the 25th for its WITA region.
        call(
            at("2026-11-25", "00:30", WITA),
            Some(5),
            50,
            Information,
            "b",
            WITA,
        ),
        // c9: 00:30 WITA on the 24th (23:30 WIB on the 23rd): the 24th for its WITA region.
        call(at(D, "00:30", WITA), Some(5), 100, Information, "b", WITA),
    ]
}

fn esc(agency: &str, ts: Timestamp) -> EscalationRecord {
    EscalationRecord {
        agency_id: agency.into(),
        escalated_at: ts,
    }
}

fn fixture_incidents() -> Vec<IncidentRecord> {
    let i1 = IncidentRecord {
        category: Category::Fire,
        priority: Priority::P1,
        region_code: Some("21.71.01".into()),
        created_at: wib(D, "08:01"),
        first_answered_at: Some(wib(D, "08:00:10")),
        resolved_at: Some(wib(D, "09:00")),
        closed_at: Some(wib(D, "09:30")),
        cancelled: None,
        merged: false,
        escalations: vec![esc("damkar", wib(D, "08:02"))],
        assignments: vec![AssignmentRecord {
            agency_id: "damkar".into(),
            assigned_at: wib(D, "08:03"),
            acknowledged_at: Some(wib(D, "08:03:30")),
            on_scene_at: Some(wib(D, "08:15")),
            assigned_by: Some("disp".into()),
        }],
        utc_offset_minutes: WIB,
    };
    let i2 = IncidentRecord {
        category: Category::Health,
        priority: Priority::P2,
        region_code: Some("21.71.06".into()),
        created_at: wib(D, "20:00"),
        first_answered_at: Some(wib(D, "19:59")),
        resolved_at: None,
        closed_at: None,
        cancelled: None,
        merged: false,
        escalations: vec![
            esc("dinkes", wib(D, "20:01")),
            esc("damkar", wib(D, "20:00:30")),
        ],
        assignments: vec![AssignmentRecord {
            agency_id: "dinkes".into(),
            assigned_at: wib(D, "20:02:30"),
            acknowledged_at: None,
            on_scene_at: Some(wib(D, "20:20:30")),
            assigned_by: Some("disp".into()),
        }],
        utc_offset_minutes: WIB,
    };
    let i3 = IncidentRecord {
        created_at: wib("2026-11-25", "00:10"),
        escalations: vec![],
        assignments: vec![],
        ..i1.clone()
    };
    let i4 = IncidentRecord {
        category: Category::TrafficAccident,
        priority: Priority::P3,
        region_code: Some("73.71".into()),
        created_at: at(D, "00:20", WITA),
        first_answered_at: None,
        resolved_at: None,
        closed_at: None,
        cancelled: None,
        merged: false,
        escalations: vec![esc("polisi", at(D, "00:25", WITA))],
        assignments: vec![],
        utc_offset_minutes: WITA,
    };
    vec![i1, i2, i3, i4]
}

#[expect(
    clippy::too_many_arguments,
    reason = "one fixture clock, field by field"
)]
fn clock(
    kind: SlaKind,
    agency: Option<&str>,
    category: Option<Category>,
    number: Option<&str>,
    due: Timestamp,
    stopped: Option<Timestamp>,
    breached: bool,
    attributed: Timestamp,
) -> SlaClockRecord {
    SlaClockRecord {
        kind,
        agency_id: agency.map(str::to_owned),
        category,
        incident_number: number.map(str::to_owned),
        due_at: due,
        stopped_at: stopped,
        breached_at: breached.then(|| due.plus_millis(1)),
        cancelled_at: None,
        attributed_at: attributed,
        utc_offset_minutes: WIB,
    }
}

fn fixture_clocks() -> Vec<SlaClockRecord> {
    let n1 = Some("BTM-20261124-0001");
    let n2 = Some("BTM-20261124-0002");
    let fire = Some(Category::Fire);
    let health = Some(Category::Health);
    vec![
        // s1 met, s2 breached (recorded), s3 met, s4 overdue and never stopped, s5 answer breach, s6 running.
        clock(
            SlaKind::Dispatch,
            Some("damkar"),
            fire,
            n1,
            wib(D, "08:04"),
            Some(wib(D, "08:03")),
            false,
            wib(D, "08:01"),
        ),
        clock(
            SlaKind::Arrival,
            Some("damkar"),
            fire,
            n1,
            wib(D, "08:13"),
            Some(wib(D, "08:15")),
            true,
            wib(D, "08:01"),
        ),
        clock(
            SlaKind::Dispatch,
            Some("dinkes"),
            health,
            n2,
            wib(D, "20:05"),
            Some(wib(D, "20:02:30")),
            false,
            wib(D, "20:00"),
        ),
        clock(
            SlaKind::Arrival,
            Some("dinkes"),
            health,
            n2,
            wib(D, "20:15:30"),
            None,
            false,
            wib(D, "20:00"),
        ),
        clock(
            SlaKind::Answer,
            None,
            None,
            None,
            wib(D, "12:00:10"),
            None,
            true,
            wib(D, "12:00"),
        ),
        clock(
            SlaKind::Escalation,
            None,
            Some(Category::TrafficAccident),
            Some("MKS-20261124-0001"),
            wib("2026-11-30", "00:00"),
            None,
            false,
            wib(D, "00:20"),
        ),
        // Another day: ignored.
        clock(
            SlaKind::Answer,
            None,
            None,
            None,
            wib("2026-11-25", "12:00:10"),
            None,
            true,
            wib("2026-11-25", "12:00"),
        ),
    ]
}

fn agent(id: &str, role: Role) -> AgentRecord {
    AgentRecord {
        user_id: id.into(),
        username: id.into(),
        display_name: id.to_uppercase(),
        role,
        utc_offset_minutes: WIB,
    }
}

fn state(user: &str, s: AgentState, reason: Option<&str>, at: Timestamp) -> AgentStateRecord {
    AgentStateRecord {
        user_id: user.into(),
        state: s,
        reason: reason.map(str::to_owned),
        at,
    }
}

fn shift(user: &str, from: &str, to: &str) -> ShiftRecord {
    ShiftRecord {
        user_id: user.into(),
        start: wib(D, from),
        end: wib(D, to),
    }
}

fn fixture_states() -> Vec<AgentStateRecord> {
    use AgentState::*;
    vec![
        state("a", LoggedIn, None, wib(D, "06:55")),
        state("a", Ready, None, wib(D, "07:00")),
        state("a", Aux, Some("break"), wib(D, "12:00")),
        state("a", Ready, None, wib(D, "12:30")),
        state("a", LoggedOut, None, wib(D, "14:30")),
        state("b", LoggedOut, None, wib("2026-11-23", "15:00")),
        state("b", Ready, None, wib(D, "07:10")),
        state("b", Aux, Some(" Toilet "), wib(D, "10:00")),
        state("b", Ready, None, wib(D, "10:05")),
        state("b", LoggedOut, None, wib(D, "15:05")),
    ]
}

fn fixture(period: &str) -> KpiInput {
    KpiInput {
        period: period.parse().unwrap(),
        as_of: wib("2026-11-26", "00:00"),
        calls: fixture_calls(),
        incidents: fixture_incidents(),
        sla_clocks: fixture_clocks(),
        sla_tallies: vec![],
        sla_breach_details: vec![],
        call_backs: vec![],
        agents: vec![
            agent("a", Role::CallTaker),
            agent("b", Role::CallTaker),
            agent("disp", Role::Dispatcher),
        ],
        agent_states: fixture_states(),
        shifts: vec![
            shift("a", "07:00", "15:00"),
            shift("b", "07:00", "15:00"),
            shift("b", "16:00", "20:00"),
        ],
        agency_names: [("damkar".to_owned(), "Damkar".to_owned())].into(),
        region_names: BTreeMap::new(),
    }
}

fn count(list: &[KeyCount], key: &str) -> u64 {
    list.iter().find(|k| k.key == key).map_or(0, |k| k.count)
}

#[test]
fn call_figures_of_one_day_match_the_hand_count() {
    let r = compute(&fixture("2026-11-24"));
    let c = &r.calls;
    // In: c1..c6 and c9 (WITA). Out: c7 (the 25th), c8 (the 25th in WITA although the 24th in WIB).
    assert_eq!(
        (c.offered, c.answered, c.abandoned, c.unanswered),
        (7, 6, 1, 0)
    );
    // Speeds 10, 15, 20, 30, 15, 5 s: sum 95 s over 6 → 15 833 ms; sorted 5 10 15 15 20 30.
    assert_eq!(c.asa_ms, Some(15_833));
    assert_eq!(c.answer_speed.median_ms, Some(15_000));
    assert_eq!(c.answer_speed.p90_ms, Some(30_000));
    assert_eq!((c.answered_within_15s, c.answered_within_20s), (4, 5));
    assert_eq!(c.service_level_15s, Some(4.0 / 7.0));
    assert_eq!(c.service_level_20s, Some(5.0 / 7.0));
    // Talk 300, 60, 30, 10, 600, 100 s: sum 1100 s over 6 → 183 333 ms; sorted 10 30 60 100 300 600.
    assert_eq!(c.aht_ms, Some(183_333));
    assert_eq!(c.handling_time.median_ms, Some(60_000));
    assert_eq!(c.handling_time.p90_ms, Some(600_000));
    assert_eq!(count(&c.by_class, "emergency"), 2);
    assert_eq!(count(&c.by_class, "information"), 2);
    assert_eq!(count(&c.by_class, "prank"), 1);
    assert_eq!(count(&c.by_class, "ghost"), 1);
    assert_eq!(count(&c.by_class, "abandoned"), 1);
    assert_eq!(count(&c.by_class, "wrong_number"), 0);
    // Every class but `test`, which no figure counts.
    assert_eq!(c.by_class.len(), CallClass::ALL.len() - 1);
    assert_eq!(c.success_call_ratio, Some(4.0 / 7.0));
    assert_eq!(c.genuine_share_of_answered, Some(4.0 / 6.0));
    assert_eq!(c.prank_ghost_ratio, Some(2.0 / 6.0));
    // One prank (c3) of six answered; the ghost call (c4) is not a prank.
    assert_eq!(c.prank_ratio, Some(1.0 / 6.0));
    // One abandoned (c5) of seven offered.
    assert_eq!(c.abandoned_ratio, Some(1.0 / 7.0));
}

#[test]
fn incidents_and_intervals_match_the_hand_count() {
    let r = compute(&fixture("2026-11-24"));
    let i = &r.incidents;
    // I1, I2 and I4 (00:20 WITA on the 24th); I3 is on the 25th.
    assert_eq!(i.total, 3);
    assert_eq!(count(&i.by_category, "fire"), 1);
    assert_eq!(count(&i.by_category, "health"), 1);
    assert_eq!(count(&i.by_category, "traffic_accident"), 1);
    assert_eq!(count(&i.by_priority, "p1"), 1);
    assert_eq!(count(&i.by_agency, "damkar"), 2);
    assert_eq!(count(&i.by_agency, "dinkes"), 1);
    assert_eq!(count(&i.by_agency, "polisi"), 1);
    assert_eq!(
        i.by_agency
            .iter()
            .find(|k| k.key == "damkar")
            .unwrap()
            .name
            .as_deref(),
        Some("Damkar")
    );
    assert_eq!(count(&i.by_region, "73.71"), 1);

    let get = |name: &str| {
        r.intervals
            .iter()
            .find(|k| k.interval == name)
            .unwrap()
            .summary
    };
    let s = |count, mean, median, p90| Summary {
        count,
        mean_ms: Some(mean * S),
        median_ms: Some(median * S),
        p90_ms: Some(p90 * S),
        max_ms: Some(p90 * S),
    };
    // I1: 110 s; I2: 19:59 → 20:00:30 (the earlier of its two escalations) = 90 s.
    assert_eq!(get("answer_to_escalation"), s(2, 100, 90, 110));
    // I1: 60 s; I2: 20:00:30 → 20:02:30 = 120 s.
    assert_eq!(get("escalation_to_dispatch"), s(2, 90, 60, 120));
    assert_eq!(get("dispatch_to_acknowledge"), s(1, 30, 30, 30));
    assert_eq!(get("acknowledge_to_on_scene"), s(1, 690, 690, 690));
    assert_eq!(get("on_scene_to_resolved"), s(1, 2700, 2700, 2700));
    assert_eq!(get("resolved_to_closed"), s(1, 1800, 1800, 1800));
    assert_eq!(get("answer_to_dispatch"), s(2, 190, 170, 210));
    assert_eq!(get("answer_to_on_scene"), s(2, 1090, 890, 1290));
}

#[test]
fn sla_compliance_and_breaches_match_the_hand_count() {
    let r = compute(&fixture("2026-11-24"));
    let sla = &r.sla;
    assert_eq!(
        (sla.total.met, sla.total.breached, sla.total.running),
        (2, 3, 1)
    );
    assert_eq!(sla.total.compliance, Some(0.4));
    let by = |list: &[SlaCounts], key: &str| {
        let c = list.iter().find(|c| c.key == key).unwrap();
        (c.met, c.breached, c.running, c.compliance)
    };
    assert_eq!(by(&sla.by_agency, "damkar"), (1, 1, 0, Some(0.5)));
    assert_eq!(by(&sla.by_agency, "dinkes"), (1, 1, 0, Some(0.5)));
    assert_eq!(by(&sla.by_agency, "centre"), (0, 1, 1, Some(0.0)));
    assert_eq!(by(&sla.by_category, "fire"), (1, 1, 0, Some(0.5)));
    assert_eq!(by(&sla.by_category, "none"), (0, 1, 0, Some(0.0)));
    assert_eq!(by(&sla.by_category, "traffic_accident"), (0, 0, 1, None));
    assert_eq!(by(&sla.by_kind, "arrival"), (0, 2, 0, Some(0.0)));
    assert_eq!(by(&sla.by_kind, "dispatch"), (2, 0, 0, Some(1.0)));
    assert_eq!(
        by(&sla.by_agency_category, "damkar/fire"),
        (1, 1, 0, Some(0.5))
    );
    assert_eq!(sla.breaches_total, 3);
    let kinds: Vec<&str> = sla.breaches.iter().map(|b| b.kind.as_str()).collect();
    assert_eq!(kinds, ["arrival", "answer", "arrival"]);
    let first = &sla.breaches[0];
    assert_eq!(first.incident_number.as_deref(), Some("BTM-20261124-0001"));
    assert_eq!(first.agency_name.as_deref(), Some("Damkar"));
    assert_eq!(first.overdue_ms, 120 * S);
    // s4 never stopped: overdue until as_of (2026-11-26 00:00 WIB) from 20:15:30 on the 24th.
    let last = &sla.breaches[2];
    assert_eq!(last.stopped_at, None);
    assert_eq!(last.overdue_ms, 27 * 3_600_000 + 44 * 60_000 + 30 * S);
}

#[test]
fn agent_figures_match_the_hand_count() {
    let r = compute(&fixture("2026-11-24"));
    let a = r.agents.iter().find(|a| a.user_id == "a").unwrap();
    // c1, c2, c6: 300 + 60 + 600 s.
    assert_eq!(
        (a.calls_handled, a.talk_ms, a.aht_ms),
        (3, 960 * S, Some(320 * S))
    );
    let t = &a.time;
    assert_eq!(t.logged_in_ms, (7 * 3600 + 35 * 60) * S);
    assert_eq!(t.ready_ms, 7 * 3600 * S);
    assert_eq!(t.aux_ms, 1800 * S);
    assert_eq!(
        t.aux_by_reason,
        [AuxReasonTime {
            reason: "break".into(),
            ms: 1800 * S
        }]
    );
    assert_eq!(t.scheduled_ms, 8 * 3600 * S);
    assert_eq!(t.available_in_shift_ms, 7 * 3600 * S);
    assert_eq!(t.adherence, Some(0.875));
    assert_eq!((t.late_logins, t.early_logouts, t.absent_shifts), (0, 1, 0));
    assert_eq!(t.early_logout_ms, 1800 * S);

    let b = r.agents.iter().find(|a| a.user_id == "b").unwrap();
    // c3, c4, c9: 30 + 10 + 100 s → 46 667 ms.
    assert_eq!((b.calls_handled, b.aht_ms), (3, Some(46_667)));
    let t = &b.time;
    assert_eq!(t.logged_in_ms, (7 * 3600 + 55 * 60) * S);
    assert_eq!(t.ready_ms, 28_200 * S);
    assert_eq!(
        t.aux_by_reason,
        [AuxReasonTime {
            reason: "toilet".into(),
            ms: 300 * S
        }]
    );
    assert_eq!(t.scheduled_ms, 12 * 3600 * S);
    // 07:10–15:00 less 5 minutes of AUX.
    assert_eq!(t.available_in_shift_ms, 27_900 * S);
    assert_eq!(t.adherence, Some(27_900.0 / 43_200.0));
    assert_eq!((t.late_logins, t.late_login_ms), (1, 600 * S));
    assert_eq!((t.early_logouts, t.absent_shifts), (0, 1));

    let d = r.agents.iter().find(|a| a.user_id == "disp").unwrap();
    assert_eq!((d.calls_handled, d.dispatches), (0, 2));
    assert_eq!(d.time.adherence, None);
}

#[test]
fn per_day_rows_place_records_on_their_local_day() {
    let r = compute(&fixture("2026-11-24..2026-11-25"));
    assert_eq!(r.days.len(), 2);
    let (d24, d25) = (&r.days[0], &r.days[1]);
    assert_eq!(d24.date, "2026-11-24");
    // The midnight-spanning call c6 stays on the 24th; c7 and c8 are the 25th.
    assert_eq!((d24.offered, d24.answered, d24.abandoned), (7, 6, 1));
    assert_eq!((d25.offered, d25.answered), (2, 2));
    assert_eq!(d25.aht_ms, Some(50 * S));
    assert_eq!(d24.service_level_15s, Some(4.0 / 7.0));
    assert_eq!((d24.incidents, d25.incidents), (3, 1));
    assert_eq!((d24.sla_met, d24.sla_breached, d25.sla_breached), (2, 3, 1));
    assert_eq!(r.calls.offered, 9);
    assert_eq!(r.period.kind, "range");
}

#[test]
fn a_month_keeps_a_call_that_rings_on_its_last_evening_and_ends_in_the_next() {
    let late = call(
        wib("2026-11-30", "23:58"),
        Some(20),
        420,
        CallClass::Emergency,
        "a",
        WIB,
    );
    let input = KpiInput {
        calls: vec![late],
        ..fixture("2026-11")
    };
    let nov = compute(&input);
    assert_eq!((nov.calls.offered, nov.calls.aht_ms), (1, Some(420 * S)));
    assert_eq!(nov.days.len(), 30);
    assert_eq!(nov.days[29].answered, 1);
    let dec = compute(&KpiInput {
        period: "2026-12".parse().unwrap(),
        ..input
    });
    assert_eq!(dec.calls.offered, 0);
    assert_eq!(dec.calls.aht_ms, None);
}

#[test]
fn empty_input_gives_zeros_and_no_ratios() {
    let r = compute(&KpiInput {
        calls: vec![],
        incidents: vec![],
        sla_clocks: vec![],
        agents: vec![],
        ..fixture("2026-W47")
    });
    assert_eq!(r.calls.offered, 0);
    assert_eq!(r.calls.success_call_ratio, None);
    assert_eq!((r.calls.prank_ratio, r.calls.abandoned_ratio), (None, None));
    assert_eq!(r.calls.asa_ms, None);
    assert_eq!(r.sla.total.compliance, None);
    assert_eq!(r.days.len(), 7);
    assert!(r.intervals.iter().all(|i| i.summary.count == 0));
}

#[test]
fn current_state_is_the_latest_record_up_to_now() {
    let states = fixture_states();
    let refs: Vec<&AgentStateRecord> = states.iter().filter(|s| s.user_id == "a").collect();
    let now = current_state(&refs, wib(D, "12:10")).unwrap();
    assert_eq!(
        (now.state, now.reason.as_deref()),
        (AgentState::Aux, Some("break"))
    );
    assert!(current_state(&refs, wib(D, "06:00")).is_none());
}

#[test]
fn schedule_csv_parses_with_any_column_order_and_names_bad_rows() {
    let csv = "\u{feff}shift_end,username,shift_start\n\
               2026-11-24 15:00,operator1,2026-11-24 07:00\n\
               \n\
               \"2026-11-25 07:00\",operator2,\"2026-11-24 23:00\"\n";
    let rows = parse_schedule_csv(csv).unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1].username, "operator2");
    let (start, end) = shift_instants(&rows[1], 4, WIB).unwrap();
    assert_eq!(end.millis_since(start), 8 * 3_600_000);
    assert_eq!(start, wib(D, "23:00"));

    let err = parse_schedule_csv("username,shift_start\nx,2026-11-24 07:00").unwrap_err();
    assert_eq!((err.row, err.field), (1, "shift_end"));
    let err =
        parse_schedule_csv("username,shift_start,shift_end\nx,,2026-11-24 07:00").unwrap_err();
    assert_eq!((err.row, err.field), (2, "shift_start"));

    let row = |s: &str, e: &str| ShiftRow {
        username: "x".into(),
        start: s.into(),
        end: e.into(),
        time_zone: None,
    };
    assert_eq!(
        shift_instants(&row("2026-11-24 15:00", "2026-11-24 07:00"), 3, WIB)
            .unwrap_err()
            .field,
        "shift_end"
    );
    assert_eq!(
        shift_instants(&row("2026-11-24 25:00", "2026-11-24 07:00"), 3, WIB)
            .unwrap_err()
            .field,
        "shift_start"
    );
    assert!(shift_instants(&row("2026-11-24 07:00", "2026-11-25 07:01"), 3, WIB).is_err());
    assert!(shift_instants(&row("2026-11-24T07:00", "2026-11-24T15:00:00"), 3, WIB).is_ok());
}

#[test]
fn tallies_and_breach_details_count_like_single_clocks() {
    let single = compute(&fixture("2026-11-24"));
    let as_of = wib("2026-11-26", "00:00");
    let mut input = fixture("2026-11-24");
    let clocks = std::mem::take(&mut input.sla_clocks);
    input.sla_tallies = clocks
        .iter()
        .map(|c| {
            let o = outcome(c, as_of);
            SlaTally {
                kind: c.kind,
                agency_id: c.agency_id.clone(),
                category: c.category,
                // The hour slot of the subject's start, as the store counts it.
                attributed_at: Timestamp(
                    c.attributed_at.0 - c.attributed_at.0.rem_euclid(3_600_000),
                ),
                utc_offset_minutes: c.utc_offset_minutes,
                met: u64::from(o == Outcome::Met),
                breached: u64::from(o == Outcome::Breached),
                running: u64::from(o == Outcome::Running),
                cancelled: u64::from(o == Outcome::Cancelled),
            }
        })
        .collect();
    input.sla_breach_details = clocks
        .into_iter()
        .filter(|c| c.kind != SlaKind::Answer)
        .collect();
    let tallied = compute(&input);
    assert_eq!(tallied.sla.total, single.sla.total);
    assert_eq!(
        tallied.sla.by_agency_category,
        single.sla.by_agency_category
    );
    assert_eq!(tallied.days, single.days);
    // The answer breach is counted but not listed.
    assert_eq!(tallied.sla.breaches_total, 2);
    let kinds: Vec<&str> = tallied
        .sla
        .breaches
        .iter()
        .map(|b| b.kind.as_str())
        .collect();
    assert_eq!(kinds, ["arrival", "arrival"]);
}

#[test]
fn test_calls_are_left_out_of_every_call_figure() {
    let base = compute(&fixture("2026-11-24"));
    let mut calls = fixture_calls();
    calls.push(call(
        wib(D, "07:01"),
        Some(3),
        30,
        CallClass::Test,
        "a",
        WIB,
    ));
    let with_test = compute(&KpiInput {
        calls,
        ..fixture("2026-11-24")
    });
    assert_eq!(with_test.calls, base.calls);
    assert_eq!(with_test.days, base.days);
    assert_eq!(with_test.agents, base.agents);
    assert!(with_test.calls.by_class.iter().all(|k| k.key != "test"));
}

#[test]
fn call_back_figures_count_made_reached_and_within_target() {
    let task = |created: &str, first: Option<&str>, attempts: u32, reached: bool, open: bool| {
        let created_at = wib(D, created);
        CallBackRecord {
            created_at,
            due_at: created_at.plus_millis(30 * 60 * S),
            first_attempt_at: first.map(|f| wib(D, f)),
            attempts,
            reached,
            open,
            utc_offset_minutes: WIB,
        }
    };
    let r = compute(&KpiInput {
        call_backs: vec![
            task("08:00", Some("08:30"), 1, true, false), // due 08:30: in time, inclusive
            task("09:00", Some("09:31"), 2, false, true), // late, not yet reached
            task("10:00", None, 0, false, true),          // not made
            task("11:00", Some("11:05"), 3, false, false), // out of attempts
            // Another day: not counted.
            CallBackRecord {
                created_at: wib("2026-11-25", "08:00"),
                ..task("08:00", Some("08:01"), 1, true, false)
            },
        ],
        ..fixture("2026-11-24")
    });
    let k = &r.call_backs;
    assert_eq!(
        (
            k.created,
            k.made,
            k.attempts,
            k.reached,
            k.within_target,
            k.open
        ),
        (4, 3, 6, 1, 2, 2)
    );
    assert_eq!(k.reached_ratio, Some(1.0 / 3.0));
    assert_eq!(k.within_target_ratio, Some(0.5));
}

#[test]
fn cancelled_incidents_and_their_clocks_are_counted_apart_from_resolved_ones_and_breaches() {
    let mut input = fixture("2026-11-24");
    let base = input.incidents[0].clone();
    input.incidents.push(IncidentRecord {
        resolved_at: None,
        closed_at: None,
        cancelled: Some(CancelReason::FalseAlarm),
        ..base.clone()
    });
    input.incidents.push(IncidentRecord {
        resolved_at: None,
        closed_at: None,
        cancelled: Some(CancelReason::Duplicate),
        merged: true,
        ..base
    });
    let before = compute(&fixture("2026-11-24"));
    // Past its deadline when its incident was cancelled: cancelled, not breached.
    let mut late = input.sla_clocks[0].clone();
    late.stopped_at = Some(late.due_at.plus_millis(60_000));
    late.breached_at = None;
    late.cancelled_at = late.stopped_at;
    input.sla_clocks.push(late);
    let r = compute(&input);
    assert_eq!(r.incidents.total, before.incidents.total + 2);
    assert_eq!(r.incidents.resolved, before.incidents.resolved);
    assert_eq!(r.incidents.cancelled, 2);
    assert_eq!(r.incidents.merged, 1);
    let reason = |k: &str| {
        r.incidents
            .cancelled_by_reason
            .iter()
            .find(|c| c.key == k)
            .map(|c| c.count)
    };
    assert_eq!(reason("false_alarm"), Some(1));
    assert_eq!(reason("duplicate"), Some(1));
    assert_eq!(reason("caller_withdrew"), Some(0));
    assert_eq!(r.sla.total.cancelled, 1);
    assert_eq!(r.sla.total.breached, before.sla.total.breached);
    assert_eq!(r.sla.total.met, before.sla.total.met);
    assert_eq!(r.sla.total.compliance, before.sla.total.compliance);
}
