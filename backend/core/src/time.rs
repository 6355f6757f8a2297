//! Time as plain data. The core never reads a clock; callers pass `now`.
//!
//! This module also owns the calendar arithmetic the core needs (UTC civil dates for AML timestamps, local dates
//! for incident numbers). Indonesia has observed no daylight saving time since 1964, so a local date is fully
//! described by a fixed UTC offset: WIB (+07:00), WITA (+08:00) or WIT (+09:00). No time-zone database is needed.
//!
//! Invariant: every function here is total. Out-of-range inputs saturate or return `None`; nothing panics.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Milliseconds in one second.
pub const MS_PER_SECOND: i64 = 1_000;
/// Milliseconds in one minute.
pub const MS_PER_MINUTE: i64 = 60 * MS_PER_SECOND;
/// Milliseconds in one hour.
pub const MS_PER_HOUR: i64 = 60 * MS_PER_MINUTE;
/// Milliseconds in one day (no leap seconds: the Unix time scale).
pub const MS_PER_DAY: i64 = 24 * MS_PER_HOUR;

/// UTC offset of WIB (Waktu Indonesia Barat, Sumatra, Java, West and Central Kalimantan), in minutes.
pub const WIB_OFFSET_MINUTES: i32 = 7 * 60;
/// UTC offset of WITA (Waktu Indonesia Tengah, Bali, Nusa Tenggara, Sulawesi, East Kalimantan), in minutes.
pub const WITA_OFFSET_MINUTES: i32 = 8 * 60;
/// UTC offset of WIT (Waktu Indonesia Timur, Maluku, Papua), in minutes.
pub const WIT_OFFSET_MINUTES: i32 = 9 * 60;

/// An instant as milliseconds since the Unix epoch (UTC).
///
/// Stored as `BIGINT` in both database engines, so no time arithmetic ever happens in SQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// Milliseconds since the Unix epoch.
    pub fn millis(self) -> i64 {
        self.0
    }

    /// This instant plus `ms` milliseconds (saturating).
    pub fn plus_millis(self, ms: i64) -> Timestamp {
        Timestamp(self.0.saturating_add(ms))
    }

    /// Milliseconds from `earlier` to `self` (negative when `earlier` is later).
    pub fn millis_since(self, earlier: Timestamp) -> i64 {
        self.0.saturating_sub(earlier.0)
    }

    /// The instant at `hour:minute:second.millis` UTC on `date`.
    ///
    /// Returns `None` when a field is out of range (hour > 23, minute > 59, second > 59, millis > 999). Leap
    /// seconds (`second == 60`) are rejected: Unix time has no slot for them.
    pub fn from_utc(
        date: LocalDate,
        hour: u8,
        minute: u8,
        second: u8,
        millis: u16,
    ) -> Option<Timestamp> {
        if hour > 23 || minute > 59 || second > 59 || millis > 999 {
            return None;
        }
        let ms = date.days_since_epoch() * MS_PER_DAY
            + i64::from(hour) * MS_PER_HOUR
            + i64::from(minute) * MS_PER_MINUTE
            + i64::from(second) * MS_PER_SECOND
            + i64::from(millis);
        Some(Timestamp(ms))
    }

    /// The UTC calendar fields of this instant: `(date, hour, minute, second, millis)`.
    ///
    /// Instants outside the years 1..=9999 are clamped to the first or last millisecond of that range.
    pub fn to_utc_fields(self) -> (LocalDate, u8, u8, u8, u16) {
        let ms = self.0.clamp(LocalDate::MIN_MS, LocalDate::MAX_MS);
        let days = ms.div_euclid(MS_PER_DAY);
        let in_day = ms.rem_euclid(MS_PER_DAY);
        let date = LocalDate::from_days_since_epoch_clamped(days);
        // All four values are bounded by the rem_euclid above, so the narrowing casts cannot truncate.
        let hour = (in_day / MS_PER_HOUR) as u8;
        let minute = ((in_day % MS_PER_HOUR) / MS_PER_MINUTE) as u8;
        let second = ((in_day % MS_PER_MINUTE) / MS_PER_SECOND) as u8;
        let millis = (in_day % MS_PER_SECOND) as u16;
        (date, hour, minute, second, millis)
    }
}

