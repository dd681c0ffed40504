//! Attempt limits on the requests attackers repeat: log-in, sign-up, verification mail and
//! password reset, counted per client network and per e-mail address. One node counts in its own
//! memory; with Redis (`REDIS_URL`) every node counts in one place, so a guesser gains nothing by
//! spreading attempts over the nodes behind a load balancer.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use sha2::{Digest, Sha256};

/// Refused: try again after this long.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("too many attempts; retry in {} s", retry_after.as_secs())]
pub struct RateLimited {
    pub retry_after: Duration,
}

/// How often a limiter forgets the keys whose allowance has refilled completely: such an entry
/// says nothing a fresh one would not, and keeping them all lets a spread of addresses grow the
/// maps without end.
const FORGET_IDLE_EVERY: Duration = Duration::from_secs(60);

/// Allows a burst of attempts per client network and per e-mail address, refilled over time.
#[derive(Clone)]
pub struct AttemptLimiter {
    /// Names this limiter's counters in Redis.
    name: &'static str,
    quotas: [Quota; 2],
    shared: Option<SharedTally>,
    per_client: Arc<DefaultKeyedRateLimiter<String>>,
    per_email: Arc<DefaultKeyedRateLimiter<String>>,
    /// The e-mail allowance is per client too: one client's attempts on an address do not use
    /// up anyone else's.
    email_per_client: bool,
    last_forgotten: Arc<Mutex<Instant>>,
}

impl std::fmt::Debug for AttemptLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AttemptLimiter")
    }
}

/// `burst` at once, refilled at `rate` per minute.
fn per_minute(rate: u32, burst: u32) -> Quota {
    refilled(Quota::per_minute, rate, burst)
}

/// `burst` at once, refilled at `rate` per hour.
fn per_hour(rate: u32, burst: u32) -> Quota {
    refilled(Quota::per_hour, rate, burst)
}

fn refilled(period: fn(NonZeroU32) -> Quota, rate: u32, burst: u32) -> Quota {
    let at_least_one = |n| NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN);
    period(at_least_one(rate)).allow_burst(at_least_one(burst))
}

/// What a client is counted as. An IPv6 customer is usually given a whole /64, so each of its
/// addresses counting apart would give one attacker 2^64 allowances; an IPv4 address mapped into
/// IPv6 is the IPv4 address it carries.
pub fn client_key(ip: &str) -> String {
    match ip.parse::<IpAddr>().map(|ip| ip.to_canonical()) {
        Ok(IpAddr::V6(v6)) => {
            let network = u128::from(v6) & !(u128::from(u64::MAX));
            format!("{}/64", std::net::Ipv6Addr::from(network))
        }
        Ok(IpAddr::V4(v4)) => v4.to_string(),
        Err(_) => ip.to_owned(),
    }
}

impl AttemptLimiter {
    pub fn new(name: &'static str, per_client: Quota, per_email: Quota) -> Self {
        Self {
            name,
            quotas: [per_client, per_email],
            shared: None,
            per_client: Arc::new(RateLimiter::keyed(per_client)),
            per_email: Arc::new(RateLimiter::keyed(per_email)),
            email_per_client: false,
            last_forgotten: Arc::new(Mutex::new(Instant::now())),
        }
    }

    /// Counts the attempts on an address per client: for checks whose refusal must never reach
    /// the address's owner trying from elsewhere (a log-in).
    pub fn with_email_counted_per_client(self) -> Self {
        Self {
            email_per_client: true,
            ..self
        }
    }

    /// Counts in `tally`, shared by every node that uses it, instead of in this process.
    pub fn shared_through(self, tally: SharedTally) -> Self {
        Self {
            shared: Some(tally),
            ..self
        }
    }

    /// Counts one attempt from `ip` for `email`, or says how long to wait. With a shared tally
    /// that cannot be reached, the attempt is counted in this process: limited per node for that
    /// while, never not at all.
    pub async fn check(&self, ip: &str, email: &str) -> Result<(), RateLimited> {
        let client = client_key(ip);
        let mut email = email.trim().to_lowercase();
        if self.email_per_client {
            email = format!("{email} from {client}");
        }
        if let Some(tally) = &self.shared {
            match tally.count(self.name, [&client, &email], self.quotas).await {
                Ok(verdict) => return verdict,
                Err(error) => {
                    tracing::warn!(%error, limiter = self.name, "Redis unreachable; attempts counted on this node")
                }
            }
        }
        self.count_here(client, email)
    }

