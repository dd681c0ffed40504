//! The delivery jobs: e-mail here, Telegram in [`super::telegram`].
//!
//! Turns a notification into its e-mail: the job renders it in the recipient's language with
//! an absolute link and hands it to the mail outbox, in one transaction with marking the
//! notification e-mailed, so a rerun after a crash never queues a second copy. The SMTP
//! delivery after that is the mail module's durable job; SMTP takes no idempotency key, so a
//! crash in the middle of a send can repeat that one message.

use chrono::Utc;
use serde::Deserialize;

use super::{EMAIL_JOB, Notifications, TELEGRAM_JOB};
use crate::accounts::inputs::Language;
use crate::jobs::{Job, JobOutcome, Registry};
use crate::mail::{self, compose};
use crate::{DbError, tx_run};

pub const MAX_ATTEMPTS: i64 = 12;

pub fn register(registry: Registry, notifications: Notifications) -> Registry {
    let telegram = notifications.clone();
    registry
        .on(EMAIL_JOB, move |job| {
            let notifications = notifications.clone();
            async move {
                notifications
                    .run_email(&job)
                    .await
                    .map_err(|error| error.to_string())
            }
        })
        .on(TELEGRAM_JOB, move |job| {
            let notifications = telegram.clone();
            async move { notifications.run_telegram(&job).await }
        })
}

#[derive(Deserialize)]
struct Payload {
    notification_id: i64,
}

#[derive(sqlx::FromRow)]
struct Recipient {
    email: String,
    name: String,
    language: String,
    title: String,
    body: String,
    link: Option<String>,
    emailed: bool,
}

impl Notifications {
    async fn run_email(&self, job: &Job) -> Result<JobOutcome, DbError> {
        let Ok(Payload { notification_id }) = serde_json::from_str(&job.payload) else {
            return Ok(JobOutcome::Done);
        };
        let mut tx = self.db().begin().await?;
        let recipient: Option<Recipient> = tx_run!(&mut tx, |conn| {
            sqlx::query_as(
                "SELECT u.email, u.name, u.language, n.title, n.body, n.link, \
                 (n.emailed_at IS NOT NULL) AS emailed \
                 FROM notifications n JOIN users u ON u.id = n.user_id WHERE n.id = $1",
            )
            .bind(notification_id)
            .fetch_optional(conn)
            .await
        })?;
        let Some(recipient) = recipient.filter(|recipient| !recipient.emailed) else {
            return Ok(JobOutcome::Done);
        };
        let link = recipient
            .link
            .as_deref()
            .map(|path| format!("{}{path}", self.public_url()));
        let email = compose(
            &recipient.email,
            &recipient.name,
            Language::parse(&recipient.language).unwrap_or_default(),
            &recipient.title,
            &recipient.body,
            link.as_deref(),
            Some(&format!("{}/notifications", self.public_url())),
        );
        mail::enqueue(&mut tx, &email).await?;
        tx_run!(&mut tx, |conn| {
            sqlx::query("UPDATE notifications SET emailed_at = $1 WHERE id = $2")
                .bind(Utc::now())
                .bind(notification_id)
                .execute(conn)
                .await
                .map(|_| ())
        })?;
        tx.commit().await?;
        Ok(JobOutcome::Done)
    }
}
