//! The plans admins sell: validated against the size they stand on, stored with their regions
//! and images, and listed for admins and for the public price list.

use std::collections::{BTreeMap, BTreeSet};

use chrono::Utc;

use super::*;
use crate::{db_run, tx_run};

const PLAN_COLUMNS: &str = "p.id, p.name, p.provider, p.size_slug, p.vcpus, p.memory_mb, \
     p.disk_gb, p.transfer_gb, p.price_idr_monthly, p.discount_3m_percent, p.discount_6m_percent, \
     p.discount_12m_percent, p.visible, p.sort_order, p.created_at, p.updated_at, \
     s.available AS size_available";
const PLAN_FROM: &str =
    "plans p JOIN catalog_sizes s ON s.provider = p.provider AND s.slug = p.size_slug";

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

impl Catalog {
    pub(super) async fn plan_rows(&self, id: Option<i64>) -> Result<Vec<PlanRow>, CatalogError> {
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
    pub(super) async fn sellable_regions(
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
        Ok(by_plan(
            rows.into_iter().map(|row| (row.plan_id, row.region)),
        ))
    }

    /// The images each plan (or just `plan`) is sold with now, by plan id.
    pub(super) async fn sellable_images(
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
        Ok(by_plan(
            rows.into_iter().map(|row| (row.plan_id, row.image)),
        ))
    }

    /// Whether a plan can be sold at all, whatever its regions and images.
    pub(super) fn sellable(&self, row: &PlanRow) -> bool {
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
        caller.require_admin()?;
        self.admin_plans(None).await
    }

    pub async fn plan(&self, caller: &Caller, id: i64) -> Result<Plan, CatalogError> {
        caller.require_admin()?;
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
        caller.require_admin()?;
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
        caller.require_admin()?;
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
        caller.require_admin()?;
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
}

/// `(plan id, item)` pairs, in their order, gathered per plan.
fn by_plan<T>(pairs: impl IntoIterator<Item = (i64, T)>) -> BTreeMap<i64, Vec<T>> {
    let mut grouped: BTreeMap<i64, Vec<T>> = BTreeMap::new();
    for (plan_id, item) in pairs {
        grouped.entry(plan_id).or_default().push(item);
    }
    grouped
}
