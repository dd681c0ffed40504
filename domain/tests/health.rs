#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The admin health summary on both databases: each provider call's outcome as a mock cloud
//! answers (a 404 is an answer, a refused token a failure), the job queue's lag and dead jobs
//! per kind, the last accepted payment callback, Redis when configured, and that only admins
//! may read any of it.

mod support;

use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{Duration, Utc};
use domain::accounts::Role;
use domain::billing::{self, tripay};
use domain::caller::{Caller, ClientInfo};
use domain::console::sandbox_screen::SandboxScreens;
use domain::error::{Code, ErrorCode};
use domain::health::HealthError;
use domain::jobs::{self, Registry};
use domain::providers::sandbox::{SandboxProvider, SandboxTiming};
use domain::providers::{CloudProvider, ProviderError, Providers};
use domain::rate_limit::SharedTally;
use domain::testing::{TestDb, drain, sandbox_plan_input};
use domain::{AppState, Db, DomainConfig, both_backends, db_run};
use model::health::{Level, RedisHealth};
use model::ids::PlanId;
use model::orders::OrderRequest;
use serde_json::json;
use support::mock_clouds::{answer_in_turn, digitalocean};
use wiremock::MockServer;

struct Env {
    state: AppState,
    admin: Caller,
    customer: Caller,
}

fn caller(user_id: i64, role: Role) -> Caller {
    Caller {
        user_id,
        session_id: 0,
        role,
        email_verified: true,
    }
}

fn sandbox(db: &Db) -> Arc<dyn CloudProvider> {
    Arc::new(SandboxProvider::new(
        db.clone(),
        SandboxTiming {
            create: StdDuration::ZERO,
            action: StdDuration::ZERO,
        },
        SandboxScreens::default(),
    ))
}

/// The platform on `providers` (as `config` says otherwise), with an admin and a customer.
async fn env(test: &TestDb, providers: Providers, config: DomainConfig) -> Env {
    let config = DomainConfig {
        providers,
        ..config
    };
    let state = AppState::new(test.db.clone(), &config).await.unwrap();
    let mut made = Vec::new();
    for (email, password) in [
        ("root@webrana.test", "ruang-server-aman-1"),
        ("sari@webrana.test", "ruang-server-aman-2"),
    ] {
        made.push(
            state
                .accounts
                .create_admin(email, "Root", password)
                .await
                .unwrap()
                .id,
        );
    }
    Env {
        admin: caller(made[0], Role::Admin),
        customer: caller(made[1], Role::Customer),
        state,
    }
}

