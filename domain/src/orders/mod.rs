//! Orders: a customer picks a plan, region, image, host name and period, gets an invoice, and
//! once it is paid the server is made and the order runs until it is cancelled, expires or is
//! terminated. Every status change goes through [`transition`], which checks it against
//! [`OrderStatus::can_become`] and records it in `order_events`, the history customers and
//! admins read and the events notifications are sent from.

pub mod coupons;
pub mod due_dates;
pub mod pricing;
pub mod refunds;
pub mod reminders;
pub mod renewals;
pub mod resize;
pub mod self_service;
mod views;

pub mod worker;

use chrono::{DateTime, Duration, Months, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Serialize};

use self::pricing::{CouponTerms, Item, PriceInput, Quote};
use crate::billing::credit;
use crate::billing::invoices::{self, Invoice, InvoiceChange, InvoiceStatus, NewInvoice, Purpose};
use crate::caller::{Caller, NotAdmin};
use crate::catalog::{Catalog, CatalogError, Offer, TERMS};
use crate::db::Tx;
use crate::error::{Code, ErrorCode};
use crate::instances::{InstanceError, parse_hostname};
use crate::notifications::notices::BilledBy;
use crate::notifications::{self, Notice};
use crate::ssh_keys::{self, SshKeyError};
use crate::{Db, DbError, db_run, jobs, tx_run};
use model::accounts::Role;
pub use model::billing::Seller;
pub use model::orders::OrderRequest;
pub use model::status::OrderStatus;

pub const PROVISION_JOB: &str = "order_provision";
pub const INVOICE_EXPIRY_JOB: &str = "invoice_expiry";

/// The money rules of this installation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BillingConfig {
    /// PPN in basis points (1100 = 11 %).
    pub tax_rate_bp: i64,
    /// How long an invoice can be paid.
    pub invoice_lifetime: Duration,
    /// How long before a paid period ends its renewal invoice is issued.
    pub renewal_lead: Duration,
    /// How long after a period ends its renewal invoice can still be paid; past it the
    /// service is suspended (its server powered off).
    pub renewal_grace: Duration,
    /// How long a service stays suspended before its server is deleted.
    pub termination_after: Duration,
    /// Who issues the invoices.
    pub seller: Seller,
}

