//! Calls: how a request for help reaches the centre, what it turned out to be, and who made it.
//!
//! * [`Channel`] and [`CallClass`] are vocabularies.
//! * [`CallStatus`] is the call lifecycle: `ringing → answered → classified → ended`, and `ringing → abandoned`
//!   when the caller hangs up before anyone answers. [`CallStatus::on_hang_up`] picks the right end state.
//! * [`ServiceLineCode`] names the line that was dialled: a short dial code (`112`, `110`) or a configured
//!   name (`quitline`).
//! * [`Ani`] is a caller number normalised to E.164 (`+62812…`), so the same phone always has the same key.
//! * [`prank_flag`] decides, from earlier calls only, whether a number is flagged as a repeat prank caller.
//!
//! Invariant: an `Ani` or `ServiceLineCode` that exists is valid; both are built only by their parsers.
//! Error messages never echo a caller number (personal data).

use crate::error::ErrorCode;
use crate::time::{MS_PER_DAY, Timestamp};
use crate::transition::Lifecycle;
use crate::unit::string_enum;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

string_enum! {
    /// How the request reached the centre.
    Channel, UnknownChannel, "channel" {
        /// A phone call.
        Voice => "voice",
        /// A text message (including AML-only SMS that arrive without a call).
        Sms => "sms",
        /// A message through a social-media account of the centre.
        SocialMedia => "social_media",
        /// The public web form or app.
        Web => "web",
    }
}

string_enum! {
    /// What the call turned out to be, decided by the call taker (or automatically for `abandoned`).
    CallClass, UnknownCallClass, "call class" {
        /// Someone needs help: an incident follows.
        Emergency => "emergency",
        /// A question (phone numbers, hospital hours, road closures); no incident.
        Information => "information",
        /// A deliberate false report or abuse. Counts towards [`prank_flag`].
        Prank => "prank",
        /// Answered but silent: pocket dials, children, lines that open and say nothing.
        Ghost => "ghost",
        /// The caller meant another number.
        WrongNumber => "wrong_number",
        /// The caller hung up before the call was answered. Set by the system, never by a call taker.
        Abandoned => "abandoned",
        /// The start-of-shift test call the 112 overview asks for: proves the line and the desk work. Leads to
        /// no incident and no call-back, and is left out of every KPI and report ([`CallClass::counts_in_kpis`]).
        Test => "test",
    }
}

impl CallClass {
    /// Whether a call of this class leads to an incident.
    pub fn creates_incident(self) -> bool {
        matches!(self, CallClass::Emergency)
    }

    /// Whether a call of this class counts in the KPIs and reports: every class but [`CallClass::Test`] (a
    /// test call is the centre checking itself, not demand).
    pub fn counts_in_kpis(self) -> bool {
        self != CallClass::Test
    }
}

string_enum! {
    /// Where a call is in its lifecycle. See [`CallStatus::allowed_next`].
    CallStatus, UnknownCallStatus, "call status" {
        /// Offered to call takers, not yet picked up.
        Ringing => "ringing",
        /// A call taker is talking to the caller.
        Answered => "answered",
        /// The call taker has set a [`CallClass`]; the line may still be open.
        Classified => "classified",
        /// Finished after being answered. Final.
        Ended => "ended",
        /// The caller hung up while it was ringing. Final; its class is [`CallClass::Abandoned`].
        Abandoned => "abandoned",
    }
}

impl Lifecycle for CallStatus {
    /// * `ringing → answered | abandoned`
    /// * `answered → classified | ended` (ended unclassified when the line drops mid-call)
    /// * `classified → ended`
    /// * `ended`, `abandoned`: final
    fn allowed_next(self) -> &'static [CallStatus] {
        use CallStatus::*;
        match self {
            Ringing => &[Answered, Abandoned],
            Answered => &[Classified, Ended],
            Classified => &[Ended],
            Ended | Abandoned => &[],
        }
    }
}

