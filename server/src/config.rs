//! The one typed configuration, read from the environment (and `.env`) once at start-up.
//!
//! Every variable is checked before anything starts; each bad value gives one line naming the
//! variable and what was expected, and the binary exits with code 2.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use std::sync::Arc;

use domain::billing::Gateway;
use domain::billing::channels::ExpiryWindows;
use domain::billing::tripay::{
    PRODUCTION_BASE_URL, SANDBOX_BASE_URL, TripayClient, TripayConfig, TripayError,
};
use domain::console::sandbox_screen::SandboxScreens;
use domain::console::sandbox_vm::{DEFAULT_GUEST_DIR, SandboxVmGuest};
use domain::notifications::telegram::TelegramBot;
use domain::orders::{BillingConfig, Seller};
use domain::providers::digitalocean::DigitalOceanProvider;
use domain::providers::linode::LinodeProvider;
use domain::providers::sandbox::{SandboxProvider, SandboxTiming};
use domain::providers::vultr::VultrProvider;
use domain::providers::{ProviderError, Providers};
use domain::{Backend, Db};

pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/webrana.db";

#[derive(Clone, Debug)]
pub struct Config {
    /// `DATABASE_URL`: `sqlite://…` (embedded default) or `postgres://…`.
    pub database_url: String,
    /// `DATABASE_MAX_CONNECTIONS`: pool size, 1–1000 (default 10).
    pub database_max_connections: u32,
    /// `HOST` (default 127.0.0.1) and `PORT` (default 3000; 0 picks a free port).
    pub listen_addr: SocketAddr,
    /// `LOG_FORMAT`: `text` (default) or `json`.
    pub log_format: LogFormat,
    /// `SHUTDOWN_TIMEOUT_SECS`: how long a stop waits for in-flight requests (default 30).
    pub shutdown_timeout: Duration,
    /// `SHUTDOWN_DRAIN_SECS`: on a stop, how long to keep serving while `/readyz` says not
    /// ready, so a load balancer moves new requests to other nodes first (default 0).
    pub shutdown_drain: Duration,
    /// `PUBLIC_URL`: the address people use (links in e-mails, CSRF origin, `Secure` cookies
    /// when https). Default `http://127.0.0.1:3000`.
    pub public_url: String,
    /// `JWT_SECRET`: access-token signing secret, at least 32 characters; unset uses a secret
    /// generated on first run and stored in the database.
    pub jwt_secret: Option<Secret>,
    /// `JWT_PREVIOUS_SECRETS`: comma-separated earlier secrets, accepted while rotating.
    pub jwt_previous_secrets: Vec<Secret>,
    /// `SMTP_URL`: where e-mail goes (`smtps://user:pass@host:465`); unset keeps every e-mail in
    /// the dev outbox admins can read.
    pub smtp_url: Option<Secret>,
    /// `MAIL_FROM`: the sender, default `Webrana Cloud <no-reply@webrana.local>`.
    pub mail_from: String,
    /// `SUPPORT_EMAIL`: where customers write to us, shown on the contact page; default
    /// `support@webrana.local`.
    pub support_email: String,
    /// `DEMO`: `true` opens a demo shop on a new database (an admin whose one-time password is
    /// printed, and sandbox plans on sale); `scripts/run` sets it. Default `false`; refused with
    /// `APP_ENV=production`.
    pub demo: bool,
    /// `SANDBOX_PROVIDER`: `on` (default) sells servers from the simulated `sandbox` cloud;
    /// `off` hides it once real providers are configured.
    pub sandbox_enabled: bool,
    /// `SANDBOX_CREATE_SECS` (default 8) and `SANDBOX_ACTION_SECS` (default 3): how long the
    /// sandbox takes to create a server and to finish an action.
    pub sandbox_timing: SandboxTiming,
    /// `SANDBOX_VM`: what a sandbox server's console is. `auto` (default): a QEMU VM per
    /// running server when QEMU and the guest are installed, the built-in screen otherwise;
    /// `on`: VMs, and start-up fails when they cannot run; `off`: always the built-in screen.
    pub sandbox_vm: SandboxVmMode,
    /// `SANDBOX_VM_DIR`: where `scripts/sandbox-vm/build` put the guest (default
    /// `target/sandbox-vm`).
    pub sandbox_vm_dir: PathBuf,
    /// `DATA_ENCRYPTION_KEY`: 32 bytes in base64 (`openssl rand -base64 32`) that encrypt root
    /// passwords and two-factor secrets at rest. Unset uses a key generated on first run and stored in the database,
    /// which protects nothing against someone who has the database: set it in production.
    pub data_encryption_key: Option<Secret>,
    /// `DIGITALOCEAN_TOKEN`: a personal access token (droplet read/create/update/delete) that
    /// turns the DigitalOcean provider on; `DIGITALOCEAN_API_URL` overrides its address (tests,
    /// proxies).
    pub digitalocean: Option<ProviderAccount>,
    /// `VULTR_API_KEY` turns the Vultr provider on; `VULTR_API_URL` overrides its address
    /// (including `/v2`).
    pub vultr: Option<ProviderAccount>,
    /// `LINODE_API_TOKEN` (scopes linodes:read_write and events:read_only) turns the Linode
    /// provider on; `LINODE_API_URL` overrides its address (including `/v4`).
    pub linode: Option<ProviderAccount>,
    /// `TAX_RATE_PERCENT`: PPN on invoices, 0–100 with up to two decimals (default 11).
    pub tax_rate_bp: i64,
    /// `INVOICE_LIFETIME_HOURS`: how long an invoice can be paid, 1–720 (default 24).
    pub invoice_lifetime_hours: i64,
    /// `TRIPAY_API_KEY`, `TRIPAY_PRIVATE_KEY` and `TRIPAY_MERCHANT_CODE` (all three) take
    /// payments through Tripay; `TRIPAY_MODE` is `sandbox` (default) or `production`, and
    /// `TRIPAY_API_URL` overrides the address; `TRIPAY_CHANNEL_EXPIRY` gives channels' pay-code
    /// windows in minutes (`BRIVA=15-43200,QRIS=15-60`; others 15–1 440). Unset: the built-in
    /// sandbox gateway.
    pub tripay: Option<TripayAccount>,
    /// `SELLER_LEGAL_NAME`, `SELLER_ADDRESS` and `SELLER_NPWP` (15 or 16 digits, dots and
    /// dashes allowed): the seller printed on every invoice.
    pub seller: Seller,
    /// `TELEGRAM_BOT_TOKEN` (from BotFather), `TELEGRAM_BOT_USERNAME` and
    /// `TELEGRAM_WEBHOOK_SECRET` (1–256 of `A-Z a-z 0-9 _ -`, the `secret_token` given to
    /// `setWebhook`), all three or none, turn Telegram notifications on; `TELEGRAM_API_URL`
    /// overrides Telegram's address (tests, proxies).
    pub telegram: Option<TelegramAccount>,
    /// `REDIS_URL` (`redis://host:6379`): shares the live notification feed and the attempt
    /// limits between server processes. Unset: in-process, which is all one node needs.
    pub redis_url: Option<String>,
    /// `TRUSTED_PROXIES`: comma-separated addresses and networks (`10.0.0.0/8`, `::1`) of the
    /// reverse proxies in front of us. A request from one of them is taken to come from the
    /// address its `Forwarded` / `X-Forwarded-For` names; anyone else's such headers are
    /// ignored. Unset: every client is the peer it connects from.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// `RENEWAL_LEAD_DAYS`: how long before a paid period ends its renewal invoice is issued,
    /// 1–30 (default 7).
    pub renewal_lead_days: i64,
    /// `RENEWAL_GRACE_DAYS`: how long after its period ends an unpaid service keeps running
    /// before it is suspended, 0–30 (default 3).
    pub renewal_grace_days: i64,
    /// `TERMINATE_AFTER_DAYS`: how long a service stays suspended before its server is
    /// deleted, 1–90 (default 14).
    pub terminate_after_days: i64,
    /// `CONSOLE_IDLE_MINUTES`: a browser console without keyboard or mouse input for this long
    /// is closed, 1–480 (default 15).
    pub console_idle: Duration,
    /// `JOB_CONCURRENCY`: durable jobs this process runs at once, 1–256 (default 16), and
    /// `JOB_CONCURRENCY_PER_KIND`: of one kind at once, 1 up to `JOB_CONCURRENCY` (default 8),
    /// so a burst of e-mails cannot hold every slot while servers wait to be made.
    pub job_concurrency: domain::jobs::Concurrency,
    /// `BACKUP_DIR`: scheduled backups go here (unset: none are taken); `BACKUP_EVERY`: how
    /// often, `6h` or `1d`, 1 hour to 30 days (default `1d`); `BACKUP_KEEP`: how many are kept,
    /// 1–1000 (default 7).
    pub backup_schedule: Option<domain::backup::Schedule>,
    /// `METRICS_ADDR` (`127.0.0.1:9100`): where Prometheus scrapes `/metrics`, a listener of its
    /// own so the metrics never reach the public port. Unset: no metrics.
    pub metrics_addr: Option<SocketAddr>,
    /// `SENTRY_DSN` turns error tracking on: errors, panics and browser error reports go to
    /// that Sentry project, scrubbed of secrets first, with sampled performance traces.
    /// `SENTRY_ENVIRONMENT` names the deployment (default: `APP_ENV`'s value, `development`
    /// unless set), `SENTRY_RELEASE` the build (default `webrana@VERSION+COMMIT`), and
    /// `SENTRY_TRACES_SAMPLE_RATE`, 0 to 1 (default 0.1), is the share of requests, jobs and
    /// console sessions traced. Unset: nothing is sent anywhere.
    pub sentry: Option<crate::error_tracking::SentrySettings>,
}

