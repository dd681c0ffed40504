//! Refused payment callbacks, counted before anything is written. Anyone can post to the
//! callback endpoint, so a flood of forged callbacks must neither push real events out of the
//! admin's audit log nor keep the database busy:
//! - each reason of refusal is written to the audit log at most once a minute, with how many
//!   refusals of that reason the entry stands for (and told to the admins, held further to one
//!   notice per half hour by [`alerts`](crate::notifications::alerts));
//! - a client whose unsigned callbacks keep being refused is answered "too many" for the rest
//!   of the minute without anything being looked up. Only a callback whose signature fails is
//!   held against its sender: a signed one is the gateway's (or comes with its key), and a
//!   forger behind the same address (a proxy) must not be able to cut the gateway off.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::rate_limit::client_key;

/// Why a callback was refused, of the refusals that are recorded (audit log, admins' notices).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Refusal {
    /// Unsigned, or signed with another key: a forgery, or our key is not the gateway's.
    BadSignature,
    /// Signed, for a payment we have no record of.
    UnknownReference,
    /// Signed, but its invoice or amount is not the payment's.
    Mismatch,
}

impl Refusal {
    /// The audit log's action for it.
    pub fn action(self) -> &'static str {
        match self {
            Self::BadSignature => "payment_callback_bad_signature",
            Self::UnknownReference => "payment_callback_unknown_reference",
            Self::Mismatch => "payment_callback_mismatch",
        }
    }
}

/// How long a tally lasts: a reason's audit entry, and a client's allowance of refusals.
const WINDOW: Duration = Duration::from_secs(60);

/// Bad signatures one client may send in a [`WINDOW`] before it is no longer listened to.
pub const BAD_SIGNATURES_ALLOWED: u32 = 20;

/// Client windows kept before the finished ones are swept out.
const CLIENTS_BEFORE_SWEEP: usize = 4096;

#[derive(Debug, Default)]
pub(crate) struct Refusals {
    reasons: Mutex<HashMap<Refusal, ReasonTally>>,
    clients: Mutex<HashMap<String, ClientWindow>>,
}

#[derive(Debug)]
struct ReasonTally {
    /// Refusals since the last audit entry of this reason (or since start).
    unwritten: u64,
    last_written: Option<Instant>,
}

#[derive(Debug)]
struct ClientWindow {
    started: Instant,
    bad_signatures: u32,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // Each change is one counter update: a panic cannot leave a map half-changed.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Refusals {
    /// Whether `ip` has had its fill of refused signatures this minute.
    pub(crate) fn is_cut_off(&self, ip: Option<&str>, now: Instant) -> bool {
        let Some(ip) = ip else { return false };
        lock(&self.clients)
            .get(&client_key(ip))
            .is_some_and(|window| {
                now.duration_since(window.started) < WINDOW
                    && window.bad_signatures >= BAD_SIGNATURES_ALLOWED
            })
    }

    /// Holds one bad signature against `ip`.
    pub(crate) fn count_bad_signature(&self, ip: Option<&str>, now: Instant) {
        let Some(ip) = ip else { return };
        let mut clients = lock(&self.clients);
        if clients.len() >= CLIENTS_BEFORE_SWEEP {
            clients.retain(|_, window| now.duration_since(window.started) < WINDOW);
        }
        let window = clients.entry(client_key(ip)).or_insert(ClientWindow {
            started: now,
            bad_signatures: 0,
        });
        if now.duration_since(window.started) >= WINDOW {
            window.started = now;
            window.bad_signatures = 0;
        }
        window.bad_signatures += 1;
    }

    /// Counts one refusal for `reason`; answers how many refusals an audit entry written now
    /// stands for, or `None` while this reason's entry of the last minute stands.
    pub(crate) fn count(&self, reason: Refusal, now: Instant) -> Option<u64> {
        let mut reasons = lock(&self.reasons);
        let tally = reasons.entry(reason).or_insert(ReasonTally {
            unwritten: 0,
            last_written: None,
        });
        tally.unwritten += 1;
        let due = tally
            .last_written
            .is_none_or(|last| now.duration_since(last) >= WINDOW);
        due.then(|| {
            tally.last_written = Some(now);
            std::mem::take(&mut tally.unwritten)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reason_is_written_once_a_minute_with_what_it_stands_for() {
        let refusals = Refusals::default();
        let start = Instant::now();
        assert_eq!(refusals.count(Refusal::BadSignature, start), Some(1));
        for n in 1..=9 {
            let at = start + Duration::from_secs(n);
            assert_eq!(refusals.count(Refusal::BadSignature, at), None);
        }
        assert_eq!(
            refusals.count(Refusal::Mismatch, start + Duration::from_secs(5)),
            Some(1),
            "each reason has its own minute"
        );
        assert_eq!(
            refusals.count(Refusal::BadSignature, start + WINDOW),
            Some(10),
            "the nine held back and this one"
        );
        assert_eq!(
            refusals.count(
                Refusal::BadSignature,
                start + WINDOW + Duration::from_secs(1)
            ),
            None
        );
    }

    #[test]
    fn a_client_is_cut_off_for_the_rest_of_its_minute() {
        let refusals = Refusals::default();
        let start = Instant::now();
        let forger = Some("203.0.113.50");
        for _ in 0..BAD_SIGNATURES_ALLOWED {
            assert!(!refusals.is_cut_off(forger, start));
            refusals.count_bad_signature(forger, start);
        }
        assert!(refusals.is_cut_off(forger, start + Duration::from_secs(59)));
        assert!(
            refusals.is_cut_off(Some("203.0.113.50"), start),
            "the same address"
        );
        assert!(!refusals.is_cut_off(Some("203.0.113.51"), start));
        assert!(!refusals.is_cut_off(None, start));
        assert!(
            !refusals.is_cut_off(forger, start + WINDOW),
            "heard again after its minute"
        );
        refusals.count_bad_signature(forger, start + WINDOW);
        assert!(!refusals.is_cut_off(forger, start + WINDOW));
    }

    #[test]
    fn finished_client_windows_are_swept_out() {
        let refusals = Refusals::default();
        let start = Instant::now();
        for n in 0..CLIENTS_BEFORE_SWEEP {
            refusals.count_bad_signature(Some(&format!("10.0.{}.{}", n / 256, n % 256)), start);
        }
        refusals.count_bad_signature(Some("192.0.2.1"), start + WINDOW);
        assert_eq!(lock(&refusals.clients).len(), 1);
    }
}
