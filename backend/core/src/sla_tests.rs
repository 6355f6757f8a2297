//! Tests for `sla`: the policy lookup and defaults, the engine's exactly-once breaches, restore after a restart,
//! and a model-based property test.

use super::*;
use crate::time::{MS_PER_HOUR, MS_PER_MINUTE};
use proptest::prelude::*;

const T0: Timestamp = Timestamp(1_795_515_330_000);

fn at(ms: i64) -> Timestamp {
    T0.plus_millis(ms)
}

#[test]
fn default_policy_is_valid_and_matches_the_documented_targets() {
    let p = SlaPolicy::defaults();
    p.validate().unwrap();
    assert_eq!(p.answer_target_ms(), 15_000);
    let t = |kind, c, pr, area| p.target_ms(kind, c, pr, area);
    use AreaClass::*;
    use Category as C;
    use Priority as P;
    assert_eq!(t(SlaKind::Answer, C::Crime, P::P4, Rural), 15_000);
    assert_eq!(
        t(SlaKind::Arrival, C::Crime, P::P1, Urban),
        15 * MS_PER_MINUTE
    );
    assert_eq!(
        t(SlaKind::Arrival, C::Crime, P::P1, Rural),
        30 * MS_PER_MINUTE
    );
    assert_eq!(
        t(SlaKind::Dispatch, C::Crime, P::P3, Urban),
        15 * MS_PER_MINUTE
    );
    // Fire p2 urban arrival is pulled down to 15 min; rural keeps the p2 default.
    assert_eq!(
        t(SlaKind::Arrival, C::Fire, P::P2, Urban),
        15 * MS_PER_MINUTE
    );
    assert_eq!(
        t(SlaKind::Arrival, C::Fire, P::P2, Rural),
        60 * MS_PER_MINUTE
    );
    assert_eq!(
        t(SlaKind::Arrival, C::Health, P::P1, Urban),
        10 * MS_PER_MINUTE
    );
    assert_eq!(
        t(SlaKind::Arrival, C::Health, P::P2, Urban),
        30 * MS_PER_MINUTE
    );
    assert_eq!(
        t(SlaKind::Resolution, C::NaturalDisaster, P::P1, Urban),
        72 * MS_PER_HOUR
    );
    assert_eq!(
        t(SlaKind::Resolution, C::Health, P::P1, Urban),
        4 * MS_PER_HOUR
    );
    // Every target shrinks (or stays) as urgency rises.
    for kind in SlaKind::ALL {
        for c in C::ALL {
            for area in AreaClass::ALL {
                let ts: Vec<_> = P::ALL.iter().map(|pr| t(*kind, *c, *pr, *area)).collect();
                assert!(
                    ts.windows(2).all(|w| w[0] <= w[1]),
                    "{kind} {c} {area}: {ts:?}"
                );
            }
        }
    }
}

#[test]
fn priority_specific_override_beats_category_wide_one_whatever_the_order() {
    let mut p = SlaPolicy::defaults();
    p.overrides = vec![
        TargetOverride {
            priority: Some(Priority::P1),
            dispatch_s: Some(30),
            ..TargetOverride::for_category(Category::Riot)
        },
        TargetOverride {
            dispatch_s: Some(90),
            ..TargetOverride::for_category(Category::Riot)
        },
        TargetOverride {
            dispatch_s: Some(100),
            ..TargetOverride::for_category(Category::Riot)
        },
    ];
    let dispatch = |pr| p.target_ms(SlaKind::Dispatch, Category::Riot, pr, AreaClass::Urban);
    assert_eq!(dispatch(Priority::P1), 30_000);
    assert_eq!(
        dispatch(Priority::P2),
        100_000,
        "the later of two equal overrides wins"
    );
    assert_eq!(
        p.target_ms(
            SlaKind::Dispatch,
            Category::Crime,
            Priority::P2,
            AreaClass::Urban
        ),
        300_000
    );
}