/// The Telegram bot notifications go out through.
#[derive(Clone, Debug)]
pub struct TelegramAccount {
    pub token: Secret,
    pub username: String,
    pub webhook_secret: Secret,
    pub api_url: String,
}

/// Tripay merchant credentials.
#[derive(Clone, Debug)]
pub struct TripayAccount {
    pub api_key: Secret,
    pub private_key: Secret,
    pub merchant_code: String,
    pub api_url: String,
    pub expiry_windows: ExpiryWindows,
}

/// Why the configured services could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("provider set-up: {0}")]
    Provider(#[from] ProviderError),
    #[error("TRIPAY_*: {0}")]
    Payment(#[from] TripayError),
    #[error("SANDBOX_VM=on, but the sandbox's VM consoles cannot run: {0}")]
    SandboxVm(String),
}

/// A real cloud's credentials and, optionally, another address for its API.
#[derive(Clone, Debug)]
pub struct ProviderAccount {
    pub token: Secret,
    pub api_url: Option<String>,
}

/// A secret from the environment; `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(…)")
    }
}

impl Secret {
    fn bytes(&self) -> Vec<u8> {
        self.0.as_bytes().to_vec()
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// Whether sandbox consoles are QEMU VMs (`SANDBOX_VM`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SandboxVmMode {
    Auto,
    On,
    Off,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// One bad variable: its name and what was wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub variable: &'static str,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.variable, self.message)
    }
}

/// Every bad variable found, one per line when displayed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lines: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        f.write_str(&lines.join("\n"))
    }
}

impl std::error::Error for ConfigErrors {}

impl Config {
    /// What the domain needs of this configuration, with the enabled providers on `db`.
    pub fn domain(&self, db: &Db) -> Result<domain::DomainConfig, SetupError> {
        let mut providers = Providers::default();
        if let Some(account) = &self.digitalocean {
            providers = providers.with(Arc::new(DigitalOceanProvider::new(
                account.token.expose().to_owned(),
                account.api_url.clone(),
            )?));
        }
        if let Some(account) = &self.linode {
            providers = providers.with(Arc::new(LinodeProvider::new(
                account.token.expose().to_owned(),
                account.api_url.clone(),
            )?));
        }
        if let Some(account) = &self.vultr {
            providers = providers.with(Arc::new(VultrProvider::new(
                account.token.expose().to_owned(),
                account.api_url.clone(),
            )?));
        }
        if self.sandbox_enabled {
            providers = providers.with(Arc::new(SandboxProvider::new(
                db.clone(),
                self.sandbox_timing,
                self.sandbox_screens()?,
            )));
        }
        Ok(domain::DomainConfig {
            providers,
            data_encryption_key: self.data_encryption_key.as_ref().and_then(|key| {
                use base64::Engine as _;
                base64::engine::general_purpose::STANDARD
                    .decode(key.expose())
                    .ok()
            }),
            public_url: self.public_url.clone(),
            jwt_secret: self.jwt_secret.as_ref().map(Secret::bytes),
            jwt_previous_secrets: self
                .jwt_previous_secrets
                .iter()
                .map(Secret::bytes)
                .collect(),
            billing: self.billing(),
            smtp_delivery: self.smtp_url.is_some(),
            // Connected at start-up, which can wait for Redis (see `startup`).
            shared_limits: None,
            // Set by build.rs when built from a checkout.
            build_commit: option_env!("WEBRANA_COMMIT"),
            payment_gateway: self
                .tripay
                .as_ref()
                .map(|account| self.tripay_gateway(account))
                .transpose()?,
            payment_expiry_windows: self
                .tripay
                .as_ref()
                .map(|account| account.expiry_windows.clone())
                .unwrap_or_default(),
            telegram: self.telegram.as_ref().map(|account| {
                TelegramBot::new(
                    &account.api_url,
                    account.token.expose().to_owned(),
                    account.username.clone(),
                    account.webhook_secret.expose().to_owned(),
                )
            }),
        })
    }

    /// The sandbox's consoles as `SANDBOX_VM` and what is installed decide, said in the log.
    fn sandbox_screens(&self) -> Result<SandboxScreens, SetupError> {
        let found = match self.sandbox_vm {
            SandboxVmMode::Off => {
                tracing::info!("sandbox consoles: the built-in screen (SANDBOX_VM=off)");
                return Ok(SandboxScreens::default());
            }
            _ => SandboxVmGuest::find(&self.sandbox_vm_dir),
        };
        match (found, self.sandbox_vm) {
            (Ok(guest), _) => {
                tracing::info!(
                    qemu = %guest.qemu.display(),
                    guest = %self.sandbox_vm_dir.display(),
                    "sandbox consoles: a QEMU VM per running server"
                );
                Ok(SandboxScreens::with_vms(guest))
            }
            (Err(missing), SandboxVmMode::On) => Err(SetupError::SandboxVm(missing)),
            (Err(missing), _) => {
                tracing::info!("sandbox consoles: the built-in screen, no VMs because {missing}");
                Ok(SandboxScreens::default())
            }
        }
    }

    fn billing(&self) -> BillingConfig {
        BillingConfig {
            tax_rate_bp: self.tax_rate_bp,
            invoice_lifetime: chrono::Duration::hours(self.invoice_lifetime_hours),
            renewal_lead: chrono::Duration::days(self.renewal_lead_days),
            renewal_grace: chrono::Duration::days(self.renewal_grace_days),
            termination_after: chrono::Duration::days(self.terminate_after_days),
            seller: self.seller.clone(),
        }
    }

