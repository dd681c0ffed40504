//! DigitalOcean, through its v2 API (`../shared/provider-apis/digitalocean`).
//!
//! What DigitalOcean does its own way, and how this adapter deals with it:
//! - It never returns a root password, and with no SSH key registered in the account it e-mails
//!   one to the account owner, who is the reseller. So we choose the password ourselves and set
//!   it, with the customer's SSH keys, through cloud-init `user_data`. Its `password_reset`
//!   action e-mails the reseller too, so this adapter offers no password reset: customers
//!   rebuild instead.
//! - A rebuild takes only an image: there is no field for a password, keys or `user_data`, so
//!   the password chosen for a rebuild cannot be applied and none is claimed
//!   ([`ActionHandle::generated_password`] is `None`). The spec does not say whether the
//!   droplet's create-time `user_data` runs again on the new disk.
//! - A droplet can be `active` before it has a public IPv4; it is reported `Running` with no
//!   `ipv4`, and the worker waits for the address.
//! - One action at a time per droplet: a second one is refused with 422 "pending event", which
//!   becomes [`ProviderError::Busy`] so the worker tries again later.
//! - A resize is an action like the others, and only runs on a droplet that is off. It takes
//!   the disk along (`disk: true`) so the customer gets all of the plan they paid for; a disk
//!   cannot shrink, so no resize goes back to a smaller plan.
//! - The create answer carries our unique label as a tag, which is how a create whose answer was
//!   lost is found (`GET /v2/droplets?tag_name=…`) instead of being sent twice.

use std::num::NonZeroU32;

use governor::Quota;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::json;

use super::http::ApiClient;
use super::{
    Action, ActionHandle, ActionKind, ActionProgress, Capabilities, CloudProvider, ConsoleAccess,
    ConsoleKind, CreateInstance, CreatedInstance, Lifecycle, ProviderError, ProviderImage,
    ProviderInstance, ProviderRegion, ProviderSize,
};
use crate::http_retry::HttpSettings;

pub const NAME: &str = "digitalocean";
pub const DEFAULT_API_URL: &str = "https://api.digitalocean.com";

/// The most a page may hold; fewer pages, fewer requests against the rate limit.
const PER_PAGE: &str = "200";
/// A guard against a `next` link that never ends: 100 pages of 200 is far beyond any catalog.
const MAX_PAGES: usize = 100;

/// DigitalOcean allows 5,000 requests an hour and 250 a minute per token. A bucket refilled at
/// the hourly rate with room for 150 at once keeps any minute under 150 + 5000/60 ≈ 233.
fn quota() -> Quota {
    let per_hour = NonZeroU32::new(5000).unwrap_or(NonZeroU32::MIN);
    let burst = NonZeroU32::new(150).unwrap_or(NonZeroU32::MIN);
    Quota::per_hour(per_hour).allow_burst(burst)
}

/// Error bodies are `{"id": "not_found", "message": "…", "request_id": "…"}`.
fn error_message(body: &str) -> Option<String> {
    #[derive(Deserialize)]
    struct ErrorBody {
        message: String,
    }
    serde_json::from_str::<ErrorBody>(body)
        .ok()
        .map(|error| error.message)
        .filter(|message| !message.trim().is_empty())
}

#[derive(Clone, Debug)]
pub struct DigitalOceanProvider {
    api: ApiClient,
}

impl DigitalOceanProvider {
    /// `base_url` replaces `https://api.digitalocean.com` (a proxy, or a mock server in tests).
    pub fn new(token: String, base_url: Option<String>) -> Result<Self, ProviderError> {
        Self::with_settings(token, base_url, HttpSettings::default())
    }

    pub fn with_settings(
        token: String,
        base_url: Option<String>,
        settings: HttpSettings,
    ) -> Result<Self, ProviderError> {
        let base_url = base_url.unwrap_or_else(|| DEFAULT_API_URL.to_owned());
        let api = ApiClient::new(NAME, token, &base_url, quota(), settings, error_message)?;
        Ok(Self { api })
    }