impl Default for BillingConfig {
    fn default() -> Self {
        Self {
            tax_rate_bp: 1_100,
            invoice_lifetime: Duration::hours(24),
            renewal_lead: Duration::days(7),
            renewal_grace: Duration::days(3),
            termination_after: Duration::days(14),
            seller: Seller::default(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum OrderError {
    #[error("no such order")]
    NotFound,
    #[error("admins only")]
    Forbidden,
    #[error("verify your e-mail address before ordering")]
    EmailUnverified,
    #[error("{message}")]
    Invalid {
        field: &'static str,
        code: Code,
        message: String,
    },
    #[error("you already have a server or order called `{0}`")]
    HostnameTaken(String),
    #[error("an order that is {from} cannot become {to}")]
    IllegalTransition { from: OrderStatus, to: OrderStatus },
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    #[error(transparent)]
    Instance(#[from] InstanceError),
    #[error(transparent)]
    SshKeys(#[from] SshKeyError),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<sqlx::Error> for OrderError {
    fn from(error: sqlx::Error) -> Self {
        Self::Db(DbError::Query(error))
    }
}

impl From<NotAdmin> for OrderError {
    fn from(_: NotAdmin) -> Self {
        Self::Forbidden
    }
}

impl ErrorCode for OrderError {
    fn code(&self) -> Code {
        match self {
            Self::NotFound => Code::NotFound,
            Self::Forbidden => Code::Forbidden,
            Self::EmailUnverified => Code::EmailNotVerified,
            Self::Invalid { code, .. } => *code,
            Self::HostnameTaken(_) => Code::HostnameTaken,
            Self::IllegalTransition { .. } => Code::IllegalTransition,
            Self::Catalog(error) => error.code(),
            Self::Instance(error) => error.code(),
            Self::SshKeys(error) => error.code(),
            Self::Db(error) => error.code(),
        }
    }

    fn field(&self) -> Option<&'static str> {
        match self {
            Self::Invalid { field, .. } => Some(field),
            Self::HostnameTaken(_) => Some("hostname"),
            Self::Catalog(error) => error.field(),
            Self::Instance(error) => error.field(),
            Self::SshKeys(error) => error.field(),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct Order {
    pub id: i64,
    pub user_id: i64,
    pub owner_email: String,
    pub plan_id: i64,
    pub plan_name: String,
    pub region_slug: String,
    pub image_slug: String,
    pub hostname: String,
    pub period_months: i64,
    pub status: String,
    pub status_message: Option<String>,
    pub instance_id: Option<i64>,
    pub paid_until: Option<DateTime<Utc>>,
    pub auto_renew: bool,
    pub created_at: DateTime<Utc>,
}

const ORDER_SELECT: &str = "SELECT o.id, o.user_id, u.email AS owner_email, o.plan_id, \
     p.name AS plan_name, o.region_slug, o.image_slug, o.hostname, o.period_months, o.status, \
     o.status_message, o.instance_id, o.paid_until, o.auto_renew, o.created_at \
     FROM orders o JOIN users u ON u.id = o.user_id JOIN plans p ON p.id = o.plan_id";

#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct OrderEvent {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub from_status: Option<String>,
    pub to_status: String,
    pub note: Option<String>,
}

/// An order with its history and invoices.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderDetail {
    pub order: Order,
    pub events: Vec<OrderEvent>,
    pub invoices: Vec<Invoice>,
}

/// Which orders an admin looks at; every part is optional.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderFilter {
    pub status: Option<String>,
    /// Part of the customer's e-mail address or the host name.
    pub search: Option<String>,
    pub placed_from: Option<NaiveDate>,
    /// The last day included.
    pub placed_to: Option<NaiveDate>,
}

/// A placed order and the invoice to pay for it (already paid when nothing was due).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placed {
    pub order: Order,
    pub invoice: Invoice,
}

#[derive(Clone, Debug)]
pub struct Orders {
    db: Db,
    catalog: Catalog,
    config: BillingConfig,
}

fn invalid(field: &'static str, code: Code, message: impl Into<String>) -> OrderError {
    OrderError::Invalid {
        field,
        code,
        message: message.into(),
    }
}

/// Checks and records a change of status inside `tx`; answers the status it came from. A
/// change another transaction made first is refused like any illegal one.
pub(crate) async fn transition(
    tx: &mut Tx,
    order_id: i64,
    to: OrderStatus,
    actor_user_id: Option<i64>,
    note: Option<&str>,
) -> Result<OrderStatus, OrderError> {
    let current: Option<String> = tx_run!(tx, |conn| {
        sqlx::query_scalar("SELECT status FROM orders WHERE id = $1")
            .bind(order_id)
            .fetch_optional(conn)
            .await
    })?;
    let from = current
        .as_deref()
        .and_then(OrderStatus::parse)
        .ok_or(OrderError::NotFound)?;
    if !from.can_become(to) {
        return Err(OrderError::IllegalTransition { from, to });
    }
    let now = Utc::now();
    let changed = tx_run!(tx, |conn| {
        sqlx::query(
            "UPDATE orders SET status = $1, status_message = $2, updated_at = $3 \
             WHERE id = $4 AND status = $5",
        )
        .bind(to.as_str())
        .bind(note)
        .bind(now)
        .bind(order_id)
        .bind(from.as_str())
        .execute(conn)
        .await
        .map(|done| done.rows_affected())
    })?;
    if changed != 1 {
        return Err(OrderError::IllegalTransition { from, to });
    }
    record_event(tx, order_id, Some(from), to, actor_user_id, note, now).await?;
    announce(tx, order_id, from, to, note, actor_user_id).await?;
    Ok(from)
}

/// Cancels an order in `tx` with `note`, by `actor_user_id` or by the platform: its unpaid
/// invoices are cancelled with it, and its server, if it has one, is deleted.
pub(crate) async fn cancel_with_server(
    tx: &mut Tx,
    order_id: i64,
    instance_id: Option<i64>,
    actor_user_id: Option<i64>,
    note: &str,
) -> Result<(), OrderError> {
    transition(
        tx,
        order_id,
        OrderStatus::Cancelled,
        actor_user_id,
        Some(note),
    )
    .await?;
    invoices::cancel_unpaid(
        tx,
        order_id,
        InvoiceChange {
            note: Some(note),
            actor_user_id,
            ..InvoiceChange::default()
        },
    )
    .await?;
    if let Some(instance_id) = instance_id {
        crate::instances::suspension::terminate(tx, instance_id, note).await?;
    }
    Ok(())
}

#[derive(sqlx::FromRow)]
struct Announced {
    user_id: i64,
    hostname: String,
    instance_id: Option<i64>,
    ipv4: Option<String>,
}

/// Tells the customer (and for failures the admins) what a status change means for them. A
/// change into `paid` or `expired` is told where its invoice is known ([`invoice_paid`] and the
/// expiry job).
async fn announce(
    tx: &mut Tx,
    order_id: i64,
    from: OrderStatus,
    to: OrderStatus,
    note: Option<&str>,
    actor_user_id: Option<i64>,
) -> Result<(), DbError> {
    let order: Announced = tx_run!(tx, |conn| {
        sqlx::query_as(
            "SELECT o.user_id, o.hostname, o.instance_id, i.ipv4 FROM orders o \
             LEFT JOIN instances i ON i.id = o.instance_id WHERE o.id = $1",
        )
        .bind(order_id)
        .fetch_one(conn)
        .await
    })?;
    let hostname = order.hostname.as_str();
    let notice = match (from, to) {
        (_, OrderStatus::Provisioning) => Notice::provisioning_started(order_id, hostname),
        (OrderStatus::Suspended, OrderStatus::Active) => Notice::resumed(order_id, hostname),
        (_, OrderStatus::Active) => {
            Notice::server_ready(order.instance_id, hostname, order.ipv4.as_deref())
        }
        (_, OrderStatus::Failed) => {
            let reason = note.unwrap_or("unknown");
            notifications::notify_admins(
                tx,
                &Notice::admin_provisioning_failed(order_id, hostname, reason),
            )
            .await?;
            Notice::provisioning_failed(order_id, hostname)
        }
        (_, OrderStatus::Suspended) => Notice::suspended(order_id, hostname),
        (_, OrderStatus::Terminated) => Notice::terminated(order_id, hostname),
        (_, OrderStatus::Cancelled) if actor_user_id == Some(order.user_id) => {
            Notice::cancelled_by_you(order_id, hostname, from != OrderStatus::PendingPayment)
        }
        (_, OrderStatus::Cancelled) if note == Some(self_service::ENDED_WITH_PERIOD) => {
            Notice::ended_with_period(order_id, hostname)
        }
        (_, OrderStatus::Cancelled) if note == Some(refunds::REFUNDED) => {
            Notice::refunded(order_id, hostname)
        }
        (_, OrderStatus::Cancelled) => {
            Notice::order_cancelled(order_id, hostname, note.unwrap_or_default())
        }
        (_, OrderStatus::PendingPayment | OrderStatus::Paid | OrderStatus::Expired) => {
            return Ok(());
        }
    };
    notifications::notify(tx, order.user_id, &notice).await?;
    Ok(())
}

/// Records something an admin did to an order that leaves its status as it is (a refund, an
/// extension) in its history, and tells the customer.
pub(crate) async fn note_event(
    tx: &mut Tx,
    order_id: i64,
    actor_user_id: i64,
    note: &str,
) -> Result<(), OrderError> {
    let order: Option<(String, i64, String)> = tx_run!(tx, |conn| {
        sqlx::query_as("SELECT status, user_id, hostname FROM orders WHERE id = $1")
            .bind(order_id)
            .fetch_optional(conn)
            .await
    })?;
    let (status, user_id, hostname) = order.ok_or(OrderError::NotFound)?;
    let status = OrderStatus::parse(&status).ok_or(OrderError::NotFound)?;
    notifications::notify(
        tx,
        user_id,
        &Notice::order_updated(order_id, &hostname, note),
    )
    .await?;
    record_event(
        tx,
        order_id,
        Some(status),
        status,
        Some(actor_user_id),
        Some(note),
        Utc::now(),
    )
    .await?;
    Ok(())
}

async fn record_event(
    tx: &mut Tx,
    order_id: i64,
    from: Option<OrderStatus>,
    to: OrderStatus,
    actor_user_id: Option<i64>,
    note: Option<&str>,
    at: DateTime<Utc>,
) -> Result<(), DbError> {
    tx_run!(tx, |conn| {
        sqlx::query(
            "INSERT INTO order_events (order_id, at, from_status, to_status, actor_user_id, note) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(order_id)
        .bind(at)
        .bind(from.map(OrderStatus::as_str))
        .bind(to.as_str())
        .bind(actor_user_id)
        .bind(note)
        .execute(conn)
        .await
        .map(|_| ())
    })?;
    Ok(())
}

/// The end of a period of `months` starting at `from` (calendar months, as customers count).
pub(crate) fn period_end(from: DateTime<Utc>, months: i64) -> DateTime<Utc> {
    from.checked_add_months(calendar_months(months))
        .unwrap_or(from)
}

/// The start of a period of `months` that ends at `end`: what a refunded renewal takes back.
pub(crate) fn period_start(end: DateTime<Utc>, months: i64) -> DateTime<Utc> {
    end.checked_sub_months(calendar_months(months))
        .unwrap_or(end)
}

fn calendar_months(months: i64) -> Months {
    Months::new(u32::try_from(months).unwrap_or(1))
}

/// What paying `invoice` does, inside the transaction that marked it paid: a new order goes on
/// to be provisioned; a renewal extends the period it pays for; a resize is queued; a top-up
/// becomes credit.
pub(crate) async fn invoice_paid(tx: &mut Tx, invoice: &Invoice) -> Result<(), OrderError> {
    if invoice.total > 0 {
        notifications::notify(
            tx,
            invoice.user_id,
            &Notice::payment_received(invoice.id, &invoice.number, invoice.total),
        )
        .await?;
        notifications::notify_admins(
            tx,
            &Notice::admin_payment_received(
                BilledBy::of(invoice.order_id, invoice.id),
                &invoice.number,
                invoice.total,
            ),
        )
        .await?;
    }
    let Some(order_id) = invoice.order_id else {
        return Ok(credit::topped_up(tx, invoice).await?);
    };
    if invoice.purpose == Purpose::Resize.as_str() {
        return Ok(resize::invoice_paid(tx, invoice.id).await?);
    }
    if invoice.purpose == Purpose::New.as_str() {
        transition(tx, order_id, OrderStatus::Paid, None, None).await?;
        jobs::enqueue(
            tx,
            PROVISION_JOB,
            &serde_json::json!({ "order_id": order_id }),
            Utc::now(),
            jobs::DEFAULT_MAX_ATTEMPTS,
        )
        .await?;
        return Ok(());
    }
    let (paid_until, status, instance_id): (Option<DateTime<Utc>>, String, Option<i64>) =
        tx_run!(tx, |conn| {
            sqlx::query_as("SELECT paid_until, status, instance_id FROM orders WHERE id = $1")
                .bind(order_id)
                .fetch_one(conn)
                .await
        })?;
    let until = period_end(paid_until.unwrap_or_else(Utc::now), invoice.period_months);
    tx_run!(tx, |conn| {
        sqlx::query(
            "UPDATE orders SET paid_until = $1, suspended_at = NULL, updated_at = $2 WHERE id = $3",
        )
        .bind(until)
        .bind(Utc::now())
        .bind(order_id)
        .execute(conn)
        .await
        .map(|_| ())
    })?;
    // Paid while suspended: the service comes back and its server is powered on.
    if status == OrderStatus::Suspended.as_str() {
        transition(
            tx,
            order_id,
            OrderStatus::Active,
            None,
            Some("the renewal was paid"),
        )
        .await?;
        if let Some(instance_id) = instance_id {
            crate::instances::suspension::resume(tx, instance_id).await?;
        }
    }
    Ok(())
}

impl Orders {
    pub fn new(db: Db, catalog: Catalog, config: BillingConfig) -> Self {
        Self {
            db,
            catalog,
            config,
        }
    }

    pub(crate) fn db(&self) -> &Db {
        &self.db
    }

    pub fn config(&self) -> &BillingConfig {
        &self.config
    }

    /// Checks what an order asks for against the catalog and the customer's keys. Runs before
    /// the order's transaction opens, so that transaction never waits on another connection.
    async fn check(
        &self,
        caller: &Caller,
        request: &OrderRequest,
    ) -> Result<(Offer, String), OrderError> {
        if !caller.email_verified {
            return Err(OrderError::EmailUnverified);
        }
        let offer = self.offer(request).await?;
        let hostname = self.free_hostname(caller, &request.hostname).await?;
        ssh_keys::for_provisioning(
            &self.db,
            caller.user_id,
            &request
                .ssh_key_ids
                .iter()
                .map(|id| id.get())
                .collect::<Vec<_>>(),
        )
        .await?;
        Ok((offer, hostname))
    }

    /// What the catalog sells for `request`'s plan, region, image and period.
    async fn offer(&self, request: &OrderRequest) -> Result<Offer, OrderError> {
        if !TERMS.contains(&request.period_months) {
            return Err(invalid(
                "period_months",
                Code::PeriodInvalid,
                "choose a period of 1, 3, 6 or 12 months",
            ));
        }
        Ok(self
            .catalog
            .offer(request.plan_id.get(), &request.region, &request.image)
            .await?)
    }

    /// The price of `request`'s plan, period and coupon as the order form fills in, before the
    /// rest of it is there: the host name, the keys and a verified address are not asked for.
    pub async fn preview(
        &self,
        caller: &Caller,
        request: &OrderRequest,
    ) -> Result<Quote, OrderError> {
        let offer = self.offer(request).await?;
        self.price_now(caller, request, &offer, request.hostname.trim())
            .await
    }

    /// `raw` as a host name the caller can give a new server: valid, and naming none of their
    /// open orders or live servers. The order's transaction checks again, as another request
    /// may take the name meanwhile; this is for the form, which asks as the name is typed.
    pub async fn free_hostname(&self, caller: &Caller, raw: &str) -> Result<String, OrderError> {
        let hostname = parse_hostname(raw)?;
        let taken: bool = db_run!(&self.db, |pool| {
            sqlx::query_scalar(
                "SELECT EXISTS (SELECT 1 FROM orders WHERE user_id = $1 AND hostname = $2 \
                 AND status NOT IN ('cancelled', 'expired', 'terminated')) \
                 OR EXISTS (SELECT 1 FROM instances WHERE user_id = $1 AND hostname = $2 \
                 AND status <> 'deleted')",
            )
            .bind(caller.user_id)
            .bind(&hostname)
            .fetch_one(pool)
            .await
        })?;
        if taken {
            return Err(OrderError::HostnameTaken(hostname));
        }
        Ok(hostname)
    }

    /// The coupon, if any, and the price, read inside `tx`.
    async fn price(
        &self,
        tx: &mut Tx,
        caller: &Caller,
        request: &OrderRequest,
        offer: &Offer,
        hostname: &str,
        now: DateTime<Utc>,
    ) -> Result<(Option<coupons::Coupon>, Quote), OrderError> {
        let coupon = match request.coupon.as_deref().map(str::trim) {
            Some(code) if !code.is_empty() => {
                Some(coupons::usable(tx, code, caller.user_id, offer.plan_id, now).await?)
            }
            _ => None,
        };
        let terms = coupon.as_ref().map(CouponTerms::from);
        let language = crate::accounts::language_in(tx, caller.user_id).await?;
        let quote = pricing::quote(&PriceInput {
            item: Item::Service {
                plan: &offer.plan_name,
                hostname,
            },
            language,
            monthly_price: offer.pricing.price_idr_monthly,
            months: request.period_months,
            period_discount_percent: offer
                .pricing
                .discount_percent(request.period_months)
                .unwrap_or(0),
            coupon: terms.as_ref(),
            tax_rate_bp: self.config.tax_rate_bp,
        });
        Ok((coupon, quote))
    }

    /// The price of `request` as it would be billed now, for the review step.
    pub async fn quote(
        &self,
        caller: &Caller,
        request: &OrderRequest,
    ) -> Result<Quote, OrderError> {
        let (offer, hostname) = self.check(caller, request).await?;
        self.price_now(caller, request, &offer, &hostname).await
    }

    /// The price as placing the order would work it out now: the same reads, in a transaction
    /// that writes nothing.
    async fn price_now(
        &self,
        caller: &Caller,
        request: &OrderRequest,
        offer: &Offer,
        hostname: &str,
    ) -> Result<Quote, OrderError> {
        let mut tx = self.db.begin_read().await?;
        let (_, quote) = self
            .price(&mut tx, caller, request, offer, hostname, Utc::now())
            .await?;
        drop(tx);
        Ok(quote)
    }

    /// Places an order and issues its invoice; an invoice with nothing to pay is settled at once.
    #[tracing::instrument(
        name = "order.place",
        skip_all,
        fields(user_id = caller.user_id, plan_id = %request.plan_id, sentry.op = "order.place")
    )]
    pub async fn place(
        &self,
        caller: &Caller,
        request: OrderRequest,
    ) -> Result<Placed, OrderError> {
        let (offer, hostname) = self.check(caller, &request).await?;
        let now = Utc::now();
        let mut tx = self.db.begin().await?;
        let (coupon, quote) = self
            .price(&mut tx, caller, &request, &offer, &hostname, now)
            .await?;
        let live_server: Option<i64> = tx_run!(&mut tx, |conn| {
            sqlx::query_scalar(
                "SELECT id FROM instances WHERE user_id = $1 AND hostname = $2 AND status <> 'deleted'",
            )
            .bind(caller.user_id)
            .bind(&hostname)
            .fetch_optional(conn)
            .await
        })?;
        if live_server.is_some() {
            return Err(OrderError::HostnameTaken(hostname));
        }
        let ssh_key_ids =
            serde_json::to_string(&request.ssh_key_ids).unwrap_or_else(|_| "[]".into());
        let order_id: Option<i64> = tx_run!(&mut tx, |conn| {
            sqlx::query_scalar(
                "INSERT INTO orders (user_id, plan_id, region_slug, image_slug, hostname, \
                 period_months, ssh_key_ids, coupon_id, status, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending_payment', $9, $9) \
                 ON CONFLICT DO NOTHING RETURNING id",
            )
            .bind(caller.user_id)
            .bind(offer.plan_id)
            .bind(&offer.region_slug)
            .bind(&offer.image_slug)
            .bind(&hostname)
            .bind(request.period_months)
            .bind(&ssh_key_ids)
            .bind(coupon.as_ref().map(|coupon| coupon.id.get()))
            .bind(now)
            .fetch_optional(conn)
            .await
        })?;
        let Some(order_id) = order_id else {
            return Err(OrderError::HostnameTaken(hostname));
        };
        record_event(
            &mut tx,
            order_id,
            None,
            OrderStatus::PendingPayment,
            Some(caller.user_id),
            None,
            now,
        )
        .await?;
        if let Some(coupon) = &coupon {
            coupons::redeem(&mut tx, coupon, caller.user_id, order_id, now).await?;
        }
        let mut invoice = invoices::issue(
            &mut tx,
            &NewInvoice {
                user_id: caller.user_id,
                order_id: Some(order_id),
                purpose: Purpose::New,
                period_months: request.period_months,
                quote: &quote,
                now,
                lifetime: self.config.invoice_lifetime,
            },
        )
        .await?;
        notifications::notify(
            &mut tx,
            caller.user_id,
            &Notice::order_placed(
                order_id,
                invoice.id,
                &hostname,
                &invoice.number,
                invoice.total,
            ),
        )
        .await?;
        let customer: String = tx_run!(&mut tx, |conn| {
            sqlx::query_scalar("SELECT email FROM users WHERE id = $1")
                .bind(caller.user_id)
                .fetch_one(conn)
                .await
        })?;
        notifications::notify_admins(
            &mut tx,
            &Notice::admin_new_order(order_id, &hostname, &customer, invoice.total),
        )
        .await?;
        if invoice.total == 0 {
            invoices::transition(
                &mut tx,
                invoice.id,
                InvoiceStatus::Paid,
                InvoiceChange {
                    paid: Some(("coupon", now)),
                    ..InvoiceChange::default()
                },
            )
            .await?;
            invoice_paid(&mut tx, &invoice).await?;
            invoice = invoices::by_id_in(&mut tx, invoice.id)
                .await?
                .ok_or(OrderError::NotFound)?;
        } else {
            jobs::enqueue(
                &mut tx,
                INVOICE_EXPIRY_JOB,
                &serde_json::json!({ "invoice_id": invoice.id }),
                invoice.expires_at,
                jobs::DEFAULT_MAX_ATTEMPTS,
            )
            .await?;
        }
        tx.commit().await?;
        metrics::counter!("orders_placed_total").increment(1);
        Ok(Placed {
            order: self.by_id(order_id).await?,
            invoice,
        })
    }

    pub(crate) async fn by_id(&self, id: i64) -> Result<Order, OrderError> {
        let sql = format!("{ORDER_SELECT} WHERE o.id = $1");
        db_run!(&self.db, |pool| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
                .bind(id)
                .fetch_optional(pool)
                .await
        })?
        .ok_or(OrderError::NotFound)
    }

    /// The order if the caller may see it: its owner, or an admin. Another customer's order is
    /// as missing as one that does not exist.
    async fn visible(&self, caller: &Caller, id: i64) -> Result<Order, OrderError> {
        let order = self.by_id(id).await?;
        if order.user_id == caller.user_id || caller.role == Role::Admin {
            Ok(order)
        } else {
            Err(OrderError::NotFound)
        }
    }

    pub async fn list_mine(&self, caller: &Caller) -> Result<Vec<Order>, OrderError> {
        let sql = format!("{ORDER_SELECT} WHERE o.user_id = $1 ORDER BY o.id DESC");
        Ok(db_run!(&self.db, |pool| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
                .bind(caller.user_id)
                .fetch_all(pool)
                .await
        })?)
    }

    /// Every order, newest first, for admins, narrowed by `filter`.
    pub async fn list_all(
        &self,
        admin: &Caller,
        filter: &OrderFilter,
    ) -> Result<Vec<Order>, OrderError> {
        admin.require_admin()?;
        let status = filter.status.as_deref().filter(|status| !status.is_empty());
        if let Some(status) = status
            && OrderStatus::parse(status).is_none()
        {
            return Err(invalid(
                "status",
                Code::StatusInvalid,
                format!("no order status `{status}`"),
            ));
        }
        if let (Some(from), Some(to)) = (filter.placed_from, filter.placed_to)
            && from > to
        {
            return Err(invalid(
                "placed_to",
                Code::DateRangeInvalid,
                "the end date is before the start date",
            ));
        }
        let pattern = crate::db::contains_pattern(filter.search.as_deref());
        let start_of = |day: NaiveDate| day.and_time(NaiveTime::MIN).and_utc();
        let from = filter.placed_from.map(start_of);
        // Up to the end of the last day asked for.
        let before = filter
            .placed_to
            .and_then(|day| day.succ_opt())
            .map(start_of);
        let sql = format!(
            "{ORDER_SELECT} WHERE (CAST($1 AS TEXT) IS NULL OR o.status = $1) \
             AND (CAST($2 AS TEXT) IS NULL OR LOWER(u.email) LIKE $2 ESCAPE '\\' OR o.hostname LIKE $2 ESCAPE '\\') \
             AND ($3 IS NULL OR o.created_at >= $3) AND ($4 IS NULL OR o.created_at < $4) \
             ORDER BY o.id DESC LIMIT 500"
        );
        Ok(db_run!(&self.db, |pool| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
                .bind(status)
                .bind(&pattern)
                .bind(from)
                .bind(before)
                .fetch_all(pool)
                .await
        })?)
    }

