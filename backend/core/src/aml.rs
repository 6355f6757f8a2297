//! Advanced Mobile Location (AML): the position a handset sends by itself when its user dials an emergency
//! number (ETSI TS 103 625; EENA; Android Emergency Location Service, "ELS").
//!
//! Two wire forms are parsed into one [`AmlFix`]:
//!
//! * **SMS** ([`parse_sms`]): `A"ML=1;lt=-6.17540;lg=+106.82710;rd=25;top=20261124101530;lc=68;pm=G;
//!   si=510012345678901;ei=356938035643809;mcc=510;mnc=10;ml=128`. Mandatory: the `A"ML=1` header, `lt`, `lg`, `rd`, `top`, `lc`, `pm`, `ml`. Optional:
//!   `si`, `ei`, `mcc`, `mnc` (a handset without a SIM has no IMSI or network). `top` is `yyyyMMddHHmmss` UTC.
//!   Both forms accept fix times from 1970-01-01 to 9999-12-31 UTC only.
//!   `ml` must equal the byte length of the whole message, its own digits included.
//! * **HTTPS** ([`parse_https`]): an `application/x-www-form-urlencoded` POST body as sent by Android ELS:
//!   `v=3&emergency_number=112&location_latitude=-6.1754&location_longitude=106.8271&location_accuracy=25&
//!   location_time=1795515330000&…`. Mandatory: `v` (1, 2 or 3), `location_latitude`, `location_longitude`,
//!   `location_accuracy` (metres), `location_time` (Unix ms). Optional and checked when present:
//!   `location_confidence` (fraction 0..=1), `location_source` (`gps`, `wifi`, `cell`, `fused`, `unknown`),
//!   `emergency_number`, `device_number`, `device_imei`, `device_imsi`, `time` (call start, Unix ms). Numbers may
//!   use Java's exponent form (`-5.0E-4`), which `Double.toString` produces within about 100 m of the equator or
//!   the prime meridian, and Indonesia straddles the equator.
//!
//! What "strict" means here: a missing mandatory field, a repeated key (known or not), a pair without `=`, a
//! number with stray characters (no `NaN`, `inf`, hex, or thousands separators), a coordinate out of range, a
//! date that does not exist and an unknown version are all errors naming the field. Unknown keys are ignored,
//! because both specifications grow by adding keys. Leading and trailing ASCII whitespace of the whole payload
//! is ignored (SMS gateways add line ends); the SMS `ml` counts the trimmed text.
//!
//! A well-formed message that carries no position (`pm=N`, or the null point 0,0) is reported as
//! [`AmlErrorKind::NoLocation`]: the caller learns "AML arrived, handset had no fix" without a fake position.
//!
//! Invariant: no input, of any length or content, makes these functions panic. `fuzz/fuzz_targets/aml.rs`
//! checks this with libFuzzer, and a property test checks it on every `cargo test`.
//!
//! Error messages never contain field values: an AML message carries personal data (IMSI, IMEI, phone number,
//! position), and errors end up in logs.

use crate::error::ErrorCode;
use crate::position::Position;
use crate::time::{LocalDate, Timestamp};
use crate::unit::string_enum;
use std::borrow::Cow;
use std::fmt;

/// Longest SMS payload accepted, in bytes. A real AML SMS fits in one 160-character message; the slack allows
/// gateways that concatenate parts.
pub const SMS_MAX_LEN: usize = 1_024;
/// Longest HTTPS body accepted, in bytes. Real ELS bodies are under 2 KiB.
pub const HTTPS_MAX_LEN: usize = 16 * 1_024;
/// Largest accepted uncertainty radius, in metres. Cell-ID fixes in rural Papua can be several kilometres;
/// anything beyond 1 000 km is not a position.
pub const MAX_RADIUS_M: f64 = 1_000_000.0;

/// The only SMS version this parser reads (`A"ML=1`). ELS "beta" (`A"ML=2`) has different keys.
pub const SMS_VERSION: u8 = 1;
/// HTTPS versions (`v=`) this parser reads. All three share the field names it uses.
pub const HTTPS_VERSIONS: [u8; 3] = [1, 2, 3];

