//! The latest success and failure of each outside service the platform depends on: every
//! cloud's API, the payment gateway's callbacks, e-mail and Telegram delivery. The admin health
//! page reads them. One row per service, overwritten in place, so a record is one small upsert;
//! and recording never fails the work it records: a write that fails is logged and forgotten.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use crate::{Db, DbError, db_run};

/// What is watched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Service<'a> {
    /// A cloud provider's API, by the provider's name.
    Provider(&'a str),
    /// Callbacks from the payment gateway that passed every check.
    PaymentCallback,
    /// E-mail handed to the SMTP server.
    Email,
    /// Messages sent through the Telegram bot.
    Telegram,
}

impl Service<'_> {
    fn key(self) -> String {
        match self {
            Self::Provider(name) => format!("provider:{name}"),
            Self::PaymentCallback => "payment_callback".to_owned(),
            Self::Email => "email".to_owned(),
            Self::Telegram => "telegram".to_owned(),
        }
    }
}

/// A failure's message is cut to this: the page shows the gist, the log keeps it whole.
const MESSAGE_CHARS: usize = 500;

#[derive(Clone, Debug, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct Outcome {
    pub last_success_at: Option<DateTime<Utc>>,
    /// What the last success was about, where that says something (a callback's channel).
    pub last_success_detail: Option<String>,
    pub last_failure_at: Option<DateTime<Utc>>,
    pub last_failure: Option<String>,
}

impl From<Outcome> for model::health::Outcome {
    fn from(outcome: Outcome) -> Self {
        Self {
            last_success_at: outcome.last_success_at,
            last_failure_at: outcome.last_failure_at,
            last_failure: outcome.last_failure,
        }
    }
}

/// Notes that `service` just worked; `detail` says at what, when that means something.
pub async fn succeeded(db: &Db, service: Service<'_>, detail: Option<&str>) {
    let key = service.key();
    let written = db_run!(db, |pool| {
        sqlx::query(
            "INSERT INTO service_outcomes (service, last_success_at, last_success_detail) \
             VALUES ($1, $2, $3) ON CONFLICT (service) DO UPDATE SET \
             last_success_at = excluded.last_success_at, \
             last_success_detail = excluded.last_success_detail",
        )
        .bind(&key)
        .bind(Utc::now())
        .bind(detail)
        .execute(pool)
        .await
        .map(|_| ())
    });
    if let Err(error) = written {
        tracing::warn!(%error, service = %key, "a success could not be recorded");
    }
}

/// Notes that `service` just failed, and why.
pub async fn failed(db: &Db, service: Service<'_>, error: &str) {
    let key = service.key();
    // PostgreSQL's TEXT holds no NUL, and a message is whatever the other side sent.
    let message: String = error
        .chars()
        .filter(|c| *c != '\0')
        .take(MESSAGE_CHARS)
        .collect();
    let written = db_run!(db, |pool| {
        sqlx::query(
            "INSERT INTO service_outcomes (service, last_failure_at, last_failure) \
             VALUES ($1, $2, $3) ON CONFLICT (service) DO UPDATE SET \
             last_failure_at = excluded.last_failure_at, last_failure = excluded.last_failure",
        )
        .bind(&key)
        .bind(Utc::now())
        .bind(&message)
        .execute(pool)
        .await
        .map(|_| ())
    });
    if let Err(write_error) = written {
        tracing::warn!(error = %write_error, service = %key, failure = error, "a failure could not be recorded");
    }
}

/// Every recorded outcome.
#[derive(Clone, Debug, Default)]
pub struct Outcomes(HashMap<String, Outcome>);

impl Outcomes {
    pub async fn read(db: &Db) -> Result<Self, DbError> {
        #[derive(sqlx::FromRow)]
        struct Row {
            service: String,
            #[sqlx(flatten)]
            outcome: Outcome,
        }
        let rows: Vec<Row> = db_run!(db, |pool| {
            sqlx::query_as(
                "SELECT service, last_success_at, last_success_detail, last_failure_at, \
                 last_failure FROM service_outcomes",
            )
            .fetch_all(pool)
            .await
        })?;
        Ok(Self(
            rows.into_iter()
                .map(|row| (row.service, row.outcome))
                .collect(),
        ))
    }

    /// What was recorded of `service`; nothing yet is the empty outcome.
    pub fn of(&self, service: Service<'_>) -> Outcome {
        self.0.get(&service.key()).cloned().unwrap_or_default()
    }
}
