//! The catalog: what each provider offers (regions, sizes, images, synced into the database by
//! [`sync`]) and the plans admins sell on top of it.
//!
//! A plan is one provider size with our own name, specs as we advertise them (never more than the
//! size has), a monthly price in whole rupiah with optional discounts for longer terms, and the
//! regions and images it is sold with. It is on sale only where everything under it still works:
//! the plan is visible, its provider is configured, the size is available, and a region is
//! enabled, available and one where the provider offers that size; an image is enabled and
//! available.

pub mod sync;

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::accounts::{Caller, ClientInfo};
use crate::audit::{self, AuditEvent};
use crate::db::Tx;
use crate::error::Code;
use crate::providers::{ProviderError, Providers};
use crate::{Db, DbError, db_run, tx_run};

pub use sync::{SYNC_INTERVAL, SYNC_JOB_KIND, SyncReport, register, schedule_sync};

/// The terms, in months, a plan is sold for.
pub const TERMS: [i64; 4] = [1, 3, 6, 12];
pub const MAX_DISCOUNT_PERCENT: i64 = 90;
/// Rp 100 million a month, far above any server we resell; it keeps every price sum far from
/// overflowing.
pub const MAX_PRICE_IDR_MONTHLY: i64 = 100_000_000;
const MAX_NAME_CHARS: usize = 60;
const MAX_LOGO_CHARS: usize = 24;

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
            Self::Db(_) => Code::Internal,
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

const PLAN_COLUMNS: &str = "p.id, p.name, p.provider, p.size_slug, p.vcpus, p.memory_mb, \
     p.disk_gb, p.transfer_gb, p.price_idr_monthly, p.discount_3m_percent, p.discount_6m_percent, \
     p.discount_12m_percent, p.visible, p.sort_order, p.created_at, p.updated_at, \
     s.available AS size_available";
const PLAN_FROM: &str =
    "plans p JOIN catalog_sizes s ON s.provider = p.provider AND s.slug = p.size_slug";

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

/// The catalog as pages and the REST API show it: each row becomes its [`model::catalog`] type
/// here, so a column added to a row reaches the API only when it is added there too.
mod views {
    use model::catalog as view;

    use super::*;

    impl From<TermPrice> for view::Term {
        fn from(term: TermPrice) -> Self {
            Self {
                months: term.months,
                discount_percent: term.discount_percent,
                total_idr: model::Rupiah(term.total_idr),
            }
        }
    }

    impl From<OfferedRegion> for view::OfferedRegion {
        fn from(region: OfferedRegion) -> Self {
            Self {
                provider: region.provider,
                slug: region.slug,
                name: region.name,
                country: region.country,
            }
        }
    }

    impl From<OfferedImage> for view::OfferedImage {
        fn from(image: OfferedImage) -> Self {
            Self {
                provider: image.provider,
                slug: image.slug,
                name: image.name,
                distribution: image.distribution,
                logo: image.logo,
                min_disk_gb: image.min_disk_gb,
            }
        }
    }

    impl From<PublicPlan> for view::PublicPlan {
        fn from(plan: PublicPlan) -> Self {
            Self {
                id: plan.id.into(),
                name: plan.name,
                provider: plan.provider,
                vcpus: plan.vcpus,
                memory_mb: plan.memory_mb,
                disk_gb: plan.disk_gb,
                transfer_gb: plan.transfer_gb,
                price_idr_monthly: model::Rupiah(plan.pricing.price_idr_monthly),
                discount_3m_percent: plan.pricing.discount_3m_percent,
                discount_6m_percent: plan.pricing.discount_6m_percent,
                discount_12m_percent: plan.pricing.discount_12m_percent,
                terms: all(plan.terms),
                regions: all(plan.regions),
                images: all(plan.images),
            }
        }
    }

    impl From<Plan> for view::Plan {
        fn from(plan: Plan) -> Self {
            Self {
                id: plan.id.into(),
                name: plan.name,
                provider: plan.provider,
                size_slug: plan.size_slug,
                vcpus: plan.vcpus,
                memory_mb: plan.memory_mb,
                disk_gb: plan.disk_gb,
                transfer_gb: plan.transfer_gb,
                price_idr_monthly: model::Rupiah(plan.pricing.price_idr_monthly),
                discount_3m_percent: plan.pricing.discount_3m_percent,
                discount_6m_percent: plan.pricing.discount_6m_percent,
                discount_12m_percent: plan.pricing.discount_12m_percent,
                visible: plan.visible,
                sort_order: plan.sort_order,
                region_slugs: plan.region_slugs,
                image_slugs: plan.image_slugs,
                on_sale: plan.on_sale,
                created_at: plan.created_at,
                updated_at: plan.updated_at,
            }
        }
    }

    impl From<Region> for view::Region {
        fn from(region: Region) -> Self {
            Self {
                provider: region.provider,
                slug: region.slug,
                provider_name: region.provider_name,
                display_name: region.display_name,
                country: region.country,
                available: region.available,
                enabled: region.enabled,
                synced_at: region.synced_at,
            }
        }
    }

