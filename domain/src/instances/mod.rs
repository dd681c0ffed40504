//! Customers' servers: creating one on its provider, the actions its owner runs on it, and the
//! history of both. Every step that talks to a provider is a durable job (see [`worker`]), so a
//! request only records what was asked and answers at once; the page then follows the job.
//!
//! Ownership is checked in the queries themselves: an instance id that is not the caller's is
//! answered exactly like one that does not exist.
//!
//! A server's status changes only through [`transition`], which checks the move against
//! [`InstanceStatus::can_become`] and writes the line in the server's history (`instance_events`)
//! that says why: the history customers read on the server page is the one place a person
//! looks when asking what happened to their server.

pub mod resize;
pub mod suspension;
mod work_error;
pub mod worker;

pub use self::work_error::WorkError;

use chrono::{DateTime, Utc};
use serde::Deserialize;

use model::accounts::Role;

use crate::audit::{self, AuditEvent};
use crate::caller::{Caller, NotAdmin};
use crate::catalog::{Catalog, CatalogError};
use crate::db::Tx;
use crate::error::{Code, ErrorCode};
use crate::providers::{
    ActionKind, Capabilities, CloudProvider, Lifecycle, Providers, SshPublicKey,
};
use crate::secrets::{SealedFor, SecretBox, SecretError, generate_password};
use crate::ssh_keys::{self, SshKeyError};
use crate::transitions::{Move, compare_and_set};
use crate::{Db, DbError, db_run, jobs, tx_run};
pub use model::status::InstanceStatus;

pub const PROVISION_JOB: &str = "instance_provision";
pub const ACTION_JOB: &str = "instance_action";
pub const STATUS_SYNC_JOB: &str = "instance_status_sync";

/// What a job waiting for a server to be made ([`crate::jobs::JobOutcome::WaitFor`]) waits for:
/// woken when the server runs or its creation failed.
pub fn provisioned_key(instance_id: i64) -> String {
    format!("instance-provisioned:{instance_id}")
}

#[derive(Debug, thiserror::Error)]
pub enum InstanceError {
    #[error("no such server")]
    NotFound,
    #[error("admins only")]
    Forbidden,
    #[error("{message}")]
    Invalid {
        field: &'static str,
        code: Code,
        message: String,
    },
    #[error("you already have a server called `{0}`")]
    HostnameTaken(String),
    #[error("another action ({0}) is still running on this server; wait until it finishes")]
    ActionInProgress(String),
    #[error("{message}")]
    ActionUnavailable { code: Code, message: String },
    #[error(
        "this server's provider ({0}) is not configured on this installation any more; its servers are listed but cannot be changed"
    )]
    ProviderUnavailable(String),
    #[error("the root password was already shown once; reset it to get a new one")]
    PasswordUnavailable,
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    #[error(transparent)]
    SshKeys(#[from] SshKeyError),
    #[error(transparent)]
    Secret(#[from] SecretError),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<sqlx::Error> for InstanceError {
    fn from(error: sqlx::Error) -> Self {
        Self::Db(DbError::Query(error))
    }
}

impl From<NotAdmin> for InstanceError {
    fn from(_: NotAdmin) -> Self {
        Self::Forbidden
    }
}

impl ErrorCode for InstanceError {
    fn code(&self) -> Code {
        match self {
            Self::NotFound => Code::NotFound,
            Self::Forbidden => Code::Forbidden,
            Self::Invalid { code, .. } | Self::ActionUnavailable { code, .. } => *code,
            Self::HostnameTaken(_) => Code::HostnameTaken,
            Self::ActionInProgress(_) => Code::ActionInProgress,
            Self::ProviderUnavailable(_) => Code::ProviderUnavailable,
            Self::PasswordUnavailable => Code::PasswordUnavailable,
            Self::Catalog(error) => error.code(),
            Self::SshKeys(error) => error.code(),
            Self::Secret(_) => Code::Internal,
            Self::Db(error) => error.code(),
        }
    }

    fn field(&self) -> Option<&'static str> {
        match self {
            Self::Invalid { field, .. } => Some(field),
            Self::HostnameTaken(_) => Some("hostname"),
            Self::Catalog(error) => error.field(),
            Self::SshKeys(error) => error.field(),
            _ => None,
        }
    }
}

