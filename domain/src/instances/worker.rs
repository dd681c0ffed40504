//! The durable jobs behind servers: create one and wait for it to boot, carry out an action and
//! wait for it to finish, and keep every server's state in step with its provider.
//!
//! Each handler reads where things stand from the database first and only then talks to the
//! provider, so running a job twice (after a crash) repeats at most the one provider call that
//! was in flight. A create is never repeated: a server whose create answer was lost is found by
//! its unique label. Waiting is not failing: a handler that is waiting on a provider answers
//! [`JobOutcome::RunAgainAt`], with the interval growing from 2 s to 30 s.

use chrono::{Duration, Utc};
use serde::Deserialize;
use tracing::Instrument;

use super::work_error::{WorkError, describe};
use super::{
    ACTION_JOB, HistoryLine, Instance, InstanceError, InstanceStatus, Instances, PROVISION_JOB,
    STATUS_SYNC_JOB, record_event, stored_ssh_keys, transition,
};
use crate::jobs::{self, Job, JobOutcome, Registry};
use crate::notifications::{self, Notice};
use crate::providers::{
    Action, ActionHandle, ActionKind, ActionProgress, CreateInstance, Lifecycle, ProviderError,
    ProviderInstance,
};
use crate::transitions::Move;
use crate::{db_run, tx_run};

/// How long a server may take to boot, or an action to finish, before we call it failed.
const GIVE_UP_AFTER: Duration = Duration::minutes(15);
/// How often every server's state is compared with its provider's.
const STATUS_SYNC_EVERY: Duration = Duration::minutes(5);
/// How long a server whose create answer was lost is looked for by its label before the create
/// is sent again: providers can leave a new server out of their lists for a while.
const LOST_CREATE_SHOWS_WITHIN: Duration = Duration::minutes(2);
/// How long after a provider's own creation time a new server is first looked at: its clock
/// started when it took the create, a moment after we sent it.
const LOOK_AFTER_MARGIN: Duration = Duration::milliseconds(100);
/// How long a guest may take over a graceful shutdown before it is powered off: the shutdown
/// is only a request the guest can ignore.
const SHUTDOWN_GRACE: Duration = Duration::minutes(2);

pub fn register(registry: Registry, instances: Instances) -> Registry {
    let provision = instances.clone();
    let action = instances.clone();
    let deleting = instances.clone();
    let resizing = instances.clone();
    registry
        .on(PROVISION_JOB, move |job| {
            let instances = provision.clone();
            async move { instances.run_provision(&job).await.map_err(describe) }
        })
        .on(ACTION_JOB, move |job| {
            let instances = action.clone();
            async move { instances.run_action(&job).await.map_err(describe) }
        })
        .on(super::suspension::DELETE_JOB, move |job| {
            let instances = deleting.clone();
            async move { instances.run_delete(&job).await.map_err(describe) }
        })
        .on(super::resize::RESIZE_JOB, move |job| {
            let instances = resizing.clone();
            async move { instances.run_resize(&job).await.map_err(describe) }
        })
        .first(PROVISION_JOB)
        .first(ACTION_JOB)
        .first(super::resize::RESIZE_JOB)
        .on(STATUS_SYNC_JOB, move |_job| {
            let instances = instances.clone();
            async move {
                instances.sync_statuses().await.map_err(describe)?;
                Ok::<_, String>(JobOutcome::RunAgainAt(Utc::now() + STATUS_SYNC_EVERY))
            }
        })
}

/// A server that came up or failed to: counted by provider and outcome, with how long it took
/// from the order to that moment.
fn count_provisioning(instance: &Instance, outcome: &'static str, at: chrono::DateTime<Utc>) {
    let labels = [
        ("provider", instance.provider.clone()),
        ("outcome", outcome.to_owned()),
    ];
    metrics::counter!("provisioning_finished_total", &labels).increment(1);
    let took = (at - instance.created_at).num_milliseconds().max(0) as f64 / 1000.0;
    metrics::histogram!("provisioning_duration_seconds", &labels).record(took);
}

