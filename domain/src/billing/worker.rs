//! The durable job that closes an invoice nobody paid: at its expiry it first asks the gateway
//! (a payment whose callback was lost still counts), then expires the invoice, its open
//! payments and, for a new order, the order, whose coupon use is given back.

use chrono::Utc;
use serde::Deserialize;

use super::invoices::{self, InvoiceChange, InvoiceStatus};
use super::payments::{self, PaymentStatus};
use super::{Billing, BillingError};
use crate::error::Code;
use crate::jobs::{Job, JobOutcome, Registry};
use crate::notifications::{self, Notice};
use crate::orders::{self, INVOICE_EXPIRY_JOB, OrderStatus, coupons};

pub fn register(registry: Registry, billing: Billing) -> Registry {
    registry.on(INVOICE_EXPIRY_JOB, move |job| {
        let billing = billing.clone();
        async move {
            billing
                .run_expiry(&job)
                .await
                .map_err(|error| error.to_string())
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
        if invoice.purpose == invoices::Purpose::New.as_str() {
            orders::transition(
                &mut tx,
                invoice.order_id,
                OrderStatus::Expired,
                None,
                Some("the invoice expired unpaid"),
            )
            .await?;
            coupons::release(&mut tx, invoice.order_id).await?;
        }
        tx.commit().await?;
        Ok(JobOutcome::Done)
    }
}