impl CallStatus {
    /// Where a hang-up leads: `abandoned` if nobody had answered, `ended` otherwise. Returns `None` for a call
    /// that is already over (a second hang-up signal is a no-op, not an error).
    pub fn on_hang_up(self) -> Option<CallStatus> {
        match self {
            CallStatus::Ringing => Some(CallStatus::Abandoned),
            CallStatus::Answered | CallStatus::Classified => Some(CallStatus::Ended),
            CallStatus::Ended | CallStatus::Abandoned => None,
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------

/// The line a call came in on: a short dial code of 3..=6 digits (`112`, `110`, `119`) or a configured name of
/// 2..=32 characters `[a-z][a-z0-9_]*` (`quitline`, `psc_119`).
///
/// Serialised as the plain string; deserialising validates.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String, example = "112")]
pub struct ServiceLineCode(String);

/// The text is not a valid service line code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("service line must be 3 to 6 digits or a name of 2 to 32 characters [a-z][a-z0-9_]*")]
pub struct InvalidServiceLine;

impl InvalidServiceLine {
    /// Always [`ErrorCode::ValidationFailed`]: a refused value.
    pub fn code(&self) -> ErrorCode {
        ErrorCode::ValidationFailed
    }
}

impl ServiceLineCode {
    /// The national emergency number, 112.
    pub fn emergency() -> ServiceLineCode {
        ServiceLineCode("112".to_owned())
    }

    /// Validates `s` (no trimming, no case folding: `Quitline` is rejected so one line has one spelling).
    pub fn parse(s: &str) -> Result<ServiceLineCode, InvalidServiceLine> {
        let b = s.as_bytes();
        let dial_code = (3..=6).contains(&b.len()) && b.iter().all(u8::is_ascii_digit);
        let name = (2..=32).contains(&b.len())
            && b[0].is_ascii_lowercase()
            && b.iter()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'_');
        if dial_code || name {
            Ok(ServiceLineCode(s.to_owned()))
        } else {
            Err(InvalidServiceLine)
        }
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is a dial code (digits) rather than a configured name.
    pub fn is_dial_code(&self) -> bool {
        self.0.bytes().all(|c| c.is_ascii_digit())
    }
}

impl FromStr for ServiceLineCode {
    type Err = InvalidServiceLine;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ServiceLineCode::parse(s)
    }
}

impl TryFrom<String> for ServiceLineCode {
    type Error = InvalidServiceLine;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        ServiceLineCode::parse(&s)
    }
}

impl From<ServiceLineCode> for String {
    fn from(c: ServiceLineCode) -> String {
        c.0
    }
}

impl fmt::Display for ServiceLineCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

// ---------------------------------------------------------------------------------------------------------------

/// A caller number (Automatic Number Identification) in E.164 form: `+` then 8..=15 digits, no leading zero.
///
/// Built only by [`Ani::parse`]. Serialised as the plain string; deserialising validates (and normalises).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String, example = "+6281234567890")]
pub struct Ani(String);

/// Why a caller number could not be normalised. Never carries the number itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum InvalidAni {
    /// Nothing but separators: a withheld or missing caller id.
    #[error("caller number is empty")]
    Empty,
    /// A character that is neither a digit, a leading `+`, nor a separator (space, `-`, `.`, `(`, `)`).
    #[error("caller number has an invalid character at byte {at}")]
    InvalidCharacter {
        /// Byte offset of the character in the input.
        at: usize,
    },
    /// The digits do not form a number of a known shape (wrong length, or a prefix that cannot start one).
    #[error("caller number has {digits} digits, which is not a valid length for its prefix")]
    BadLength {
        /// The number of digits after removing separators and prefixes.
        digits: usize,
    },
    /// A country or trunk prefix that cannot be right (`+0…`, `+620…`, `00` without a country).
    #[error("caller number has an invalid prefix")]
    BadPrefix,
}

impl InvalidAni {
    /// Always [`ErrorCode::ValidationFailed`]: a refused value.
    pub fn code(&self) -> ErrorCode {
        ErrorCode::ValidationFailed
    }
}

