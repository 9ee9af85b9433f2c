//! Date handling. Checks take "now" from the snapshot's `collected_at`, never the system clock.

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Parses an RFC 3339 date-time as Graph writes it (`2026-11-20T08:00:00Z`, with or without
/// fractional seconds). Graph's "never" (`0001-01-01T00:00:00Z`) parses too.
pub fn parse_rfc3339(text: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(text, &Rfc3339).ok()
}

/// Whole days from `earlier` to `later` (negative when `earlier` is after `later`).
pub fn days_between(earlier: OffsetDateTime, later: OffsetDateTime) -> i64 {
    (later - earlier).whole_days()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_graph_dates() {
        assert!(parse_rfc3339("2026-11-20T08:00:00Z").is_some());
        assert!(parse_rfc3339("2026-11-20T08:00:00.1234567Z").is_some());
        assert!(parse_rfc3339("0001-01-01T00:00:00Z").is_some());
        assert!(parse_rfc3339("yesterday").is_none());
        let a = parse_rfc3339("2026-11-01T00:00:00Z").unwrap();
        let b = parse_rfc3339("2026-11-20T12:00:00Z").unwrap();
        assert_eq!(days_between(a, b), 19);
    }
}
