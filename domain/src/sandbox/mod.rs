//! The `sandbox` cloud: a provider simulated in our own database, so a fresh installation runs
//! the whole flow (catalog, provisioning, every action) with no account anywhere. It keeps the
//! shape of a real cloud: a create takes some seconds, actions finish asynchronously, one action
//! runs at a time, a deleted server is gone (404), and addresses come from the documentation
//! ranges (RFC 5737 / RFC 3849), which route nowhere. The image `sandbox-broken` always fails to
//! boot, to show what a failed provisioning looks like.
//!
//! Its console is real: each running server gets its own VNC server on loopback
//! ([`SandboxScreens`]), which our console proxy relays like any hypervisor's screen. With QEMU
//! and the guest of `scripts/sandbox-vm/build` installed it is a tiny real VM booting to a login
//! prompt that takes the server's root password; otherwise a small built-in screen draws a boot
//! log and a login prompt. A server that is powered off, shut down, rebooted, rebuilt, given a
//! new root password (a power cycle, as on DigitalOcean), resized or deleted loses its screen
//! (and its viewers); the next console boots a fresh one.
//!
//! Like a real cloud, the sandbox keeps a root password only as it goes into the server's image:
//! a SHA-512 crypt hash (`root_password_hash`), which the VM's guest writes to /etc/shadow.
//!
//! Everything of the sandbox lives here: this module is the cloud, [`screen`] its screens
//! (which server has which, and the built-in one), [`vm`] the QEMU VMs that replace the
//! built-in screen when installed. Each depends only on the ones after it.

mod endpoint;
pub mod screen;
pub mod vm;

use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};

use crate::providers::{
    Action, ActionHandle, ActionKind, ActionProgress, Capabilities, CloudProvider, ConsoleAccess,
    ConsoleKind, CreateInstance, CreatedInstance, Lifecycle, ProviderError, ProviderImage,
    ProviderInstance, ProviderRegion, ProviderSize,
};
use crate::{Db, DbError, db_run, tx_run};
use screen::SandboxScreens;
use vm::hash_root_password;

pub const NAME: &str = "sandbox";
pub const BROKEN_IMAGE: &str = model::catalog::SANDBOX_FAILING_IMAGE;

/// How long simulated work takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SandboxTiming {
    pub create: StdDuration,
    pub action: StdDuration,
}

impl Default for SandboxTiming {
    fn default() -> Self {
        Self {
            create: StdDuration::from_secs(8),
            action: StdDuration::from_secs(3),
        }
    }
}

#[derive(Clone, Debug)]
pub struct SandboxProvider {
    db: Db,
    timing: SandboxTiming,
    screens: SandboxScreens,
}

const REGIONS: [(&str, &str, &str); 3] = [
    ("sbx-jkt1", "Sandbox Jakarta 1", "ID"),
    ("sbx-sgp1", "Sandbox Singapore 1", "SG"),
    ("sbx-tyo1", "Sandbox Tokyo 1", "JP"),
];

struct SandboxSize {
    slug: &'static str,
    vcpus: i64,
    memory_mb: i64,
    disk_gb: i64,
    transfer_gb: i64,
    cost_cents_monthly: i64,
    regions: &'static [&'static str],
}

const fn size(
    slug: &'static str,
    (vcpus, memory_mb, disk_gb, transfer_gb): (i64, i64, i64, i64),
    cost_cents_monthly: i64,
    regions: &'static [&'static str],
) -> SandboxSize {
    SandboxSize {
        slug,
        vcpus,
        memory_mb,
        disk_gb,
        transfer_gb,
        cost_cents_monthly,
        regions,
    }
}

const ALL_REGIONS: &[&str] = &["sbx-jkt1", "sbx-sgp1", "sbx-tyo1"];