string_enum! {
    /// How the handset computed the position.
    PositioningMethod, UnknownPositioningMethod, "positioning method" {
        /// Satellite positioning (SMS `pm=G`, HTTPS `location_source=gps`).
        Gnss => "gnss",
        /// Wi-Fi positioning (`W`, `wifi`).
        Wifi => "wifi",
        /// Cell-based positioning (`C`, `cell`).
        Cell => "cell",
        /// A fused provider mixing the above (`F`, `fused`), as Android's Fused Location Provider reports.
        Fused => "fused",
        /// The sender did not say (HTTPS `unknown` or no `location_source`).
        Unknown => "unknown",
    }
}

impl PositioningMethod {
    /// The one-letter SMS `pm` code. [`PositioningMethod::Unknown`] has none and maps to `N`, which a parser
    /// reads as "no location".
    pub fn sms_code(self) -> char {
        match self {
            PositioningMethod::Gnss => 'G',
            PositioningMethod::Wifi => 'W',
            PositioningMethod::Cell => 'C',
            PositioningMethod::Fused => 'F',
            PositioningMethod::Unknown => 'N',
        }
    }

    /// The HTTPS `location_source` word.
    pub fn https_source(self) -> &'static str {
        match self {
            PositioningMethod::Gnss => "gps",
            PositioningMethod::Wifi => "wifi",
            PositioningMethod::Cell => "cell",
            PositioningMethod::Fused => "fused",
            PositioningMethod::Unknown => "unknown",
        }
    }
}

string_enum! {
    /// Which wire form an [`AmlFix`] arrived in.
    AmlTransport, UnknownAmlTransport, "AML transport" {
        /// The SMS text form (`A"ML=1;…`).
        Sms => "sms",
        /// The HTTPS form-encoded POST body.
        Https => "https",
    }
}

/// One parsed AML position report. Serialisable (for storage and the event log); build one only by parsing.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AmlFix {
    /// The wire form it arrived in.
    pub transport: AmlTransport,
    /// The payload's version: `A"ML=` for SMS (always 1), `v=` for HTTPS (1..=3).
    pub version: u8,
    /// Where the handset was.
    pub position: Position,
    /// Horizontal uncertainty radius in metres (0..=[`MAX_RADIUS_M`]).
    pub radius_m: f64,
    /// When the position was computed (UTC). SMS has whole seconds; HTTPS has milliseconds.
    pub time: Timestamp,
    /// Confidence that the handset lies within `radius_m`, in percent (0..=100). Always present from SMS (`lc`);
    /// from HTTPS `location_confidence` (a fraction) rounded to the nearest percent.
    pub confidence_pct: Option<u8>,
    /// How the position was computed.
    pub method: PositioningMethod,
    /// IMSI digits (6..=15; ELS zeroes all but the first six). SMS `si`, HTTPS `device_imsi`.
    pub imsi: Option<String>,
    /// IMEI digits (14..=16). SMS `ei`, HTTPS `device_imei`.
    pub imei: Option<String>,
    /// Network mobile country code, three digits (SMS `mcc`; Indonesia is 510).
    pub mcc: Option<String>,
    /// Network mobile network code, two or three digits as sent (SMS `mnc`).
    pub mnc: Option<String>,
    /// The number the user dialled (HTTPS `emergency_number`), digits only.
    pub emergency_number: Option<String>,
    /// The handset's own number as the handset knows it (HTTPS `device_number`): `+` and digits, not
    /// normalised. Use [`crate::call::Ani::parse`] to compare it with the network's caller id.
    pub device_number: Option<String>,
    /// When the emergency call or SMS began (HTTPS `time`).
    pub call_started_at: Option<Timestamp>,
}

/// An AML payload was rejected. `field` names the key at fault (`None` for whole-message problems and for keys
/// this parser does not know).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct AmlError {
    /// The wire key at fault, as spelled on the wire (`"lt"`, `"location_time"`, `"A\"ML"` for the SMS version).
    pub field: Option<&'static str>,
    /// What was wrong.
    pub kind: AmlErrorKind,
}

