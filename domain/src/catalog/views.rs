//! The catalog as pages and the REST API show it: each row becomes its [`model::catalog`] type
//! here, so a column added to a row reaches the API only when it is added there too.

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
