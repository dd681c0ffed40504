//! How times read on the pages: always UTC and said so, since customers, admins and the servers
//! they run may sit in different time zones (WIB, WITA, WIT).

use chrono::{DateTime, Utc};

/// `2026-11-01 09:30 UTC`.
pub fn time(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// As a `datetime-local` field takes it (`2026-11-01T09:30`, UTC); empty for none.
pub fn input_time(at: Option<DateTime<Utc>>) -> String {
    at.map(|at| at.format("%Y-%m-%dT%H:%M").to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn times_read_in_utc_and_fill_form_fields() {
        let at = Utc
            .with_ymd_and_hms(2026, 11, 1, 9, 30, 15)
            .single()
            .unwrap_or_default();
        assert_eq!(time(at), "2026-11-01 09:30 UTC");
        assert_eq!(input_time(Some(at)), "2026-11-01T09:30");
        assert_eq!(input_time(None), "");
    }
}