/// What was wrong with an AML payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AmlErrorKind {
    /// Nothing but whitespace.
    Empty,
    /// Longer than [`SMS_MAX_LEN`] or [`HTTPS_MAX_LEN`] bytes.
    TooLong {
        /// The limit that was exceeded, in bytes.
        max_len: usize,
    },
    /// An SMS that does not start with `A"ML=`.
    NotAml,
    /// A segment without `=`, an empty segment, or an empty key.
    MalformedPair,
    /// A key appeared twice.
    Duplicate,
    /// A mandatory key is absent.
    Missing,
    /// A value that must be a number is not one in the accepted grammar.
    BadNumber,
    /// A number outside its range (latitude beyond ±90, confidence above 100, …).
    OutOfRange,
    /// A timestamp that is malformed or names a date or time that does not exist.
    BadDate,
    /// A value outside its vocabulary or shape (unknown `pm`, IMEI with letters, …).
    BadValue,
    /// A version this parser does not read.
    UnknownVersion,
    /// The SMS `ml` does not match the message's byte length.
    LengthMismatch {
        /// The length the message claims (`ml`).
        declared: usize,
        /// The length it has.
        actual: usize,
    },
    /// A `%` escape that is not two hex digits, or escapes that decode to invalid UTF-8.
    BadEncoding,
    /// The message is well-formed but says the handset had no position fix.
    NoLocation,
}

impl AmlError {
    fn new(field: Option<&'static str>, kind: AmlErrorKind) -> AmlError {
        AmlError { field, kind }
    }

    /// Always [`ErrorCode::ValidationFailed`]: the payload is a refused value, a payload without a position fix
    /// included. [`AmlError::field`] and the kind say what is wrong.
    pub fn code(&self) -> ErrorCode {
        ErrorCode::ValidationFailed
    }
}

impl fmt::Display for AmlErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AmlErrorKind::Empty => f.write_str("payload is empty"),
            AmlErrorKind::TooLong { max_len } => {
                write!(f, "payload is longer than {max_len} bytes")
            }
            AmlErrorKind::NotAml => f.write_str("payload does not start with A\"ML="),
            AmlErrorKind::MalformedPair => f.write_str("segment is not a key=value pair"),
            AmlErrorKind::Duplicate => f.write_str("key appears more than once"),
            AmlErrorKind::Missing => f.write_str("mandatory key is missing"),
            AmlErrorKind::BadNumber => f.write_str("value is not a number in the accepted form"),
            AmlErrorKind::OutOfRange => f.write_str("number is out of range"),
            AmlErrorKind::BadDate => f.write_str("timestamp is malformed or does not exist"),
            AmlErrorKind::BadValue => f.write_str("value is not one of the accepted values"),
            AmlErrorKind::UnknownVersion => f.write_str("unsupported version"),
            AmlErrorKind::LengthMismatch { declared, actual } => {
                write!(f, "message length is {actual} bytes but ml says {declared}")
            }
            AmlErrorKind::BadEncoding => f.write_str("invalid percent-encoding or UTF-8"),
            AmlErrorKind::NoLocation => f.write_str("handset reported no position fix"),
        }
    }
}

impl fmt::Display for AmlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.field {
            Some(field) => write!(f, "invalid AML: field `{field}`: {}", self.kind),
            None => write!(f, "invalid AML: {}", self.kind),
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Shared machinery: a fixed table of known keys, each seen at most once.

/// Values of the known keys, indexed like the key table, plus the unknown keys seen (for duplicate detection).
struct Fields<'a, const N: usize> {
    keys: &'static [&'static str; N],
    values: [Option<Cow<'a, str>>; N],
    unknown: Vec<Cow<'a, str>>,
}

