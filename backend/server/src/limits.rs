//! How long outside text may be, declared once: each kind of text field of a request body (a short value, a
//! name, a phone number, a subcategory, an address, a note, a long text, an AML payload) is a [`Text`] of one
//! [`Kind`]. A kind whose bound is a domain rule takes it from `siaga-core` (the subcategory).
//!
//! * Deserialising refuses a longer (or, for a phone number, malformed) value, so `crate::json` answers 422
//!   `validation_failed` naming the field (`reporter.phone`) before any service runs.
//! * Its OpenAPI schema is a named component (`Note`, `PhoneNumber`, …) stating `maxLength` and `pattern`, so
//!   `docs/openapi.json`, schemathesis and the map client's generated types read the same numbers.
//!
//! Why: without a bound one request could store 900 KiB of description or a 10,000-character address, which
//! every event of the incident and every list then repeats (a 58 MiB incident list was measured). With these
//! bounds the largest incident, with every text at its maximum, is a few kilobytes; events keep the address
//! and description, bounded alike. Lengths count characters (Unicode scalar values), not bytes.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;
use std::ops::Deref;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};

/// A kind of text field: the name of its schema, its bound and any rule beyond the length.
pub trait Kind {
    /// The schema's name in the OpenAPI document.
    const NAME: &'static str;
    /// At most this many characters.
    const MAX_CHARS: usize;
    /// What the schema says about the kind.
    const DESCRIPTION: &'static str;
    /// The ECMA-262 pattern the schema states, when [`Kind::check`] has a rule beyond the length.
    const PATTERN: Option<&'static str> = None;

    /// The rule [`Kind::PATTERN`] states, as the server applies it; the message says what is wrong.
    fn check(_text: &str) -> Result<(), &'static str> {
        Ok(())
    }
}

/// Text of kind `K`: at most `K::MAX_CHARS` characters, following `K`'s rule. Built by deserialising outside
/// input (or by [`Text::parse`]); reads as a `&str`.
pub struct Text<K>(String, PhantomData<K>);

impl<K: Kind> Text<K> {
    /// `text` when it is within the bound and follows the rule; else why not.
    pub fn parse(text: String) -> Result<Text<K>, String> {
        let chars = text.chars().count();
        if chars > K::MAX_CHARS {
            return Err(format!(
                "at most {} characters (this is {chars})",
                K::MAX_CHARS
            ));
        }
        K::check(&text).map_err(str::to_owned)?;
        Ok(Text(text, PhantomData))
    }

    /// A value of the server's own, not checked: a stored record shown again (it was checked when it came
    /// in, and a bound changed since must not make old records unreadable), or built-in data such as the demo
    /// centre's users.
    pub fn trusted(text: String) -> Text<K> {
        Text(text, PhantomData)
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The text, owned.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl<K> Deref for Text<K> {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl<K> From<Text<K>> for String {
    fn from(t: Text<K>) -> String {
        t.0
    }
}

impl<K> Clone for Text<K> {
    fn clone(&self) -> Self {
        Text(self.0.clone(), PhantomData)
    }
}

impl<K> PartialEq for Text<K> {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}

/// Only the kind and the length: the text may be personal data (a reporter's name or phone).
impl<K: Kind> fmt::Debug for Text<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}({} chars)", K::NAME, self.0.chars().count())
    }
}

impl<K> Serialize for Text<K> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de, K: Kind> Deserialize<'de> for Text<K> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Text::parse(String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

impl<K: Kind> utoipa::PartialSchema for Text<K> {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .max_length(Some(K::MAX_CHARS))
            .pattern(K::PATTERN)
            .description(Some(K::DESCRIPTION))
            .into()
    }
}

impl<K: Kind> utoipa::ToSchema for Text<K> {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed(K::NAME)
    }
}

/// The kinds, named as their schemas are.
pub mod kind {
    use super::Kind;

    /// See [`super::ShortText`].
    pub enum ShortText {}
    impl Kind for ShortText {
        const NAME: &'static str = "ShortText";
        const MAX_CHARS: usize = 64;
        const DESCRIPTION: &'static str = "A short value: an id, code, call sign, username, region code, \
            time zone, local time or AUX reason; at most 64 characters.";
    }

    /// See [`super::Name`].
    pub enum Name {}
    impl Kind for Name {
        const NAME: &'static str = "Name";
        const MAX_CHARS: usize = 120;
        const DESCRIPTION: &'static str =
            "The name of a person or an agency; at most 120 characters.";
    }

