//! Times as pages write them: in the reader's time zone, with the zone named. The zone travels in
//! the `tz` cookie, so a page reads the same rendered on the server and hydrated in the browser;
//! logging in and saving the profile set it from the account (see `model::time`).

use chrono::{DateTime, Utc};
use leptos::prelude::*;
pub use model::time::{Precision, TimeZone};

use crate::preferences::{read_cookie, write_cookie};

/// The cookie that remembers the reader's time zone, by its IANA name.
pub const TIME_ZONE_COOKIE: &str = "tz";

/// The reader's time zone, shared through context.
#[derive(Clone, Copy)]
pub struct TimeZoneState {
    zone: RwSignal<TimeZone>,
}

impl TimeZoneState {
    /// Read once: a page drawn after the zone changes (a save reloads the session) shows it.
    pub fn get(self) -> TimeZone {
        self.zone.get_untracked()
    }

    /// Shows times in `zone` from now on, on this page and the next ones.
    pub fn set(self, zone: TimeZone) {
        write_cookie(TIME_ZONE_COOKIE, zone.iana());
        self.zone.set(zone);
    }
}

pub fn provide_time_zone() -> TimeZoneState {
    let state = TimeZoneState {
        zone: RwSignal::new(remembered_zone()),
    };
    provide_context(state);
    state
}

pub fn use_time_zone() -> TimeZoneState {
    use_context::<TimeZoneState>().unwrap_or_else(provide_time_zone)
}

/// The zone the `tz` cookie names, or Jakarta's.
fn remembered_zone() -> TimeZone {
    read_cookie(TIME_ZONE_COOKIE)
        .and_then(|name| TimeZone::from_iana(&name))
        .unwrap_or_default()
}

/// The reader's zone: the app's, or outside it (a unit test) what the cookie says.
fn reader_zone() -> TimeZone {
    use_context::<TimeZoneState>().map_or_else(remembered_zone, TimeZoneState::get)
}

/// `at` in the reader's zone (`2025-03-14 16:05 WIB`).
pub fn time_text(at: DateTime<Utc>, precision: Precision) -> String {
    model::time::local_text(at, reader_zone(), precision)
}

/// As a `datetime-local` field takes a time in the reader's zone; empty for none.
pub fn form_input_text(at: Option<DateTime<Utc>>) -> String {
    model::time::form_input_text(at, reader_zone())
}