    impl From<Size> for view::Size {
        fn from(size: Size) -> Self {
            Self {
                provider: size.provider,
                slug: size.slug,
                vcpus: size.vcpus,
                memory_mb: size.memory_mb,
                disk_gb: size.disk_gb,
                transfer_gb: size.transfer_gb,
                cost_cents_monthly: size.cost_cents_monthly,
                available: size.available,
                synced_at: size.synced_at,
                regions: size.regions,
            }
        }
    }

    impl From<Image> for view::Image {
        fn from(image: Image) -> Self {
            Self {
                provider: image.provider,
                slug: image.slug,
                provider_name: image.provider_name,
                display_name: image.display_name,
                distribution: image.distribution,
                logo: image.logo,
                min_disk_gb: image.min_disk_gb,
                available: image.available,
                enabled: image.enabled,
                synced_at: image.synced_at,
            }
        }
    }

    impl From<Inventory> for view::Inventory {
        fn from(inventory: Inventory) -> Self {
            Self {
                sizes: all(inventory.sizes),
                regions: all(inventory.regions),
                images: all(inventory.images),
            }
        }
    }

    /// The admin page's form always sends every spec; "visible" arrives as a ticked checkbox.
    impl From<view::PlanForm> for PlanInput {
        fn from(form: view::PlanForm) -> Self {
            Self {
                name: form.name,
                provider: form.provider,
                size_slug: form.size_slug,
                vcpus: Some(form.vcpus),
                memory_mb: Some(form.memory_mb),
                disk_gb: Some(form.disk_gb),
                transfer_gb: Some(form.transfer_gb),
                price_idr_monthly: form.price_idr_monthly,
                discount_3m_percent: form.discount_3m_percent,
                discount_6m_percent: form.discount_6m_percent,
                discount_12m_percent: form.discount_12m_percent,
                region_slugs: form.region_slugs,
                image_slugs: form.image_slugs,
                visible: form.visible.is_some(),
                sort_order: form.sort_order,
            }
        }
    }

    fn all<T, U: From<T>>(items: Vec<T>) -> Vec<U> {
        items.into_iter().map(U::from).collect()
    }
}

/// A validated plan, ready to store.
struct ValidPlan {
    name: String,
    provider: String,
    size_slug: String,
    vcpus: i64,
    memory_mb: i64,
    disk_gb: i64,
    transfer_gb: i64,
    pricing: Pricing,
    visible: bool,
    sort_order: i64,
    region_slugs: BTreeSet<String>,
    image_slugs: BTreeSet<String>,
}

/// The catalog service: the database and the configured providers.
#[derive(Clone, Debug)]
pub struct Catalog {
    db: Db,
    providers: Providers,
}

fn require_admin(caller: &Caller) -> Result<(), CatalogError> {
    caller.require_admin().map_err(|_| CatalogError::Forbidden)
}

/// Trims a free-text name; blank means "none", too long is an error.
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
        _ => Ok(value.map(str::to_owned)),
    }
}

/// One advertised spec: at least `min`, and never more than the size really has.
fn spec(
    field: &'static str,
    value: Option<i64>,
    min: i64,
    size_value: i64,
    size_slug: &str,
) -> Result<i64, CatalogError> {
    let value = value.unwrap_or(size_value);
    if (min..=size_value).contains(&value) {
        Ok(value)
    } else {
        Err(CatalogError::invalid(
            field,
            Code::PlanSpecInvalid,
            format!(
                "{field} must be between {min} and {size_value}, what the size `{size_slug}` has"
            ),
        ))
    }
}

fn discount(field: &'static str, value: i64) -> Result<i64, CatalogError> {
    if (0..=MAX_DISCOUNT_PERCENT).contains(&value) {
        Ok(value)
    } else {
        Err(CatalogError::invalid(
            field,
            Code::PlanDiscountInvalid,
            format!("{field} must be a whole percentage from 0 to {MAX_DISCOUNT_PERCENT}"),
        ))
    }
}

fn slugs(values: &[String]) -> BTreeSet<String> {
    values
        .iter()
        .map(|value| value.trim())
        .filter(|value| !value.is_empty())
        .map(str::to_owned)
        .collect()
}

fn joined(values: &BTreeSet<String>) -> String {
    values.iter().cloned().collect::<Vec<_>>().join(", ")
}

/// Whether a query failed on a unique or a foreign-key constraint.
fn violates(error: &sqlx::Error, check: fn(&dyn sqlx::error::DatabaseError) -> bool) -> bool {
    error.as_database_error().is_some_and(check)
}

impl Catalog {
    pub fn new(db: Db, providers: Providers) -> Self {
        Self { db, providers }
    }

    fn configured(&self, provider: &str) -> bool {
        self.providers.get(provider).is_some()
    }

    // ---- Regions, sizes and images -------------------------------------------------------

