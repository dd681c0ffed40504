//! The catalog on both databases, synced from the real sandbox provider: idempotent syncs,
//! withdrawn entries kept as unavailable, plan validation, what the public sees, prices, offers,
//! and the sync job that keeps itself scheduled.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use chrono::{Duration, Utc};
use domain::accounts::Role;
use domain::caller::{Caller, ClientInfo};
use domain::catalog::{
    self, Catalog, CatalogError, ImageUpdate, PlanInput, RegionUpdate, SYNC_JOB_KIND, SyncReport,
};
use domain::console::sandbox_screen::SandboxScreens;
use domain::error::{Code, ErrorCode};
use domain::jobs::{self, Registry};
use domain::providers::Providers;
use domain::providers::sandbox::{SandboxProvider, SandboxTiming};
use domain::testing::{TestDb, sandbox_plan_input};
use domain::{AppState, Db, DomainConfig, both_backends, db_run};

struct Env {
    catalog: Catalog,
    admin: Caller,
    client: ClientInfo,
}

async fn env(test: &TestDb) -> Env {
    let providers = Providers::default().with(Arc::new(SandboxProvider::new(
        test.db.clone(),
        SandboxTiming::default(),
        SandboxScreens::default(),
    )));
    let config = DomainConfig {
        providers,
        ..Default::default()
    };
    let state = AppState::new(test.db.clone(), &config).await.unwrap();
    let user = state
        .accounts
        .create_admin("root@webrana.test", "Root", "ruang-server-aman-1")
        .await
        .unwrap();
    Env {
        catalog: state.catalog,
        admin: Caller {
            user_id: user.id,
            session_id: 0,
            role: Role::Admin,
            email_verified: true,
        },
        client: ClientInfo {
            ip: "203.0.113.9".into(),
            user_agent: "test".into(),
        },
    }
}

async fn synced(test: &TestDb) -> Env {
    let env = env(test).await;
    env.catalog.sync_provider("sandbox").await.unwrap();
    env
}

fn plan(name: &str, size: &str, regions: &[&str], images: &[&str], price: i64) -> PlanInput {
    PlanInput {
        size_slug: size.into(),
        price_idr_monthly: price,
        ..sandbox_plan_input(name, regions, images)
    }
}

fn basic() -> PlanInput {
    plan(
        "Basic 1 GB",
        "sbx-1c-1g",
        &["sbx-jkt1", "sbx-sgp1"],
        &["ubuntu-24-04-x64", "debian-12-x64"],
        75_000,
    )
}

async fn count(db: &Db, table: &str) -> i64 {
    let sql = format!("SELECT COUNT(*) FROM {table}");
    db_run!(db, |pool| {
        sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql.clone()))
            .fetch_one(pool)
            .await
    })
    .unwrap()
}

fn assert_code<T: std::fmt::Debug>(result: Result<T, CatalogError>, code: Code) -> CatalogError {
    let error = result.unwrap_err();
    assert_eq!(error.code(), code, "{error}");
    error
}

async fn set_region(env: &Env, slug: &str, name: Option<&str>, enabled: bool) {
    let update = RegionUpdate {
        display_name: name.map(str::to_owned),
        enabled,
    };
    env.catalog
        .update_region(&env.admin, &env.client, "sandbox", slug, &update)
        .await
        .unwrap();
}

async fn set_image(env: &Env, slug: &str, enabled: bool) {
    let update = ImageUpdate {
        enabled,
        ..Default::default()
    };
    env.catalog
        .update_image(&env.admin, &env.client, "sandbox", slug, &update)
        .await
        .unwrap();
}