fn invalid(field: &'static str, code: Code, message: impl Into<String>) -> InstanceError {
    InstanceError::Invalid {
        field,
        code,
        message: message.into(),
    }
}

/// A server as stored, with what the list and detail queries join to it.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct Instance {
    pub id: i64,
    pub user_id: i64,
    pub owner_email: String,
    pub order_id: Option<i64>,
    pub plan_id: i64,
    pub plan_name: String,
    pub vcpus: i64,
    pub memory_mb: i64,
    pub disk_gb: i64,
    pub transfer_gb: i64,
    pub provider: String,
    pub provider_instance_id: Option<String>,
    pub label: String,
    pub hostname: String,
    pub region_slug: String,
    pub region_name: String,
    pub image_slug: String,
    pub image_name: String,
    #[sqlx(try_from = "String")]
    pub status: InstanceStatus,
    pub provider_status: Option<String>,
    pub status_message: Option<String>,
    pub ipv4: Option<String>,
    pub ipv6: Option<String>,
    /// A root password is stored and its owner has not looked at it yet.
    pub password_waiting: bool,
    /// The action running now, if any: an action's kind, or `resize` while the server moves to
    /// another plan.
    pub open_action: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub ready_at: Option<DateTime<Utc>>,
    /// Its service is suspended for an unpaid renewal: it is kept off and refuses actions.
    pub suspended_at: Option<DateTime<Utc>>,
}

impl Instance {
    /// What this server's root passwords are sealed for.
    pub(crate) fn sealed_for(&self) -> SealedFor {
        SealedFor::ServerRootPassword {
            instance_id: self.id,
        }
    }

    pub fn lifecycle(&self) -> Lifecycle {
        self.status
    }
}

const INSTANCE_SELECT: &str = "SELECT i.id, i.user_id, u.email AS owner_email, i.order_id, \
    i.plan_id, p.name AS plan_name, p.vcpus, p.memory_mb, p.disk_gb, p.transfer_gb, i.provider, \
    i.provider_instance_id, i.label, i.hostname, i.region_slug, \
    COALESCE(r.display_name, r.provider_name, i.region_slug) AS region_name, i.image_slug, \
    COALESCE(im.display_name, im.provider_name, i.image_slug) AS image_name, i.status, \
    i.provider_status, i.status_message, i.ipv4, i.ipv6, \
    (i.root_password IS NOT NULL AND i.password_revealed_at IS NULL) AS password_waiting, \
    COALESCE((SELECT a.kind FROM instance_actions a WHERE a.instance_id = i.id \
        AND a.state IN ('pending', 'running')), (SELECT 'resize' FROM resizes r \
        WHERE r.instance_id = i.id AND r.status IN ('queued', 'stopping', 'resizing', 'starting'))) \
        AS open_action, \
    i.created_at, i.updated_at, i.ready_at, i.suspended_at \
    FROM instances i JOIN users u ON u.id = i.user_id JOIN plans p ON p.id = i.plan_id \
    LEFT JOIN catalog_regions r ON r.provider = i.provider AND r.slug = i.region_slug \
    LEFT JOIN catalog_images im ON im.provider = i.provider AND im.slug = i.image_slug";

/// One line of a server's history.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct InstanceEvent {
    pub id: i64,
    pub at: DateTime<Utc>,
    /// A code the UI translates (`ready`, `action_done`…).
    pub kind: String,
    pub level: String,
    pub message: Option<String>,
}

/// An action a customer asked for and where it stands.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct InstanceAction {
    pub id: i64,
    pub instance_id: i64,
    pub kind: String,
    pub state: String,
    pub image_slug: Option<String>,
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

const ACTION_COLUMNS: &str =
    "id, instance_id, kind, state, image_slug, error, created_at, finished_at";

/// Whether an action can run now, and if not, why (a code the UI translates).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActionOffer {
    pub kind: ActionKind,
    pub unavailable: Option<String>,
}

/// A server with what can be done to it and what happened to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstanceDetail {
    pub instance: Instance,
    /// `None` when the provider is no longer configured.
    pub capabilities: Option<Capabilities>,
    pub actions: Vec<ActionOffer>,
    pub recent_actions: Vec<InstanceAction>,
    pub events: Vec<InstanceEvent>,
}

/// Servers as pages and the REST API show them (see [`model::instances`]): the root password and
/// the provider's id and label for the server stay here, and a column added to a row reaches
/// the API only when it is added there too.
mod views {
    use model::instances as view;

