//! A shop on the instant sandbox cloud: an admin, a verified customer (Sari), one plan on sale
//! in Jakarta, and the job handlers of provisioning and billing, on whichever gateway `config`
//! names (the sandbox's when it names none).

use std::sync::Arc;
use std::time::Duration as StdDuration;

use domain::accounts::Role;
use domain::billing;
use domain::caller::{Caller, ClientInfo};
use domain::console::sandbox_screen::SandboxScreens;
use domain::jobs::Registry;
use domain::orders::{self, OrderRequest};
use domain::providers::Providers;
use domain::providers::sandbox::{SandboxProvider, SandboxTiming};
use domain::testing::{TestDb, sandbox_plan_input};
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
