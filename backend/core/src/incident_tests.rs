//! Tests for `incident`.

use super::*;
use crate::transition::testing::check_lifecycle;
use AssignmentStatus as A;
use IncidentStatus as S;
use proptest::prelude::*;

#[test]
fn incident_lifecycle_is_consistent() {
    check_lifecycle(S::ALL, S::New);
}

#[test]
fn happy_path_reaches_closed() {
    let assigned = [A::Assigned];
    let done = [A::Resolved, A::Declined];
    let mut s = S::New;
    for (to, assignments) in [
        (S::Escalated, &[][..]),
        (S::Verified, &[]),
        (S::Dispatched, &assigned[..]),
        (S::Resolved, &done[..]),
        (S::Closed, &done[..]),
    ] {
        s = s.transition_with(to, assignments).unwrap();
    }
    assert_eq!(s, S::Closed);
}

#[test]
fn rejected_incident_goes_back_to_the_call_taker_and_can_be_re_escalated() {
    assert_eq!(S::Escalated.transition(S::Rejected), Ok(S::Rejected));
    assert_eq!(S::Rejected.transition(S::Escalated), Ok(S::Escalated));
    let e = S::Rejected.transition(S::Verified).unwrap_err();
    assert_eq!(e.allowed, vec![S::Escalated, S::Cancelled]);
}

#[test]
fn cannot_resolve_while_a_unit_is_still_working() {
    let e = S::Dispatched
        .transition_with(S::Resolved, &[A::Resolved, A::OnScene])
        .unwrap_err();
    assert_eq!(
        e,
        IncidentTransitionError::AssignmentsOpen {
            open: 1,
            resolved: 1
        }
    );
    assert_eq!(e.code(), ErrorCode::InvalidTransition);
    // All declined: nothing was resolved, so "resolved" would be a lie.
    let e = S::Dispatched
        .transition_with(S::Resolved, &[A::Declined, A::Cancelled])
        .unwrap_err();
    assert_eq!(
        e,
        IncidentTransitionError::AssignmentsOpen {
            open: 0,
            resolved: 0
        }
    );
    assert_eq!(
        S::Dispatched.transition_with(S::Resolved, &[A::Resolved, A::Cancelled]),
        Ok(S::Resolved)
    );
}

#[test]
fn cannot_dispatch_without_an_open_assignment() {
    let e = S::Verified
        .transition_with(S::Dispatched, &[A::Declined])
        .unwrap_err();
    assert_eq!(e, IncidentTransitionError::NoOpenAssignment);
    assert_eq!(e.code(), ErrorCode::InvalidTransition);
    // The table is checked before the guards.
    let e = S::New
        .transition_with(S::Dispatched, &[A::Assigned])
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidTransition);
}

#[test]
fn assignments_move_the_incident() {
    assert_eq!(
        S::Verified.follow_assignments(&[A::Assigned]),
        Some(S::Dispatched)
    );
    assert_eq!(
        S::Dispatched.follow_assignments(&[A::Resolved, A::Declined]),
        Some(S::Resolved)
    );
    assert_eq!(
        S::Dispatched.follow_assignments(&[A::Declined, A::Cancelled]),
        Some(S::Verified)
    );
    assert_eq!(
        S::Dispatched.follow_assignments(&[A::Resolved, A::EnRoute]),
        None
    );
    assert_eq!(
        S::Resolved.follow_assignments(&[A::Resolved, A::Assigned]),
        Some(S::Dispatched)
    );
    assert_eq!(S::Escalated.follow_assignments(&[A::Assigned]), None);
    assert_eq!(S::Closed.follow_assignments(&[A::Assigned]), None);
}

fn assignment_status() -> impl Strategy<Value = AssignmentStatus> {
    prop::sample::select(AssignmentStatus::ALL.to_vec())
}

proptest! {
    #[test]
    fn automatic_moves_always_pass_the_guards(
        from in prop::sample::select(S::ALL.to_vec()),
        assignments in prop::collection::vec(assignment_status(), 0..5),
    ) {
        if let Some(to) = from.follow_assignments(&assignments) {
            prop_assert_eq!(from.transition_with(to, &assignments), Ok(to));
        }
    }
}

