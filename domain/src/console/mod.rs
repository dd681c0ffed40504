//! The browser console of a server: one-time tickets that open it and the sessions it runs.
//!
//! A page asks for a ticket ([`Consoles::open`]); the browser presents it once, within
//! [`TICKET_LIFETIME`], from the same IP and session, when it opens the console WebSocket, and the proxy
//! trades it for the server's VNC endpoint ([`Consoles::redeem`]). The VNC password stays on
//! our side. Every connection is a session row and two audit entries (opened, closed).

/// The sandbox's screens and VMs live in [`crate::sandbox`]; these are the paths their callers
/// have always used.
pub use crate::sandbox::screen as sandbox_screen;
pub use crate::sandbox::vm as sandbox_vm;

use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};

use crate::audit::{self, AuditEvent};
use crate::caller::Caller;
use crate::db::Tx;
use crate::error::{Code, ErrorCode};
use crate::instances::{Instance, InstanceError, Instances};
use crate::providers::{ConsoleAccess, ConsoleKind, Lifecycle, ProviderError};
use crate::secrets::{random_token, token_hash};
use crate::{Db, DbError, db_run, tx_run};

/// How long a ticket may wait to be used: long enough for a page to connect, too short to be
/// worth stealing from a log.
pub const TICKET_LIFETIME: Duration = Duration::seconds(60);
/// Consoles one user may have open at once, across every server and browser tab.
pub const SESSIONS_PER_USER: i64 = 3;
/// How often a running session says it is alive; one silent for [`SESSION_STALE_AFTER`] (its
/// process died) no longer counts against the cap.
pub const SESSION_HEARTBEAT: StdDuration = StdDuration::from_secs(30);
pub const SESSION_STALE_AFTER: Duration = Duration::minutes(2);

#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    #[error("no such server")]
    NotFound,
    #[error("the server is not running; start it to use its console")]
    NotRunning,
    #[error("this server's provider offers no console")]
    Unavailable,
    #[error("the console ticket is unknown, used, expired or not yours")]
    TicketRefused,
    #[error("at most {SESSIONS_PER_USER} consoles may be open at once; close one first")]
    TooManySessions,
    #[error("the server's screen cannot be reached: {0}")]
    Provider(#[from] ProviderError),
    #[error("no randomness available")]
    Randomness,
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<sqlx::Error> for ConsoleError {
    fn from(error: sqlx::Error) -> Self {
        Self::Db(DbError::Query(error))
    }
}

impl From<InstanceError> for ConsoleError {
    fn from(error: InstanceError) -> Self {
        match error {
            InstanceError::Db(error) => Self::Db(error),
            InstanceError::ProviderUnavailable(_) => Self::Unavailable,
            _ => Self::NotFound,
        }
    }
}

impl ErrorCode for ConsoleError {
    fn code(&self) -> Code {
        match self {
            Self::NotFound => Code::NotFound,
            Self::NotRunning => Code::ConsoleNotRunning,
            Self::Unavailable => Code::ConsoleUnavailable,
            Self::TicketRefused => Code::ConsoleTicketRefused,
            Self::TooManySessions => Code::ConsoleSessionsExhausted,
            Self::Provider(_) => Code::ConsoleUnreachable,
            Self::Randomness => Code::Internal,
            Self::Db(error) => error.code(),
        }
    }
}

/// What the page does to show a server's screen.
#[derive(Clone, PartialEq, Eq)]
pub enum Opening {
    /// Connect to our proxy with this one-time ticket.
    Ticket {
        ticket: String,
        expires_at: DateTime<Utc>,
    },
    /// Open the provider's own console; the link is a secret, so it is neither stored nor logged.
    ProviderUrl { url: String },
}

impl std::fmt::Debug for Opening {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Ticket { expires_at, .. } => write!(f, "Ticket(until {expires_at})"),
            Self::ProviderUrl { .. } => f.write_str("ProviderUrl(…)"),
        }
    }
}

