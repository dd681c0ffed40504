//! Whether this node can serve (the database answers and its schema is up to date), and the
//! admin health page's summary of everything else: the job queue, each cloud provider, the
//! payment gateway's callbacks, e-mail and Telegram delivery, Redis.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use model::health::{
    DatabaseHealth, DeliveryHealth, HealthSummary, JobKindHealth, PaymentHealth, ProviderHealth,
    RedisHealth,
};
use model::status::JobState;

use crate::caller::{Caller, NotAdmin};
use crate::error::{Code, ErrorCode};
use crate::outcomes::{Outcomes, Service};
use crate::rate_limit::SharedTally;
use crate::{Backend, Db, DbError, DomainConfig, jobs, mail, notifications};

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Readiness {
    pub backend: Backend,
    pub database_reachable: bool,
    /// Migrations shipped in this binary that the database has not applied.
    pub pending_migrations: Vec<i64>,
}

impl Readiness {
    pub fn is_ready(&self) -> bool {
        self.database_reachable && self.pending_migrations.is_empty()
    }
}

/// Checks the database; failures are reported in the answer (and logged), never raised, since
/// "not ready" is the answer a load balancer asks for.
#[tracing::instrument(skip(db))]
pub async fn readiness(db: &Db) -> Readiness {
    let backend = db.backend();
    let checked = async {
        db.ping().await?;
        db.pending_migrations().await
    }
    .await;
    match checked {
        Ok(pending_migrations) => Readiness {
            backend,
            database_reachable: true,
            pending_migrations,
        },
        Err(error) => {
            tracing::warn!(%error, "readiness check failed");
            Readiness {
                backend,
                database_reachable: false,
                pending_migrations: Vec::new(),
            }
        }
    }
}

/// How long the health page waits for Redis to answer a PING.
const REDIS_TIMEOUT: Duration = Duration::from_secs(1);

/// What the admin health page reads: the parts of the platform and what they last did.
#[derive(Clone, Debug)]
pub struct Health {
    db: Db,
    /// The enabled providers' names.
    providers: Vec<&'static str>,
    redis: Option<SharedTally>,
    gateway: &'static str,
    smtp_delivery: bool,
    telegram: bool,
    commit: Option<&'static str>,
}

#[derive(Debug, thiserror::Error)]
pub enum HealthError {
    #[error(transparent)]
    Forbidden(#[from] NotAdmin),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl ErrorCode for HealthError {
    fn code(&self) -> Code {
        match self {
            Self::Forbidden(error) => error.code(),
            Self::Db(error) => error.code(),
        }
    }
}

impl Health {
    /// `gateway` names the payment gateway the billing module was given.
    pub fn new(db: Db, config: &DomainConfig, gateway: &'static str) -> Self {
        Self {
            db,
            providers: config
                .providers
                .all()
                .map(|provider| provider.name())
                .collect(),
            redis: config.shared_limits.clone(),
            gateway,
            smtp_delivery: config.smtp_delivery,
            telegram: config.telegram.is_some(),
            commit: config.build_commit,
        }
    }

    /// How everything is doing now; admins only.
    #[tracing::instrument(skip_all)]
    pub async fn summary(&self, caller: &Caller) -> Result<HealthSummary, HealthError> {
        caller.require_admin()?;
        let now = Utc::now();
        let readiness = readiness(&self.db).await;
        let redis = self.redis().await;
        let load = jobs::queue_load(&self.db, now).await?;
        let outcomes = Outcomes::read(&self.db).await?;
        let jobs = job_kinds(&load, now);
        let pending = |kind: &str| {
            jobs.iter()
                .find(|health| health.kind == kind)
                .map_or(0, |health| health.queued + health.running)
        };
        let callback = outcomes.of(Service::PaymentCallback);
        Ok(HealthSummary {
            checked_at: now,
            version: env!("CARGO_PKG_VERSION").to_owned(),
            commit: self.commit.map(str::to_owned),
            database: DatabaseHealth {
                backend: readiness.backend.as_str().to_owned(),
                reachable: readiness.database_reachable,
                pending_migrations: readiness.pending_migrations,
            },
            redis,
            providers: self
                .providers
                .iter()
                .map(|name| ProviderHealth {
                    name: (*name).to_owned(),
                    outcome: outcomes.of(Service::Provider(name)).into(),
                })
                .collect(),
            payments: PaymentHealth {
                gateway: self.gateway.to_owned(),
                last_callback_at: callback.last_success_at,
                last_callback_channel: callback.last_success_detail,
            },
            email: DeliveryHealth {
                configured: self.smtp_delivery,
                outcome: outcomes.of(Service::Email).into(),
                pending: pending(mail::delivery::JOB_KIND),
            },
            telegram: DeliveryHealth {
                configured: self.telegram,
                outcome: outcomes.of(Service::Telegram).into(),
                pending: pending(notifications::TELEGRAM_JOB),
            },
            jobs,
        })
    }

    async fn redis(&self) -> RedisHealth {
        let Some(tally) = &self.redis else {
            return RedisHealth::NotConfigured;
        };
        match tokio::time::timeout(REDIS_TIMEOUT, tally.ping()).await {
            Ok(Ok(())) => RedisHealth::Reachable,
            Ok(Err(error)) => RedisHealth::Unreachable {
                error: error.to_string(),
            },
            Err(_) => RedisHealth::Unreachable {
                error: format!("no answer within {} s", REDIS_TIMEOUT.as_secs()),
            },
        }
    }
}

/// Each kind's jobs by state, and how long its oldest due job has waited, by kind's name.
fn job_kinds(load: &jobs::QueueLoad, now: DateTime<Utc>) -> Vec<JobKindHealth> {
    let mut kinds: BTreeMap<&str, JobKindHealth> = BTreeMap::new();
    for (kind, state, count) in &load.counts {
        let health = kinds.entry(kind.as_str()).or_insert_with(|| JobKindHealth {
            kind: kind.clone(),
            queued: 0,
            running: 0,
            dead: 0,
            lag_secs: 0,
        });
        match JobState::parse(state) {
            Some(JobState::Queued) => health.queued += count,
            Some(JobState::Running) => health.running += count,
            Some(JobState::Dead) => health.dead += count,
            Some(JobState::Done) | None => {}
        }
    }
    for (kind, due) in &load.oldest_due {
        if let Some(health) = kinds.get_mut(kind.as_str()) {
            health.lag_secs = (now - *due).num_seconds().max(0);
        }
    }
    kinds.into_values().collect()
}