/// Half the time waited so far, between 2 s and 30 s: quick answers for quick work, few calls
/// for slow work.
pub(super) fn poll_interval(waited: Duration) -> Duration {
    Duration::seconds((waited.num_seconds() / 2).clamp(2, 30))
}

#[derive(Deserialize)]
struct ProvisionPayload {
    instance_id: i64,
}

#[derive(Deserialize)]
struct ActionPayload {
    action_id: i64,
}

#[derive(sqlx::FromRow)]
struct CreateInputs {
    ssh_keys: String,
    pending_root_password: Option<String>,
    size_slug: String,
    create_sent_at: Option<chrono::DateTime<Utc>>,
}

/// What a finished action leaves the server with.
struct Settled<'a> {
    current: &'a ProviderInstance,
    image: Option<&'a str>,
    root_password: Option<&'a str>,
}

#[derive(sqlx::FromRow)]
struct ActionRow {
    instance_id: i64,
    kind: String,
    state: String,
    image_slug: Option<String>,
    root_password: Option<String>,
    provider_handle: Option<String>,
    forced_at: Option<chrono::DateTime<Utc>>,
    created_at: chrono::DateTime<Utc>,
}

impl Instances {
    #[tracing::instrument(name = "provision", skip_all, fields(instance_id = tracing::field::Empty, order_id = tracing::field::Empty, provider = tracing::field::Empty))]
    async fn run_provision(&self, job: &Job) -> Result<JobOutcome, WorkError> {
        let payload: ProvisionPayload = serde_json::from_str(&job.payload)?;
        let instance = match self.by_id(payload.instance_id).await {
            Ok(instance) => instance,
            Err(InstanceError::NotFound) => return Ok(JobOutcome::Done),
            Err(error) => return Err(error.into()),
        };
        let span = tracing::Span::current();
        span.record("instance_id", instance.id);
        span.record("order_id", instance.order_id);
        span.record("provider", instance.provider.as_str());
        if instance.lifecycle() != Lifecycle::Provisioning {
            return Ok(JobOutcome::Done);
        }
        let provider = self.provider(&instance.provider)?;
        let (provider_id, just_created) = match &instance.provider_instance_id {
            Some(id) => (id.clone(), false),
            None => match self.create_on_provider(&instance).await {
                Ok(Some(id)) => (id, true),
                Ok(None) => return Ok(JobOutcome::RunAgainAt(Utc::now() + Duration::seconds(10))),
                Err(WorkError::Provider(error)) if !error.is_transient() => {
                    self.mark_failed(&instance, &error.to_string()).await?;
                    return Ok(JobOutcome::Done);
                }
                Err(error) => return Err(error),
            },
        };
        let current = match provider
            .get_instance(&provider_id)
            .instrument(tracing::info_span!("provision.check", provider_id = %provider_id))
            .await
        {
            Ok(current) => current,
            // A new server can be missing from the provider's answers for a short while.
            Err(ProviderError::NotFound) => return Ok(self.wait_or_give_up(&instance).await?),
            Err(error) => return Err(error.into()),
        };
        match current.status {
            Lifecycle::Running if current.ipv4.is_some() => {
                self.mark_ready(&instance, &current).await?;
                Ok(JobOutcome::Done)
            }
            Lifecycle::Error | Lifecycle::Deleted | Lifecycle::Deleting => {
                let reason = current.message.clone().unwrap_or_else(|| {
                    format!("the provider reports `{}`", current.provider_status)
                });
                self.mark_failed(&instance, &reason).await?;
                Ok(JobOutcome::Done)
            }
            // Booting, or running before its address exists (DigitalOcean does this).
            _ => match provider.creation_takes().filter(|_| just_created) {
                Some(takes) => Ok(JobOutcome::RunAgainAt(
                    Utc::now() + Duration::from_std(takes).unwrap_or_default() + LOOK_AFTER_MARGIN,
                )),
                None => Ok(self.wait_or_give_up(&instance).await?),
            },
        }
    }