async fn enqueue(db: &Db, kind: &str, run_at: chrono::DateTime<Utc>, max_attempts: i64) {
    let mut tx = db.begin().await.unwrap();
    jobs::enqueue(&mut tx, kind, &json!({}), run_at, max_attempts)
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

both_backends! {
    async fn every_provider_call_records_whether_the_provider_worked(test: TestDb) {
        let cloud = MockServer::start().await;
        digitalocean::mount_catalog(&cloud).await;
        answer_in_turn(&cloud, "GET", "/v2/droplets/404", vec![digitalocean::error(404, "not_found", "The resource you were accessing could not be found.")]).await;
        answer_in_turn(&cloud, "GET", "/v2/droplets/401", vec![digitalocean::error(401, "unauthorized", "Unable to authenticate you.")]).await;
        let providers = Providers::default()
            .with(sandbox(&test.db))
            .with(Arc::new(digitalocean::provider(&cloud)));
        let env = env(&test, providers, DomainConfig::default()).await;
        let provider = |name: &str| {
            let state = env.state.clone();
            let (admin, name) = (env.admin.clone(), name.to_owned());
            async move {
                let summary = state.health.summary(&admin).await.unwrap();
                summary.providers.into_iter().find(|provider| provider.name == name).unwrap().outcome
            }
        };
        let before = provider("digitalocean").await;
        assert_eq!((before.level(), before.last_success_at), (Level::Idle, None), "no call, nothing known");

        env.state.catalog.sync_provider("digitalocean").await.unwrap();
        let synced = provider("digitalocean").await;
        assert!(synced.last_success_at.is_some());
        assert_eq!((synced.level(), synced.last_failure_at), (Level::Ok, None));

        let digitalocean = env.state.providers.get("digitalocean").unwrap();
        let missing = digitalocean.get_instance("404").await.unwrap_err();
        assert_eq!(missing, ProviderError::NotFound);
        assert_eq!(provider("digitalocean").await.last_failure_at, None, "a server it does not have is an answer");

        let refused = digitalocean.get_instance("401").await.unwrap_err();
        assert!(matches!(refused, ProviderError::Provider(_)), "{refused:?}");
        let failed = provider("digitalocean").await;
        assert_eq!(failed.level(), Level::Failing);
        assert!(failed.last_failure_at >= synced.last_success_at);
        let message = failed.last_failure.unwrap();
        assert!(message.contains("rejected our API token") && message.contains("Unable to authenticate you"), "{message}");

        // Within seconds of the last success, yet written: it ends the failure.
        digitalocean.list_regions().await.unwrap();
        let recovered = provider("digitalocean").await;
        assert_eq!(recovered.level(), Level::Ok);
        assert!(recovered.last_success_at > failed.last_failure_at);
        assert!(recovered.last_failure.is_some(), "the last failure stays on record");
        digitalocean.list_sizes().await.unwrap();
        assert_eq!(provider("digitalocean").await.last_success_at, recovered.last_success_at, "a success so soon after another is not written again");

        // Each provider has its own record.
        assert_eq!(provider("sandbox").await.level(), Level::Idle);
        env.state.catalog.sync_provider("sandbox").await.unwrap();
        assert_eq!(provider("sandbox").await.level(), Level::Ok);
    }

    async fn the_summary_counts_each_kinds_queue_its_lag_and_its_dead(test: TestDb) {
        let env = env(&test, Providers::default(), DomainConfig::default()).await;
        let failing = Registry::default().on("notification_telegram", |_| async { Err::<(), _>("Telegram cannot be reached".to_owned()) });
        enqueue(&test.db, "notification_telegram", Utc::now(), 1).await;
        assert_eq!(drain(&test.db, &failing).await, 1);

        let now = Utc::now();
        for waited in [5, 2] {
            enqueue(&test.db, "deliver_email", now - Duration::minutes(waited), 8).await;
        }
        enqueue(&test.db, "deliver_email", now + Duration::hours(1), 8).await;

        let summary = env.state.health.summary(&env.admin).await.unwrap();
        let kinds: Vec<&str> = summary.jobs.iter().map(|kind| kind.kind.as_str()).collect();
        assert_eq!(kinds, ["deliver_email", "notification_telegram"]);
        let email = &summary.jobs[0];
        assert_eq!((email.queued, email.running, email.dead), (3, 0, 0));
        assert!((300..360).contains(&email.lag_secs), "the oldest due waited five minutes: {}", email.lag_secs);
        assert_eq!(email.level(), Level::Warning);
        let telegram = &summary.jobs[1];
        assert_eq!((telegram.queued, telegram.dead, telegram.lag_secs), (0, 1, 0));
        assert_eq!(telegram.level(), Level::Warning, "a dead job wants a look");
        assert_eq!((summary.email.pending, summary.telegram.pending), (3, 0));
        assert!(!summary.email.configured && !summary.telegram.configured);
        assert_eq!(summary.level(), Level::Warning);

        // A queue nobody works for ten minutes is failing.
        db_run!(&test.db, |pool| {
            sqlx::query("UPDATE jobs SET run_at = $1 WHERE kind = 'deliver_email' AND run_at < $2")
                .bind(now - Duration::minutes(11))
                .bind(now)
                .execute(pool)
                .await
                .map(|_| ())
        })
        .unwrap();
        let summary = env.state.health.summary(&env.admin).await.unwrap();
        assert_eq!((summary.jobs[0].level(), summary.level()), (Level::Failing, Level::Failing));
    }

    async fn the_last_accepted_payment_callback_is_shown_with_its_channel(test: TestDb) {
        let env = env(&test, Providers::default().with(sandbox(&test.db)), DomainConfig::default()).await;
        let none = env.state.health.summary(&env.admin).await.unwrap().payments;
        assert_eq!((none.gateway.as_str(), none.last_callback_at, none.level()), ("sandbox", None, Level::Idle));

        env.state.catalog.sync_provider("sandbox").await.unwrap();
        let plan = env.state.catalog
            .create_plan(&env.admin, &ClientInfo::default(), &sandbox_plan_input("Nano", &["sbx-jkt1"], &["ubuntu-24-04-x64"]))
            .await
            .unwrap();
        let request = OrderRequest {
            plan_id: PlanId(plan.id),
            region: "sbx-jkt1".into(),
            image: "ubuntu-24-04-x64".into(),
            hostname: "web-1".into(),
            period_months: 1,
            ssh_key_ids: Vec::new(),
            coupon: None,
        };
        let invoice = env.state.orders.place(&env.customer, request).await.unwrap().invoice;
        let payment = env.state.billing.pay(&env.customer, invoice.id, "BRIVA").await.unwrap();
        let body = json!({
            "reference": payment.reference,
            "merchant_ref": invoice.number,
            "payment_method": "BRIVA",
            "payment_method_code": "BRIVA",
            "total_amount": invoice.total,
            "fee_merchant": 0,
            "fee_customer": 0,
            "total_fee": 0,
            "amount_received": invoice.total,
            "is_closed_payment": 1,
            "status": "PAID",
            "paid_at": Utc::now().timestamp(),
            "note": null,
        })
        .to_string();
        let forged = env.state.billing.apply_callback(body.as_bytes(), Some("f00dfeed"), Some("payment_status"), Some("203.0.113.66")).await;
        assert!(forged.is_err());
        assert_eq!(env.state.health.summary(&env.admin).await.unwrap().payments.last_callback_at, None, "a refused callback is not one");

        let key = billing::sandbox_private_key(&test.db).await.unwrap();
        let signature = tripay::callback_signature(&key, body.as_bytes());
        let before = Utc::now();
        env.state.billing.apply_callback(body.as_bytes(), Some(&signature), Some("payment_status"), Some("198.51.100.4")).await.unwrap();
        let payments = env.state.health.summary(&env.admin).await.unwrap().payments;
        assert!(payments.last_callback_at.unwrap() >= before);
        assert_eq!((payments.last_callback_channel.as_deref(), payments.level()), (Some("BRIVA"), Level::Ok));
    }

    async fn redis_is_asked_only_when_configured(test: TestDb) {
        let env_without = env(&test, Providers::default(), DomainConfig::default()).await;
        let summary = env_without.state.health.summary(&env_without.admin).await.unwrap();
        assert_eq!(summary.redis, RedisHealth::NotConfigured);
        assert_eq!(summary.version, env!("CARGO_PKG_VERSION"));
        assert!(summary.database.reachable && summary.database.pending_migrations.is_empty());

        let url = std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned());
        let tally = SharedTally::connect(&url, "webrana-health-test").await.unwrap();
        let config = DomainConfig { shared_limits: Some(tally), ..DomainConfig::default() };
        let state = AppState::new(test.db.clone(), &config).await.unwrap();
        let summary = state.health.summary(&env_without.admin).await.unwrap();
        assert_eq!(summary.redis, RedisHealth::Reachable);
    }

    async fn only_admins_read_the_summary(test: TestDb) {
        let env = env(&test, Providers::default(), DomainConfig::default()).await;
        let refused = env.state.health.summary(&env.customer).await.unwrap_err();
        assert!(matches!(refused, HealthError::Forbidden(_)), "{refused:?}");
        assert_eq!(refused.code(), Code::Forbidden);
        assert!(env.state.health.summary(&env.admin).await.is_ok());
    }
}
