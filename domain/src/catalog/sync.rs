//! Keeping the catalog in step with the providers: a `catalog_sync` job that upserts every
//! provider's regions, sizes (with the regions each is offered in) and images, marks what a
//! provider stopped listing unavailable, and schedules the next run.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::{Catalog, CatalogError, record};
use crate::caller::{Caller, ClientInfo};
use crate::db::Tx;
use crate::jobs::{self, Registry};
use crate::{Db, DbError, tx_run};

pub const SYNC_JOB_KIND: &str = "catalog_sync";
/// How often the catalog is refreshed without anyone asking.
pub const SYNC_INTERVAL: Duration = Duration::hours(6);
/// A provider down for longer than these retries (about a quarter of an hour) waits for the next
/// scheduled run.
const SYNC_MAX_ATTEMPTS: i64 = 5;

/// What one provider's sync found.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SyncReport {
    pub provider: String,
    pub regions: usize,
    pub sizes: usize,
    pub images: usize,
    /// Entries synced before that the provider no longer lists, now marked unavailable.
    pub unavailable: u64,
}

impl Catalog {
    /// Brings one provider's regions, sizes and images up to date.
    #[tracing::instrument(skip(self))]
    pub async fn sync_provider(&self, name: &str) -> Result<SyncReport, CatalogError> {
        let provider = self
            .providers
            .get(name)
            .ok_or_else(|| CatalogError::UnknownProvider(name.to_owned()))?;
        let failed = |source| CatalogError::Provider {
            provider: name.to_owned(),
            source,
        };
        // The provider is asked before the transaction starts, so no lock waits on its API.
        let regions = provider.list_regions().await.map_err(failed)?;
        let sizes = provider.list_sizes().await.map_err(failed)?;
        let images = provider.list_images().await.map_err(failed)?;

        // Every row this run writes carries `now`; any other `synced_at` was not listed again.
        let now = Utc::now();
        let mut tx = self.db.begin().await?;
        for region in &regions {
            tx_run!(&mut tx, |conn| {
                sqlx::query(
                    "INSERT INTO catalog_regions (provider, slug, provider_name, country, available, \
                     enabled, synced_at) VALUES ($1, $2, $3, $4, $5, TRUE, $6) \
                     ON CONFLICT (provider, slug) DO UPDATE SET provider_name = excluded.provider_name, \
                     country = excluded.country, available = excluded.available, \
                     synced_at = excluded.synced_at",
                )
                .bind(name)
                .bind(&region.slug)
                .bind(&region.name)
                .bind(&region.country)
                .bind(region.available)
                .bind(now)
                .execute(conn)
                .await
                .map(|_| ())
            })?;
        }
        // A size is linked only to regions the provider lists, the ones it can be sold in.
        let listed: BTreeSet<&str> = regions.iter().map(|region| region.slug.as_str()).collect();
        for size in &sizes {
            tx_run!(&mut tx, |conn| {
                sqlx::query(
                    "INSERT INTO catalog_sizes (provider, slug, vcpus, memory_mb, disk_gb, \
                     transfer_gb, cost_cents_monthly, available, synced_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                     ON CONFLICT (provider, slug) DO UPDATE SET vcpus = excluded.vcpus, \
                     memory_mb = excluded.memory_mb, disk_gb = excluded.disk_gb, \
                     transfer_gb = excluded.transfer_gb, \
                     cost_cents_monthly = excluded.cost_cents_monthly, \
                     available = excluded.available, synced_at = excluded.synced_at",
                )
                .bind(name)
                .bind(&size.slug)
                .bind(size.vcpus)
                .bind(size.memory_mb)
                .bind(size.disk_gb)
                .bind(size.transfer_gb)
                .bind(size.cost_cents_monthly)
                .bind(size.available)
                .bind(now)
                .execute(&mut *conn)
                .await?;
                sqlx::query(
                    "DELETE FROM catalog_size_regions WHERE provider = $1 AND size_slug = $2",
                )
                .bind(name)
                .bind(&size.slug)
                .execute(&mut *conn)
                .await?;
                for region in size.regions.iter().filter(|r| listed.contains(r.as_str())) {
                    sqlx::query(
                        "INSERT INTO catalog_size_regions (provider, size_slug, region_slug) \
                         VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                    )
                    .bind(name)
                    .bind(&size.slug)
                    .bind(region)
                    .execute(&mut *conn)
                    .await?;
                }
            });
        }
        for image in &images {
            tx_run!(&mut tx, |conn| {
                sqlx::query(
                    "INSERT INTO catalog_images (provider, slug, provider_name, distribution, \
                     min_disk_gb, available, enabled, synced_at) \
                     VALUES ($1, $2, $3, $4, $5, TRUE, TRUE, $6) \
                     ON CONFLICT (provider, slug) DO UPDATE SET provider_name = excluded.provider_name, \
                     distribution = excluded.distribution, min_disk_gb = excluded.min_disk_gb, \
                     available = TRUE, synced_at = excluded.synced_at",
                )
                .bind(name)
                .bind(&image.slug)
                .bind(&image.name)
                .bind(&image.distribution)
                .bind(image.min_disk_gb)
                .bind(now)
                .execute(conn)
                .await
                .map(|_| ())
            })?;
        }
        let mut unavailable = 0;
        for table in ["catalog_regions", "catalog_sizes", "catalog_images"] {
            // The table names are our own constants.
            let sql = format!(
                "UPDATE {table} SET available = FALSE \
                 WHERE provider = $1 AND synced_at <> $2 AND available"
            );
            unavailable += tx_run!(&mut tx, |conn| {
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(name)
                    .bind(now)
                    .execute(conn)
                    .await
                    .map(|done| done.rows_affected())
            })?;
        }
        tx.commit().await?;
        let report = SyncReport {
            provider: name.to_owned(),
            regions: regions.len(),
            sizes: sizes.len(),
            images: images.len(),
            unavailable,
        };
        tracing::info!(?report, "catalog synced");
        Ok(report)
    }

    /// Syncs every configured provider. One failing does not stop the others; the first failure
    /// is answered after all were tried.
    pub async fn sync_all(&self) -> Result<Vec<SyncReport>, CatalogError> {
        let mut reports = Vec::new();
        let mut first_failure = None;
        for provider in self.providers.all() {
            match self.sync_provider(provider.name()).await {
                Ok(report) => reports.push(report),
                Err(error) => {
                    tracing::warn!(provider = provider.name(), %error, "catalog sync failed");
                    first_failure.get_or_insert(error);
                }
            }
        }
        match first_failure {
            Some(error) => Err(error),
            None => Ok(reports),
        }
    }

    /// An admin's "sync now": queues a sync to run at once (unless one is already due) and
    /// records who asked. Answers whether a new job was queued.
    #[tracing::instrument(skip(self, caller, client))]
    pub async fn request_sync(
        &self,
        caller: &Caller,
        client: &ClientInfo,
    ) -> Result<bool, CatalogError> {
        caller.require_admin()?;
        let mut tx = self.db.begin().await?;
        let queued = schedule_in(&mut tx, Utc::now()).await?;
        let detail = match queued {
            Some(id) => format!("job {id}"),
            None => "a sync was already due".to_owned(),
        };
        record(&mut tx, "catalog_sync_requested", caller, client, detail).await?;
        tx.commit().await?;
        Ok(queued.is_some())
    }

    /// The job: schedule the next run first, so a provider that keeps failing still gets its
    /// regular try after this job's retries are spent; then sync.
    async fn run_sync_job(&self) -> Result<(), String> {
        schedule_sync(&self.db, Utc::now() + SYNC_INTERVAL)
            .await
            .map_err(|error| error.to_string())?;
        self.sync_all()
            .await
            .map(|_| ())
            .map_err(|error| error.to_string())
    }
}

/// Adds the `catalog_sync` handler to a job registry.
pub fn register(registry: Registry, catalog: Catalog) -> Registry {
    registry.on(SYNC_JOB_KIND, move |_job| {
        let catalog = catalog.clone();
        async move { catalog.run_sync_job().await }
    })
}

/// Queues a sync to run at `run_at`, unless one is already queued to run by then. Answers the new
/// job's id, if one was queued.
pub async fn schedule_sync(db: &Db, run_at: DateTime<Utc>) -> Result<Option<i64>, DbError> {
    let mut tx = db.begin().await?;
    let queued = schedule_in(&mut tx, run_at).await?;
    tx.commit().await?;
    Ok(queued)
}

/// Two nodes starting at once on PostgreSQL may both queue one; the extra sync is harmless (it
/// is idempotent) and the next reschedule finds the other's job and adds none.
async fn schedule_in(tx: &mut Tx, run_at: DateTime<Utc>) -> Result<Option<i64>, DbError> {
    let due: Option<i64> = tx_run!(tx, |conn| {
        sqlx::query_scalar(
            "SELECT id FROM jobs WHERE kind = $1 AND state = 'queued' AND run_at <= $2 LIMIT 1",
        )
        .bind(SYNC_JOB_KIND)
        .bind(run_at)
        .fetch_optional(conn)
        .await
    })?;
    if due.is_some() {
        return Ok(None);
    }
    let id = jobs::enqueue(
        tx,
        SYNC_JOB_KIND,
        &serde_json::json!({}),
        run_at,
        SYNC_MAX_ATTEMPTS,
    )
    .await?;
    Ok(Some(id))
}