impl<'a, const N: usize> Fields<'a, N> {
    fn new(keys: &'static [&'static str; N]) -> Self {
        Fields {
            keys,
            values: std::array::from_fn(|_| None),
            unknown: Vec::new(),
        }
    }

    fn insert(&mut self, key: Cow<'a, str>, value: Cow<'a, str>) -> Result<(), AmlError> {
        match self.keys.iter().position(|k| *k == key) {
            Some(i) => {
                let field = Some(self.keys[i]);
                if self.values[i].is_some() {
                    return Err(AmlError::new(field, AmlErrorKind::Duplicate));
                }
                self.values[i] = Some(value);
            }
            None => {
                if self.unknown.contains(&key) {
                    return Err(AmlError::new(None, AmlErrorKind::Duplicate));
                }
                self.unknown.push(key);
            }
        }
        Ok(())
    }

    /// The value of `key`, which must be in the table (a programming error otherwise, caught by every test).
    fn get(&self, key: &'static str) -> Option<&str> {
        let i = self.keys.iter().position(|k| *k == key)?;
        self.values[i].as_deref()
    }

    fn require(&self, key: &'static str) -> Result<&str, AmlError> {
        self.get(key)
            .ok_or(AmlError::new(Some(key), AmlErrorKind::Missing))
    }
}

/// Checks `s` against `[+-]? int (. frac)? (e|E [+-]? exp)?` with the given maximum digit counts (`max_exp` 0
/// forbids an exponent) and parses it. The grammar excludes `NaN`, `inf`, `0x…`, `1_000` and empty parts, all of
/// which `f64::from_str` would otherwise accept or mis-handle.
fn decimal(s: &str, max_int: usize, max_frac: usize, max_exp: usize, signed: bool) -> Option<f64> {
    let b = s.as_bytes();
    let mut i = 0;
    if signed && matches!(b.first(), Some(b'+' | b'-')) {
        i = 1;
    }
    let digits = |from: usize| b[from..].iter().take_while(|c| c.is_ascii_digit()).count();
    let int = digits(i);
    if int == 0 || int > max_int {
        return None;
    }
    i += int;
    if b.get(i) == Some(&b'.') {
        let frac = digits(i + 1);
        if frac == 0 || frac > max_frac {
            return None;
        }
        i += 1 + frac;
    }
    if max_exp > 0 && matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let exp = digits(i);
        if exp == 0 || exp > max_exp {
            return None;
        }
        i += exp;
    }
    if i != b.len() {
        return None;
    }
    s.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// An unsigned integer of 1..=`max_digits` ASCII digits.
fn unsigned(s: &str, max_digits: usize) -> Option<u64> {
    let ok = !s.is_empty() && s.len() <= max_digits && s.bytes().all(|c| c.is_ascii_digit());
    if ok { s.parse().ok() } else { None }
}

fn digits_between(s: &str, min: usize, max: usize) -> bool {
    (min..=max).contains(&s.len()) && s.bytes().all(|c| c.is_ascii_digit())
}

fn optional_digits(
    fields_value: Option<&str>,
    field: &'static str,
    min: usize,
    max: usize,
) -> Result<Option<String>, AmlError> {
    match fields_value {
        None => Ok(None),
        Some(v) if digits_between(v, min, max) => Ok(Some(v.to_owned())),
        Some(_) => Err(AmlError::new(Some(field), AmlErrorKind::BadValue)),
    }
}

fn position(
    lat_field: &'static str,
    lat: f64,
    lon_field: &'static str,
    lon: f64,
) -> Result<Position, AmlError> {
    use crate::position::InvalidPosition;
    Position::from_lon_lat(lon, lat).map_err(|e| match e {
        InvalidPosition::Latitude => AmlError::new(Some(lat_field), AmlErrorKind::OutOfRange),
        InvalidPosition::Longitude => AmlError::new(Some(lon_field), AmlErrorKind::OutOfRange),
    })
}

/// A radius in [0, MAX_RADIUS_M]. `-0` is accepted and stored as `0.0`, so it formats without a sign.
fn radius(field: &'static str, v: f64) -> Result<f64, AmlError> {
    if (0.0..=MAX_RADIUS_M).contains(&v) {
        Ok(if v == 0.0 { 0.0 } else { v })
    } else {
        Err(AmlError::new(Some(field), AmlErrorKind::OutOfRange))
    }
}

/// The last millisecond of 9999-12-31 UTC: the latest instant a [`Timestamp`] can show as a calendar date.
const MAX_UNIX_MS: i64 = 253_402_300_799_999;

