//! A demo shop for a first run (`DEMO=true`, which `scripts/run` sets): on a database with no
//! accounts yet, and only with the sandbox provider on, an admin with a one-time password and
//! sandbox plans on sale, so a newcomer can sign up, order, pay in the sandbox and open a
//! console without reading a manual first.

use crate::accounts::{AccountError, Role};
use crate::caller::{Caller, ClientInfo};
use crate::catalog::{CatalogError, PlanInput};
use crate::secrets::{self, NoRandomness};
use crate::{AppState, DbError, db_run, sandbox};

/// The demo admin's e-mail: a reserved domain, so nothing is ever sent anywhere real.
pub const DEMO_ADMIN_EMAIL: &str = "admin@demo.webrana.test";

/// The plans put on sale: name, sandbox size, monthly price in rupiah, 12-month discount.
const DEMO_PLANS: [(&str, &str, i64, i64); 3] = [
    ("Demo Nano", "sbx-1c-1g", 75_000, 10),
    ("Demo Micro", "sbx-2c-2g", 140_000, 15),
    ("Demo Pro", "sbx-2c-4g", 260_000, 20),
];
const DEMO_REGIONS: [&str; 2] = ["sbx-jkt1", "sbx-sgp1"];
const DEMO_IMAGES: [&str; 2] = ["ubuntu-24-04-x64", "debian-12-x64"];

/// What the operator is told once the demo shop is open.
#[derive(Debug)]
pub struct DemoShop {
    pub admin_email: &'static str,
    /// Shown once, in the terminal; stored only as a hash.
    pub password: String,
    pub plans: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("the demo admin: {0}")]
    Account(#[from] AccountError),
    #[error("the demo plans: {0}")]
    Catalog(#[from] CatalogError),
    #[error(transparent)]
    Randomness(#[from] NoRandomness),
}

/// Opens the demo shop when the database is new and the sandbox is on; `None` otherwise, and
/// when another node opened it first.
pub async fn open_if_new(state: &AppState) -> Result<Option<DemoShop>, DemoError> {
    if state.providers.get(sandbox::NAME).is_none() {
        return Ok(None);
    }
    let accounts: i64 = db_run!(&state.db, |pool| {
        sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(pool)
            .await
    })
    .map_err(DbError::from)?;
    if accounts > 0 {
        return Ok(None);
    }
    let password = secrets::random_token()?[..20].to_owned();
    let admin = match state
        .accounts
        .create_admin(DEMO_ADMIN_EMAIL, "Demo admin", &password)
        .await
    {
        Ok(admin) => admin,
        Err(AccountError::AlreadyExists) => return Ok(None),
        Err(error) => return Err(error.into()),
    };
    let caller = Caller {
        user_id: admin.id,
        session_id: 0,
        role: Role::Admin,
        email_verified: true,
    };
    state.catalog.sync_provider(sandbox::NAME).await?;
    let mut plans = Vec::new();
    for (order, (name, size, price, yearly_discount)) in DEMO_PLANS.into_iter().enumerate() {
        let input = PlanInput {
            name: name.to_owned(),
            provider: sandbox::NAME.to_owned(),
            size_slug: size.to_owned(),
            vcpus: None,
            memory_mb: None,
            disk_gb: None,
            transfer_gb: None,
            price_idr_monthly: price,
            discount_3m_percent: 0,
            discount_6m_percent: yearly_discount / 2,
            discount_12m_percent: yearly_discount,
            region_slugs: DEMO_REGIONS.map(str::to_owned).to_vec(),
            image_slugs: DEMO_IMAGES.map(str::to_owned).to_vec(),
            visible: true,
            sort_order: i64::try_from(order).unwrap_or_default(),
        };
        plans.push(
            state
                .catalog
                .create_plan(&caller, &ClientInfo::default(), &input)
                .await?
                .name,
        );
    }
    Ok(Some(DemoShop {
        admin_email: DEMO_ADMIN_EMAIL,
        password,
        plans,
    }))
}