    fn tripay_gateway(&self, account: &TripayAccount) -> Result<Gateway, TripayError> {
        let client = TripayClient::new(TripayConfig {
            api_key: account.api_key.expose().to_owned(),
            private_key: account.private_key.expose().to_owned(),
            merchant_code: account.merchant_code.clone(),
            base_url: account.api_url.clone(),
        })?;
        Ok(Gateway::Tripay {
            client,
            private_key: account.private_key.expose().to_owned(),
            callback_url: format!("{}{}", self.public_url, domain::billing::CALLBACK_PATH),
        })
    }

    /// Cookies get `Secure` when people reach us over https.
    pub fn secure_cookies(&self) -> bool {
        self.public_url.starts_with("https://")
    }

    /// Reads the process environment, after loading `.env` from the working folder if present.
    pub fn from_env() -> Result<Self, ConfigErrors> {
        // A missing .env is the normal case; a malformed one is reported like any bad value.
        if let Err(error) = dotenvy::dotenv()
            && !error.not_found()
        {
            return Err(ConfigErrors(vec![ConfigError {
                variable: ".env",
                message: format!("cannot be read: {error}"),
            }]));
        }
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Builds the config from any source of variables (the environment, or a map in tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigErrors> {
        let mut reader = Reader {
            lookup: &lookup,
            errors: Vec::new(),
        };
        let database_url = reader.parse("DATABASE_URL", DEFAULT_DATABASE_URL.to_owned(), |raw| {
            Backend::from_url(raw).map(|_| raw.to_owned()).map_err(|_| {
                format!(
                    "expected sqlite://PATH or postgres://USER@HOST/DB, got `{}`",
                    domain::db::redacted_url(raw)
                )
            })
        });
        let database_max_connections =
            reader.parse("DATABASE_MAX_CONNECTIONS", 10, |raw| {
                match raw.parse::<u32>() {
                    Ok(n @ 1..=1000) => Ok(n),
                    _ => Err(format!(
                        "expected a whole number from 1 to 1000, got `{raw}`"
                    )),
                }
            });
        let host = reader.parse("HOST", IpAddr::V4(Ipv4Addr::LOCALHOST), |raw| {
            raw.parse::<IpAddr>().map_err(|_| {
                format!("expected an IP address such as 127.0.0.1 or 0.0.0.0, got `{raw}`")
            })
        });
        let port = reader.parse("PORT", 3000, |raw| {
            raw.parse::<u16>()
                .map_err(|_| format!("expected a port number from 0 to 65535, got `{raw}`"))
        });
        let log_format = reader.parse("LOG_FORMAT", LogFormat::Text, |raw| match raw {
            "text" => Ok(LogFormat::Text),
            "json" => Ok(LogFormat::Json),
            _ => Err(format!("expected `text` or `json`, got `{raw}`")),
        });
        let shutdown_drain = reader.parse("SHUTDOWN_DRAIN_SECS", Duration::ZERO, |raw| {
            match raw.parse::<u64>() {
                Ok(secs @ 0..=300) => Ok(Duration::from_secs(secs)),
                _ => Err(format!(
                    "expected a number of seconds from 0 to 300, got `{raw}`"
                )),
            }
        });
        let shutdown_timeout = reader.parse(
            "SHUTDOWN_TIMEOUT_SECS",
            Duration::from_secs(30),
            |raw| match raw.parse::<u64>() {
                Ok(secs @ 1..=3600) => Ok(Duration::from_secs(secs)),
                _ => Err(format!(
                    "expected a number of seconds from 1 to 3600, got `{raw}`"
                )),
            },
        );

        let public_url = reader.parse("PUBLIC_URL", "http://127.0.0.1:3000".to_owned(), |raw| {
            let url = raw.trim_end_matches('/');
            let valid = (url.starts_with("http://") || url.starts_with("https://"))
                && url
                    .split("://")
                    .nth(1)
                    .is_some_and(|rest| !rest.is_empty() && !rest.contains('/'));
            if valid {
                Ok(url.to_owned())
            } else {
                Err(format!(
                    "expected an origin such as https://webrana.id (no path), got `{raw}`"
                ))
            }
        });
        let check_secret = |raw: &str| {
            if raw.len() >= 32 {
                Ok(Secret(raw.to_owned()))
            } else {
                Err("expected a secret of at least 32 characters".to_owned())
            }
        };
        let jwt_secret = reader.parse("JWT_SECRET", None, |raw| check_secret(raw).map(Some));
        let jwt_previous_secrets = reader.parse("JWT_PREVIOUS_SECRETS", Vec::new(), |raw| {
            raw.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(check_secret)
                .collect()
        });

        let smtp_url = reader.parse("SMTP_URL", None, |raw| {
            if ["smtp://", "smtps://"]
                .iter()
                .any(|scheme| raw.starts_with(scheme))
            {
                Ok(Some(Secret(raw.to_owned())))
            } else {
                Err("expected smtp://HOST:PORT or smtps://USER:PASS@HOST:465".to_owned())
            }
        });
        let mail_from = reader.parse("MAIL_FROM", "Webrana Cloud <no-reply@webrana.local>".to_owned(), |raw| {
            if raw.contains('@') {
                Ok(raw.to_owned())
            } else {
                Err(format!("expected an address such as Webrana Cloud <no-reply@webrana.id>, got `{raw}`"))
            }
        });

        let support_email = reader.parse(
            "SUPPORT_EMAIL",
            "support@webrana.local".to_owned(),
            |raw| match raw.split_once('@') {
                Some((user, host))
                    if !user.is_empty()
                        && host.contains('.')
                        && !raw.contains(char::is_whitespace) =>
                {
                    Ok(raw.to_owned())
                }
                _ => Err(format!(
                    "expected an address such as support@webrana.id, got `{raw}`"
                )),
            },
        );

        let sandbox_enabled = reader.parse("SANDBOX_PROVIDER", true, |raw| match raw {
            "on" => Ok(true),
            "off" => Ok(false),
            _ => Err(format!("expected `on` or `off`, got `{raw}`")),
        });
        let seconds = |raw: &str| match raw.parse::<u64>() {
            Ok(secs @ 0..=600) => Ok(Duration::from_secs(secs)),
            _ => Err(format!(
                "expected a number of seconds from 0 to 600, got `{raw}`"
            )),
        };
        let defaults = SandboxTiming::default();
        let sandbox_timing = SandboxTiming {
            create: reader.parse("SANDBOX_CREATE_SECS", defaults.create, seconds),
            action: reader.parse("SANDBOX_ACTION_SECS", defaults.action, seconds),
        };
        let sandbox_vm = reader.parse("SANDBOX_VM", SandboxVmMode::Auto, |raw| match raw {
            "auto" => Ok(SandboxVmMode::Auto),
            "on" => Ok(SandboxVmMode::On),
            "off" => Ok(SandboxVmMode::Off),
            _ => Err(format!("expected `auto`, `on` or `off`, got `{raw}`")),
        });
        let sandbox_vm_dir =
            reader.parse("SANDBOX_VM_DIR", PathBuf::from(DEFAULT_GUEST_DIR), |raw| {
                Ok(PathBuf::from(raw))
            });
        let data_encryption_key = reader.parse("DATA_ENCRYPTION_KEY", None, |raw| {
            use base64::Engine as _;
            match base64::engine::general_purpose::STANDARD.decode(raw) {
                Ok(key) if key.len() == 32 => Ok(Some(Secret(raw.to_owned()))),
                _ => Err(
                    "expected 32 bytes in base64, as `openssl rand -base64 32` prints".to_owned(),
                ),
            }
        });

        let digitalocean = reader.provider_account("DIGITALOCEAN_TOKEN", "DIGITALOCEAN_API_URL");
        let vultr = reader.provider_account("VULTR_API_KEY", "VULTR_API_URL");
        let linode = reader.provider_account("LINODE_API_TOKEN", "LINODE_API_URL");
        let tax_rate_bp = reader.parse("TAX_RATE_PERCENT", 1_100, parse_percent_bp);
        let invoice_lifetime_hours = reader.parse("INVOICE_LIFETIME_HOURS", 24, |raw| {
            match raw.parse::<i64>() {
                Ok(hours) if (1..=720).contains(&hours) => Ok(hours),
                _ => Err(format!("expected whole hours from 1 to 720, got `{raw}`")),
            }
        });
        let tripay = reader.tripay_account();
        let seller = reader.seller();
        let telegram = reader.telegram_account();
        let redis_url = reader.parse("REDIS_URL", None, |raw| {
            if raw.starts_with("redis://") || raw.starts_with("rediss://") {
                Ok(Some(raw.to_owned()))
            } else {
                Err(format!("expected a redis:// or rediss:// URL, got `{raw}`"))
            }
        });
        let days = |range: std::ops::RangeInclusive<i64>| {
            move |raw: &str| match raw.parse::<i64>() {
                Ok(days) if range.contains(&days) => Ok(days),
                _ => Err(format!(
                    "expected whole days from {} to {}, got `{raw}`",
                    range.start(),
                    range.end()
                )),
            }
        };
        let trusted_proxies = reader.parse("TRUSTED_PROXIES", Vec::new(), |raw| {
            raw.split(',')
                .map(str::trim)
                .filter(|item| !item.is_empty())
                .map(|item| {
                    item.parse::<ipnet::IpNet>()
                        .or_else(|_| item.parse::<IpAddr>().map(ipnet::IpNet::from))
                        .map_err(|_| {
                            format!("expected addresses or networks such as 10.0.0.0/8 or ::1, separated by commas; `{item}` is neither")
                        })
                })
                .collect()
        });
        let renewal_lead_days = reader.parse("RENEWAL_LEAD_DAYS", 7, days(1..=30));
        let renewal_grace_days = reader.parse("RENEWAL_GRACE_DAYS", 3, days(0..=30));
        let terminate_after_days = reader.parse("TERMINATE_AFTER_DAYS", 14, days(1..=90));
        let console_idle = reader.parse(
            "CONSOLE_IDLE_MINUTES",
            Duration::from_secs(15 * 60),
            |raw| match raw.parse::<u64>() {
                Ok(minutes @ 1..=480) => Ok(Duration::from_secs(minutes * 60)),
                _ => Err(format!("expected whole minutes from 1 to 480, got `{raw}`")),
            },
        );

        let job_defaults = domain::jobs::Concurrency::default();
        let total = reader.parse("JOB_CONCURRENCY", job_defaults.total, |raw| {
            match raw.parse::<usize>() {
                Ok(jobs @ 1..=256) => Ok(jobs),
                _ => Err(format!(
                    "expected a number of jobs from 1 to 256, got `{raw}`"
                )),
            }
        });
        let per_kind = reader.parse(
            "JOB_CONCURRENCY_PER_KIND",
            job_defaults.per_kind.min(total),
            |raw| match raw.parse::<usize>() {
                Ok(jobs) if (1..=total).contains(&jobs) => Ok(jobs),
                _ => Err(format!(
                    "expected a number of jobs from 1 to JOB_CONCURRENCY ({total}), got `{raw}`"
                )),
            },
        );
        let job_concurrency = domain::jobs::Concurrency { total, per_kind };
        let backup_schedule = reader.backup_schedule();
        let metrics_addr = reader.parse("METRICS_ADDR", None, |raw| {
            raw.parse::<SocketAddr>().map(Some).map_err(|_| {
                format!("expected an address and port such as 127.0.0.1:9100, got `{raw}`")
            })
        });

        let real_clouds: Vec<&str> = [
            ("DIGITALOCEAN_TOKEN", digitalocean.is_some()),
            ("VULTR_API_KEY", vultr.is_some()),
            ("LINODE_API_TOKEN", linode.is_some()),
        ]
        .into_iter()
        .filter_map(|(variable, on)| on.then_some(variable))
        .collect();
        reader.payment_gateway(&real_clouds, tripay.is_some());
        let production = reader.parse("APP_ENV", false, |raw| match raw {
            "production" => Ok(true),
            "development" => Ok(false),
            _ => Err(format!(
                "expected `development` (the default) or `production`, got `{raw}`"
            )),
        });
        let sentry = reader.sentry(production);
        let demo = reader.parse("DEMO", false, |raw| match raw {
            "true" if production => {
                Err("a demo shop cannot be opened with APP_ENV=production".to_owned())
            }
            "true" => Ok(true),
            "false" => Ok(false),
            _ => Err(format!("expected `true` or `false`, got `{raw}`")),
        });
        if production {
            reader.require_for_production(&[
                (
                    "DATA_ENCRYPTION_KEY",
                    data_encryption_key.is_some(),
                    "set 32 random bytes in base64 (`openssl rand -base64 32`)",
                ),
                (
                    "JWT_SECRET",
                    jwt_secret.is_some(),
                    "set a random secret of at least 32 characters",
                ),
                (
                    "PUBLIC_URL",
                    public_url.starts_with("https://"),
                    "set the https address people use",
                ),
                (
                    "SMTP_URL",
                    smtp_url.is_some(),
                    "set the mail server that delivers e-mail",
                ),
            ]);
        }

        if !reader.errors.is_empty() {
            return Err(ConfigErrors(reader.errors));
        }
        Ok(Self {
            database_url,
            database_max_connections,
            listen_addr: SocketAddr::new(host, port),
            log_format,
            shutdown_timeout,
            shutdown_drain,
            public_url,
            jwt_secret,
            jwt_previous_secrets,
            smtp_url,
            mail_from,
            support_email,
            demo,
            sandbox_enabled,
            sandbox_timing,
            sandbox_vm,
            sandbox_vm_dir,
            data_encryption_key,
            digitalocean,
            vultr,
            linode,
            tax_rate_bp,
            invoice_lifetime_hours,
            tripay,
            seller,
            telegram,
            redis_url,
            trusted_proxies,
            renewal_lead_days,
            renewal_grace_days,
            terminate_after_days,
            console_idle,
            job_concurrency,
            backup_schedule,
            metrics_addr,
            sentry,
        })
    }
}

/// `11` or `11.5` percent as basis points.
fn parse_percent_bp(raw: &str) -> Result<i64, String> {
    let bad =
        || format!("expected a percentage from 0 to 100 with at most two decimals, got `{raw}`");
    let (whole, fraction) = raw.split_once('.').unwrap_or((raw, ""));
    if fraction.len() > 2
        || whole.is_empty()
        || !whole
            .chars()
            .chain(fraction.chars())
            .all(|c| c.is_ascii_digit())
    {
        return Err(bad());
    }
    let whole: i64 = whole.parse().map_err(|_| bad())?;
    let fraction: i64 = format!("{fraction:0<2}").parse().map_err(|_| bad())?;
    let bp = whole * 100 + fraction;
    if bp > 10_000 { Err(bad()) } else { Ok(bp) }
}

struct Reader<'a> {
    lookup: &'a dyn Fn(&str) -> Option<String>,
    errors: Vec<ConfigError>,
}

impl Reader<'_> {
    /// `PAYMENT_GATEWAY`: `tripay` or `sandbox`. Unset means Tripay when `TRIPAY_*` is set and
    /// the sandbox otherwise, except that the sandbox is never taken by default while a real
    /// cloud is on: any customer could "pay" with its button and get a real server.
    fn payment_gateway(&mut self, real_clouds: &[&str], tripay: bool) {
        let chosen = self.parse("PAYMENT_GATEWAY", None, |raw| match raw {
            "tripay" | "sandbox" => Ok(Some(raw.to_owned())),
            _ => Err(format!("expected `tripay` or `sandbox`, got `{raw}`")),
        });
        let message = match (chosen.as_deref(), tripay) {
            (Some("tripay"), false) => Some(
                "`tripay` needs TRIPAY_API_KEY, TRIPAY_PRIVATE_KEY and TRIPAY_MERCHANT_CODE".to_owned(),
            ),
            (Some("sandbox"), true) => Some(
                "`sandbox` while TRIPAY_* is set: unset one of them, so it is clear which takes the money".to_owned(),
            ),
            (None, false) if !real_clouds.is_empty() => Some(format!(
                "{} sells real servers, so payments must be real: set TRIPAY_API_KEY, \
                 TRIPAY_PRIVATE_KEY and TRIPAY_MERCHANT_CODE, or PAYMENT_GATEWAY=sandbox to \
                 take sandbox payments on purpose",
                real_clouds.join(", ")
            )),
            _ => None,
        };
        if let Some(message) = message {
            self.errors.push(ConfigError {
                variable: "PAYMENT_GATEWAY",
                message,
            });
        }
    }