/// Unix milliseconds, 1..=15 digits, no later than 9999-12-31.
fn unix_ms(field: &'static str, s: &str) -> Result<Timestamp, AmlError> {
    let ms = unsigned(s, 15).ok_or(AmlError::new(Some(field), AmlErrorKind::BadDate))?;
    match i64::try_from(ms) {
        Ok(ms) if ms <= MAX_UNIX_MS => Ok(Timestamp(ms)),
        _ => Err(AmlError::new(Some(field), AmlErrorKind::BadDate)),
    }
}

fn trim_payload(raw: &str, max_len: usize) -> Result<&str, AmlError> {
    let text = raw.trim_matches(|c: char| c.is_ascii_whitespace());
    if text.is_empty() {
        return Err(AmlError::new(None, AmlErrorKind::Empty));
    }
    if text.len() > max_len {
        return Err(AmlError::new(None, AmlErrorKind::TooLong { max_len }));
    }
    Ok(text)
}

// ---------------------------------------------------------------------------------------------------------------
// SMS

const SMS_HEADER: &str = "A\"ML=";
const SMS_VERSION_FIELD: &str = "A\"ML";
const SMS_KEYS: [&str; 11] = [
    "lt", "lg", "rd", "top", "lc", "pm", "si", "ei", "mcc", "mnc", "ml",
];

/// Parses the SMS text form of AML (see the module docs for the accepted grammar).
///
/// ```
/// use siaga_core::aml::{parse_sms, PositioningMethod};
/// let sms = "A\"ML=1;lt=-6.17540;lg=+106.82710;rd=25;top=20261124101530;lc=68;pm=G;mcc=510;mnc=10;ml=89";
/// let fix = parse_sms(sms).unwrap();
/// assert_eq!((fix.position.lat(), fix.position.lon()), (-6.1754, 106.8271));
/// assert_eq!(fix.method, PositioningMethod::Gnss);
/// ```
pub fn parse_sms(raw: &str) -> Result<AmlFix, AmlError> {
    let text = trim_payload(raw, SMS_MAX_LEN)?;
    let body = text
        .strip_prefix(SMS_HEADER)
        .ok_or(AmlError::new(None, AmlErrorKind::NotAml))?;
    let mut segments = body.split(';');
    let version = segments.next().unwrap_or_default();
    let mut fields = Fields::new(&SMS_KEYS);
    for segment in segments {
        let (key, value) = segment
            .split_once('=')
            .ok_or(AmlError::new(None, AmlErrorKind::MalformedPair))?;
        if key.is_empty() {
            return Err(AmlError::new(None, AmlErrorKind::MalformedPair));
        }
        fields.insert(Cow::Borrowed(key), Cow::Borrowed(value))?;
    }
    if version != "1" {
        return Err(AmlError::new(
            Some(SMS_VERSION_FIELD),
            AmlErrorKind::UnknownVersion,
        ));
    }

    let lat = sms_coordinate(&fields, "lt", 2)?;
    let lon = sms_coordinate(&fields, "lg", 3)?;
    let pm = fields.require("pm")?;
    let method = match pm {
        "G" => Some(PositioningMethod::Gnss),
        "W" => Some(PositioningMethod::Wifi),
        "C" => Some(PositioningMethod::Cell),
        "F" => Some(PositioningMethod::Fused),
        "N" => None,
        _ => return Err(AmlError::new(Some("pm"), AmlErrorKind::BadValue)),
    };
    let rd = fields.require("rd")?;
    // `rd=N` is how a null-location message spells "no radius"; it is only legal together with `pm=N`.
    let radius_m = if method.is_none() && rd == "N" {
        0.0
    } else {
        let v = decimal(rd, 7, 3, 0, false)
            .ok_or(AmlError::new(Some("rd"), AmlErrorKind::BadNumber))?;
        radius("rd", v)?
    };
    let time = sms_time(fields.require("top")?)?;
    let lc = unsigned(fields.require("lc")?, 3)
        .ok_or(AmlError::new(Some("lc"), AmlErrorKind::BadNumber))?;
    let confidence_pct = u8::try_from(lc)
        .ok()
        .filter(|v| *v <= 100)
        .ok_or(AmlError::new(Some("lc"), AmlErrorKind::OutOfRange))?;
    let imsi = optional_digits(fields.get("si"), "si", 6, 15)?;
    let imei = optional_digits(fields.get("ei"), "ei", 14, 16)?;
    let mcc = optional_digits(fields.get("mcc"), "mcc", 3, 3)?;
    let mnc = optional_digits(fields.get("mnc"), "mnc", 2, 3)?;
    let declared = unsigned(fields.require("ml")?, 4)
        .ok_or(AmlError::new(Some("ml"), AmlErrorKind::BadNumber))?;
    let actual = text.len();
    if declared != actual as u64 {
        let declared = usize::try_from(declared).unwrap_or(usize::MAX);
        return Err(AmlError::new(
            Some("ml"),
            AmlErrorKind::LengthMismatch { declared, actual },
        ));
    }

    let Some(method) = method else {
        return Err(AmlError::new(Some("pm"), AmlErrorKind::NoLocation));
    };
    if lat == 0.0 && lon == 0.0 {
        return Err(AmlError::new(Some("lt"), AmlErrorKind::NoLocation));
    }
    Ok(AmlFix {
        transport: AmlTransport::Sms,
        version: SMS_VERSION,
        position: position("lt", lat, "lg", lon)?,
        radius_m,
        time,
        confidence_pct: Some(confidence_pct),
        method,
        imsi,
        imei,
        mcc,
        mnc,
        emergency_number: None,
        device_number: None,
        call_started_at: None,
    })
}

