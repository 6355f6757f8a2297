//! Tests for `aml`: real-looking samples, one test per error kind, and property tests for totality and
//! round-tripping.

use super::*;
use proptest::prelude::*;

/// Monas, Jakarta, as a Telkomsel handset would report it by SMS. (`ml` corrected to the true length, 127.)
const JAKARTA_SMS: &str = "A\"ML=1;lt=-6.17540;lg=106.82710;rd=25;top=20261124101530;lc=68;pm=G;\
                           si=510012345678901;ei=356938035643809;mcc=510;mnc=10;ml=127";

/// An Android ELS HTTPS body from a handset in Pontianak, which sits on the equator: Java's `Double.toString`
/// writes the latitude in exponent form.
const PONTIANAK_HTTPS: &str = "v=3&emergency_number=112&source=call&thunderbird_version=2800&time=1795515300000\
    &location_latitude=-5.0E-4&location_longitude=109.3425&location_time=1795515330123&location_altitude=3\
    &location_source=fused&location_accuracy=14.2&location_confidence=0.6827&device_number=%2B6281234567890\
    &device_imei=356938035643809&device_imsi=510100000000000&cell_network_mcc=510";

fn err(field: Option<&'static str>, kind: AmlErrorKind) -> AmlError {
    AmlError { field, kind }
}

#[test]
fn jakarta_sms_parses_every_field() {
    let fix = parse_sms(JAKARTA_SMS).unwrap();
    assert_eq!(fix.transport, AmlTransport::Sms);
    assert_eq!(fix.version, 1);
    assert_eq!(
        (fix.position.lon(), fix.position.lat()),
        (106.8271, -6.1754)
    );
    assert_eq!(fix.radius_m, 25.0);
    assert_eq!(fix.time, Timestamp(1_795_515_330_000));
    assert_eq!(fix.confidence_pct, Some(68));
    assert_eq!(fix.method, PositioningMethod::Gnss);
    assert_eq!(fix.imsi.as_deref(), Some("510012345678901"));
    assert_eq!(fix.imei.as_deref(), Some("356938035643809"));
    assert_eq!(
        (fix.mcc.as_deref(), fix.mnc.as_deref()),
        (Some("510"), Some("10"))
    );
}

#[test]
fn sms_with_surrounding_line_ends_parses() {
    assert!(parse_sms(&format!("\r\n{JAKARTA_SMS}\r\n")).is_ok());
}

#[test]
fn sms_without_sim_identifiers_parses() {
    let sms = "A\"ML=1;lt=-8.65000;lg=+115.21667;rd=1500.5;top=20260101000000;lc=95;pm=C;ml=78";
    let fix = parse_sms(sms).unwrap();
    assert_eq!(
        (fix.imsi, fix.imei, fix.mcc, fix.method),
        (None, None, None, PositioningMethod::Cell)
    );
    assert_eq!(fix.radius_m, 1500.5);
}

#[test]
fn google_null_location_sample_is_no_location() {
    let sms = "A\"ML=1;lt=+00.00000;lg=+000.00000;rd=N;top=20220131173734;lc=0;pm=N;si=234159000000000;\
               ei=123456789012345;mcc=234;mnc=15;ml=127";
    let e = parse_sms(sms).unwrap_err();
    assert_eq!(e, err(Some("pm"), AmlErrorKind::NoLocation));
    assert_eq!(e.code(), ErrorCode::ValidationFailed);
}

#[test]
fn wrong_message_length_is_rejected() {
    // The brief's sample and Google's published "location computed" example both declare a length one to four
    // bytes off; a strict parser must say so rather than trust a truncated or padded message.
    let sms = JAKARTA_SMS.replace("ml=127", "ml=123");
    assert_eq!(
        parse_sms(&sms).unwrap_err(),
        err(
            Some("ml"),
            AmlErrorKind::LengthMismatch {
                declared: 123,
                actual: 127
            }
        )
    );
}