    use super::*;

    impl From<Instance> for view::Instance {
        fn from(instance: Instance) -> Self {
            Self {
                id: instance.id.into(),
                user_id: instance.user_id.into(),
                owner_email: instance.owner_email,
                order_id: instance.order_id.map(Into::into),
                plan_id: instance.plan_id.into(),
                plan_name: instance.plan_name,
                vcpus: instance.vcpus,
                memory_mb: instance.memory_mb,
                disk_gb: instance.disk_gb,
                transfer_gb: instance.transfer_gb,
                provider: instance.provider,
                hostname: instance.hostname,
                region_slug: instance.region_slug,
                region_name: instance.region_name,
                image_slug: instance.image_slug,
                image_name: instance.image_name,
                status: instance.status,
                provider_status: instance.provider_status,
                status_message: instance.status_message,
                ipv4: instance.ipv4,
                ipv6: instance.ipv6,
                password_waiting: instance.password_waiting,
                open_action: instance.open_action,
                created_at: instance.created_at,
                updated_at: instance.updated_at,
                ready_at: instance.ready_at,
                suspended_at: instance.suspended_at,
            }
        }
    }

    impl From<InstanceEvent> for view::InstanceEvent {
        fn from(event: InstanceEvent) -> Self {
            Self {
                id: event.id,
                at: event.at,
                kind: event.kind,
                level: event.level,
                message: event.message,
            }
        }
    }

    impl From<InstanceAction> for view::InstanceAction {
        fn from(action: InstanceAction) -> Self {
            Self {
                id: action.id,
                instance_id: action.instance_id.into(),
                kind: action.kind,
                state: action.state,
                image_slug: action.image_slug,
                error: action.error,
                created_at: action.created_at,
                finished_at: action.finished_at,
            }
        }
    }

    impl From<ActionOffer> for view::ActionOffer {
        fn from(offer: ActionOffer) -> Self {
            Self {
                kind: offer.kind.as_str().to_owned(),
                unavailable: offer.unavailable,
            }
        }
    }

    impl From<InstanceDetail> for view::InstanceDetail {
        fn from(detail: InstanceDetail) -> Self {
            Self {
                instance: detail.instance.into(),
                capabilities: detail.capabilities,
                actions: detail.actions.into_iter().map(Into::into).collect(),
                recent_actions: detail.recent_actions.into_iter().map(Into::into).collect(),
                events: detail.events.into_iter().map(Into::into).collect(),
            }
        }
    }
}

/// Whether `kind` can run on a server in `status` at a provider with `capabilities`; the error
/// is a code the UI translates.
pub fn action_availability(
    kind: ActionKind,
    status: Lifecycle,
    capabilities: &Capabilities,
) -> Result<(), Code> {
    if let Some(reason) = kind.unsupported_reason(capabilities) {
        return Err(reason);
    }
    let running = status == Lifecycle::Running;
    let stopped = status == Lifecycle::Stopped;
    if !running && !stopped {
        return Err(Code::NotReady);
    }
    match kind {
        ActionKind::PowerOn if !stopped => Err(Code::AlreadyRunning),
        ActionKind::PowerOff | ActionKind::Shutdown | ActionKind::Reboot if !running => {
            Err(Code::NeedsRunning)
        }
        ActionKind::ResetPassword if capabilities.password_reset_needs_stop && !stopped => {
            Err(Code::NeedsStopped)
        }
        ActionKind::ResetPassword if !capabilities.password_reset_needs_stop && !running => {
            Err(Code::NeedsRunning)
        }
        _ => Ok(()),
    }
}

fn availability_message(kind: ActionKind, provider: &str, reason: Code) -> String {
    match reason {
        Code::NoPasswordReset => {
            format!("{provider} has no password reset; rebuild the server to get a new password")
        }
        Code::NoGracefulShutdown => {
            format!("{provider} has no graceful shutdown; use power off instead")
        }
        Code::NoRebuild => format!("{provider} cannot rebuild servers"),
        Code::NeedsStopped => format!("{provider} needs the server stopped first for {kind}"),
        Code::NeedsRunning => format!("{kind} needs the server running"),
        Code::AlreadyRunning => "the server is already running".to_owned(),
        _ => "the server is not ready for actions yet".to_owned(),
    }
}

