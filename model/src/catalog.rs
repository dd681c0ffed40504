//! What is on sale and what it is made of: plans as visitors and admins see them, and the
//! provider regions, sizes and images admins build plans from.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{PlanId, Rupiah};

/// The sandbox image that always fails to boot: there to try the failure paths, never to sell
/// by default.
pub const SANDBOX_FAILING_IMAGE: &str = "sandbox-broken";

/// What one term of a plan costs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Term {
    pub months: i64,
    pub discount_percent: i64,
    /// The whole term.
    pub total_idr: Rupiah,
}

/// A region a plan is sold in, as customers see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfferedRegion {
    pub provider: String,
    pub slug: String,
    /// The admin's display name, else the provider's.
    pub name: String,
    pub country: Option<String>,
}

/// An image a plan is sold with, as customers see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicPlan {
    pub id: PlanId,
    pub name: String,
    pub provider: String,
    pub vcpus: i64,
    pub memory_mb: i64,
    pub disk_gb: i64,
    pub transfer_gb: i64,
    pub price_idr_monthly: Rupiah,
    pub discount_3m_percent: i64,
    pub discount_6m_percent: i64,
    pub discount_12m_percent: i64,
    pub terms: Vec<Term>,
    pub regions: Vec<OfferedRegion>,
    pub images: Vec<OfferedImage>,
}

/// A plan as admins manage it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub id: PlanId,
    pub name: String,
    pub provider: String,
    pub size_slug: String,
    pub vcpus: i64,
    pub memory_mb: i64,
    pub disk_gb: i64,
    pub transfer_gb: i64,
    pub price_idr_monthly: Rupiah,
    pub discount_3m_percent: i64,
    pub discount_6m_percent: i64,
    pub discount_12m_percent: i64,
    pub visible: bool,
    pub sort_order: i64,
    /// Every region and image chosen for it, sellable or not.
    pub region_slugs: Vec<String>,
    pub image_slugs: Vec<String>,
    /// Whether customers can buy it now.
    pub on_sale: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A provider's location, with what admins set on it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
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
    pub regions: Vec<String>,
}

/// A provider's operating-system image, with what admins set on it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
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
    /// What customers see: the admin's name, else the provider's.
    pub fn name(&self) -> &str {
        self.display_name.as_deref().unwrap_or(&self.provider_name)
    }

    /// The logo key to show: the admin's choice, else the distribution.
    pub fn logo(&self) -> &str {
        self.logo.as_deref().unwrap_or(&self.distribution)
    }

    /// An image that exists only to test failures: admins see it marked, and a new plan does
    /// not include it unless they tick it.
    pub fn for_testing_only(&self) -> bool {
        self.provider == "sandbox" && self.slug == SANDBOX_FAILING_IMAGE
    }
}

/// Everything an admin picks from when writing a plan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inventory {
    pub sizes: Vec<Size>,
    pub regions: Vec<Region>,
    pub images: Vec<Image>,
}

/// The admin page's plan form, posted as `plan[name]`, `plan[region_slugs][]`… Unticked
/// checkboxes send nothing, hence the defaults; a ticked "visible" sends `on`.
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

#[cfg(test)]
mod tests {
    use super::*;

    fn image(provider: &str, slug: &str) -> Image {
        Image {
            provider: provider.into(),
            slug: slug.into(),
            provider_name: slug.into(),
            display_name: None,
            distribution: "unknown".into(),
            logo: None,
            min_disk_gb: None,
            available: true,
            enabled: true,
            synced_at: DateTime::<Utc>::UNIX_EPOCH,
        }
    }

    #[test]
    fn only_the_sandboxs_failing_image_is_for_testing() {
        assert!(image("sandbox", SANDBOX_FAILING_IMAGE).for_testing_only());
        assert!(!image("sandbox", "ubuntu-24-04-x64").for_testing_only());
        // A real provider's image of the same name is a real image.
        assert!(!image("digitalocean", SANDBOX_FAILING_IMAGE).for_testing_only());
    }
}
