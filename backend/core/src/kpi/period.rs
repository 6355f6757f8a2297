//! Reporting periods in local time: a day, an ISO week, a month, or an inclusive range of days.
//!
//! A period is a set of *local* calendar days. Which UTC instants fall into it depends on the time zone of the
//! record being counted: 2026-11-24 is `[2026-11-23T17:00Z, 2026-11-24T17:00Z)` in Batam (WIB, UTC+7) but
//! `[2026-11-23T16:00Z, 2026-11-24T16:00Z)` in Makassar (WITA, UTC+8). Indonesia has no daylight saving time,
//! so an offset in minutes describes a zone completely ([`utc_offset_minutes_of`]).
//!
//! Day numbers (`i64` days since 1970-01-01 on the local wall clock) are used internally: comparing two
//! integers is what lets the KPI computation classify hundreds of thousands of records quickly.

use crate::time::{
    LocalDate, MS_PER_DAY, MS_PER_MINUTE, Timestamp, WIB_OFFSET_MINUTES, WIT_OFFSET_MINUTES,
    WITA_OFFSET_MINUTES,
};
use std::fmt;
use std::str::FromStr;

/// The longest [`Period::Range`] accepted, in days: one leap year.
pub const MAX_RANGE_DAYS: i64 = 366;

/// The UTC offset in minutes of an Indonesian IANA time zone name, or `None` for any other name.
///
/// Accepts the three zones Indonesia uses (`Asia/Jakarta`, `Asia/Makassar`, `Asia/Jayapura`), the other IANA
/// names inside Indonesia (`Asia/Pontianak` is WIB) and the legacy alias `Asia/Ujung_Pandang` (WITA).
pub fn utc_offset_minutes_of(time_zone: &str) -> Option<i32> {
    match time_zone {
        "Asia/Jakarta" | "Asia/Pontianak" => Some(WIB_OFFSET_MINUTES),
        "Asia/Makassar" | "Asia/Ujung_Pandang" => Some(WITA_OFFSET_MINUTES),
        "Asia/Jayapura" => Some(WIT_OFFSET_MINUTES),
        _ => None,
    }
}

/// The local day number (days since 1970-01-01 on the wall clock `utc_offset_minutes` east of UTC) of `ts`.
pub fn local_day(ts: Timestamp, utc_offset_minutes: i32) -> i64 {
    ts.0.saturating_add(i64::from(utc_offset_minutes) * MS_PER_MINUTE)
        .div_euclid(MS_PER_DAY)
}

/// The date of a day number, clamped to 0001-01-01..=9999-12-31.
pub fn date_of_day(day: i64) -> LocalDate {
    Timestamp(day.saturating_mul(MS_PER_DAY)).to_utc_fields().0
}

/// ISO weekday of a day number: 1 = Monday … 7 = Sunday.
pub fn iso_weekday(day: i64) -> i64 {
    // 1970-01-01 was a Thursday (4).
    (day + 3).rem_euclid(7) + 1
}

/// The Monday that starts ISO week 1 of `year`: the week containing 4 January.
fn iso_week1_monday(year: u16) -> Option<i64> {
    let jan4 = LocalDate::new(year, 1, 4)?.days_since_epoch();
    Some(jan4 - (iso_weekday(jan4) - 1))
}

/// Number of ISO weeks (52 or 53) in `year`.
fn iso_weeks_in(year: u16) -> Option<u8> {
    let this = iso_week1_monday(year)?;
    // 9999 has no successor in LocalDate's range; the rule "28 December is in the last week" still holds.
    let Some(next) = year.checked_add(1).and_then(iso_week1_monday) else {
        let dec28 = LocalDate::new(year, 12, 28)?.days_since_epoch();
        return Some(((dec28 - this) / 7 + 1) as u8);
    };
    Some(((next - this) / 7) as u8)
}

/// A reporting period: a set of consecutive local calendar days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Period {
    /// One day, written `2026-11-24`.
    Day(LocalDate),
    /// An ISO 8601 week (Monday to Sunday; week 1 contains 4 January), written `2026-W47`.
    Week {
        /// ISO week-numbering year (may differ from the calendar year at the turn of the year).
        year: u16,
        /// Week number, 1..=53.
        week: u8,
    },
    /// A calendar month, written `2026-11`.
    Month {
        /// Year.
        year: u16,
        /// Month, 1..=12.
        month: u8,
    },
    /// Consecutive days, both ends included, written `2026-11-01..2026-11-15`; at most [`MAX_RANGE_DAYS`].
    Range {
        /// First day.
        first: LocalDate,
        /// Last day (included).
        last: LocalDate,
    },
}