both_backends! {
    async fn syncing_twice_changes_nothing_and_keeps_admin_choices(test: TestDb) {
        let env = env(&test).await;
        let first = env.catalog.sync_provider("sandbox").await.unwrap();
        assert_eq!(
            first,
            SyncReport { provider: "sandbox".into(), regions: 3, sizes: 4, images: 5, unavailable: 0 }
        );
        set_region(&env, "sbx-jkt1", Some("Jakarta"), false).await;
        let counts = [
            count(&test.db, "catalog_regions").await,
            count(&test.db, "catalog_sizes").await,
            count(&test.db, "catalog_size_regions").await,
            count(&test.db, "catalog_images").await,
        ];
        assert_eq!(counts, [3, 4, 9, 5]);

        let second = env.catalog.sync_provider("sandbox").await.unwrap();
        assert_eq!(second, first);
        assert_eq!(
            [
                count(&test.db, "catalog_regions").await,
                count(&test.db, "catalog_sizes").await,
                count(&test.db, "catalog_size_regions").await,
                count(&test.db, "catalog_images").await,
            ],
            counts
        );
        let regions = env.catalog.regions(&env.admin).await.unwrap();
        let jakarta = regions.iter().find(|r| r.slug == "sbx-jkt1").unwrap();
        assert_eq!((jakarta.name(), jakarta.enabled, jakarta.available), ("Jakarta", false, true));
        assert_eq!(jakarta.provider_name, "Sandbox Jakarta 1");

        let sizes = env.catalog.sizes(&env.admin).await.unwrap();
        let big = sizes.iter().find(|s| s.slug == "sbx-4c-8g").unwrap();
        assert_eq!(big.regions, ["sbx-sgp1"]);
        assert_eq!((big.vcpus, big.memory_mb, big.cost_cents_monthly), (4, 8192, 4800));
        assert_code(env.catalog.sync_provider("vultr").await, Code::ProviderUnknown);
    }

    async fn entries_a_provider_stops_listing_become_unavailable_not_deleted(test: TestDb) {
        let env = synced(&test).await;
        env.catalog.create_plan(&env.admin, &env.client, &basic()).await.unwrap();
        // What an earlier sync stored and the sandbox no longer lists.
        let earlier = Utc::now() - Duration::days(1);
        db_run!(&test.db, |pool| async {
            sqlx::query(
                "INSERT INTO catalog_regions (provider, slug, provider_name, available, enabled, synced_at) \
                 VALUES ('sandbox', 'sbx-old1', 'Old region', TRUE, TRUE, $1)",
            ).bind(earlier).execute(pool).await?;
            sqlx::query(
                "INSERT INTO catalog_sizes (provider, slug, vcpus, memory_mb, disk_gb, transfer_gb, \
                 cost_cents_monthly, available, synced_at) VALUES ('sandbox', 'sbx-old', 1, 512, 10, 500, 400, TRUE, $1)",
            ).bind(earlier).execute(pool).await?;
            sqlx::query(
                "INSERT INTO catalog_size_regions (provider, size_slug, region_slug) VALUES ('sandbox', 'sbx-old', 'sbx-old1')",
            ).execute(pool).await?;
            sqlx::query(
                "INSERT INTO catalog_images (provider, slug, provider_name, distribution, available, enabled, synced_at) \
                 VALUES ('sandbox', 'centos-7', 'CentOS 7', 'centos', TRUE, TRUE, $1)",
            ).bind(earlier).execute(pool).await?;
            Ok::<_, sqlx::Error>(())
        }.await).unwrap();
        let old_plan = env.catalog
            .create_plan(&env.admin, &env.client, &plan("Old", "sbx-old", &["sbx-old1"], &["centos-7"], 10_000))
            .await
            .unwrap();
        assert!(old_plan.on_sale);

        let report = env.catalog.sync_provider("sandbox").await.unwrap();
        assert_eq!(report.unavailable, 3);
        let regions = env.catalog.regions(&env.admin).await.unwrap();
        assert!(!regions.iter().find(|r| r.slug == "sbx-old1").unwrap().available);
        assert!(regions.iter().filter(|r| r.slug != "sbx-old1").all(|r| r.available));
        let sizes = env.catalog.sizes(&env.admin).await.unwrap();
        assert!(!sizes.iter().find(|s| s.slug == "sbx-old").unwrap().available);
        let images = env.catalog.images(&env.admin).await.unwrap();
        assert!(!images.iter().find(|i| i.slug == "centos-7").unwrap().available);

        // The plan stays, for its servers, but is no longer sold.
        let plans = env.catalog.plans(&env.admin).await.unwrap();
        assert!(!plans.iter().find(|p| p.id == old_plan.id).unwrap().on_sale);
        let public = env.catalog.public_plans().await.unwrap();
        assert_eq!(public.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(), ["Basic 1 GB"]);
        assert!(env.catalog.public_regions().await.unwrap().iter().all(|r| r.slug != "sbx-old1"));
        assert!(env.catalog.public_images().await.unwrap().iter().all(|i| i.slug != "centos-7"));
        // Its withdrawn size cannot be chosen for a new plan, but the plan itself can be edited.
        assert_code(
            env.catalog.create_plan(&env.admin, &env.client, &plan("Old 2", "sbx-old", &["sbx-old1"], &["centos-7"], 10_000)).await,
            Code::PlanSizeInvalid,
        );
        let mut hidden = plan("Old", "sbx-old", &["sbx-old1"], &["centos-7"], 10_000);
        hidden.visible = false;
        env.catalog.update_plan(&env.admin, &env.client, old_plan.id, &hidden).await.unwrap();
    }

    async fn invalid_plans_are_refused_with_a_field_and_nothing_is_stored(test: TestDb) {
        let env = synced(&test).await;
        let create = |input: PlanInput| {
            let env = &env;
            async move { env.catalog.create_plan(&env.admin, &env.client, &input).await }
        };

        for price in [0, -5_000, catalog::MAX_PRICE_IDR_MONTHLY + 1] {
            let mut input = basic();
            input.price_idr_monthly = price;
            let error = assert_code(create(input).await, Code::PlanPriceInvalid);
            assert_eq!(error.field(), Some("price_idr_monthly"));
        }
        // The 4 vCPU size is offered in Singapore only.
        let error = assert_code(
            create(plan("Big", "sbx-4c-8g", &["sbx-sgp1", "sbx-jkt1"], &["ubuntu-24-04-x64"], 300_000)).await,
            Code::PlanRegionNotOffered,
        );
        assert_eq!(error.field(), Some("region_slugs"));
        assert!(error.to_string().contains("`sbx-jkt1`"), "{error}");
        assert!(error.to_string().contains("sbx-sgp1"), "{error}");

        let mut input = basic();
        input.discount_12m_percent = 91;
        let error = assert_code(create(input).await, Code::PlanDiscountInvalid);
        assert_eq!(error.field(), Some("discount_12m_percent"));
        let mut input = basic();
        input.discount_3m_percent = -1;
        assert_code(create(input).await, Code::PlanDiscountInvalid);

        // A plan never promises more than its size has.
        let mut input = basic();
        input.memory_mb = Some(2048);
        let error = assert_code(create(input).await, Code::PlanSpecInvalid);
        assert_eq!(error.field(), Some("memory_mb"));
        let mut input = basic();
        input.vcpus = Some(0);
        assert_code(create(input).await, Code::PlanSpecInvalid);

        let mut input = basic();
        input.name = "   ".into();
        assert_code(create(input).await, Code::PlanNameInvalid);
        let mut input = basic();
        input.name = "Basic\r\nBcc: victim@example.com".into();
        assert_code(create(input).await, Code::PlanNameInvalid);
        assert_code(create(plan("X", "sbx-64c", &["sbx-sgp1"], &["debian-12-x64"], 1)).await, Code::PlanSizeInvalid);
        assert_code(create(plan("X", "sbx-1c-1g", &[], &["debian-12-x64"], 1)).await, Code::PlanRegionsRequired);
        assert_code(create(plan("X", "sbx-1c-1g", &["sbx-sgp1"], &[], 1)).await, Code::PlanImagesRequired);
        assert_code(create(plan("X", "sbx-1c-1g", &["sbx-sgp1"], &["windows-2022"], 1)).await, Code::PlanImageUnknown);
        let mut input = basic();
        input.provider = "linode".into();
        assert_code(create(input).await, Code::ProviderUnknown);

        assert_eq!(count(&test.db, "plans").await, 0);
        assert_eq!(count(&test.db, "plan_regions").await, 0);
        assert_eq!(count(&test.db, "plan_images").await, 0);

        let created = create(basic()).await.unwrap();
        assert_eq!((created.vcpus, created.memory_mb, created.disk_gb, created.transfer_gb), (1, 1024, 25, 1000));
        assert_eq!(created.region_slugs, ["sbx-jkt1", "sbx-sgp1"]);
        let error = assert_code(create(basic()).await, Code::AlreadyExists);
        assert_eq!(error.field(), Some("name"));
        let mut other = plan("Other", "sbx-2c-2g", &["sbx-tyo1"], &["debian-12-x64"], 150_000);
        let other_plan = create(other.clone()).await.unwrap();
        other.name = "Basic 1 GB".into();
        assert_code(env.catalog.update_plan(&env.admin, &env.client, other_plan.id, &other).await, Code::AlreadyExists);
        assert_eq!(count(&test.db, "plans").await, 2);

        let customer = Caller { role: Role::Customer, ..env.admin.clone() };
        assert_code(env.catalog.create_plan(&customer, &env.client, &basic()).await, Code::Forbidden);
        assert_code(env.catalog.plans(&customer).await, Code::Forbidden);
        assert_code(env.catalog.request_sync(&customer, &env.client).await, Code::Forbidden);
    }

    async fn the_public_sees_visible_plans_with_enabled_regions_and_images(test: TestDb) {
        let env = synced(&test).await;
        let mut second = plan("Pro 4 GB", "sbx-2c-4g", &["sbx-jkt1"], &["ubuntu-24-04-x64"], 200_000);
        second.sort_order = -1;
        let pro = env.catalog.create_plan(&env.admin, &env.client, &second).await.unwrap();
        let basic_plan = env.catalog.create_plan(&env.admin, &env.client, &basic()).await.unwrap();
        let mut hidden = plan("Secret", "sbx-1c-1g", &["sbx-sgp1"], &["debian-12-x64"], 1_000);
        hidden.visible = false;
        env.catalog.create_plan(&env.admin, &env.client, &hidden).await.unwrap();

        let public = env.catalog.public_plans().await.unwrap();
        assert_eq!(public.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(), ["Pro 4 GB", "Basic 1 GB"]);
        let admin_view = env.catalog.plans(&env.admin).await.unwrap();
        assert_eq!(admin_view.len(), 3);
        assert!(!admin_view.iter().find(|p| p.name == "Secret").unwrap().on_sale);

        set_region(&env, "sbx-sgp1", Some("Singapura"), true).await;
        set_region(&env, "sbx-jkt1", None, false).await;
        set_image(&env, "debian-12-x64", false).await;
        let public = env.catalog.public_plans().await.unwrap();
        // Pro is sold only in the disabled Jakarta, so it is off sale until that comes back.
        assert_eq!(public.len(), 1);
        let shown = &public[0];
        assert_eq!(shown.id, basic_plan.id);
        assert_eq!(shown.regions.iter().map(|r| (r.slug.as_str(), r.name.as_str())).collect::<Vec<_>>(), [("sbx-sgp1", "Singapura")]);
        assert_eq!(shown.images.iter().map(|i| i.slug.as_str()).collect::<Vec<_>>(), ["ubuntu-24-04-x64"]);
        assert_eq!((shown.images[0].name.as_str(), shown.images[0].logo.as_str()), ("Ubuntu 24.04 LTS", "ubuntu"));
        assert!(!env.catalog.plans(&env.admin).await.unwrap().iter().find(|p| p.id == pro.id).unwrap().on_sale);

        // Back on: the provider's own name is shown while no display name is set.
        set_region(&env, "sbx-jkt1", None, true).await;
        let public = env.catalog.public_plans().await.unwrap();
        assert_eq!(public[0].regions[0].name, "Sandbox Jakarta 1");
        let regions: Vec<_> = env.catalog.public_regions().await.unwrap().into_iter().map(|r| r.name).collect();
        assert_eq!(regions, ["Sandbox Jakarta 1", "Sandbox Tokyo 1", "Singapura"]);
        assert_eq!(env.catalog.public_images().await.unwrap().len(), 4);

        // Logos are short keys; blank falls back to the distribution.
        let update = ImageUpdate { display_name: Some(" Ubuntu 24.04 ".into()), logo: Some("Ubuntu-LTS".into()), enabled: true };
        let image = env.catalog.update_image(&env.admin, &env.client, "sandbox", "ubuntu-24-04-x64", &update).await.unwrap();
        assert_eq!((image.name(), image.logo()), ("Ubuntu 24.04", "ubuntu-lts"));
        let bad = ImageUpdate { logo: Some("<svg>".into()), enabled: true, ..Default::default() };
        assert_code(env.catalog.update_image(&env.admin, &env.client, "sandbox", "ubuntu-24-04-x64", &bad).await, Code::ImageLogoInvalid);
        let long = RegionUpdate { display_name: Some("J".repeat(61)), enabled: true };
        assert_code(env.catalog.update_region(&env.admin, &env.client, "sandbox", "sbx-jkt1", &long).await, Code::RegionNameInvalid);
        let two_lines = RegionUpdate { display_name: Some("Jakarta\nSingapore".into()), enabled: true };
        assert_code(env.catalog.update_region(&env.admin, &env.client, "sandbox", "sbx-jkt1", &two_lines).await, Code::RegionNameInvalid);
        assert_code(env.catalog.update_region(&env.admin, &env.client, "sandbox", "nowhere", &RegionUpdate::default()).await, Code::NotFound);
    }

    async fn term_prices_apply_each_discount_in_whole_rupiah(test: TestDb) {
        let env = synced(&test).await;
        let mut input = basic();
        input.price_idr_monthly = 33_333;
        input.discount_3m_percent = 7;
        input.discount_6m_percent = 10;
        input.discount_12m_percent = 90;
        env.catalog.create_plan(&env.admin, &env.client, &input).await.unwrap();
        let public = env.catalog.public_plans().await.unwrap();
        let prices = &public[0].pricing;
        assert_eq!(prices.price_for_months(1), Some(33_333));
        // 99 999 × 0.93 = 92 999.07, rounded down.
        assert_eq!(prices.price_for_months(3), Some(92_999));
        assert_eq!(prices.price_for_months(6), Some(179_998));
        assert_eq!(prices.price_for_months(12), Some(39_999));
        let totals: Vec<_> = public[0].terms.iter().map(|t| (t.months, t.total_idr)).collect();
        assert_eq!(totals, [(1, 33_333), (3, 92_999), (6, 179_998), (12, 39_999)]);
    }

    async fn an_offer_is_one_sellable_plan_region_and_image(test: TestDb) {
        let env = synced(&test).await;
        let mut input = basic();
        input.transfer_gb = Some(500);
        let created = env.catalog.create_plan(&env.admin, &env.client, &input).await.unwrap();
        let offer = env.catalog.offer(created.id, "sbx-jkt1", "debian-12-x64").await.unwrap();
        assert_eq!(offer, catalog::Offer {
            plan_id: created.id,
            plan_name: "Basic 1 GB".into(),
            provider: "sandbox".into(),
            size_slug: "sbx-1c-1g".into(),
            region_slug: "sbx-jkt1".into(),
            image_slug: "debian-12-x64".into(),
            vcpus: 1,
            memory_mb: 1024,
            disk_gb: 25,
            transfer_gb: 500,
            pricing: catalog::Pricing {
                price_idr_monthly: 75_000,
                discount_3m_percent: input.discount_3m_percent,
                discount_6m_percent: input.discount_6m_percent,
                discount_12m_percent: input.discount_12m_percent,
            },
        });

        assert_code(env.catalog.offer(created.id + 100, "sbx-jkt1", "debian-12-x64").await, Code::NotFound);
        // Tokyo offers the size, but this plan is not sold there.
        let error = assert_code(env.catalog.offer(created.id, "sbx-tyo1", "debian-12-x64").await, Code::RegionNotOffered);
        assert_eq!(error.field(), Some("region"));
        assert_code(env.catalog.offer(created.id, "sbx-jkt1", "almalinux-9-x64").await, Code::ImageNotOffered);
        assert_code(env.catalog.offer(created.id, "sbx-jkt1", "no-such-image").await, Code::ImageNotOffered);

        set_region(&env, "sbx-jkt1", Some("Jakarta"), false).await;
        assert_code(env.catalog.offer(created.id, "sbx-jkt1", "debian-12-x64").await, Code::RegionNotOffered);
        env.catalog.offer(created.id, "sbx-sgp1", "debian-12-x64").await.unwrap();
        set_image(&env, "debian-12-x64", false).await;
        assert_code(env.catalog.offer(created.id, "sbx-sgp1", "debian-12-x64").await, Code::ImageNotOffered);
        let images: Vec<_> = env.catalog.plan_images(created.id).await.unwrap().into_iter().map(|i| i.slug).collect();
        assert_eq!(images, ["ubuntu-24-04-x64"]);
        assert_code(env.catalog.plan_images(created.id + 100).await, Code::NotFound);

        // The provider withdrew the size.
        db_run!(&test.db, |pool| sqlx::query("UPDATE catalog_sizes SET available = FALSE WHERE slug = 'sbx-1c-1g'").execute(pool).await.map(|_| ())).unwrap();
        assert_code(env.catalog.offer(created.id, "sbx-sgp1", "ubuntu-24-04-x64").await, Code::PlanUnavailable);
        db_run!(&test.db, |pool| sqlx::query("UPDATE catalog_sizes SET available = TRUE").execute(pool).await.map(|_| ())).unwrap();
        env.catalog.offer(created.id, "sbx-sgp1", "ubuntu-24-04-x64").await.unwrap();

        // Hidden plans are not sold; their servers can still be rebuilt with the plan's images.
        let mut hidden = input.clone();
        hidden.visible = false;
        env.catalog.update_plan(&env.admin, &env.client, created.id, &hidden).await.unwrap();
        assert_code(env.catalog.offer(created.id, "sbx-sgp1", "ubuntu-24-04-x64").await, Code::NotFound);
        assert_eq!(env.catalog.plan_images(created.id).await.unwrap().len(), 1);
    }

    async fn plans_are_updated_and_deleted_with_an_audit_trail(test: TestDb) {
        let env = synced(&test).await;
        let created = env.catalog.create_plan(&env.admin, &env.client, &basic()).await.unwrap();
        let mut input = plan("Basic 2 GB", "sbx-2c-2g", &["sbx-tyo1"], &["almalinux-9-x64"], 120_000);
        input.discount_6m_percent = 10;
        let updated = env.catalog.update_plan(&env.admin, &env.client, created.id, &input).await.unwrap();
        assert_eq!((updated.name.as_str(), updated.size_slug.as_str(), updated.vcpus), ("Basic 2 GB", "sbx-2c-2g", 2));
        assert_eq!(updated.region_slugs, ["sbx-tyo1"]);
        assert_eq!(updated.image_slugs, ["almalinux-9-x64"]);
        assert_eq!(updated.pricing.discount_6m_percent, 10);
        assert_eq!(env.catalog.plan(&env.admin, created.id).await.unwrap(), updated);
        assert_code(env.catalog.update_plan(&env.admin, &env.client, created.id + 1, &input).await, Code::NotFound);

        env.catalog.delete_plan(&env.admin, &env.client, created.id).await.unwrap();
        assert_code(env.catalog.delete_plan(&env.admin, &env.client, created.id).await, Code::NotFound);
        assert_eq!(count(&test.db, "plan_regions").await, 0);

        let entries = domain::audit::list(&test.db, &domain::audit::AuditFilter { limit: 10, ..Default::default() }).await.unwrap();
        let actions: Vec<_> = entries.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(actions, ["plan_deleted", "plan_updated", "plan_created", "admin_created"]);
        assert_eq!(entries[1].actor_user_id, Some(env.admin.user_id));
        assert!(entries[1].detail.as_deref().unwrap().contains("Rp 120000/month"));
    }

    async fn the_sync_job_runs_and_keeps_itself_scheduled(test: TestDb) {
        let env = env(&test).await;
        let registry = catalog::register(Registry::default(), env.catalog.clone());
        let first = catalog::schedule_sync(&test.db, Utc::now()).await.unwrap();
        assert!(first.is_some());
        assert_eq!(catalog::schedule_sync(&test.db, Utc::now()).await.unwrap(), None, "one is due already");

        let ran = jobs::run_once(&test.db, &registry, "w1", Duration::minutes(5)).await.unwrap().unwrap();
        assert_eq!((ran.id, ran.kind.as_str()), (first.unwrap(), SYNC_JOB_KIND));
        assert_eq!(count(&test.db, "catalog_sizes").await, 4);
        let done = jobs::list(&test.db, Some("done"), Some(SYNC_JOB_KIND), 10).await.unwrap();
        assert_eq!(done.len(), 1);
        let queued = jobs::list(&test.db, Some("queued"), Some(SYNC_JOB_KIND), 10).await.unwrap();
        assert_eq!(queued.len(), 1);
        let next = queued[0].run_at - Utc::now();
        assert!(next > Duration::hours(5) && next <= catalog::SYNC_INTERVAL, "next run in {next}");
        assert!(jobs::run_once(&test.db, &registry, "w1", Duration::minutes(5)).await.unwrap().is_none());

        // "Sync now" queues one ahead of the scheduled run, once, and says who asked.
        assert!(env.catalog.request_sync(&env.admin, &env.client).await.unwrap());
        assert!(!env.catalog.request_sync(&env.admin, &env.client).await.unwrap());
        assert_eq!(jobs::list(&test.db, Some("queued"), Some(SYNC_JOB_KIND), 10).await.unwrap().len(), 2);
        jobs::run_once(&test.db, &registry, "w1", Duration::minutes(5)).await.unwrap().unwrap();
        // The run found the scheduled job already queued and added none.
        assert_eq!(jobs::list(&test.db, Some("queued"), Some(SYNC_JOB_KIND), 10).await.unwrap().len(), 1);
        let audit = domain::audit::list(&test.db, &domain::audit::AuditFilter {
            action: Some("catalog_sync_requested".into()),
            limit: 10,
            ..Default::default()
        }).await.unwrap();
        assert_eq!(audit.len(), 2);
        assert_eq!(audit[0].ip.as_deref(), Some("203.0.113.9"));
    }
}
