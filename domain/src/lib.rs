//! Webrana Cloud's server-side domain: the data layer and the business rules behind every page and
//! API. Nothing here knows about Leptos, HTML or HTTP; the `server` crate and the server functions
//! in `app` call into it through [`AppState`].

pub mod accounts;
pub mod audit;
pub mod backup;
pub mod billing;
pub mod caller;
pub mod catalog;
pub mod console;
pub mod db;
pub mod demo;
pub mod error;
pub mod health;
pub mod http_retry;
pub mod instances;
pub mod jobs;
pub mod mail;
pub mod notifications;
pub mod orders;
pub mod outcomes;
pub mod providers;
pub mod qr;
pub mod rate_limit;
pub mod sandbox;
pub mod secrets;
pub mod settings;
pub mod setup;
pub mod ssh_keys;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
mod transitions;

pub use db::{Backend, Db, DbError};

use accounts::Accounts;
use accounts::tokens::{JwtKeys, SigningKey};

/// Settings the domain needs from the server's configuration.
#[derive(Clone, Debug, Default)]
pub struct DomainConfig {
    /// The address people reach us at, for links in e-mails (`https://webrana.id`).
    pub public_url: String,
    /// The access-token signing secret; `None` uses one generated and stored on first run.
    pub jwt_secret: Option<Vec<u8>>,
    /// Earlier secrets, still accepted until the tokens they signed expire.
    pub jwt_previous_secrets: Vec<Vec<u8>>,
    /// The clouds this installation sells (the sandbox by default; real ones by their tokens).
    pub providers: providers::Providers,
    /// Encrypts root passwords at rest (32 bytes); `None` uses a key generated on first run.
    pub data_encryption_key: Option<Vec<u8>>,
    /// Tax rate and invoice lifetime.
    pub billing: orders::BillingConfig,
    /// Tripay when configured; `None` is the sandbox gateway.
    pub payment_gateway: Option<billing::Gateway>,
    /// How long each channel's pay codes may live, where the operator knows.
    pub payment_expiry_windows: billing::channels::ExpiryWindows,
    /// The Telegram bot notifications go out through, when one is configured.
    pub telegram: Option<notifications::telegram::TelegramBot>,
    /// E-mail goes out through an SMTP server; without one it stays in the dev outbox.
    pub smtp_delivery: bool,
    /// Where every node counts attempt limits (Redis); `None` counts in this process.
    pub shared_limits: Option<rate_limit::SharedTally>,
    /// The commit the running binary was built from, when the build knew it.
    pub build_commit: Option<&'static str>,
}

/// Everything a request handler or server function needs, cloned cheaply into each request.
#[derive(Clone, Debug)]
pub struct AppState {
    pub db: Db,
    /// Identifies this installation's database across restarts and nodes; see [`settings`].
    pub installation_id: String,
    pub accounts: Accounts,
    /// Attempt limits for log-in and password-reset requests, per IP and per e-mail.
    pub limits: rate_limit::AuthLimits,
    pub providers: providers::Providers,
    pub catalog: catalog::Catalog,
    pub instances: instances::Instances,
    pub orders: orders::Orders,
    pub billing: billing::Billing,
    pub notifications: notifications::Notifications,
    pub consoles: console::Consoles,
    pub health: health::Health,
    /// E-mail goes out through an SMTP server, so admins are not shown what it says.
    pub smtp_delivery: bool,
}

/// Why the shared state could not be built at start-up.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("DATA_ENCRYPTION_KEY: {0}")]
    Secrets(#[from] secrets::SecretError),
}

impl AppState {
    /// Builds the state from an open, migrated database.
    pub async fn new(db: Db, config: &DomainConfig) -> Result<Self, StateError> {
        let installation_id = settings::installation_id(&db).await?;
        let secret = match &config.jwt_secret {
            Some(secret) => secret.clone(),
            None => settings::generated_jwt_secret(&db).await?,
        };
        let previous = config
            .jwt_previous_secrets
            .iter()
            .cloned()
            .map(SigningKey::new)
            .collect();
        let keys = JwtKeys::new(SigningKey::new(secret), previous);
        let secret_box =
            secrets::SecretBox::configured_or_generated(&db, config.data_encryption_key.as_deref())
                .await?;
        let rebound = secrets::bind_stored_secrets(&db, &secret_box).await?;
        if rebound > 0 {
            tracing::info!(rebound, "stored secrets sealed again, bound to their rows");
        }
        let accounts = Accounts::new(db.clone(), keys, secret_box.clone(), &config.public_url);
        // Every call to a cloud goes through here, so each one's outcome reaches the health page.
        let providers = config.providers.clone().watched(&db);
        let catalog = catalog::Catalog::new(db.clone(), providers.clone());
        let instances = instances::Instances::new(
            db.clone(),
            providers.clone(),
            catalog.clone(),
            secret_box,
            &installation_id,
        );
        let orders = orders::Orders::new(db.clone(), catalog.clone(), config.billing.clone());
        let gateway = match &config.payment_gateway {
            Some(gateway) => gateway.clone(),
            None => {
                let callback = format!(
                    "{}{}",
                    config.public_url.trim_end_matches('/'),
                    billing::CALLBACK_PATH
                );
                billing::Gateway::sandbox(&db, callback).await?
            }
        };
        let billing = billing::Billing::new(db.clone(), gateway)
            .with_expiry_windows(config.payment_expiry_windows.clone());
        let health = health::Health::new(db.clone(), config, billing.gateway_name());
        let notifications = notifications::Notifications::new(
            db.clone(),
            config.public_url.clone(),
            config.telegram.clone(),
            config.billing.seller.clone(),
        );
        let consoles = console::Consoles::new(db.clone(), instances.clone());
        Ok(Self {
            consoles,
            health,
            notifications,
            instances,
            orders,
            billing,
            catalog,
            db,
            installation_id,
            accounts,
            limits: match &config.shared_limits {
                Some(tally) => rate_limit::AuthLimits::default().shared_through(tally),
                None => rate_limit::AuthLimits::default(),
            },
            providers,
            smtp_delivery: config.smtp_delivery,
        })
    }
}
