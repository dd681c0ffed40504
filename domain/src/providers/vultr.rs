//! Vultr, through its v2 API (`../shared/provider-apis/vultr`).
//!
//! What Vultr does its own way, and how this adapter deals with it:
//! - We cannot choose the root password: Vultr picks one and returns it, as `default_password`,
//!   only in the create answer. It goes back as [`CreatedInstance::generated_password`] and is
//!   never asked for again (later reads do not carry it).
//! - There is no graceful shutdown (only `halt`, a hard power off) and no password reset.
//! - A rebuild with another image is a `PATCH /instances/{id}` with a new `os_id`: the
//!   `reinstall` call only reinstalls the image the server already runs. Neither answer is
//!   documented to carry a new `default_password` (and users report that a reinstall does not
//!   give one), so a rebuild claims no password; the customer's SSH keys go with it as new
//!   cloud-init `user_data`.
//! - Power actions answer 204 with no body, and there are no action ids: an action is followed
//!   by watching the server's `status`, `power_status` and `server_status` until they show it
//!   done.
//! - A resize is a `PATCH /instances/{id}` with a new `plan`, which only goes up; Vultr restarts
//!   the server itself. It is done once the server is on the new plan and running again.
//! - A new server reports `main_ip` `0.0.0.0` until its address is assigned; that is no address.
//! - Our unique label is the instance's `label` (and its tag), which is how a create whose
//!   answer was lost is found (`GET /instances?label=…`) instead of being sent twice.

use std::num::NonZeroU32;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use governor::Quota;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::json;

use super::http::ApiClient;
use super::{
    Action, ActionHandle, ActionKind, ActionProgress, Capabilities, CloudProvider, ConsoleAccess,
    ConsoleKind, CreateInstance, CreatedInstance, Lifecycle, ProviderError, ProviderImage,
    ProviderInstance, ProviderRegion, ProviderSize, SshPublicKey,
};
use crate::http_retry::HttpSettings;

pub const NAME: &str = "vultr";
pub const DEFAULT_API_URL: &str = "https://api.vultr.com/v2";

/// The most a page may hold.
const PER_PAGE: &str = "500";
/// A guard against a `next` cursor that never ends.
const MAX_PAGES: usize = 100;
/// How long after a rebuild or a plan change was accepted a server that still looks finished is
/// taken for one that has not started on it yet (Vultr: "may take a few extra seconds"; the
/// answer to a plan change already names the new plan while the server still runs on the old).
const CHANGE_SETTLE: Duration = Duration::from_secs(20);
/// The prefix of the handle id that records when a rebuild or plan change was accepted.
const ACCEPTED_AT: &str = "accepted-at:";

/// Vultr answers 429 above 30 requests a second from one IP address. A bucket of 10 refilled at
/// 15 a second never sends more than 25 in any second, which leaves room for other clients on
/// the same address.
fn quota() -> Quota {
    let per_second = NonZeroU32::new(15).unwrap_or(NonZeroU32::MIN);
    let burst = NonZeroU32::new(10).unwrap_or(NonZeroU32::MIN);
    Quota::per_second(per_second).allow_burst(burst)
}

/// Error bodies are `{"error": "…", "status": 404}`.
fn error_message(body: &str) -> Option<String> {
    #[derive(Deserialize)]
    struct ErrorBody {
        error: String,
        status: Option<u16>,
    }
    let body = serde_json::from_str::<ErrorBody>(body).ok()?;
    if body.error.trim().is_empty() {
        return None;
    }
    // A 403 "Invalid API key" usually means the key is limited to addresses ours is not in.
    Some(if body.status == Some(403) {
        format!(
            "{}; Vultr API keys can be limited to certain IP addresses, and this server's \
             address may not be allowed",
            body.error
        )
    } else {
        body.error
    })
}

#[derive(Clone, Debug)]
pub struct VultrProvider {
    api: ApiClient,
}