    /// Every item of a collection, following `links.pages.next` until there is none.
    async fn collect<T: DeserializeOwned>(
        &self,
        path: &str,
        key: &str,
        filters: &[(&str, &str)],
    ) -> Result<Vec<T>, ProviderError> {
        let mut query: Vec<(String, String)> = filters
            .iter()
            .map(|&(name, value)| (name.to_owned(), value.to_owned()))
            .chain([("per_page".to_owned(), PER_PAGE.to_owned())])
            .collect();
        let mut items = Vec::new();
        for _ in 0..MAX_PAGES {
            let mut page: serde_json::Value = self.api.get(path, &query).await?;
            let chunk: Vec<T> = serde_json::from_value(page[key].take())
                .map_err(|error| self.api.unreadable(error))?;
            items.extend(chunk);
            let Some(next) = page
                .pointer("/links/pages/next")
                .and_then(|next| next.as_str())
            else {
                return Ok(items);
            };
            // The link names api.digitalocean.com; only its query is used, so a base-URL
            // override (proxy, mock) stays in force on every page.
            let next = reqwest::Url::parse(next).map_err(|error| self.api.unreadable(error))?;
            query = next.query_pairs().into_owned().collect();
        }
        Err(self.api.unreadable(format!(
            "{path} still had a next page after {MAX_PAGES} pages"
        )))
    }

    /// Starts the action `body` describes on a droplet, to be followed by its action id.
    async fn start_action(
        &self,
        droplet: u64,
        body: &serde_json::Value,
    ) -> Result<ActionHandle, ProviderError> {
        let started: ActionEnvelope = self
            .api
            .post(&format!("/v2/droplets/{droplet}/actions"), body)
            .await
            .map_err(|error| match error {
                ProviderError::Invalid(message)
                    if message.to_lowercase().contains("pending event") =>
                {
                    ProviderError::Busy
                }
                other => other,
            })?;
        Ok(ActionHandle {
            id: Some(started.action.id.to_string()),
            generated_password: None,
        })
    }

    /// Where the action behind `handle` stands.
    async fn action_status(&self, handle: &ActionHandle) -> Result<ActionProgress, ProviderError> {
        let action_id: u64 = handle
            .id
            .as_deref()
            .and_then(|id| id.parse().ok())
            .ok_or_else(|| ProviderError::Invalid("no DigitalOcean action id".to_owned()))?;
        let found: ActionEnvelope = self
            .api
            .get(&format!("/v2/actions/{action_id}"), &[])
            .await?;
        Ok(match found.action.status.as_str() {
            "completed" => ActionProgress::Done,
            "errored" => ActionProgress::Failed(format!(
                "DigitalOcean reports that the {} action failed",
                found.action.kind
            )),
            _ => ActionProgress::InProgress,
        })
    }
}

/// Droplet ids are numbers; anything else cannot name a droplet (and never reaches a URL).
fn droplet_id(id: &str) -> Result<u64, ProviderError> {
    id.parse().map_err(|_| ProviderError::NotFound)
}

#[derive(Deserialize)]
struct DropletEnvelope {
    droplet: Droplet,
}

#[derive(Deserialize)]
struct Droplet {
    id: u64,
    name: String,
    status: String,
    #[serde(default)]
    size_slug: String,
    #[serde(default)]
    networks: Networks,
    #[serde(default)]
    tags: Vec<String>,
}

#[derive(Default, Deserialize)]
struct Networks {
    #[serde(default)]
    v4: Vec<Network>,
    #[serde(default)]
    v6: Vec<Network>,
}

#[derive(Deserialize)]
struct Network {
    ip_address: String,
    #[serde(rename = "type")]
    kind: String,
}

fn public_address(networks: &[Network]) -> Option<String> {
    networks
        .iter()
        .find(|network| network.kind == "public")
        .map(|network| network.ip_address.clone())
}