    /// See [`super::PhoneNumber`].
    pub enum PhoneNumber {}
    impl Kind for PhoneNumber {
        const NAME: &'static str = "PhoneNumber";
        /// 20 digits, a `+` and 19 single separators.
        const MAX_CHARS: usize = 40;
        const DESCRIPTION: &'static str = "A phone number: 3 to 20 digits with an optional leading `+`, \
            single spaces or dashes allowed between digits (`112`, `0812-3456-7890`, `+62 812 3456 7890`).";
        const PATTERN: Option<&'static str> = Some(r"^\+?[0-9](?:[ -]?[0-9]){2,19}$");

        fn check(text: &str) -> Result<(), &'static str> {
            const RULE: &str = "a phone number is 3 to 20 digits with an optional leading `+`, \
                single spaces or dashes allowed between digits";
            let mut digits = 0;
            // A separator may only follow a digit, and the number must end with one.
            let mut after_digit = false;
            for c in text.strip_prefix('+').unwrap_or(text).chars() {
                match c {
                    '0'..='9' => {
                        digits += 1;
                        after_digit = true;
                    }
                    ' ' | '-' if after_digit => after_digit = false,
                    _ => return Err(RULE),
                }
            }
            if after_digit && (3..=20).contains(&digits) {
                Ok(())
            } else {
                Err(RULE)
            }
        }
    }

    /// See [`super::Subcategory`].
    pub enum Subcategory {}
    impl Kind for Subcategory {
        const NAME: &'static str = "Subcategory";
        const MAX_CHARS: usize = siaga_core::incident::Subcategory::MAX_CHARS;
        const DESCRIPTION: &'static str =
            "An incident's free-form subcategory (`tabrakan motor`); at most 100 characters.";
    }

    /// See [`super::Address`].
    pub enum Address {}
    impl Kind for Address {
        const NAME: &'static str = "Address";
        const MAX_CHARS: usize = 300;
        const DESCRIPTION: &'static str =
            "An address or a description of a place; at most 300 characters.";
    }

    /// See [`super::Note`].
    pub enum Note {}
    impl Kind for Note {
        const NAME: &'static str = "Note";
        const MAX_CHARS: usize = 500;
        const DESCRIPTION: &'static str = "A note or a reason; at most 500 characters.";
    }

    /// See [`super::TimelineNote`].
    pub enum TimelineNote {}
    impl Kind for TimelineNote {
        const NAME: &'static str = "TimelineNote";
        const MAX_CHARS: usize = 2000;
        const DESCRIPTION: &'static str = "A note in an incident's timeline (what the crew or a dispatcher learnt); at most 2000 characters.";
    }

    /// See [`super::LongText`].
    pub enum LongText {}
    impl Kind for LongText {
        const NAME: &'static str = "LongText";
        const MAX_CHARS: usize = 4000;
        const DESCRIPTION: &'static str =
            "A description, a call taker's notes or a final report; at most 4000 characters.";
    }

    /// See [`super::PushEndpoint`].
    pub enum PushEndpoint {}
    impl Kind for PushEndpoint {
        const NAME: &'static str = "PushEndpoint";
        const MAX_CHARS: usize = 2048;
        const DESCRIPTION: &'static str = "A Web Push subscription's endpoint URL, as the browser gave it; at most 2048 characters.";
    }

    /// See [`super::PushKey`].
    pub enum PushKey {}
    impl Kind for PushKey {
        const NAME: &'static str = "PushKey";
        /// The 65-byte P-256 point is 87 characters of base64url (88 padded).
        const MAX_CHARS: usize = 100;
        const DESCRIPTION: &'static str =
            "A Web Push subscription key (RFC 8291) in base64url; at most 100 characters.";
    }

    /// See [`super::AmlPayload`].
    pub enum AmlPayload {}
    impl Kind for AmlPayload {
        const NAME: &'static str = "AmlPayload";
        const MAX_CHARS: usize = 2000;
        const DESCRIPTION: &'static str = "A raw Advanced Mobile Location payload (the SMS `A\"ML=1;…` form \
            or the HTTPS key=value form); at most 2000 characters.";
    }
}