#[test]
fn policy_loads_from_toml_and_rejects_zero_and_unknown_fields() {
    let text = r#"
        answer_s = 10
        [priorities.p1]
        escalation_s = 60
        dispatch_s = 120
        acknowledge_s = 60
        arrival_urban_s = 900
        arrival_rural_s = 1800
        resolution_s = 14400
        [priorities.p2]
        escalation_s = 120
        dispatch_s = 300
        acknowledge_s = 120
        arrival_urban_s = 1800
        arrival_rural_s = 3600
        resolution_s = 43200
        [priorities.p3]
        escalation_s = 300
        dispatch_s = 900
        acknowledge_s = 300
        arrival_urban_s = 3600
        arrival_rural_s = 7200
        resolution_s = 86400
        [priorities.p4]
        escalation_s = 600
        dispatch_s = 3600
        acknowledge_s = 900
        arrival_urban_s = 14400
        arrival_rural_s = 28800
        resolution_s = 259200
        [[overrides]]
        category = "health"
        priority = "p1"
        arrival_urban_s = 480
    "#;
    let p: SlaPolicy = toml::from_str(text).unwrap();
    p.validate().unwrap();
    assert_eq!(p.answer_target_ms(), 10_000);
    assert_eq!(
        p.target_ms(
            SlaKind::Arrival,
            Category::Health,
            Priority::P1,
            AreaClass::Urban
        ),
        480_000
    );
    assert_eq!(p.priorities, SlaPolicy::defaults().priorities);

    let zero: SlaPolicy =
        toml::from_str(&text.replace("arrival_urban_s = 480", "arrival_urban_s = 0")).unwrap();
    let e = zero.validate().unwrap_err();
    assert_eq!(
        e,
        InvalidSlaPolicy::ZeroTarget {
            field: "overrides[0].arrival_urban_s".into()
        }
    );
    assert_eq!(e.code(), ErrorCode::ValidationFailed);
    assert!(
        toml::from_str::<SlaPolicy>(&text.replace("answer_s = 10", "answer_s = 10\nanswer_ms = 1"))
            .is_err()
    );
    assert!(
        toml::from_str::<SlaPolicy>(&text.replace("category = \"health\"", "category = \"flood\""))
            .is_err()
    );
}

#[test]
fn stopping_at_the_deadline_meets_the_target() {
    let mut e = SlaEngine::new();
    assert!(e.start(1, SlaKind::Answer, at(0), 15_000));
    assert_eq!(e.poll_timeout(), Some(at(15_001)));
    assert!(e.handle_timeout(at(15_000)).is_empty());
    let o = e.stop(&1, SlaKind::Answer, at(15_000)).unwrap();
    assert_eq!(
        (o.result, o.elapsed_ms, o.breach),
        (SlaResult::Met, 15_000, None)
    );
    assert_eq!(e.poll_timeout(), None);
    assert_eq!(
        e.stop(&1, SlaKind::Answer, at(20_000)),
        None,
        "stopping twice is harmless"
    );
}

#[test]
fn breach_fires_once_and_the_clock_keeps_running() {
    let mut e = SlaEngine::new();
    e.start("inc-1", SlaKind::Dispatch, at(0), 1_000);
    e.start("inc-1", SlaKind::Resolution, at(0), 10_000);
    let b = e.handle_timeout(at(5_000));
    assert_eq!(b.len(), 1);
    assert_eq!(
        (b[0].subject, b[0].kind, b[0].deadline, b[0].detected_at),
        ("inc-1", SlaKind::Dispatch, at(1_000), at(5_000))
    );
    assert!(e.handle_timeout(at(9_000)).is_empty(), "never twice");
    assert!(e.is_running(&"inc-1", SlaKind::Dispatch));
    assert_eq!(e.poll_timeout(), Some(at(10_001)));
    let o = e.stop(&"inc-1", SlaKind::Dispatch, at(9_500)).unwrap();
    assert_eq!(
        (o.result, o.elapsed_ms, o.breach),
        (SlaResult::Breached, 9_500, None),
        "already reported"
    );
}