    /// With `APP_ENV=production`, each setting that has a development default but must not
    /// run on it: (variable, whether it is set right, what to do).
    fn require_for_production(&mut self, settings: &[(&'static str, bool, &str)]) {
        for (variable, ok, what) in settings {
            if !ok {
                self.errors.push(ConfigError {
                    variable,
                    message: format!("required with APP_ENV=production: {what}"),
                });
            }
        }
    }

    /// A cloud's token variable and its optional API address override.
    fn provider_account(
        &mut self,
        token_variable: &'static str,
        url_variable: &'static str,
    ) -> Option<ProviderAccount> {
        let token = self.parse(token_variable, None, |raw| {
            if raw.chars().any(char::is_whitespace) {
                Err("expected the token as the provider shows it, without spaces".to_owned())
            } else {
                Ok(Some(Secret(raw.to_owned())))
            }
        });
        let api_url = self.parse(url_variable, None, |raw| {
            if raw.starts_with("http://") || raw.starts_with("https://") {
                Ok(Some(raw.trim_end_matches('/').to_owned()))
            } else {
                Err(format!("expected an http(s) URL, got `{raw}`"))
            }
        });
        token.map(|token| ProviderAccount { token, api_url })
    }

    /// Tripay's three credentials, all or none, and where its API is.
    fn tripay_account(&mut self) -> Option<TripayAccount> {
        let value = |reader: &mut Self, variable: &'static str| {
            reader.parse(variable, None, |raw| {
                if raw.chars().any(char::is_whitespace) {
                    Err(
                        "expected the value as Tripay's merchant panel shows it, without spaces"
                            .to_owned(),
                    )
                } else {
                    Ok(Some(raw.to_owned()))
                }
            })
        };
        let api_key = value(self, "TRIPAY_API_KEY");
        let private_key = value(self, "TRIPAY_PRIVATE_KEY");
        let merchant_code = value(self, "TRIPAY_MERCHANT_CODE");
        let base = self.parse("TRIPAY_MODE", SANDBOX_BASE_URL, |raw| match raw {
            "sandbox" => Ok(SANDBOX_BASE_URL),
            "production" => Ok(PRODUCTION_BASE_URL),
            _ => Err(format!("expected `sandbox` or `production`, got `{raw}`")),
        });
        let api_url = self.parse("TRIPAY_API_URL", base.to_owned(), |raw| {
            if raw.starts_with("http://") || raw.starts_with("https://") {
                Ok(raw.trim_end_matches('/').to_owned())
            } else {
                Err(format!("expected an http(s) URL, got `{raw}`"))
            }
        });
        let expiry_windows = self.parse(
            "TRIPAY_CHANNEL_EXPIRY",
            ExpiryWindows::default(),
            ExpiryWindows::parse,
        );
        match (api_key, private_key, merchant_code) {
            (Some(api_key), Some(private_key), Some(merchant_code)) => Some(TripayAccount {
                api_key: Secret(api_key),
                private_key: Secret(private_key),
                merchant_code,
                api_url,
                expiry_windows,
            }),
            (None, None, None) => None,
            _ => {
                self.errors.push(ConfigError {
                    variable: "TRIPAY_API_KEY",
                    message: "set TRIPAY_API_KEY, TRIPAY_PRIVATE_KEY and TRIPAY_MERCHANT_CODE together, or none of them for the sandbox gateway".to_owned(),
                });
                None
            }
        }
    }

    /// The bot's three settings, all or none, and where Telegram's API is.
    fn telegram_account(&mut self) -> Option<TelegramAccount> {
        let token = self.parse("TELEGRAM_BOT_TOKEN", None, |raw| {
            if raw.contains(':') && !raw.chars().any(char::is_whitespace) {
                Ok(Some(raw.to_owned()))
            } else {
                Err("expected the token BotFather gave, such as 123456:ABC-DEF…".to_owned())
            }
        });
        let username = self.parse("TELEGRAM_BOT_USERNAME", None, |raw| {
            let name = raw.trim_start_matches('@');
            if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                Ok(Some(name.to_owned()))
            } else {
                Err(format!(
                    "expected the bot's username such as WebranaBot, got `{raw}`"
                ))
            }
        });
        let secret = self.parse("TELEGRAM_WEBHOOK_SECRET", None, |raw| {
            let allowed = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
            if (1..=256).contains(&raw.len()) && raw.chars().all(allowed) {
                Ok(Some(Secret(raw.to_owned())))
            } else {
                Err("expected 1 to 256 characters of A-Z, a-z, 0-9, _ and -".to_owned())
            }
        });
        let api_url = self.parse(
            "TELEGRAM_API_URL",
            "https://api.telegram.org".to_owned(),
            |raw| {
                if raw.starts_with("http://") || raw.starts_with("https://") {
                    Ok(raw.trim_end_matches('/').to_owned())
                } else {
                    Err(format!("expected an http(s) URL, got `{raw}`"))
                }
            },
        );
        match (token, username, secret) {
            (Some(token), Some(username), Some(webhook_secret)) => Some(TelegramAccount {
                token: Secret(token),
                username,
                webhook_secret,
                api_url,
            }),
            (None, None, None) => None,
            _ => {
                self.errors.push(ConfigError {
                    variable: "TELEGRAM_BOT_TOKEN",
                    message: "set TELEGRAM_BOT_TOKEN, TELEGRAM_BOT_USERNAME and TELEGRAM_WEBHOOK_SECRET together, or none of them".to_owned(),
                });
                None
            }
        }
    }