/// A proleptic Gregorian calendar date with a year in 1..=9999.
///
/// "Local" because it is usually the date on a wall clock at a fixed UTC offset (see
/// [`LocalDate::of_timestamp`]); with offset 0 it is the UTC date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LocalDate {
    year: u16,
    month: u8,
    day: u8,
}

impl LocalDate {
    /// First millisecond of 0001-01-01 UTC.
    const MIN_MS: i64 = -62_135_596_800_000;
    /// Last millisecond of 9999-12-31 UTC.
    const MAX_MS: i64 = 253_402_300_799_999;

    /// The date `year-month-day`, or `None` if it does not exist (month 13, 30 February, year 0, year 10000).
    pub fn new(year: u16, month: u8, day: u8) -> Option<LocalDate> {
        if !(1..=9999).contains(&year) || !(1..=12).contains(&month) || day == 0 {
            return None;
        }
        (day <= days_in_month(year, month)).then_some(LocalDate { year, month, day })
    }

    /// The year (1..=9999).
    pub fn year(self) -> u16 {
        self.year
    }

    /// The month (1..=12).
    pub fn month(self) -> u8 {
        self.month
    }

    /// The day of the month (1..=31).
    pub fn day(self) -> u8 {
        self.day
    }

    /// Days from 1970-01-01 to this date (negative before 1970).
    pub fn days_since_epoch(self) -> i64 {
        // Howard Hinnant's `days_from_civil`, on i64 so no intermediate can overflow for years 1..=9999.
        let m = i64::from(self.month);
        let y = i64::from(self.year) - i64::from(m <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let mp = (m + 9) % 12;
        let doy = (153 * mp + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// The date `days` after 1970-01-01, clamped to 0001-01-01..=9999-12-31.
    fn from_days_since_epoch_clamped(days: i64) -> LocalDate {
        let days = days.clamp(-719_162, 2_932_896);
        // Howard Hinnant's `civil_from_days`.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        // The clamp above keeps year in 1..=9999, month in 1..=12 and day in 1..=31.
        LocalDate {
            year: year as u16,
            month: month as u8,
            day: day as u8,
        }
    }

    /// The wall-clock date at `ts` in a zone `utc_offset_minutes` east of UTC (420 for WIB).
    ///
    /// Saturates to 0001-01-01 or 9999-12-31 for instants outside that range.
    pub fn of_timestamp(ts: Timestamp, utc_offset_minutes: i32) -> LocalDate {
        let local = ts.plus_millis(i64::from(utc_offset_minutes) * MS_PER_MINUTE);
        local.to_utc_fields().0
    }

    /// The instant of local midnight at the start of this date, in a zone `utc_offset_minutes` east of UTC.
    pub fn start_timestamp(self, utc_offset_minutes: i32) -> Timestamp {
        Timestamp(self.days_since_epoch() * MS_PER_DAY)
            .plus_millis(-i64::from(utc_offset_minutes) * MS_PER_MINUTE)
    }

    /// The date as eight digits, `yyyymmdd` (the form used in incident numbers).
    pub fn to_compact(self) -> String {
        format!("{:04}{:02}{:02}", self.year, self.month, self.day)
    }

    /// Parses exactly eight ASCII digits `yyyymmdd` into a date that exists.
    pub fn parse_compact(s: &str) -> Option<LocalDate> {
        let b = s.as_bytes();
        if b.len() != 8 || !b.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let num = |r: std::ops::Range<usize>| {
            b[r].iter()
                .fold(0u16, |acc, d| acc * 10 + u16::from(d - b'0'))
        };
        LocalDate::new(
            num(0..4),
            u8::try_from(num(4..6)).ok()?,
            u8::try_from(num(6..8)).ok()?,
        )
    }
}

impl fmt::Display for LocalDate {
    /// ISO 8601, `yyyy-mm-dd`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

fn is_leap(year: u16) -> bool {
    (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn epoch_and_known_instants_convert_both_ways() {
        let epoch = LocalDate::new(1970, 1, 1).unwrap();
        assert_eq!(Timestamp::from_utc(epoch, 0, 0, 0, 0), Some(Timestamp(0)));
        // 2026-11-24T10:15:30Z, checked against `date -u -d @1795515330`.
        let d = LocalDate::new(2026, 11, 24).unwrap();
        let ts = Timestamp::from_utc(d, 10, 15, 30, 0).unwrap();
        assert_eq!(ts, Timestamp(1_795_515_330_000));
        assert_eq!(ts.to_utc_fields(), (d, 10, 15, 30, 0));
    }

    #[test]
    fn impossible_dates_and_times_are_rejected() {
        assert!(LocalDate::new(2025, 2, 29).is_none());
        assert!(LocalDate::new(2024, 2, 29).is_some());
        assert!(LocalDate::new(1900, 2, 29).is_none());
        assert!(LocalDate::new(2000, 2, 29).is_some());
        assert!(LocalDate::new(2026, 4, 31).is_none());
        assert!(LocalDate::new(2026, 13, 1).is_none());
        assert!(LocalDate::new(0, 1, 1).is_none());
        let d = LocalDate::new(2026, 1, 1).unwrap();
        assert!(Timestamp::from_utc(d, 24, 0, 0, 0).is_none());
        assert!(Timestamp::from_utc(d, 23, 59, 60, 0).is_none());
    }

    #[test]
    fn local_date_uses_the_wall_clock_of_the_offset() {
        // 2026-11-23T17:30:00Z is already 00:30 on the 24th in Jakarta (WIB).
        let ts = Timestamp::from_utc(LocalDate::new(2026, 11, 23).unwrap(), 17, 30, 0, 0).unwrap();
        assert_eq!(LocalDate::of_timestamp(ts, 0).to_compact(), "20261123");
        assert_eq!(
            LocalDate::of_timestamp(ts, WIB_OFFSET_MINUTES).to_compact(),
            "20261124"
        );
        let midnight = LocalDate::new(2026, 11, 24)
            .unwrap()
            .start_timestamp(WIB_OFFSET_MINUTES);
        assert_eq!(ts.millis_since(midnight), 30 * MS_PER_MINUTE);
    }

    #[test]
    fn compact_dates_parse_strictly() {
        assert_eq!(
            LocalDate::parse_compact("20261124"),
            LocalDate::new(2026, 11, 24)
        );
        for bad in [
            "2026112",
            "202611245",
            "2026-1-24",
            "20261131",
            "+0261124",
            "２０２６1124",
        ] {
            assert_eq!(LocalDate::parse_compact(bad), None, "{bad}");
        }
    }

    #[test]
    fn extreme_instants_saturate_instead_of_panicking() {
        assert_eq!(
            Timestamp(i64::MIN).to_utc_fields().0,
            LocalDate::new(1, 1, 1).unwrap()
        );
        assert_eq!(
            Timestamp(i64::MAX).to_utc_fields(),
            (LocalDate::new(9999, 12, 31).unwrap(), 23, 59, 59, 999)
        );
        assert_eq!(
            LocalDate::of_timestamp(Timestamp(i64::MAX), WIT_OFFSET_MINUTES).year(),
            9999
        );
    }

    proptest! {
        #[test]
        fn utc_fields_round_trip(ms in LocalDate::MIN_MS..=LocalDate::MAX_MS) {
            let (d, h, m, s, milli) = Timestamp(ms).to_utc_fields();
            prop_assert_eq!(Timestamp::from_utc(d, h, m, s, milli), Some(Timestamp(ms)));
            prop_assert_eq!(LocalDate::parse_compact(&d.to_compact()), Some(d));
        }
    }
}