    fn count_here(&self, client: String, email: String) -> Result<(), RateLimited> {
        self.forget_idle_now_and_then();
        let now = DefaultClock::default().now();
        for (limiter, key) in [(&self.per_client, client), (&self.per_email, email)] {
            if let Err(not_until) = limiter.check_key(&key) {
                let wait = not_until.wait_time_from(now);
                return Err(RateLimited {
                    retry_after: wait.max(Duration::from_secs(1)),
                });
            }
        }
        Ok(())
    }

    fn forget_idle_now_and_then(&self) {
        let mut last = self
            .last_forgotten
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if last.elapsed() >= FORGET_IDLE_EVERY {
            *last = Instant::now();
            drop(last);
            self.forget_idle();
        }
    }

    /// Drops every key whose allowance is full again.
    pub fn forget_idle(&self) {
        for limiter in [&self.per_client, &self.per_email] {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }

    /// How many clients and e-mail addresses are remembered.
    pub fn remembered(&self) -> usize {
        self.per_client.len() + self.per_email.len()
    }
}

/// Counts attempts in Redis for every node at once, by the same rule as the in-process
/// limiter (GCRA: a burst, refilled at a steady rate), in one script so concurrent attempts
/// from several nodes are each counted. Time is Redis's own, so the nodes' clocks need not
/// agree. Keys hold a hash, not the e-mail address or client they count.
#[derive(Clone)]
pub struct SharedTally {
    redis: redis::aio::ConnectionManager,
    prefix: String,
}

impl std::fmt::Debug for SharedTally {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedTally")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

/// For each key in turn: refused (answering the microseconds to wait) if its next attempt is
/// not yet due, else counted. A key expires once its allowance is full again.
const COUNT_ATTEMPT: &str = r"
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
for i, key in ipairs(KEYS) do
  local interval = tonumber(ARGV[2 * i - 1])
  local burst = tonumber(ARGV[2 * i])
  local due = math.max(tonumber(redis.call('GET', key)) or now, now)
  local next_due = due + interval
  local allowed_from = next_due - burst * interval
  if allowed_from > now then
    return allowed_from - now
  end
  redis.call('SET', key, string.format('%d', next_due), 'PX', math.ceil((next_due - now) / 1000))
end
return 0
";

impl SharedTally {
    /// Connects now, so a wrong `REDIS_URL` stops start-up rather than the first log-in.
    /// `prefix` keeps installations (and tests) sharing one Redis apart.
    pub async fn connect(url: &str, prefix: &str) -> Result<Self, redis::RedisError> {
        let client = redis::Client::open(url)?;
        Ok(Self {
            redis: redis::aio::ConnectionManager::new(client).await?,
            prefix: prefix.to_owned(),
        })
    }

    /// Whether Redis answers now, for the admin health page.
    pub async fn ping(&self) -> Result<(), redis::RedisError> {
        redis::cmd("PING")
            .query_async::<String>(&mut self.redis.clone())
            .await
            .map(drop)
    }