/// One size is not sold everywhere, so "a size only where its provider offers it" shows.
const SIZES: [SandboxSize; 4] = [
    size("sbx-1c-1g", (1, 1024, 25, 1000), 600, ALL_REGIONS),
    size("sbx-2c-2g", (2, 2048, 50, 2000), 1200, ALL_REGIONS),
    size(
        "sbx-2c-4g",
        (2, 4096, 80, 4000),
        2400,
        &["sbx-jkt1", "sbx-sgp1"],
    ),
    size("sbx-4c-8g", (4, 8192, 160, 5000), 4800, &["sbx-sgp1"]),
];

const IMAGES: [(&str, &str, &str); 5] = [
    ("ubuntu-24-04-x64", "Ubuntu 24.04 LTS", "ubuntu"),
    ("debian-12-x64", "Debian 12", "debian"),
    ("almalinux-9-x64", "AlmaLinux 9", "almalinux"),
    ("rockylinux-9-x64", "Rocky Linux 9", "rocky"),
    (BROKEN_IMAGE, "Broken image (always fails)", "unknown"),
];

#[derive(Debug, sqlx::FromRow)]
struct ServerRow {
    id: i64,
    label: String,
    /// What the customer named it, shown on its screen (servers made before it was kept have
    /// their label there instead).
    hostname: Option<String>,
    region: String,
    size: String,
    image: String,
    status: String,
    target_status: Option<String>,
    action_id: Option<i64>,
    failure: Option<String>,
    ipv4: Option<String>,
    ipv6: Option<String>,
    /// Root's password as SHA-512 crypt; NULL when the server has only SSH keys.
    root_password_hash: Option<String>,
}

const COLUMNS: &str = "id, label, hostname, region, size, image, status, target_status, action_id, \
     failure, ipv4, ipv6, root_password_hash";

impl SandboxProvider {
    /// `screens` is where consoles come from: [`SandboxScreens::default`] draws them,
    /// [`SandboxScreens::with_vms`] boots a VM per running server.
    pub fn new(db: Db, timing: SandboxTiming, screens: SandboxScreens) -> Self {
        Self {
            db,
            timing,
            screens,
        }
    }

    fn after(&self, wait: StdDuration) -> DateTime<Utc> {
        Utc::now() + Duration::from_std(wait).unwrap_or_else(|_| Duration::seconds(1))
    }

    /// Applies every change whose time has come; cheap, and it keeps reads free of timers.
    async fn settle(&self) -> Result<(), sqlx::Error> {
        let settled: Vec<(i64, String, Option<String>)> = db_run!(&self.db, |pool| {
            sqlx::query_as(
                "UPDATE sandbox_servers SET status = target_status, target_status = NULL, \
                 settles_at = NULL WHERE target_status IS NOT NULL AND settles_at <= $1 \
                 RETURNING id, status, action_kind",
            )
            .bind(Utc::now())
            .fetch_all(pool)
            .await
        })?;
        // A screen goes when its machine goes down, so whoever watches it sees the end, and the
        // next console shows a fresh boot. Settling is where that happens: every read settles.
        // A new root password goes into the image at a power cycle, as on DigitalOcean, and a
        // resized server restarts on its new size, as on Vultr and Linode.
        for (id, status, kind) in settled {
            let restarted = matches!(
                kind.as_deref(),
                Some("reboot" | "rebuild" | "reset_password" | "resize")
            );
            if status != "running" || restarted {
                self.screens.close(&screen_key(id));
            }
        }
        Ok(())
    }

    async fn row(&self, id: &str) -> Result<ServerRow, ProviderError> {
        let number = parse_id(id)?;
        self.settle().await.map_err(unavailable)?;
        let sql = format!("SELECT {COLUMNS} FROM sandbox_servers WHERE id = $1");
        let row = db_run!(&self.db, |pool| {
            sqlx::query_as::<_, ServerRow>(sqlx::AssertSqlSafe(sql.clone()))
                .bind(number)
                .fetch_optional(pool)
                .await
        })
        .map_err(unavailable)?;
        match row {
            Some(row) if row.status != "deleted" => Ok(row),
            _ => Err(ProviderError::NotFound),
        }
    }