    async fn wait_or_give_up(&self, instance: &Instance) -> Result<JobOutcome, InstanceError> {
        let waited = Utc::now() - instance.created_at;
        if waited > GIVE_UP_AFTER {
            self.mark_failed(
                instance,
                "the provider did not finish creating the server within 15 minutes",
            )
            .await?;
            return Ok(JobOutcome::Done);
        }
        Ok(JobOutcome::RunAgainAt(Utc::now() + poll_interval(waited)))
    }

    /// Sends the create (or finds the server a lost answer created) and stores its id at once,
    /// so no later attempt sends it again. `None` while a create sent moments ago may still
    /// show up under its label: sending another then could make a second server.
    #[tracing::instrument(name = "provision.create", skip_all)]
    async fn create_on_provider(&self, instance: &Instance) -> Result<Option<String>, WorkError> {
        let provider = self.provider(&instance.provider)?;
        let stored = db_run!(self.db(), |pool| {
            sqlx::query_as::<_, CreateInputs>(
                "SELECT ssh_keys, pending_root_password, size_slug, create_sent_at \
                 FROM instances WHERE id = $1",
            )
            .bind(instance.id)
            .fetch_one(pool)
            .await
        })?;
        let (provider_id, generated) = match provider.find_by_label(&instance.label).await? {
            Some(existing) => (existing.id, None),
            None => {
                if stored
                    .create_sent_at
                    .is_some_and(|sent| Utc::now() - sent < LOST_CREATE_SHOWS_WITHIN)
                {
                    return Ok(None);
                }
                let root_password = stored
                    .pending_root_password
                    .as_deref()
                    .map(|sealed| self.secrets().open(sealed, instance.sealed_for()))
                    .transpose()?;
                let request = CreateInstance {
                    label: instance.label.clone(),
                    hostname: instance.hostname.clone(),
                    region: instance.region_slug.clone(),
                    size: stored.size_slug.clone(),
                    image: instance.image_slug.clone(),
                    root_password,
                    ssh_keys: stored_ssh_keys(&stored.ssh_keys),
                };
                // Stored before sending: if the answer is lost, the next attempt knows a
                // server may exist and looks for it first.
                db_run!(self.db(), |pool| {
                    sqlx::query("UPDATE instances SET create_sent_at = $1 WHERE id = $2")
                        .bind(Utc::now())
                        .bind(instance.id)
                        .execute(pool)
                        .await
                        .map(|_| ())
                })?;
                let created = provider.create_instance(&request).await?;
                (created.instance.id, created.generated_password)
            }
        };
        // A password the provider chose replaces ours; it is the one that works.
        let generated = generated
            .map(|password| self.secrets().seal(&password, instance.sealed_for()))
            .transpose()?;
        let mut tx = self.db().begin().await?;
        tx_run!(&mut tx, |conn| {
            sqlx::query(
                "UPDATE instances SET provider_instance_id = $1, \
                 pending_root_password = COALESCE($2, pending_root_password), updated_at = $3 \
                 WHERE id = $4",
            )
            .bind(&provider_id)
            .bind(&generated)
            .bind(Utc::now())
            .bind(instance.id)
            .execute(conn)
            .await
            .map(|_| ())
        })?;
        record_event(&mut tx, instance.id, "provider_created", "info", None).await?;
        tx.commit().await?;
        Ok(Some(provider_id))
    }

    #[tracing::instrument(name = "provision.ready", skip_all)]
    async fn mark_ready(
        &self,
        instance: &Instance,
        current: &ProviderInstance,
    ) -> Result<(), InstanceError> {
        let now = Utc::now();
        let mut tx = self.db().begin().await?;
        let line = HistoryLine {
            kind: "ready",
            level: "success",
            message: current.ipv4.as_deref(),
        };
        // Ready once; a server terminated meanwhile stays on its way out.
        let ready = transition(&mut tx, instance.id, InstanceStatus::Running, line)
            .await?
            .made();
        if ready {
            // The password becomes the owner's only now that the provider has accepted it.
            tx_run!(&mut tx, |conn| {
                sqlx::query(
                    "UPDATE instances SET provider_status = $1, ipv4 = $2, ipv6 = $3, \
                     root_password = pending_root_password, pending_root_password = NULL, \
                     password_revealed_at = NULL, status_message = NULL, ready_at = $4 \
                     WHERE id = $5",
                )
                .bind(&current.provider_status)
                .bind(&current.ipv4)
                .bind(&current.ipv6)
                .bind(now)
                .bind(instance.id)
                .execute(conn)
                .await
                .map(|_| ())
            })?;
        }
        jobs::wake(&mut tx, &super::provisioned_key(instance.id)).await?;
        tx.commit().await?;
        if ready {
            count_provisioning(instance, "running", now);
        }
        Ok(())
    }

