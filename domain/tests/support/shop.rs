//! A shop on the instant sandbox cloud: an admin, a verified customer (Sari), one plan on sale
//! in Jakarta, and the job handlers of provisioning and billing, on whichever gateway `config`
//! names (the sandbox's when it names none).

use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Utc};

use domain::accounts::Role;
use domain::billing;
use domain::caller::{Caller, ClientInfo};
use domain::console::sandbox_screen::SandboxScreens;
use domain::jobs::Registry;
use domain::orders::{self, OrderRequest};
use domain::providers::Providers;
use domain::providers::sandbox::{SandboxProvider, SandboxTiming};
use domain::testing::{TestDb, drain, sandbox_plan_input};
use domain::{AppState, DomainConfig, instances};

pub struct Shop {
    pub state: AppState,
    pub jobs: Registry,
    pub admin: Caller,
    pub sari: Caller,
    pub plan_id: i64,
}

pub fn caller(user_id: i64, role: Role) -> Caller {
    Caller {
        user_id,
        session_id: 0,
        role,
        email_verified: true,
    }
}

/// The plan sells at 75 000 a month, 15 % off for a year.
pub async fn open(test: &TestDb, config: DomainConfig) -> Shop {
    let sandbox = SandboxProvider::new(
        test.db.clone(),
        SandboxTiming {
            create: StdDuration::ZERO,
            action: StdDuration::ZERO,
        },
        SandboxScreens::default(),
    );
    let config = DomainConfig {
        providers: Providers::default().with(Arc::new(sandbox)),
        public_url: "http://127.0.0.1:9".into(),
        ..config
    };
    let state = AppState::new(test.db.clone(), &config).await.unwrap();
    let admin = state
        .accounts
        .create_admin("root@webrana.test", "Root", "ruang-server-aman-1")
        .await
        .unwrap();
    let sari = state
        .accounts
        .create_admin("sari@webrana.test", "Sari Wulandari", "ruang-server-aman-2")
        .await
        .unwrap();
    let admin = caller(admin.id, Role::Admin);
    state.catalog.sync_provider("sandbox").await.unwrap();
    let mut plan = sandbox_plan_input("Nano", &["sbx-jkt1"], &["ubuntu-24-04-x64"]);
    plan.price_idr_monthly = 75_000;
    plan.discount_12m_percent = 15;
    let client = ClientInfo {
        ip: "203.0.113.9".into(),
        user_agent: "test".into(),
    };
    let plan = state
        .catalog
        .create_plan(&admin, &client, &plan)
        .await
        .unwrap();
    let jobs = instances::worker::register(Registry::default(), state.instances.clone());
    let jobs = orders::worker::register(jobs, state.orders.clone(), state.instances.clone());
    let jobs = billing::worker::register(jobs, state.billing.clone());
    Shop {
        admin,
        sari: caller(sari.id, Role::Customer),
        plan_id: plan.id,
        jobs,
        state,
    }
}

impl Shop {
    /// The order's server as its owner sees it.
    pub async fn server_of(&self, order_id: i64) -> instances::Instance {
        let instance_id = self
            .state
            .orders
            .detail(&self.admin, order_id)
            .await
            .unwrap()
            .order
            .instance_id
            .unwrap();
        self.state
            .instances
            .detail(&self.sari, instance_id)
            .await
            .unwrap()
            .instance
    }

    /// Sari's order for a month, paid by hand and provisioned on the sandbox: its id and the
    /// end of its paid period.
    pub async fn running_service(&self, hostname: &str) -> (i64, DateTime<Utc>) {
        let placed = self
            .state
            .orders
            .place(&self.sari, self.order(hostname, 1, None))
            .await
            .unwrap();
        self.state
            .billing
            .mark_paid(&self.admin, placed.invoice.id, "BCA transfer")
            .await
            .unwrap();
        drain(&self.state.db, &self.jobs).await;
        let order = self
            .state
            .orders
            .detail(&self.sari, placed.order.id)
            .await
            .unwrap()
            .order;
        assert_eq!(order.status.as_str(), "active");
        (order.id, order.paid_until.unwrap())
    }

    /// An order of the plan in Jakarta with Ubuntu.
    pub fn order(&self, hostname: &str, months: i64, coupon: Option<&str>) -> OrderRequest {
        OrderRequest {
            plan_id: model::ids::PlanId(self.plan_id),
            region: "sbx-jkt1".into(),
            image: "ubuntu-24-04-x64".into(),
            hostname: hostname.into(),
            period_months: months,
            ssh_key_ids: Vec::new(),
            coupon: coupon.map(str::to_owned),
        }
    }
}