    /// The seller on the invoices; a real installation names its company, the default names
    /// the product.
    fn seller(&mut self) -> Seller {
        let defaults = Seller::default();
        let text = |raw: &str| Ok(raw.to_owned());
        let legal_name = self.parse("SELLER_LEGAL_NAME", defaults.legal_name, text);
        let address = self.parse("SELLER_ADDRESS", defaults.address, text);
        let npwp = self.parse("SELLER_NPWP", defaults.npwp, |raw| {
            model::inputs::Npwp::parse(raw)
                .map(model::inputs::Npwp::into_string)
                .map_err(|_| {
                    format!(
                        "expected an NPWP of 15 or 16 digits such as 01.234.567.8-901.000, got `{raw}`"
                    )
                })
        });
        Seller {
            legal_name,
            address,
            npwp,
        }
    }

    /// The parsed value of `variable`, or `default` when it is unset or empty. A bad value is
    /// recorded and the default returned, so one pass reports every bad variable.
    fn backup_schedule(&mut self) -> Option<domain::backup::Schedule> {
        let dir = self.parse("BACKUP_DIR", None, |raw| Ok(Some(PathBuf::from(raw))));
        let every = self.parse("BACKUP_EVERY", chrono::Duration::days(1), |raw| {
            let hours = match raw.split_at(raw.len().saturating_sub(1)) {
                (hours, "h") => hours.parse::<i64>().ok(),
                (days, "d") => days.parse::<i64>().ok().map(|days| days * 24),
                _ => None,
            };
            match hours {
                Some(hours @ 1..=720) => Ok(chrono::Duration::hours(hours)),
                _ => Err(format!(
                    "expected hours or days (`6h`, `1d`), from 1 hour to 30 days, got `{raw}`"
                )),
            }
        });
        let keep = self.parse("BACKUP_KEEP", 7, |raw| match raw.parse::<usize>() {
            Ok(keep @ 1..=1000) => Ok(keep),
            _ => Err(format!(
                "expected a number of backups from 1 to 1000, got `{raw}`"
            )),
        });
        dir.map(|dir| domain::backup::Schedule { dir, every, keep })
    }