/// The host name as stored (see [`model::inputs::Hostname`], the rule the browser checks too).
pub fn parse_hostname(raw: &str) -> Result<String, InstanceError> {
    use model::inputs::{Hostname, InvalidHostname};
    Hostname::parse(raw)
        .map(Hostname::into_string)
        .map_err(|_| invalid("hostname", InvalidHostname::CODE, InvalidHostname::MESSAGE))
}

/// An admin's "provision for user", or (later) a paid order.
#[derive(Clone, Debug, Deserialize)]
pub struct ProvisionRequest {
    pub user_id: i64,
    pub plan_id: i64,
    pub region: String,
    pub image: String,
    pub hostname: String,
    #[serde(default)]
    pub ssh_key_ids: Vec<i64>,
}

/// A new server checked and read, ready to be recorded (see [`Instances::prepare`]).
#[derive(Debug)]
pub struct PreparedServer {
    user_id: i64,
    hostname: String,
    offer: crate::catalog::Offer,
    ssh_keys: Vec<SshPublicKey>,
    root_password: Option<NewRootPassword>,
}

/// A root password made for a server not yet recorded: sealed for it once it has an id.
struct NewRootPassword(String);

impl std::fmt::Debug for NewRootPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewRootPassword(…)")
    }
}

/// A customer's request to act on their server.
#[derive(Clone, Debug, Deserialize)]
pub struct ActionRequest {
    #[serde(rename = "type")]
    pub kind: ActionKind,
    /// Rebuild: the image to install.
    pub image: Option<String>,
    /// Rebuild: the server's host name typed again, because a rebuild erases its disk.
    pub confirm: Option<String>,
}

/// Filters for the admin list.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct InstanceFilter {
    pub status: Option<String>,
    pub provider: Option<String>,
    /// Part of the owner's e-mail, the host name or an IP.
    pub search: Option<String>,
}

#[derive(Clone, Debug)]
pub struct Instances {
    db: Db,
    providers: Providers,
    catalog: Catalog,
    secrets: SecretBox,
    /// Starts every provider label, so two installations sharing a provider account never
    /// mistake each other's servers for their own.
    label_prefix: String,
}

impl Instances {
    pub fn new(
        db: Db,
        providers: Providers,
        catalog: Catalog,
        secrets: SecretBox,
        installation_id: &str,
    ) -> Self {
        let short: String = installation_id
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .take(8)
            .collect();
        Self {
            db,
            providers,
            catalog,
            secrets,
            label_prefix: format!("wr-{}", short.to_ascii_lowercase()),
        }
    }

    pub(crate) fn db(&self) -> &Db {
        &self.db
    }

    pub(crate) fn secrets(&self) -> &SecretBox {
        &self.secrets
    }

    pub(crate) fn provider(
        &self,
        name: &str,
    ) -> Result<std::sync::Arc<dyn CloudProvider>, InstanceError> {
        self.providers
            .get(name)
            .ok_or_else(|| InstanceError::ProviderUnavailable(name.to_owned()))
    }

    /// Creates a server for a customer on an admin's behalf.
    pub async fn provision_for_user(
        &self,
        admin: &Caller,
        request: ProvisionRequest,
    ) -> Result<Instance, InstanceError> {
        admin.require_admin()?;
        let prepared = self.prepare(&request).await?;
        let mut tx = self.db.begin().await?;
        let id = self.create_in(&mut tx, &prepared, None).await?;
        audit::record(
            &mut tx,
            AuditEvent {
                action: "instance_provision",
                actor_user_id: Some(admin.user_id),
                subject_user_id: Some(request.user_id),
                detail: Some(format!("instance {id}, plan {}", request.plan_id)),
                ..Default::default()
            },
        )
        .await?;
        tx.commit().await?;
        self.by_id(id).await
    }

    /// Checks and reads what a new server needs (the offer, the chosen SSH keys) and makes its
    /// root password, before the transaction that records it begins: on SQLite that
    /// transaction holds the one write lock, and a read on a second pooled connection while
    /// holding it waits for a connection that a request waiting for the lock holds, until the
    /// busy timeout fails both.
    pub async fn prepare(
        &self,
        request: &ProvisionRequest,
    ) -> Result<PreparedServer, InstanceError> {
        let hostname = parse_hostname(&request.hostname)?;
        let offer = self
            .catalog
            .offer(request.plan_id, &request.region, &request.image)
            .await?;
        let provider = self.provider(&offer.provider)?;
        let ssh_keys =
            ssh_keys::for_provisioning(&self.db, request.user_id, &request.ssh_key_ids).await?;
        let root_password = if provider.capabilities().accepts_root_password {
            Some(NewRootPassword(generate_password()?))
        } else {
            None
        };
        Ok(PreparedServer {
            user_id: request.user_id,
            hostname,
            offer,
            ssh_keys,
            root_password,
        })
    }