    /// Starts the change `kind` (an action's name, or `resize`): the server shows `now` until
    /// the change settles into `then`, and has `image` and `size` from now on. A `password` of
    /// `Some` replaces root's password hash (`Some(None)`: no password).
    async fn begin(
        &self,
        row: &ServerRow,
        (now, then): (&str, &str),
        kind: &str,
        (image, size): (&str, &str),
        password: Option<Option<String>>,
    ) -> Result<ActionHandle, ProviderError> {
        let action_id = Utc::now().timestamp_micros();
        let (replace_password, password_hash) = match password {
            Some(hash) => (true, hash),
            None => (false, None),
        };
        // Only a server with nothing in progress changes: one action at a time, as on real clouds.
        let changed = db_run!(&self.db, |pool| {
            sqlx::query(
                "UPDATE sandbox_servers SET status = $1, target_status = $2, settles_at = $3, \
                 action_id = $4, action_kind = $5, image = $6, size = $7, root_password_hash = \
                 CASE WHEN $8 THEN $9 ELSE root_password_hash END \
                 WHERE id = $10 AND target_status IS NULL",
            )
            .bind(now)
            .bind(then)
            .bind(self.after(self.timing.action))
            .bind(action_id)
            .bind(kind)
            .bind(image)
            .bind(size)
            .bind(replace_password)
            .bind(password_hash.as_deref())
            .bind(row.id)
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
        })
        .map_err(unavailable)?;
        if changed == 1 {
            Ok(ActionHandle {
                id: Some(action_id.to_string()),
                generated_password: None,
            })
        } else {
            Err(ProviderError::Busy)
        }
    }

    /// Where the change behind `handle` stands.
    async fn progress(
        &self,
        id: &str,
        handle: &ActionHandle,
    ) -> Result<ActionProgress, ProviderError> {
        let row = self.row(id).await?;
        let this_action = handle.id.as_deref() == row.action_id.map(|n| n.to_string()).as_deref();
        if !this_action {
            return Err(ProviderError::Invalid(
                "no such action on this server".to_owned(),
            ));
        }
        Ok(if row.target_status.is_some() {
            ActionProgress::InProgress
        } else if row.status == "failed" {
            ActionProgress::Failed(
                row.failure
                    .unwrap_or_else(|| "the action failed".to_owned()),
            )
        } else {
            ActionProgress::Done
        })
    }
}

fn unavailable(error: sqlx::Error) -> ProviderError {
    ProviderError::Unavailable(error.to_string())
}

fn db_unavailable(error: DbError) -> ProviderError {
    ProviderError::Unavailable(error.to_string())
}

/// What the server's image keeps of a root password.
fn password_hash(password: &str) -> Result<String, ProviderError> {
    hash_root_password(password)
        .map_err(|error| ProviderError::Unavailable(format!("hashing the root password: {error}")))
}

fn parse_id(id: &str) -> Result<i64, ProviderError> {
    id.strip_prefix("sbx-")
        .and_then(|number| number.parse().ok())
        .ok_or(ProviderError::NotFound)
}

/// The n-th server's addresses, from the three IPv4 documentation networks and 2001:db8::/32.
fn addresses(id: i64) -> (String, String) {
    const NETWORKS: [&str; 3] = ["192.0.2", "198.51.100", "203.0.113"];
    let index = (id - 1).rem_euclid(254 * 3);
    let network = NETWORKS[usize::try_from(index / 254).unwrap_or(0)];
    (
        format!("{network}.{}", index % 254 + 1),
        format!("2001:db8:5b::{id:x}"),
    )
}

/// The screen of server number `id`, whatever spelling of its id a caller used.
fn screen_key(id: i64) -> String {
    format!("sbx-{id}")
}