#[test]
fn sms_errors_name_the_field() {
    let cases: &[(&str, &str, Option<&str>, AmlErrorKind)] = &[
        ("lt=-6.17540;", "", Some("lt"), AmlErrorKind::Missing),
        (
            "lt=-6.17540;",
            "lt=-6.17540;lt=-6.17541;",
            Some("lt"),
            AmlErrorKind::Duplicate,
        ),
        (
            "lt=-6.17540;",
            "lt=-96.17540;",
            Some("lt"),
            AmlErrorKind::OutOfRange,
        ),
        (
            "lt=-6.17540;",
            "lt=NaN;",
            Some("lt"),
            AmlErrorKind::BadNumber,
        ),
        (
            "lt=-6.17540;",
            "lt=-6.1e1;",
            Some("lt"),
            AmlErrorKind::BadNumber,
        ),
        (
            "lt=-6.17540;",
            "lt=-6,17540;",
            Some("lt"),
            AmlErrorKind::BadNumber,
        ),
        (
            "lg=106.82710;",
            "lg=186.82710;",
            Some("lg"),
            AmlErrorKind::OutOfRange,
        ),
        (
            "lg=106.82710;",
            "lg=1106.8271;",
            Some("lg"),
            AmlErrorKind::BadNumber,
        ),
        ("rd=25;", "rd=-25;", Some("rd"), AmlErrorKind::BadNumber),
        ("rd=25;", "rd=N;", Some("rd"), AmlErrorKind::BadNumber),
        (
            "rd=25;",
            "rd=2000000;",
            Some("rd"),
            AmlErrorKind::OutOfRange,
        ),
        (
            "top=20261124101530;",
            "top=20260230101530;",
            Some("top"),
            AmlErrorKind::BadDate,
        ),
        (
            "top=20261124101530;",
            "top=20261124241530;",
            Some("top"),
            AmlErrorKind::BadDate,
        ),
        (
            "top=20261124101530;",
            "top=2026112410153;",
            Some("top"),
            AmlErrorKind::BadDate,
        ),
        // Found by the fuzzer: a pre-1970 year, which the HTTPS form (Unix ms) cannot carry.
        (
            "top=20261124101530;",
            "top=02250902175656;",
            Some("top"),
            AmlErrorKind::BadDate,
        ),
        (
            "top=20261124101530;",
            "top=19691231235959;",
            Some("top"),
            AmlErrorKind::BadDate,
        ),
        ("lc=68;", "lc=101;", Some("lc"), AmlErrorKind::OutOfRange),
        ("lc=68;", "lc=6 8;", Some("lc"), AmlErrorKind::BadNumber),
        ("pm=G;", "pm=X;", Some("pm"), AmlErrorKind::BadValue),
        ("pm=G;", "pm=g;", Some("pm"), AmlErrorKind::BadValue),
        (
            "si=510012345678901;",
            "si=51001234567890X;",
            Some("si"),
            AmlErrorKind::BadValue,
        ),
        (
            "ei=356938035643809;",
            "ei=3569;",
            Some("ei"),
            AmlErrorKind::BadValue,
        ),
        ("mcc=510;", "mcc=5100;", Some("mcc"), AmlErrorKind::BadValue),
        ("mnc=10;", "mnc=;", Some("mnc"), AmlErrorKind::BadValue),
        ("mnc=10;", "mnc=10;x=1;x=2;", None, AmlErrorKind::Duplicate),
        ("mnc=10;", "mnc=10;;", None, AmlErrorKind::MalformedPair),
        ("mnc=10;", "mnc=10;oops;", None, AmlErrorKind::MalformedPair),
        ("mnc=10;", "mnc=10;=1;", None, AmlErrorKind::MalformedPair),
    ];
    for (from, to, field, kind) in cases {
        let sms = JAKARTA_SMS.replace(from, to);
        assert_ne!(sms, JAKARTA_SMS, "case {to} did not apply");
        // Fix up `ml` so the length check does not mask the error under test.
        let sms = with_true_length(&sms);
        assert_eq!(parse_sms(&sms), Err(err(*field, *kind)), "{to}");
    }
}

