//! RFC 3339 UTC timestamps (`2026-11-21T17:25:58.123Z`), the only form of time in the log.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A point in time in UTC, with nanosecond precision, between years 0000 and 9999.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    seconds: i64,
    nanos: u32,
}

/// Why a timestamp was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an RFC 3339 UTC timestamp like 2026-11-21T17:25:58Z: {0}")]
pub struct TimestampError(&'static str);

impl Timestamp {
    /// The current time of this machine.
    pub fn now() -> Timestamp {
        Timestamp::from_system_time(SystemTime::now())
    }

    /// Converts a system time; times before 1970 are clamped to the epoch.
    pub fn from_system_time(time: SystemTime) -> Timestamp {
        let since = time.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
        Timestamp {
            seconds: since.as_secs() as i64,
            nanos: since.subsec_nanos(),
        }
    }

    /// Seconds since the Unix epoch.
    pub fn unix_seconds(&self) -> i64 {
        self.seconds
    }

    /// Builds a timestamp from seconds and nanoseconds since the Unix epoch.
    pub fn from_unix(seconds: i64, nanos: u32) -> Result<Timestamp, TimestampError> {
        if nanos >= 1_000_000_000 {
            return Err(TimestampError("nanoseconds out of range"));
        }
        let (year, _, _) = civil_from_days(seconds.div_euclid(86_400));
        if !(0..=9999).contains(&year) {
            return Err(TimestampError("year out of range"));
        }
        Ok(Timestamp { seconds, nanos })
    }

    /// Nanoseconds since the Unix epoch.
    pub fn unix_nanos(&self) -> i128 {
        self.seconds as i128 * 1_000_000_000 + self.nanos as i128
    }

    /// The absolute distance between two timestamps.
    pub fn abs_diff(&self, other: &Timestamp) -> Duration {
        let diff = (self.unix_nanos() - other.unix_nanos()).unsigned_abs();
        Duration::new((diff / 1_000_000_000) as u64, (diff % 1_000_000_000) as u32)
    }

    /// This time truncated to microseconds, the precision the log records.
    pub fn truncate_to_micros(self) -> Timestamp {
        Timestamp {
            seconds: self.seconds,
            nanos: self.nanos - self.nanos % 1000,
        }
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.fraction]Z` (upper-case `T` and `Z`, 1 to 9 fraction
    /// digits, UTC only, no leap seconds).
    pub fn parse(text: &str) -> Result<Timestamp, TimestampError> {
        let b = text.as_bytes();
        if b.len() < 20 {
            return Err(TimestampError("too short"));
        }
        let digits = |range: std::ops::Range<usize>| -> Result<i64, TimestampError> {
            b[range].iter().try_fold(0i64, |acc, &c| {
                if c.is_ascii_digit() {
                    Ok(acc * 10 + i64::from(c - b'0'))
                } else {
                    Err(TimestampError("expected a digit"))
                }
            })
        };
        if b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' {
            return Err(TimestampError("wrong separators"));
        }
        let year = digits(0..4)?;
        let month = digits(5..7)?;
        let day = digits(8..10)?;
        let hour = digits(11..13)?;
        let minute = digits(14..16)?;
        let second = digits(17..19)?;
        let mut nanos: u32 = 0;
        let rest = &b[19..];
        let zone = match rest.first() {
            Some(b'.') => {
                let frac: Vec<u8> = rest[1..]
                    .iter()
                    .copied()
                    .take_while(u8::is_ascii_digit)
                    .collect();
                if frac.is_empty() || frac.len() > 9 {
                    return Err(TimestampError("fraction must have 1 to 9 digits"));
                }
                for (i, &c) in frac.iter().enumerate() {
                    nanos += u32::from(c - b'0') * 10u32.pow(8 - i as u32);
                }
                &rest[1 + frac.len()..]
            }
            _ => rest,
        };
        if zone != b"Z" {
            return Err(TimestampError("must end in Z (UTC)"));
        }
        if !(1..=12).contains(&month) {
            return Err(TimestampError("month out of range"));
        }
        if day < 1 || day > days_in_month(year, month) {
            return Err(TimestampError("day out of range"));
        }
        if hour > 23 || minute > 59 || second > 59 {
            return Err(TimestampError("time of day out of range"));
        }
        let days = days_from_civil(year, month, day);
        Ok(Timestamp {
            seconds: days * 86_400 + hour * 3600 + minute * 60 + second,
            nanos,
        })
    }
}

impl fmt::Display for Timestamp {
    /// The shortest RFC 3339 form: no fraction for whole seconds, trailing zeros trimmed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days = self.seconds.div_euclid(86_400);
        let secs = self.seconds.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            y,
            m,
            d,
            secs / 3600,
            secs / 60 % 60,
            secs % 60
        )?;
        if self.nanos != 0 {
            let frac = format!("{:09}", self.nanos);
            write!(f, ".{}", frac.trim_end_matches('0'))?;
        }
        f.write_str("Z")
    }
}

impl std::str::FromStr for Timestamp {
    type Err = TimestampError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Timestamp::parse(s)
    }
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The inverse of [`days_from_civil`].
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_formats() {
        let t = Timestamp::parse("2026-11-21T17:25:58Z").unwrap();
        assert_eq!(t.unix_seconds(), 1_795_281_958);
        assert_eq!(t.to_string(), "2026-11-21T17:25:58Z");
        let t = Timestamp::parse("2024-02-29T00:00:00.120Z").unwrap();
        assert_eq!(t.to_string(), "2024-02-29T00:00:00.12Z");
        assert_eq!(
            Timestamp::parse("1970-01-01T00:00:00Z")
                .unwrap()
                .unix_seconds(),
            0
        );
    }

    #[test]
    fn refuses_other_forms() {
        for bad in [
            "2026-11-21 17:25:58Z",
            "2026-11-21T17:25:58+08:00",
            "2026-11-21t17:25:58z",
            "2025-02-29T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-11-21T24:00:00Z",
            "2026-11-21T17:25:60Z",
            "2026-11-21T17:25:58.Z",
            "2026-11-21T17:25:58.1234567890Z",
            "2026-11-21T17:25:58",
            "",
        ] {
            assert!(Timestamp::parse(bad).is_err(), "{bad} was accepted");
        }
    }

    #[test]
    fn round_trips_every_day_of_four_centuries() {
        for days in (-719_468..2_932_896).step_by(97) {
            let t = Timestamp::from_unix(days * 86_400 + 45_296, 5_000).unwrap();
            assert_eq!(Timestamp::parse(&t.to_string()).unwrap(), t);
        }
    }
}
