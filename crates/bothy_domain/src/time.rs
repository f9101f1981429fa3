//! Time values. The domain never reads the clock; callers pass `now` in.

pub use jiff::Timestamp;
pub use jiff::civil::Date;

/// Milliseconds since the Unix epoch: how times are stored in both databases.
pub fn to_millis(t: Timestamp) -> i64 {
    t.as_millisecond()
}

/// `t` at the precision times are stored at (whole milliseconds, the
/// sub-millisecond part dropped as [`to_millis`] drops it). The clock hands
/// out times at this precision, so a time written to a response before it
/// is stored is the time read back later, to the byte.
pub fn at_storage_precision(t: Timestamp) -> Timestamp {
    from_millis(to_millis(t))
}

/// The inverse of [`to_millis`]. Out-of-range values (which only a corrupted
/// database could hold) clamp to the representable range rather than panic.
pub fn from_millis(ms: i64) -> Timestamp {
    Timestamp::from_millisecond(ms).unwrap_or(if ms < 0 {
        Timestamp::MIN
    } else {
        Timestamp::MAX
    })
}

/// Today's date in the UK, where every service Bothy hosts runs. Dates of
/// birth and "today" must agree on the zone or a birthday flips at midnight UTC.
pub fn uk_date(now: Timestamp) -> Date {
    match jiff::tz::TimeZone::get("Europe/London") {
        Ok(tz) => now.to_zoned(tz).date(),
        Err(_) => now.to_zoned(jiff::tz::TimeZone::UTC).date(),
    }
}