    /// Records a new server and queues its creation, inside the caller's transaction so the
    /// change that pays for it (an order) and the work happen together or not at all.
    pub async fn create_in(
        &self,
        tx: &mut Tx,
        prepared: &PreparedServer,
        order_id: Option<i64>,
    ) -> Result<i64, InstanceError> {
        let PreparedServer {
            user_id,
            hostname,
            offer,
            ssh_keys,
            root_password,
        } = prepared;
        let user_exists: Option<i64> = tx_run!(tx, |conn| {
            sqlx::query_scalar("SELECT id FROM users WHERE id = $1")
                .bind(user_id)
                .fetch_optional(conn)
                .await
        })?;
        if user_exists.is_none() {
            return Err(invalid("user", Code::UserNotFound, "no such customer"));
        }
        let now = Utc::now();
        let placeholder = format!(
            "{}-new-{}",
            self.label_prefix,
            uuid::Uuid::new_v4().simple()
        );
        let ssh_json = serde_json::to_string(&ssh_keys).unwrap_or_else(|_| "[]".to_owned());
        let inserted: Option<i64> = tx_run!(tx, |conn| {
            sqlx::query_scalar(
                "INSERT INTO instances (user_id, order_id, plan_id, provider, label, hostname, \
                 region_slug, size_slug, image_slug, status, ssh_keys, \
                 created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, \
                 $12, $10, $11, $11) ON CONFLICT DO NOTHING RETURNING id",
            )
            .bind(user_id)
            .bind(order_id)
            .bind(offer.plan_id)
            .bind(&offer.provider)
            .bind(&placeholder)
            .bind(hostname.as_str())
            .bind(&offer.region_slug)
            .bind(&offer.size_slug)
            .bind(&offer.image_slug)
            .bind(&ssh_json)
            .bind(now)
            .bind(InstanceStatus::Provisioning.as_str())
            .fetch_optional(conn)
            .await
        })?;
        let Some(id) = inserted else {
            return Err(InstanceError::HostnameTaken(hostname.clone()));
        };
        let label = format!("{}-{id}", self.label_prefix);
        let sealed_password = root_password
            .as_ref()
            .map(|password| {
                self.secrets.seal(
                    &password.0,
                    SealedFor::ServerRootPassword { instance_id: id },
                )
            })
            .transpose()?;
        tx_run!(tx, |conn| {
            sqlx::query("UPDATE instances SET label = $1, pending_root_password = $2 WHERE id = $3")
                .bind(&label)
                .bind(&sealed_password)
                .bind(id)
                .execute(conn)
                .await
                .map(|_| ())
        })?;
        record_event(tx, id, "provisioning_requested", "info", None).await?;
        jobs::enqueue(
            tx,
            PROVISION_JOB,
            &serde_json::json!({ "instance_id": id }),
            now,
            jobs::DEFAULT_MAX_ATTEMPTS,
        )
        .await?;
        Ok(id)
    }

    pub(crate) async fn by_id(&self, id: i64) -> Result<Instance, InstanceError> {
        let sql = format!("{INSTANCE_SELECT} WHERE i.id = $1");
        db_run!(&self.db, |pool| {
            sqlx::query_as::<_, Instance>(sqlx::AssertSqlSafe(sql.clone()))
                .bind(id)
                .fetch_optional(pool)
                .await
        })?
        .ok_or(InstanceError::NotFound)
    }

    /// The instance if the caller may see it: its owner, or an admin.
    pub(crate) async fn visible(
        &self,
        caller: &Caller,
        id: i64,
    ) -> Result<Instance, InstanceError> {
        let instance = self.by_id(id).await?;
        if instance.user_id == caller.user_id || caller.role == Role::Admin {
            Ok(instance)
        } else {
            Err(InstanceError::NotFound)
        }
    }