/// Why a period text was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidPeriod {
    /// Not one of the four accepted shapes.
    #[error(
        "period must be a day (2026-11-24), an ISO week (2026-W47), a month (2026-11) or a range \
         (2026-11-01..2026-11-15)"
    )]
    Shape,
    /// The shape is right but the date, week or month does not exist.
    #[error("period names a date, week or month that does not exist")]
    NoSuchDate,
    /// A range that ends before it starts or is longer than [`MAX_RANGE_DAYS`].
    #[error("a period range must run forwards and span at most 366 days")]
    BadRange,
}

fn digits(s: &str, n: usize) -> Option<u16> {
    (s.len() == n && s.bytes().all(|b| b.is_ascii_digit())).then(|| {
        s.bytes()
            .fold(0u16, |acc, d| acc * 10 + u16::from(d - b'0'))
    })
}

fn parse_date(s: &str) -> Result<LocalDate, InvalidPeriod> {
    let mut parts = s.split('-');
    let (Some(y), Some(m), Some(d), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(InvalidPeriod::Shape);
    };
    let (Some(y), Some(m), Some(d)) = (digits(y, 4), digits(m, 2), digits(d, 2)) else {
        return Err(InvalidPeriod::Shape);
    };
    LocalDate::new(y, m as u8, d as u8).ok_or(InvalidPeriod::NoSuchDate)
}

impl Period {
    /// Parses `2026-11-24`, `2026-W47`, `2026-11` or `2026-11-01..2026-11-15`.
    ///
    /// ```
    /// use siaga_core::kpi::Period;
    /// let w: Period = "2026-W47".parse().unwrap();
    /// assert_eq!(w.first_day().to_string(), "2026-11-16"); // a Monday
    /// assert_eq!(w.last_day().to_string(), "2026-11-22");
    /// ```
    pub fn parse(s: &str) -> Result<Period, InvalidPeriod> {
        let s = s.trim();
        if let Some((a, b)) = s.split_once("..") {
            let (first, last) = (parse_date(a)?, parse_date(b)?);
            let span = last.days_since_epoch() - first.days_since_epoch();
            if !(0..MAX_RANGE_DAYS).contains(&span) {
                return Err(InvalidPeriod::BadRange);
            }
            return Ok(Period::Range { first, last });
        }
        if let Some((y, w)) = s.split_once("-W") {
            let (Some(year), Some(week)) = (digits(y, 4), digits(w, 2)) else {
                return Err(InvalidPeriod::Shape);
            };
            let weeks = iso_weeks_in(year).ok_or(InvalidPeriod::NoSuchDate)?;
            if week == 0 || week > u16::from(weeks) {
                return Err(InvalidPeriod::NoSuchDate);
            }
            return Ok(Period::Week {
                year,
                week: week as u8,
            });
        }
        match s.len() {
            7 => {
                let (y, m) = s.split_once('-').ok_or(InvalidPeriod::Shape)?;
                let (Some(year), Some(month)) = (digits(y, 4), digits(m, 2)) else {
                    return Err(InvalidPeriod::Shape);
                };
                LocalDate::new(year, month as u8, 1).ok_or(InvalidPeriod::NoSuchDate)?;
                Ok(Period::Month {
                    year,
                    month: month as u8,
                })
            }
            10 => parse_date(s).map(Period::Day),
            _ => Err(InvalidPeriod::Shape),
        }
    }

