//! Renewal invoices: a running service gets the invoice for its next period `renewal_lead`
//! before the paid one ends, payable until the service is terminated (`renewal_grace` +
//! `termination_after` after it ends; see [`super::due_dates`]). Paying it extends the period
//! once ([`super::invoice_paid`]); a second payment of the same invoice is refunded. A customer
//! who asked for it has the renewal paid from their credit as it is issued, when the credit
//! covers it. The cycle takes `now` as an argument, so tests run it on a clock of their own.

use chrono::{DateTime, Utc};

use super::pricing::{self, Item, PriceInput};
use super::{OrderError, Orders};
use crate::billing::invoices::{self, NewInvoice, Purpose};
use crate::catalog::Pricing;
use crate::notifications::{self, Notice};
use crate::{db_run, jobs, tx_run};
use model::Language;

pub const RENEWAL_JOB: &str = "order_renewals";

#[derive(sqlx::FromRow)]
struct Due {
    id: i64,
    user_id: i64,
    hostname: String,
    period_months: i64,
    paid_until: DateTime<Utc>,
    plan_name: String,
    /// The customer's, for the invoice's lines.
    language: String,
    price_idr_monthly: i64,
    discount_3m_percent: i64,
    discount_6m_percent: i64,
    discount_12m_percent: i64,
}

impl Orders {
    /// Issues the renewal invoices due at `now`; answers how many were issued. Run twice, it
    /// issues none the second time.
    pub async fn issue_renewals(&self, now: DateTime<Utc>) -> Result<usize, OrderError> {
        let due: Vec<Due> = db_run!(self.db(), |pool| {
            sqlx::query_as(
                "SELECT o.id, o.user_id, o.hostname, o.period_months, o.paid_until, \
                 p.name AS plan_name, u.language, p.price_idr_monthly, p.discount_3m_percent, \
                 p.discount_6m_percent, p.discount_12m_percent \
                 FROM orders o JOIN plans p ON p.id = o.plan_id JOIN users u ON u.id = o.user_id \
                 WHERE o.status = 'active' AND o.auto_renew AND o.paid_until IS NOT NULL \
                 AND o.paid_until <= $1 \
                 AND o.paid_until > $2 AND NOT EXISTS (SELECT 1 FROM invoices i WHERE i.order_id = o.id \
                     AND i.purpose = 'renewal' AND i.status = 'unpaid') \
                 AND NOT EXISTS (SELECT 1 FROM resizes r WHERE r.order_id = o.id \
                     AND r.status IN ('awaiting_payment', 'queued', 'stopping', 'resizing', 'starting')) \
                 ORDER BY o.id",
            )
            .bind(now + self.config().renewal_lead)
            // Past the grace a renewal can no longer be paid; suspension takes over. A service
            // moving to another plan is renewed at the next sweep after the move, at its new
            // price (the move takes a day at most: its invoice's lifetime).
            .bind(now - self.config().renewal_grace)
            .fetch_all(pool)
            .await
        })?;
        let mut issued = 0;
        for order in due {
            // Renewals are billed at the plan's price of the day, without the first coupon.
            let pricing = Pricing {
                price_idr_monthly: order.price_idr_monthly,
                discount_3m_percent: order.discount_3m_percent,
                discount_6m_percent: order.discount_6m_percent,
                discount_12m_percent: order.discount_12m_percent,
            };
            let quote = pricing::quote(&PriceInput {
                item: Item::Renewal {
                    plan: &order.plan_name,
                    hostname: &order.hostname,
                },
                language: Language::from_code(&order.language).unwrap_or_default(),
                monthly_price: pricing.price_idr_monthly,
                months: order.period_months,
                period_discount_percent: pricing.discount_percent(order.period_months).unwrap_or(0),
                coupon: None,
                tax_rate_bp: self.config().tax_rate_bp,
            });
            let mut tx = self.db().begin().await?;
            // Checked again in the transaction: another node may have issued it meanwhile (the
            // partial unique index on open renewals would refuse a second one anyway).
            let open: Option<i64> = tx_run!(&mut tx, |conn| {
                sqlx::query_scalar(
                    "SELECT id FROM invoices WHERE order_id = $1 AND purpose = 'renewal' \
                     AND status = 'unpaid'",
                )
                .bind(order.id)
                .fetch_optional(conn)
                .await
            })?;
            if open.is_some() {
                continue;
            }
            // Auto-renew may have been turned off since the orders were read: an update takes
            // the order's row (waiting for such a change to commit) and sees it.
            let renewing = tx_run!(&mut tx, |conn| {
                sqlx::query(
                    "UPDATE orders SET updated_at = updated_at WHERE id = $1 AND auto_renew",
                )
                .bind(order.id)
                .execute(conn)
                .await
                .map(|done| done.rows_affected())
            })?;
            if renewing == 0 {
                continue;
            }
            // Payable until the service is terminated: paying it while suspended brings the
            // service back.
            let expires_at =
                order.paid_until + self.config().renewal_grace + self.config().termination_after;
            let invoice = invoices::issue(
                &mut tx,
                &NewInvoice {
                    user_id: order.user_id,
                    order_id: Some(order.id),
                    purpose: Purpose::Renewal,
                    period_months: order.period_months,
                    quote: &quote,
                    now,
                    lifetime: expires_at - now,
                },
            )
            .await?;
            notifications::notify(
                &mut tx,
                order.user_id,
                &Notice::renewal_invoice(
                    invoice.id,
                    &order.hostname,
                    &invoice.number,
                    invoice.total,
                ),
            )
            .await?;
            jobs::enqueue(
                &mut tx,
                super::INVOICE_EXPIRY_JOB,
                &serde_json::json!({ "invoice_id": invoice.id }),
                invoice.expires_at,
                jobs::DEFAULT_MAX_ATTEMPTS,
            )
            .await?;
            // The customer may have asked for renewals to be paid from their credit.
            crate::billing::credit::pay_renewal(&mut tx, &invoice).await?;
            tx.commit().await?;
            issued += 1;
        }
        Ok(issued)
    }
}