fn lifecycle(status: &str) -> Lifecycle {
    match status {
        "new" => Lifecycle::Provisioning,
        "active" => Lifecycle::Running,
        "off" => Lifecycle::Stopped,
        // An archived droplet is gone for its owner; only DigitalOcean staff can bring it back.
        "archive" => Lifecycle::Deleted,
        _ => Lifecycle::Error,
    }
}

impl Droplet {
    fn instance(self) -> ProviderInstance {
        let status = lifecycle(&self.status);
        ProviderInstance {
            id: self.id.to_string(),
            // Our label is the only tag we set; a droplet made elsewhere shows its name.
            label: self.tags.into_iter().next().unwrap_or(self.name),
            status,
            message: (status == Lifecycle::Error)
                .then(|| format!("DigitalOcean reports the unknown status `{}`", self.status)),
            provider_status: self.status,
            size: self.size_slug,
            ipv4: public_address(&self.networks.v4),
            ipv6: public_address(&self.networks.v6),
        }
    }
}

#[derive(Deserialize)]
struct ActionEnvelope {
    action: DoAction,
}

#[derive(Deserialize)]
struct DoAction {
    id: u64,
    status: String,
    #[serde(rename = "type", default)]
    kind: String,
}

#[derive(Deserialize)]
struct Region {
    slug: String,
    name: String,
    available: bool,
}

#[derive(Deserialize)]
struct Size {
    slug: String,
    vcpus: i64,
    memory: i64,
    disk: i64,
    /// Terabytes a month.
    transfer: f64,
    /// US dollars.
    price_monthly: f64,
    regions: Vec<String>,
    available: bool,
}

#[derive(Deserialize)]
struct Image {
    /// Only public images have one, and only they can be offered by slug.
    slug: Option<String>,
    name: String,
    #[serde(default)]
    distribution: String,
    min_disk_size: Option<i64>,
}

/// `Rocky Linux` → `rocky`, `Ubuntu` → `ubuntu`: the logo key the catalog uses.
fn distribution_key(distribution: &str) -> String {
    distribution
        .split_whitespace()
        .next()
        .unwrap_or("unknown")
        .to_lowercase()
}

/// The cloud-config that gives the customer access: our password for root, and their keys.
///
/// DigitalOcean's own `ssh_keys` field takes only keys registered in the reseller's account
/// (by id or fingerprint); registering every customer's key there would mix them with the
/// reseller's own and need clean-up, so the keys travel in cloud-init like the password.
/// The document is JSON, which is also YAML, so no password or key needs YAML quoting.
fn cloud_config(request: &CreateInstance) -> String {
    let keys: Vec<&str> = request
        .ssh_keys
        .iter()
        .map(|key| key.openssh.trim())
        .collect();
    let mut config = json!({
        // Root is the account the customer gets; keep it usable over SSH.
        "disable_root": false,
        "ssh_authorized_keys": keys,
    });
    if let Some(password) = &request.root_password {
        config["ssh_pwauth"] = json!(true);
        // `users` is the form cloud-init 22.3 and later read; `list` is the older form, which
        // older images (still offered) only understand. Both set the same password.
        config["chpasswd"] = json!({
            "expire": false,
            "users": [{ "name": "root", "password": password, "type": "text" }],
            "list": [format!("root:{password}")],
        });
    }
    let body = serde_json::to_string_pretty(&config).unwrap_or_default();
    format!("#cloud-config\n{body}\n")
}