    /// `day`, `week`, `month` or `range`.
    pub fn kind(&self) -> &'static str {
        match self {
            Period::Day(_) => "day",
            Period::Week { .. } => "week",
            Period::Month { .. } => "month",
            Period::Range { .. } => "range",
        }
    }

    /// Day number of the first day.
    pub fn first_day_number(&self) -> i64 {
        match *self {
            Period::Day(d) | Period::Range { first: d, .. } => d.days_since_epoch(),
            Period::Week { year, week } => {
                // Validated by `parse`; a hand-built out-of-range week saturates to its year's week 1.
                iso_week1_monday(year).unwrap_or(0) + 7 * (i64::from(week.max(1)) - 1)
            }
            Period::Month { year, month } => {
                LocalDate::new(year, month, 1).map_or(0, LocalDate::days_since_epoch)
            }
        }
    }

    /// Day number of the last day (included).
    pub fn last_day_number(&self) -> i64 {
        match *self {
            Period::Day(d) => d.days_since_epoch(),
            Period::Range { last, .. } => last.days_since_epoch(),
            Period::Week { .. } => self.first_day_number() + 6,
            Period::Month { year, month } => {
                let next = if month == 12 {
                    LocalDate::new(year.saturating_add(1), 1, 1)
                } else {
                    LocalDate::new(year, month + 1, 1)
                };
                match next {
                    Some(n) => n.days_since_epoch() - 1,
                    None => self.first_day_number() + 30,
                }
            }
        }
    }

    /// The first day.
    pub fn first_day(&self) -> LocalDate {
        date_of_day(self.first_day_number())
    }

    /// The last day (included).
    pub fn last_day(&self) -> LocalDate {
        date_of_day(self.last_day_number())
    }

    /// Every day of the period, in order.
    pub fn days(&self) -> Vec<LocalDate> {
        (self.first_day_number()..=self.last_day_number())
            .map(date_of_day)
            .collect()
    }

    /// Whether local day number `day` is in the period.
    pub fn contains_day(&self, day: i64) -> bool {
        (self.first_day_number()..=self.last_day_number()).contains(&day)
    }

    /// Whether `ts` falls in the period on the wall clock `utc_offset_minutes` east of UTC.
    pub fn contains(&self, ts: Timestamp, utc_offset_minutes: i32) -> bool {
        self.contains_day(local_day(ts, utc_offset_minutes))
    }

    /// The UTC instants `[start, end)` of the period in a zone `utc_offset_minutes` east of UTC.
    pub fn bounds(&self, utc_offset_minutes: i32) -> (Timestamp, Timestamp) {
        let shift = i64::from(utc_offset_minutes) * MS_PER_MINUTE;
        (
            Timestamp(self.first_day_number() * MS_PER_DAY - shift),
            Timestamp((self.last_day_number() + 1) * MS_PER_DAY - shift),
        )
    }

    /// `[start, end)` covering the period in every Indonesian zone: from its start in WIT (the earliest) to its
    /// end in WIB (the latest). Stores read this window and the computation keeps each record by its own zone.
    pub fn bounds_in_any_indonesian_zone(&self) -> (Timestamp, Timestamp) {
        (
            self.bounds(WIT_OFFSET_MINUTES).0,
            self.bounds(WIB_OFFSET_MINUTES).1,
        )
    }
}

impl FromStr for Period {
    type Err = InvalidPeriod;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Period::parse(s)
    }
}

impl fmt::Display for Period {
    /// The canonical text that [`Period::parse`] accepts.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Period::Day(d) => write!(f, "{d}"),
            Period::Week { year, week } => write!(f, "{year:04}-W{week:02}"),
            Period::Month { year, month } => write!(f, "{year:04}-{month:02}"),
            Period::Range { first, last } => write!(f, "{first}..{last}"),
        }
    }
}

/// Parses a wall-clock date and time, `2026-11-24 07:00`, `2026-11-24T07:00` or with seconds
/// (`2026-11-24 07:00:30`), into the instant it names in a zone `utc_offset_minutes` east of UTC.
pub fn parse_local_datetime(s: &str, utc_offset_minutes: i32) -> Option<Timestamp> {
    let s = s.trim();
    let (date, time) = s.split_once(['T', ' '])?;
    let date = parse_date(date).ok()?;
    let mut parts = time.trim().split(':');
    let hour = digits(parts.next()?, 2)?;
    let minute = digits(parts.next()?, 2)?;
    let second = match parts.next() {
        Some(sec) => digits(sec, 2)?,
        None => 0,
    };
    if parts.next().is_some() {
        return None;
    }
    let utc = Timestamp::from_utc(date, hour as u8, minute as u8, second as u8, 0)?;
    Some(utc.plus_millis(-i64::from(utc_offset_minutes) * MS_PER_MINUTE))
}
