//! Attempt limits on the requests attackers repeat: log-in and password reset, counted per
//! client IP and per e-mail address, in this process (shared limits across nodes come with Redis).

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// Refused: try again after this long.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("too many attempts; retry in {} s", retry_after.as_secs())]
pub struct RateLimited {
    pub retry_after: Duration,
}

/// Allows `burst` attempts at once per IP and per e-mail, refilled at `per_minute`.
#[derive(Clone)]
pub struct AttemptLimiter {
    per_ip: Arc<DefaultKeyedRateLimiter<String>>,
    per_email: Arc<DefaultKeyedRateLimiter<String>>,
}

impl std::fmt::Debug for AttemptLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AttemptLimiter")
    }
}

fn quota(per_minute: u32, burst: u32) -> Quota {
    let per_minute = NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN);
    let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
    Quota::per_minute(per_minute).allow_burst(burst)
}

impl AttemptLimiter {
    pub fn new(ip_per_minute: u32, ip_burst: u32, email_per_minute: u32, email_burst: u32) -> Self {
        Self {
            per_ip: Arc::new(RateLimiter::keyed(quota(ip_per_minute, ip_burst))),
            per_email: Arc::new(RateLimiter::keyed(quota(email_per_minute, email_burst))),
        }
    }

    /// Counts one attempt from `ip` for `email`, or says how long to wait.
    pub fn check(&self, ip: &str, email: &str) -> Result<(), RateLimited> {
        let email = email.trim().to_lowercase();
        let now = DefaultClock::default().now();
        for (limiter, key) in [(&self.per_ip, ip.to_owned()), (&self.per_email, email)] {
            if let Err(not_until) = limiter.check_key(&key) {
                let wait = not_until.wait_time_from(now);
                return Err(RateLimited {
                    retry_after: wait.max(Duration::from_secs(1)),
                });
            }
        }
        Ok(())
    }
}

/// The limits the account endpoints use.
#[derive(Clone, Debug)]
pub struct AuthLimits {
    pub login: AttemptLimiter,
    pub password_reset: AttemptLimiter,
}

impl Default for AuthLimits {
    fn default() -> Self {
        Self {
            // A person mistyping gets several tries; a script gets a few per minute.
            login: AttemptLimiter::new(20, 20, 6, 10),
            password_reset: AttemptLimiter::new(5, 5, 1, 3),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bursts_pass_then_a_wait_is_given() {
        let limiter = AttemptLimiter::new(60, 10, 1, 2);
        assert!(limiter.check("203.0.113.1", "a@example.com").is_ok());
        assert!(limiter.check("203.0.113.1", "A@example.com ").is_ok());
        let refused = limiter.check("203.0.113.1", "a@example.com").unwrap_err();
        assert!(refused.retry_after >= Duration::from_secs(1));
        // Another e-mail from the same IP is still allowed (the IP limit is higher).
        assert!(limiter.check("203.0.113.1", "b@example.com").is_ok());
    }

    #[test]
    fn one_ip_is_limited_across_emails() {
        let limiter = AttemptLimiter::new(1, 3, 60, 60);
        for n in 0..3 {
            assert!(
                limiter
                    .check("198.51.100.9", &format!("u{n}@example.com"))
                    .is_ok()
            );
        }
        assert!(limiter.check("198.51.100.9", "u9@example.com").is_err());
        assert!(limiter.check("198.51.100.10", "u9@example.com").is_ok());
    }
}