    pub async fn detail(&self, caller: &Caller, id: i64) -> Result<OrderDetail, OrderError> {
        let order = self.visible(caller, id).await?;
        let events = db_run!(&self.db, |pool| {
            sqlx::query_as(
                "SELECT id, at, from_status, to_status, note FROM order_events \
                 WHERE order_id = $1 ORDER BY id",
            )
            .bind(id)
            .fetch_all(pool)
            .await
        })?;
        let sql = format!(
            "SELECT {} FROM invoices WHERE order_id = $1 ORDER BY id DESC",
            invoices::INVOICE_COLUMNS
        );
        let invoices = db_run!(&self.db, |pool| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
                .bind(id)
                .fetch_all(pool)
                .await
        })?;
        Ok(OrderDetail {
            order,
            events,
            invoices,
        })
    }
}

/// What an admin does to an order by hand.
impl Orders {
    /// Cancels an order no server runs for: unpaid (its invoice is cancelled and its coupon use
    /// given back), paid but not yet provisioning, or failed. Money already received is for the
    /// admin to refund; a running service is terminated instead.
    pub async fn cancel(&self, admin: &Caller, id: i64, note: &str) -> Result<Order, OrderError> {
        admin.require_admin()?;
        let note = required_note(note)?;
        let order = self.by_id(id).await?;
        let status = OrderStatus::parse(&order.status).ok_or(OrderError::NotFound)?;
        if !matches!(
            status,
            OrderStatus::PendingPayment | OrderStatus::Paid | OrderStatus::Failed
        ) {
            return Err(OrderError::IllegalTransition {
                from: status,
                to: OrderStatus::Cancelled,
            });
        }
        let mut tx = self.db.begin().await?;
        transition(
            &mut tx,
            id,
            OrderStatus::Cancelled,
            Some(admin.user_id),
            Some(note),
        )
        .await?;
        invoices::cancel_unpaid(
            &mut tx,
            id,
            InvoiceChange {
                note: Some(note),
                actor_user_id: Some(admin.user_id),
                ..InvoiceChange::default()
            },
        )
        .await?;
        if status == OrderStatus::PendingPayment {
            coupons::release(&mut tx, id).await?;
        }
        audit(&mut tx, admin, &order, "order_cancelled", note).await?;
        tx.commit().await?;
        self.by_id(id).await
    }