/// Digits allowed after `+62` in an Indonesian number: fixed lines are area code + 5..=8 digits (8..=11 in
/// all), mobiles `8xx` + 6..=9 digits (9..=12).
const ID_NSN_DIGITS: std::ops::RangeInclusive<usize> = 8..=12;

impl Ani {
    /// Normalises a caller number to E.164.
    ///
    /// Separators (space, `-`, `.`, `(`, `)`) are removed, then:
    ///
    /// | input               | result            | rule                                              |
    /// |---------------------|-------------------|---------------------------------------------------|
    /// | `0812-3456-7890`    | `+6281234567890`  | national: trunk `0` becomes `+62`                 |
    /// | `6281234567890`     | `+6281234567890`  | country code without `+`                          |
    /// | `006281234567890`   | `+6281234567890`  | international prefix `00`                         |
    /// | `+62 21 3456 7890`  | `+622134567890`   | already E.164                                     |
    /// | `81234567890`       | `+6281234567890`  | mobile without trunk `0` (9..=12 digits, leading 8)|
    /// | `+6591234567`       | `+6591234567`     | foreign (roaming) numbers are kept as sent         |
    ///
    /// For `+62` the national part must have 8..=12 digits and not start with `0`. Any E.164 number has at most
    /// 15 digits.
    pub fn parse(raw: &str) -> Result<Ani, InvalidAni> {
        let mut digits = String::with_capacity(raw.len());
        let mut plus = false;
        for (at, c) in raw.char_indices() {
            match c {
                '0'..='9' => digits.push(c),
                '+' if !plus && digits.is_empty() => plus = true,
                ' ' | '-' | '.' | '(' | ')' => {}
                _ => return Err(InvalidAni::InvalidCharacter { at }),
            }
        }
        if digits.is_empty() {
            return Err(if plus {
                InvalidAni::BadPrefix
            } else {
                InvalidAni::Empty
            });
        }
        let international = if plus {
            digits
        } else if let Some(rest) = digits.strip_prefix("00") {
            rest.to_owned()
        } else if let Some(rest) = digits.strip_prefix('0') {
            format!("62{rest}")
        } else if digits.starts_with("62") {
            digits
        } else if digits.starts_with('8') && (9..=12).contains(&digits.len()) {
            format!("62{digits}")
        } else {
            return Err(InvalidAni::BadLength {
                digits: digits.len(),
            });
        };
        if international.is_empty() || international.starts_with('0') {
            return Err(InvalidAni::BadPrefix);
        }
        if let Some(national) = international.strip_prefix("62") {
            if national.starts_with('0') {
                return Err(InvalidAni::BadPrefix);
            }
            if !ID_NSN_DIGITS.contains(&national.len()) {
                return Err(InvalidAni::BadLength {
                    digits: national.len(),
                });
            }
        } else if !(8..=15).contains(&international.len()) {
            return Err(InvalidAni::BadLength {
                digits: international.len(),
            });
        }
        Ok(Ani(format!("+{international}")))
    }

    /// The E.164 form, `+62…`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the number is Indonesian (`+62`).
    pub fn is_indonesian(&self) -> bool {
        self.0.starts_with("+62")
    }

    /// The number with all but the last three digits masked (`+62*********890`), for screens and logs that
    /// must not show personal data in full.
    pub fn masked(&self) -> String {
        let n = self.0.len();
        self.0
            .char_indices()
            .map(|(i, c)| if i == 0 || i + 3 >= n { c } else { '*' })
            .collect()
    }
}

impl fmt::Debug for Ani {
    /// Masked, so a stray `{:?}` in a log line does not leak the number.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Ani({})", self.masked())
    }
}

impl fmt::Display for Ani {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Ani {
    type Err = InvalidAni;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ani::parse(s)
    }
}

impl TryFrom<String> for Ani {
    type Error = InvalidAni;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Ani::parse(&s)
    }
}

impl From<Ani> for String {
    fn from(a: Ani) -> String {
        a.0
    }
}

// ---------------------------------------------------------------------------------------------------------------