    async fn all_regions(&self) -> Result<Vec<Region>, CatalogError> {
        Ok(db_run!(&self.db, |pool| {
            sqlx::query_as::<_, Region>(
                "SELECT provider, slug, provider_name, display_name, country, available, enabled, \
                 synced_at FROM catalog_regions \
                 ORDER BY provider, COALESCE(display_name, provider_name), slug",
            )
            .fetch_all(pool)
            .await
        })?)
    }

    async fn all_images(&self) -> Result<Vec<Image>, CatalogError> {
        Ok(db_run!(&self.db, |pool| {
            sqlx::query_as::<_, Image>(
                "SELECT provider, slug, provider_name, display_name, distribution, logo, \
                 min_disk_gb, available, enabled, synced_at FROM catalog_images \
                 ORDER BY provider, COALESCE(display_name, provider_name), slug",
            )
            .fetch_all(pool)
            .await
        })?)
    }

    /// Every synced region, for admins, with provider and state.
    pub async fn regions(&self, caller: &Caller) -> Result<Vec<Region>, CatalogError> {
        require_admin(caller)?;
        self.all_regions().await
    }

    /// Every synced image, for admins.
    pub async fn images(&self, caller: &Caller) -> Result<Vec<Image>, CatalogError> {
        require_admin(caller)?;
        self.all_images().await
    }

    /// Every synced size with the regions it is offered in, smallest first, for admins.
    pub async fn sizes(&self, caller: &Caller) -> Result<Vec<Size>, CatalogError> {
        require_admin(caller)?;
        let mut sizes = db_run!(&self.db, |pool| {
            sqlx::query_as::<_, Size>(
                "SELECT provider, slug, vcpus, memory_mb, disk_gb, transfer_gb, \
                 cost_cents_monthly, available, synced_at FROM catalog_sizes \
                 ORDER BY provider, cost_cents_monthly, memory_mb, slug",
            )
            .fetch_all(pool)
            .await
        })?;
        let links: Vec<(String, String, String)> = db_run!(&self.db, |pool| {
            sqlx::query_as(
                "SELECT provider, size_slug, region_slug FROM catalog_size_regions \
                 ORDER BY region_slug",
            )
            .fetch_all(pool)
            .await
        })?;
        let mut by_size: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
        for (provider, size, region) in links {
            by_size.entry((provider, size)).or_default().push(region);
        }
        for size in &mut sizes {
            size.regions = by_size
                .remove(&(size.provider.clone(), size.slug.clone()))
                .unwrap_or_default();
        }
        Ok(sizes)
    }

    /// Sizes, regions and images together: what the plan form offers.
    pub async fn inventory(&self, caller: &Caller) -> Result<Inventory, CatalogError> {
        Ok(Inventory {
            sizes: self.sizes(caller).await?,
            regions: self.all_regions().await?,
            images: self.all_images().await?,
        })
    }

    /// Enabled, available regions of the configured providers.
    pub async fn public_regions(&self) -> Result<Vec<OfferedRegion>, CatalogError> {
        Ok(self
            .all_regions()
            .await?
            .into_iter()
            .filter(|region| {
                region.enabled && region.available && self.configured(&region.provider)
            })
            .map(|region| OfferedRegion {
                name: region.name().to_owned(),
                provider: region.provider,
                slug: region.slug,
                country: region.country,
            })
            .collect())
    }

    /// Enabled, available images of the configured providers.
    pub async fn public_images(&self) -> Result<Vec<OfferedImage>, CatalogError> {
        Ok(self
            .all_images()
            .await?
            .into_iter()
            .filter(|image| image.enabled && image.available && self.configured(&image.provider))
            .map(|image| OfferedImage {
                name: image.name().to_owned(),
                logo: image.logo().to_owned(),
                provider: image.provider,
                slug: image.slug,
                distribution: image.distribution,
                min_disk_gb: image.min_disk_gb,
            })
            .collect())
    }

    /// Renames (blank: back to the provider's name) and enables or disables a region.
    #[tracing::instrument(skip(self, caller, client))]
    pub async fn update_region(
        &self,
        caller: &Caller,
        client: &ClientInfo,
        provider: &str,
        slug: &str,
        update: &RegionUpdate,
    ) -> Result<Region, CatalogError> {
        require_admin(caller)?;
        let display_name = optional_name(
            update.display_name.as_deref(),
            "display_name",
            Code::RegionNameInvalid,
        )?;
        let mut tx = self.db.begin().await?;
        let region: Option<Region> = tx_run!(&mut tx, |conn| {
            sqlx::query_as(
                "UPDATE catalog_regions SET display_name = $1, enabled = $2 \
                 WHERE provider = $3 AND slug = $4 RETURNING provider, slug, provider_name, \
                 display_name, country, available, enabled, synced_at",
            )
            .bind(&display_name)
            .bind(update.enabled)
            .bind(provider)
            .bind(slug)
            .fetch_optional(conn)
            .await
        })?;
        let region = region.ok_or(CatalogError::NotFound)?;
        let detail = format!(
            "{provider}/{slug}: \"{}\", {}",
            region.name(),
            if region.enabled {
                "enabled"
            } else {
                "disabled"
            }
        );
        record(&mut tx, "region_updated", caller, client, detail).await?;
        tx.commit().await?;
        Ok(region)
    }