    #[tracing::instrument(name = "provision.failed", skip_all)]
    async fn mark_failed(&self, instance: &Instance, reason: &str) -> Result<(), InstanceError> {
        // An error, so error tracking hears of it, with the server and order involved.
        tracing::error!(
            instance_id = instance.id,
            order_id = instance.order_id,
            provider = %instance.provider,
            reason,
            "provisioning failed"
        );
        let mut tx = self.db().begin().await?;
        let line = HistoryLine {
            kind: "provisioning_failed",
            level: "error",
            message: Some(reason),
        };
        let failed = transition(&mut tx, instance.id, InstanceStatus::Error, line)
            .await?
            .made();
        if failed {
            tx_run!(&mut tx, |conn| {
                sqlx::query(
                    "UPDATE instances SET status_message = $1, pending_root_password = NULL \
                     WHERE id = $2",
                )
                .bind(reason)
                .bind(instance.id)
                .execute(conn)
                .await
                .map(|_| ())
            })?;
        }
        jobs::wake(&mut tx, &super::provisioned_key(instance.id)).await?;
        tx.commit().await?;
        if failed {
            count_provisioning(instance, "failed", Utc::now());
        }
        Ok(())
    }

    #[tracing::instrument(name = "server.action", skip_all)]
    async fn run_action(&self, job: &Job) -> Result<JobOutcome, WorkError> {
        let payload: ActionPayload = serde_json::from_str(&job.payload)?;
        let Some(row) = db_run!(self.db(), |pool| {
            sqlx::query_as::<_, ActionRow>(
                "SELECT instance_id, kind, state, image_slug, root_password, provider_handle, \
                 forced_at, created_at FROM instance_actions WHERE id = $1",
            )
            .bind(payload.action_id)
            .fetch_optional(pool)
            .await
        })?
        else {
            return Ok(JobOutcome::Done);
        };
        if row.state == "done" || row.state == "failed" {
            return Ok(JobOutcome::Done);
        }
        let instance = self.by_id(row.instance_id).await?;
        let kind = ActionKind::parse(&row.kind).ok_or_else(|| {
            WorkError::Provider(ProviderError::Invalid(format!(
                "unknown action {}",
                row.kind
            )))
        })?;
        let Some(provider_id) = instance.provider_instance_id.clone() else {
            return Ok(self
                .give_up(
                    payload.action_id,
                    &instance,
                    kind,
                    "the server was never created",
                )
                .await?);
        };
        let provider = match self.provider(&instance.provider) {
            Ok(provider) => provider,
            Err(error) => {
                return Ok(self
                    .give_up(payload.action_id, &instance, kind, &error.to_string())
                    .await?);
            }
        };
        let password = row
            .root_password
            .as_deref()
            .map(|sealed| self.secrets().open(sealed, instance.sealed_for()))
            .transpose()?;

        if row.state == "pending" {
            let action = match kind {
                ActionKind::PowerOn => Action::PowerOn,
                ActionKind::PowerOff => Action::PowerOff,
                ActionKind::Shutdown => Action::Shutdown,
                ActionKind::Reboot => Action::Reboot,
                ActionKind::ResetPassword => Action::ResetPassword {
                    password: password.clone().unwrap_or_default(),
                },
                ActionKind::Rebuild => Action::Rebuild {
                    image: row.image_slug.clone().unwrap_or_default(),
                    password: password.clone(),
                    ssh_keys: self.ssh_keys_of(instance.id).await?,
                },
            };
            let handle = match provider.perform_action(&provider_id, &action).await {
                Ok(handle) => handle,
                Err(error) if error.is_transient() => return Err(error.into()),
                Err(error) => {
                    return Ok(self
                        .give_up(payload.action_id, &instance, kind, &error.to_string())
                        .await?);
                }
            };
            let generated = handle
                .generated_password
                .as_deref()
                .map(|password| self.secrets().seal(password, instance.sealed_for()))
                .transpose()?;
            let stored_handle = ActionHandle {
                generated_password: None,
                ..handle
            };
            db_run!(self.db(), |pool| {
                sqlx::query(
                    "UPDATE instance_actions SET state = 'running', provider_handle = $1, \
                     root_password = COALESCE($2, root_password) WHERE id = $3 AND state = 'pending'",
                )
                .bind(serde_json::to_string(&stored_handle).unwrap_or_default())
                .bind(&generated)
                .bind(payload.action_id)
                .execute(pool)
                .await
                .map(|_| ())
            })?;
            return Ok(JobOutcome::RunAgainAt(Utc::now() + Duration::seconds(2)));
        }

        let handle: ActionHandle = row
            .provider_handle
            .as_deref()
            .map(serde_json::from_str)
            .transpose()?
            .unwrap_or_default();
        let waited = Utc::now() - row.created_at;
        // After a forced power-off, it is that action whose progress counts.
        let polled_kind = if row.forced_at.is_some() {
            ActionKind::PowerOff
        } else {
            kind
        };
        let progress = provider
            .action_progress(&provider_id, polled_kind, &handle)
            .await?;
        if kind == ActionKind::Shutdown && row.forced_at.is_none() {
            let ignored = match &progress {
                ActionProgress::Failed(_) => true,
                ActionProgress::InProgress => waited > SHUTDOWN_GRACE,
                ActionProgress::Done => {
                    waited > SHUTDOWN_GRACE
                        && provider.get_instance(&provider_id).await?.status != Lifecycle::Stopped
                }
            };
            if ignored {
                return self
                    .force_power_off(payload.action_id, &instance, &provider_id)
                    .await;
            }
        }
        match progress {
            ActionProgress::InProgress if waited > GIVE_UP_AFTER => Ok(self
                .give_up(
                    payload.action_id,
                    &instance,
                    kind,
                    "the provider did not finish the action within 15 minutes",
                )
                .await?),
            ActionProgress::InProgress => {
                Ok(JobOutcome::RunAgainAt(Utc::now() + poll_interval(waited)))
            }
            ActionProgress::Failed(reason) => Ok(self
                .give_up(payload.action_id, &instance, kind, &reason)
                .await?),
            ActionProgress::Done => {
                // "Done" can come before the state shows it: read the state, and wait a little
                // while it still disagrees.
                let current = provider.get_instance(&provider_id).await?;
                if current.status != kind.settles_to()
                    && !(kind == ActionKind::ResetPassword && current.status == Lifecycle::Stopped)
                    && waited < GIVE_UP_AFTER
                {
                    return Ok(JobOutcome::RunAgainAt(Utc::now() + poll_interval(waited)));
                }
                // The action row holds what it installed: a rebuild's image, and a password
                // only where the action set one (ours, or one the provider chose).
                let settled = Settled {
                    current: &current,
                    image: row.image_slug.as_deref(),
                    root_password: row.root_password.as_deref(),
                };
                self.finish_action(payload.action_id, &instance, kind, Ok(()), Some(settled))
                    .await?;
                Ok(JobOutcome::Done)
            }
        }
    }