impl VultrProvider {
    /// `base_url` replaces `https://api.vultr.com/v2` (a proxy, or a mock server in tests); it
    /// includes the `/v2`.
    pub fn new(api_key: String, base_url: Option<String>) -> Result<Self, ProviderError> {
        Self::with_settings(api_key, base_url, HttpSettings::default())
    }

    pub fn with_settings(
        api_key: String,
        base_url: Option<String>,
        settings: HttpSettings,
    ) -> Result<Self, ProviderError> {
        let base_url = base_url.unwrap_or_else(|| DEFAULT_API_URL.to_owned());
        let api = ApiClient::new(NAME, api_key, &base_url, quota(), settings, error_message)?;
        Ok(Self { api })
    }

    /// Every item of a collection, passing `meta.links.next` back as `cursor` until it is empty.
    async fn collect<T: DeserializeOwned>(
        &self,
        path: &str,
        key: &str,
        filters: &[(&str, &str)],
    ) -> Result<Vec<T>, ProviderError> {
        let base: Vec<(String, String)> = filters
            .iter()
            .map(|&(name, value)| (name.to_owned(), value.to_owned()))
            .chain([("per_page".to_owned(), PER_PAGE.to_owned())])
            .collect();
        let mut query = base.clone();
        let mut items = Vec::new();
        for _ in 0..MAX_PAGES {
            let mut page: serde_json::Value = self.api.get(path, &query).await?;
            let chunk: Vec<T> = serde_json::from_value(page[key].take())
                .map_err(|error| self.api.unreadable(error))?;
            items.extend(chunk);
            let next = page
                .pointer("/meta/links/next")
                .and_then(|next| next.as_str())
                .unwrap_or_default();
            if next.is_empty() {
                return Ok(items);
            }
            query = base.clone();
            query.push(("cursor".to_owned(), next.to_owned()));
        }
        Err(self.api.unreadable(format!(
            "{path} still had a next page after {MAX_PAGES} pages"
        )))
    }

    async fn instance(&self, id: &str) -> Result<Instance, ProviderError> {
        let id = instance_id(id)?;
        let found: InstanceEnvelope = self.api.get(&format!("/instances/{id}"), &[]).await?;
        Ok(found.instance)
    }
}

/// Instance ids are UUIDs; anything else cannot name an instance (and never reaches a URL).
fn instance_id(id: &str) -> Result<String, ProviderError> {
    uuid::Uuid::parse_str(id)
        .map(|id| id.hyphenated().to_string())
        .map_err(|_| ProviderError::NotFound)
}

/// Images are Vultr OS ids; the catalog keeps them as strings.
fn os_id(image: &str) -> Result<i64, ProviderError> {
    image
        .trim()
        .parse()
        .map_err(|_| ProviderError::Invalid(format!("`{image}` is not a Vultr OS id")))
}

#[derive(Deserialize)]
struct InstanceEnvelope {
    instance: Instance,
}

#[derive(Deserialize)]
struct Instance {
    id: String,
    #[serde(default)]
    label: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    power_status: String,
    #[serde(default)]
    server_status: String,
    #[serde(default)]
    plan: String,
    #[serde(default)]
    main_ip: String,
    #[serde(default)]
    v6_main_ip: String,
    #[serde(default)]
    v6_networks: Vec<V6Network>,
    #[serde(default)]
    kvm: String,
    /// Only in the create answer.
    default_password: Option<String>,
}

#[derive(Deserialize)]
struct V6Network {
    #[serde(default)]
    main_ip: String,
}

/// An address, unless it is empty or the `0.0.0.0` / `::` Vultr shows before one exists.
fn address(ip: &str) -> Option<String> {
    let ip = ip.trim();
    (!ip.is_empty() && ip != "0.0.0.0" && ip != "::").then(|| ip.to_owned())
}