#[test]
fn late_stop_reports_the_breach_the_poll_missed() {
    let mut e = SlaEngine::new();
    e.start(7u64, SlaKind::Acknowledge, at(0), 60_000);
    let o = e.stop(&7, SlaKind::Acknowledge, at(61_000)).unwrap();
    assert_eq!(o.result, SlaResult::Breached);
    let b = o.breach.unwrap();
    assert_eq!((b.deadline, b.detected_at), (at(60_000), at(61_000)));
    assert!(e.handle_timeout(at(999_999)).is_empty());
}

#[test]
fn second_start_is_ignored() {
    let mut e = SlaEngine::new();
    assert!(e.start(1, SlaKind::Arrival, at(0), 100));
    assert!(!e.start(1, SlaKind::Arrival, at(50), 1_000));
    assert_eq!(e.poll_timeout(), Some(at(101)));
    assert_eq!(e.len(), 1);
}

#[test]
fn stop_subject_stops_all_its_clocks() {
    let mut e = SlaEngine::new();
    e.start(1, SlaKind::Escalation, at(0), 100);
    e.start(1, SlaKind::Resolution, at(0), 10_000);
    e.start(2, SlaKind::Resolution, at(0), 10_000);
    let stopped = e.stop_subject(&1, at(200));
    assert_eq!(
        stopped
            .iter()
            .map(|(k, o)| (*k, o.result))
            .collect::<Vec<_>>(),
        [
            (SlaKind::Escalation, SlaResult::Breached),
            (SlaKind::Resolution, SlaResult::Met)
        ]
    );
    assert_eq!(e.len(), 1);
}

#[test]
fn restart_resumes_clocks_and_reports_breaches_that_fell_due_while_down() {
    let mut before = SlaEngine::new();
    before.start(1, SlaKind::Dispatch, at(0), 1_000); // breached and reported before the crash
    before.start(2, SlaKind::Dispatch, at(0), 5_000); // falls due during the outage
    before.start(3, SlaKind::Resolution, at(0), 60_000); // still within target after the restart
    assert_eq!(before.handle_timeout(at(2_000)).len(), 1);
    let stored: Vec<_> = before.clocks().collect();
    drop(before);

    let mut after = SlaEngine::new();
    let summary = after.restore(stored.clone(), at(30_000));
    assert_eq!(
        summary,
        RestoreSummary {
            restored: 3,
            overdue: 1,
            duplicates: 0
        }
    );
    assert_eq!(
        after.poll_timeout(),
        Some(at(5_001)),
        "in the past: wake now"
    );
    let b = after.handle_timeout(at(30_000));
    assert_eq!(b.iter().map(|b| b.subject).collect::<Vec<_>>(), [2]);
    assert_eq!(after.restore(stored, at(30_000)).duplicates, 3);
    assert!(after.handle_timeout(at(59_999)).is_empty());
    assert_eq!(after.handle_timeout(at(60_001)).len(), 1);
    let o = after.stop(&1, SlaKind::Dispatch, at(60_001)).unwrap();
    assert_eq!(
        (o.result, o.breach),
        (SlaResult::Breached, None),
        "clock 1's breach was reported before the crash"
    );
}

// ---------------------------------------------------------------------------------------------------------------
// Model-based property test.

#[derive(Debug, Clone)]
enum Op {
    Start {
        subject: u8,
        kind: usize,
        target_ms: i64,
    },
    Stop {
        subject: u8,
        kind: usize,
    },
    Advance {
        ms: i64,
    },
    Restart,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0u8..4, 0usize..2, -5i64..120).prop_map(|(subject, kind, target_ms)| Op::Start {
            subject,
            kind,
            target_ms
        }),
        (0u8..4, 0usize..2).prop_map(|(subject, kind)| Op::Stop { subject, kind }),
        (0i64..60).prop_map(|ms| Op::Advance { ms }),
        Just(Op::Restart),
    ]
}