/// A fixed-point SMS coordinate: sign optional, at most `max_int` integer digits, 1..=10 decimals, no exponent.
fn sms_coordinate<const N: usize>(
    fields: &Fields<'_, N>,
    key: &'static str,
    max_int: usize,
) -> Result<f64, AmlError> {
    decimal(fields.require(key)?, max_int, 10, 0, true)
        .ok_or(AmlError::new(Some(key), AmlErrorKind::BadNumber))
}

/// `yyyyMMddHHmmss` in UTC.
fn sms_time(top: &str) -> Result<Timestamp, AmlError> {
    let bad = AmlError::new(Some("top"), AmlErrorKind::BadDate);
    if top.len() != 14 || !top.bytes().all(|c| c.is_ascii_digit()) {
        return Err(bad);
    }
    let (date, rest) = top.split_at(8);
    let date = LocalDate::parse_compact(date).ok_or(bad.clone())?;
    let two = |i: usize| rest.get(i..i + 2).and_then(|s| s.parse::<u8>().ok());
    let (h, m, s) = (
        two(0).ok_or(bad.clone())?,
        two(2).ok_or(bad.clone())?,
        two(4).ok_or(bad.clone())?,
    );
    // Same range as the HTTPS form's Unix milliseconds, so a fix never depends on which form carried it.
    Timestamp::from_utc(date, h, m, s, 0)
        .filter(|t| t.millis() >= 0)
        .ok_or(bad)
}

// ---------------------------------------------------------------------------------------------------------------
// HTTPS

const HTTPS_KEYS: [&str; 13] = [
    "v",
    "location_latitude",
    "location_longitude",
    "location_accuracy",
    "location_time",
    "location_confidence",
    "location_source",
    "emergency_number",
    "device_number",
    "device_imei",
    "device_imsi",
    "time",
    "source",
];