/// Rewrites the final `ml=` so it matches the message's length.
fn with_true_length(sms: &str) -> String {
    let Some(at) = sms.rfind(";ml=") else {
        return sms.to_owned();
    };
    let base = at + ";ml=".len();
    let total = (1..=4)
        .map(|d| base + d)
        .find(|t| t.to_string().len() == t - base)
        .unwrap();
    format!("{}{total}", &sms[..base])
}

#[test]
fn sms_whole_message_errors() {
    assert_eq!(parse_sms(" \n"), Err(err(None, AmlErrorKind::Empty)));
    assert_eq!(
        parse_sms("AML=1;lt=1"),
        Err(err(None, AmlErrorKind::NotAml))
    );
    let v2 = with_true_length(&JAKARTA_SMS.replace("A\"ML=1;", "A\"ML=2;"));
    assert_eq!(
        parse_sms(&v2),
        Err(err(Some("A\"ML"), AmlErrorKind::UnknownVersion))
    );
    let long = format!("{JAKARTA_SMS};pad={}", "0".repeat(SMS_MAX_LEN));
    assert_eq!(
        parse_sms(&long),
        Err(err(
            None,
            AmlErrorKind::TooLong {
                max_len: SMS_MAX_LEN
            }
        ))
    );
    let null_island =
        with_true_length(&JAKARTA_SMS.replace("lt=-6.17540;lg=106.82710", "lt=0.0;lg=-0.0"));
    assert_eq!(
        parse_sms(&null_island),
        Err(err(Some("lt"), AmlErrorKind::NoLocation))
    );
}

#[test]
fn pontianak_https_parses_every_field() {
    let fix = parse_https(PONTIANAK_HTTPS).unwrap();
    assert_eq!(fix.transport, AmlTransport::Https);
    assert_eq!(fix.version, 3);
    assert_eq!(
        (fix.position.lon(), fix.position.lat()),
        (109.3425, -0.0005)
    );
    assert_eq!(fix.radius_m, 14.2);
    assert_eq!(fix.time, Timestamp(1_795_515_330_123));
    assert_eq!(fix.confidence_pct, Some(68));
    assert_eq!(fix.method, PositioningMethod::Fused);
    assert_eq!(fix.emergency_number.as_deref(), Some("112"));
    assert_eq!(fix.device_number.as_deref(), Some("+6281234567890"));
    assert_eq!(fix.imei.as_deref(), Some("356938035643809"));
    assert_eq!(fix.imsi.as_deref(), Some("510100000000000"));
    assert_eq!(fix.call_started_at, Some(Timestamp(1_795_515_300_000)));
    assert_eq!((fix.mcc, fix.mnc), (None, None));
}

#[test]
fn https_minimal_body_defaults_the_optional_fields() {
    let body = "location_time=1795515330123&location_accuracy=30&location_longitude=106.8271\
                &location_latitude=-6.1754&v=1";
    let fix = parse_https(body).unwrap();
    assert_eq!(fix.method, PositioningMethod::Unknown);
    assert_eq!(
        (
            fix.confidence_pct,
            fix.emergency_number,
            fix.call_started_at
        ),
        (None, None, None)
    );
}

