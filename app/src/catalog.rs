//! Catalog server functions: the public plan list, and the admin pages for plans, regions and
//! images. Admin checks happen in `domain::catalog`, which refuses non-admins with `forbidden`.

use leptos::prelude::*;
use model::PlanId;
use model::catalog::{Image, Inventory, Plan, PlanForm, PublicPlan, Region};

#[cfg(feature = "ssr")]
use crate::auth::server::{caller, client, fail, state};
use crate::errors::AppError;

/// The plans on sale; anyone may look, signed in or not.
#[server]
pub async fn public_plans() -> Result<Vec<PublicPlan>, AppError> {
    let plans = state()?.catalog.public_plans().await.map_err(fail)?;
    Ok(plans.into_iter().map(Into::into).collect())
}

#[server]
pub async fn admin_plans() -> Result<Vec<Plan>, AppError> {
    let plans = state()?.catalog.plans(&caller()?).await.map_err(fail)?;
    Ok(plans.into_iter().map(Into::into).collect())
}

#[server]
pub async fn admin_inventory() -> Result<Inventory, AppError> {
    let inventory = state()?.catalog.inventory(&caller()?).await.map_err(fail)?;
    Ok(inventory.into())
}

/// Creates a plan, or rewrites plan `id`.
#[server]
pub async fn admin_save_plan(
    #[server(default)] id: Option<PlanId>,
    plan: PlanForm,
) -> Result<Plan, AppError> {
    let input = domain::catalog::PlanInput::from(plan);
    let (catalog, caller, client) = (state()?.catalog, caller()?, client());
    let saved = match id {
        Some(id) => {
            catalog
                .update_plan(&caller, &client, id.get(), &input)
                .await
        }
        None => catalog.create_plan(&caller, &client, &input).await,
    };
    Ok(saved.map_err(fail)?.into())
}

#[server]
pub async fn admin_delete_plan(id: PlanId) -> Result<(), AppError> {
    state()?
        .catalog
        .delete_plan(&caller()?, &client(), id.get())
        .await
        .map_err(fail)
}

#[server]
pub async fn admin_regions() -> Result<Vec<Region>, AppError> {
    let regions = state()?.catalog.regions(&caller()?).await.map_err(fail)?;
    Ok(regions.into_iter().map(Into::into).collect())
}

#[server]
pub async fn admin_update_region(
    provider: String,
    slug: String,
    display_name: String,
    #[server(default)] enabled: Option<String>,
) -> Result<Region, AppError> {
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
pub async fn admin_images() -> Result<Vec<Image>, AppError> {
    let images = state()?.catalog.images(&caller()?).await.map_err(fail)?;
    Ok(images.into_iter().map(Into::into).collect())
}

#[server]
pub async fn admin_update_image(
    provider: String,
    slug: String,
    display_name: String,
    logo: String,
    #[server(default)] enabled: Option<String>,
) -> Result<Image, AppError> {
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
