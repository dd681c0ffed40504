//! What a payment channel demands beyond its fee and amount limits, which Tripay's channel list
//! does not say: how long its pay code may live, and whether it needs the customer's phone.
//!
//! Tripay refuses an `expired_time` outside the channel's window, and the windows differ: at
//! least 15 minutes for every channel, at most 1 440 minutes for BNIVA, longer for some other
//! virtual accounts (`../shared/docs/tripay.md`). Without an operator's word for a channel
//! (`TRIPAY_CHANNEL_EXPIRY`), its pay code lives at most 24 hours, which every channel allows
//! and Tripay's own libraries default to; an invoice payable for longer simply gets a new pay
//! code when the customer pays after that.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};

/// The shortest and longest life a channel allows its pay code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExpiryWindow {
    pub shortest: Duration,
    pub longest: Duration,
}

impl ExpiryWindow {
    pub const fn minutes(shortest: i64, longest: i64) -> Self {
        Self {
            shortest: Duration::minutes(shortest),
            longest: Duration::minutes(longest),
        }
    }

    /// When a pay code made `now` for an invoice payable until `payable_until` expires: the
    /// invoice's own end, brought within the window; `None` when less than the shortest life is
    /// left, so the channel cannot be offered.
    pub fn expiry(self, now: DateTime<Utc>, payable_until: DateTime<Utc>) -> Option<DateTime<Utc>> {
        (payable_until - now >= self.shortest).then(|| payable_until.min(now + self.longest))
    }
}

/// Every channel's window unless the operator says otherwise.
pub const DEFAULT_WINDOW: ExpiryWindow = ExpiryWindow::minutes(15, 1_440);

/// Channels Tripay cannot charge without the customer's phone number: OVO asks the customer to
/// approve the payment in the app registered to that number.
const PHONE_CHANNELS: &[&str] = &["OVO"];

/// Whether paying through `channel` needs the customer's phone number.
pub fn needs_phone(channel: &str) -> bool {
    PHONE_CHANNELS
        .iter()
        .any(|code| code.eq_ignore_ascii_case(channel))
}

/// A phone number as our profiles keep it (`+62812…`) in the form Tripay documents (`0812…`).
pub fn local_phone(international: &str) -> String {
    match international.strip_prefix("+62") {
        Some(rest) => format!("0{rest}"),
        None => international.to_owned(),
    }
}

/// The windows the operator gave for some channels; the rest get [`DEFAULT_WINDOW`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExpiryWindows(HashMap<String, ExpiryWindow>);

impl ExpiryWindows {
    pub fn window(&self, channel: &str) -> ExpiryWindow {
        self.0
            .get(&channel.to_ascii_uppercase())
            .copied()
            .unwrap_or(DEFAULT_WINDOW)
    }

    /// Reads `BRIVA=15-43200, QRIS=15-60`: a channel code and its shortest and longest life in
    /// minutes, as Tripay's merchant panel lists them. Each mistake is named in the answer.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut windows = HashMap::new();
        for entry in text
            .split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
        {
            let wrong = || {
                format!(
                    "`{entry}` is not CODE=SHORTEST-LONGEST in minutes, for example BRIVA=15-43200"
                )
            };
            let (code, range) = entry.split_once('=').ok_or_else(wrong)?;
            let code = code.trim();
            if code.is_empty() || !code.chars().all(|c| c.is_ascii_alphanumeric()) {
                return Err(wrong());
            }
            let (shortest, longest) = range.split_once('-').ok_or_else(wrong)?;
            let minutes = |text: &str| text.trim().parse::<i64>().map_err(|_| wrong());
            let (shortest, longest) = (minutes(shortest)?, minutes(longest)?);
            // A pay code must outlive the customer's trip to the bank app, and no channel keeps
            // one longer than a month and a half.
            if !(1..=longest).contains(&shortest) || longest > 60 * 24 * 45 {
                return Err(format!(
                    "`{entry}`: the shortest life must be at least 1 minute and no longer than the \
                     longest, and the longest at most 64 800 minutes (45 days)"
                ));
            }
            let code = code.to_ascii_uppercase();
            if windows
                .insert(code.clone(), ExpiryWindow::minutes(shortest, longest))
                .is_some()
            {
                return Err(format!("{code} is given twice"));
            }
        }
        Ok(Self(windows))
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(minutes: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 7, 9, 0, 0).unwrap() + Duration::minutes(minutes)
    }

    #[test]
    fn an_expiry_is_the_invoices_own_brought_within_the_window() {
        let window = DEFAULT_WINDOW;
        // A renewal payable for 23 days: a day, BNIVA's longest.
        assert_eq!(window.expiry(at(0), at(23 * 24 * 60)), Some(at(1_440)));
        // A new order's invoice with 20 hours left keeps its own end.
        assert_eq!(window.expiry(at(0), at(20 * 60)), Some(at(20 * 60)));
        // Exactly the shortest life left is still enough; a minute less is not.
        assert_eq!(window.expiry(at(0), at(15)), Some(at(15)));
        assert_eq!(window.expiry(at(0), at(14)), None);
        assert_eq!(window.expiry(at(0), at(-5)), None);
        let long = ExpiryWindow::minutes(60, 43_200);
        assert_eq!(long.expiry(at(0), at(23 * 24 * 60)), Some(at(23 * 24 * 60)));
        assert_eq!(long.expiry(at(0), at(45)), None);
    }

    #[test]
    fn operator_windows_are_read_per_channel() {
        let windows = ExpiryWindows::parse(" briva=15-43200, QRIS = 5 - 60 ,").unwrap();
        assert_eq!(windows.window("BRIVA"), ExpiryWindow::minutes(15, 43_200));
        assert_eq!(windows.window("qris"), ExpiryWindow::minutes(5, 60));
        assert_eq!(windows.window("BNIVA"), DEFAULT_WINDOW);
        assert_eq!(ExpiryWindows::parse("").unwrap(), ExpiryWindows::default());
    }

    #[test]
    fn operator_windows_name_their_mistakes() {
        for (text, named) in [
            ("BRIVA", "`BRIVA` is not CODE=SHORTEST-LONGEST"),
            ("BRIVA=15", "`BRIVA=15` is not"),
            ("BRIVA=a-b", "`BRIVA=a-b` is not"),
            ("BR IVA=15-60", "`BR IVA=15-60` is not"),
            ("=15-60", "`=15-60` is not"),
            ("BRIVA=60-15", "no longer than the longest"),
            ("BRIVA=0-15", "at least 1 minute"),
            ("BRIVA=15-99999", "at most 64 800 minutes"),
            ("BRIVA=15-60,briva=15-90", "BRIVA is given twice"),
        ] {
            let error = ExpiryWindows::parse(text).unwrap_err();
            assert!(error.contains(named), "{text}: {error}");
        }
    }

    #[test]
    fn phones_go_to_tripay_in_the_local_form() {
        assert_eq!(local_phone("+6281234567890"), "081234567890");
        assert_eq!(local_phone("081234567890"), "081234567890");
        assert!(needs_phone("OVO") && needs_phone("ovo"));
        assert!(!needs_phone("QRIS") && !needs_phone("BRIVA"));
    }
}
