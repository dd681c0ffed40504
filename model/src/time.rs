//! Times as people read them: in their own time zone, with the zone named, the same on a page
//! rendered by the server, in the browser and in an e-mail.
//!
//! Indonesia's three zones keep one offset all year (no daylight saving), so a fixed offset is
//! the whole rule and no zone database is needed. UTC is there for customers abroad.

use std::fmt;

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};

/// The zone a person reads times in; stored as its IANA name (`Asia/Jakarta`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TimeZone {
    /// Waktu Indonesia Barat, UTC+7: Sumatra, Java, West and Central Kalimantan.
    #[default]
    #[serde(rename = "Asia/Jakarta")]
    Wib,
    /// Waktu Indonesia Tengah, UTC+8: Bali, Nusa Tenggara, South, East and North Kalimantan,
    /// Sulawesi.
    #[serde(rename = "Asia/Makassar")]
    Wita,
    /// Waktu Indonesia Timur, UTC+9: Maluku and Papua.
    #[serde(rename = "Asia/Jayapura")]
    Wit,
    #[serde(rename = "UTC")]
    Utc,
}

impl TimeZone {
    pub const ALL: [Self; 4] = [Self::Wib, Self::Wita, Self::Wit, Self::Utc];

    /// The IANA name, as stored, sent and kept in the `tz` cookie.
    pub fn iana(self) -> &'static str {
        match self {
            Self::Wib => "Asia/Jakarta",
            Self::Wita => "Asia/Makassar",
            Self::Wit => "Asia/Jayapura",
            Self::Utc => "UTC",
        }
    }

    pub fn from_iana(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|zone| zone.iana() == name)
    }

    /// What follows a time: `WIB`, `WITA`, `WIT` or `UTC`.
    pub fn abbreviation(self) -> &'static str {
        match self {
            Self::Wib => "WIB",
            Self::Wita => "WITA",
            Self::Wit => "WIT",
            Self::Utc => "UTC",
        }
    }

    /// Hours ahead of UTC.
    fn offset_hours(self) -> i64 {
        match self {
            Self::Wib => 7,
            Self::Wita => 8,
            Self::Wit => 9,
            Self::Utc => 0,
        }
    }

    /// `at` on this zone's wall clock.
    pub fn local(self, at: DateTime<Utc>) -> NaiveDateTime {
        at.naive_utc() + Duration::hours(self.offset_hours())
    }

    /// A wall-clock time typed in this zone, as the instant it names.
    pub fn instant(self, wall: NaiveDateTime) -> DateTime<Utc> {
        (wall - Duration::hours(self.offset_hours())).and_utc()
    }
}

impl fmt::Display for TimeZone {
    /// `WIB (UTC+7)`, as the profile's choices read.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Utc => f.write_str("UTC"),
            _ => write!(f, "{} (UTC+{})", self.abbreviation(), self.offset_hours()),
        }
    }
}

/// How much of a time to show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Precision {
    /// `2025-03-14`
    Day,
    /// `2025-03-14 16:05 WIB`
    Minute,
    /// `2025-03-14 16:05:07 WIB`
    Second,
}

/// `at` as `zone` reads it, to `precision`, with the zone named (a day needs no zone).
pub fn local_text(at: DateTime<Utc>, zone: TimeZone, precision: Precision) -> String {
    let local = zone.local(at);
    let zone = zone.abbreviation();
    match precision {
        Precision::Day => local.format("%Y-%m-%d").to_string(),
        Precision::Minute => format!("{} {zone}", local.format("%Y-%m-%d %H:%M")),
        Precision::Second => format!("{} {zone}", local.format("%Y-%m-%d %H:%M:%S")),
    }
}

/// As a `datetime-local` field takes a time in `zone` (`2025-03-14T16:05`); empty for none.
pub fn form_input_text(at: Option<DateTime<Utc>>, zone: TimeZone) -> String {
    at.map(|at| zone.local(at).format("%Y-%m-%dT%H:%M").to_string())
        .unwrap_or_default()
}

/// What a `datetime-local` field sent (with or without seconds), read in `zone`; `None` when it
/// is not such a time.
pub fn parse_form_input(text: &str, zone: TimeZone) -> Option<DateTime<Utc>> {
    ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(text.trim(), format).ok())
        .map(|wall| zone.instant(wall))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .map(|at| at.with_timezone(&Utc))
            .unwrap_or_default()
    }

    #[test]
    fn a_time_reads_on_each_zones_clock_with_the_zone_named() {
        let morning = at("2025-03-14T09:05:07Z");
        let late_evening = at("2025-03-14T20:00:00Z");
        for (at, zone, precision, text) in [
            (
                morning,
                TimeZone::Wib,
                Precision::Minute,
                "2025-03-14 16:05 WIB",
            ),
            (
                morning,
                TimeZone::Wita,
                Precision::Minute,
                "2025-03-14 17:05 WITA",
            ),
            (
                morning,
                TimeZone::Wit,
                Precision::Second,
                "2025-03-14 18:05:07 WIT",
            ),
            (
                morning,
                TimeZone::Utc,
                Precision::Second,
                "2025-03-14 09:05:07 UTC",
            ),
            // The day is the zone's day.
            (late_evening, TimeZone::Utc, Precision::Day, "2025-03-14"),
            (late_evening, TimeZone::Wib, Precision::Day, "2025-03-15"),
        ] {
            assert_eq!(local_text(at, zone, precision), text);
        }
    }

    #[test]
    fn form_fields_round_trip_in_the_zone() {
        let at = at("2025-03-14T09:05:00Z");
        for zone in TimeZone::ALL {
            let text = form_input_text(Some(at), zone);
            assert_eq!(parse_form_input(&text, zone), Some(at), "{zone}");
        }
        assert_eq!(form_input_text(Some(at), TimeZone::Wit), "2025-03-14T18:05");
        assert_eq!(form_input_text(None, TimeZone::Wib), "");
        assert_eq!(
            parse_form_input("2025-03-14T16:05:30", TimeZone::Wib),
            Some(at + Duration::seconds(30))
        );
        assert_eq!(parse_form_input("14/03/2025", TimeZone::Wib), None);
    }

    #[test]
    fn zones_travel_by_their_iana_names() {
        for zone in TimeZone::ALL {
            assert_eq!(TimeZone::from_iana(zone.iana()), Some(zone));
            let json = serde_json::to_string(&zone).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", zone.iana()));
        }
        assert_eq!(TimeZone::from_iana("Europe/Paris"), None);
        assert_eq!(TimeZone::default(), TimeZone::Wib);
        assert_eq!(TimeZone::Wita.to_string(), "WITA (UTC+8)");
    }
}