    fn sentry(&mut self, production: bool) -> Option<crate::error_tracking::SentrySettings> {
        let dsn = self.parse("SENTRY_DSN", None, |raw| {
            raw.parse::<sentry::types::Dsn>().map(Some).map_err(|_| {
                "expected a DSN as Sentry shows it, such as https://KEY@o1.ingest.sentry.io/2"
                    .to_owned()
            })
        });
        let default_environment = if production {
            "production"
        } else {
            "development"
        };
        let name = |raw: &str| {
            if raw.len() <= 64 && !raw.contains(char::is_whitespace) && !raw.contains('/') {
                Ok(raw.to_owned())
            } else {
                Err(format!(
                    "expected a name without spaces or `/`, at most 64 characters, got `{raw}`"
                ))
            }
        };
        let environment = self.parse("SENTRY_ENVIRONMENT", default_environment.to_owned(), name);
        let release = self.parse(
            "SENTRY_RELEASE",
            crate::error_tracking::default_release(),
            |raw| {
                if raw.len() <= 200 && !raw.contains(char::is_whitespace) {
                    Ok(raw.to_owned())
                } else {
                    Err(format!(
                        "expected a release name without spaces, got `{raw}`"
                    ))
                }
            },
        );
        let traces_sample_rate = self.parse("SENTRY_TRACES_SAMPLE_RATE", 0.1, |raw| {
            match raw.parse::<f32>() {
                Ok(rate) if (0.0..=1.0).contains(&rate) => Ok(rate),
                _ => Err(format!(
                    "expected a share from 0 to 1 such as 0.1, got `{raw}`"
                )),
            }
        });
        dsn.map(|dsn| crate::error_tracking::SentrySettings {
            dsn,
            environment,
            release,
            traces_sample_rate,
        })
    }

