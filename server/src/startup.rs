//! Turning a [`Config`] into a running server, and stopping it gracefully.

use std::future::{Future, IntoFuture};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use domain::mail::delivery::{self, MailError, SmtpMailer};
use domain::{AppState, Db, DbError};
use leptos::config::get_configuration;
use tokio::net::TcpListener;
use tokio::sync::Notify;

use crate::config::Config;
use crate::router::{ServerState, WebSettings, router};

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
    #[error("LEPTOS_*: {0}")]
    Leptos(String),
    #[error("{0}")]
    Mail(#[from] MailError),
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
    /// Delivers the e-mail outbox when SMTP is configured.
    mailer: Option<SmtpMailer>,
}

impl Application {
    pub async fn build(config: &Config) -> Result<Self, StartupError> {
        let mailer = match &config.smtp_url {
            Some(url) => Some(SmtpMailer::new(url.expose(), &config.mail_from)?),
            None => None,
        };
        let db = open_database(config).await?;
        let app = AppState::new(db.clone(), &config.domain()).await?;
        let mut leptos_options = get_configuration(None)
            .map_err(|error| StartupError::Leptos(error.to_string()))?
            .leptos_options;
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
        };
        let router = router(ServerState {
            leptos_options,
            app,
            web,
        });
        Ok(Self {
            listener,
            router,
            db,
            shutdown_timeout: config.shutdown_timeout,
            mailer,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        // The listener was bound in `build`, where reading its address already succeeded.
        self.listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)))
    }

    /// Serves until `shutdown` completes, then finishes in-flight requests and closes the pool.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        tracing::info!(addr = %self.local_addr(), "listening");
        let (stop_worker, mut worker_stopped) = tokio::sync::watch::channel(());
        let worker = match self.mailer {
            Some(mailer) => {
                tracing::info!("delivering e-mail over SMTP");
                let stop = async move {
                    let _ = worker_stopped.changed().await;
                };
                Some(tokio::spawn(delivery::run(self.db.clone(), mailer, stop)))
            }
            None => {
                tracing::info!(
                    "no SMTP_URL: e-mails stay in the dev outbox (admin → E-mail outbox)"
                );
                None
            }
        };
        let result = serve(self.listener, self.router, shutdown, self.shutdown_timeout).await;
        drop(stop_worker);
        if let Some(worker) = worker
            && let Err(error) = worker.await
        {
            tracing::error!(%error, "the e-mail worker stopped abnormally");
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
