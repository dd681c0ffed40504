//! Delivering stored e-mails: the `deliver_email` job handler, over SMTP (lettre) or, with no
//! SMTP configured, by leaving them in the dev outbox.
//!
//! The job queue gives retries with backoff and crash recovery. The handler skips an e-mail
//! already marked sent, but a crash between sending and marking can send that one e-mail twice:
//! SMTP has no idempotency key to prevent it.

use std::time::Duration as StdDuration;

use chrono::Utc;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::jobs::{Job, Registry};
use crate::outcomes::{self, Service};
use crate::{Db, DbError, db_run};

pub const JOB_KIND: &str = "deliver_email";
/// Attempts before a delivery job is dead (the waits between them grow to an hour).
pub const MAX_ATTEMPTS: i64 = 12;

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("SMTP_URL is not valid: {0}")]
    InvalidUrl(String),
    #[error("MAIL_FROM is not a valid mailbox: {0}")]
    InvalidFrom(String),
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

    /// The message's `Message-ID`: the same for every attempt at one stored e-mail, so a copy
    /// sent twice (a crash between sending and marking) is one message to the recipient's mail
    /// program; the time it was written keeps ids apart across databases.
    fn message_id(&self, email_id: i64, email: &Pending) -> String {
        format!(
            "<{email_id}.{}@{}>",
            email.created_at.timestamp_micros(),
            self.from.email.domain()
        )
    }

    async fn send(
        &self,
        email_id: i64,
        email: &Pending,
        files: Vec<super::Attachment>,
    ) -> Result<(), String> {
        let to: Mailbox = email
            .to_address
            .parse()
            .map_err(|e: lettre::address::AddressError| e.to_string())?;
        let body =
            MultiPart::alternative_plain_html(email.body_text.clone(), email.body_html.clone());
        let body = if files.is_empty() {
            body
        } else {
            let mut mixed = MultiPart::mixed().multipart(body);
            for file in files {
                let content_type =
                    ContentType::parse(&file.content_type).map_err(|e| e.to_string())?;
                mixed = mixed
                    .singlepart(Attachment::new(file.filename).body(file.content, content_type));
            }
            mixed
        };
        // The builder adds `Date`; spam filters mark down a message without a `Message-ID`.
        let message = Message::builder()
            .message_id(Some(self.message_id(email_id, email)))
            .from(self.from.clone())
            .to(to)
            .subject(&email.subject)
            .multipart(body)
            .map_err(|e| e.to_string())?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

/// Where e-mails go.
#[derive(Clone, Debug)]
pub enum Delivery {
    /// No SMTP configured: e-mails stay in the table for admins to read.
    DevOutbox,
    Smtp(SmtpMailer),
}

#[derive(sqlx::FromRow)]
struct Pending {
    to_address: String,
    subject: String,
    body_text: String,
    body_html: String,
    created_at: chrono::DateTime<Utc>,
    sent_at: Option<chrono::DateTime<Utc>>,
}

#[derive(serde::Deserialize)]
struct Payload {
    email_id: i64,
}

/// Adds the `deliver_email` handler to a job registry.
pub fn register(registry: Registry, db: Db, delivery: Delivery) -> Registry {
    registry.on(JOB_KIND, move |job| {
        let (db, delivery) = (db.clone(), delivery.clone());
        async move { deliver(&db, &delivery, &job).await }
    })
}

async fn deliver(db: &Db, delivery: &Delivery, job: &Job) -> Result<(), String> {
    let Delivery::Smtp(mailer) = delivery else {
        return Ok(());
    };
    let Payload { email_id } =
        serde_json::from_str(&job.payload).map_err(|e| format!("bad payload: {e}"))?;
    let email: Option<Pending> = db_run!(db, |pool| {
        sqlx::query_as(
            "SELECT to_address, subject, body_text, body_html, created_at, sent_at FROM emails WHERE id = $1",
        )
        .bind(email_id)
        .fetch_optional(pool)
        .await
    })
    .map_err(|e| e.to_string())?;
    let Some(email) = email.filter(|email| email.sent_at.is_none()) else {
        return Ok(()); // gone or already sent
    };
    let files = super::attachments(db, email_id)
        .await
        .map_err(|e| e.to_string())?;
    let sent = mailer.send(email_id, &email, files).await;
    match &sent {
        Ok(()) => record_sent(db, email_id, &email).await,
        Err(error) => record_failure(db, email_id, error).await,
    }
    .map_err(|e| e.to_string())?;
    sent
}

/// Marks the e-mail sent (for the health page too) and takes the tokens out of the stored copy:
/// its links are the recipient's alone, and a copy that could still be used is one more thing
/// to steal.
async fn record_sent(db: &Db, email_id: i64, email: &Pending) -> Result<(), DbError> {
    outcomes::succeeded(db, Service::Email, None).await;
    db_run!(db, |pool| {
        sqlx::query(
            "UPDATE emails SET sent_at = $1, last_error = NULL, body_text = $2, body_html = $3 WHERE id = $4",
        )
        .bind(Utc::now())
        .bind(super::without_tokens(&email.body_text))
        .bind(super::without_tokens(&email.body_html))
        .bind(email_id)
        .execute(pool)
        .await
        .map(|_| ())
    })?;
    Ok(())
}

/// Notes why the e-mail could not be sent, for the admin outbox and the health page.
async fn record_failure(db: &Db, email_id: i64, error: &str) -> Result<(), DbError> {
    outcomes::failed(db, Service::Email, error).await;
    db_run!(db, |pool| {
        sqlx::query("UPDATE emails SET last_error = $1 WHERE id = $2")
            .bind(error)
            .bind(email_id)
            .execute(pool)
            .await
            .map(|_| ())
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

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
