//! Opening hours: an OpenStreetMap `opening_hours` value parsed once (with the
//! `opening-hours` crate), asked whether it is open at a local time, and its
//! week written in words in a language.

use std::fmt::Write as _;

use std::sync::OnceLock;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, TimeZone, Utc, Weekday};
use opening_hours::RuleKind;

/// The district's time zone when none is set.
pub const DEFAULT_TIMEZONE: &str = "America/Los_Angeles";

static TIMEZONE: OnceLock<chrono_tz::Tz> = OnceLock::new();

/// Sets the time zone opening hours are read in (`--timezone`), once per
/// process, before the first question; `false` when it was already set.
pub fn set_timezone(tz: chrono_tz::Tz) -> bool {
    TIMEZONE.set(tz).is_ok()
}

/// The time zone opening hours are read in.
pub fn timezone() -> chrono_tz::Tz {
    *TIMEZONE.get_or_init(|| DEFAULT_TIMEZONE.parse().unwrap_or(chrono_tz::Tz::UTC))
}

/// A moment as the district's clocks show it.
pub fn local<Tz: TimeZone>(t: &DateTime<Tz>) -> NaiveDateTime {
    t.with_timezone(&timezone()).naive_local()
}

/// The district's clocks now.
pub fn local_now() -> NaiveDateTime {
    local(&Utc::now())
}

/// Longest `opening_hours` value accepted (OSM's own limit is 255).
pub const MAX_CHARS: usize = 255;

/// The minutes of a day, from midnight; a range may run past 24:00 into the
/// next morning (`22:00-02:00` is `1320..1560`).
pub type Minutes = std::ops::Range<u16>;

/// A parsed `opening_hours` value.
#[derive(Clone)]
pub struct Hours {
    raw: Box<str>,
    oh: opening_hours::OpeningHours,
}

impl std::fmt::Debug for Hours {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Hours").field(&self.raw).finish()
    }
}

impl Hours {
    /// Parses a value, or says why it cannot be read.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err("is empty".into());
        }
        if raw.chars().count() > MAX_CHARS {
            return Err(format!("must be at most {MAX_CHARS} characters"));
        }
        // The parser is a pest grammar with a stack guard; a panic inside it
        // on some odd value must not take the caller down.
        let parsed = std::panic::catch_unwind(|| raw.parse::<opening_hours::OpeningHours>());
        match parsed {
            Ok(Ok(oh)) => Ok(Hours {
                raw: raw.into(),
                oh,
            }),
            Ok(Err(e)) => Err(format!(
                "is not an OpenStreetMap opening_hours value ({}), e.g. \"Mo-Fr 09:00-17:00; Sa 10:00-14:00\"",
                first_line(&e.to_string())
            )),
            Err(_) => Err("is not an OpenStreetMap opening_hours value".into()),
        }
    }

    /// The value as given (trimmed).
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// Whether it is open at a local time: `Some(true)` open, `Some(false)`
    /// closed, `None` when the value says the state is unknown.
    pub fn open_at(&self, at: NaiveDateTime) -> Option<bool> {
        let state = std::panic::catch_unwind(|| self.oh.state(at).0).ok()?;
        match state {
            RuleKind::Open => Some(true),
            RuleKind::Closed => Some(false),
            RuleKind::Unknown => None,
        }
    }

    /// The open ranges of each day of the week that holds `day`, Monday first.
    pub fn week_of(&self, day: NaiveDate) -> Week {
        let monday = day - Duration::days(i64::from(day.weekday().num_days_from_monday()));
        let mut days: [Vec<Minutes>; 7] = Default::default();
        for (i, ranges) in days.iter_mut().enumerate() {
            let date = monday + Duration::days(i as i64);
            let Ok(schedule) = std::panic::catch_unwind(|| self.oh.schedule_at(date)) else {
                continue;
            };
            for r in schedule {
                if r.kind == RuleKind::Open {
                    let (s, e) = (
                        r.range.start.mins_from_midnight(),
                        r.range.end.mins_from_midnight(),
                    );
                    match ranges.last_mut() {
                        Some(last) if last.end == s => last.end = e,
                        _ => ranges.push(s..e),
                    }
                }
            }
        }
        Week { days }
    }
}