    /// The caller's own servers, newest first, deleted ones last.
    pub async fn list_mine(&self, caller: &Caller) -> Result<Vec<Instance>, InstanceError> {
        let sql = format!(
            "{INSTANCE_SELECT} WHERE i.user_id = $1 \
             ORDER BY CASE WHEN i.status = 'deleted' THEN 1 ELSE 0 END, i.id DESC"
        );
        Ok(db_run!(&self.db, |pool| {
            sqlx::query_as::<_, Instance>(sqlx::AssertSqlSafe(sql.clone()))
                .bind(caller.user_id)
                .fetch_all(pool)
                .await
        })?)
    }

    /// Every server, for admins, newest first.
    pub async fn list_all(
        &self,
        admin: &Caller,
        filter: &InstanceFilter,
        limit: i64,
    ) -> Result<Vec<Instance>, InstanceError> {
        admin.require_admin()?;
        let blank = |value: &Option<String>| {
            value
                .as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        let search = crate::db::contains_pattern(filter.search.as_deref());
        let sql = format!(
            "{INSTANCE_SELECT} WHERE (CAST($1 AS TEXT) IS NULL OR i.status = $1) \
             AND (CAST($2 AS TEXT) IS NULL OR i.provider = $2) \
             AND (CAST($3 AS TEXT) IS NULL OR LOWER(u.email) LIKE $3 ESCAPE '\\' \
                  OR i.hostname LIKE $3 ESCAPE '\\' OR i.ipv4 LIKE $3 ESCAPE '\\') \
             ORDER BY i.id DESC LIMIT $4"
        );
        Ok(db_run!(&self.db, |pool| {
            sqlx::query_as::<_, Instance>(sqlx::AssertSqlSafe(sql.clone()))
                .bind(blank(&filter.status))
                .bind(blank(&filter.provider))
                .bind(&search)
                .bind(limit)
                .fetch_all(pool)
                .await
        })?)
    }

    pub async fn detail(&self, caller: &Caller, id: i64) -> Result<InstanceDetail, InstanceError> {
        let instance = self.visible(caller, id).await?;
        let capabilities = self
            .providers
            .get(&instance.provider)
            .map(|provider| provider.capabilities());
        let actions = ActionKind::ALL
            .into_iter()
            .map(|kind| ActionOffer {
                kind,
                unavailable: match (&capabilities, &instance.open_action) {
                    _ if instance.suspended_at.is_some() => Some("suspended".to_owned()),
                    (None, _) => Some("provider_unavailable".to_owned()),
                    (Some(_), Some(_)) => Some("action_in_progress".to_owned()),
                    (Some(capabilities), None) => {
                        action_availability(kind, instance.lifecycle(), capabilities)
                            .err()
                            .map(|code| code.as_str().to_owned())
                    }
                },
            })
            .collect();
        let sql = format!(
            "SELECT {ACTION_COLUMNS} FROM instance_actions WHERE instance_id = $1 ORDER BY id DESC LIMIT 10"
        );
        let recent_actions = db_run!(&self.db, |pool| {
            sqlx::query_as::<_, InstanceAction>(sqlx::AssertSqlSafe(sql.clone()))
                .bind(id)
                .fetch_all(pool)
                .await
        })?;
        let events = self.events_of(id).await?;
        Ok(InstanceDetail {
            instance,
            capabilities,
            actions,
            recent_actions,
            events,
        })
    }

    pub async fn events(
        &self,
        caller: &Caller,
        id: i64,
    ) -> Result<Vec<InstanceEvent>, InstanceError> {
        self.visible(caller, id).await?;
        self.events_of(id).await
    }

    async fn events_of(&self, id: i64) -> Result<Vec<InstanceEvent>, InstanceError> {
        Ok(db_run!(&self.db, |pool| {
            sqlx::query_as::<_, InstanceEvent>(
                "SELECT id, at, kind, level, message FROM instance_events WHERE instance_id = $1 \
                 ORDER BY id DESC LIMIT 100",
            )
            .bind(id)
            .fetch_all(pool)
            .await
        })?)
    }

    /// Queues an action on the caller's server after checking it can run now.
    pub async fn request_action(
        &self,
        caller: &Caller,
        id: i64,
        request: ActionRequest,
    ) -> Result<InstanceAction, InstanceError> {
        let instance = self.visible(caller, id).await?;
        if instance.user_id != caller.user_id {
            // Admins see customers' servers; acting on them goes through admin overrides.
            return Err(InstanceError::NotFound);
        }
        if instance.suspended_at.is_some() {
            return Err(InstanceError::ActionUnavailable {
                code: Code::Suspended,
                message: "this server is suspended until its renewal invoice is paid".to_owned(),
            });
        }
        let provider = self.provider(&instance.provider)?;
        let capabilities = provider.capabilities();
        if let Some(open) = &instance.open_action {
            return Err(InstanceError::ActionInProgress(open.clone()));
        }
        action_availability(request.kind, instance.lifecycle(), &capabilities).map_err(|code| {
            InstanceError::ActionUnavailable {
                code,
                message: availability_message(request.kind, &instance.provider, code),
            }
        })?;
        let image = match request.kind {
            ActionKind::Rebuild => {
                let confirmed = request
                    .confirm
                    .as_deref()
                    .map(|typed| typed.trim().eq_ignore_ascii_case(&instance.hostname));
                if confirmed != Some(true) {
                    return Err(invalid(
                        "confirm",
                        Code::ConfirmationMismatch,
                        format!(
                            "type the server's name ({}) to confirm: a rebuild erases its disk",
                            instance.hostname
                        ),
                    ));
                }
                let image = request.image.as_deref().unwrap_or_default();
                self.catalog
                    .offer(instance.plan_id, &instance.region_slug, image)
                    .await?;
                Some(image.to_owned())
            }
            _ => None,
        };
        let needs_password = request.kind == ActionKind::ResetPassword
            || (request.kind == ActionKind::Rebuild && capabilities.rebuild_sets_password);
        let password = if needs_password {
            let owner = SealedFor::ServerRootPassword { instance_id: id };
            Some(self.secrets.seal(&generate_password()?, owner)?)
        } else {
            None
        };
        let now = Utc::now();
        let mut tx = self.db.begin().await?;
        let sql = format!(
            "INSERT INTO instance_actions (instance_id, kind, state, image_slug, root_password, \
             requested_by, created_at) VALUES ($1, $2, 'pending', $3, $4, $5, $6) \
             ON CONFLICT DO NOTHING RETURNING {ACTION_COLUMNS}"
        );
        let action = tx_run!(&mut tx, |conn| {
            sqlx::query_as::<_, InstanceAction>(sqlx::AssertSqlSafe(sql.clone()))
                .bind(id)
                .bind(request.kind.as_str())
                .bind(&image)
                .bind(&password)
                .bind(caller.user_id)
                .bind(now)
                .fetch_optional(conn)
                .await
        })?;
        // The unique index on open actions settles a race between two requests.
        let Some(action) = action else {
            return Err(InstanceError::ActionInProgress("another action".to_owned()));
        };
        record_event(
            &mut tx,
            id,
            "action_requested",
            "info",
            Some(request.kind.as_str()),
        )
        .await?;
        jobs::enqueue(
            &mut tx,
            ACTION_JOB,
            &serde_json::json!({ "action_id": action.id }),
            now,
            jobs::DEFAULT_MAX_ATTEMPTS,
        )
        .await?;
        audit::record(
            &mut tx,
            AuditEvent {
                action: "instance_action",
                actor_user_id: Some(caller.user_id),
                subject_user_id: Some(instance.user_id),
                detail: Some(format!("instance {id}: {}", request.kind)),
                ..Default::default()
            },
        )
        .await?;
        tx.commit().await?;
        Ok(action)
    }

    /// The root password, once: its owner sees it and from then on only a reset shows another.
    pub async fn reveal_password(&self, caller: &Caller, id: i64) -> Result<String, InstanceError> {
        let instance = self.visible(caller, id).await?;
        if instance.user_id != caller.user_id {
            return Err(InstanceError::NotFound);
        }
        let mut tx = self.db.begin().await?;
        let sealed: Option<String> = tx_run!(&mut tx, |conn| {
            sqlx::query_scalar(
                "UPDATE instances SET password_revealed_at = $1 WHERE id = $2 AND user_id = $3 \
                 AND root_password IS NOT NULL AND password_revealed_at IS NULL \
                 RETURNING root_password",
            )
            .bind(Utc::now())
            .bind(id)
            .bind(caller.user_id)
            .fetch_optional(conn)
            .await
        })?;
        let sealed = sealed.ok_or(InstanceError::PasswordUnavailable)?;
        let password = self
            .secrets
            .open(&sealed, SealedFor::ServerRootPassword { instance_id: id })?;
        record_event(&mut tx, id, "password_revealed", "info", None).await?;
        tx.commit().await?;
        Ok(password)
    }
}

/// A line of a server's history: a code the UI translates, how it looks, and a detail.
#[derive(Clone, Copy, Debug)]
pub(crate) struct HistoryLine<'a> {
    pub kind: &'a str,
    pub level: &'a str,
    pub message: Option<&'a str>,
}