    /// Turns a graceful shutdown the guest ignored into a hard power-off, once, and goes on
    /// waiting for that instead.
    async fn force_power_off(
        &self,
        action_id: i64,
        instance: &Instance,
        provider_id: &str,
    ) -> Result<JobOutcome, WorkError> {
        let provider = self.provider(&instance.provider)?;
        let handle = match provider
            .perform_action(provider_id, &Action::PowerOff)
            .await
        {
            Ok(handle) => handle,
            Err(error) if error.is_transient() => return Err(error.into()),
            Err(error) => {
                return Ok(self
                    .give_up(
                        action_id,
                        instance,
                        ActionKind::Shutdown,
                        &error.to_string(),
                    )
                    .await?);
            }
        };
        let mut tx = self.db().begin().await?;
        tx_run!(&mut tx, |conn| {
            sqlx::query(
                "UPDATE instance_actions SET provider_handle = $1, forced_at = $2 \
                 WHERE id = $3 AND state = 'running'",
            )
            .bind(serde_json::to_string(&handle).unwrap_or_default())
            .bind(Utc::now())
            .bind(action_id)
            .execute(conn)
            .await
            .map(|_| ())
        })?;
        record_event(&mut tx, instance.id, "shutdown_forced", "info", None).await?;
        tx.commit().await?;
        Ok(JobOutcome::RunAgainAt(Utc::now() + Duration::seconds(2)))
    }