/// Opening hours with the answer to "open at t?" remembered for the interval
/// it holds (until the next change of state), so that answering again within
/// it costs a comparison instead of an evaluation (~1 µs). The interval and
/// the state live in one atomic word: readers under a shared lock never see a
/// state paired with another interval.
#[derive(Debug)]
pub struct CachedHours {
    hours: Hours,
    /// Open after 17:00 on a weekday / on the weekend, in the week it was made.
    evening: bool,
    weekend: bool,
    /// `from` (minutes since 2000-01-01, 28 bits) | `until - from` (34 bits) |
    /// state (2 bits: 0 closed, 1 open, 2 unknown); `u64::MAX` when empty.
    cache: std::sync::atomic::AtomicU64,
}

/// Minutes since 2000-01-01 00:00 of a local time.
fn minute_of(t: NaiveDateTime) -> i64 {
    const EPOCH: i64 = 946_684_800; // 2000-01-01T00:00:00 as a Unix time
    (t.and_utc().timestamp() - EPOCH).div_euclid(60)
}

impl Clone for CachedHours {
    fn clone(&self) -> Self {
        CachedHours {
            hours: self.hours.clone(),
            evening: self.evening,
            weekend: self.weekend,
            cache: std::sync::atomic::AtomicU64::new(u64::MAX),
        }
    }
}

impl CachedHours {
    /// The hours, with what `week` (their week as worked out) says of
    /// evenings and weekends.
    pub fn new(hours: Hours, week: &Week) -> Self {
        CachedHours {
            hours,
            evening: week.evening(),
            weekend: week.weekend(),
            cache: std::sync::atomic::AtomicU64::new(u64::MAX),
        }
    }

    /// Open after 17:00 on some weekday (see [`Week::evening`]).
    pub fn evening(&self) -> bool {
        self.evening
    }

    /// Open on Saturday or Sunday (see [`Week::weekend`]).
    pub fn weekend(&self) -> bool {
        self.weekend
    }

    /// The hours themselves.
    pub fn hours(&self) -> &Hours {
        &self.hours
    }

    /// [`Hours::open_at`], remembered until the state next changes.
    pub fn open_at(&self, at: NaiveDateTime) -> Option<bool> {
        use std::sync::atomic::Ordering::Relaxed;
        let m = minute_of(at);
        let word = self.cache.load(Relaxed);
        if word != u64::MAX {
            let from = (word >> 36) as i64;
            let until = from + ((word >> 2) & ((1 << 34) - 1)) as i64;
            if (from..until).contains(&m) {
                return match word & 3 {
                    0 => Some(false),
                    1 => Some(true),
                    _ => None,
                };
            }
        }
        let state = self.hours.open_at(at);
        // The state holds from this minute until the next change (a year on
        // when it never changes); kept only when it fits the word.
        let next = std::panic::catch_unwind(|| self.hours.oh.next_change(at))
            .ok()
            .flatten()
            .map(minute_of)
            .unwrap_or(m + 525_600);
        let delta = next - m;
        if (0..1 << 28).contains(&m) && (1..1 << 34).contains(&delta) {
            let bits = match state {
                Some(false) => 0,
                Some(true) => 1,
                None => 2,
            };
            self.cache
                .store(((m as u64) << 36) | ((delta as u64) << 2) | bits, Relaxed);
        }
        state
    }
}

/// A week's open ranges, Monday first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Week {
    pub days: [Vec<Minutes>; 7],
}

/// Evenings begin at 17:00.
const EVENING: u16 = 17 * 60;

impl Week {
    /// Open at some time after 17:00 on some weekday (Monday to Friday).
    pub fn evening(&self) -> bool {
        self.days[..5]
            .iter()
            .any(|d| d.iter().any(|r| r.end > EVENING))
    }

    /// Open at some time on Saturday or Sunday.
    pub fn weekend(&self) -> bool {
        self.days[5..].iter().any(|d| !d.is_empty())
    }

    /// Whether it is never open.
    pub fn is_closed(&self) -> bool {
        self.days.iter().all(Vec::is_empty)
    }

    /// The week in words: runs of days with the same hours, e.g. "Mon–Fri
    /// 9:00–17:00; Sat 10:00–14:00" (day names from `days`, Monday first);
    /// days when it is closed are left out.
    pub fn words(&self, days: &[&str; 7]) -> String {
        let mut out = String::new();
        let mut i = 0;
        while i < 7 {
            let mut j = i;
            while j + 1 < 7 && self.days[j + 1] == self.days[i] {
                j += 1;
            }
            if !self.days[i].is_empty() {
                if !out.is_empty() {
                    out.push_str("; ");
                }
                out.push_str(days[i]);
                if j > i {
                    out.push('–');
                    out.push_str(days[j]);
                }
                for (k, r) in self.days[i].iter().enumerate() {
                    out.push_str(if k == 0 { " " } else { ", " });
                    clock(&mut out, r.start);
                    out.push('–');
                    clock(&mut out, r.end);
                }
            }
            i = j + 1;
        }
        out
    }
}

