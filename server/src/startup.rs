//! Turning a [`Config`] into a running server, and stopping it gracefully.

use std::future::{Future, IntoFuture};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use chrono::Utc;
use domain::jobs::{self, Registry};
use domain::mail::delivery::{self, Delivery, MailError, SmtpMailer};
use domain::rate_limit::SharedTally;
use domain::{AppState, Db, DbError};
use domain::{catalog, instances};
use leptos::config::get_configuration;
use tokio::net::TcpListener;
use tokio::sync::Notify;

use crate::config::Config;
use crate::router::router;
use crate::state::{Lifecycle, ServerState, WebSettings};

/// Why the server could not start; each names the variable to fix, in one line.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("DATABASE_URL: {0}")]
    Database(#[from] DbError),
    #[error("PORT: cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("METRICS_ADDR: cannot listen on {addr}: {source}")]
    MetricsBind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("LEPTOS_*: {0}")]
    Leptos(String),
    #[error("{0}")]
    Mail(#[from] MailError),
    #[error("{0}")]
    State(#[from] domain::StateError),
    #[error("{0}")]
    Setup(#[from] crate::config::SetupError),
    #[error("{0}")]
    Relay(#[from] crate::relay::RelayError),
    #[error("DEMO: {0}")]
    Demo(#[from] domain::demo::DemoError),
}

/// Tells the operator, in the terminal only, how to get into the demo shop: the password is in
/// no log file and no database.
fn announce_demo(shop: &domain::demo::DemoShop, public_url: &str) {
    println!(
        "\n  Demo shop opened on this new database, with the sandbox cloud and plans on sale: {}.\n  \
         Log in at {public_url}/login as {} with the one-time password {}\n  \
         (change it on the account page; it is not shown again).\n",
        shop.plans.join(", "),
        shop.admin_email,
        shop.password
    );
}

/// Opens the database (creating a SQLite file on first run) and applies pending migrations.
pub async fn open_database(config: &Config) -> Result<Db, DbError> {
    let db = Db::connect(&config.database_url, config.database_max_connections).await?;
    db.migrate().await?;
    Ok(db)
}

/// A server bound to its port, with a migrated database, ready to run.
pub struct Application {
    listener: TcpListener,
    router: Router,
    db: Db,
    shutdown_timeout: Duration,
    shutdown_drain: Duration,
    lifecycle: Lifecycle,
    /// What the durable job worker does for each job kind.
    jobs: Registry,
    job_concurrency: jobs::Concurrency,
}

impl Application {
    pub async fn build(config: &Config) -> Result<Self, StartupError> {
        let delivery = match &config.smtp_url {
            Some(url) => {
                tracing::info!("delivering e-mail over SMTP");
                Delivery::Smtp(SmtpMailer::new(url.expose(), &config.mail_from)?)
            }
            None => {
                tracing::info!(
                    "no SMTP_URL: e-mails stay in the dev outbox (Admin → E-mail outbox)"
                );
                Delivery::DevOutbox
            }
        };
        let db = open_database(config).await?;
        let mut domain_config = config.domain(&db)?;
        if let Some(url) = &config.redis_url {
            // Attempt limits count across every node that shares this Redis.
            let tally = SharedTally::connect(url, "webrana")
                .await
                .map_err(crate::relay::RelayError::from)?;
            domain_config.shared_limits = Some(tally);
        }
        let app = AppState::new(db.clone(), &domain_config).await?;
        if config.demo
            && let Some(shop) = domain::demo::open_if_new(&app).await?
        {
            announce_demo(&shop, &config.public_url);
        }
        let jobs = delivery::register(Registry::default(), db.clone(), delivery);
        let jobs = catalog::register(jobs, app.catalog.clone());
        let jobs = instances::worker::register(jobs, app.instances.clone());
        let jobs =
            domain::orders::worker::register(jobs, app.orders.clone(), app.instances.clone());
        let jobs = domain::billing::worker::register(jobs, app.billing.clone());
        let jobs = domain::notifications::worker::register(jobs, app.notifications.clone());
        let jobs = match &config.backup_schedule {
            Some(schedule) => domain::backup::register(
                jobs,
                db.clone(),
                config.database_url.clone(),
                schedule.clone(),
            ),
            None => jobs,
        };
        // The recurring jobs: the catalog from every provider, every server's state, renewal
        // invoices, suspension and termination of services left unpaid, and payments whose
        // callback was lost.
        if let Some(url) = &config.redis_url {
            crate::relay::start(url, db.feed()).await?;
        }
        catalog::schedule_sync(&db, Utc::now()).await?;
        jobs::ensure_scheduled(&db, instances::STATUS_SYNC_JOB, Utc::now()).await?;
        jobs::ensure_scheduled(&db, domain::orders::renewals::RENEWAL_JOB, Utc::now()).await?;
        jobs::ensure_scheduled(&db, domain::orders::due_dates::DUE_DATES_JOB, Utc::now()).await?;
        jobs::ensure_scheduled(
            &db,
            domain::billing::worker::PAYMENT_RECONCILE_JOB,
            Utc::now(),
        )
        .await?;
        if config.backup_schedule.is_some() {
            jobs::ensure_scheduled(&db, domain::backup::SCHEDULED_BACKUP_JOB, Utc::now()).await?;
        }
        if config.data_encryption_key.is_none() {
            tracing::warn!(
                "no DATA_ENCRYPTION_KEY: root passwords and two-factor secrets are encrypted with a key kept in the database; set one in production"
            );
        }
        let mut leptos_options = get_configuration(None)
            .map_err(|error| StartupError::Leptos(error.to_string()))?
            .leptos_options;
        if let Some(addr) = config.metrics_addr {
            let listener = TcpListener::bind(addr)
                .await
                .map_err(|source| StartupError::MetricsBind { addr, source })?;
            crate::metrics::serve(listener, app.clone());
        }
        let listener = TcpListener::bind(config.listen_addr)
            .await
            .map_err(|source| StartupError::Bind {
                addr: config.listen_addr,
                source,
            })?;
        leptos_options.site_addr = listener.local_addr().map_err(|source| StartupError::Bind {
            addr: config.listen_addr,
            source,
        })?;
        tracing::info!(
            backend = %db.backend(),
            installation_id = %app.installation_id,
            "database ready"
        );
        let web = WebSettings {
            public_url: config.public_url.clone(),
            secure_cookies: config.secure_cookies(),
            console_idle: config.console_idle,
            session_recheck: crate::state::SESSION_RECHECK,
            trusted_proxies: config.trusted_proxies.clone(),
            support_email: config.support_email.clone(),
        };
        let lifecycle = Lifecycle::default();
        let router = router(ServerState {
            leptos_options,
            app,
            web,
            lifecycle: lifecycle.clone(),
        });
        Ok(Self {
            listener,
            router,
            db,
            shutdown_timeout: config.shutdown_timeout,
            shutdown_drain: config.shutdown_drain,
            lifecycle,
            jobs,
            job_concurrency: config.job_concurrency,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        // The listener was bound in `build`, where reading its address already succeeded.
        self.listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)))
    }

    /// Serves until `shutdown` completes, then drains (see [`Lifecycle`]) for the configured
    /// time, finishes in-flight requests and closes the pool.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        tracing::info!(addr = %self.local_addr(), "listening");
        let (stop_worker, mut worker_stopped) = tokio::sync::watch::channel(());
        let worker_name = format!("{}-{}", std::process::id(), uuid_suffix());
        let settings = jobs::WorkerSettings {
            name: worker_name,
            concurrency: self.job_concurrency,
            idle: Duration::from_secs(1),
            lease: chrono::Duration::minutes(5),
        };
        let worker = tokio::spawn(jobs::run(
            self.db.clone(),
            self.jobs,
            settings,
            async move {
                let _ = worker_stopped.changed().await;
            },
        ));
        let (lifecycle, drain) = (self.lifecycle, self.shutdown_drain);
        let shutdown = async move {
            shutdown.await;
            if !drain.is_zero() {
                lifecycle.begin_draining();
                tracing::info!(
                    drain_secs = drain.as_secs(),
                    "stopping: not ready any more, still serving while balancers move away"
                );
                tokio::time::sleep(drain).await;
            }
        };
        let result = serve(self.listener, self.router, shutdown, self.shutdown_timeout).await;
        // The job in hand finishes; anything else waits in the database for the next start.
        drop(stop_worker);
        if let Err(error) = worker.await {
            tracing::error!(%error, "the job worker stopped abnormally");
        }
        self.db.close().await;
        result
    }
}

/// Serves `router` until `shutdown` completes, then lets in-flight requests finish for at most
/// `grace` before giving up on them.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
    grace: Duration,
) -> std::io::Result<()> {
    let stopping = Arc::new(Notify::new());
    let server = axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown({
        let stopping = stopping.clone();
        async move {
            shutdown.await;
            tracing::info!("stopping: finishing in-flight requests");
            stopping.notify_one();
        }
    });
    tokio::select! {
        result = server.into_future() => result,
        () = async {
            stopping.notified().await;
            tokio::time::sleep(grace).await;
        } => {
            tracing::warn!(grace_secs = grace.as_secs(), "requests still running after the grace period; stopping anyway");
            Ok(())
        }
    }
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let interrupt = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
}

/// Tells apart workers of processes that share a PID across hosts.
fn uuid_suffix() -> String {
    domain::secrets::random_token()
        .map(|token| token[..8].to_owned())
        .unwrap_or_default()
}