    /// Closes an action as failed for `reason`; the job itself is done.
    async fn give_up(
        &self,
        action_id: i64,
        instance: &Instance,
        kind: ActionKind,
        reason: &str,
    ) -> Result<JobOutcome, InstanceError> {
        self.finish_action(action_id, instance, kind, Err(reason), None)
            .await?;
        Ok(JobOutcome::Done)
    }

    async fn ssh_keys_of(
        &self,
        instance_id: i64,
    ) -> Result<Vec<crate::providers::SshPublicKey>, WorkError> {
        let json: String = db_run!(self.db(), |pool| {
            sqlx::query_scalar("SELECT ssh_keys FROM instances WHERE id = $1")
                .bind(instance_id)
                .fetch_one(pool)
                .await
        })?;
        Ok(stored_ssh_keys(&json))
    }

    /// Closes an action, and on success brings the instance in line with the provider: its new
    /// state, a new root password (reset, rebuild) and a new image (rebuild).
    async fn finish_action(
        &self,
        action_id: i64,
        instance: &Instance,
        kind: ActionKind,
        outcome: Result<(), &str>,
        settled: Option<Settled<'_>>,
    ) -> Result<(), InstanceError> {
        let now = Utc::now();
        let mut tx = self.db().begin().await?;
        let (state, error) = match outcome {
            Ok(()) => ("done", None),
            Err(reason) => ("failed", Some(reason)),
        };
        let closed = tx_run!(&mut tx, |conn| {
            sqlx::query(
                "UPDATE instance_actions SET state = $1, error = $2, finished_at = $3 \
                 WHERE id = $4 AND state IN ('pending', 'running')",
            )
            .bind(state)
            .bind(error)
            .bind(now)
            .bind(action_id)
            .execute(conn)
            .await
            .map(|done| done.rows_affected())
        })?;
        if closed == 0 {
            return Ok(());
        }
        let (event, level) = match error {
            None => ("action_done", "success"),
            Some(_) => ("action_failed", "error"),
        };
        let message = match error {
            None => kind.as_str().to_owned(),
            Some(reason) => format!("{kind}: {reason}"),
        };
        let line = HistoryLine {
            kind: event,
            level,
            message: Some(&message),
        };
        // The action's line is the history of the move it made, if it made one.
        let mut told = false;
        if let Some(Settled {
            current,
            image,
            root_password,
        }) = settled
        {
            let moved = transition(&mut tx, instance.id, current.status, line).await?;
            told = moved.made();
            // A server terminated while the action ran keeps what it had.
            if !matches!(moved, Move::Refused { .. }) {
                // A new password is shown to its owner once more; none keeps the old one.
                tx_run!(&mut tx, |conn| {
                    sqlx::query(
                        "UPDATE instances SET provider_status = $1, \
                         ipv4 = COALESCE($2, ipv4), ipv6 = COALESCE($3, ipv6), updated_at = $4, \
                         image_slug = COALESCE($5, image_slug), \
                         root_password = COALESCE($6, root_password), \
                         password_revealed_at = CASE WHEN CAST($6 AS TEXT) IS NULL \
                             THEN password_revealed_at ELSE NULL END \
                         WHERE id = $7",
                    )
                    .bind(&current.provider_status)
                    .bind(&current.ipv4)
                    .bind(&current.ipv6)
                    .bind(now)
                    .bind(image)
                    .bind(root_password)
                    .bind(instance.id)
                    .execute(conn)
                    .await
                    .map(|_| ())
                })?;
            }
        }
        if !told {
            record_event(&mut tx, instance.id, line.kind, line.level, line.message).await?;
        }
        // The owner hears of what they asked for; what the platform did (a suspension's
        // power-off) is told by the order's own notice.
        let requested_by: Option<i64> = tx_run!(&mut tx, |conn| {
            sqlx::query_scalar("SELECT requested_by FROM instance_actions WHERE id = $1")
                .bind(action_id)
                .fetch_one(conn)
                .await
        })?;
        if requested_by.is_some() {
            let notice = match error {
                None => Notice::action_done(instance.id, &instance.hostname, kind),
                Some(reason) => {
                    Notice::action_failed(instance.id, &instance.hostname, kind, reason)
                }
            };
            notifications::notify(&mut tx, instance.user_id, &notice).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Compares every live server with its provider, so a change made outside the platform (a
    /// reboot from the provider's panel, a deletion) shows up here.
    pub async fn sync_statuses(&self) -> Result<usize, WorkError> {
        let ids: Vec<i64> = db_run!(self.db(), |pool| {
            sqlx::query_scalar(
                "SELECT i.id FROM instances i WHERE i.provider_instance_id IS NOT NULL \
                 AND i.status IN ('running', 'stopped', 'error', 'deleting') \
                 AND NOT EXISTS (SELECT 1 FROM instance_actions a WHERE a.instance_id = i.id \
                     AND a.state IN ('pending', 'running')) \
                 AND NOT EXISTS (SELECT 1 FROM resizes r WHERE r.instance_id = i.id \
                     AND r.status IN ('queued', 'stopping', 'resizing', 'starting')) ORDER BY i.id",
            )
            .fetch_all(pool)
            .await
        })?;
        let mut changed = 0;
        for id in ids {
            let instance = self.by_id(id).await?;
            let (Some(provider_id), Ok(provider)) = (
                instance.provider_instance_id.clone(),
                self.provider(&instance.provider),
            ) else {
                continue;
            };
            let (status, provider_status, ipv4, ipv6) = match provider
                .get_instance(&provider_id)
                .await
            {
                Ok(current) => (
                    current.status,
                    Some(current.provider_status),
                    current.ipv4,
                    current.ipv6,
                ),
                Err(ProviderError::NotFound) => (Lifecycle::Deleted, None, None, None),
                Err(error) => {
                    tracing::warn!(instance_id = id, %error, "status sync could not read the server");
                    continue;
                }
            };
            // The table keeps a failed server failed unless the provider says it runs, and a
            // server being deleted on its way out.
            if !instance.status.can_become(status) {
                continue;
            }
            let mut tx = self.db().begin().await?;
            let message = format!("{} → {status}", instance.status);
            let line = HistoryLine {
                kind: "status_changed",
                level: "info",
                message: Some(&message),
            };
            if !transition(&mut tx, id, status, line).await?.made() {
                continue;
            }
            tx_run!(&mut tx, |conn| {
                sqlx::query(
                    "UPDATE instances SET provider_status = $1, ipv4 = COALESCE($2, ipv4), \
                     ipv6 = COALESCE($3, ipv6) WHERE id = $4",
                )
                .bind(&provider_status)
                .bind(&ipv4)
                .bind(&ipv6)
                .bind(id)
                .execute(conn)
                .await
                .map(|_| ())
            })?;
            tx.commit().await?;
            changed += 1;
        }
        Ok(changed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polling_slows_down_to_thirty_seconds() {
        assert_eq!(poll_interval(Duration::seconds(0)), Duration::seconds(2));
        assert_eq!(poll_interval(Duration::seconds(20)), Duration::seconds(10));
        assert_eq!(poll_interval(Duration::minutes(10)), Duration::seconds(30));
    }
}