    async fn count(
        &self,
        limiter: &str,
        keys: [&str; 2],
        quotas: [Quota; 2],
    ) -> Result<Result<(), RateLimited>, redis::RedisError> {
        static SCRIPT: std::sync::LazyLock<redis::Script> =
            std::sync::LazyLock::new(|| redis::Script::new(COUNT_ATTEMPT));
        let mut invocation = SCRIPT.prepare_invoke();
        for (side, (key, quota)) in ["client", "email"].iter().zip(keys.into_iter().zip(quotas)) {
            let hashed = format!("{:x}", Sha256::digest(key.as_bytes()));
            invocation
                .key(format!("{}:limit:{limiter}:{side}:{hashed}", self.prefix))
                .arg(quota.replenish_interval().as_micros() as u64)
                .arg(quota.burst_size().get());
        }
        let wait_micros: u64 = invocation.invoke_async(&mut self.redis.clone()).await?;
        Ok(if wait_micros == 0 {
            Ok(())
        } else {
            Err(RateLimited {
                retry_after: Duration::from_micros(wait_micros).max(Duration::from_secs(1)),
            })
        })
    }
}

/// The limits of the endpoints anyone can call: the account ones and browser error reports.
#[derive(Clone, Debug)]
pub struct AuthLimits {
    /// Log-ins, and the other checks of a password (changing it, turning two-step off): a
    /// client guessing one address is slowed after a few tries, while the owner, anywhere else,
    /// is not held up at all.
    pub login: AttemptLimiter,
    pub password_reset: AttemptLimiter,
    /// Checked before any password is hashed, and also keyed by the address being signed up:
    /// sign-up mails that address (a welcome or an "already registered" notice).
    pub sign_up: AttemptLimiter,
    /// Keyed by the account's address: each resend is one more e-mail to it.
    pub verification_mail: AttemptLimiter,
    /// Browser error reports, which anyone can send: counted per client, and all together
    /// under [`ALL_REPORTS`] so a crowd of clients cannot flood the error tracker either.
    pub error_reports: AttemptLimiter,
}

/// The key every browser error report is also counted under.
pub const ALL_REPORTS: &str = "all reports";

impl Default for AuthLimits {
    fn default() -> Self {
        Self {
            // A person mistyping gets several tries; a script gets a few per minute.
            login: AttemptLimiter::new("login", per_minute(20, 20), per_minute(6, 10))
                .with_email_counted_per_client(),
            password_reset: AttemptLimiter::new("reset", per_minute(5, 5), per_minute(1, 3)),
            // A household or office behind one address signs up a few people; nobody signs up
            // one address more than a few times a day.
            sign_up: AttemptLimiter::new("sign_up", per_minute(3, 10), per_hour(3, 3)),
            verification_mail: AttemptLimiter::new(
                "verification_mail",
                per_minute(5, 5),
                per_hour(5, 3),
            ),
            // A broken page reports a few errors per load; a reload loop is not a reason to
            // send hundreds.
            error_reports: AttemptLimiter::new(
                "error_reports",
                per_minute(10, 10),
                per_minute(600, 600),
            ),
        }
    }
}

impl AuthLimits {
    /// Every limit counted in `tally`, across the nodes that share it.
    pub fn shared_through(self, tally: &SharedTally) -> Self {
        Self {
            login: self.login.shared_through(tally.clone()),
            password_reset: self.password_reset.shared_through(tally.clone()),
            sign_up: self.sign_up.shared_through(tally.clone()),
            verification_mail: self.verification_mail.shared_through(tally.clone()),
            error_reports: self.error_reports.shared_through(tally.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn bursts_pass_then_a_wait_is_given() {
        let limiter = AttemptLimiter::new("test", per_minute(60, 10), per_minute(1, 2));
        assert!(limiter.check("203.0.113.1", "a@example.com").await.is_ok());
        assert!(limiter.check("203.0.113.1", "A@example.com ").await.is_ok());
        let refused = limiter
            .check("203.0.113.1", "a@example.com")
            .await
            .unwrap_err();
        assert!(refused.retry_after >= Duration::from_secs(1));
        // Another e-mail from the same IP is still allowed (the IP limit is higher).
        assert!(limiter.check("203.0.113.1", "b@example.com").await.is_ok());
    }

    #[tokio::test]
    async fn one_ip_is_limited_across_emails() {
        let limiter = AttemptLimiter::new("test", per_minute(1, 3), per_minute(60, 60));
        for n in 0..3 {
            assert!(
                limiter
                    .check("198.51.100.9", &format!("u{n}@example.com"))
                    .await
                    .is_ok()
            );
        }
        assert!(
            limiter
                .check("198.51.100.9", "u9@example.com")
                .await
                .is_err()
        );
        assert!(
            limiter
                .check("198.51.100.10", "u9@example.com")
                .await
                .is_ok()
        );
    }

    #[tokio::test]
    async fn an_ipv6_network_counts_as_one_client() {
        let limiter = AttemptLimiter::new("test", per_minute(1, 2), per_minute(60, 60));
        assert!(
            limiter
                .check("2001:db8:7:1::1", "a@example.com")
                .await
                .is_ok()
        );
        assert!(
            limiter
                .check("2001:db8:7:1:ffff::9", "b@example.com")
                .await
                .is_ok()
        );
        assert!(
            limiter
                .check("2001:db8:7:1:abcd::2", "c@example.com")
                .await
                .is_err(),
            "a third address of the same /64 is the same client"
        );
        assert!(
            limiter
                .check("2001:db8:7:2::1", "c@example.com")
                .await
                .is_ok()
        );
    }

    #[test]
    fn client_keys_are_networks_for_ipv6_and_addresses_for_ipv4() {
        assert_eq!(client_key("2001:db8:7:1:2:3:4:5"), "2001:db8:7:1::/64");
        assert_eq!(client_key("::ffff:203.0.113.7"), "203.0.113.7");
        assert_eq!(client_key("203.0.113.7"), "203.0.113.7");
        assert_eq!(client_key("unknown"), "unknown");
    }

    #[tokio::test]
    async fn keys_whose_allowance_refilled_are_forgotten() {
        let refills_at_once = Quota::with_period(Duration::from_millis(1))
            .expect("a non-zero period")
            .allow_burst(NonZeroU32::MIN);
        let limiter = AttemptLimiter::new("test", refills_at_once, refills_at_once);
        for n in 0..50 {
            limiter
                .check(&format!("198.51.100.{n}"), &format!("u{n}@example.com"))
                .await
                .expect("first attempt of each");
        }
        assert_eq!(limiter.remembered(), 100);
        std::thread::sleep(Duration::from_millis(20));
        limiter.forget_idle();
        assert_eq!(limiter.remembered(), 0);
    }

    #[tokio::test]
    async fn sign_up_is_limited_per_address_signed_up() {
        let limits = AuthLimits::default();
        for n in 0..3 {
            limits
                .sign_up
                .check(&format!("203.0.113.{n}"), "victim@example.com")
                .await
                .expect("the first sign-ups of one address");
        }
        assert!(
            limits
                .sign_up
                .check("203.0.113.99", "victim@example.com")
                .await
                .is_err(),
            "a fourth sign-up of one address within the hour, from anywhere, waits"
        );
    }

    #[tokio::test]
    async fn a_guesser_on_one_address_does_not_hold_up_its_owner() {
        let limits = AuthLimits::default();
        let mut guesses = 0;
        while guesses < 20
            && limits
                .login
                .check("203.0.113.9", "owner@example.com")
                .await
                .is_ok()
        {
            guesses += 1;
        }
        assert_eq!(guesses, 10, "the guesser is slowed after a few tries");
        assert!(
            limits
                .login
                .check("198.51.100.20", "owner@example.com")
                .await
                .is_ok(),
            "the owner, from their own network, is not"
        );
        assert!(
            limits
                .login
                .check("203.0.113.9", "other@example.com")
                .await
                .is_ok(),
            "other addresses from the guesser's network count on their own"
        );
    }

    /// The Redis the test command starts.
    fn redis_url() -> String {
        std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned())
    }

    /// A tally of this test's own (its own prefix).
    async fn shared_tally() -> SharedTally {
        let prefix = format!("test-{}", uuid::Uuid::new_v4());
        SharedTally::connect(&redis_url(), &prefix)
            .await
            .expect("Redis at TEST_REDIS_URL (scripts/services starts one)")
    }

    #[tokio::test]
    async fn nodes_sharing_redis_count_one_guesser_together() {
        let tally = shared_tally().await;
        // Two nodes: each its own limiter and connection, one tally.
        let nodes = [
            AuthLimits::default().shared_through(
                &SharedTally::connect(&redis_url(), &tally.prefix)
                    .await
                    .unwrap(),
            ),
            AuthLimits::default().shared_through(&tally),
        ];
        let mut allowed = 0;
        for attempt in 0..20 {
            let node = &nodes[attempt % 2];
            if node
                .login
                .check("203.0.113.9", "owner@example.com")
                .await
                .is_ok()
            {
                allowed += 1;
            }
        }
        assert_eq!(allowed, 10, "the burst of one node, not of each");
        let refused = nodes[0]
            .login
            .check("203.0.113.9", "owner@example.com")
            .await
            .unwrap_err();
        assert!(refused.retry_after >= Duration::from_secs(1));
        assert!(
            nodes[1]
                .login
                .check("198.51.100.20", "owner@example.com")
                .await
                .is_ok(),
            "the owner, elsewhere, is not held up on any node"
        );
        for node in &nodes {
            assert_eq!(node.login.remembered(), 0, "nothing was counted in process");
        }
    }

    #[tokio::test]
    async fn a_shared_allowance_refills_and_its_keys_expire() {
        let tally = shared_tally().await;
        let refills = Quota::with_period(Duration::from_millis(200))
            .expect("a non-zero period")
            .allow_burst(NonZeroU32::MIN.saturating_add(1));
        let limiter = AttemptLimiter::new("test", refills, refills).shared_through(tally.clone());
        assert!(limiter.check("203.0.113.1", "a@example.com").await.is_ok());
        assert!(limiter.check("203.0.113.1", "a@example.com").await.is_ok());
        assert!(limiter.check("203.0.113.1", "a@example.com").await.is_err());
        tokio::time::sleep(Duration::from_millis(250)).await;
        assert!(limiter.check("203.0.113.1", "a@example.com").await.is_ok());
        tokio::time::sleep(Duration::from_millis(700)).await;
        let left: Vec<String> = redis::cmd("KEYS")
            .arg(format!("{}:*", tally.prefix))
            .query_async(&mut tally.redis.clone())
            .await
            .unwrap();
        assert!(
            left.is_empty(),
            "keys whose allowance is full again expire: {left:?}"
        );
    }
}
