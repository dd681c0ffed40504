//! Moving a service to another plan mid-period (docs/billing.md, "Resize"). The customer sees the
//! plans their service can move to with what each costs now, asks for one, and pays the invoice
//! for the rest of the paid period (none is issued when nothing is due). Once it is paid the
//! durable job in [`crate::instances::resize`] changes the server at its provider, and on success
//! the order and the server take the new plan, so renewals are billed at its price.
//!
//! A bigger plan is billed as the difference between the two plans' prices for the order's
//! period (each after its period discount), times the share of the paid period left, rounded
//! down, plus PPN. A smaller plan, where the provider can shrink a server, costs nothing now and
//! gives nothing back: the lower price applies from the next renewal.

use chrono::{DateTime, Duration, Utc};

use super::pricing::{self, Item, PriceInput};
use super::{OrderError, OrderStatus, Orders, invalid, period_start};
use crate::audit::{self, AuditEvent};
use crate::billing::invoices::{self, Invoice, InvoiceChange, InvoiceStatus, NewInvoice, Purpose};
use crate::caller::Caller;
use crate::catalog::{Pricing, PublicPlan};
use crate::db::Tx;
use crate::error::Code;
use crate::instances::resize::RESIZE_JOB;
use crate::providers::Capabilities;
use crate::transitions::compare_and_set;
use crate::{DbError, db_run, jobs, tx_run};
use model::Language;
use model::ids::{InvoiceId, OrderId, PlanId};
pub use model::orders::{Resize, ResizeOption, ResizeOptions};
pub use model::status::ResizeStatus;

/// A resize asked for, and the invoice to pay for it when something is due.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResizeRequested {
    pub resize: Resize,
    pub invoice: Option<Invoice>,
}

impl From<ResizeRequested> for model::orders::ResizeStarted {
    fn from(requested: ResizeRequested) -> Self {
        Self {
            resize: requested.resize,
            invoice: requested.invoice.map(Into::into),
        }
    }
}

const RESIZE_SELECT: &str = "SELECT r.id, r.order_id, fp.name AS from_plan_name, \
    tp.name AS to_plan_name, r.status, r.invoice_id, r.error, r.created_at, r.finished_at \
    FROM resizes r JOIN plans fp ON fp.id = r.from_plan_id JOIN plans tp ON tp.id = r.to_plan_id";

#[derive(sqlx::FromRow)]
struct ResizeRow {
    id: i64,
    order_id: i64,
    from_plan_name: String,
    to_plan_name: String,
    #[sqlx(try_from = "String")]
    status: ResizeStatus,
    invoice_id: Option<i64>,
    error: Option<String>,
    created_at: DateTime<Utc>,
    finished_at: Option<DateTime<Utc>>,
}

impl From<ResizeRow> for Resize {
    fn from(row: ResizeRow) -> Self {
        Self {
            id: row.id,
            order_id: OrderId(row.order_id),
            from_plan_name: row.from_plan_name,
            to_plan_name: row.to_plan_name,
            status: row.status,
            invoice_id: row.invoice_id.map(InvoiceId),
            error: row.error,
            created_at: row.created_at,
            finished_at: row.finished_at,
        }
    }
}

/// What the difference `per_period` between two plans' prices for a whole period comes to for
/// `remaining` of a period of `period`: rounded down, in the customer's favour, and never below
/// zero. A renewal paid ahead leaves more than a period, and is billed for all of it.
pub fn prorate(per_period: i64, remaining: Duration, period: Duration) -> i64 {
    let (remaining, period) = (remaining.num_seconds(), period.num_seconds());
    if per_period <= 0 || remaining <= 0 || period <= 0 {
        return 0;
    }
    i64::try_from(i128::from(per_period) * i128::from(remaining) / i128::from(period))
        .unwrap_or(i64::MAX)
}

/// What a service has now, read once for the options and for a request.
struct Standing {
    order: super::Order,
    /// The customer's, for the invoice's line.
    language: Language,
    instance_id: i64,
    provider: String,
    capabilities: Capabilities,
    current: Specs,
    remaining: Duration,
    period: Duration,
}

#[derive(Clone, Copy, sqlx::FromRow)]
struct Specs {
    vcpus: i64,
    memory_mb: i64,
    disk_gb: i64,
    price_idr_monthly: i64,
    discount_3m_percent: i64,
    discount_6m_percent: i64,
    discount_12m_percent: i64,
}