#[test]
fn incident_numbers_format_and_parse() {
    let date = LocalDate::new(2026, 11, 24).unwrap();
    let n = IncidentNumber::new("BTM", date, 7).unwrap();
    assert_eq!(n.to_string(), "BTM-20261124-0007");
    assert_eq!(IncidentNumber::parse("BTM-20261124-0007"), Ok(n.clone()));
    assert_eq!((n.prefix(), n.date(), n.seq()), ("BTM", date, 7));
    let big = IncidentNumber::new("JKT", date, 12_345).unwrap();
    assert_eq!(big.to_string(), "JKT-20261124-12345");
    assert_eq!(big.to_string().parse::<IncidentNumber>(), Ok(big.clone()));
    assert_eq!(serde_json::to_string(&n).unwrap(), "\"BTM-20261124-0007\"");
    assert_eq!(
        serde_json::from_str::<IncidentNumber>("\"BTM-20261124-0007\"").unwrap(),
        n
    );
}

#[test]
fn malformed_incident_numbers_say_which_part_is_wrong() {
    use InvalidIncidentNumber::*;
    let cases = [
        ("BTM202611240007", Shape),
        ("BTM-20261124-0007-1", Shape),
        ("B-20261124-0007", Prefix),
        ("BATAMX-20261124-0007", Prefix),
        ("btm-20261124-0007", Prefix),
        ("BTM-20261131-0007", Date),
        ("BTM-2026112-0007", Date),
        ("BTM-20261124-007", Sequence),
        ("BTM-20261124-00007", Sequence),
        ("BTM-20261124-0000", Sequence),
        ("BTM-20261124-+007", Sequence),
        ("BTM-20261124-1234567890", Sequence),
    ];
    for (text, want) in cases {
        assert_eq!(IncidentNumber::parse(text), Err(want), "{text}");
    }
    assert_eq!(
        IncidentNumber::parse("").unwrap_err().code(),
        ErrorCode::ValidationFailed
    );
}

proptest! {
    #[test]
    fn incident_numbers_round_trip(
        prefix in "[A-Z]{2,5}", days in 0i64..=2_932_896, seq in 1u32..=IncidentNumber::MAX_SEQ,
    ) {
        let date = LocalDate::of_timestamp(Timestamp(days * crate::time::MS_PER_DAY), 0);
        let n = IncidentNumber::new(&prefix, date, seq).unwrap();
        prop_assert_eq!(IncidentNumber::parse(&n.to_string()), Ok(n));
    }

    #[test]
    fn incident_number_parse_is_total(s in "[A-Z0-9a-]{0,24}") {
        if let Ok(n) = IncidentNumber::parse(&s) {
            prop_assert_eq!(n.to_string(), s);
        }
    }
}

#[test]
fn subcategory_is_trimmed_and_bounded() {
    assert_eq!(
        Subcategory::parse("  kebakaran rumah ").unwrap().as_str(),
        "kebakaran rumah"
    );
    assert_eq!(Subcategory::parse("   "), Err(InvalidSubcategory));
    assert_eq!(Subcategory::parse("a\nb"), Err(InvalidSubcategory));
    assert!(Subcategory::parse(&"é".repeat(100)).is_ok());
    assert_eq!(
        Subcategory::parse(&"é".repeat(101)),
        Err(InvalidSubcategory)
    );
}

#[test]
fn priorities_sort_most_urgent_first() {
    let mut ps = vec![Priority::P3, Priority::P1, Priority::P4, Priority::P2];
    ps.sort();
    assert_eq!(ps, Priority::ALL);
}

fn pos(lon: f64, lat: f64) -> Position {
    Position::from_lon_lat(lon, lat).unwrap()
}

