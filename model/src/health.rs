//! The admin health page: how each part of the platform is doing, and the [`Level`] each is
//! drawn with. The levels are worked out here, once, from the facts, so the page and anything
//! else reading the summary judge alike.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// How a part is doing, from least to most alarming: the summary's own level is the worst of
/// its parts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Nothing to judge: not configured, or not used yet.
    Idle,
    Ok,
    /// Works, but a person should look (a dead job, a migration not applied).
    Warning,
    Failing,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Idle => "idle",
            Self::Ok => "ok",
            Self::Warning => "warning",
            Self::Failing => "failing",
        }
    }
}

/// A queue whose oldest due job has waited this long is behind.
pub const JOB_LAG_WARNING_SECS: i64 = 60;
/// ... and this long, is not being worked at all (no worker runs, or every slot is stuck).
pub const JOB_LAG_FAILING_SECS: i64 = 600;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthSummary {
    pub checked_at: DateTime<Utc>,
    /// The running build's version, and the commit it was built from when the build knew it.
    pub version: String,
    pub commit: Option<String>,
    pub database: DatabaseHealth,
    pub redis: RedisHealth,
    /// Every job kind the queue has seen, by name.
    pub jobs: Vec<JobKindHealth>,
    /// Every enabled cloud provider, by name.
    pub providers: Vec<ProviderHealth>,
    pub payments: PaymentHealth,
    pub email: DeliveryHealth,
    pub telegram: DeliveryHealth,
}

impl HealthSummary {
    /// The worst level of any part.
    pub fn level(&self) -> Level {
        [
            self.database.level(),
            self.redis.level(),
            self.payments.level(),
            self.email.level(),
            self.telegram.level(),
        ]
        .into_iter()
        .chain(self.jobs.iter().map(JobKindHealth::level))
        .chain(
            self.providers
                .iter()
                .map(|provider| provider.outcome.level()),
        )
        .max()
        .unwrap_or(Level::Idle)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatabaseHealth {
    /// `sqlite` or `postgres`.
    pub backend: String,
    pub reachable: bool,
    /// Migrations this build ships that the database has not applied.
    pub pending_migrations: Vec<i64>,
}

impl DatabaseHealth {
    pub fn level(&self) -> Level {
        if !self.reachable {
            Level::Failing
        } else if !self.pending_migrations.is_empty() {
            Level::Warning
        } else {
            Level::Ok
        }
    }
}

/// Redis is optional (`REDIS_URL`): one node needs none.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum RedisHealth {
    NotConfigured,
    Reachable,
    Unreachable { error: String },
}

impl RedisHealth {
    pub fn level(&self) -> Level {
        match self {
            Self::NotConfigured => Level::Idle,
            Self::Reachable => Level::Ok,
            Self::Unreachable { .. } => Level::Failing,
        }
    }
}

/// One kind of background job: how many wait, run and died, and how late the queue is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobKindHealth {
    pub kind: String,
    pub queued: i64,
    pub running: i64,
    pub dead: i64,
    /// How long the oldest queued job that is due has waited; 0 when none is due.
    pub lag_secs: i64,
}

impl JobKindHealth {
    pub fn level(&self) -> Level {
        if self.lag_secs >= JOB_LAG_FAILING_SECS {
            Level::Failing
        } else if self.dead > 0 || self.lag_secs >= JOB_LAG_WARNING_SECS {
            Level::Warning
        } else {
            Level::Ok
        }
    }
}

/// The latest success and failure of something outside: a cloud's API, a delivery channel.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    pub last_success_at: Option<DateTime<Utc>>,
    pub last_failure_at: Option<DateTime<Utc>>,
    /// What went wrong the last time, in the service's words.
    pub last_failure: Option<String>,
}

