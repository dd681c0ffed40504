//! The catalog: what each provider offers (regions, sizes, images, synced into the database by
//! [`sync`]) and the plans admins sell on top of it.
//!
//! A plan is one provider size with our own name, specs as we advertise them (never more than the
//! size has), a monthly price in whole rupiah with optional discounts for longer terms, and the
//! regions and images it is sold with. It is on sale only where everything under it still works:
//! the plan is visible, its provider is configured, the size is available, and a region is
//! enabled, available and one where the provider offers that size; an image is enabled and
//! available.

mod inventory;
mod offer;
mod plans;
pub mod sync;
mod views;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::audit::{self, AuditEvent};
use crate::caller::{Caller, ClientInfo, NotAdmin};
use crate::db::Tx;
use crate::error::Code;
use crate::providers::{ProviderError, Providers};
use crate::{Db, DbError};

pub use sync::{SYNC_INTERVAL, SYNC_JOB_KIND, SyncReport, register, schedule_sync};

/// The terms, in months, a plan is sold for.
pub const TERMS: [i64; 4] = [1, 3, 6, 12];
pub const MAX_DISCOUNT_PERCENT: i64 = 90;
/// Rp 100 million a month, far above any server we resell; it keeps every price sum far from
/// overflowing.
pub const MAX_PRICE_IDR_MONTHLY: i64 = 100_000_000;
const MAX_NAME_CHARS: usize = 60;

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// Bad input: the form field it is about, a code the UI translates, and a message for API
    /// clients.
    #[error("{message}")]
    Invalid {
        field: &'static str,
        code: Code,
        message: String,
    },
    #[error("no such plan, region or image")]
    NotFound,
    #[error("a plan named `{0}` already exists")]
    NameTaken(String),
    #[error("this plan has servers and cannot be deleted; hide it instead")]
    InUse,
    #[error("admins only")]
    Forbidden,
    #[error("the provider `{0}` is not configured on this installation")]
    UnknownProvider(String),
    #[error("the provider `{provider}` could not be synced: {source}")]
    Provider {
        provider: String,
        #[source]
        source: ProviderError,
    },
    #[error(transparent)]
    Db(#[from] DbError),
}

impl CatalogError {
    fn invalid(field: &'static str, code: Code, message: impl Into<String>) -> Self {
        Self::Invalid {
            field,
            code,
            message: message.into(),
        }
    }
}

impl crate::error::ErrorCode for CatalogError {
    fn code(&self) -> Code {
        match self {
            Self::Invalid { code, .. } => *code,
            Self::NotFound => Code::NotFound,
            Self::NameTaken(_) => Code::AlreadyExists,
            Self::InUse => Code::PlanInUse,
            Self::Forbidden => Code::Forbidden,
            Self::UnknownProvider(_) => Code::ProviderUnknown,
            Self::Provider { .. } => Code::ProviderError,
            Self::Db(error) => crate::error::ErrorCode::code(error),
        }
    }

    fn field(&self) -> Option<&'static str> {
        match self {
            Self::Invalid { field, .. } => Some(field),
            Self::NameTaken(_) => Some("name"),
            Self::UnknownProvider(_) => Some("provider"),
            _ => None,
        }
    }
}

impl From<NotAdmin> for CatalogError {
    fn from(_: NotAdmin) -> Self {
        Self::Forbidden
    }
}

impl From<sqlx::Error> for CatalogError {
    fn from(error: sqlx::Error) -> Self {
        Self::Db(DbError::Query(error))
    }
}

/// A location as synced from its provider, with what admins set on it.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct Region {
    pub provider: String,
    pub slug: String,
    pub provider_name: String,
    pub display_name: Option<String>,
    pub country: Option<String>,
    /// Still listed by the provider at the last sync.
    pub available: bool,
    /// Offered to customers (an admin's choice).
    pub enabled: bool,
    pub synced_at: DateTime<Utc>,
}

impl Region {
    /// What customers see: the admin's name, else the provider's.
    pub fn name(&self) -> &str {
        self.display_name.as_deref().unwrap_or(&self.provider_name)
    }
}

/// A provider's server size and the regions it is offered in now.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct Size {
    pub provider: String,
    pub slug: String,
    pub vcpus: i64,
    pub memory_mb: i64,
    pub disk_gb: i64,
    pub transfer_gb: i64,
    /// The provider's monthly price in US cents, to price plans by.
    pub cost_cents_monthly: i64,
    pub available: bool,
    pub synced_at: DateTime<Utc>,
    #[sqlx(skip)]
    pub regions: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct Image {
    pub provider: String,
    pub slug: String,
    pub provider_name: String,
    pub display_name: Option<String>,
    pub distribution: String,
    pub logo: Option<String>,
    pub min_disk_gb: Option<i64>,
    pub available: bool,
    pub enabled: bool,
    pub synced_at: DateTime<Utc>,
}