impl Specs {
    fn of(plan: &PublicPlan) -> Self {
        Self {
            vcpus: plan.vcpus,
            memory_mb: plan.memory_mb,
            disk_gb: plan.disk_gb,
            price_idr_monthly: plan.pricing.price_idr_monthly,
            discount_3m_percent: plan.pricing.discount_3m_percent,
            discount_6m_percent: plan.pricing.discount_6m_percent,
            discount_12m_percent: plan.pricing.discount_12m_percent,
        }
    }

    fn pricing(&self) -> Pricing {
        Pricing {
            price_idr_monthly: self.price_idr_monthly,
            discount_3m_percent: self.discount_3m_percent,
            discount_6m_percent: self.discount_6m_percent,
            discount_12m_percent: self.discount_12m_percent,
        }
    }

    /// Less of anything than `other`: the disk, above all, which most providers cannot shrink.
    fn smaller_than(&self, other: &Specs) -> bool {
        self.vcpus < other.vcpus || self.memory_mb < other.memory_mb || self.disk_gb < other.disk_gb
    }
}

fn unavailable(message: impl Into<String>) -> OrderError {
    invalid("order", Code::ResizeUnavailable, message)
}

impl Orders {
    /// Where the caller's service stands for a move to another plan: the plans it can move to
    /// now with what each costs, or why it cannot move, and its latest resize.
    pub async fn resize_options(
        &self,
        caller: &Caller,
        id: i64,
        now: DateTime<Utc>,
    ) -> Result<ResizeOptions, OrderError> {
        let (order, _) = self.own(caller, id).await?;
        let latest = self.latest_resize(id).await?;
        let standing = match self.resize_standing(order, now).await {
            Ok(standing) => standing,
            Err(OrderError::Invalid { code, .. }) if code == Code::ResizeUnavailable => {
                return Ok(ResizeOptions {
                    options: Vec::new(),
                    unavailable: Some(code.as_str().to_owned()),
                    remaining_seconds: 0,
                    period_seconds: 0,
                    latest,
                });
            }
            Err(error) => return Err(error),
        };
        Ok(ResizeOptions {
            options: self.offered(&standing).await?,
            unavailable: None,
            remaining_seconds: standing.remaining.num_seconds().max(0),
            period_seconds: standing.period.num_seconds(),
            latest,
        })
    }

