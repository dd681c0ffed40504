//! The delivery jobs: e-mail here, Telegram in [`super::telegram`]; the admins' summaries of
//! refused callbacks in [`super::alerts`].
//!
//! Turns a notification into its e-mail: the job renders it in the recipient's language with
//! an absolute link and hands it to the mail outbox, in one transaction with marking the
//! notification e-mailed, so a rerun after a crash never queues a second copy. The SMTP
//! delivery after that is the mail module's durable job; SMTP takes no idempotency key, so a
//! crash in the middle of a send can repeat that one message.

use chrono::Utc;
use serde::Deserialize;

use super::{EMAIL_JOB, Notifications, TELEGRAM_JOB, alerts};
use crate::billing::{InvoiceView, invoices, pdf};
use crate::db::Tx;
use crate::jobs::{DeadJob, DeadJobFuture, Job, JobOutcome, Registry};
use crate::mail::{self, InvoiceSummary, Letter, PaymentDue, SummaryLine, compose};
use crate::{DbError, tx_run};
use model::Language;
use model::Rupiah;
use model::billing::InvoicePage;
use model::ids::UserId;
use model::money::tax_percent;
use model::status::InvoiceStatus;
use model::time::{Precision, TimeZone, local_text};

pub const MAX_ATTEMPTS: i64 = 12;

pub fn register(registry: Registry, notifications: Notifications) -> Registry {
    let telegram = notifications.clone();
    let summaries = notifications.clone();
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
        .on(alerts::SUMMARY_JOB, move |job| {
            let notifications = summaries.clone();
            async move { notifications.run_summary(&job).await }
        })
        .when_dead(tell_admins_a_job_died)
}

/// A dead job's work needs a person now.
fn tell_admins_a_job_died<'t>(tx: &'t mut Tx, dead: DeadJob<'t>) -> DeadJobFuture<'t> {
    let notice = super::Notice::admin_job_dead(dead.id, dead.kind, dead.error);
    Box::pin(async move { super::notify_admins(tx, &notice).await })
}

/// The notifications one e-mail job sends: several when one event told several people (every
/// admin of a new order). Jobs queued before batching name one.
#[derive(Deserialize)]
#[serde(untagged)]
enum EmailPayload {
    Batch { notification_ids: Vec<i64> },
    One { notification_id: i64 },
}

impl EmailPayload {
    fn ids(self) -> Vec<i64> {
        match self {
            Self::Batch { notification_ids } => notification_ids,
            Self::One { notification_id } => vec![notification_id],
        }
    }
}

#[derive(sqlx::FromRow)]
struct Recipient {
    email: String,
    name: String,
    language: String,
    time_zone: String,
    title: String,
    body: String,
    link: Option<String>,
    attached_invoice_id: Option<i64>,
    invoice_pdf: bool,
    emailed: bool,
}

impl Notifications {
    async fn run_email(&self, job: &Job) -> Result<JobOutcome, DbError> {
        let Ok(payload) = serde_json::from_str::<EmailPayload>(&job.payload) else {
            return Ok(JobOutcome::Done);
        };
        // One transaction for the batch: a rerun after a crash finds all of it sent or none.
        let mut tx = self.db().begin().await?;
        for notification_id in payload.ids() {
            self.email_one(&mut tx, notification_id).await?;
        }
        tx.commit().await?;
        Ok(JobOutcome::Done)
    }