/// Ids, codes, call signs, usernames, region codes, time zones, local times, AUX reasons: 64 characters.
pub type ShortText = Text<kind::ShortText>;
/// A person's or an agency's name: 120 characters.
pub type Name = Text<kind::Name>;
/// A phone number a person typed: 3 to 20 digits, optional leading `+`, single spaces or dashes between.
pub type PhoneNumber = Text<kind::PhoneNumber>;
/// An incident's subcategory: the core's bound (`siaga_core::incident::Subcategory::MAX_CHARS`, 100).
pub type Subcategory = Text<kind::Subcategory>;
/// An address: 300 characters.
pub type Address = Text<kind::Address>;
/// A note or a reason: 500 characters.
pub type Note = Text<kind::Note>;
/// A note in an incident's timeline: 2000 characters.
pub type TimelineNote = Text<kind::TimelineNote>;
/// A description, call notes or a final report: 4000 characters.
pub type LongText = Text<kind::LongText>;
/// A raw AML payload: 2000 characters.
pub type AmlPayload = Text<kind::AmlPayload>;
/// A Web Push endpoint URL: 2048 characters.
pub type PushEndpoint = Text<kind::PushEndpoint>;
/// A Web Push subscription key (`p256dh`, `auth`), base64url: 100 characters.
pub type PushKey = Text<kind::PushKey>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_is_refused_past_its_bound_counting_characters() {
        assert!(Note::parse("é".repeat(500)).is_ok());
        let e = Note::parse("é".repeat(501)).unwrap_err();
        assert_eq!(e, "at most 500 characters (this is 501)");
        let e = crate::json::parse_json::<Vec<ShortText>>(
            format!(r#"["ok", "{}"]"#, "x".repeat(65)).as_bytes(),
        )
        .unwrap_err();
        assert_eq!(e.code, crate::error::ErrorCode::ValidationFailed);
        assert_eq!(e.field.as_deref(), Some("[1]"));
    }

    #[test]
    fn phone_numbers_follow_the_documented_rule() {
        let pattern = regex::Regex::new(kind::PhoneNumber::PATTERN.unwrap()).unwrap();
        let accepted = [
            "112",
            "110",
            "0812-3456-7890",
            "081234567890",
            "+6281234567890",
            "+62 812 3456 7890",
            "12345678901234567890",
        ];
        let refused = [
            "",
            "abc",
            "12",
            "+",
            "+12",
            "123456789012345678901",
            "0812--3456",
            "0812 -3456",
            " 112",
            "112 ",
            "-112",
            "112-",
            "++62812",
            "62+812",
            "0812.3456",
            "(0778) 462000",
            "١١٢",
        ];
        for s in accepted {
            assert!(PhoneNumber::parse(s.to_owned()).is_ok(), "{s:?} refused");
            assert!(pattern.is_match(s), "{s:?} does not match the pattern");
        }
        for s in refused {
            assert!(PhoneNumber::parse(s.to_owned()).is_err(), "{s:?} accepted");
            assert!(!pattern.is_match(s), "{s:?} matches the pattern");
        }
        // Every string of these characters up to 8 long: the rule and its documented pattern agree.
        let alphabet = ['1', ' ', '-', '+', 'x'];
        let mut words = vec![String::new()];
        for _ in 0..8 {
            let next: Vec<String> = words
                .iter()
                .flat_map(|w| alphabet.iter().map(move |c| format!("{w}{c}")))
                .collect();
            for w in &next {
                assert_eq!(
                    PhoneNumber::parse(w.clone()).is_ok(),
                    pattern.is_match(w),
                    "{w:?}"
                );
            }
            words = next;
        }
    }

    #[test]
    fn each_description_states_its_bound() {
        fn states<K: Kind>() {
            let bound = format!("at most {} characters", K::MAX_CHARS);
            assert!(K::DESCRIPTION.contains(&bound), "{}: {bound}", K::NAME);
        }
        states::<kind::ShortText>();
        states::<kind::Name>();
        states::<kind::Subcategory>();
        states::<kind::Address>();
        states::<kind::Note>();
        states::<kind::TimelineNote>();
        states::<kind::LongText>();
        states::<kind::AmlPayload>();
    }

    #[test]
    fn the_schema_states_the_bound_and_debug_hides_the_text() {
        let schema =
            serde_json::to_value(<PhoneNumber as utoipa::PartialSchema>::schema()).unwrap();
        assert_eq!(schema["type"], "string");
        assert_eq!(schema["maxLength"], 40);
        assert_eq!(schema["pattern"], kind::PhoneNumber::PATTERN.unwrap());
        let name = Name::parse("Sulastri".to_owned()).unwrap();
        assert_eq!(format!("{name:?}"), "Name(8 chars)");
    }
}