    /// Moves a running service's paid period on by `days` (a goodwill credit, a payment made
    /// elsewhere), with a note; the history shows it.
    pub async fn extend(
        &self,
        admin: &Caller,
        id: i64,
        days: i64,
        note: &str,
    ) -> Result<Order, OrderError> {
        admin.require_admin()?;
        let note = required_note(note)?;
        if !(1..=366).contains(&days) {
            return Err(invalid(
                "days",
                Code::DaysInvalid,
                "extend by 1 to 366 days",
            ));
        }
        let order = self.by_id(id).await?;
        let status = OrderStatus::parse(&order.status).ok_or(OrderError::NotFound)?;
        let Some(paid_until) = order
            .paid_until
            .filter(|_| matches!(status, OrderStatus::Active | OrderStatus::Suspended))
        else {
            return Err(invalid(
                "days",
                Code::NotRunning,
                "only a running or suspended service has a period to extend",
            ));
        };
        let until = paid_until + Duration::days(days);
        let mut tx = self.db.begin().await?;
        tx_run!(&mut tx, |conn| {
            sqlx::query("UPDATE orders SET paid_until = $1, updated_at = $2 WHERE id = $3")
                .bind(until)
                .bind(Utc::now())
                .bind(id)
                .execute(conn)
                .await
                .map(|_| ())
        })?;
        let detail = format!(
            "extended by {days} days to {}: {note}",
            until.format("%Y-%m-%d")
        );
        note_event(&mut tx, id, admin.user_id, &detail).await?;
        audit(&mut tx, admin, &order, "order_extended", &detail).await?;
        tx.commit().await?;
        self.by_id(id).await
    }
}