    fn parse<T>(
        &mut self,
        variable: &'static str,
        default: T,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> T {
        let Some(raw) = (self.lookup)(variable).filter(|raw| !raw.trim().is_empty()) else {
            return default;
        };
        parse(raw.trim()).unwrap_or_else(|message| {
            self.errors.push(ConfigError { variable, message });
            default
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigErrors> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|name| vars.get(name).cloned())
    }

    #[test]
    fn defaults_need_no_variables() {
        let config = config(&[]).unwrap();
        assert_eq!(config.database_url, DEFAULT_DATABASE_URL);
        assert_eq!(config.listen_addr, "127.0.0.1:3000".parse().unwrap());
        assert_eq!(config.log_format, LogFormat::Text);
        assert_eq!(config.database_max_connections, 10);
        assert_eq!(config.shutdown_timeout, Duration::from_secs(30));
        assert_eq!(config.shutdown_drain, Duration::ZERO);
    }

    #[test]
    fn values_are_read_and_trimmed() {
        let config = config(&[
            ("DATABASE_URL", "postgres://postgres@127.0.0.1/test"),
            ("HOST", "0.0.0.0"),
            ("PORT", " 8080 "),
            ("LOG_FORMAT", "json"),
            ("DATABASE_MAX_CONNECTIONS", "25"),
            ("SHUTDOWN_TIMEOUT_SECS", "5"),
            ("SHUTDOWN_DRAIN_SECS", "3"),
        ])
        .unwrap();
        assert_eq!(config.listen_addr, "0.0.0.0:8080".parse().unwrap());
        assert_eq!(config.log_format, LogFormat::Json);
        assert_eq!(config.database_max_connections, 25);
        assert_eq!(config.shutdown_timeout, Duration::from_secs(5));
        assert_eq!(config.shutdown_drain, Duration::from_secs(3));
    }

    #[test]
    fn backups_are_scheduled_only_with_a_folder() {
        assert!(config(&[]).unwrap().backup_schedule.is_none());
        let schedule = config(&[
            ("BACKUP_DIR", "/var/backups/webrana"),
            ("BACKUP_EVERY", "6h"),
        ])
        .unwrap()
        .backup_schedule
        .unwrap();
        assert_eq!(
            (schedule.dir, schedule.every, schedule.keep),
            (
                PathBuf::from("/var/backups/webrana"),
                chrono::Duration::hours(6),
                7
            )
        );
        let daily = config(&[
            ("BACKUP_DIR", "b"),
            ("BACKUP_EVERY", "2d"),
            ("BACKUP_KEEP", "30"),
        ])
        .unwrap()
        .backup_schedule
        .unwrap();
        assert_eq!((daily.every, daily.keep), (chrono::Duration::days(2), 30));
        let errors = config(&[("BACKUP_EVERY", "0h"), ("BACKUP_KEEP", "0")])
            .unwrap_err()
            .to_string();
        assert!(
            errors.contains("BACKUP_EVERY") && errors.contains("BACKUP_KEEP"),
            "{errors}"
        );
        assert!(
            config(&[("BACKUP_EVERY", "31d")]).is_err()
                && config(&[("BACKUP_EVERY", "weekly")]).is_err()
        );
    }

    #[test]
    fn job_concurrency_is_checked_against_its_total() {
        let defaults = config(&[]).unwrap().job_concurrency;
        assert_eq!((defaults.total, defaults.per_kind), (16, 8));
        let small = config(&[("JOB_CONCURRENCY", "2")]).unwrap().job_concurrency;
        assert_eq!(
            (small.total, small.per_kind),
            (2, 2),
            "the default per kind fits the total"
        );
        let errors = config(&[("JOB_CONCURRENCY", "0"), ("JOB_CONCURRENCY_PER_KIND", "x")])
            .unwrap_err()
            .to_string();
        assert!(
            errors.contains("JOB_CONCURRENCY: expected a number of jobs from 1 to 256, got `0`"),
            "{errors}"
        );
        assert!(
            errors.contains(
                "JOB_CONCURRENCY_PER_KIND: expected a number of jobs from 1 to JOB_CONCURRENCY (16)"
            ),
            "{errors}"
        );
        let errors = config(&[("JOB_CONCURRENCY", "8"), ("JOB_CONCURRENCY_PER_KIND", "9")])
            .unwrap_err()
            .to_string();
        assert_eq!(
            errors,
            "JOB_CONCURRENCY_PER_KIND: expected a number of jobs from 1 to JOB_CONCURRENCY (8), got `9`"
        );
    }

    #[test]
    fn public_url_and_secrets_are_checked() {
        let errors =
            config(&[("PUBLIC_URL", "webrana.id/app"), ("JWT_SECRET", "short")]).unwrap_err();
        let text = errors.to_string();
        assert!(text.contains("PUBLIC_URL: expected an origin"), "{text}");
        assert!(
            text.contains("JWT_SECRET: expected a secret of at least 32"),
            "{text}"
        );
        let config = config(&[
            ("PUBLIC_URL", "https://webrana.id/"),
            ("JWT_PREVIOUS_SECRETS", &"x".repeat(32)),
        ])
        .unwrap();
        assert_eq!(config.public_url, "https://webrana.id");
        assert_eq!(config.jwt_previous_secrets.len(), 1);
    }

    #[test]
    fn provider_and_sandbox_settings_are_checked() {
        let errors = config(&[
            ("SANDBOX_PROVIDER", "maybe"),
            ("SANDBOX_CREATE_SECS", "-1"),
            ("DATA_ENCRYPTION_KEY", "c2hvcnQ="),
            ("DIGITALOCEAN_TOKEN", "dop v1"),
            ("DIGITALOCEAN_API_URL", "api.example"),
            ("VULTR_API_URL", "ftp://vultr"),
        ])
        .unwrap_err()
        .to_string();
        for variable in [
            "SANDBOX_PROVIDER: expected `on` or `off`",
            "SANDBOX_CREATE_SECS: expected a number of seconds",
            "DATA_ENCRYPTION_KEY: expected 32 bytes in base64",
            "DIGITALOCEAN_TOKEN: expected the token",
            "VULTR_API_URL: expected an http(s) URL",
            "DIGITALOCEAN_API_URL: expected an http(s) URL",
        ] {
            assert!(
                errors.contains(variable),
                "{variable} missing from:\n{errors}"
            );
        }
        let config = config(&[
            ("SANDBOX_PROVIDER", "off"),
            ("SANDBOX_ACTION_SECS", "0"),
            ("DIGITALOCEAN_TOKEN", "dop_v1_abc"),
            ("DIGITALOCEAN_API_URL", "http://127.0.0.1:9/"),
            ("PAYMENT_GATEWAY", "sandbox"),
        ])
        .unwrap();
        assert!(!config.sandbox_enabled);
        assert_eq!(config.sandbox_timing.action, Duration::ZERO);
        assert_eq!(config.sandbox_vm, SandboxVmMode::Auto);
        assert_eq!(config.sandbox_vm_dir, PathBuf::from("target/sandbox-vm"));
        let account = config.digitalocean.unwrap();
        assert_eq!(account.api_url.as_deref(), Some("http://127.0.0.1:9"));
        assert!(!format!("{account:?}").contains("dop_v1_abc"));
    }

    #[test]
    fn a_real_cloud_never_takes_sandbox_payments_by_default() {
        let cloud = ("VULTR_API_KEY", "vultr-key-123");
        let refused = config(&[cloud]).unwrap_err().to_string();
        assert_eq!(refused.lines().count(), 1, "{refused}");
        assert!(
            refused.starts_with("PAYMENT_GATEWAY: VULTR_API_KEY sells real servers"),
            "{refused}"
        );
        assert!(refused.contains("PAYMENT_GATEWAY=sandbox"), "{refused}");
        assert!(config(&[cloud, ("PAYMENT_GATEWAY", "sandbox")]).is_ok());
        let tripay = [
            ("TRIPAY_API_KEY", "DEV-aaaa-bbbb"),
            ("TRIPAY_PRIVATE_KEY", "priv-cccc"),
            ("TRIPAY_MERCHANT_CODE", "T0001"),
        ];
        let with_tripay: Vec<_> = tripay.iter().copied().chain([cloud]).collect();
        assert!(config(&with_tripay).unwrap().tripay.is_some());
        // Only the sandbox, as on a fresh machine: no question asked.
        assert!(config(&[]).unwrap().tripay.is_none());
        for (vars, expected) in [
            (
                vec![("PAYMENT_GATEWAY", "tripay")],
                "PAYMENT_GATEWAY: `tripay` needs",
            ),
            (
                tripay
                    .iter()
                    .copied()
                    .chain([("PAYMENT_GATEWAY", "sandbox")])
                    .collect(),
                "PAYMENT_GATEWAY: `sandbox` while TRIPAY_* is set",
            ),
            (
                vec![("PAYMENT_GATEWAY", "cash")],
                "PAYMENT_GATEWAY: expected `tripay` or `sandbox`",
            ),
        ] {
            let refused = config(&vars).unwrap_err().to_string();
            assert!(refused.starts_with(expected), "{refused}");
        }
    }

    #[test]
    fn trusted_proxies_are_addresses_and_networks() {
        assert!(config(&[]).unwrap().trusted_proxies.is_empty());
        let proxies = config(&[("TRUSTED_PROXIES", "10.0.0.0/8, 192.0.2.7,::1 ,fd00::/8")])
            .unwrap()
            .trusted_proxies;
        let shown: Vec<String> = proxies.iter().map(ToString::to_string).collect();
        assert_eq!(shown, ["10.0.0.0/8", "192.0.2.7/32", "::1/128", "fd00::/8"]);
        let refused = config(&[("TRUSTED_PROXIES", "10.0.0.0/8,proxy.internal")])
            .unwrap_err()
            .to_string();
        assert!(
            refused.starts_with("TRUSTED_PROXIES: expected"),
            "{refused}"
        );
        assert!(refused.contains("`proxy.internal` is neither"), "{refused}");
    }

    #[test]
    fn a_demo_shop_is_for_development_only() {
        assert!(!config(&[]).unwrap().demo);
        assert!(config(&[("DEMO", "true")]).unwrap().demo);
        let refused = config(&[("DEMO", "yes")]).unwrap_err().to_string();
        assert!(
            refused.contains("DEMO: expected `true` or `false`, got `yes`"),
            "{refused}"
        );
        let refused = config(&[("APP_ENV", "production"), ("DEMO", "true")])
            .unwrap_err()
            .to_string();
        assert!(
            refused.contains("DEMO: a demo shop cannot be opened with APP_ENV=production"),
            "{refused}"
        );
    }

    #[test]
    fn production_names_every_development_default_left_on() {
        let refused = config(&[("APP_ENV", "production")])
            .unwrap_err()
            .to_string();
        let variables: Vec<&str> = refused
            .lines()
            .map(|line| line.split(':').next().unwrap())
            .collect();
        assert_eq!(
            variables,
            [
                "DATA_ENCRYPTION_KEY",
                "JWT_SECRET",
                "PUBLIC_URL",
                "SMTP_URL"
            ],
            "{refused}"
        );
        assert!(
            refused
                .lines()
                .all(|line| line.contains("required with APP_ENV=production"))
        );
        let ready = config(&[
            ("APP_ENV", "production"),
            (
                "DATA_ENCRYPTION_KEY",
                "MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE=",
            ),
            ("JWT_SECRET", "a-long-random-secret-of-forty-characters"),
            ("PUBLIC_URL", "https://webrana.id"),
            ("SMTP_URL", "smtps://mail:pass@smtp.example:465"),
        ]);
        assert!(ready.is_ok(), "{:?}", ready.err().map(|e| e.to_string()));
        let typo = config(&[("APP_ENV", "prod")]).unwrap_err().to_string();
        assert!(
            typo.starts_with("APP_ENV: expected `development`"),
            "{typo}"
        );
    }

    #[test]
    fn sandbox_vm_settings_are_checked_and_on_insists() {
        let errors = config(&[("SANDBOX_VM", "yes")]).unwrap_err().to_string();
        assert_eq!(
            errors,
            "SANDBOX_VM: expected `auto`, `on` or `off`, got `yes`"
        );
        let missing = [("SANDBOX_VM_DIR", "/nonexistent/sandbox-vm")];
        let off = config(&[missing[0], ("SANDBOX_VM", "off")]).unwrap();
        assert_eq!(off.sandbox_vm, SandboxVmMode::Off);
        assert!(off.sandbox_screens().unwrap().vm_guest().is_none());
        // auto falls back to the built-in screen when the guest is not there…
        let auto = config(&missing).unwrap();
        assert!(auto.sandbox_screens().unwrap().vm_guest().is_none());
        // …on refuses to start, saying what is missing and how to install it.
        let on = config(&[missing[0], ("SANDBOX_VM", "on")]).unwrap();
        assert_eq!(on.sandbox_vm_dir, PathBuf::from("/nonexistent/sandbox-vm"));
        let refused = on.sandbox_screens().unwrap_err().to_string();
        assert!(refused.starts_with("SANDBOX_VM=on, but"), "{refused}");
        assert!(
            refused.contains("/nonexistent/sandbox-vm/vmlinuz is missing"),
            "{refused}"
        );
        assert!(refused.contains("scripts/sandbox-vm/build"), "{refused}");
    }

    #[test]
    fn every_bad_value_gets_its_own_line() {
        let errors = config(&[
            ("DATABASE_URL", "mysql://root@localhost/db"),
            ("PORT", "70000"),
            ("HOST", "localhost:1"),
            ("LOG_FORMAT", "xml"),
            ("DATABASE_MAX_CONNECTIONS", "0"),
            ("SHUTDOWN_DRAIN_SECS", "-1"),
            ("SHUTDOWN_TIMEOUT_SECS", "soon"),
        ])
        .unwrap_err();
        let text = errors.to_string();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 7, "{text}");
        assert!(
            lines[0].starts_with("DATABASE_URL: expected sqlite://"),
            "{text}"
        );
        assert!(lines[0].contains("mysql://root@localhost/db"), "{text}");
        for (line, variable) in lines.iter().zip([
            "DATABASE_URL",
            "DATABASE_MAX_CONNECTIONS",
            "HOST",
            "PORT",
            "LOG_FORMAT",
            "SHUTDOWN_DRAIN_SECS",
            "SHUTDOWN_TIMEOUT_SECS",
        ]) {
            assert!(line.starts_with(&format!("{variable}: expected")), "{line}");
        }
    }

    #[test]
    fn a_bad_database_url_is_shown_without_its_password() {
        for url in [
            "mysql://root:hunter2-secret@localhost/db",
            "postgress://app:hunter2-secret@db.internal:5432/webrana",
            "mysql://db.internal/webrana?user=app&password=hunter2-secret",
        ] {
            let text = config(&[("DATABASE_URL", url)]).unwrap_err().to_string();
            assert!(text.starts_with("DATABASE_URL: expected"), "{text}");
            assert!(!text.contains("hunter2"), "{text}");
            assert!(text.contains("***"), "{text}");
        }
    }

    #[test]
    fn billing_settings_are_read_and_checked() {
        let defaults = config(&[]).unwrap();
        assert_eq!(
            (defaults.tax_rate_bp, defaults.invoice_lifetime_hours),
            (1_100, 24)
        );
        assert!(
            defaults.tripay.is_none(),
            "no TRIPAY_* is the sandbox gateway"
        );
        let set = config(&[
            ("TAX_RATE_PERCENT", "11.5"),
            ("INVOICE_LIFETIME_HOURS", "48"),
            ("TRIPAY_API_KEY", "DEV-key"),
            ("TRIPAY_PRIVATE_KEY", "aaaa-bbbb"),
            ("TRIPAY_MERCHANT_CODE", "T12345"),
            ("TRIPAY_MODE", "production"),
            ("TRIPAY_CHANNEL_EXPIRY", "BRIVA=15-43200"),
        ])
        .unwrap();
        assert_eq!((set.tax_rate_bp, set.invoice_lifetime_hours), (1_150, 48));
        let tripay = set.tripay.unwrap();
        assert_eq!(
            tripay.expiry_windows.window("BRIVA"),
            domain::billing::channels::ExpiryWindow::minutes(15, 43_200)
        );
        assert_eq!(
            (tripay.merchant_code.as_str(), tripay.api_url.as_str()),
            ("T12345", PRODUCTION_BASE_URL)
        );
        assert!(!format!("{tripay:?}").contains("aaaa-bbbb"));

        let errors = config(&[
            ("TAX_RATE_PERCENT", "11,5"),
            ("INVOICE_LIFETIME_HOURS", "0"),
            ("TRIPAY_API_KEY", "DEV-key"),
            ("TRIPAY_MODE", "live"),
            ("TRIPAY_CHANNEL_EXPIRY", "BRIVA=60-15"),
        ])
        .unwrap_err()
        .to_string();
        for variable in [
            "TAX_RATE_PERCENT",
            "INVOICE_LIFETIME_HOURS",
            "TRIPAY_MODE",
            "TRIPAY_CHANNEL_EXPIRY: `BRIVA=60-15`: the shortest life",
            "TRIPAY_API_KEY: set TRIPAY_API_KEY, TRIPAY_PRIVATE_KEY and TRIPAY_MERCHANT_CODE together",
        ] {
            assert!(errors.contains(variable), "{variable} in {errors}");
        }
        let seller = config(&[
            ("SELLER_LEGAL_NAME", "PT Webrana Awan Nusantara"),
            ("SELLER_ADDRESS", "Jl. Sudirman 1, Jakarta"),
            ("SELLER_NPWP", "01.234.567.8-901.000"),
            ("RENEWAL_LEAD_DAYS", "10"),
            ("RENEWAL_GRACE_DAYS", "5"),
            ("TERMINATE_AFTER_DAYS", "30"),
        ])
        .unwrap();
        assert_eq!(seller.seller.npwp, "01.234.567.8-901.000");
        assert_eq!(
            (seller.renewal_grace_days, seller.terminate_after_days),
            (5, 30)
        );
        let domain = seller.billing();
        assert_eq!(domain.seller.legal_name, "PT Webrana Awan Nusantara");
        assert_eq!(domain.termination_after, chrono::Duration::days(30));
        assert_eq!(domain.renewal_lead, chrono::Duration::days(10));
        let errors = config(&[
            ("SELLER_NPWP", "0123"),
            ("REDIS_URL", "localhost:6379"),
            ("TELEGRAM_BOT_TOKEN", "123456:abc"),
            ("RENEWAL_GRACE_DAYS", "31"),
            ("RENEWAL_LEAD_DAYS", "0"),
            ("TERMINATE_AFTER_DAYS", "0"),
        ])
        .unwrap_err()
        .to_string();
        for variable in [
            "SELLER_NPWP",
            "REDIS_URL",
            "TELEGRAM_BOT_TOKEN: set TELEGRAM_BOT_TOKEN, TELEGRAM_BOT_USERNAME and TELEGRAM_WEBHOOK_SECRET together",
            "RENEWAL_LEAD_DAYS",
            "RENEWAL_GRACE_DAYS",
            "TERMINATE_AFTER_DAYS",
        ] {
            assert!(errors.contains(variable), "{variable} in {errors}");
        }
        assert_eq!(parse_percent_bp("0"), Ok(0));
        assert_eq!(parse_percent_bp("100"), Ok(10_000));
        assert!(
            parse_percent_bp("100.01").is_err()
                && parse_percent_bp("1.234").is_err()
                && parse_percent_bp("-1").is_err()
        );
    }
}
