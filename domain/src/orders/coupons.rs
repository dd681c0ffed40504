//! Coupons: percent or fixed rupiah off, within a validity window, with total and per-customer
//! limits and the plans they apply to. Admins write them; an order redeems one in its own
//! transaction, and an order that ends unpaid gives its use back.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use model::ids::{CouponId, PlanId};

use super::OrderError;
use super::pricing::{CouponKind, CouponTerms};
use crate::caller::Caller;
use crate::db::Tx;
use crate::error::Code;
use crate::{Db, db_run, tx_run};

pub use model::orders::Coupon;

/// A coupon as an admin writes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CouponInput {
    pub code: String,
    pub kind: CouponKind,
    pub amount: i64,
    #[serde(default)]
    pub valid_from: Option<DateTime<Utc>>,
    #[serde(default)]
    pub valid_until: Option<DateTime<Utc>>,
    #[serde(default)]
    pub max_uses: Option<i64>,
    #[serde(default)]
    pub max_uses_per_customer: Option<i64>,
    #[serde(default)]
    pub plan_ids: Vec<i64>,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

#[derive(sqlx::FromRow)]
struct CouponRow {
    id: i64,
    code: String,
    kind: String,
    amount: i64,
    valid_from: Option<DateTime<Utc>>,
    valid_until: Option<DateTime<Utc>>,
    max_uses: Option<i64>,
    max_uses_per_customer: Option<i64>,
    used: i64,
    plan_ids: String,
    active: bool,
}

const COLUMNS: &str = "id, code, kind, amount, valid_from, valid_until, max_uses, \
     max_uses_per_customer, used, plan_ids, active";

impl From<CouponRow> for Coupon {
    fn from(row: CouponRow) -> Self {
        Self {
            id: CouponId(row.id),
            code: row.code,
            kind: CouponKind::parse(&row.kind).unwrap_or(CouponKind::Fixed),
            amount: row.amount,
            valid_from: row.valid_from,
            valid_until: row.valid_until,
            max_uses: row.max_uses,
            max_uses_per_customer: row.max_uses_per_customer,
            used: row.used,
            plan_ids: serde_json::from_str(&row.plan_ids).unwrap_or_default(),
            active: row.active,
        }
    }
}

impl From<&Coupon> for CouponTerms {
    fn from(coupon: &Coupon) -> Self {
        Self {
            code: coupon.code.clone(),
            kind: coupon.kind,
            amount: coupon.amount,
        }
    }
}

fn invalid(code: Code, message: impl Into<String>) -> OrderError {
    OrderError::Invalid {
        field: "coupon",
        code,
        message: message.into(),
    }
}

pub fn normalise_code(code: &str) -> String {
    code.trim().to_ascii_uppercase()
}

fn validate(input: &CouponInput) -> Result<String, OrderError> {
    let code = normalise_code(&input.code);
    if code.len() < 3
        || code.len() > 32
        || !code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(invalid(
            Code::CouponCodeInvalid,
            "a coupon code is 3 to 32 letters, digits, hyphens or underscores",
        ));
    }
    let amount_ok = match input.kind {
        CouponKind::Percent => (1..=100).contains(&input.amount),
        CouponKind::Fixed => input.amount > 0,
    };
    if !amount_ok {
        return Err(invalid(
            Code::CouponAmountInvalid,
            "a percent coupon takes 1 to 100; a fixed one a positive rupiah amount",
        ));
    }
    if let (Some(from), Some(until)) = (input.valid_from, input.valid_until)
        && until <= from
    {
        return Err(invalid(
            Code::CouponWindowInvalid,
            "the coupon must end after it starts",
        ));
    }
    if input.max_uses.is_some_and(|n| n < 1) || input.max_uses_per_customer.is_some_and(|n| n < 1) {
        return Err(invalid(
            Code::CouponLimitInvalid,
            "a usage limit is at least 1 (leave it empty for no limit)",
        ));
    }
    Ok(code)
}

pub async fn list(db: &Db, admin: &Caller) -> Result<Vec<Coupon>, OrderError> {
    admin.require_admin()?;
    let sql = format!("SELECT {COLUMNS} FROM coupons ORDER BY id DESC");
    let rows: Vec<CouponRow> = db_run!(db, |pool| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
            .fetch_all(pool)
            .await
    })?;
    Ok(rows.into_iter().map(Coupon::from).collect())
}

/// Creates a coupon (`id` none) or changes one; its use count stays as it is.
pub async fn save(
    db: &Db,
    admin: &Caller,
    id: Option<i64>,
    input: &CouponInput,
) -> Result<Coupon, OrderError> {
    admin.require_admin()?;
    let code = validate(input)?;
    let plans = serde_json::to_string(&input.plan_ids).unwrap_or_else(|_| "[]".to_owned());
    let now = Utc::now();
    let sql = match id {
        None => format!(
            "INSERT INTO coupons (code, kind, amount, valid_from, valid_until, max_uses, \
             max_uses_per_customer, plan_ids, active, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) \
             ON CONFLICT (code) DO NOTHING RETURNING {COLUMNS}"
        ),
        Some(_) => format!(
            "UPDATE coupons SET code = $1, kind = $2, amount = $3, valid_from = $4, \
             valid_until = $5, max_uses = $6, max_uses_per_customer = $7, plan_ids = $8, \
             active = $9, updated_at = $10 WHERE id = $11 \
             AND NOT EXISTS (SELECT 1 FROM coupons other WHERE other.code = $1 AND other.id <> $11) \
             RETURNING {COLUMNS}"
        ),
    };
    let row: Option<CouponRow> = db_run!(db, |pool| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
            .bind(&code)
            .bind(input.kind.as_str())
            .bind(input.amount)
            .bind(input.valid_from)
            .bind(input.valid_until)
            .bind(input.max_uses)
            .bind(input.max_uses_per_customer)
            .bind(&plans)
            .bind(input.active)
            .bind(now)
            .bind(id)
            .fetch_optional(pool)
            .await
    })?;
    match (row, id) {
        (Some(row), _) => Ok(row.into()),
        (None, Some(id)) if by_id(db, id).await?.is_none() => Err(OrderError::NotFound),
        (None, _) => Err(OrderError::Invalid {
            field: "code",
            code: Code::CouponCodeTaken,
            message: format!("another coupon is already called {code}"),
        }),
    }
}

