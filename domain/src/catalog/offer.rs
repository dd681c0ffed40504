//! What a customer can order right now: the plans on sale with the regions and images each is
//! sold with.

use super::*;

impl Catalog {
    /// One visible plan in one of its regions with one of its images, checked against everything
    /// that must hold to sell it now. Hidden plans are `not_found`, as they are to customers.
    // Debug: it runs on every catalog page and request, where an info span costs a log line.
    #[tracing::instrument(level = "debug", skip(self))]
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