#[test]
fn duplicates_are_same_category_nearby_and_recent_ranked_by_distance() {
    // Around Nagoya, Batam (lon 104.01, lat 1.14). 0.001° of latitude is about 111 m.
    let probe = DuplicateProbe {
        position: pos(104.01, 1.14),
        at: Timestamp(1_000_000),
        category: Category::Fire,
    };
    let existing = [
        ExistingIncident {
            id: "far",
            position: pos(104.01, 1.145),
            at: Timestamp(1_000_000),
            category: Category::Fire,
        },
        ExistingIncident {
            id: "near",
            position: pos(104.01, 1.141),
            at: Timestamp(900_000),
            category: Category::Fire,
        },
        ExistingIncident {
            id: "nearer-later",
            position: pos(104.01, 1.1405),
            at: Timestamp(1_100_000),
            category: Category::Fire,
        },
        ExistingIncident {
            id: "other-cat",
            position: pos(104.01, 1.14),
            at: Timestamp(1_000_000),
            category: Category::Crime,
        },
        ExistingIncident {
            id: "old",
            position: pos(104.01, 1.14),
            at: Timestamp(1_000_000 - 600_001),
            category: Category::Fire,
        },
    ];
    let got = duplicate_candidates(&probe, &existing, 200.0, 600_000);
    let ids: Vec<_> = got.iter().map(|c| c.id).collect();
    assert_eq!(ids, ["nearer-later", "near"]);
    assert!(
        (got[1].distance_m - 111.2).abs() < 0.5,
        "{}",
        got[1].distance_m
    );
    assert_eq!(got[0].time_gap_ms, 100_000);
    // Limits are inclusive.
    let at_edge = duplicate_candidates(&probe, &existing[1..2], got[1].distance_m, 100_000);
    assert_eq!(at_edge.len(), 1);
    assert!(duplicate_candidates(&probe, &existing, f64::NAN, 600_000).is_empty());
    assert!(duplicate_candidates(&probe, &existing, 200.0, -1).is_empty());
}

#[test]
fn equal_distances_rank_by_time_gap_then_input_order() {
    let probe = DuplicateProbe {
        position: pos(106.8, -6.2),
        at: Timestamp(0),
        category: Category::Health,
    };
    let e = |id, at| ExistingIncident {
        id,
        position: pos(106.8, -6.2),
        at: Timestamp(at),
        category: Category::Health,
    };
    let got = duplicate_candidates(&probe, &[e(1, 50), e(2, -10), e(3, 10)], 1.0, 100);
    assert_eq!(got.iter().map(|c| c.id).collect::<Vec<_>>(), [2, 3, 1]);
}

#[test]
fn default_agency_table_matches_the_documented_rules() {
    use AgencyType::*;
    let t = AgencyTable::defaults();
    let hurt = Victims {
        count: 2,
        condition: VictimCondition::Serious,
    };
    let cases: &[(Category, &[AgencyType], &[AgencyType])] = &[
        (Category::Fire, &[Fire], &[Fire, Health]),
        (Category::TrafficAccident, &[Police], &[Police, Health]),
        (Category::Health, &[Health], &[Health]),
        (Category::Crime, &[Police], &[Police]),
        (Category::NaturalDisaster, &[Disaster], &[Disaster, Health]),
        (Category::PublicOrder, &[Police], &[Police]),
        (Category::Riot, &[Police], &[Police]),
        (
            Category::ViolenceWomenChildren,
            &[Social, Police],
            &[Social, Police],
        ),
        (Category::Other, &[Police], &[Police]),
    ];
    for (c, none, some) in cases {
        assert_eq!(
            t.agencies_for(*c, Victims::NONE),
            *none,
            "{c} without victims"
        );
        assert_eq!(t.agencies_for(*c, hurt), *some, "{c} with victims");
    }
    assert_eq!(cases.len(), Category::ALL.len());
}

#[test]
fn agency_overrides_replace_one_category_and_deduplicate() {
    let rules: Vec<AgencyRule> = serde_json::from_str(
        r#"[{"category":"crime","agencies":["police"],"with_victims":["health","police"]}]"#,
    )
    .unwrap();
    let t = AgencyTable::with_overrides(rules);
    let hurt = Victims {
        count: 1,
        condition: VictimCondition::Unknown,
    };
    assert_eq!(
        t.agencies_for(Category::Crime, hurt),
        [AgencyType::Police, AgencyType::Health]
    );
    assert_eq!(
        t.agencies_for(Category::Fire, hurt),
        [AgencyType::Fire, AgencyType::Health]
    );
    assert!(
        serde_json::from_str::<AgencyRule>(r#"{"category":"crime","agencies":[],"extra":1}"#)
            .is_err()
    );
}