/// Parses the HTTPS (`application/x-www-form-urlencoded`) form of AML (see the module docs for the fields).
///
/// `+` decodes to a space and `%XX` to a byte, as in HTML forms. `source` (call or sms) is checked but not kept.
///
/// ```
/// use siaga_core::aml::parse_https;
/// let body = "v=3&emergency_number=112&location_latitude=-6.1754&location_longitude=106.8271\
///             &location_accuracy=12.5&location_time=1795515330123&location_source=gps\
///             &device_number=%2B6281234567890";
/// let fix = parse_https(body).unwrap();
/// assert_eq!(fix.radius_m, 12.5);
/// assert_eq!(fix.device_number.as_deref(), Some("+6281234567890"));
/// ```
pub fn parse_https(raw: &str) -> Result<AmlFix, AmlError> {
    let text = trim_payload(raw, HTTPS_MAX_LEN)?;
    let mut fields = Fields::new(&HTTPS_KEYS);
    for segment in text.split('&') {
        let (key, value) = segment
            .split_once('=')
            .ok_or(AmlError::new(None, AmlErrorKind::MalformedPair))?;
        let key = form_decode(key).ok_or(AmlError::new(None, AmlErrorKind::BadEncoding))?;
        if key.is_empty() {
            return Err(AmlError::new(None, AmlErrorKind::MalformedPair));
        }
        let field = HTTPS_KEYS.iter().copied().find(|k| *k == key);
        let value = form_decode(value).ok_or(AmlError::new(field, AmlErrorKind::BadEncoding))?;
        fields.insert(key, value)?;
    }

    let version = match fields.require("v")? {
        "1" => 1,
        "2" => 2,
        "3" => 3,
        _ => return Err(AmlError::new(Some("v"), AmlErrorKind::UnknownVersion)),
    };
    let lat = https_number(&fields, "location_latitude")?;
    let lon = https_number(&fields, "location_longitude")?;
    let radius_m = radius(
        "location_accuracy",
        https_number(&fields, "location_accuracy")?,
    )?;
    let time = unix_ms("location_time", fields.require("location_time")?)?;
    let confidence_pct = match fields.get("location_confidence") {
        None => None,
        Some(_) => {
            let v = https_number(&fields, "location_confidence")?;
            if !(0.0..=1.0).contains(&v) {
                return Err(AmlError::new(
                    Some("location_confidence"),
                    AmlErrorKind::OutOfRange,
                ));
            }
            // In [0, 100] after the check above, so the cast cannot truncate.
            Some((v * 100.0).round() as u8)
        }
    };
    let method = match fields.get("location_source") {
        None => PositioningMethod::Unknown,
        Some(s) => PositioningMethod::ALL
            .iter()
            .copied()
            .find(|m| m.https_source().eq_ignore_ascii_case(s))
            .ok_or(AmlError::new(
                Some("location_source"),
                AmlErrorKind::BadValue,
            ))?,
    };
    if let Some(s) = fields.get("source")
        && !(s.eq_ignore_ascii_case("call") || s.eq_ignore_ascii_case("sms"))
    {
        return Err(AmlError::new(Some("source"), AmlErrorKind::BadValue));
    }
    let emergency_number =
        optional_digits(fields.get("emergency_number"), "emergency_number", 2, 10)?;
    let device_number = match fields.get("device_number") {
        None => None,
        Some(n) if digits_between(n.strip_prefix('+').unwrap_or(n), 3, 20) => Some(n.to_owned()),
        Some(_) => return Err(AmlError::new(Some("device_number"), AmlErrorKind::BadValue)),
    };
    let imei = optional_digits(fields.get("device_imei"), "device_imei", 14, 16)?;
    let imsi = optional_digits(fields.get("device_imsi"), "device_imsi", 6, 15)?;
    let call_started_at = fields.get("time").map(|t| unix_ms("time", t)).transpose()?;

    if lat == 0.0 && lon == 0.0 {
        return Err(AmlError::new(
            Some("location_latitude"),
            AmlErrorKind::NoLocation,
        ));
    }
    Ok(AmlFix {
        transport: AmlTransport::Https,
        version,
        position: position("location_latitude", lat, "location_longitude", lon)?,
        radius_m,
        time,
        confidence_pct,
        method,
        imsi,
        imei,
        mcc: None,
        mnc: None,
        emergency_number,
        device_number,
        call_started_at,
    })
}

/// A decimal with an optional Java-style exponent, up to 30 integer and 30 fraction digits.
fn https_number<const N: usize>(
    fields: &Fields<'_, N>,
    key: &'static str,
) -> Result<f64, AmlError> {
    decimal(fields.require(key)?, 30, 30, 3, true)
        .ok_or(AmlError::new(Some(key), AmlErrorKind::BadNumber))
}