async fn by_id(db: &Db, id: i64) -> Result<Option<Coupon>, OrderError> {
    let sql = format!("SELECT {COLUMNS} FROM coupons WHERE id = $1");
    let row: Option<CouponRow> = db_run!(db, |pool| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
            .bind(id)
            .fetch_optional(pool)
            .await
    })?;
    Ok(row.map(Coupon::from))
}

/// The coupon `code` if `user_id` may use it on `plan_id` at `now`, without using it.
pub(crate) async fn usable(
    tx: &mut Tx,
    code: &str,
    user_id: i64,
    plan_id: i64,
    now: DateTime<Utc>,
) -> Result<Coupon, OrderError> {
    let code = normalise_code(code);
    let sql = format!("SELECT {COLUMNS} FROM coupons WHERE code = $1");
    let row: Option<CouponRow> = tx_run!(tx, |conn| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
            .bind(&code)
            .fetch_optional(conn)
            .await
    })?;
    let unknown = || invalid(Code::CouponUnknown, format!("there is no coupon {code}"));
    let coupon = Coupon::from(row.ok_or_else(unknown)?);
    if !coupon.active {
        return Err(unknown());
    }
    if coupon.valid_from.is_some_and(|from| now < from)
        || coupon.valid_until.is_some_and(|until| now >= until)
    {
        return Err(invalid(
            Code::CouponExpired,
            format!("the coupon {code} is not valid today"),
        ));
    }
    if !coupon.plan_ids.is_empty() && !coupon.plan_ids.contains(&PlanId(plan_id)) {
        return Err(invalid(
            Code::CouponNotForPlan,
            format!("the coupon {code} does not apply to this plan"),
        ));
    }
    if coupon.max_uses.is_some_and(|max| coupon.used >= max) {
        return Err(used_up(&code));
    }
    if let Some(max) = coupon.max_uses_per_customer {
        let mine = redemptions_by(tx, coupon.id.get(), user_id).await?;
        if mine >= max {
            return Err(used_by_you(&code));
        }
    }
    Ok(coupon)
}

async fn redemptions_by(tx: &mut Tx, coupon_id: i64, user_id: i64) -> Result<i64, OrderError> {
    Ok(tx_run!(tx, |conn| {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM coupon_redemptions WHERE coupon_id = $1 AND user_id = $2",
        )
        .bind(coupon_id)
        .bind(user_id)
        .fetch_one(conn)
        .await
    })?)
}

fn used_by_you(code: &str) -> OrderError {
    invalid(
        Code::CouponUsedByYou,
        format!("you have already used the coupon {code} as often as it allows"),
    )
}

fn used_up(code: &str) -> OrderError {
    invalid(
        Code::CouponUsedUp,
        format!("the coupon {code} has been used as often as it allows"),
    )
}

/// Uses `coupon` for `order_id`. The count is raised only while under the limit, and the
/// coupon's row stays locked until `tx` ends, so two orders cannot take its last use.
pub(crate) async fn redeem(
    tx: &mut Tx,
    coupon: &Coupon,
    user_id: i64,
    order_id: i64,
    now: DateTime<Utc>,
) -> Result<(), OrderError> {
    let taken = tx_run!(tx, |conn| {
        sqlx::query(
            "UPDATE coupons SET used = used + 1 WHERE id = $1 \
             AND (max_uses IS NULL OR used < max_uses)",
        )
        .bind(coupon.id.get())
        .execute(conn)
        .await
        .map(|done| done.rows_affected())
    })?;
    if taken == 0 {
        return Err(used_up(&coupon.code));
    }
    // Checked again now that the coupon is locked: two orders of one customer at once.
    if let Some(max) = coupon.max_uses_per_customer {
        let mine = redemptions_by(tx, coupon.id.get(), user_id).await?;
        if mine >= max {
            return Err(used_by_you(&coupon.code));
        }
    }
    tx_run!(tx, |conn| {
        sqlx::query(
            "INSERT INTO coupon_redemptions (coupon_id, user_id, order_id, created_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(coupon.id.get())
        .bind(user_id)
        .bind(order_id)
        .bind(now)
        .execute(conn)
        .await
        .map(|_| ())
    })?;
    Ok(())
}

/// Gives back the use an order that ended unpaid held.
pub(crate) async fn release(tx: &mut Tx, order_id: i64) -> Result<(), OrderError> {
    let coupon_id: Option<i64> = tx_run!(tx, |conn| {
        sqlx::query_scalar("DELETE FROM coupon_redemptions WHERE order_id = $1 RETURNING coupon_id")
            .bind(order_id)
            .fetch_optional(conn)
            .await
    })?;
    if let Some(coupon_id) = coupon_id {
        tx_run!(tx, |conn| {
            sqlx::query("UPDATE coupons SET used = used - 1 WHERE id = $1 AND used > 0")
                .bind(coupon_id)
                .execute(conn)
                .await
                .map(|_| ())
        })?;
    }
    Ok(())
}