impl Image {
    pub fn name(&self) -> &str {
        self.display_name.as_deref().unwrap_or(&self.provider_name)
    }

    /// The logo key to show: the admin's choice, else the distribution.
    pub fn logo(&self) -> &str {
        self.logo.as_deref().unwrap_or(&self.distribution)
    }
}

/// A plan's monthly price and its discounts for longer terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pricing {
    /// Whole rupiah.
    pub price_idr_monthly: i64,
    pub discount_3m_percent: i64,
    pub discount_6m_percent: i64,
    pub discount_12m_percent: i64,
}

/// What one term costs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TermPrice {
    pub months: i64,
    pub discount_percent: i64,
    /// The whole term, in whole rupiah.
    pub total_idr: i64,
}

impl Pricing {
    /// The discount for a term, or `None` for a term we do not sell.
    pub fn discount_percent(&self, months: i64) -> Option<i64> {
        match months {
            1 => Some(0),
            3 => Some(self.discount_3m_percent),
            6 => Some(self.discount_6m_percent),
            12 => Some(self.discount_12m_percent),
            _ => None,
        }
    }

    /// Monthly × months × (100 − discount) / 100, rounded down to whole rupiah; `None` for a term
    /// we do not sell (or a sum that does not fit, which validated plans never reach).
    pub fn price_for_months(&self, months: i64) -> Option<i64> {
        let keep = 100 - self.discount_percent(months)?;
        Some(
            self.price_idr_monthly
                .checked_mul(months)?
                .checked_mul(keep)?
                .div_euclid(100),
        )
    }

    /// The price of every term we sell.
    pub fn terms(&self) -> Vec<TermPrice> {
        TERMS
            .into_iter()
            .filter_map(|months| {
                Some(TermPrice {
                    months,
                    discount_percent: self.discount_percent(months)?,
                    total_idr: self.price_for_months(months)?,
                })
            })
            .collect()
    }
}

/// A plan as admins manage it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    pub id: i64,
    pub name: String,
    pub provider: String,
    pub size_slug: String,
    pub vcpus: i64,
    pub memory_mb: i64,
    pub disk_gb: i64,
    pub transfer_gb: i64,
    pub pricing: Pricing,
    pub visible: bool,
    pub sort_order: i64,
    /// Every region and image chosen for it, sellable or not.
    pub region_slugs: Vec<String>,
    pub image_slugs: Vec<String>,
    /// Whether customers can buy it now (see the module documentation).
    pub on_sale: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct PlanRow {
    id: i64,
    name: String,
    provider: String,
    size_slug: String,
    vcpus: i64,
    memory_mb: i64,
    disk_gb: i64,
    transfer_gb: i64,
    price_idr_monthly: i64,
    discount_3m_percent: i64,
    discount_6m_percent: i64,
    discount_12m_percent: i64,
    visible: bool,
    sort_order: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    /// From the join with `catalog_sizes`.
    size_available: bool,
}

impl PlanRow {
    fn pricing(&self) -> Pricing {
        Pricing {
            price_idr_monthly: self.price_idr_monthly,
            discount_3m_percent: self.discount_3m_percent,
            discount_6m_percent: self.discount_6m_percent,
            discount_12m_percent: self.discount_12m_percent,
        }
    }
}

/// A region a plan is sold in, as customers see it.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct OfferedRegion {
    pub provider: String,
    pub slug: String,
    /// The admin's display name, else the provider's.
    pub name: String,
    pub country: Option<String>,
}

/// An image a plan is sold with, as customers see it.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct OfferedImage {
    pub provider: String,
    pub slug: String,
    pub name: String,
    pub distribution: String,
    /// The logo key (the admin's choice, else the distribution).
    pub logo: String,
    pub min_disk_gb: Option<i64>,
}

/// A plan on sale, as customers and anonymous visitors see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicPlan {
    pub id: i64,
    pub name: String,
    pub provider: String,
    pub vcpus: i64,
    pub memory_mb: i64,
    pub disk_gb: i64,
    pub transfer_gb: i64,
    pub pricing: Pricing,
    pub terms: Vec<TermPrice>,
    pub regions: Vec<OfferedRegion>,
    pub images: Vec<OfferedImage>,
}

/// One plan in one region with one image: what an order or a provisioning starts from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Offer {
    pub plan_id: i64,
    pub plan_name: String,
    pub provider: String,
    pub size_slug: String,
    pub region_slug: String,
    pub image_slug: String,
    pub vcpus: i64,
    pub memory_mb: i64,
    pub disk_gb: i64,
    pub transfer_gb: i64,
    pub pricing: Pricing,
}