impl Orders {
    /// Provisions a failed order again: whatever the failed attempt left at the provider is
    /// deleted, then a new server is made under the same host name.
    pub async fn retry(&self, admin: &Caller, id: i64, note: &str) -> Result<Order, OrderError> {
        admin.require_admin()?;
        let note = required_note(note)?;
        let order = self.by_id(id).await?;
        let mut tx = self.db.begin().await?;
        transition(
            &mut tx,
            id,
            OrderStatus::Provisioning,
            Some(admin.user_id),
            Some(note),
        )
        .await
        .and_then(|from| {
            if from == OrderStatus::Failed {
                Ok(())
            } else {
                Err(OrderError::IllegalTransition {
                    from,
                    to: OrderStatus::Provisioning,
                })
            }
        })?;
        if let Some(instance_id) = order.instance_id {
            crate::instances::suspension::terminate(
                &mut tx,
                instance_id,
                "replaced by a new attempt",
            )
            .await?;
        }
        tx_run!(&mut tx, |conn| {
            sqlx::query("UPDATE orders SET instance_id = NULL WHERE id = $1")
                .bind(id)
                .execute(conn)
                .await
                .map(|_| ())
        })?;
        jobs::enqueue(
            &mut tx,
            PROVISION_JOB,
            &serde_json::json!({ "order_id": id }),
            Utc::now(),
            jobs::DEFAULT_MAX_ATTEMPTS,
        )
        .await?;
        audit(&mut tx, admin, &order, "order_retried", note).await?;
        tx.commit().await?;
        self.by_id(id).await
    }
}

fn required_note(note: &str) -> Result<&str, OrderError> {
    let note = note.trim();
    if note.is_empty() {
        return Err(invalid(
            "note",
            Code::NoteRequired,
            "say why, for the customer's history and the audit log",
        ));
    }
    Ok(note)
}

async fn audit(
    tx: &mut Tx,
    admin: &Caller,
    order: &Order,
    action: &str,
    note: &str,
) -> Result<(), DbError> {
    crate::audit::record(
        tx,
        crate::audit::AuditEvent {
            action,
            actor_user_id: Some(admin.user_id),
            subject_user_id: Some(order.user_id),
            detail: Some(format!("order {} ({}): {note}", order.id, order.hostname)),
            ..Default::default()
        },
    )
    .await
}