/// Moves a server to `to` if [`InstanceStatus::can_become`] allows it from where it is, and
/// adds `line` to its history. A repeated or late change (a report about a server already
/// being deleted) does nothing and answers what it found; the caller changes the columns that
/// go with the new status only when it moved.
pub(crate) async fn transition(
    tx: &mut Tx,
    instance_id: i64,
    to: InstanceStatus,
    line: HistoryLine<'_>,
) -> Result<Move<InstanceStatus>, DbError> {
    let moved = compare_and_set(tx, "instances", instance_id, to).await?;
    if moved.made() {
        record_event(tx, instance_id, line.kind, line.level, line.message).await?;
    }
    Ok(moved)
}

/// Adds a line to a server's history as part of `tx`.
pub(crate) async fn record_event(
    tx: &mut Tx,
    instance_id: i64,
    kind: &str,
    level: &str,
    message: Option<&str>,
) -> Result<(), DbError> {
    tx_run!(tx, |conn| {
        sqlx::query(
            "INSERT INTO instance_events (instance_id, at, kind, level, message) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(instance_id)
        .bind(Utc::now())
        .bind(kind)
        .bind(level)
        .bind(message)
        .execute(conn)
        .await
        .map(|_| ())
    })?;
    Ok(())
}

/// The public keys stored with an instance for rebuilds.
pub(crate) fn stored_ssh_keys(json: &str) -> Vec<SshPublicKey> {
    serde_json::from_str(json).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::ConsoleKind;

    fn caps(password_reset: bool, needs_stop: bool, shutdown: bool) -> Capabilities {
        Capabilities {
            graceful_shutdown: shutdown,
            password_reset,
            password_reset_needs_stop: needs_stop,
            rebuild: true,
            accepts_root_password: true,
            rebuild_sets_password: true,
            resize: true,
            resize_down: true,
            resize_needs_power_off: false,
            console: ConsoleKind::None,
        }
    }

    #[test]
    fn actions_follow_state_and_capabilities() {
        let all = caps(true, false, true);
        assert_eq!(
            action_availability(ActionKind::Reboot, Lifecycle::Running, &all),
            Ok(())
        );
        assert_eq!(
            action_availability(ActionKind::Reboot, Lifecycle::Stopped, &all),
            Err(Code::NeedsRunning)
        );
        assert_eq!(
            action_availability(ActionKind::PowerOn, Lifecycle::Running, &all),
            Err(Code::AlreadyRunning)
        );
        assert_eq!(
            action_availability(ActionKind::Rebuild, Lifecycle::Provisioning, &all),
            Err(Code::NotReady)
        );
        let vultr_like = caps(false, false, false);
        assert_eq!(
            action_availability(ActionKind::ResetPassword, Lifecycle::Running, &vultr_like),
            Err(Code::NoPasswordReset)
        );
        assert_eq!(
            action_availability(ActionKind::Shutdown, Lifecycle::Running, &vultr_like),
            Err(Code::NoGracefulShutdown)
        );
        let linode_like = caps(true, true, true);
        assert_eq!(
            action_availability(ActionKind::ResetPassword, Lifecycle::Running, &linode_like),
            Err(Code::NeedsStopped)
        );
        assert_eq!(
            action_availability(ActionKind::ResetPassword, Lifecycle::Stopped, &linode_like),
            Ok(())
        );
        assert!(
            availability_message(ActionKind::ResetPassword, "vultr", Code::NoPasswordReset)
                .contains("rebuild")
        );
    }

    #[test]
    fn a_refused_hostname_is_a_field_error_on_hostname() {
        assert_eq!(parse_hostname(" Web-1 ").unwrap(), "web-1");
        let error = parse_hostname("web_1").unwrap_err();
        assert_eq!(
            (error.code(), error.field()),
            (Code::HostnameInvalid, Some("hostname"))
        );
    }
}
