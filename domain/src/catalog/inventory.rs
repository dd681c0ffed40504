//! What the providers offer, as synced: regions, sizes and images, and the admin's switches
//! on them (enabled, shown name, logo).

use std::collections::BTreeMap;

use super::*;
use crate::{db_run, tx_run};

const MAX_LOGO_CHARS: usize = 24;

impl Catalog {
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
        caller.require_admin()?;
        self.all_regions().await
    }

    /// Every synced image, for admins.
    pub async fn images(&self, caller: &Caller) -> Result<Vec<Image>, CatalogError> {
        caller.require_admin()?;
        self.all_images().await
    }

    /// Every synced size with the regions it is offered in, smallest first, for admins.
    pub async fn sizes(&self, caller: &Caller) -> Result<Vec<Size>, CatalogError> {
        caller.require_admin()?;
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
        caller.require_admin()?;
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
        caller.require_admin()?;
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
}