/// One clock's life in the model.
struct Life {
    started: i64,
    target: i64,
    stopped: Option<i64>,
    breaches: u32,
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1_000, ..ProptestConfig::default() })]

    /// For random starts, stops, time steps (each followed by `handle_timeout`) and restarts: a clock breaches
    /// exactly once if its elapsed time exceeded its target before it was stopped (or before the end, for clocks
    /// still running), and never otherwise. Breaches come only at or after their instant, and `poll_timeout`
    /// never names an instant that has already been handled.
    #[test]
    fn each_overdue_clock_breaches_exactly_once(ops in prop::collection::vec(op(), 0..60)) {
        let kinds = [SlaKind::Dispatch, SlaKind::Arrival];
        let mut engine: SlaEngine<u8> = SlaEngine::new();
        let mut lives: Vec<Life> = Vec::new();
        let mut running: BTreeMap<(u8, SlaKind), usize> = BTreeMap::new();
        let mut now = 0i64;
        let record = |lives: &mut Vec<Life>, running: &BTreeMap<(u8, SlaKind), usize>, b: &Breach<u8>, now: i64| {
            let i = running[&(b.subject, b.kind)];
            lives[i].breaches += 1;
            assert!(now - lives[i].started > lives[i].target, "breach before the target was exceeded");
        };
        for op in ops {
            match op {
                Op::Start { subject, kind, target_ms } => {
                    let key = (subject, kinds[kind]);
                    let started = engine.start(subject, kinds[kind], Timestamp(now), target_ms);
                    prop_assert_eq!(started, !running.contains_key(&key));
                    if started {
                        running.insert(key, lives.len());
                        lives.push(Life { started: now, target: target_ms.max(0), stopped: None, breaches: 0 });
                    }
                }
                Op::Stop { subject, kind } => {
                    let key = (subject, kinds[kind]);
                    let outcome = engine.stop(&subject, kinds[kind], Timestamp(now));
                    prop_assert_eq!(outcome.is_some(), running.contains_key(&key));
                    if let Some(o) = outcome {
                        if let Some(b) = &o.breach {
                            record(&mut lives, &running, b, now);
                        }
                        let i = running.remove(&key).unwrap();
                        lives[i].stopped = Some(now);
                        let breached = now - lives[i].started > lives[i].target;
                        prop_assert_eq!(o.result == SlaResult::Breached, breached);
                    }
                }
                Op::Advance { ms } => {
                    now += ms;
                    for b in engine.handle_timeout(Timestamp(now)) {
                        record(&mut lives, &running, &b, now);
                    }
                    prop_assert!(engine.poll_timeout().is_none_or(|t| t.millis() > now));
                }
                Op::Restart => {
                    let stored: Vec<_> = engine.clocks().collect();
                    engine = SlaEngine::new();
                    let summary = engine.restore(stored, Timestamp(now));
                    prop_assert_eq!(summary.restored, running.len());
                }
            }
        }
        now += 1_000;
        for b in engine.handle_timeout(Timestamp(now)) {
            record(&mut lives, &running, &b, now);
        }
        for life in &lives {
            let end = life.stopped.unwrap_or(now);
            let expected = u32::from(end - life.started > life.target);
            prop_assert_eq!(life.breaches, expected);
        }
    }
}

#[test]
fn a_partial_policy_keeps_the_defaults_for_what_it_leaves_out() {
    let policy: SlaPolicy = toml::from_str(
        "answer_s = 5\n[priorities.p2]\nescalation_s = 1\ndispatch_s = 2\nacknowledge_s = 3\n\
         arrival_urban_s = 4\narrival_rural_s = 5\nresolution_s = 6\n",
    )
    .unwrap();
    let defaults = SlaPolicy::defaults();
    assert_eq!(policy.answer_s, 5);
    assert_eq!(policy.priorities.p1, defaults.priorities.p1);
    assert_eq!(policy.priorities.p2.dispatch_s, 2);
    assert_eq!(policy.priorities.p4, defaults.priorities.p4);
    assert!(policy.overrides.is_empty());
    assert!(
        toml::from_str::<SlaPolicy>("answer = 5").is_err(),
        "unknown keys are refused"
    );
}

