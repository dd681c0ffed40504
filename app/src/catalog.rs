//! Catalog server functions: the public plan list, and the admin pages for plans, regions and
//! images. Admin checks happen in `domain::catalog`, which refuses non-admins with `forbidden`.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::auth::server::{caller, client, fail, state};
use crate::errors::AppError;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Term {
    pub months: i64,
    pub discount_percent: i64,
    pub total_idr: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Place {
    pub slug: String,
    pub name: String,
    pub country: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Os {
    pub slug: String,
    pub name: String,
    pub logo: String,
}

/// A plan on sale, as the public plan list shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanCard {
    pub id: i64,
    pub name: String,
    pub provider: String,
    pub vcpus: i64,
    pub memory_mb: i64,
    pub disk_gb: i64,
    pub transfer_gb: i64,
    pub price_idr_monthly: i64,
    pub terms: Vec<Term>,
    pub regions: Vec<Place>,
    pub images: Vec<Os>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminPlan {
    pub id: i64,
    pub name: String,
    pub provider: String,
    pub size_slug: String,
    pub vcpus: i64,
    pub memory_mb: i64,
    pub disk_gb: i64,
    pub transfer_gb: i64,
    pub price_idr_monthly: i64,
    pub discount_3m_percent: i64,
    pub discount_6m_percent: i64,
    pub discount_12m_percent: i64,
    pub visible: bool,
    pub sort_order: i64,
    pub region_slugs: Vec<String>,
    pub image_slugs: Vec<String>,
    pub on_sale: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminRegion {
    pub provider: String,
    pub slug: String,
    pub provider_name: String,
    pub display_name: Option<String>,
    pub country: Option<String>,
    pub available: bool,
    pub enabled: bool,
    pub synced: String,
}

impl AdminRegion {
    pub fn name(&self) -> &str {
        self.display_name.as_deref().unwrap_or(&self.provider_name)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminSize {
    pub provider: String,
    pub slug: String,
    pub vcpus: i64,
    pub memory_mb: i64,
    pub disk_gb: i64,
    pub transfer_gb: i64,
    pub cost_cents_monthly: i64,
    pub available: bool,
    pub regions: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminImage {
    pub provider: String,
    pub slug: String,
    pub provider_name: String,
    pub display_name: Option<String>,
    pub distribution: String,
    pub logo: Option<String>,
    pub available: bool,
    pub enabled: bool,
}

impl AdminImage {
    pub fn name(&self) -> &str {
        self.display_name.as_deref().unwrap_or(&self.provider_name)
    }

    pub fn logo(&self) -> &str {
        self.logo.as_deref().unwrap_or(&self.distribution)
    }
}

/// What the plan form offers to pick from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inventory {
    pub sizes: Vec<AdminSize>,
    pub regions: Vec<AdminRegion>,
    pub images: Vec<AdminImage>,
}

#[cfg(feature = "ssr")]
mod convert {
    use domain::catalog as c;

    use super::*;

    impl From<c::PublicPlan> for PlanCard {
        fn from(plan: c::PublicPlan) -> Self {
            Self {
                id: plan.id,
                name: plan.name,
                provider: plan.provider,
                vcpus: plan.vcpus,
                memory_mb: plan.memory_mb,
                disk_gb: plan.disk_gb,
                transfer_gb: plan.transfer_gb,
                price_idr_monthly: plan.pricing.price_idr_monthly,
                terms: plan
                    .terms
                    .into_iter()
                    .map(|term| Term {
                        months: term.months,
                        discount_percent: term.discount_percent,
                        total_idr: term.total_idr,
                    })
                    .collect(),
                regions: plan
                    .regions
                    .into_iter()
                    .map(|region| Place {
                        slug: region.slug,
                        name: region.name,
                        country: region.country,
                    })
                    .collect(),
                images: plan
                    .images
                    .into_iter()
                    .map(|image| Os {
                        slug: image.slug,
                        name: image.name,
                        logo: image.logo,
                    })
                    .collect(),
            }
        }
    }

    impl From<c::Plan> for AdminPlan {
        fn from(plan: c::Plan) -> Self {
            Self {
                id: plan.id,
                name: plan.name,
                provider: plan.provider,
                size_slug: plan.size_slug,
                vcpus: plan.vcpus,
                memory_mb: plan.memory_mb,
                disk_gb: plan.disk_gb,
                transfer_gb: plan.transfer_gb,
                price_idr_monthly: plan.pricing.price_idr_monthly,
                discount_3m_percent: plan.pricing.discount_3m_percent,
                discount_6m_percent: plan.pricing.discount_6m_percent,
                discount_12m_percent: plan.pricing.discount_12m_percent,
                visible: plan.visible,
                sort_order: plan.sort_order,
                region_slugs: plan.region_slugs,
                image_slugs: plan.image_slugs,
                on_sale: plan.on_sale,
            }
        }
    }

    impl From<c::Region> for AdminRegion {
        fn from(region: c::Region) -> Self {
            Self {
                synced: region.synced_at.format("%Y-%m-%d %H:%M UTC").to_string(),
                provider: region.provider,
                slug: region.slug,
                provider_name: region.provider_name,
                display_name: region.display_name,
                country: region.country,
                available: region.available,
                enabled: region.enabled,
            }
        }
    }

    impl From<c::Size> for AdminSize {
        fn from(size: c::Size) -> Self {
            Self {
                provider: size.provider,
                slug: size.slug,
                vcpus: size.vcpus,
                memory_mb: size.memory_mb,
                disk_gb: size.disk_gb,
                transfer_gb: size.transfer_gb,
                cost_cents_monthly: size.cost_cents_monthly,
                available: size.available,
                regions: size.regions,
            }
        }
    }

    impl From<c::Image> for AdminImage {
        fn from(image: c::Image) -> Self {
            Self {
                provider: image.provider,
                slug: image.slug,
                provider_name: image.provider_name,
                display_name: image.display_name,
                distribution: image.distribution,
                logo: image.logo,
                available: image.available,
                enabled: image.enabled,
            }
        }
    }

    pub fn all<T, U: From<T>>(items: Vec<T>) -> Vec<U> {
        items.into_iter().map(U::from).collect()
    }
}

/// The plans on sale; anyone may look, signed in or not.
#[server]
pub async fn public_plans() -> Result<Vec<PlanCard>, AppError> {
    let plans = state()?.catalog.public_plans().await.map_err(fail)?;
    Ok(convert::all(plans))
}

#[server]
pub async fn admin_plans() -> Result<Vec<AdminPlan>, AppError> {
    let plans = state()?.catalog.plans(&caller()?).await.map_err(fail)?;
    Ok(convert::all(plans))
}

#[server]
pub async fn admin_inventory() -> Result<Inventory, AppError> {
    let inventory = state()?.catalog.inventory(&caller()?).await.map_err(fail)?;
    Ok(Inventory {
        sizes: convert::all(inventory.sizes),
        regions: convert::all(inventory.regions),
        images: convert::all(inventory.images),
    })
}

/// The plan form, posted as `plan[name]`, `plan[region_slugs][]`… Unticked checkboxes send
/// nothing, hence the defaults; a ticked "visible" sends `on`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanForm {
    pub name: String,
    pub provider: String,
    pub size_slug: String,
    pub vcpus: i64,
    pub memory_mb: i64,
    pub disk_gb: i64,
    pub transfer_gb: i64,
    pub price_idr_monthly: i64,
    pub discount_3m_percent: i64,
    pub discount_6m_percent: i64,
    pub discount_12m_percent: i64,
    #[serde(default)]
    pub region_slugs: Vec<String>,
    #[serde(default)]
    pub image_slugs: Vec<String>,
    #[serde(default)]
    pub visible: Option<String>,
    pub sort_order: i64,
}

/// Creates a plan, or rewrites plan `id`.
#[server]
pub async fn admin_save_plan(
    #[server(default)] id: Option<i64>,
    plan: PlanForm,
) -> Result<AdminPlan, AppError> {
    let input = domain::catalog::PlanInput {
        name: plan.name,
        provider: plan.provider,
        size_slug: plan.size_slug,
        vcpus: Some(plan.vcpus),
        memory_mb: Some(plan.memory_mb),
        disk_gb: Some(plan.disk_gb),
        transfer_gb: Some(plan.transfer_gb),
        price_idr_monthly: plan.price_idr_monthly,
        discount_3m_percent: plan.discount_3m_percent,
        discount_6m_percent: plan.discount_6m_percent,
        discount_12m_percent: plan.discount_12m_percent,
        region_slugs: plan.region_slugs,
        image_slugs: plan.image_slugs,
        visible: plan.visible.is_some(),
        sort_order: plan.sort_order,
    };
    let (catalog, caller, client) = (state()?.catalog, caller()?, client());
    let saved = match id {
        Some(id) => catalog.update_plan(&caller, &client, id, &input).await,
        None => catalog.create_plan(&caller, &client, &input).await,
    };
    Ok(saved.map_err(fail)?.into())
}

#[server]
pub async fn admin_delete_plan(id: i64) -> Result<(), AppError> {
    state()?
        .catalog
        .delete_plan(&caller()?, &client(), id)
        .await
        .map_err(fail)
}

#[server]
pub async fn admin_regions() -> Result<Vec<AdminRegion>, AppError> {
    let regions = state()?.catalog.regions(&caller()?).await.map_err(fail)?;
    Ok(convert::all(regions))
}

#[server]
pub async fn admin_update_region(
    provider: String,
    slug: String,
    display_name: String,
    #[server(default)] enabled: Option<String>,
) -> Result<AdminRegion, AppError> {
    let update = domain::catalog::RegionUpdate {
        display_name: Some(display_name),
        enabled: enabled.is_some(),
    };
    let region = state()?
        .catalog
        .update_region(&caller()?, &client(), &provider, &slug, &update)
        .await
        .map_err(fail)?;
    Ok(region.into())
}

#[server]
pub async fn admin_images() -> Result<Vec<AdminImage>, AppError> {
    let images = state()?.catalog.images(&caller()?).await.map_err(fail)?;
    Ok(convert::all(images))
}

#[server]
pub async fn admin_update_image(
    provider: String,
    slug: String,
    display_name: String,
    logo: String,
    #[server(default)] enabled: Option<String>,
) -> Result<AdminImage, AppError> {
    let update = domain::catalog::ImageUpdate {
        display_name: Some(display_name),
        logo: Some(logo),
        enabled: enabled.is_some(),
    };
    let image = state()?
        .catalog
        .update_image(&caller()?, &client(), &provider, &slug, &update)
        .await
        .map_err(fail)?;
    Ok(image.into())
}

/// Queues a catalog sync from every provider; it runs within seconds.
#[server]
pub async fn admin_sync_catalog() -> Result<(), AppError> {
    state()?
        .catalog
        .request_sync(&caller()?, &client())
        .await
        .map(|_| ())
        .map_err(fail)
}
