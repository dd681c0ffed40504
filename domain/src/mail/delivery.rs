//! Delivering the outbox over SMTP (lettre), with retries and backoff.
//!
//! Each due e-mail is claimed by pushing its next attempt a few minutes ahead (so another node or
//! a restart does not send it at the same time), then sent, then marked sent. A crash between
//! sending and marking can send that one e-mail twice; SMTP has no idempotency key to prevent it.

use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::{Db, DbError, db_run};

/// How long a claimed e-mail is left alone before it counts as abandoned.
const CLAIM: Duration = Duration::minutes(5);
/// After this many failed attempts an e-mail stays in the outbox, undelivered, for an admin.
pub const MAX_ATTEMPTS: i64 = 12;
const POLL: StdDuration = StdDuration::from_secs(2);

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("SMTP_URL is not valid: {0}")]
    InvalidUrl(String),
    #[error("MAIL_FROM is not a valid mailbox: {0}")]
    InvalidFrom(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// An SMTP connection pool and the sender address.
#[derive(Clone)]
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for SmtpMailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpMailer")
            .field("from", &self.from.to_string())
            .finish_non_exhaustive()
    }
}

impl SmtpMailer {
    /// `smtp://user:pass@host:587?tls=required`, `smtps://…:465`, or `smtp://host:25` (plain).
    pub fn new(url: &str, from: &str) -> Result<Self, MailError> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| MailError::InvalidUrl(e.to_string()))?
            .timeout(Some(StdDuration::from_secs(20)))
            .build();
        let from = from
            .parse()
            .map_err(|e: lettre::address::AddressError| MailError::InvalidFrom(e.to_string()))?;
        Ok(Self { transport, from })
    }

    async fn send(&self, email: &Due) -> Result<(), String> {
        let to: Mailbox = email
            .to_address
            .parse()
            .map_err(|e: lettre::address::AddressError| e.to_string())?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(&email.subject)
            .multipart(MultiPart::alternative_plain_html(
                email.body_text.clone(),
                email.body_html.clone(),
            ))
            .map_err(|e| e.to_string())?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

#[derive(sqlx::FromRow)]
struct Due {
    id: i64,
    to_address: String,
    subject: String,
    body_text: String,
    body_html: String,
    attempts: i64,
    next_attempt_at: DateTime<Utc>,
}

/// Waits 1, 2, 4 … minutes between attempts, at most an hour.
fn backoff(attempts: i64) -> Duration {
    let doublings = u32::try_from(attempts.clamp(1, 7) - 1).unwrap_or(0);
    Duration::minutes(1_i64 << doublings).min(Duration::hours(1))
}

/// Sends up to `batch` due e-mails; returns how many were delivered.
pub async fn deliver_due(db: &Db, mailer: &SmtpMailer, batch: i64) -> Result<usize, DbError> {
    let now = Utc::now();
    let due: Vec<Due> = db_run!(db, |pool| {
        sqlx::query_as(
            "SELECT id, to_address, subject, body_text, body_html, attempts, next_attempt_at FROM emails \
             WHERE sent_at IS NULL AND attempts < $1 AND next_attempt_at <= $2 ORDER BY id LIMIT $3",
        )
        .bind(MAX_ATTEMPTS)
        .bind(now)
        .bind(batch)
        .fetch_all(pool)
        .await
    })?;
    let mut delivered = 0;
    for email in due {
        let claimed = db_run!(db, |pool| {
            sqlx::query("UPDATE emails SET next_attempt_at = $1, attempts = attempts + 1 WHERE id = $2 AND next_attempt_at = $3 AND sent_at IS NULL")
                .bind(now + CLAIM)
                .bind(email.id)
                .bind(email.next_attempt_at)
                .execute(pool)
                .await
                .map(|done| done.rows_affected())
        })?;
        if claimed != 1 {
            continue; // another worker has it
        }
        match mailer.send(&email).await {
            Ok(()) => {
                db_run!(db, |pool| {
                    sqlx::query("UPDATE emails SET sent_at = $1, last_error = NULL WHERE id = $2")
                        .bind(Utc::now())
                        .bind(email.id)
                        .execute(pool)
                        .await
                        .map(|_| ())
                })?;
                delivered += 1;
            }
            Err(error) => {
                let attempts = email.attempts + 1;
                tracing::warn!(email_id = email.id, attempts, %error, "e-mail delivery failed; will retry");
                db_run!(db, |pool| {
                    sqlx::query(
                        "UPDATE emails SET next_attempt_at = $1, last_error = $2 WHERE id = $3",
                    )
                    .bind(Utc::now() + backoff(attempts))
                    .bind(&error)
                    .bind(email.id)
                    .execute(pool)
                    .await
                    .map(|_| ())
                })?;
            }
        }
    }
    Ok(delivered)
}

/// Delivers the outbox until `stop` resolves.
pub async fn run(db: Db, mailer: SmtpMailer, stop: impl std::future::Future<Output = ()>) {
    tokio::pin!(stop);
    loop {
        if let Err(error) = deliver_due(&db, &mailer, 20).await {
            tracing::error!(%error, "e-mail delivery pass failed");
        }
        tokio::select! {
            () = &mut stop => return,
            () = tokio::time::sleep(POLL) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        assert_eq!(backoff(1), Duration::minutes(1));
        assert_eq!(backoff(2), Duration::minutes(2));
        assert_eq!(backoff(4), Duration::minutes(8));
        assert_eq!(backoff(30), Duration::hours(1));
    }

    #[tokio::test]
    async fn bad_settings_are_reported() {
        assert!(matches!(
            SmtpMailer::new("http://nope", "a@b.co"),
            Err(MailError::InvalidUrl(_))
        ));
        assert!(matches!(
            SmtpMailer::new("smtp://127.0.0.1:2525", "not an address"),
            Err(MailError::InvalidFrom(_))
        ));
    }
}