#[test]
fn https_errors_name_the_field() {
    let cases: &[(&str, &str, Option<&str>, AmlErrorKind)] = &[
        ("v=3&", "v=4&", Some("v"), AmlErrorKind::UnknownVersion),
        ("v=3&", "", Some("v"), AmlErrorKind::Missing),
        (
            "&location_time=1795515330123",
            "",
            Some("location_time"),
            AmlErrorKind::Missing,
        ),
        (
            "&location_time=1795515330123",
            "&location_time=1795515330.5",
            Some("location_time"),
            AmlErrorKind::BadDate,
        ),
        (
            "&location_time=1795515330123",
            "&location_time=999999999999999",
            Some("location_time"),
            AmlErrorKind::BadDate,
        ),
        (
            "location_latitude=-5.0E-4",
            "location_latitude=-95",
            Some("location_latitude"),
            AmlErrorKind::OutOfRange,
        ),
        (
            "location_latitude=-5.0E-4",
            "location_latitude=-5.0E",
            Some("location_latitude"),
            AmlErrorKind::BadNumber,
        ),
        (
            "location_latitude=-5.0E-4",
            "location_latitude=inf",
            Some("location_latitude"),
            AmlErrorKind::BadNumber,
        ),
        (
            "location_latitude=-5.0E-4",
            "location_latitude=0x1",
            Some("location_latitude"),
            AmlErrorKind::BadNumber,
        ),
        (
            "location_longitude=109.3425",
            "location_longitude=190",
            Some("location_longitude"),
            AmlErrorKind::OutOfRange,
        ),
        // In a form body a bare `+` is a space, so an unescaped plus sign is a malformed number.
        (
            "location_longitude=109.3425",
            "location_longitude=+109.3",
            Some("location_longitude"),
            AmlErrorKind::BadNumber,
        ),
        (
            "location_accuracy=14.2",
            "location_accuracy=-1",
            Some("location_accuracy"),
            AmlErrorKind::OutOfRange,
        ),
        (
            "location_accuracy=14.2",
            "location_accuracy=",
            Some("location_accuracy"),
            AmlErrorKind::BadNumber,
        ),
        (
            "location_confidence=0.6827",
            "location_confidence=68",
            Some("location_confidence"),
            AmlErrorKind::OutOfRange,
        ),
        (
            "location_source=fused",
            "location_source=magic",
            Some("location_source"),
            AmlErrorKind::BadValue,
        ),
        (
            "source=call",
            "source=email",
            Some("source"),
            AmlErrorKind::BadValue,
        ),
        (
            "emergency_number=112",
            "emergency_number=1-1-2",
            Some("emergency_number"),
            AmlErrorKind::BadValue,
        ),
        (
            "device_number=%2B62",
            "device_number=%2Bx62",
            Some("device_number"),
            AmlErrorKind::BadValue,
        ),
        (
            "device_number=%2B62",
            "device_number=%2G62",
            Some("device_number"),
            AmlErrorKind::BadEncoding,
        ),
        (
            "device_number=%2B62",
            "device_number=%FF62",
            Some("device_number"),
            AmlErrorKind::BadEncoding,
        ),
        (
            "device_imei=356938035643809",
            "device_imei=3569380356438",
            Some("device_imei"),
            AmlErrorKind::BadValue,
        ),
        (
            "&time=1795515300000",
            "&time=-1",
            Some("time"),
            AmlErrorKind::BadDate,
        ),
        ("v=3&", "v=3&v=3&", Some("v"), AmlErrorKind::Duplicate),
        (
            "&location_altitude=3",
            "&location_altitude=3&location_altitude=4",
            None,
            AmlErrorKind::Duplicate,
        ),
        (
            "&location_altitude=3",
            "&location_altitude=3&",
            None,
            AmlErrorKind::MalformedPair,
        ),
        (
            "&location_altitude=3",
            "&location_altitude",
            None,
            AmlErrorKind::MalformedPair,
        ),
        (
            "&location_altitude=3",
            "&%ZZ=3",
            None,
            AmlErrorKind::BadEncoding,
        ),
        (
            "location_latitude=-5.0E-4&location_longitude=109.3425",
            "location_latitude=0&location_longitude=0",
            Some("location_latitude"),
            AmlErrorKind::NoLocation,
        ),
    ];
    for (from, to, field, kind) in cases {
        let body = PONTIANAK_HTTPS.replace(from, to);
        assert_ne!(body, PONTIANAK_HTTPS, "case {to} did not apply");
        assert_eq!(parse_https(&body), Err(err(*field, *kind)), "{to}");
    }
}