/// When a caller number is flagged as a repeat prank caller. Deserialisable so the server can read it from
/// its configuration file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrankRule {
    /// Earlier calls classified [`CallClass::Prank`] needed to flag the number (at least 1).
    pub threshold: u32,
    /// How far back to count, in milliseconds.
    pub window_ms: i64,
}

impl Default for PrankRule {
    /// Three prank calls within 30 days. One prank is often a child; three in a month is a pattern worth
    /// showing the call taker, while a month lets a reformed number clear itself.
    fn default() -> Self {
        PrankRule {
            threshold: 3,
            window_ms: 30 * MS_PER_DAY,
        }
    }
}

/// One earlier call from the history the caller passes to [`prank_flag`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriorCall<'a> {
    /// Who called.
    pub ani: &'a Ani,
    /// When the call started.
    pub at: Timestamp,
    /// Its class, if it has been classified.
    pub class: Option<CallClass>,
}

/// The outcome of [`prank_flag`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PrankVerdict {
    /// Whether the number is flagged.
    pub flagged: bool,
    /// How many earlier prank calls from the number fell inside the window.
    pub pranks_in_window: u32,
}

/// Whether `ani`, calling at `now`, is a repeat prank caller under `rule`.
///
/// Counts the calls in `history` from `ani`, classified [`CallClass::Prank`], that started in the window
/// `[now - window_ms, now)`: the window's start is inclusive, and calls at or after `now` (including the current
/// one) are ignored, so a flag never depends on what is being decided. Flags when the count reaches
/// `threshold` (a threshold of 0 behaves as 1). The history may be in any order and contain other numbers.
pub fn prank_flag<'a>(
    ani: &Ani,
    now: Timestamp,
    history: impl IntoIterator<Item = PriorCall<'a>>,
    rule: PrankRule,
) -> PrankVerdict {
    let count = history
        .into_iter()
        .filter(|c| counts_as_prank(ani, now, c, rule))
        .count();
    let pranks_in_window = u32::try_from(count).unwrap_or(u32::MAX);
    PrankVerdict {
        flagged: pranks_in_window >= rule.threshold.max(1),
        pranks_in_window,
    }
}

/// Whether [`prank_flag`] counts `call` for `ani` at `now`: a prank call from `ani` in `[now - window_ms, now)`.
/// Filtering a history with it lists the calls that make (or would make) the flag: the reason shown to a call
/// taker.
pub fn counts_as_prank(ani: &Ani, now: Timestamp, call: &PriorCall<'_>, rule: PrankRule) -> bool {
    let from = now.plus_millis(-rule.window_ms.max(0));
    call.ani == ani && call.class == Some(CallClass::Prank) && call.at >= from && call.at < now
}