#[async_trait::async_trait]
impl CloudProvider for DigitalOceanProvider {
    fn name(&self) -> &'static str {
        NAME
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            graceful_shutdown: true,
            // Its password reset e-mails the new password to the reseller, not the customer.
            password_reset: false,
            password_reset_needs_stop: false,
            rebuild: true,
            // At create only, through cloud-init; see the module notes on rebuild.
            accepts_root_password: true,
            // Its rebuild takes only an image; the root password stays as it was.
            rebuild_sets_password: false,
            resize: true,
            // The disk grows with the plan and cannot shrink back.
            resize_down: false,
            // Its API refuses to resize a droplet that is on.
            resize_needs_power_off: true,
            // No console API; the droplet agent's console is DigitalOcean's own panel.
            console: ConsoleKind::None,
        }
    }

    async fn list_regions(&self) -> Result<Vec<ProviderRegion>, ProviderError> {
        let regions: Vec<Region> = self.collect("/v2/regions", "regions", &[]).await?;
        Ok(regions
            .into_iter()
            .map(|region| ProviderRegion {
                slug: region.slug,
                name: region.name,
                // DigitalOcean does not say; admins name regions for customers anyway.
                country: None,
                available: region.available,
            })
            .collect())
    }

    async fn list_sizes(&self) -> Result<Vec<ProviderSize>, ProviderError> {
        let sizes: Vec<Size> = self.collect("/v2/sizes", "sizes", &[]).await?;
        Ok(sizes
            .into_iter()
            .map(|size| ProviderSize {
                slug: size.slug,
                vcpus: size.vcpus,
                memory_mb: size.memory,
                disk_gb: size.disk,
                // Float amounts become whole units (`as` saturates on absurd values).
                transfer_gb: (size.transfer * 1000.0).round() as i64,
                cost_cents_monthly: (size.price_monthly * 100.0).round() as i64,
                regions: size.regions,
                available: size.available,
            })
            .collect())
    }

    async fn list_images(&self) -> Result<Vec<ProviderImage>, ProviderError> {
        let images: Vec<Image> = self
            .collect("/v2/images", "images", &[("type", "distribution")])
            .await?;
        Ok(images
            .into_iter()
            .filter_map(|image| {
                let slug = image.slug?;
                Some(ProviderImage {
                    slug,
                    name: format!("{} {}", image.distribution, image.name)
                        .trim()
                        .to_owned(),
                    distribution: distribution_key(&image.distribution),
                    min_disk_gb: image.min_disk_size,
                })
            })
            .collect())
    }

    async fn create_instance(
        &self,
        request: &CreateInstance,
    ) -> Result<CreatedInstance, ProviderError> {
        // Without either, DigitalOcean would e-mail a password to the reseller and the customer
        // would have no way in.
        if request.root_password.is_none() && request.ssh_keys.is_empty() {
            return Err(ProviderError::Invalid(
                "a root password or an SSH key is required".to_owned(),
            ));
        }
        let body = json!({
            "name": request.hostname,
            "region": request.region,
            "size": request.size,
            "image": request.image,
            "tags": [request.label],
            "user_data": cloud_config(request),
            "ipv6": true,
        });
        let created: DropletEnvelope = self.api.post("/v2/droplets", &body).await?;
        Ok(CreatedInstance {
            instance: created.droplet.instance(),
            generated_password: None,
        })
    }

    async fn find_by_label(&self, label: &str) -> Result<Option<ProviderInstance>, ProviderError> {
        #[derive(Deserialize)]
        struct Droplets {
            droplets: Vec<Droplet>,
        }
        let query = [
            ("tag_name".to_owned(), label.to_owned()),
            ("per_page".to_owned(), PER_PAGE.to_owned()),
        ];
        let found: Droplets = self.api.get("/v2/droplets", &query).await?;
        Ok(found
            .droplets
            .into_iter()
            .find(|droplet| droplet.tags.iter().any(|tag| tag == label))
            .map(Droplet::instance))
    }

    async fn get_instance(&self, id: &str) -> Result<ProviderInstance, ProviderError> {
        let id = droplet_id(id)?;
        let found: DropletEnvelope = self.api.get(&format!("/v2/droplets/{id}"), &[]).await?;
        Ok(found.droplet.instance())
    }

    async fn delete_instance(&self, id: &str) -> Result<(), ProviderError> {
        let id = match droplet_id(id) {
            Ok(id) => id,
            Err(ProviderError::NotFound) => return Ok(()),
            Err(error) => return Err(error),
        };
        match self.api.delete(&format!("/v2/droplets/{id}")).await {
            Ok(()) | Err(ProviderError::NotFound) => Ok(()),
            Err(error) => Err(error),
        }
    }

    async fn perform_action(
        &self,
        id: &str,
        action: &Action,
    ) -> Result<ActionHandle, ProviderError> {
        let id = droplet_id(id)?;
        let body = match action {
            Action::PowerOn => json!({ "type": "power_on" }),
            Action::PowerOff => json!({ "type": "power_off" }),
            Action::Shutdown => json!({ "type": "shutdown" }),
            Action::Reboot => json!({ "type": "reboot" }),
            // The rebuild API takes an image only; the password and keys cannot go with it.
            Action::Rebuild { image, .. } => json!({ "type": "rebuild", "image": image }),
            Action::ResetPassword { .. } => {
                return Err(ProviderError::Invalid(
                    "DigitalOcean e-mails reset passwords to the account owner; rebuild the \
                     server instead"
                        .to_owned(),
                ));
            }
        };
        self.start_action(id, &body).await
    }

    async fn action_progress(
        &self,
        _id: &str,
        _kind: ActionKind,
        handle: &ActionHandle,
    ) -> Result<ActionProgress, ProviderError> {
        self.action_status(handle).await
    }

    async fn resize(&self, id: &str, size: &str) -> Result<ActionHandle, ProviderError> {
        let body = json!({ "type": "resize", "size": size, "disk": true });
        self.start_action(droplet_id(id)?, &body).await
    }

    async fn resize_progress(
        &self,
        _id: &str,
        _size: &str,
        handle: &ActionHandle,
    ) -> Result<ActionProgress, ProviderError> {
        self.action_status(handle).await
    }

    async fn console(&self, id: &str) -> Result<ConsoleAccess, ProviderError> {
        self.get_instance(id).await?;
        Ok(ConsoleAccess::None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::SshPublicKey;

    #[test]
    fn statuses_map_onto_the_lifecycle() {
        assert_eq!(lifecycle("new"), Lifecycle::Provisioning);
        assert_eq!(lifecycle("active"), Lifecycle::Running);
        assert_eq!(lifecycle("off"), Lifecycle::Stopped);
        assert_eq!(lifecycle("archive"), Lifecycle::Deleted);
        assert_eq!(lifecycle("melted"), Lifecycle::Error);
    }

    #[test]
    fn distributions_become_logo_keys() {
        assert_eq!(distribution_key("Rocky Linux"), "rocky");
        assert_eq!(distribution_key("Ubuntu"), "ubuntu");
        assert_eq!(distribution_key(""), "unknown");
    }

    #[test]
    fn cloud_config_is_yaml_safe_json_and_omits_a_missing_password() {
        let request = CreateInstance {
            label: "wr-test-1".to_owned(),
            hostname: "web".to_owned(),
            region: "sgp1".to_owned(),
            size: "s-1vcpu-1gb".to_owned(),
            image: "debian-12-x64".to_owned(),
            root_password: None,
            ssh_keys: vec![SshPublicKey {
                name: "laptop".to_owned(),
                openssh: "ssh-ed25519 AAAAC3Nza me@laptop\n".to_owned(),
                fingerprint: "SHA256:x".to_owned(),
            }],
        };
        let config = cloud_config(&request);
        let body = config.strip_prefix("#cloud-config\n").unwrap_or_default();
        let parsed: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
        assert_eq!(
            parsed["ssh_authorized_keys"],
            json!(["ssh-ed25519 AAAAC3Nza me@laptop"])
        );
        assert!(parsed.get("chpasswd").is_none());
        assert!(parsed.get("ssh_pwauth").is_none());
    }
}
