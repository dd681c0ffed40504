//! The durable jobs of payments. One closes an invoice nobody paid: at its expiry it first asks
//! the gateway (a payment whose callback was lost still counts), then expires the invoice, its
//! open payments and, for a new order, the order, whose coupon use is given back. The other
//! sweeps every [`RECONCILE_EVERY`] for open payments whose callback is overdue
//! ([`Billing::reconcile_open_payments`]), so a lost callback costs the customer minutes, not
//! the rest of the invoice's life.

use chrono::{Duration, Utc};
use serde::Deserialize;

use super::invoices::{self, InvoiceChange, InvoiceStatus};
use super::payments::{self, PaymentStatus};
use super::{Billing, BillingError};
use crate::error::Code;
use crate::jobs::{Job, JobOutcome, Registry};
use crate::notifications::{self, Notice};
use crate::orders::{self, INVOICE_EXPIRY_JOB, OrderStatus, coupons};

/// The recurring job that looks for payments whose callback was lost.
pub const PAYMENT_RECONCILE_JOB: &str = "payment_reconcile";

/// How often open payments are looked at: with [`super::payments::RECONCILE_AFTER`], a lost
/// callback is made good within 15 minutes of the payment being made.
pub const RECONCILE_EVERY: Duration = Duration::minutes(10);

pub fn register(registry: Registry, billing: Billing) -> Registry {
    let reconciling = billing.clone();
    registry
        .on(INVOICE_EXPIRY_JOB, move |job| {
            let billing = billing.clone();
            async move {
                billing
                    .run_expiry(&job)
                    .await
                    .map_err(|error| error.to_string())
            }
        })
        .on(PAYMENT_RECONCILE_JOB, move |_job| {
            let billing = reconciling.clone();
            async move {
                billing
                    .reconcile_open_payments(Utc::now())
                    .await
                    .map_err(|error| error.to_string())?;
                Ok::<_, String>(JobOutcome::RunAgainAt(Utc::now() + RECONCILE_EVERY))
            }
        })
}

#[derive(Deserialize)]
struct Payload {
    invoice_id: i64,
}

impl Billing {
    async fn run_expiry(&self, job: &Job) -> Result<JobOutcome, BillingError> {
        let Payload { invoice_id } =
            serde_json::from_str(&job.payload).map_err(|error| BillingError::Invalid {
                field: "payload",
                code: Code::Internal,
                message: error.to_string(),
            })?;
        let Some(invoice) = invoices::by_id(self.db(), invoice_id).await? else {
            return Ok(JobOutcome::Done);
        };
        if invoice.status != InvoiceStatus::Unpaid {
            return Ok(JobOutcome::Done);
        }
        if invoice.expires_at > Utc::now() {
            return Ok(JobOutcome::RunAgainAt(invoice.expires_at));
        }
        if self.reconcile(invoice_id).await? {
            return Ok(JobOutcome::Done);
        }
        let mut tx = self.db().begin().await?;
        let expired = invoices::transition(
            &mut tx,
            invoice_id,
            InvoiceStatus::Expired,
            InvoiceChange::default(),
        )
        .await?;
        if !expired.made() {
            return Ok(JobOutcome::Done);
        }
        payments::move_all(
            &mut tx,
            invoice_id,
            PaymentStatus::Unpaid,
            PaymentStatus::Expired,
        )
        .await?;
        notifications::notify(
            &mut tx,
            invoice.user_id,
            &Notice::payment_expired(invoice.id, &invoice.number),
        )
        .await?;
        if let Some(order_id) = invoice
            .order_id
            .filter(|_| invoice.purpose == invoices::Purpose::New.as_str())
        {
            orders::transition(
                &mut tx,
                order_id,
                OrderStatus::Expired,
                None,
                Some("the invoice expired unpaid"),
            )
            .await?;
            coupons::release(&mut tx, order_id).await?;
        }
        tx.commit().await?;
        Ok(JobOutcome::Done)
    }
}