#[test]
fn breach_rule_is_strictly_after_the_deadline_and_agrees_with_the_engine() {
    assert!(
        !is_breached(T0, 60_000, at(-5)),
        "stopped before it started"
    );
    assert!(
        !is_breached(T0, 60_000, at(60_000)),
        "the deadline itself meets the target"
    );
    assert!(is_breached(T0, 60_000, at(60_001)));
    assert!(is_breached(T0, -5, at(1)), "a negative target counts as 0");
    assert!(!is_breached(T0, -5, T0));
    for stop_ms in [59_999, 60_000, 60_001, 120_000] {
        let mut engine = SlaEngine::new();
        engine.start("a", SlaKind::Acknowledge, T0, 60_000);
        let outcome = engine
            .stop(&"a", SlaKind::Acknowledge, at(stop_ms))
            .unwrap();
        assert_eq!(
            outcome.result == SlaResult::Breached,
            is_breached(T0, 60_000, at(stop_ms))
        );
    }
}

#[test]
fn replanning_keeps_the_start_and_moves_the_deadline_to_the_new_target() {
    // p3 dispatch (15 min) started at T0; at 3 min the priority becomes p1 (2 min): overdue, breached now.
    let p = replan(T0, 2 * MS_PER_MINUTE, false, at(3 * MS_PER_MINUTE));
    assert_eq!(p.deadline, at(2 * MS_PER_MINUTE));
    assert!(p.breached_now);
    // At 1 min: one minute left, nothing raised.
    let p = replan(T0, 2 * MS_PER_MINUTE, false, at(MS_PER_MINUTE));
    assert_eq!(p.deadline, at(2 * MS_PER_MINUTE));
    assert!(!p.breached_now);
    // Exactly at the new deadline the target is still met.
    assert!(!replan(T0, 2 * MS_PER_MINUTE, false, at(2 * MS_PER_MINUTE)).breached_now);
    // Already breached stays breached, and is not raised a second time, even on a longer target.
    let p = replan(T0, MS_PER_HOUR, true, at(20 * MS_PER_MINUTE));
    assert!(!p.breached_now);
    assert_eq!(p.deadline, at(MS_PER_HOUR));
    assert_eq!(replan(T0, -1, false, T0).target_ms, 0);
}

#[test]
fn retarget_moves_the_engines_next_breach_and_raises_an_overdue_one_once() {
    let mut engine = SlaEngine::new();
    engine.start("i", SlaKind::Dispatch, T0, 15 * MS_PER_MINUTE);
    engine.start("j", SlaKind::Dispatch, T0, 15 * MS_PER_MINUTE);
    // Shorter, not yet due: the next timeout follows the new deadline.
    assert_eq!(
        engine.retarget(
            &"i",
            SlaKind::Dispatch,
            5 * MS_PER_MINUTE,
            at(MS_PER_MINUTE)
        ),
        Some(None)
    );
    assert_eq!(engine.poll_timeout(), Some(at(5 * MS_PER_MINUTE + 1)));
    // Longer: the breach moves out.
    assert_eq!(
        engine.retarget(&"i", SlaKind::Dispatch, MS_PER_HOUR, at(2 * MS_PER_MINUTE)),
        Some(None)
    );
    assert_eq!(engine.poll_timeout(), Some(at(15 * MS_PER_MINUTE + 1)));
    // Past the new deadline at the change: raised by the change, never again by a timeout.
    let breach = engine
        .retarget(
            &"j",
            SlaKind::Dispatch,
            2 * MS_PER_MINUTE,
            at(3 * MS_PER_MINUTE),
        )
        .unwrap()
        .unwrap();
    assert_eq!(breach.deadline, at(2 * MS_PER_MINUTE));
    assert_eq!(breach.detected_at, at(3 * MS_PER_MINUTE));
    let later = engine.handle_timeout(at(2 * MS_PER_HOUR));
    assert_eq!(later.len(), 1, "only i breaches by timeout: {later:?}");
    assert_eq!(later[0].subject, "i");
    // A breached clock stays breached: a longer target raises nothing and its stop still says breached.
    assert_eq!(
        engine.retarget(
            &"j",
            SlaKind::Dispatch,
            3 * MS_PER_HOUR,
            at(2 * MS_PER_HOUR)
        ),
        Some(None)
    );
    assert!(engine.handle_timeout(at(4 * MS_PER_HOUR)).is_empty());
    let stopped = engine
        .stop(&"j", SlaKind::Dispatch, at(2 * MS_PER_HOUR))
        .unwrap();
    assert_eq!(stopped.result, SlaResult::Breached);
    assert!(stopped.breach.is_none(), "raised once, at the change");
    // No such clock.
    assert_eq!(engine.retarget(&"x", SlaKind::Dispatch, 1, at(0)), None);
}

