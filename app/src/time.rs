//! Times as pages write them: in UTC, so a page reads the same rendered on the server and in
//! the browser, whatever either's time zone.

use chrono::{DateTime, Utc};

/// How much of a time a page shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Precision {
    /// `2025-03-14`
    Day,
    /// `2025-03-14 09:05 UTC`
    Minute,
    /// `2025-03-14 09:05:07 UTC`
    Second,
}

pub fn utc_text(at: DateTime<Utc>, precision: Precision) -> String {
    let pattern = match precision {
        Precision::Day => "%Y-%m-%d",
        Precision::Minute => "%Y-%m-%d %H:%M UTC",
        Precision::Second => "%Y-%m-%d %H:%M:%S UTC",
    };
    at.format(pattern).to_string()
}

/// As a `datetime-local` field takes a time (`2025-03-14T09:05`, UTC); empty for none.
pub fn form_input_text(at: Option<DateTime<Utc>>) -> String {
    at.map(|at| at.format("%Y-%m-%dT%H:%M").to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_written_in_utc_to_the_precision_asked() {
        let at = DateTime::parse_from_rfc3339("2025-03-14T16:05:07+07:00")
            .map(|at| at.with_timezone(&Utc))
            .unwrap_or_default();
        assert_eq!(utc_text(at, Precision::Day), "2025-03-14");
        assert_eq!(utc_text(at, Precision::Minute), "2025-03-14 09:05 UTC");
        assert_eq!(utc_text(at, Precision::Second), "2025-03-14 09:05:07 UTC");
        assert_eq!(form_input_text(Some(at)), "2025-03-14T09:05");
        assert_eq!(form_input_text(None), "");
    }
}