/// The three status fields read together (`status` / `power_status` / `server_status`).
fn lifecycle(status: &str, power: &str, server: &str) -> Lifecycle {
    match (status, power, server) {
        ("pending", _, _) => Lifecycle::Provisioning,
        // Busy: reinstalling, booting or locked for an operation; or changing plan.
        ("active", _, "installingbooting" | "locked") | ("resizing", _, _) => {
            Lifecycle::Provisioning
        }
        ("active", "stopped", _) => Lifecycle::Stopped,
        ("active", "running", "ok") => Lifecycle::Running,
        // Powered on, but the OS is not reported up yet.
        ("active", "running", "none" | "") => Lifecycle::Provisioning,
        // `suspended` (billing) and anything undocumented.
        _ => Lifecycle::Error,
    }
}

impl Instance {
    fn provider_status(&self) -> String {
        format!(
            "{}/{}/{}",
            self.status, self.power_status, self.server_status
        )
    }

    fn into_instance(self) -> ProviderInstance {
        let status = lifecycle(&self.status, &self.power_status, &self.server_status);
        let provider_status = self.provider_status();
        let message = (status == Lifecycle::Error).then(|| {
            if self.status == "suspended" {
                "Vultr has suspended the server".to_owned()
            } else {
                format!("Vultr reports the unknown status `{provider_status}`")
            }
        });
        let ipv6 = address(&self.v6_main_ip).or_else(|| {
            self.v6_networks
                .iter()
                .find_map(|network| address(&network.main_ip))
        });
        ProviderInstance {
            id: self.id,
            label: self.label,
            status,
            provider_status,
            size: self.plan,
            ipv4: address(&self.main_ip),
            ipv6,
            message,
        }
    }
}

#[derive(Deserialize)]
struct Region {
    id: String,
    #[serde(default)]
    city: String,
    #[serde(default)]
    country: String,
}

#[derive(Deserialize)]
struct Plan {
    id: String,
    vcpu_count: i64,
    /// MB.
    ram: i64,
    /// GB.
    disk: i64,
    /// GB a month.
    bandwidth: i64,
    /// US dollars; documented as an integer, but small plans cost fractions of a dollar.
    monthly_cost: f64,
    #[serde(default)]
    locations: Vec<String>,
}

#[derive(Deserialize)]
struct Os {
    id: i64,
    name: String,
    #[serde(default)]
    family: String,
}

/// `/os` also lists entries that need something besides the OS id (an uploaded ISO, a snapshot,
/// a backup, a marketplace app); they cannot be offered as images.
const NOT_AN_IMAGE: [&str; 4] = ["iso", "snapshot", "backup", "application"];

/// The cloud-config that installs the customer's SSH keys for root, base64 encoded as Vultr's
/// `user_data` must be.
///
/// Vultr's own `sshkey_id` takes only keys registered in the reseller's account
/// (`POST /ssh-keys`); registering every customer's key there would mix them with the
/// reseller's own, need clean-up, and add calls before a create that must happen once. So the
/// keys travel in cloud-init with the create. The document is JSON, which is also YAML, so no
/// key needs YAML quoting.
fn user_data(ssh_keys: &[SshPublicKey]) -> String {
    let keys: Vec<&str> = ssh_keys.iter().map(|key| key.openssh.trim()).collect();
    let config = json!({
        // Root is the account the customer gets; keep it usable over SSH.
        "disable_root": false,
        "ssh_authorized_keys": keys,
    });
    let body = serde_json::to_string_pretty(&config).unwrap_or_default();
    base64::engine::general_purpose::STANDARD.encode(format!("#cloud-config\n{body}\n"))
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs())
        .unwrap_or(0)
}

/// The handle of a change followed by the server's state, noting when Vultr accepted it.
fn accepted_now() -> ActionHandle {
    ActionHandle {
        id: Some(format!("{ACCEPTED_AT}{}", unix_now())),
        generated_password: None,
    }
}

/// How long ago the action behind `handle` was accepted, when the handle says.
fn since_accepted(handle: &ActionHandle) -> Option<Duration> {
    let accepted: u64 = handle
        .id
        .as_deref()?
        .strip_prefix(ACCEPTED_AT)?
        .parse()
        .ok()?;
    Some(Duration::from_secs(unix_now().saturating_sub(accepted)))
}