#[test]
fn a_cancelled_clock_never_breaches_even_past_its_deadline() {
    let mut engine = SlaEngine::new();
    engine.start("i", SlaKind::Resolution, T0, 60_000);
    engine.start("i", SlaKind::Dispatch, T0, 1_000);
    engine.start("other", SlaKind::Dispatch, T0, 1_000);
    // The dispatch clock is overdue but not yet reported when the incident is cancelled.
    assert_eq!(
        engine.cancel_subject(&"i"),
        vec![SlaKind::Dispatch, SlaKind::Resolution]
    );
    assert!(
        !engine.cancel(&"i", SlaKind::Dispatch),
        "cancelling twice is harmless"
    );
    let due = engine.handle_timeout(at(10 * 60_000));
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].subject, "other");
    assert_eq!(engine.poll_timeout(), None);
}

#[test]
fn stopping_for_a_cancellation_records_no_breach_and_marks_the_clock_cancelled() {
    let d = |recorded, ms, cause| stop_decision(T0, 60_000, recorded, at(ms), cause);
    use StopCause::*;
    assert_eq!(
        d(false, 120_000, Done),
        StopDecision {
            record_breach: true,
            cancelled: false
        }
    );
    assert_eq!(
        d(false, 30_000, Done),
        StopDecision {
            record_breach: false,
            cancelled: false
        }
    );
    assert_eq!(
        d(true, 120_000, Done),
        StopDecision {
            record_breach: false,
            cancelled: false
        }
    );
    for ms in [30_000, 120_000] {
        assert_eq!(
            d(false, ms, Cancelled),
            StopDecision {
                record_breach: false,
                cancelled: true
            }
        );
    }
    // A breach raised while the step was still owed stays a breach.
    assert_eq!(
        d(true, 120_000, Cancelled),
        StopDecision {
            record_breach: false,
            cancelled: false
        }
    );
}

#[test]
fn an_arrival_plan_takes_the_category_and_priority_target_and_meets_it_up_to_the_deadline_inclusive()
 {
    let p = SlaPolicy::defaults();
    let plan = |c, pr, area, eta| plan_arrival(&p, c, pr, area, eta);
    // Health p1 urban: 10 min (the override), crime p1 urban: 15 min, health p1 rural: 20 min.
    let health = plan(Category::Health, Priority::P1, AreaClass::Urban, 600.0);
    assert_eq!(health.target_s, 600);
    assert!(health.meets_target, "exactly on the target meets it");
    let late = plan(Category::Health, Priority::P1, AreaClass::Urban, 600.2);
    assert_eq!(late.eta_s, 601, "a fraction of a second rounds up");
    assert!(!late.meets_target);
    let crime = plan(Category::Crime, Priority::P1, AreaClass::Urban, 700.0);
    assert_eq!((crime.target_s, crime.meets_target), (900, true));
    let rural = plan(Category::Health, Priority::P1, AreaClass::Rural, 1000.0);
    assert_eq!((rural.target_s, rural.meets_target), (1200, true));
}

#[test]
fn an_arrival_plan_with_a_broken_or_absurd_eta_does_not_meet_the_target() {
    let p = SlaPolicy::defaults();
    for eta in [f64::NAN, f64::INFINITY, -1.0, 1e300] {
        let plan = plan_arrival(&p, Category::Crime, Priority::P4, AreaClass::Rural, eta);
        assert!(!plan.meets_target, "{eta}");
        assert_eq!(plan.target_s, 8 * 3600);
    }
    let zero = plan_arrival(&p, Category::Crime, Priority::P4, AreaClass::Rural, 0.0);
    assert!(zero.meets_target);
}