/// Why a call's AML fix may no longer change, if it may not: once a call taker classified the call, or it was
/// linked to an incident, the fix is part of the record (what the call taker saw and what was dispatched on),
/// and a later payload must not overwrite it.
pub fn aml_fix_frozen(classified: bool, linked_to_incident: bool) -> Option<&'static str> {
    if linked_to_incident {
        Some("the call is linked to an incident; its AML fix is part of the record")
    } else if classified {
        Some("the call has been classified; its AML fix is part of the record")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transition::testing::check_lifecycle;
    use proptest::prelude::*;

    #[test]
    fn call_lifecycle_is_consistent() {
        check_lifecycle(CallStatus::ALL, CallStatus::Ringing);
    }

    #[test]
    fn hang_up_before_answer_abandons_the_call() {
        assert_eq!(
            CallStatus::Ringing.on_hang_up(),
            Some(CallStatus::Abandoned)
        );
        assert_eq!(CallStatus::Answered.on_hang_up(), Some(CallStatus::Ended));
        assert_eq!(CallStatus::Classified.on_hang_up(), Some(CallStatus::Ended));
        assert_eq!(CallStatus::Ended.on_hang_up(), None);
        for s in CallStatus::ALL {
            if let Some(next) = s.on_hang_up() {
                assert_eq!(
                    s.transition(next),
                    Ok(next),
                    "hang-up edge from {s} must be in the table"
                );
            }
        }
    }

    #[test]
    fn ringing_call_cannot_be_classified() {
        let e = CallStatus::Ringing
            .transition(CallStatus::Classified)
            .unwrap_err();
        assert_eq!(e.allowed, vec![CallStatus::Answered, CallStatus::Abandoned]);
        assert_eq!(
            e.to_string(),
            "cannot move from `ringing` to `classified`; allowed: answered, abandoned"
        );
        assert_eq!(e.code(), ErrorCode::InvalidTransition);
        let e = CallStatus::Ended
            .transition(CallStatus::Answered)
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "cannot move from `ended` to `answered`; `ended` is final"
        );
    }

    #[test]
    fn only_emergencies_create_incidents() {
        let creating: Vec<_> = CallClass::ALL
            .iter()
            .filter(|c| c.creates_incident())
            .collect();
        assert_eq!(creating, [&CallClass::Emergency]);
        let uncounted: Vec<_> = CallClass::ALL
            .iter()
            .filter(|c| !c.counts_in_kpis())
            .collect();
        assert_eq!(uncounted, [&CallClass::Test]);
    }

    #[test]
    fn service_lines_accept_dial_codes_and_names() {
        for ok in ["112", "110", "119", "129", "quitline", "psc_119", "ab"] {
            let code = ServiceLineCode::parse(ok).unwrap();
            assert_eq!(code.as_str(), ok);
        }
        assert!(ServiceLineCode::emergency().is_dial_code());
        assert!(!ServiceLineCode::parse("quitline").unwrap().is_dial_code());
        for bad in [
            "",
            "11",
            "1121234",
            "Quitline",
            "quit line",
            "_quit",
            "9lives",
            "q",
            "x".repeat(33).as_str(),
        ] {
            assert_eq!(
                ServiceLineCode::parse(bad),
                Err(InvalidServiceLine),
                "{bad}"
            );
        }
        assert!(serde_json::from_str::<ServiceLineCode>("\"QUIT\"").is_err());
        assert_eq!(
            serde_json::to_string(&ServiceLineCode::emergency()).unwrap(),
            "\"112\""
        );
    }

    #[test]
    fn indonesian_numbers_normalise_to_e164() {
        let cases = [
            ("0812-3456-7890", "+6281234567890"),
            ("081234567890", "+6281234567890"),
            ("6281234567890", "+6281234567890"),
            ("+6281234567890", "+6281234567890"),
            ("006281234567890", "+6281234567890"),
            ("(021) 3456.7890", "+622134567890"),
            ("+62 21 3456 7890", "+622134567890"),
            ("81234567890", "+6281234567890"),
            ("0361 222 333", "+62361222333"),
            ("+65 9123 4567", "+6591234567"),
        ];
        for (raw, want) in cases {
            let ani = Ani::parse(raw).unwrap_or_else(|e| panic!("{raw}: {e}"));
            assert_eq!(ani.as_str(), want, "{raw}");
        }
        assert!(Ani::parse("0812 3456 7890").unwrap().is_indonesian());
        assert!(!Ani::parse("+6591234567").unwrap().is_indonesian());
    }

    #[test]
    fn garbage_numbers_are_rejected_with_a_reason() {
        assert_eq!(Ani::parse(""), Err(InvalidAni::Empty));
        assert_eq!(Ani::parse(" - "), Err(InvalidAni::Empty));
        assert_eq!(
            Ani::parse("anonymous"),
            Err(InvalidAni::InvalidCharacter { at: 0 })
        );
        assert_eq!(
            Ani::parse("0812#345"),
            Err(InvalidAni::InvalidCharacter { at: 4 })
        );
        assert_eq!(
            Ani::parse("08+12345678"),
            Err(InvalidAni::InvalidCharacter { at: 2 })
        );
        assert_eq!(Ani::parse("112"), Err(InvalidAni::BadLength { digits: 3 }));
        assert_eq!(
            Ani::parse("0812345"),
            Err(InvalidAni::BadLength { digits: 6 })
        );
        assert_eq!(
            Ani::parse("+62812345678901234"),
            Err(InvalidAni::BadLength { digits: 15 })
        );
        assert_eq!(Ani::parse("+620812345678"), Err(InvalidAni::BadPrefix));
        assert_eq!(Ani::parse("000812345678"), Err(InvalidAni::BadPrefix));
        assert_eq!(Ani::parse("+"), Err(InvalidAni::BadPrefix));
        assert_eq!(
            Ani::parse("+1234567"),
            Err(InvalidAni::BadLength { digits: 7 })
        );
        // Error messages never contain the number.
        assert!(
            !Ani::parse("0812#345")
                .unwrap_err()
                .to_string()
                .contains("0812")
        );
    }

    #[test]
    fn debug_output_masks_the_number() {
        let ani = Ani::parse("081234567890").unwrap();
        assert_eq!(ani.masked(), "+**********890");
        assert_eq!(format!("{ani:?}"), "Ani(+**********890)");
    }

    fn call(ani: &Ani, at: i64, class: Option<CallClass>) -> PriorCall<'_> {
        PriorCall {
            ani,
            at: Timestamp(at),
            class,
        }
    }

    #[test]
    fn third_prank_within_window_flags_the_number() {
        let rule = PrankRule {
            threshold: 3,
            window_ms: 1_000,
        };
        let me = Ani::parse("081234567890").unwrap();
        let other = Ani::parse("081298765432").unwrap();
        let now = Timestamp(10_000);
        let history = [
            call(&me, 9_000, Some(CallClass::Prank)), // window start: inclusive
            call(&me, 8_999, Some(CallClass::Prank)), // just outside
            call(&me, 9_500, Some(CallClass::Prank)),
            call(&me, 9_600, Some(CallClass::Emergency)),
            call(&me, 9_700, None),
            call(&other, 9_800, Some(CallClass::Prank)),
            call(&me, 10_000, Some(CallClass::Prank)), // the current call: ignored
        ];
        let v = prank_flag(&me, now, history.clone(), rule);
        assert_eq!(
            v,
            PrankVerdict {
                flagged: false,
                pranks_in_window: 2
            }
        );
        let mut more = history.to_vec();
        more.push(call(&me, 9_999, Some(CallClass::Prank)));
        assert_eq!(
            prank_flag(&me, now, more, rule),
            PrankVerdict {
                flagged: true,
                pranks_in_window: 3
            }
        );
    }

    #[test]
    fn default_prank_rule_is_three_in_thirty_days() {
        assert_eq!(
            PrankRule::default(),
            PrankRule {
                threshold: 3,
                window_ms: 2_592_000_000
            }
        );
        let rule: PrankRule =
            serde_json::from_str(r#"{"threshold":2,"window_ms":86400000}"#).unwrap();
        assert_eq!(rule.threshold, 2);
        assert!(
            serde_json::from_str::<PrankRule>(r#"{"threshold":2,"window_ms":1,"x":1}"#).is_err()
        );
    }

    proptest! {
        #[test]
        fn ani_parse_is_total_and_idempotent(s in "[0-9 +()\\-.a]{0,24}") {
            if let Ok(ani) = Ani::parse(&s) {
                prop_assert_eq!(Ani::parse(ani.as_str()), Ok(ani.clone()));
                let digits = ani.as_str().len() - 1;
                prop_assert!((8..=15).contains(&digits));
            }
        }

        #[test]
        fn national_and_international_spellings_agree(nsn in "8[1-9][0-9]{7,10}") {
            let a = Ani::parse(&format!("0{nsn}")).unwrap();
            prop_assert_eq!(Ani::parse(&format!("62{nsn}")), Ok(a.clone()));
            prop_assert_eq!(Ani::parse(&format!("+62{nsn}")), Ok(a.clone()));
            prop_assert_eq!(Ani::parse(&format!("0062{nsn}")), Ok(a));
        }
    }
}