/// `9:00`, `17:30`, `24:00`; past midnight as the next morning's time.
fn clock(out: &mut String, minutes: u16) {
    let m = if minutes > 24 * 60 {
        minutes - 24 * 60
    } else {
        minutes
    };
    let _ = write!(out, "{}:{:02}", m / 60, m % 60);
}

fn first_line(s: &str) -> &str {
    s.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("syntax error")
}

/// The weekday names' order [`Week::words`] expects.
pub const WEEK: [Weekday; 7] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
    Weekday::Sun,
];

#[cfg(test)]
mod tests {
    use super::*;

    const EN: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").expect("time")
    }

    #[test]
    fn open_closed_and_unknown() {
        let h = Hours::parse("Mo-Fr 09:00-17:00; Sa 10:00-14:00; Su 12:00-13:00 unknown")
            .expect("valid");
        // 2026-12-07 is a Monday.
        assert_eq!(h.open_at(at("2026-12-07 09:00")), Some(true));
        assert_eq!(h.open_at(at("2026-12-07 17:00")), Some(false));
        assert_eq!(h.open_at(at("2026-12-12 13:59")), Some(true));
        assert_eq!(h.open_at(at("2026-12-13 12:30")), None);
        assert_eq!(h.open_at(at("2026-12-13 14:00")), Some(false));
    }

    #[test]
    fn week_in_words_and_evening_weekend() {
        let h = Hours::parse("Mo-Fr 09:00-17:00; Sa 10:00-14:00").expect("valid");
        let w = h.week_of(NaiveDate::from_ymd_opt(2026, 12, 9).expect("date"));
        assert_eq!(w.words(&EN), "Mon–Fri 9:00–17:00; Sat 10:00–14:00");
        assert!(!w.evening(), "closes at 17:00 sharp");
        assert!(w.weekend());

        let late = Hours::parse("Tu,Th 15:00-19:30").expect("valid");
        let w = late.week_of(NaiveDate::from_ymd_opt(2026, 12, 9).expect("date"));
        assert_eq!(w.words(&EN), "Tue 15:00–19:30; Thu 15:00–19:30");
        assert!(w.evening());
        assert!(!w.weekend());

        let always = Hours::parse("24/7").expect("valid");
        let w = always.week_of(NaiveDate::from_ymd_opt(2026, 12, 9).expect("date"));
        assert_eq!(w.words(&EN), "Mon–Sun 0:00–24:00");

        let split = Hours::parse("Mo 08:00-12:00,13:00-17:00").expect("valid");
        let w = split.week_of(NaiveDate::from_ymd_opt(2026, 12, 9).expect("date"));
        assert_eq!(w.words(&EN), "Mon 8:00–12:00, 13:00–17:00");
    }

    /// The remembered answer equals a fresh evaluation, minute by minute over
    /// a week, asked in order and out of order.
    #[test]
    fn the_cache_agrees_with_evaluation() {
        for value in [
            "Mo-Fr 09:00-17:00; Sa 10:00-14:00",
            "24/7",
            "off",
            "Tu,Th 15:00-19:30; Su 12:00-13:00 unknown",
        ] {
            let h = Hours::parse(value).expect("valid");
            let start = at("2026-12-07 00:00");
            let cached = CachedHours::new(h.clone(), &h.week_of(start.date()));
            let minutes: Vec<i64> = (0..7 * 24 * 60)
                .step_by(7)
                .chain((0..7 * 24 * 60).rev().step_by(11))
                .collect();
            for m in minutes {
                let t = start + Duration::minutes(m);
                assert_eq!(cached.open_at(t), h.open_at(t), "{value} at {t}");
            }
        }
    }

    #[test]
    fn nonsense_is_refused_with_a_reason() {
        for bad in [
            "",
            "   ",
            "whenever",
            "Mo-Fr 25:00-26:00x",
            &"Mo ".repeat(200),
        ] {
            let e = Hours::parse(bad).expect_err(bad);
            assert!(!e.is_empty());
        }
    }
}