/// A VNC server to relay to. Debug leaves the password out.
#[derive(Clone, PartialEq, Eq)]
pub struct VncTarget {
    pub host: String,
    pub port: u16,
    pub password: Option<String>,
}

impl std::fmt::Debug for VncTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "VncTarget({}:{})", self.host, self.port)
    }
}

/// A console connection that has been let through.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsoleSession {
    pub id: i64,
    pub user_id: i64,
    pub instance_id: i64,
    pub target: VncTarget,
}

/// What a session moved, reported as it runs and when it ends.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Traffic {
    pub to_client: u64,
    pub to_server: u64,
}

/// One row of a server's console history.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, sqlx::FromRow)]
pub struct SessionRecord {
    pub id: i64,
    pub user_id: i64,
    pub instance_id: i64,
    pub client_ip: String,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    pub end_reason: Option<String>,
    pub bytes_to_client: i64,
    pub bytes_to_server: i64,
}

#[derive(Clone, Debug)]
pub struct Consoles {
    db: Db,
    instances: Instances,
}

impl Consoles {
    pub fn new(db: Db, instances: Instances) -> Self {
        Self { db, instances }
    }

    /// How the caller (the server's owner or an admin) reaches the screen of a running server.
    pub async fn open(
        &self,
        caller: &Caller,
        instance_id: i64,
        client_ip: &str,
    ) -> Result<Opening, ConsoleError> {
        let (instance, provider_id) = self.running(caller, instance_id).await?;
        let provider = self.instances.provider(&instance.provider)?;
        match provider.capabilities().console {
            ConsoleKind::None => Err(ConsoleError::Unavailable),
            ConsoleKind::ProviderUrl => match provider.console(&provider_id).await? {
                ConsoleAccess::Url { url } => {
                    let mut tx = self.db.begin().await?;
                    audit::record(
                        &mut tx,
                        AuditEvent {
                            action: "console.link",
                            actor_user_id: Some(caller.user_id),
                            subject_user_id: Some(instance.user_id),
                            ip: Some(client_ip),
                            detail: Some(format!(
                                "server {} ({}): the provider's console link",
                                instance.id, instance.hostname
                            )),
                            ..AuditEvent::default()
                        },
                    )
                    .await?;
                    tx.commit().await?;
                    Ok(Opening::ProviderUrl { url })
                }
                _ => Err(ConsoleError::Unavailable),
            },
            ConsoleKind::VncProxy => {
                self.check_cap(caller.user_id).await?;
                let ticket = random_token().map_err(|_| ConsoleError::Randomness)?;
                let expires_at = Utc::now() + TICKET_LIFETIME;
                db_run!(&self.db, |pool| {
                    sqlx::query(
                        "INSERT INTO console_tickets (token_hash, user_id, instance_id, client_ip, expires_at) \
                         VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(token_hash(&ticket))
                    .bind(caller.user_id)
                    .bind(instance.id)
                    .bind(client_ip)
                    .bind(expires_at)
                    .execute(pool)
                    .await
                    .map(|_| ())
                })?;
                Ok(Opening::Ticket { ticket, expires_at })
            }
        }
    }

    /// Uses up a ticket and, if it was good (unused, unexpired, for this server, presented by
    /// the user it was issued to from the IP it was issued to), starts a session: the endpoint
    /// to relay to, with its password.
    pub async fn redeem(
        &self,
        caller: &Caller,
        ticket: &str,
        instance_id: i64,
        client_ip: &str,
    ) -> Result<ConsoleSession, ConsoleError> {
        let now = Utc::now();
        // Used up whatever happens next: a ticket presented from the wrong place is burnt.
        let Some((user_id, ticket_instance, ticket_ip)) = self.claim(ticket, now).await? else {
            return Err(ConsoleError::TicketRefused);
        };
        if user_id != caller.user_id || ticket_instance != instance_id || ticket_ip != client_ip {
            tracing::warn!(
                ticket_user = user_id,
                presented_by = caller.user_id,
                instance_id,
                client_ip,
                "console ticket presented by someone else, for another server or from another address"
            );
            return Err(ConsoleError::TicketRefused);
        }
        let (instance, provider_id) = self.running(caller, instance_id).await?;
        let provider = self.instances.provider(&instance.provider)?;
        let target = match provider.console(&provider_id).await? {
            ConsoleAccess::Vnc {
                host,
                port,
                password,
            } => VncTarget {
                host,
                port,
                password,
            },
            _ => return Err(ConsoleError::Unavailable),
        };
        let mut tx = self.db.begin().await?;
        // Tickets redeemed at the same moment are counted one after another: the user's row is
        // locked until this session is in (SQLite's write lock does the same).
        tx_run!(&mut tx, |conn| {
            sqlx::query("UPDATE users SET updated_at = updated_at WHERE id = $1")
                .bind(user_id)
                .execute(conn)
                .await
                .map(|_| ())
        })?;
        if open_sessions(&mut tx, user_id).await? >= SESSIONS_PER_USER {
            return Err(ConsoleError::TooManySessions);
        }
        let id: i64 = tx_run!(&mut tx, |conn| {
            sqlx::query_scalar(
                "INSERT INTO console_sessions (user_id, instance_id, client_ip, started_at, last_seen_at) \
                 VALUES ($1, $2, $3, $4, $4) RETURNING id",
            )
            .bind(user_id)
            .bind(instance_id)
            .bind(client_ip)
            .bind(now)
            .fetch_one(conn)
            .await
        })?;
        audit::record(
            &mut tx,
            AuditEvent {
                action: "console.opened",
                actor_user_id: Some(user_id),
                subject_user_id: Some(instance.user_id),
                ip: Some(client_ip),
                detail: Some(format!(
                    "session {id}: server {} ({})",
                    instance.id, instance.hostname
                )),
                ..AuditEvent::default()
            },
        )
        .await?;
        tx.commit().await?;
        Ok(ConsoleSession {
            id,
            user_id,
            instance_id,
            target,
        })
    }

    /// Uses up a ticket without opening anything: one presented without a session has reached
    /// someone it was not given to.
    pub async fn spend(&self, ticket: &str) -> Result<(), ConsoleError> {
        self.claim(ticket, Utc::now()).await.map(|_| ())
    }

    /// Marks an unused, unexpired ticket used: who it was issued to, for which server, from
    /// which address.
    async fn claim(
        &self,
        ticket: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<(i64, i64, String)>, ConsoleError> {
        Ok(db_run!(&self.db, |pool| {
            sqlx::query_as(
                "UPDATE console_tickets SET used_at = $1 WHERE token_hash = $2 \
                 AND used_at IS NULL AND expires_at > $1 \
                 RETURNING user_id, instance_id, client_ip",
            )
            .bind(now)
            .bind(token_hash(ticket))
            .fetch_optional(pool)
            .await
        })?)
    }

    /// Records that a session is still running and what it has moved so far.
    pub async fn heartbeat(&self, session_id: i64, traffic: Traffic) -> Result<(), ConsoleError> {
        db_run!(&self.db, |pool| {
            sqlx::query(
                "UPDATE console_sessions SET last_seen_at = $1, bytes_to_client = $2, \
                 bytes_to_server = $3 WHERE id = $4 AND ended_at IS NULL",
            )
            .bind(Utc::now())
            .bind(stored(traffic.to_client))
            .bind(stored(traffic.to_server))
            .bind(session_id)
            .execute(pool)
            .await
            .map(|_| ())
        })?;
        Ok(())
    }

    /// Ends a session (once; a second call changes nothing) and logs what it did.
    pub async fn close(
        &self,
        session_id: i64,
        traffic: Traffic,
        reason: &str,
    ) -> Result<(), ConsoleError> {
        let now = Utc::now();
        let mut tx = self.db.begin().await?;
        let ended: Option<(i64, i64, String, DateTime<Utc>)> = tx_run!(&mut tx, |conn| {
            sqlx::query_as(
                "UPDATE console_sessions SET ended_at = $1, end_reason = $2, last_seen_at = $1, \
                 bytes_to_client = $3, bytes_to_server = $4 WHERE id = $5 AND ended_at IS NULL \
                 RETURNING user_id, instance_id, client_ip, started_at",
            )
            .bind(now)
            .bind(reason)
            .bind(stored(traffic.to_client))
            .bind(stored(traffic.to_server))
            .bind(session_id)
            .fetch_optional(conn)
            .await
        })?;
        let Some((user_id, instance_id, client_ip, started_at)) = ended else {
            return Ok(());
        };
        audit::record(
            &mut tx,
            AuditEvent {
                action: "console.closed",
                actor_user_id: Some(user_id),
                ip: Some(&client_ip),
                detail: Some(format!(
                    "session {session_id}: server {instance_id}, {} s, {} bytes to the browser, \
                     {} bytes to the server, {reason}",
                    (now - started_at).num_seconds(),
                    traffic.to_client,
                    traffic.to_server
                )),
                ..AuditEvent::default()
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The console sessions of a server, newest first, for its owner and admins.
    pub async fn sessions(
        &self,
        caller: &Caller,
        instance_id: i64,
        limit: i64,
    ) -> Result<Vec<SessionRecord>, ConsoleError> {
        self.instances.visible(caller, instance_id).await?;
        Ok(db_run!(&self.db, |pool| {
            sqlx::query_as::<_, SessionRecord>(
                "SELECT id, user_id, instance_id, client_ip, started_at, ended_at, end_reason, \
                 bytes_to_client, bytes_to_server FROM console_sessions WHERE instance_id = $1 \
                 ORDER BY id DESC LIMIT $2",
            )
            .bind(instance_id)
            .bind(limit)
            .fetch_all(pool)
            .await
        })?)
    }

    /// The caller's view of a server whose screen can be reached now (running, not
    /// suspended), with its id at the provider.
    async fn running(
        &self,
        caller: &Caller,
        instance_id: i64,
    ) -> Result<(Instance, String), ConsoleError> {
        let instance = self.instances.visible(caller, instance_id).await?;
        if instance.lifecycle() != Lifecycle::Running || instance.suspended_at.is_some() {
            return Err(ConsoleError::NotRunning);
        }
        let provider_id = instance
            .provider_instance_id
            .clone()
            .ok_or(ConsoleError::NotRunning)?;
        Ok((instance, provider_id))
    }

    /// Refuses a ticket to a user already at the cap (the cap is enforced again, atomically,
    /// when a ticket is redeemed).
    async fn check_cap(&self, user_id: i64) -> Result<(), ConsoleError> {
        let mut tx = self.db.begin_read().await?;
        let open = open_sessions(&mut tx, user_id).await?;
        tx.commit().await?;
        if open >= SESSIONS_PER_USER {
            Err(ConsoleError::TooManySessions)
        } else {
            Ok(())
        }
    }
}

/// The user's sessions that are open and alive.
async fn open_sessions(tx: &mut Tx, user_id: i64) -> Result<i64, DbError> {
    Ok(tx_run!(tx, |conn| {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM console_sessions WHERE user_id = $1 AND ended_at IS NULL \
             AND last_seen_at > $2",
        )
        .bind(user_id)
        .bind(Utc::now() - SESSION_STALE_AFTER)
        .fetch_one(conn)
        .await
    })?)
}

/// A byte count as the database keeps it (BIGINT).
fn stored(bytes: u64) -> i64 {
    i64::try_from(bytes).unwrap_or(i64::MAX)
}