#[test]
fn https_accepts_uppercase_words_and_form_escapes_in_keys() {
    let body = PONTIANAK_HTTPS
        .replace("location_source=fused", "location_source=GPS")
        .replace("source=call", "source=CALL");
    assert_eq!(parse_https(&body).unwrap().method, PositioningMethod::Gnss);
    let escaped_key = PONTIANAK_HTTPS.replace("location_accuracy=", "location%5Faccuracy=");
    assert_eq!(parse_https(&escaped_key).unwrap().radius_m, 14.2);
}

#[test]
fn negative_zero_radius_is_stored_unsigned() {
    // Found by the fuzzer: `-0` passed the range check and then formatted as `rd=-0`, which SMS rejects.
    let fix =
        parse_https(&PONTIANAK_HTTPS.replace("location_accuracy=14.2", "location_accuracy=-0"))
            .unwrap();
    assert!(fix.radius_m == 0.0 && fix.radius_m.is_sign_positive());
    assert!(parse_sms(&fix.to_sms()).is_ok());
}

#[test]
fn error_messages_name_the_field_but_never_the_value() {
    let e = parse_https(
        &PONTIANAK_HTTPS.replace("device_imei=356938035643809", "device_imei=35693803564380X"),
    )
    .unwrap_err();
    let msg = e.to_string();
    assert_eq!(
        msg,
        "invalid AML: field `device_imei`: value is not one of the accepted values"
    );
    assert!(!msg.contains("3569"));
    assert_eq!(e.code(), ErrorCode::ValidationFailed);
}

#[test]
fn formatted_sms_matches_the_wire_form() {
    let fix = parse_sms(JAKARTA_SMS).unwrap();
    assert_eq!(
        fix.to_sms(),
        "A\"ML=1;lt=-6.17540;lg=+106.82710;rd=25;top=20261124101530;lc=68;pm=G;si=510012345678901;\
         ei=356938035643809;mcc=510;mnc=10;ml=128"
    );
}

#[test]
fn max_unix_ms_is_the_last_millisecond_of_9999() {
    let last = Timestamp::from_utc(LocalDate::new(9999, 12, 31).unwrap(), 23, 59, 59, 999).unwrap();
    assert_eq!(last.millis(), MAX_UNIX_MS);
}

// ---------------------------------------------------------------------------------------------------------------
// Properties

fn digits(min: usize, max: usize) -> impl Strategy<Value = String> {
    proptest::string::string_regex(&format!("[0-9]{{{min},{max}}}")).unwrap()
}

/// Fixes the SMS form can carry exactly: five-decimal coordinates, three-decimal radius, whole seconds.
fn sms_fix() -> impl Strategy<Value = AmlFix> {
    (
        (-9_000_000i64..=9_000_000, -18_000_000i64..=18_000_000)
            .prop_filter("null island", |(a, b)| *a != 0 || *b != 0),
        0u32..=1_000_000_000,
        0i64..=MAX_UNIX_MS / 1000,
        0u8..=100,
        prop::sample::select(vec![
            PositioningMethod::Gnss,
            PositioningMethod::Wifi,
            PositioningMethod::Cell,
            PositioningMethod::Fused,
        ]),
        (
            prop::option::of(digits(6, 15)),
            prop::option::of(digits(14, 16)),
        ),
        (
            prop::option::of(digits(3, 3)),
            prop::option::of(digits(2, 3)),
        ),
    )
        .prop_map(
            |((lat, lon), rd, secs, lc, method, (imsi, imei), (mcc, mnc))| AmlFix {
                transport: AmlTransport::Sms,
                version: 1,
                position: Position::from_lon_lat(lon as f64 / 1e5, lat as f64 / 1e5).unwrap(),
                radius_m: f64::from(rd) / 1000.0,
                time: Timestamp(secs * 1000),
                confidence_pct: Some(lc),
                method,
                imsi,
                imei,
                mcc,
                mnc,
                emergency_number: None,
                device_number: None,
                call_started_at: None,
            },
        )
}