/// Whether a server that looks finished has had time to start the change behind `handle`.
fn had_time_to_start(handle: &ActionHandle) -> bool {
    since_accepted(handle).is_none_or(|since| since >= CHANGE_SETTLE)
}

/// An action or resize that left the server broken or gone.
fn failed(current: &ProviderInstance) -> ActionProgress {
    ActionProgress::Failed(
        current
            .message
            .clone()
            .unwrap_or_else(|| format!("Vultr reports `{}`", current.provider_status)),
    )
}

/// Vultr refuses an action on a server that is busy with another with a 400 naming the lock.
fn busy_if_locked(error: ProviderError) -> ProviderError {
    match error {
        ProviderError::Invalid(message) if message.to_lowercase().contains("locked") => {
            ProviderError::Busy
        }
        other => other,
    }
}

#[async_trait::async_trait]
impl CloudProvider for VultrProvider {
    fn name(&self) -> &'static str {
        NAME
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            // Only `halt`, which cuts the power.
            graceful_shutdown: false,
            // No API for it; a rebuild is the way back in.
            password_reset: false,
            password_reset_needs_stop: false,
            rebuild: true,
            // Vultr picks the password and returns it once, in the create answer.
            accepts_root_password: false,
            // Neither a reinstall nor an OS change returns a new `default_password`.
            rebuild_sets_password: false,
            resize: true,
            // A plan change is an upgrade only.
            resize_down: false,
            // Vultr restarts the server itself.
            resize_needs_power_off: false,
            // `kvm`: a link to Vultr's noVNC page, carrying its own token.
            console: ConsoleKind::ProviderUrl,
        }
    }

    async fn list_regions(&self) -> Result<Vec<ProviderRegion>, ProviderError> {
        let regions: Vec<Region> = self.collect("/regions", "regions", &[]).await?;
        Ok(regions
            .into_iter()
            .map(|region| ProviderRegion {
                name: if region.city.is_empty() {
                    region.id.clone()
                } else {
                    region.city
                },
                slug: region.id,
                country: Some(region.country).filter(|country| !country.is_empty()),
                // Listed regions take orders; stock per plan is in `locations` of each plan.
                available: true,
            })
            .collect())
    }

    async fn list_sizes(&self) -> Result<Vec<ProviderSize>, ProviderError> {
        let plans: Vec<Plan> = self.collect("/plans", "plans", &[]).await?;
        Ok(plans
            .into_iter()
            .map(|plan| ProviderSize {
                slug: plan.id,
                vcpus: plan.vcpu_count,
                memory_mb: plan.ram,
                disk_gb: plan.disk,
                transfer_gb: plan.bandwidth,
                // `as` saturates on absurd values.
                cost_cents_monthly: (plan.monthly_cost * 100.0).round() as i64,
                available: !plan.locations.is_empty(),
                regions: plan.locations,
            })
            .collect())
    }

    async fn list_images(&self) -> Result<Vec<ProviderImage>, ProviderError> {
        let systems: Vec<Os> = self.collect("/os", "os", &[]).await?;
        Ok(systems
            .into_iter()
            .filter(|os| !NOT_AN_IMAGE.contains(&os.family.to_lowercase().as_str()))
            .map(|os| ProviderImage {
                slug: os.id.to_string(),
                name: os.name,
                distribution: if os.family.is_empty() {
                    "unknown".to_owned()
                } else {
                    os.family.to_lowercase()
                },
                min_disk_gb: None,
            })
            .collect())
    }

    async fn create_instance(
        &self,
        request: &CreateInstance,
    ) -> Result<CreatedInstance, ProviderError> {
        // `request.root_password` is never set for Vultr (it cannot take one), and is ignored.
        let body = json!({
            "region": request.region,
            "plan": request.size,
            "os_id": os_id(&request.image)?,
            "label": request.label,
            "hostname": request.hostname,
            "tags": [request.label],
            "user_data": user_data(&request.ssh_keys),
            "enable_ipv6": true,
            "backups": "disabled",
            "activation_email": false,
        });
        let created: InstanceEnvelope = self.api.post("/instances", &body).await?;
        let generated_password = created
            .instance
            .default_password
            .clone()
            .filter(|password| !password.is_empty());
        Ok(CreatedInstance {
            instance: created.instance.into_instance(),
            generated_password,
        })
    }

    async fn find_by_label(&self, label: &str) -> Result<Option<ProviderInstance>, ProviderError> {
        let found: Vec<Instance> = self
            .collect("/instances", "instances", &[("label", label)])
            .await?;
        Ok(found
            .into_iter()
            .find(|instance| instance.label == label)
            .map(Instance::into_instance))
    }

    async fn get_instance(&self, id: &str) -> Result<ProviderInstance, ProviderError> {
        Ok(self.instance(id).await?.into_instance())
    }

    async fn delete_instance(&self, id: &str) -> Result<(), ProviderError> {
        let id = match instance_id(id) {
            Ok(id) => id,
            Err(ProviderError::NotFound) => return Ok(()),
            Err(error) => return Err(error),
        };
        match self.api.delete(&format!("/instances/{id}")).await {
            Ok(()) | Err(ProviderError::NotFound) => Ok(()),
            Err(error) => Err(error),
        }
    }

    async fn perform_action(
        &self,
        id: &str,
        action: &Action,
    ) -> Result<ActionHandle, ProviderError> {
        let id = instance_id(id)?;
        let verb = match action {
            Action::PowerOn => "start",
            Action::PowerOff => "halt",
            Action::Reboot => "reboot",
            Action::Shutdown => {
                return Err(ProviderError::Invalid(
                    "Vultr has no graceful shutdown; power the server off instead".to_owned(),
                ));
            }
            Action::ResetPassword { .. } => {
                return Err(ProviderError::Invalid(
                    "Vultr cannot reset a root password; rebuild the server instead".to_owned(),
                ));
            }
            Action::Rebuild {
                image, ssh_keys, ..
            } => {
                // The spec types this `os_id` as a string (the create's is an integer). The
                // new `user_data` puts the customer's current keys on the new install; no
                // password can go with it, and none comes back.
                let body = json!({
                    "os_id": os_id(image)?.to_string(),
                    "user_data": user_data(ssh_keys),
                });
                let _: serde_json::Value = self
                    .api
                    .patch(&format!("/instances/{id}"), &body)
                    .await
                    .map_err(busy_if_locked)?;
                return Ok(accepted_now());
            }
        };
        self.api
            .post_expecting_nothing(&format!("/instances/{id}/{verb}"))
            .await
            .map_err(busy_if_locked)?;
        Ok(ActionHandle::default())
    }

    async fn action_progress(
        &self,
        id: &str,
        kind: ActionKind,
        handle: &ActionHandle,
    ) -> Result<ActionProgress, ProviderError> {
        let current = self.get_instance(id).await?;
        Ok(match (kind, current.status) {
            (_, Lifecycle::Error | Lifecycle::Deleted | Lifecycle::Deleting) => failed(&current),
            (ActionKind::PowerOff | ActionKind::Shutdown, Lifecycle::Stopped) => {
                ActionProgress::Done
            }
            // A reboot can be over before the first look; running again is done.
            (ActionKind::PowerOn | ActionKind::Reboot, Lifecycle::Running) => ActionProgress::Done,
            // Right after the change a server can still look as it did before the reinstall.
            (ActionKind::Rebuild, Lifecycle::Running) if had_time_to_start(handle) => {
                ActionProgress::Done
            }
            (ActionKind::ResetPassword, _) => {
                ActionProgress::Failed("Vultr cannot reset a root password".to_owned())
            }
            _ => ActionProgress::InProgress,
        })
    }

    async fn resize(&self, id: &str, size: &str) -> Result<ActionHandle, ProviderError> {
        let id = instance_id(id)?;
        let _: serde_json::Value = self
            .api
            .patch(&format!("/instances/{id}"), &json!({ "plan": size }))
            .await
            .map_err(busy_if_locked)?;
        Ok(accepted_now())
    }

    async fn resize_progress(
        &self,
        id: &str,
        size: &str,
        handle: &ActionHandle,
    ) -> Result<ActionProgress, ProviderError> {
        let current = self.get_instance(id).await?;
        Ok(match current.status {
            Lifecycle::Error | Lifecycle::Deleted | Lifecycle::Deleting => failed(&current),
            Lifecycle::Running if current.size == size && had_time_to_start(handle) => {
                ActionProgress::Done
            }
            _ => ActionProgress::InProgress,
        })
    }

    async fn console(&self, id: &str) -> Result<ConsoleAccess, ProviderError> {
        let instance = self.instance(id).await?;
        Ok(if instance.kvm.trim().is_empty() {
            ConsoleAccess::None
        } else {
            ConsoleAccess::Url { url: instance.kvm }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_fields_map_onto_the_lifecycle_together() {
        let cases = [
            (("pending", "running", "none"), Lifecycle::Provisioning),
            (("active", "running", "none"), Lifecycle::Provisioning),
            (
                ("active", "running", "installingbooting"),
                Lifecycle::Provisioning,
            ),
            (("active", "stopped", "locked"), Lifecycle::Provisioning),
            (("resizing", "running", "ok"), Lifecycle::Provisioning),
            (("active", "running", "ok"), Lifecycle::Running),
            (("active", "stopped", "ok"), Lifecycle::Stopped),
            (("active", "stopped", "none"), Lifecycle::Stopped),
            (("suspended", "stopped", "ok"), Lifecycle::Error),
            (("melted", "running", "ok"), Lifecycle::Error),
        ];
        for ((status, power, server), expected) in cases {
            assert_eq!(
                lifecycle(status, power, server),
                expected,
                "{status}/{power}/{server}"
            );
        }
    }

    #[test]
    fn placeholder_addresses_are_no_address() {
        assert_eq!(address("0.0.0.0"), None);
        assert_eq!(address(""), None);
        assert_eq!(address("::"), None);
        assert_eq!(address("192.0.2.7").as_deref(), Some("192.0.2.7"));
    }

    #[test]
    fn user_data_is_base64_cloud_config_with_the_keys() {
        let keys = [SshPublicKey {
            name: "laptop".to_owned(),
            openssh: "ssh-ed25519 AAAAC3Nza me@laptop\n".to_owned(),
            fingerprint: "SHA256:x".to_owned(),
        }];
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(user_data(&keys))
            .unwrap_or_default();
        let text = String::from_utf8(decoded).unwrap_or_default();
        let body = text.strip_prefix("#cloud-config\n").unwrap_or_default();
        let parsed: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
        assert_eq!(
            parsed["ssh_authorized_keys"],
            json!(["ssh-ed25519 AAAAC3Nza me@laptop"])
        );
        assert_eq!(parsed["disable_root"], json!(false));
    }

    #[test]
    fn a_change_handle_remembers_when_it_was_accepted() {
        let fresh = accepted_now();
        assert!(since_accepted(&fresh).is_some_and(|since| since < CHANGE_SETTLE));
        assert!(!had_time_to_start(&fresh));
        let old = ActionHandle {
            id: Some(format!("{ACCEPTED_AT}{}", unix_now() - 60)),
            generated_password: None,
        };
        assert!(since_accepted(&old).is_some_and(|since| since >= CHANGE_SETTLE));
        assert!(had_time_to_start(&old));
        assert_eq!(since_accepted(&ActionHandle::default()), None);
        assert!(had_time_to_start(&ActionHandle::default()));
    }
}