/// The size `slug`, if it is sold in `region`.
fn offered_size(slug: &str, region: &str) -> Result<&'static SandboxSize, ProviderError> {
    let size = SIZES
        .iter()
        .find(|size| size.slug == slug)
        .ok_or_else(|| ProviderError::Invalid(format!("unknown size `{slug}`")))?;
    if size.regions.contains(&region) {
        Ok(size)
    } else {
        Err(ProviderError::Invalid(format!(
            "size `{slug}` is not offered in region `{region}`"
        )))
    }
}

/// Refuses a change while another one runs, or while the server is neither running nor
/// stopped: one action at a time, as on real clouds.
fn must_be_settled(row: &ServerRow) -> Result<(), ProviderError> {
    if row.target_status.is_some() {
        return Err(ProviderError::Busy);
    }
    if row.status == "running" || row.status == "stopped" {
        Ok(())
    } else {
        Err(ProviderError::Invalid(format!(
            "the server is {}; wait until it is running or stopped",
            row.status
        )))
    }
}

/// Refuses a console on a server that is not up (rebooting and stopping servers still are).
fn must_be_running(row: &ServerRow) -> Result<(), ProviderError> {
    if lifecycle(&row.status) == Lifecycle::Running {
        Ok(())
    } else {
        Err(ProviderError::Invalid(format!(
            "the server is not running (it is {})",
            row.status
        )))
    }
}

fn lifecycle(status: &str) -> Lifecycle {
    match status {
        // Busy at the provider: a resize restarts the server on its new size.
        "building" | "rebuilding" | "resizing" => Lifecycle::Provisioning,
        "running" | "rebooting" | "stopping" => Lifecycle::Running,
        "stopped" | "starting" => Lifecycle::Stopped,
        "deleting" => Lifecycle::Deleting,
        "deleted" => Lifecycle::Deleted,
        _ => Lifecycle::Error,
    }
}

impl ServerRow {
    fn instance(&self) -> ProviderInstance {
        ProviderInstance {
            id: format!("sbx-{}", self.id),
            label: self.label.clone(),
            status: lifecycle(&self.status),
            provider_status: self.status.clone(),
            size: self.size.clone(),
            ipv4: self.ipv4.clone(),
            ipv6: self.ipv6.clone(),
            message: self.failure.clone().filter(|_| self.status == "failed"),
        }
    }
}