impl Outcome {
    /// Failing while the latest outcome is a failure; idle before the first.
    pub fn level(&self) -> Level {
        match (self.last_success_at, self.last_failure_at) {
            (None, None) => Level::Idle,
            (Some(success), Some(failure)) if success >= failure => Level::Ok,
            (Some(_), None) => Level::Ok,
            (_, Some(_)) => Level::Failing,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderHealth {
    /// `sandbox`, `digitalocean`, `vultr`, `linode`.
    pub name: String,
    pub outcome: Outcome,
}

/// The payment gateway and the last callback it sent that we accepted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentHealth {
    /// `tripay` or `sandbox`.
    pub gateway: String,
    pub last_callback_at: Option<DateTime<Utc>>,
    /// The payment channel of that callback's payment (`QRIS`, `BRIVA`…).
    pub last_callback_channel: Option<String>,
}

impl PaymentHealth {
    /// Only whether one ever came: a quiet day has no callbacks, and forged ones are refused
    /// without touching the database (the audit log counts them).
    pub fn level(&self) -> Level {
        if self.last_callback_at.is_some() {
            Level::Ok
        } else {
            Level::Idle
        }
    }
}

/// A channel messages leave through (e-mail over SMTP, the Telegram bot).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryHealth {
    pub configured: bool,
    /// Last delivered, last failed and why.
    pub outcome: Outcome,
    /// Deliveries queued or under way.
    pub pending: i64,
}

impl DeliveryHealth {
    pub fn level(&self) -> Level {
        if self.configured {
            self.outcome.level()
        } else {
            Level::Idle
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn outcome(success: Option<i64>, failure: Option<i64>) -> Outcome {
        let at = |minutes_ago: i64| Utc::now() - Duration::minutes(minutes_ago);
        Outcome {
            last_success_at: success.map(at),
            last_failure_at: failure.map(at),
            last_failure: failure.map(|_| "503".to_owned()),
        }
    }

    #[test]
    fn the_latest_outcome_decides() {
        assert_eq!(outcome(None, None).level(), Level::Idle);
        assert_eq!(outcome(Some(1), None).level(), Level::Ok);
        assert_eq!(outcome(None, Some(1)).level(), Level::Failing);
        assert_eq!(outcome(Some(1), Some(5)).level(), Level::Ok, "recovered");
        assert_eq!(outcome(Some(5), Some(1)).level(), Level::Failing);
    }

    #[test]
    fn a_queue_warns_when_late_or_dead_and_fails_when_stuck() {
        let kind = |dead, lag_secs| JobKindHealth {
            kind: "deliver_email".into(),
            queued: 3,
            running: 1,
            dead,
            lag_secs,
        };
        assert_eq!(kind(0, 0).level(), Level::Ok);
        assert_eq!(kind(1, 0).level(), Level::Warning);
        assert_eq!(kind(0, JOB_LAG_WARNING_SECS).level(), Level::Warning);
        assert_eq!(kind(0, JOB_LAG_FAILING_SECS).level(), Level::Failing);
    }

    #[test]
    fn the_summary_is_as_bad_as_its_worst_part() {
        let delivery = |configured| DeliveryHealth {
            configured,
            outcome: outcome(None, Some(1)),
            pending: 0,
        };
        let mut summary = HealthSummary {
            checked_at: Utc::now(),
            version: "0.1.0".into(),
            commit: None,
            database: DatabaseHealth {
                backend: "sqlite".into(),
                reachable: true,
                pending_migrations: Vec::new(),
            },
            redis: RedisHealth::NotConfigured,
            jobs: Vec::new(),
            providers: Vec::new(),
            payments: PaymentHealth {
                gateway: "sandbox".into(),
                last_callback_at: None,
                last_callback_channel: None,
            },
            email: delivery(false),
            telegram: delivery(false),
        };
        assert_eq!(
            summary.level(),
            Level::Ok,
            "unconfigured channels are not failures"
        );
        summary.database.pending_migrations.push(20_261_210_000_021);
        assert_eq!(summary.level(), Level::Warning);
        summary.email.configured = true;
        assert_eq!(summary.level(), Level::Failing);
    }
}