    /// Renames, re-logos and enables or disables an image.
    #[tracing::instrument(skip(self, caller, client))]
    pub async fn update_image(
        &self,
        caller: &Caller,
        client: &ClientInfo,
        provider: &str,
        slug: &str,
        update: &ImageUpdate,
    ) -> Result<Image, CatalogError> {
        require_admin(caller)?;
        let display_name = optional_name(
            update.display_name.as_deref(),
            "display_name",
            Code::ImageNameInvalid,
        )?;
        let logo = update
            .logo
            .as_deref()
            .map(|logo| logo.trim().to_lowercase())
            .filter(|logo| !logo.is_empty());
        if let Some(logo) = &logo {
            let well_formed = logo.len() <= MAX_LOGO_CHARS
                && logo
                    .bytes()
                    .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'-');
            if !well_formed {
                return Err(CatalogError::invalid(
                    "logo",
                    Code::ImageLogoInvalid,
                    format!(
                        "the logo is a short key such as `ubuntu`: up to {MAX_LOGO_CHARS} \
                         letters, digits and dashes"
                    ),
                ));
            }
        }
        let mut tx = self.db.begin().await?;
        let image: Option<Image> = tx_run!(&mut tx, |conn| {
            sqlx::query_as(
                "UPDATE catalog_images SET display_name = $1, logo = $2, enabled = $3 \
                 WHERE provider = $4 AND slug = $5 RETURNING provider, slug, provider_name, \
                 display_name, distribution, logo, min_disk_gb, available, enabled, synced_at",
            )
            .bind(&display_name)
            .bind(&logo)
            .bind(update.enabled)
            .bind(provider)
            .bind(slug)
            .fetch_optional(conn)
            .await
        })?;
        let image = image.ok_or(CatalogError::NotFound)?;
        let detail = format!(
            "{provider}/{slug}: \"{}\", logo {}, {}",
            image.name(),
            image.logo(),
            if image.enabled { "enabled" } else { "disabled" }
        );
        record(&mut tx, "image_updated", caller, client, detail).await?;
        tx.commit().await?;
        Ok(image)
    }

    // ---- Plans ---------------------------------------------------------------------------

    async fn plan_rows(&self, id: Option<i64>) -> Result<Vec<PlanRow>, CatalogError> {
        let sql = format!(
            "SELECT {PLAN_COLUMNS} FROM {PLAN_FROM} WHERE (CAST($1 AS BIGINT) IS NULL OR p.id = $1) \
             ORDER BY p.sort_order, p.id"
        );
        Ok(db_run!(&self.db, |pool| {
            sqlx::query_as::<_, PlanRow>(sqlx::AssertSqlSafe(sql.clone()))
                .bind(id)
                .fetch_all(pool)
                .await
        })?)
    }

    /// The regions each plan (or just `plan`) is sold in now, by plan id.
    async fn sellable_regions(
        &self,
        plan: Option<i64>,
    ) -> Result<BTreeMap<i64, Vec<OfferedRegion>>, CatalogError> {
        #[derive(sqlx::FromRow)]
        struct Row {
            plan_id: i64,
            #[sqlx(flatten)]
            region: OfferedRegion,
        }
        let rows = db_run!(&self.db, |pool| {
            sqlx::query_as::<_, Row>(
                "SELECT pr.plan_id, r.provider, r.slug, \
                 COALESCE(r.display_name, r.provider_name) AS name, r.country \
                 FROM plan_regions pr \
                 JOIN plans p ON p.id = pr.plan_id \
                 JOIN catalog_size_regions sr ON sr.provider = p.provider \
                   AND sr.size_slug = p.size_slug AND sr.region_slug = pr.region_slug \
                 JOIN catalog_regions r ON r.provider = p.provider AND r.slug = pr.region_slug \
                 WHERE r.enabled AND r.available \
                   AND (CAST($1 AS BIGINT) IS NULL OR pr.plan_id = $1) \
                 ORDER BY pr.plan_id, COALESCE(r.display_name, r.provider_name), r.slug",
            )
            .bind(plan)
            .fetch_all(pool)
            .await
        })?;
        let mut by_plan: BTreeMap<i64, Vec<OfferedRegion>> = BTreeMap::new();
        for row in rows {
            by_plan.entry(row.plan_id).or_default().push(row.region);
        }
        Ok(by_plan)
    }

    /// The images each plan (or just `plan`) is sold with now, by plan id.
    async fn sellable_images(
        &self,
        plan: Option<i64>,
    ) -> Result<BTreeMap<i64, Vec<OfferedImage>>, CatalogError> {
        #[derive(sqlx::FromRow)]
        struct Row {
            plan_id: i64,
            #[sqlx(flatten)]
            image: OfferedImage,
        }
        let rows = db_run!(&self.db, |pool| {
            sqlx::query_as::<_, Row>(
                "SELECT pi.plan_id, i.provider, i.slug, \
                 COALESCE(i.display_name, i.provider_name) AS name, i.distribution, \
                 COALESCE(i.logo, i.distribution) AS logo, i.min_disk_gb \
                 FROM plan_images pi \
                 JOIN plans p ON p.id = pi.plan_id \
                 JOIN catalog_images i ON i.provider = p.provider AND i.slug = pi.image_slug \
                 WHERE i.enabled AND i.available \
                   AND (CAST($1 AS BIGINT) IS NULL OR pi.plan_id = $1) \
                 ORDER BY pi.plan_id, COALESCE(i.display_name, i.provider_name), i.slug",
            )
            .bind(plan)
            .fetch_all(pool)
            .await
        })?;
        let mut by_plan: BTreeMap<i64, Vec<OfferedImage>> = BTreeMap::new();
        for row in rows {
            by_plan.entry(row.plan_id).or_default().push(row.image);
        }
        Ok(by_plan)
    }

    /// Whether a plan can be sold at all, whatever its regions and images.
    fn sellable(&self, row: &PlanRow) -> bool {
        row.visible && row.size_available && self.configured(&row.provider)
    }

    /// Plans for admins: all of them, in their sort order.
    async fn admin_plans(&self, id: Option<i64>) -> Result<Vec<Plan>, CatalogError> {
        let rows = self.plan_rows(id).await?;
        let mut regions = self.sellable_regions(id).await?;
        let mut images = self.sellable_images(id).await?;
        let choices: Vec<(i64, String, String)> = db_run!(&self.db, |pool| {
            sqlx::query_as(
                "SELECT plan_id, 'region', region_slug FROM plan_regions \
                   WHERE CAST($1 AS BIGINT) IS NULL OR plan_id = $1 \
                 UNION ALL SELECT plan_id, 'image', image_slug FROM plan_images \
                   WHERE CAST($1 AS BIGINT) IS NULL OR plan_id = $1 \
                 ORDER BY 1, 2, 3",
            )
            .bind(id)
            .fetch_all(pool)
            .await
        })?;
        let mut chosen: BTreeMap<(i64, String), Vec<String>> = BTreeMap::new();
        for (plan, kind, slug) in choices {
            chosen.entry((plan, kind)).or_default().push(slug);
        }
        Ok(rows
            .into_iter()
            .map(|row| {
                let on_sale = self.sellable(&row)
                    && regions.remove(&row.id).is_some_and(|r| !r.is_empty())
                    && images.remove(&row.id).is_some_and(|i| !i.is_empty());
                Plan {
                    pricing: row.pricing(),
                    region_slugs: chosen
                        .remove(&(row.id, "region".to_owned()))
                        .unwrap_or_default(),
                    image_slugs: chosen
                        .remove(&(row.id, "image".to_owned()))
                        .unwrap_or_default(),
                    on_sale,
                    id: row.id,
                    name: row.name,
                    provider: row.provider,
                    size_slug: row.size_slug,
                    vcpus: row.vcpus,
                    memory_mb: row.memory_mb,
                    disk_gb: row.disk_gb,
                    transfer_gb: row.transfer_gb,
                    visible: row.visible,
                    sort_order: row.sort_order,
                    created_at: row.created_at,
                    updated_at: row.updated_at,
                }
            })
            .collect())
    }

    /// Every plan, hidden ones too, with its provider and whether it is on sale.
    pub async fn plans(&self, caller: &Caller) -> Result<Vec<Plan>, CatalogError> {
        require_admin(caller)?;
        self.admin_plans(None).await
    }

    pub async fn plan(&self, caller: &Caller, id: i64) -> Result<Plan, CatalogError> {
        require_admin(caller)?;
        self.admin_plans(Some(id))
            .await?
            .pop()
            .ok_or(CatalogError::NotFound)
    }

    /// The plans on sale, in their sort order, with the regions and images they are sold in.
    pub async fn public_plans(&self) -> Result<Vec<PublicPlan>, CatalogError> {
        let rows = self.plan_rows(None).await?;
        let mut regions = self.sellable_regions(None).await?;
        let mut images = self.sellable_images(None).await?;
        Ok(rows
            .into_iter()
            .filter(|row| self.sellable(row))
            .filter_map(|row| {
                let regions = regions.remove(&row.id).filter(|r| !r.is_empty())?;
                let images = images.remove(&row.id).filter(|i| !i.is_empty())?;
                let pricing = row.pricing();
                Some(PublicPlan {
                    id: row.id,
                    name: row.name,
                    provider: row.provider,
                    vcpus: row.vcpus,
                    memory_mb: row.memory_mb,
                    disk_gb: row.disk_gb,
                    transfer_gb: row.transfer_gb,
                    terms: pricing.terms(),
                    pricing,
                    regions,
                    images,
                })
            })
            .collect())
    }

    /// Checks a plan against the synced size, regions and images. `current_size` is the size the
    /// plan has now when updating: a size the provider has since withdrawn may stay on its plan
    /// (so the plan can still be edited or hidden) but cannot be chosen anew.
    async fn validate(
        &self,
        tx: &mut Tx,
        input: &PlanInput,
        current_size: Option<(&str, &str)>,
    ) -> Result<ValidPlan, CatalogError> {
        let name = optional_name(Some(input.name.as_str()), "name", Code::PlanNameInvalid)?
            .ok_or_else(|| {
                CatalogError::invalid("name", Code::PlanNameInvalid, "the plan needs a name")
            })?;
        let provider = input.provider.trim();
        if !self.configured(provider) {
            return Err(CatalogError::UnknownProvider(provider.to_owned()));
        }
        let size_slug = input.size_slug.trim();
        let size: Option<Size> = tx_run!(tx, |conn| {
            sqlx::query_as(
                "SELECT provider, slug, vcpus, memory_mb, disk_gb, transfer_gb, \
                 cost_cents_monthly, available, synced_at FROM catalog_sizes \
                 WHERE provider = $1 AND slug = $2",
            )
            .bind(provider)
            .bind(size_slug)
            .fetch_optional(conn)
            .await
        })?;
        let kept = current_size == Some((provider, size_slug));
        let size = size.filter(|size| size.available || kept).ok_or_else(|| {
            CatalogError::invalid(
                "size_slug",
                Code::PlanSizeInvalid,
                format!(
                    "`{provider}` offers no size `{size_slug}`; sync the catalog or pick another"
                ),
            )
        })?;
        let vcpus = spec("vcpus", input.vcpus, 1, size.vcpus, size_slug)?;
        let memory_mb = spec("memory_mb", input.memory_mb, 1, size.memory_mb, size_slug)?;
        let disk_gb = spec("disk_gb", input.disk_gb, 1, size.disk_gb, size_slug)?;
        let transfer_gb = spec(
            "transfer_gb",
            input.transfer_gb,
            0,
            size.transfer_gb,
            size_slug,
        )?;
        if !(1..=MAX_PRICE_IDR_MONTHLY).contains(&input.price_idr_monthly) {
            return Err(CatalogError::invalid(
                "price_idr_monthly",
                Code::PlanPriceInvalid,
                format!(
                    "the monthly price must be a whole number of rupiah from 1 to {MAX_PRICE_IDR_MONTHLY}"
                ),
            ));
        }
        let pricing = Pricing {
            price_idr_monthly: input.price_idr_monthly,
            discount_3m_percent: discount("discount_3m_percent", input.discount_3m_percent)?,
            discount_6m_percent: discount("discount_6m_percent", input.discount_6m_percent)?,
            discount_12m_percent: discount("discount_12m_percent", input.discount_12m_percent)?,
        };

        let region_slugs = slugs(&input.region_slugs);
        if region_slugs.is_empty() {
            return Err(CatalogError::invalid(
                "region_slugs",
                Code::PlanRegionsRequired,
                "choose at least one region",
            ));
        }
        let offered: BTreeSet<String> = tx_run!(tx, |conn| {
            sqlx::query_scalar(
                "SELECT region_slug FROM catalog_size_regions WHERE provider = $1 AND size_slug = $2",
            )
            .bind(provider)
            .bind(size_slug)
            .fetch_all(conn)
            .await
        })?
        .into_iter()
        .collect();
        if let Some(region) = region_slugs.difference(&offered).next() {
            return Err(CatalogError::invalid(
                "region_slugs",
                Code::PlanRegionNotOffered,
                format!(
                    "`{provider}` does not offer the size `{size_slug}` in the region `{region}`; \
                     it does in: {}",
                    joined(&offered)
                ),
            ));
        }

        let image_slugs = slugs(&input.image_slugs);
        if image_slugs.is_empty() {
            return Err(CatalogError::invalid(
                "image_slugs",
                Code::PlanImagesRequired,
                "choose at least one image",
            ));
        }
        let known: BTreeSet<String> = tx_run!(tx, |conn| {
            sqlx::query_scalar("SELECT slug FROM catalog_images WHERE provider = $1")
                .bind(provider)
                .fetch_all(conn)
                .await
        })?
        .into_iter()
        .collect();
        if let Some(image) = image_slugs.difference(&known).next() {
            return Err(CatalogError::invalid(
                "image_slugs",
                Code::PlanImageUnknown,
                format!("`{provider}` has no image `{image}`"),
            ));
        }

        Ok(ValidPlan {
            name,
            provider: provider.to_owned(),
            size_slug: size_slug.to_owned(),
            vcpus,
            memory_mb,
            disk_gb,
            transfer_gb,
            pricing,
            visible: input.visible,
            sort_order: input.sort_order,
            region_slugs,
            image_slugs,
        })
    }

    /// Replaces a plan's regions and images.
    async fn store_choices(
        &self,
        tx: &mut Tx,
        id: i64,
        plan: &ValidPlan,
    ) -> Result<(), CatalogError> {
        tx_run!(tx, |conn| {
            sqlx::query("DELETE FROM plan_regions WHERE plan_id = $1")
                .bind(id)
                .execute(&mut *conn)
                .await?;
            sqlx::query("DELETE FROM plan_images WHERE plan_id = $1")
                .bind(id)
                .execute(&mut *conn)
                .await?;
            for region in &plan.region_slugs {
                sqlx::query("INSERT INTO plan_regions (plan_id, region_slug) VALUES ($1, $2)")
                    .bind(id)
                    .bind(region)
                    .execute(&mut *conn)
                    .await?;
            }
            for image in &plan.image_slugs {
                sqlx::query("INSERT INTO plan_images (plan_id, image_slug) VALUES ($1, $2)")
                    .bind(id)
                    .bind(image)
                    .execute(&mut *conn)
                    .await?;
            }
        });
        Ok(())
    }

    /// Creates a plan from a provider size.
    #[tracing::instrument(skip(self, caller, client, input), fields(name = %input.name))]
    pub async fn create_plan(
        &self,
        caller: &Caller,
        client: &ClientInfo,
        input: &PlanInput,
    ) -> Result<Plan, CatalogError> {
        require_admin(caller)?;
        let mut tx = self.db.begin().await?;
        let plan = self.validate(&mut tx, input, None).await?;
        let now = Utc::now();
        let id: Option<i64> = tx_run!(&mut tx, |conn| {
            sqlx::query_scalar(
                "INSERT INTO plans (name, provider, size_slug, vcpus, memory_mb, disk_gb, \
                 transfer_gb, price_idr_monthly, discount_3m_percent, discount_6m_percent, \
                 discount_12m_percent, visible, sort_order, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14) \
                 ON CONFLICT (name) DO NOTHING RETURNING id",
            )
            .bind(&plan.name)
            .bind(&plan.provider)
            .bind(&plan.size_slug)
            .bind(plan.vcpus)
            .bind(plan.memory_mb)
            .bind(plan.disk_gb)
            .bind(plan.transfer_gb)
            .bind(plan.pricing.price_idr_monthly)
            .bind(plan.pricing.discount_3m_percent)
            .bind(plan.pricing.discount_6m_percent)
            .bind(plan.pricing.discount_12m_percent)
            .bind(plan.visible)
            .bind(plan.sort_order)
            .bind(now)
            .fetch_optional(conn)
            .await
        })?;
        let id = id.ok_or_else(|| CatalogError::NameTaken(plan.name.clone()))?;
        self.store_choices(&mut tx, id, &plan).await?;
        record(
            &mut tx,
            "plan_created",
            caller,
            client,
            plan_detail(id, &plan),
        )
        .await?;
        tx.commit().await?;
        self.admin_plans(Some(id))
            .await?
            .pop()
            .ok_or(CatalogError::NotFound)
    }

    /// Rewrites a plan; servers already running on it keep what they were sold.
    #[tracing::instrument(skip(self, caller, client, input), fields(name = %input.name))]
    pub async fn update_plan(
        &self,
        caller: &Caller,
        client: &ClientInfo,
        id: i64,
        input: &PlanInput,
    ) -> Result<Plan, CatalogError> {
        require_admin(caller)?;
        let mut tx = self.db.begin().await?;
        let current: Option<(String, String)> = tx_run!(&mut tx, |conn| {
            sqlx::query_as("SELECT provider, size_slug FROM plans WHERE id = $1")
                .bind(id)
                .fetch_optional(conn)
                .await
        })?;
        let (provider, size) = current.ok_or(CatalogError::NotFound)?;
        let plan = self
            .validate(&mut tx, input, Some((&provider, &size)))
            .await?;
        let updated = tx_run!(&mut tx, |conn| {
            sqlx::query(
                "UPDATE plans SET name = $1, provider = $2, size_slug = $3, vcpus = $4, \
                 memory_mb = $5, disk_gb = $6, transfer_gb = $7, price_idr_monthly = $8, \
                 discount_3m_percent = $9, discount_6m_percent = $10, discount_12m_percent = $11, \
                 visible = $12, sort_order = $13, updated_at = $14 WHERE id = $15",
            )
            .bind(&plan.name)
            .bind(&plan.provider)
            .bind(&plan.size_slug)
            .bind(plan.vcpus)
            .bind(plan.memory_mb)
            .bind(plan.disk_gb)
            .bind(plan.transfer_gb)
            .bind(plan.pricing.price_idr_monthly)
            .bind(plan.pricing.discount_3m_percent)
            .bind(plan.pricing.discount_6m_percent)
            .bind(plan.pricing.discount_12m_percent)
            .bind(plan.visible)
            .bind(plan.sort_order)
            .bind(Utc::now())
            .bind(id)
            .execute(conn)
            .await
            .map(|done| done.rows_affected())
        });
        match updated {
            Err(error) if violates(&error, |e| e.is_unique_violation()) => {
                return Err(CatalogError::NameTaken(plan.name));
            }
            other => other?,
        };
        self.store_choices(&mut tx, id, &plan).await?;
        record(
            &mut tx,
            "plan_updated",
            caller,
            client,
            plan_detail(id, &plan),
        )
        .await?;
        tx.commit().await?;
        self.admin_plans(Some(id))
            .await?
            .pop()
            .ok_or(CatalogError::NotFound)
    }

    /// Deletes a plan no server refers to; one that has servers can only be hidden.
    #[tracing::instrument(skip(self, caller, client))]
    pub async fn delete_plan(
        &self,
        caller: &Caller,
        client: &ClientInfo,
        id: i64,
    ) -> Result<(), CatalogError> {
        require_admin(caller)?;
        let mut tx = self.db.begin().await?;
        let deleted: Result<Option<String>, sqlx::Error> = tx_run!(&mut tx, |conn| {
            sqlx::query_scalar("DELETE FROM plans WHERE id = $1 RETURNING name")
                .bind(id)
                .fetch_optional(conn)
                .await
        });
        let name = match deleted {
            Err(error) if violates(&error, |e| e.is_foreign_key_violation()) => {
                return Err(CatalogError::InUse);
            }
            other => other?.ok_or(CatalogError::NotFound)?,
        };
        record(
            &mut tx,
            "plan_deleted",
            caller,
            client,
            format!("plan {id} \"{name}\""),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    // ---- Offers --------------------------------------------------------------------------

    /// One visible plan in one of its regions with one of its images, checked against everything
    /// that must hold to sell it now. Hidden plans are `not_found`, as they are to customers.
    #[tracing::instrument(skip(self))]
    pub async fn offer(
        &self,
        plan_id: i64,
        region_slug: &str,
        image_slug: &str,
    ) -> Result<Offer, CatalogError> {
        let row = self
            .plan_rows(Some(plan_id))
            .await?
            .pop()
            .filter(|row| row.visible)
            .ok_or(CatalogError::NotFound)?;
        if !self.sellable(&row) {
            return Err(CatalogError::invalid(
                "plan_id",
                Code::PlanUnavailable,
                format!(
                    "the plan `{}` cannot be ordered now: its provider no longer offers the size",
                    row.name
                ),
            ));
        }
        let regions = self
            .sellable_regions(Some(plan_id))
            .await?
            .remove(&plan_id)
            .unwrap_or_default();
        if !regions.iter().any(|region| region.slug == region_slug) {
            return Err(CatalogError::invalid(
                "region",
                Code::RegionNotOffered,
                format!(
                    "the plan `{}` is not sold in the region `{region_slug}`",
                    row.name
                ),
            ));
        }
        let images = self
            .sellable_images(Some(plan_id))
            .await?
            .remove(&plan_id)
            .unwrap_or_default();
        if !images.iter().any(|image| image.slug == image_slug) {
            return Err(CatalogError::invalid(
                "image",
                Code::ImageNotOffered,
                format!(
                    "the image `{image_slug}` is not offered with the plan `{}`",
                    row.name
                ),
            ));
        }
        Ok(Offer {
            plan_id: row.id,
            plan_name: row.name,
            provider: row.provider,
            size_slug: row.size_slug,
            region_slug: region_slug.to_owned(),
            image_slug: image_slug.to_owned(),
            vcpus: row.vcpus,
            memory_mb: row.memory_mb,
            disk_gb: row.disk_gb,
            transfer_gb: row.transfer_gb,
            pricing: Pricing {
                price_idr_monthly: row.price_idr_monthly,
                discount_3m_percent: row.discount_3m_percent,
                discount_6m_percent: row.discount_6m_percent,
                discount_12m_percent: row.discount_12m_percent,
            },
        })
    }

    /// The enabled, available images of a plan (hidden or not): what a server on it can be
    /// rebuilt with.
    pub async fn plan_images(&self, plan_id: i64) -> Result<Vec<OfferedImage>, CatalogError> {
        if self.plan_rows(Some(plan_id)).await?.is_empty() {
            return Err(CatalogError::NotFound);
        }
        Ok(self
            .sellable_images(Some(plan_id))
            .await?
            .remove(&plan_id)
            .unwrap_or_default())
    }
}

fn plan_detail(id: i64, plan: &ValidPlan) -> String {
    format!(
        "plan {id} \"{}\": {}/{}, Rp {}/month, discounts {}/{}/{} %, {}, regions {}, images {}",
        plan.name,
        plan.provider,
        plan.size_slug,
        plan.pricing.price_idr_monthly,
        plan.pricing.discount_3m_percent,
        plan.pricing.discount_6m_percent,
        plan.pricing.discount_12m_percent,
        if plan.visible { "visible" } else { "hidden" },
        joined(&plan.region_slugs),
        joined(&plan.image_slugs),
    )
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