    /// Asks for the caller's service to move to `plan_id`. A bigger plan issues the invoice for
    /// the rest of the period, and the resize starts once it is paid; when nothing is due it is
    /// queued at once. An earlier request still waiting for payment is replaced (its invoice is
    /// cancelled).
    pub async fn request_resize(
        &self,
        caller: &Caller,
        id: i64,
        plan_id: i64,
        now: DateTime<Utc>,
    ) -> Result<ResizeRequested, OrderError> {
        let (order, _) = self.own(caller, id).await?;
        let standing = self.resize_standing(order, now).await?;
        if plan_id == standing.order.plan_id {
            return Err(invalid(
                "plan_id",
                Code::PlanUnchanged,
                format!(
                    "the service already has the plan {}",
                    standing.order.plan_name
                ),
            ));
        }
        let plan = self
            .catalog
            .public_plans()
            .await?
            .into_iter()
            .find(|plan| plan.id == plan_id)
            .ok_or(OrderError::Catalog(crate::catalog::CatalogError::NotFound))?;
        let Some(option) = self.option_for(&standing, &plan) else {
            return Err(if Specs::of(&plan).smaller_than(&standing.current) {
                invalid(
                    "plan_id",
                    Code::ResizeDownUnavailable,
                    format!(
                        "{} cannot make a server smaller: choose a bigger plan",
                        standing.provider
                    ),
                )
            } else {
                invalid(
                    "plan_id",
                    Code::PlanUnavailable,
                    format!("the plan {} is not sold where this service runs", plan.name),
                )
            });
        };
        let size_slug: String = db_run!(self.db(), |pool| {
            sqlx::query_scalar("SELECT size_slug FROM plans WHERE id = $1")
                .bind(plan_id)
                .fetch_one(pool)
                .await
        })?;
        let order = &standing.order;
        let mut tx = self.db().begin().await?;
        self.replace_unpaid(&mut tx, order.id, caller.user_id)
            .await?;
        let invoice = if option.quote.total > 0 {
            // The price holds while the invoice can be paid, which is never past the period.
            let lifetime = self.config().invoice_lifetime.min(standing.remaining);
            let invoice = invoices::issue(
                &mut tx,
                &NewInvoice {
                    user_id: caller.user_id,
                    order_id: Some(order.id),
                    purpose: Purpose::Resize,
                    period_months: order.period_months,
                    quote: &option.quote,
                    now,
                    lifetime,
                },
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
            Some(invoice)
        } else {
            None
        };
        let status = match invoice {
            Some(_) => ResizeStatus::AwaitingPayment,
            None => ResizeStatus::Queued,
        };
        let resize_id: Option<i64> = tx_run!(&mut tx, |conn| {
            sqlx::query_scalar(
                "INSERT INTO resizes (order_id, instance_id, invoice_id, from_plan_id, to_plan_id, \
                 to_size_slug, status, requested_by, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) \
                 ON CONFLICT DO NOTHING RETURNING id",
            )
            .bind(order.id)
            .bind(standing.instance_id)
            .bind(invoice.as_ref().map(|invoice| invoice.id))
            .bind(order.plan_id)
            .bind(plan_id)
            .bind(&size_slug)
            .bind(status.as_str())
            .bind(caller.user_id)
            .bind(now)
            .fetch_optional(conn)
            .await
        })?;
        // The unique index on open resizes settles a race between two requests.
        let Some(resize_id) = resize_id else {
            return Err(unavailable("another change of plan is under way"));
        };
        if status == ResizeStatus::Queued {
            queue(&mut tx, resize_id, now).await?;
        }
        audit::record(
            &mut tx,
            AuditEvent {
                action: "resize_requested",
                actor_user_id: Some(caller.user_id),
                subject_user_id: Some(caller.user_id),
                detail: Some(format!(
                    "order {}: {} to {}",
                    order.id, order.plan_name, plan.name
                )),
                ..Default::default()
            },
        )
        .await?;
        tx.commit().await?;
        let resize = self
            .latest_resize(order.id)
            .await?
            .ok_or(OrderError::NotFound)?;
        Ok(ResizeRequested { resize, invoice })
    }

    /// The service's newest resize, whatever became of it.
    pub async fn latest_resize(&self, order_id: i64) -> Result<Option<Resize>, OrderError> {
        let sql = format!("{RESIZE_SELECT} WHERE r.order_id = $1 ORDER BY r.id DESC LIMIT 1");
        let row = db_run!(self.db(), |pool| {
            sqlx::query_as::<_, ResizeRow>(sqlx::AssertSqlSafe(sql.clone()))
                .bind(order_id)
                .fetch_optional(pool)
                .await
        })?;
        Ok(row.map(Resize::from))
    }

    /// Cancels the service's resize still waiting for payment, with its invoice.
    async fn replace_unpaid(
        &self,
        tx: &mut Tx,
        order_id: i64,
        actor_user_id: i64,
    ) -> Result<(), OrderError> {
        let unpaid: Option<i64> = tx_run!(tx, |conn| {
            sqlx::query_scalar(
                "SELECT invoice_id FROM resizes WHERE order_id = $1 AND status = $2 \
                 AND invoice_id IS NOT NULL",
            )
            .bind(order_id)
            .bind(ResizeStatus::AwaitingPayment.as_str())
            .fetch_optional(conn)
            .await
        })?;
        if let Some(invoice_id) = unpaid {
            invoices::transition(
                tx,
                invoice_id,
                InvoiceStatus::Cancelled,
                InvoiceChange {
                    note: Some("replaced by another change of plan"),
                    actor_user_id: Some(actor_user_id),
                    ..InvoiceChange::default()
                },
            )
            .await?;
        }
        Ok(())
    }

    /// Checks that the service can move to another plan now, and reads what it has.
    async fn resize_standing(
        &self,
        order: super::Order,
        now: DateTime<Utc>,
    ) -> Result<Standing, OrderError> {
        let (Some(instance_id), Some(paid_until), OrderStatus::Active) = (
            order.instance_id,
            order.paid_until,
            OrderStatus::parse(&order.status).unwrap_or(OrderStatus::Failed),
        ) else {
            return Err(unavailable(
                "only a running service that is paid for can change its plan",
            ));
        };
        let (status, provider): (String, String) = db_run!(self.db(), |pool| {
            sqlx::query_as("SELECT status, provider FROM instances WHERE id = $1")
                .bind(instance_id)
                .fetch_one(pool)
                .await
        })?;
        if status != "running" && status != "stopped" {
            return Err(unavailable(
                "the server must be running or stopped to change its plan",
            ));
        }
        let capabilities = self
            .catalog
            .providers()
            .get(&provider)
            .map(|provider| provider.capabilities())
            .filter(|capabilities| capabilities.resize)
            .ok_or_else(|| {
                unavailable(format!("{provider} servers cannot change their plan here"))
            })?;
        let (open_renewals, busy): (i64, i64) = db_run!(self.db(), |pool| {
            sqlx::query_as(
                "SELECT (SELECT COUNT(*) FROM invoices WHERE order_id = $1 AND purpose = 'renewal' \
                 AND status = 'unpaid'), \
                 (SELECT COUNT(*) FROM resizes WHERE order_id = $1 \
                 AND status IN ('queued', 'stopping', 'resizing', 'starting'))",
            )
            .bind(order.id)
            .fetch_one(pool)
            .await
        })?;
        if open_renewals > 0 {
            return Err(unavailable(
                "pay the open renewal invoice first: it is billed at the plan you have now",
            ));
        }
        if busy > 0 {
            return Err(unavailable("the server is changing its plan now"));
        }
        let current: Specs = db_run!(self.db(), |pool| {
            sqlx::query_as(
                "SELECT vcpus, memory_mb, disk_gb, price_idr_monthly, discount_3m_percent, \
                 discount_6m_percent, discount_12m_percent FROM plans WHERE id = $1",
            )
            .bind(order.plan_id)
            .fetch_one(pool)
            .await
        })?;
        let period = paid_until - period_start(paid_until, order.period_months);
        let mut tx = self.db().begin_read().await?;
        let language = crate::accounts::language_in(&mut tx, order.user_id).await?;
        drop(tx);
        Ok(Standing {
            language,
            remaining: paid_until - now,
            period,
            order,
            instance_id,
            provider,
            capabilities,
            current,
        })
    }

    /// Every plan on sale the service can move to, with its price now.
    async fn offered(&self, standing: &Standing) -> Result<Vec<ResizeOption>, OrderError> {
        Ok(self
            .catalog
            .public_plans()
            .await?
            .iter()
            .filter_map(|plan| self.option_for(standing, plan))
            .collect())
    }

    /// `plan` as a move for the service, if it can move there: the same provider, sold in the
    /// service's region, not the plan it has, and smaller only where the provider can shrink.
    fn option_for(&self, standing: &Standing, plan: &PublicPlan) -> Option<ResizeOption> {
        let order = &standing.order;
        let wanted = Specs::of(plan);
        let smaller = wanted.smaller_than(&standing.current);
        let fits = plan.provider == standing.provider
            && plan.id != order.plan_id
            && plan
                .regions
                .iter()
                .any(|region| region.slug == order.region_slug)
            && (!smaller || standing.capabilities.resize_down);
        if !fits {
            return None;
        }
        let months = order.period_months;
        let per_period = wanted.pricing().price_for_months(months).unwrap_or(0)
            - standing
                .current
                .pricing()
                .price_for_months(months)
                .unwrap_or(0);
        let amount = prorate(per_period, standing.remaining, standing.period);
        let days = |span: Duration| (span.num_hours() + 12) / 24;
        let quote = pricing::quote(&PriceInput {
            item: Item::Resize {
                hostname: &order.hostname,
                from: &order.plan_name,
                to: &plan.name,
                remaining_days: days(standing.remaining),
                period_days: days(standing.period),
            },
            language: standing.language,
            monthly_price: amount,
            months: 1,
            period_discount_percent: 0,
            coupon: None,
            tax_rate_bp: self.config().tax_rate_bp,
        });
        Some(ResizeOption {
            plan_id: PlanId(plan.id),
            plan_name: plan.name.clone(),
            vcpus: plan.vcpus,
            memory_mb: plan.memory_mb,
            disk_gb: plan.disk_gb,
            price_idr_monthly: plan.pricing.price_idr_monthly,
            smaller,
            quote,
        })
    }
}

/// The history's note when a service moved to another plan, followed by the plan's name; the
/// order page translates the words before the colon.
pub const RESIZED_TO: &str = "plan changed to";

/// Records in the order's history that the service moved to `plan_name` (its status stays).
pub(crate) async fn record_resized(
    tx: &mut Tx,
    order_id: i64,
    status: &str,
    plan_name: &str,
) -> Result<(), DbError> {
    let status = OrderStatus::parse(status).unwrap_or(OrderStatus::Active);
    let note = format!("{RESIZED_TO}: {plan_name}");
    super::record_event(
        tx,
        order_id,
        Some(status),
        status,
        None,
        Some(&note),
        Utc::now(),
    )
    .await
}

/// Queues the paid resize's job.
async fn queue(tx: &mut Tx, resize_id: i64, now: DateTime<Utc>) -> Result<(), DbError> {
    jobs::enqueue(
        tx,
        RESIZE_JOB,
        &serde_json::json!({ "resize_id": resize_id }),
        now,
        jobs::DEFAULT_MAX_ATTEMPTS,
    )
    .await?;
    Ok(())
}

/// The resize `invoice_id` pays for, if it pays for one.
async fn paid_by(tx: &mut Tx, invoice_id: i64) -> Result<Option<i64>, DbError> {
    let resize_id = tx_run!(tx, |conn| {
        sqlx::query_scalar("SELECT id FROM resizes WHERE invoice_id = $1")
            .bind(invoice_id)
            .fetch_optional(conn)
            .await
    })?;
    Ok(resize_id)
}

/// Ends resize `id` as `to` (done, failed with `error`, cancelled) if it can still end so;
/// answers whether it did, so what goes with the end happens once.
pub(crate) async fn finish(
    tx: &mut Tx,
    id: i64,
    to: ResizeStatus,
    error: Option<&str>,
) -> Result<bool, DbError> {
    if !compare_and_set(tx, "resizes", id, to).await?.made() {
        return Ok(false);
    }
    tx_run!(tx, |conn| {
        sqlx::query(
            "UPDATE resizes SET error = $1, finished_at = $2, provider_handle = NULL WHERE id = $3",
        )
        .bind(error)
        .bind(Utc::now())
        .bind(id)
        .execute(conn)
        .await
        .map(|_| ())
    })?;
    Ok(true)
}

/// The resize `invoice` pays is queued (in the transaction that marked it paid).
pub(crate) async fn invoice_paid(tx: &mut Tx, invoice_id: i64) -> Result<(), DbError> {
    if let Some(resize_id) = paid_by(tx, invoice_id).await?
        && compare_and_set(tx, "resizes", resize_id, ResizeStatus::Queued)
            .await?
            .made()
    {
        queue(tx, resize_id, Utc::now()).await?;
    }
    Ok(())
}

/// A resize whose invoice closed unpaid (expired, cancelled) will not happen.
pub(crate) async fn invoice_closed(
    tx: &mut Tx,
    invoice_id: i64,
    to: InvoiceStatus,
) -> Result<(), DbError> {
    if matches!(to, InvoiceStatus::Expired | InvoiceStatus::Cancelled)
        && let Some(resize_id) = paid_by(tx, invoice_id).await?
    {
        finish(tx, resize_id, ResizeStatus::Cancelled, None).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_difference_is_billed_for_the_share_of_the_period_left() {
        let month = Duration::days(30);
        assert_eq!(prorate(30_000, Duration::days(15), month), 15_000);
        assert_eq!(prorate(30_000, month, month), 30_000);
        // Rounded down, for the customer.
        assert_eq!(prorate(10_000, Duration::days(10), month), 3_333);
        // A renewal paid ahead: more than a period is left.
        assert_eq!(prorate(30_000, Duration::days(45), month), 45_000);
        // Nothing for a smaller plan, an ended period or a period of no length.
        assert_eq!(prorate(-30_000, Duration::days(15), month), 0);
        assert_eq!(prorate(30_000, Duration::days(-1), month), 0);
        assert_eq!(prorate(30_000, month, Duration::zero()), 0);
        // Large sums do not overflow on the way.
        assert_eq!(
            prorate(i64::MAX / 2, Duration::days(365), Duration::days(365)),
            i64::MAX / 2
        );
    }

    #[test]
    fn smaller_means_less_of_anything() {
        let plan = |vcpus, memory_mb, disk_gb| Specs {
            vcpus,
            memory_mb,
            disk_gb,
            price_idr_monthly: 0,
            discount_3m_percent: 0,
            discount_6m_percent: 0,
            discount_12m_percent: 0,
        };
        assert!(plan(2, 2048, 40).smaller_than(&plan(2, 2048, 50)));
        assert!(plan(1, 4096, 80).smaller_than(&plan(2, 2048, 50)));
        assert!(!plan(2, 4096, 80).smaller_than(&plan(2, 2048, 50)));
        assert!(!plan(2, 2048, 50).smaller_than(&plan(2, 2048, 50)));
    }
}