/// Fixes the HTTPS form can carry exactly: any valid position and radius, millisecond times.
fn https_fix() -> impl Strategy<Value = AmlFix> {
    (
        (-180.0..=180.0f64, -90.0..=90.0f64)
            .prop_filter("null island", |(a, b)| *a != 0.0 || *b != 0.0),
        (0.0..=MAX_RADIUS_M, 1u8..=3, 0i64..=MAX_UNIX_MS),
        (
            prop::option::of(0u8..=100),
            prop::sample::select(PositioningMethod::ALL.to_vec()),
        ),
        (
            prop::option::of(digits(2, 10)),
            prop::option::of((any::<bool>(), digits(3, 20))),
        ),
        (
            prop::option::of(digits(14, 16)),
            prop::option::of(digits(6, 15)),
            prop::option::of(0i64..=MAX_UNIX_MS),
        ),
    )
        .prop_map(
            |(
                (lon, lat),
                (radius_m, version, ms),
                (conf, method),
                (en, dn),
                (imei, imsi, start),
            )| AmlFix {
                transport: AmlTransport::Https,
                version,
                position: Position::from_lon_lat(lon, lat).unwrap(),
                radius_m,
                time: Timestamp(ms),
                confidence_pct: conf,
                method,
                imsi,
                imei,
                mcc: None,
                mnc: None,
                emergency_number: en,
                device_number: dn.map(|(plus, d)| if plus { format!("+{d}") } else { d }),
                call_started_at: start.map(Timestamp),
            },
        )
}

/// Text that looks like AML: valid samples with random edits, so the parsers get past their first checks.
fn near_aml() -> impl Strategy<Value = String> {
    let base = prop::sample::select(vec![JAKARTA_SMS, PONTIANAK_HTTPS]);
    (
        base,
        prop::collection::vec(
            (any::<prop::sample::Index>(), ".{0,3}", any::<bool>()),
            0..6,
        ),
    )
        .prop_map(|(base, edits)| {
            let mut s: Vec<char> = base.chars().collect();
            for (at, insert, delete) in edits {
                let i = at.index(s.len() + 1);
                if delete && i < s.len() {
                    s.remove(i);
                }
                for (k, c) in insert.chars().enumerate() {
                    s.insert((i + k).min(s.len()), c);
                }
            }
            s.into_iter().collect()
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(s in any::<String>()) {
        let _ = parse_sms(&s);
        let _ = parse_https(&s);
        let _ = parse_sms(&format!("A\"ML=1;{s}"));
    }

    #[test]
    fn edited_samples_never_panic(s in near_aml()) {
        // The fuzz target's oracle: whatever parses holds in-range values and survives the HTTPS form exactly.
        for fix in [parse_sms(&s), parse_https(&s)].into_iter().flatten() {
            prop_assert!((0.0..=MAX_RADIUS_M).contains(&fix.radius_m));
            prop_assert!(fix.confidence_pct.is_none_or(|c| c <= 100));
            let mut expected = fix.clone();
            expected.transport = AmlTransport::Https;
            expected.mcc = None;
            expected.mnc = None;
            prop_assert_eq!(parse_https(&fix.to_https()), Ok(expected));
        }
    }

    #[test]
    fn sms_format_then_parse_round_trips(fix in sms_fix()) {
        let text = fix.to_sms();
        prop_assert_eq!(parse_sms(&text), Ok(fix), "{}", text);
    }

    #[test]
    fn https_format_then_parse_round_trips(fix in https_fix()) {
        let body = fix.to_https();
        prop_assert_eq!(parse_https(&body), Ok(fix), "{}", body);
    }
}