/// Decodes one form-urlencoded component. `None` for a bad `%` escape or a result that is not UTF-8.
fn form_decode(s: &str) -> Option<Cow<'_, str>> {
    if !s.bytes().any(|b| b == b'%' || b == b'+') {
        return Some(Cow::Borrowed(s));
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' => {
                let hi = hex_value(*b.get(i + 1)?)?;
                let lo = hex_value(*b.get(i + 2)?)?;
                out.push(hi << 4 | lo);
                i += 3;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok().map(Cow::Owned)
}

fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Percent-encodes everything but unreserved characters (RFC 3986), so `+` survives as `%2B`.
fn form_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------------------------
// Formatting (for simulators, tests and the fuzz corpus)

impl AmlFix {
    /// The SMS text form of this fix.
    ///
    /// Writes version 1, coordinates rounded to five decimals (about 1 m; the precision of real AML SMS), the
    /// radius rounded to three decimals, `top` truncated to whole seconds, `lc` (0 when unknown) and the optional
    /// keys that are present. `emergency_number`, `device_number` and `call_started_at` have no SMS key and are
    /// dropped. `ml` is computed so the length check passes. [`PositioningMethod::Unknown`] is written as `pm=N`,
    /// which [`parse_sms`] reads as [`AmlErrorKind::NoLocation`]: SMS has no letter for "unknown method".
    pub fn to_sms(&self) -> String {
        let (date, h, m, s, _) = self.time.to_utc_fields();
        let mut out = format!(
            "{SMS_HEADER}{SMS_VERSION};lt={:+.5};lg={:+.5};rd={};top={}{h:02}{m:02}{s:02};lc={};pm={}",
            self.position.lat(),
            self.position.lon(),
            sms_radius(self.radius_m),
            date.to_compact(),
            self.confidence_pct.unwrap_or(0),
            self.method.sms_code(),
        );
        for (key, value) in [
            ("si", &self.imsi),
            ("ei", &self.imei),
            ("mcc", &self.mcc),
            ("mnc", &self.mnc),
        ] {
            if let Some(v) = value {
                out.push_str(&format!(";{key}={v}"));
            }
        }
        out.push_str(";ml=");
        // `ml` counts its own digits: find the digit count d for which the total has exactly d digits.
        let base = out.len();
        let ml = (1..=5)
            .map(|d| base + d)
            .find(|total| total.to_string().len() == total - base)
            .unwrap_or(base);
        out.push_str(&ml.to_string());
        out
    }

    /// The HTTPS form-encoded body of this fix.
    ///
    /// Numbers use Rust's shortest exact decimal (exponent form below 1e-4 in magnitude), so every field this
    /// form carries survives [`parse_https`] unchanged. `mcc` and `mnc` have no key here and are dropped.
    pub fn to_https(&self) -> String {
        let mut out = format!(
            "v={}&location_latitude={}&location_longitude={}&location_accuracy={}&location_time={}\
             &location_source={}",
            self.version,
            https_float(self.position.lat()),
            https_float(self.position.lon()),
            https_float(self.radius_m),
            self.time.millis(),
            self.method.https_source(),
        );
        if let Some(pct) = self.confidence_pct {
            out.push_str(&format!("&location_confidence={}", f64::from(pct) / 100.0));
        }
        let optional = [
            ("emergency_number", &self.emergency_number),
            ("device_number", &self.device_number),
            ("device_imei", &self.imei),
            ("device_imsi", &self.imsi),
        ];
        for (key, value) in optional {
            if let Some(v) = value {
                out.push_str(&format!("&{key}={}", form_encode(v)));
            }
        }
        if let Some(t) = self.call_started_at {
            out.push_str(&format!("&time={}", t.millis()));
        }
        out
    }
}

/// At most three decimals, without trailing zeros: `25`, `20.5`, `0.125`.
fn sms_radius(v: f64) -> String {
    let s = format!("{v:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

fn https_float(v: f64) -> String {
    if v == 0.0 || v.abs() >= 1e-4 {
        format!("{v}")
    } else {
        format!("{v:e}")
    }
}

#[cfg(test)]
#[path = "aml_tests.rs"]
mod tests;