/// A plan as an admin writes it. Specs left out are taken from the size.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct PlanInput {
    pub name: String,
    pub provider: String,
    pub size_slug: String,
    #[serde(default)]
    pub vcpus: Option<i64>,
    #[serde(default)]
    pub memory_mb: Option<i64>,
    #[serde(default)]
    pub disk_gb: Option<i64>,
    #[serde(default)]
    pub transfer_gb: Option<i64>,
    pub price_idr_monthly: i64,
    #[serde(default)]
    pub discount_3m_percent: i64,
    #[serde(default)]
    pub discount_6m_percent: i64,
    #[serde(default)]
    pub discount_12m_percent: i64,
    pub region_slugs: Vec<String>,
    pub image_slugs: Vec<String>,
    #[serde(default = "shown")]
    pub visible: bool,
    #[serde(default)]
    pub sort_order: i64,
}

fn shown() -> bool {
    true
}

/// What admins set on a region.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct RegionUpdate {
    /// Blank falls back to the provider's name.
    #[serde(default)]
    pub display_name: Option<String>,
    pub enabled: bool,
}

/// What admins set on an image.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct ImageUpdate {
    #[serde(default)]
    pub display_name: Option<String>,
    /// A short logo key (`ubuntu`, `debian`…); blank falls back to the distribution.
    #[serde(default)]
    pub logo: Option<String>,
    pub enabled: bool,
}

/// Everything an admin picks from when writing a plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Inventory {
    pub sizes: Vec<Size>,
    pub regions: Vec<Region>,
    pub images: Vec<Image>,
}

/// The catalog service: the database and the configured providers.
#[derive(Clone, Debug)]
pub struct Catalog {
    db: Db,
    providers: Providers,
}

/// Trims a free-text name; blank means "none", too long or more than one line is an error
/// (names go into e-mail subjects, invoices and log lines).
fn optional_name(
    value: Option<&str>,
    field: &'static str,
    code: Code,
) -> Result<Option<String>, CatalogError> {
    let value = value.map(str::trim).filter(|value| !value.is_empty());
    match value {
        Some(value) if value.chars().count() > MAX_NAME_CHARS => Err(CatalogError::invalid(
            field,
            code,
            format!("{field} must have at most {MAX_NAME_CHARS} characters"),
        )),
        Some(value) if value.chars().any(char::is_control) => Err(CatalogError::invalid(
            field,
            code,
            format!("{field} must be one line, without tabs or control characters"),
        )),
        _ => Ok(value.map(str::to_owned)),
    }
}

impl Catalog {
    pub fn new(db: Db, providers: Providers) -> Self {
        Self { db, providers }
    }

    /// The providers configured here, for what a service can do at its own (resize).
    pub(crate) fn providers(&self) -> &Providers {
        &self.providers
    }

    fn configured(&self, provider: &str) -> bool {
        self.providers.get(provider).is_some()
    }

    // ---- Regions, sizes and images -------------------------------------------------------
}

/// An admin's catalog change in the audit log.
async fn record(
    tx: &mut Tx,
    action: &str,
    caller: &Caller,
    client: &ClientInfo,
    detail: String,
) -> Result<(), DbError> {
    audit::record(
        tx,
        AuditEvent {
            action,
            actor_user_id: Some(caller.user_id),
            ip: Some(&client.ip),
            detail: Some(detail),
            ..Default::default()
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pricing(monthly: i64, d3: i64, d6: i64, d12: i64) -> Pricing {
        Pricing {
            price_idr_monthly: monthly,
            discount_3m_percent: d3,
            discount_6m_percent: d6,
            discount_12m_percent: d12,
        }
    }

    #[test]
    fn term_prices_are_rounded_down_to_whole_rupiah() {
        let p = pricing(75_000, 5, 10, 20);
        assert_eq!(p.price_for_months(1), Some(75_000));
        assert_eq!(p.price_for_months(3), Some(213_750));
        assert_eq!(p.price_for_months(6), Some(405_000));
        assert_eq!(p.price_for_months(12), Some(720_000));
        // 33 333 × 3 × 0.93 = 92 999.07 → 92 999.
        assert_eq!(pricing(33_333, 7, 0, 0).price_for_months(3), Some(92_999));
        assert_eq!(p.price_for_months(2), None);
        assert_eq!(pricing(i64::MAX, 0, 0, 0).price_for_months(12), None);
    }

    #[test]
    fn every_term_is_listed_with_its_discount() {
        let terms = pricing(10_000, 0, 10, 15).terms();
        let months: Vec<_> = terms
            .iter()
            .map(|t| (t.months, t.discount_percent, t.total_idr))
            .collect();
        assert_eq!(
            months,
            [
                (1, 0, 10_000),
                (3, 0, 30_000),
                (6, 10, 54_000),
                (12, 15, 102_000)
            ]
        );
    }
}