    /// Hands one notification's e-mail to the outbox and marks it e-mailed, unless it was.
    async fn email_one(&self, tx: &mut Tx, notification_id: i64) -> Result<(), DbError> {
        let recipient: Option<Recipient> = tx_run!(tx, |conn| {
            sqlx::query_as(
                "SELECT u.email, u.name, u.language, u.time_zone, n.title, n.body, n.link, \
                 n.attached_invoice_id, n.invoice_pdf, (n.emailed_at IS NOT NULL) AS emailed \
                 FROM notifications n JOIN users u ON u.id = n.user_id WHERE n.id = $1",
            )
            .bind(notification_id)
            .fetch_optional(conn)
            .await
        })?;
        let Some(recipient) = recipient.filter(|recipient| !recipient.emailed) else {
            return Ok(());
        };
        let link = recipient
            .link
            .as_deref()
            .map(|path| format!("{}{path}", self.public_url()));
        let language = Language::from_code(&recipient.language).unwrap_or_default();
        let time_zone = TimeZone::from_iana(&recipient.time_zone).unwrap_or_default();
        let invoice = match recipient.attached_invoice_id {
            Some(invoice_id) => self.invoice_page(tx, invoice_id).await?,
            None => None,
        };
        let summary = invoice
            .as_ref()
            .map(|page| summary(page, language, time_zone, self.public_url()));
        let settings_link = format!("{}/notifications", self.public_url());
        let letter = Letter {
            subject: &recipient.title,
            paragraph: &recipient.body,
            link: link.as_deref(),
            settings_link: Some(&settings_link),
            invoice: summary.as_ref(),
        };
        let mut email = compose(&recipient.email, &recipient.name, language, &letter);
        if let Some(page) = invoice.filter(|_| recipient.invoice_pdf) {
            email.attachments.push(mail::Attachment {
                filename: pdf::file_name(&page.invoice.number),
                content_type: pdf::CONTENT_TYPE.to_owned(),
                content: pdf::render(&page, language, time_zone),
            });
        }
        mail::enqueue(tx, &email).await?;
        tx_run!(tx, |conn| {
            sqlx::query("UPDATE notifications SET emailed_at = $1 WHERE id = $2")
                .bind(Utc::now())
                .bind(notification_id)
                .execute(conn)
                .await
                .map(|_| ())
        })
        .map_err(DbError::from)
    }

    /// The invoice as it is now; none if it is gone.
    async fn invoice_page(
        &self,
        tx: &mut Tx,
        invoice_id: i64,
    ) -> Result<Option<InvoicePage>, DbError> {
        let Some(invoice) = invoices::by_id_in(tx, invoice_id).await? else {
            return Ok(None);
        };
        let lines = invoices::lines_in(tx, invoice_id).await?;
        let owner = UserId(invoice.user_id);
        Ok(Some(
            InvoiceView {
                invoice,
                lines,
                payments: Vec::new(),
            }
            .page(self.seller(), owner),
        ))
    }
}

/// `page` as the e-mail about it shows it, for a reader of `language` in `time_zone`.
fn summary(
    page: &InvoicePage,
    language: Language,
    time_zone: TimeZone,
    public_url: &str,
) -> InvoiceSummary {
    let invoice = &page.invoice;
    let labels = pdf::labels(language);
    let amount = |rupiah: i64| Rupiah(rupiah).to_string();
    let line = |description: String, rupiah: i64| SummaryLine {
        description,
        amount: amount(rupiah),
    };
    InvoiceSummary {
        number: invoice.number.clone(),
        lines: page
            .lines
            .iter()
            .map(|entry| line(entry.description.clone(), entry.amount))
            .collect(),
        tax: (invoice.tax_rate_bp > 0).then(|| {
            line(
                format!("PPN {} %", tax_percent(invoice.tax_rate_bp, labels.decimal)),
                invoice.tax,
            )
        }),
        credit: (invoice.credit_applied > 0)
            .then(|| line(labels.credit_applied.to_owned(), -invoice.credit_applied)),
        total: amount(invoice.total),
        payment: (invoice.status == InvoiceStatus::Unpaid
            && !invoice.overdue
            && invoice.amount_due() > 0)
            .then(|| PaymentDue {
                amount: amount(invoice.amount_due()),
                before: local_text(invoice.expires_at, time_zone, Precision::Minute),
                link: format!("{public_url}/invoices/{}", invoice.id),
            }),
    }
}