#[async_trait::async_trait]
impl CloudProvider for SandboxProvider {
    fn name(&self) -> &'static str {
        NAME
    }

    fn creation_takes(&self) -> Option<std::time::Duration> {
        Some(self.timing.create)
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            graceful_shutdown: true,
            password_reset: true,
            password_reset_needs_stop: false,
            rebuild: true,
            accepts_root_password: true,
            rebuild_sets_password: true,
            resize: true,
            resize_down: true,
            resize_needs_power_off: false,
            console: ConsoleKind::VncProxy,
        }
    }

    async fn list_regions(&self) -> Result<Vec<ProviderRegion>, ProviderError> {
        Ok(REGIONS
            .iter()
            .map(|&(slug, name, country)| ProviderRegion {
                slug: slug.to_owned(),
                name: name.to_owned(),
                country: Some(country.to_owned()),
                available: true,
            })
            .collect())
    }

    async fn list_sizes(&self) -> Result<Vec<ProviderSize>, ProviderError> {
        Ok(SIZES
            .iter()
            .map(|size| ProviderSize {
                slug: size.slug.to_owned(),
                vcpus: size.vcpus,
                memory_mb: size.memory_mb,
                disk_gb: size.disk_gb,
                transfer_gb: size.transfer_gb,
                cost_cents_monthly: size.cost_cents_monthly,
                regions: size
                    .regions
                    .iter()
                    .map(|&region| region.to_owned())
                    .collect(),
                available: true,
            })
            .collect())
    }

    async fn list_images(&self) -> Result<Vec<ProviderImage>, ProviderError> {
        Ok(IMAGES
            .iter()
            .map(|&(slug, name, distribution)| ProviderImage {
                slug: slug.to_owned(),
                name: name.to_owned(),
                distribution: distribution.to_owned(),
                min_disk_gb: Some(10),
            })
            .collect())
    }

    async fn create_instance(
        &self,
        request: &CreateInstance,
    ) -> Result<CreatedInstance, ProviderError> {
        offered_size(&request.size, &request.region)?;
        if !IMAGES.iter().any(|image| image.0 == request.image) {
            return Err(ProviderError::Invalid(format!(
                "unknown image `{}`",
                request.image
            )));
        }
        if request.root_password.is_none() && request.ssh_keys.is_empty() {
            return Err(ProviderError::Invalid(
                "a root password or an SSH key is required".to_owned(),
            ));
        }
        let (target, failure) = if request.image == BROKEN_IMAGE {
            (
                "failed",
                Some("the image did not boot (sandbox: this image always fails)"),
            )
        } else {
            ("running", None)
        };
        let ssh_keys = i64::try_from(request.ssh_keys.len()).unwrap_or(i64::MAX);
        let root_password_hash = request
            .root_password
            .as_deref()
            .map(password_hash)
            .transpose()?;
        // The server and its addresses are written together: a crash between two statements
        // would leave a server that never gets an address, and its provisioning waiting for one.
        let mut tx = self.db.begin().await.map_err(db_unavailable)?;
        let inserted = tx_run!(&mut tx, |conn| {
            sqlx::query_scalar::<_, i64>(
                "INSERT INTO sandbox_servers (label, region, size, image, status, target_status, \
                 settles_at, failure, ssh_keys, created_at, hostname, root_password_hash) \
                 VALUES ($1, $2, $3, $4, 'building', $5, $6, $7, $8, $9, $10, $11) \
                 ON CONFLICT (label) DO NOTHING RETURNING id",
            )
            .bind(&request.label)
            .bind(&request.region)
            .bind(&request.size)
            .bind(&request.image)
            .bind(target)
            .bind(self.after(self.timing.create))
            .bind(failure)
            .bind(ssh_keys)
            .bind(Utc::now())
            .bind(&request.hostname)
            .bind(root_password_hash.as_deref())
            .fetch_optional(conn)
            .await
        })
        .map_err(unavailable)?;
        let Some(id) = inserted else {
            return Err(ProviderError::Invalid(format!(
                "a server labelled `{}` already exists",
                request.label
            )));
        };
        let (ipv4, ipv6) = addresses(id);
        tx_run!(&mut tx, |conn| {
            sqlx::query("UPDATE sandbox_servers SET ipv4 = $1, ipv6 = $2 WHERE id = $3")
                .bind(&ipv4)
                .bind(&ipv6)
                .bind(id)
                .execute(conn)
                .await
                .map(|_| ())
        })
        .map_err(unavailable)?;
        tx.commit().await.map_err(db_unavailable)?;
        let instance = self.get_instance(&format!("sbx-{id}")).await?;
        Ok(CreatedInstance {
            instance,
            generated_password: None,
        })
    }

    async fn find_by_label(&self, label: &str) -> Result<Option<ProviderInstance>, ProviderError> {
        self.settle().await.map_err(unavailable)?;
        let sql = format!(
            "SELECT {COLUMNS} FROM sandbox_servers WHERE label = $1 AND status <> 'deleted'"
        );
        let row = db_run!(&self.db, |pool| {
            sqlx::query_as::<_, ServerRow>(sqlx::AssertSqlSafe(sql.clone()))
                .bind(label)
                .fetch_optional(pool)
                .await
        })
        .map_err(unavailable)?;
        Ok(row.map(|row| row.instance()))
    }

    async fn get_instance(&self, id: &str) -> Result<ProviderInstance, ProviderError> {
        Ok(self.row(id).await?.instance())
    }

    async fn delete_instance(&self, id: &str) -> Result<(), ProviderError> {
        let row = match self.row(id).await {
            Ok(row) => row,
            Err(ProviderError::NotFound) => return Ok(()),
            Err(error) => return Err(error),
        };
        // Deleting wins over whatever was in progress, as it does on real clouds.
        let deleting = db_run!(&self.db, |pool| {
            sqlx::query(
                "UPDATE sandbox_servers SET status = 'deleting', target_status = 'deleted', \
                 settles_at = $1, label = label || '#deleted-' || CAST(id AS TEXT) WHERE id = $2",
            )
            .bind(self.after(self.timing.action))
            .bind(row.id)
            .execute(pool)
            .await
            .map(|_| ())
        })
        .map_err(unavailable);
        // Not left for settling: a deleted server may never be read again, and its listener
        // would stay open.
        self.screens.close(&screen_key(row.id));
        deleting
    }

    async fn perform_action(
        &self,
        id: &str,
        action: &Action,
    ) -> Result<ActionHandle, ProviderError> {
        let row = self.row(id).await?;
        must_be_settled(&row)?;
        let running = row.status == "running";
        let same = row.image.as_str();
        // The root password hash, for the actions that set one (a rebuild without a password
        // leaves an image with SSH keys only).
        let (now, then, image, password) = match action {
            Action::PowerOn if running => ("running", "running", same, None),
            Action::PowerOn => ("starting", "running", same, None),
            Action::PowerOff | Action::Shutdown if running => ("stopping", "stopped", same, None),
            Action::PowerOff | Action::Shutdown => ("stopped", "stopped", same, None),
            Action::Reboot => ("rebooting", "running", same, None),
            Action::ResetPassword { password } => {
                if password.len() < 12 {
                    return Err(ProviderError::Invalid(
                        "the root password must have at least 12 characters".to_owned(),
                    ));
                }
                let hash = password_hash(password)?;
                (
                    row.status.as_str(),
                    row.status.as_str(),
                    same,
                    Some(Some(hash)),
                )
            }
            Action::Rebuild {
                image, password, ..
            } => {
                if !IMAGES.iter().any(|known| known.0 == image) {
                    return Err(ProviderError::Invalid(format!("unknown image `{image}`")));
                }
                let hash = password.as_deref().map(password_hash).transpose()?;
                ("rebuilding", "running", image.as_str(), Some(hash))
            }
        };
        let kind = action.kind().as_str();
        self.begin(&row, (now, then), kind, (image, &row.size), password)
            .await
    }

    async fn action_progress(
        &self,
        id: &str,
        _kind: ActionKind,
        handle: &ActionHandle,
    ) -> Result<ActionProgress, ProviderError> {
        self.progress(id, handle).await
    }

    async fn resize(&self, id: &str, size: &str) -> Result<ActionHandle, ProviderError> {
        let row = self.row(id).await?;
        must_be_settled(&row)?;
        offered_size(size, &row.region)?;
        // A running server restarts on its new size; a stopped one stays off.
        let (now, then) = if row.status == "running" {
            ("resizing", "running")
        } else {
            ("stopped", "stopped")
        };
        self.begin(&row, (now, then), "resize", (&row.image, size), None)
            .await
    }

    async fn resize_progress(
        &self,
        id: &str,
        _size: &str,
        handle: &ActionHandle,
    ) -> Result<ActionProgress, ProviderError> {
        self.progress(id, handle).await
    }

    async fn console(&self, id: &str) -> Result<ConsoleAccess, ProviderError> {
        let row = self.row(id).await?;
        must_be_running(&row)?;
        let key = screen_key(row.id);
        let endpoint = self
            .screens
            .open(
                &key,
                row.hostname.as_deref().unwrap_or(&row.label),
                row.root_password_hash.as_deref(),
            )
            .await
            .map_err(|error| ProviderError::Unavailable(format!("the screen: {error}")))?;
        // The server may have gone down between the read and the open, settled by someone else
        // whose close came before our open: look again so no screen outlives its server.
        match self.row(id).await.and_then(|row| must_be_running(&row)) {
            Ok(()) => Ok(ConsoleAccess::Vnc {
                host: "127.0.0.1".to_owned(),
                port: endpoint.port,
                password: Some(endpoint.password),
            }),
            Err(error) => {
                self.screens.close(&key);
                Err(error)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_come_from_documentation_ranges() {
        assert_eq!(addresses(1).0, "192.0.2.1");
        assert_eq!(addresses(254).0, "192.0.2.254");
        assert_eq!(addresses(255).0, "198.51.100.1");
        assert_eq!(addresses(763).0, "192.0.2.1");
        assert_eq!(addresses(255).1, "2001:db8:5b::ff");
    }

    #[test]
    fn statuses_map_onto_the_lifecycle() {
        assert_eq!(lifecycle("building"), Lifecycle::Provisioning);
        assert_eq!(lifecycle("resizing"), Lifecycle::Provisioning);
        assert_eq!(lifecycle("stopping"), Lifecycle::Running);
        assert_eq!(lifecycle("starting"), Lifecycle::Stopped);
        assert_eq!(lifecycle("failed"), Lifecycle::Error);
        assert_eq!(lifecycle("deleted"), Lifecycle::Deleted);
    }

    crate::both_backends! {
        async fn a_resize_changes_the_reported_size(test: TestDb) {
            let timing = SandboxTiming {
                create: StdDuration::ZERO,
                action: StdDuration::from_millis(300),
            };
            let sandbox = SandboxProvider::new(test.db.clone(), timing, SandboxScreens::default());
            let request = CreateInstance {
                label: "wr-resize-1".to_owned(),
                hostname: "shop.customer.test".to_owned(),
                region: "sbx-jkt1".to_owned(),
                size: "sbx-1c-1g".to_owned(),
                image: "debian-12-x64".to_owned(),
                root_password: Some("Kp7qRt2vXw9yZa3bCd4e".to_owned()),
                ssh_keys: Vec::new(),
            };
            let created = sandbox.create_instance(&request).await.unwrap();
            let id = created.instance.id;
            assert_eq!(created.instance.size, "sbx-1c-1g");

            // Only to a size sold where the server is.
            for size in ["sbx-4c-8g", "sbx-64c-1t"] {
                assert!(matches!(
                    sandbox.resize(&id, size).await,
                    Err(ProviderError::Invalid(_))
                ));
            }

            let handle = sandbox.resize(&id, "sbx-2c-4g").await.unwrap();
            let resizing = sandbox.get_instance(&id).await.unwrap();
            assert_eq!(resizing.provider_status, "resizing");
            assert_eq!(
                sandbox.resize_progress(&id, "sbx-2c-4g", &handle).await,
                Ok(ActionProgress::InProgress)
            );
            assert_eq!(
                sandbox.resize(&id, "sbx-2c-2g").await,
                Err(ProviderError::Busy)
            );
            tokio::time::sleep(timing.action).await;
            assert_eq!(
                sandbox.resize_progress(&id, "sbx-2c-4g", &handle).await,
                Ok(ActionProgress::Done)
            );
            let resized = sandbox.get_instance(&id).await.unwrap();
            assert_eq!(
                (resized.size.as_str(), resized.provider_status.as_str()),
                ("sbx-2c-4g", "running")
            );

            // Back down while off: it stays off.
            sandbox.perform_action(&id, &Action::PowerOff).await.unwrap();
            tokio::time::sleep(timing.action).await;
            let handle = sandbox.resize(&id, "sbx-1c-1g").await.unwrap();
            tokio::time::sleep(timing.action).await;
            assert_eq!(
                sandbox.resize_progress(&id, "sbx-1c-1g", &handle).await,
                Ok(ActionProgress::Done)
            );
            let resized = sandbox.get_instance(&id).await.unwrap();
            assert_eq!(
                (resized.size.as_str(), resized.status),
                ("sbx-1c-1g", Lifecycle::Stopped)
            );
        }
    }
}
