//! Linode (Akamai), through its v4 API (`../shared/provider-apis/linode`).
//!
//! What Linode does its own way, and how this adapter deals with it:
//! - We choose the root password and send it as `root_pass`, which Linode requires on create and
//!   on rebuild (it rejects weak ones); nothing is generated or returned. Customer SSH keys go
//!   in `authorized_keys` as OpenSSH lines.
//! - The password reset (`/password`) only works on a shut-down Linode
//!   ([`Capabilities::password_reset_needs_stop`]); the server stays off afterwards.
//! - Power calls, the password reset and rebuild answer at once; their progress is an *event*
//!   in `/account/events`. Each action returns no event id, so before sending it we note the
//!   newest event id in the account ([`ActionHandle::id`]) and then follow the first event
//!   after it for this Linode and this action (`linode_boot`, `linode_shutdown`…).
//! - A resize (`/resize`) is followed the same way, by its `linode_resize` event. It is warm
//!   (the server runs on while its disk is copied, and restarts once on the new host), and lets
//!   Linode resize the disk to the new plan, so it can go down to a plan whose disk still holds
//!   the data; when it cannot, Linode answers 400 with the reason.
//! - The shared client sends no extra headers, so Linode's `X-Filter` header is not used: the
//!   instance list (for [`CloudProvider::find_by_label`]) and the events are read page by page
//!   and filtered here. Labels are unique within a Linode account, so a label names one server.
//!   The spec gives no default order for events, so it is read from the answer, and only a
//!   few pages at the newest end are read.
//! - One operation at a time per Linode: another one is refused with 400 "Linode busy", which
//!   becomes [`ProviderError::Busy`] so the worker tries again later.
//! - There is no console API (Lish logs in as the reseller's account user, not one server).

use std::net::Ipv4Addr;
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

pub const NAME: &str = "linode";
pub const DEFAULT_API_URL: &str = "https://api.linode.com/v4";

/// The largest page Linode serves (25 to 500); fewer pages, fewer requests.
const PAGE_SIZE: &str = "500";
/// A guard against a page count that never ends: 100 pages of 500 is far beyond any account.
const MAX_PAGES: u64 = 100;
/// Events are read in pages of this size, from the newest end and no further back than
/// [`MAX_EVENT_PAGES`] pages: an action's event is among the newest of the account.
const EVENT_PAGE_SIZE: &str = "100";
const MAX_EVENT_PAGES: usize = 5;
/// The tag every server we create carries, so the reseller can tell ours apart in Linode's
/// panel. One fixed tag: Linode tags are account-wide objects, one per server would pile up.
const TAG: &str = "webrana-cloud";

/// Linode allows about 800 requests per 2 minutes per token, 400 a minute per command and 200 a
/// minute on paginated collections (creates have their own 10 per 30 s, image listing 20 a
/// minute). A bucket of 3 a second with room for 10 at once stays under 200 in any minute; the
/// narrower limits are rarely reached by a reseller and answer 429 with `Retry-After`, which the
/// client waits out.
fn quota() -> Quota {
    let per_minute = NonZeroU32::new(180).unwrap_or(NonZeroU32::MIN);
    let burst = NonZeroU32::new(10).unwrap_or(NonZeroU32::MIN);
    Quota::per_minute(per_minute).allow_burst(burst)
}

/// Error bodies are `{"errors": [{"field": "root_pass", "reason": "…"}]}`; `field` is left out
/// when no single field is at fault.
fn error_message(body: &str) -> Option<String> {
    #[derive(Deserialize)]
    struct ErrorBody {
        errors: Vec<ErrorItem>,
    }
    #[derive(Deserialize)]
    struct ErrorItem {
        #[serde(default)]
        field: Option<String>,
        reason: String,
    }
    let body: ErrorBody = serde_json::from_str(body).ok()?;
    let reasons: Vec<String> = body
        .errors
        .into_iter()
        .filter(|error| !error.reason.trim().is_empty())
        .map(|error| match error.field {
            Some(field) if !field.is_empty() => format!("{field}: {}", error.reason),
            _ => error.reason,
        })
        .collect();
    (!reasons.is_empty()).then(|| reasons.join("; "))
}

/// Linode's label rules: 3 to 64 characters of letters, digits, `-`, `_` and `.`, starting and
/// ending with a letter or digit, with no two of `-`, `_`, `.` in a row.
pub fn valid_label(label: &str) -> bool {
    let bytes = label.as_bytes();
    let separator = |byte: &u8| matches!(byte, b'-' | b'_' | b'.');
    (3..=64).contains(&bytes.len())
        && bytes
            .iter()
            .all(|byte| byte.is_ascii_alphanumeric() || separator(byte))
        && bytes.first().is_some_and(u8::is_ascii_alphanumeric)
        && bytes.last().is_some_and(u8::is_ascii_alphanumeric)
        && !bytes
            .windows(2)
            .any(|pair| separator(&pair[0]) && separator(&pair[1]))
}

#[derive(Clone, Debug)]
pub struct LinodeProvider {
    api: ApiClient,
}

impl LinodeProvider {
    /// `base_url` replaces `https://api.linode.com/v4` (a proxy, or a mock server in tests); it
    /// includes the API version.
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

    /// One page of a collection: `{data, page, pages, results}`.
    async fn page<T: DeserializeOwned>(
        &self,
        path: &str,
        page: u64,
        page_size: &str,
    ) -> Result<Page<T>, ProviderError> {
        let query = [
            ("page".to_owned(), page.to_string()),
            ("page_size".to_owned(), page_size.to_owned()),
        ];
        self.api.get(path, &query).await
    }

    /// Every item of a collection, page by page until `pages`.
    async fn collect<T: DeserializeOwned>(&self, path: &str) -> Result<Vec<T>, ProviderError> {
        let mut items = Vec::new();
        for number in 1..=MAX_PAGES {
            let page: Page<T> = self.page(path, number, PAGE_SIZE).await?;
            items.extend(page.data);
            if number >= page.pages {
                return Ok(items);
            }
        }
        Err(self.api.unreadable(format!(
            "{path} still had more pages after {MAX_PAGES} pages"
        )))
    }

    /// The account's newest events: pages read from the newest end of the list until `enough`
    /// says a page reaches far enough back, at most [`MAX_EVENT_PAGES`] of them.
    ///
    /// The spec does not say in which order events come (collections default to ascending
    /// unless `X-Filter` asks otherwise, and this client sends no `X-Filter`), so the order is
    /// read from the first page: newest first, the pages are read forward; oldest first, from
    /// the last page backward.
    async fn newest_events(
        &self,
        page_size: &str,
        enough: impl Fn(&[Event]) -> bool,
    ) -> Result<Vec<Event>, ProviderError> {
        let first: Page<Event> = self.page("/account/events", 1, page_size).await?;
        let pages = first.pages;
        let newest_first = match (first.data.first(), first.data.last()) {
            (Some(head), Some(tail)) => head.id >= tail.id,
            _ => true,
        };
        if pages <= 1 || (newest_first && enough(&first.data)) {
            return Ok(first.data);
        }
        let order: Vec<u64> = if newest_first {
            (2..=pages).take(MAX_EVENT_PAGES - 1).collect()
        } else {
            (2..=pages).rev().take(MAX_EVENT_PAGES - 1).collect()
        };
        let mut events = if newest_first { first.data } else { Vec::new() };
        for number in order {
            let page: Page<Event> = self.page("/account/events", number, page_size).await?;
            let done = enough(&page.data);
            events.extend(page.data);
            if done {
                break;
            }
        }
        Ok(events)
    }

    /// The newest event id in the account (0 when it has none).
    async fn newest_event_id(&self) -> Result<u64, ProviderError> {
        let events = self.newest_events("25", |_| true).await?;
        Ok(events.iter().map(|event| event.id).max().unwrap_or(0))
    }

    /// Sends `command` for a Linode; the handle is the newest event id before it, so the
    /// command's event is the first one for it after that id.
    async fn command(
        &self,
        linode: u64,
        command: &str,
        body: &serde_json::Value,
    ) -> Result<ActionHandle, ProviderError> {
        let before = self.newest_event_id().await?;
        let _answer: serde_json::Value = self
            .api
            .post(&format!("/linode/instances/{linode}/{command}"), body)
            .await
            .map_err(busy)?;
        Ok(ActionHandle {
            id: Some(before.to_string()),
            generated_password: None,
        })
    }

    /// Where the first `wanted` event of this Linode after the event id `before` stands.
    async fn event_progress(
        &self,
        linode: u64,
        before: u64,
        wanted: &str,
    ) -> Result<ActionProgress, ProviderError> {
        let events = self
            .newest_events(EVENT_PAGE_SIZE, |page| {
                page.iter().any(|event| event.id <= before)
            })
            .await?;
        // The first event for this action after the baseline is the one it caused.
        let ours = events
            .into_iter()
            .filter(|event| event.id > before && event.is_about(linode, wanted))
            .min_by_key(|event| event.id);
        let Some(event) = ours else {
            // Not recorded yet.
            return Ok(ActionProgress::InProgress);
        };
        Ok(match event.status.as_str() {
            "finished" | "notification" => ActionProgress::Done,
            "failed" => ActionProgress::Failed(match event.message.filter(|m| !m.is_empty()) {
                Some(message) => format!("Linode reports that {wanted} failed: {message}"),
                None => format!("Linode reports that {wanted} failed"),
            }),
            _ => ActionProgress::InProgress,
        })
    }
}

/// Linode ids are numbers; anything else cannot name a Linode (and never reaches a URL).
fn linode_id(id: &str) -> Result<u64, ProviderError> {
    id.parse().map_err(|_| ProviderError::NotFound)
}

/// The event id an action's handle follows from, when it has one.
fn event_baseline(handle: &ActionHandle) -> Option<u64> {
    handle.id.as_deref().and_then(|id| id.parse().ok())
}

#[derive(Deserialize)]
struct Page<T> {
    data: Vec<T>,
    #[serde(default = "one")]
    pages: u64,
}

fn one() -> u64 {
    1
}

#[derive(Deserialize)]
struct Linode {
    id: u64,
    label: String,
    status: String,
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    ipv4: Vec<String>,
    #[serde(default)]
    ipv6: Option<String>,
}

/// Linode's statuses onto ours. Transitional ones go to the state the server is in while they
/// last: a booting server is not running yet; a rebooting, shutting-down or migrating one is
/// still up.
fn lifecycle(status: &str) -> Lifecycle {
    match status {
        "provisioning" | "booting" | "rebuilding" | "cloning" | "restoring" => {
            Lifecycle::Provisioning
        }
        "running" | "rebooting" | "shutting_down" | "migrating" | "busy" => Lifecycle::Running,
        // `stopped` is a shutdown Linode itself made (host maintenance).
        "offline" | "stopped" => Lifecycle::Stopped,
        "deleting" => Lifecycle::Deleting,
        // `billing_suspension` (the reseller's account is suspended) and anything new.
        _ => Lifecycle::Error,
    }
}

/// The first public IPv4: Linode lists public addresses first, and private (192.168.128.0/17)
/// ones after them.
fn public_ipv4(addresses: &[String]) -> Option<String> {
    addresses
        .iter()
        .find(|address| {
            address.parse::<Ipv4Addr>().is_ok_and(|ip| {
                !(ip.is_private() || ip.is_loopback() || ip.is_link_local() || ip.is_unspecified())
            })
        })
        .cloned()
}

impl Linode {
    fn instance(self) -> ProviderInstance {
        let status = lifecycle(&self.status);
        let message = (status == Lifecycle::Error).then(|| match self.status.as_str() {
            "billing_suspension" => {
                "Linode suspended the server because of the account's billing".to_owned()
            }
            other => format!("Linode reports the unknown status `{other}`"),
        });
        ProviderInstance {
            id: self.id.to_string(),
            label: self.label,
            status,
            provider_status: self.status,
            size: self.kind,
            ipv4: public_ipv4(&self.ipv4),
            // `2001:db8::1/128` (SLAAC address and prefix length) → the address.
            ipv6: self
                .ipv6
                .as_deref()
                .and_then(|address| address.split('/').next())
                .filter(|address| !address.is_empty())
                .map(str::to_owned),
            message,
        }
    }
}

#[derive(Deserialize)]
struct Event {
    id: u64,
    action: String,
    #[serde(default)]
    entity: Option<EventEntity>,
    status: String,
    #[serde(default)]
    message: Option<String>,
}

#[derive(Deserialize)]
struct EventEntity {
    id: serde_json::Value,
    #[serde(rename = "type")]
    kind: String,
}

impl Event {
    fn is_about(&self, linode: u64, action: &str) -> bool {
        self.action == action
            && self.entity.as_ref().is_some_and(|entity| {
                entity.kind == "linode"
                    && (entity.id.as_u64() == Some(linode)
                        || entity.id.as_str() == Some(linode.to_string().as_str()))
            })
    }
}

/// The event each action leaves behind.
fn event_action(kind: ActionKind) -> &'static str {
    match kind {
        ActionKind::PowerOn => "linode_boot",
        ActionKind::PowerOff | ActionKind::Shutdown => "linode_shutdown",
        ActionKind::Reboot => "linode_reboot",
        ActionKind::ResetPassword => "password_reset",
        ActionKind::Rebuild => "linode_rebuild",
    }
}

#[derive(Deserialize)]
struct Region {
    id: String,
    label: String,
    #[serde(default)]
    country: Option<String>,
    #[serde(default)]
    capabilities: Vec<String>,
    #[serde(default)]
    status: String,
}

impl Region {
    fn hosts_linodes(&self) -> bool {
        self.capabilities
            .iter()
            .any(|capability| capability == "Linodes")
    }
}

#[derive(Deserialize)]
struct Price {
    /// US dollars.
    #[serde(default)]
    monthly: Option<f64>,
}

#[derive(Deserialize)]
struct Type {
    id: String,
    vcpus: i64,
    /// Megabytes.
    memory: i64,
    /// Megabytes.
    disk: i64,
    /// Gigabytes a month.
    #[serde(default)]
    transfer: i64,
    price: Price,
    /// The few regions (Jakarta among them) that charge more or less than `price`.
    #[serde(default)]
    region_prices: Vec<Price>,
}

impl Type {
    /// The dearest monthly price of any region: one cost per size is kept, and judging margins
    /// by the highest one never shows a plan as more profitable than it is.
    fn highest_monthly(&self) -> Option<f64> {
        let regional = self.region_prices.iter().filter_map(|price| price.monthly);
        self.price
            .monthly
            .into_iter()
            .chain(regional)
            .reduce(f64::max)
    }
}

#[derive(Deserialize)]
struct Image {
    id: String,
    label: String,
    #[serde(default)]
    vendor: Option<String>,
    #[serde(default)]
    is_public: bool,
    #[serde(default)]
    deprecated: bool,
    #[serde(default)]
    status: Option<String>,
    /// Megabytes.
    #[serde(default)]
    size: Option<i64>,
}

/// `Debian` → `debian`, `Rocky Linux` → `rocky`: the logo key the catalog uses.
fn distribution_key(vendor: &str) -> String {
    vendor
        .split_whitespace()
        .next()
        .unwrap_or("unknown")
        .to_lowercase()
}

fn authorized_keys(keys: &[super::SshPublicKey]) -> Vec<&str> {
    keys.iter().map(|key| key.openssh.trim()).collect()
}

/// A 400 "Linode busy" is one action at a time, not a bad request.
fn busy(error: ProviderError) -> ProviderError {
    match error {
        ProviderError::Invalid(message) if message.to_lowercase().contains("busy") => {
            ProviderError::Busy
        }
        other => other,
    }
}

#[async_trait::async_trait]
impl CloudProvider for LinodeProvider {
    fn name(&self) -> &'static str {
        NAME
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            graceful_shutdown: true,
            password_reset: true,
            password_reset_needs_stop: true,
            rebuild: true,
            accepts_root_password: true,
            rebuild_sets_password: true,
            resize: true,
            // When the data fits the smaller plan's disk (Linode says so when it does not).
            resize_down: true,
            // A warm resize keeps it running, and Linode restarts it on the new host.
            resize_needs_power_off: false,
            // No console API; Lish would expose the reseller's whole account.
            console: ConsoleKind::None,
        }
    }

    async fn list_regions(&self) -> Result<Vec<ProviderRegion>, ProviderError> {
        let regions: Vec<Region> = self.collect("/regions").await?;
        Ok(regions
            .into_iter()
            .filter(Region::hosts_linodes)
            .map(|region| ProviderRegion {
                available: region.status == "ok",
                slug: region.id,
                name: region.label,
                country: region.country.map(|country| country.to_uppercase()),
            })
            .collect())
    }

    /// Linode offers every type in every region that hosts Linodes (the spec lists no regions
    /// per type; `region_prices` only changes the price in a few), so each size names them all.
    async fn list_sizes(&self) -> Result<Vec<ProviderSize>, ProviderError> {
        let types: Vec<Type> = self.collect("/linode/types").await?;
        let regions: Vec<Region> = self.collect("/regions").await?;
        let regions: Vec<String> = regions
            .into_iter()
            .filter(Region::hosts_linodes)
            .map(|region| region.id)
            .collect();
        Ok(types
            .into_iter()
            .map(|size| ProviderSize {
                available: size.price.monthly.is_some(),
                // `as` saturates on absurd values.
                cost_cents_monthly: (size.highest_monthly().unwrap_or(0.0) * 100.0).round() as i64,
                slug: size.id,
                vcpus: size.vcpus,
                memory_mb: size.memory,
                disk_gb: size.disk / 1024,
                transfer_gb: size.transfer,
                regions: regions.clone(),
            })
            .collect())
    }

    async fn list_images(&self) -> Result<Vec<ProviderImage>, ProviderError> {
        let images: Vec<Image> = self.collect("/images").await?;
        Ok(images
            .into_iter()
            .filter(|image| {
                image.is_public
                    && image.id.starts_with("linode/")
                    && !image.deprecated
                    && image
                        .status
                        .as_deref()
                        .is_none_or(|status| status == "available")
            })
            .map(|image| ProviderImage {
                distribution: distribution_key(image.vendor.as_deref().unwrap_or("")),
                min_disk_gb: image.size.map(|megabytes| (megabytes + 1023) / 1024),
                slug: image.id,
                name: image.label,
            })
            .collect())
    }

    async fn create_instance(
        &self,
        request: &CreateInstance,
    ) -> Result<CreatedInstance, ProviderError> {
        let Some(password) = &request.root_password else {
            return Err(ProviderError::Invalid(
                "Linode needs a root password to deploy an image".to_owned(),
            ));
        };
        if !valid_label(&request.label) {
            return Err(ProviderError::Invalid(format!(
                "`{}` is not a valid Linode label",
                request.label
            )));
        }
        let body = json!({
            "type": request.size,
            "region": request.region,
            "image": request.image,
            "label": request.label,
            "root_pass": password,
            "authorized_keys": authorized_keys(&request.ssh_keys),
            "tags": [TAG],
            "booted": true,
        });
        let created: Linode = self.api.post("/linode/instances", &body).await?;
        Ok(CreatedInstance {
            instance: created.instance(),
            generated_password: None,
        })
    }

    async fn find_by_label(&self, label: &str) -> Result<Option<ProviderInstance>, ProviderError> {
        let linodes: Vec<Linode> = self.collect("/linode/instances").await?;
        Ok(linodes
            .into_iter()
            .find(|linode| linode.label == label)
            .map(Linode::instance))
    }

    async fn get_instance(&self, id: &str) -> Result<ProviderInstance, ProviderError> {
        let id = linode_id(id)?;
        let found: Linode = self
            .api
            .get(&format!("/linode/instances/{id}"), &[])
            .await?;
        Ok(found.instance())
    }

    async fn delete_instance(&self, id: &str) -> Result<(), ProviderError> {
        let id = match linode_id(id) {
            Ok(id) => id,
            Err(ProviderError::NotFound) => return Ok(()),
            Err(error) => return Err(error),
        };
        match self.api.delete(&format!("/linode/instances/{id}")).await {
            Ok(()) | Err(ProviderError::NotFound) => Ok(()),
            Err(error) => Err(busy(error)),
        }
    }

    async fn perform_action(
        &self,
        id: &str,
        action: &Action,
    ) -> Result<ActionHandle, ProviderError> {
        let id = linode_id(id)?;
        let (command, body) = match action {
            Action::PowerOn => ("boot", json!({})),
            // Linode has one way to stop a server: its shutdown, which asks the OS first.
            Action::PowerOff | Action::Shutdown => ("shutdown", json!({})),
            Action::Reboot => ("reboot", json!({})),
            Action::ResetPassword { password } => ("password", json!({ "root_pass": password })),
            Action::Rebuild {
                image,
                password,
                ssh_keys,
            } => {
                let Some(password) = password else {
                    return Err(ProviderError::Invalid(
                        "Linode needs a root password to rebuild".to_owned(),
                    ));
                };
                (
                    "rebuild",
                    json!({
                        "image": image,
                        "root_pass": password,
                        "authorized_keys": authorized_keys(ssh_keys),
                        "booted": true,
                    }),
                )
            }
        };
        self.command(id, command, &body).await
    }

    async fn action_progress(
        &self,
        id: &str,
        kind: ActionKind,
        handle: &ActionHandle,
    ) -> Result<ActionProgress, ProviderError> {
        let linode = linode_id(id)?;
        let before = event_baseline(handle)
            .ok_or_else(|| ProviderError::Invalid("no Linode event id to start from".to_owned()))?;
        self.event_progress(linode, before, event_action(kind))
            .await
    }

    async fn resize(&self, id: &str, size: &str) -> Result<ActionHandle, ProviderError> {
        let body = json!({
            "type": size,
            "allow_auto_disk_resize": true,
            "migration_type": "warm",
        });
        self.command(linode_id(id)?, "resize", &body).await
    }

    async fn resize_progress(
        &self,
        id: &str,
        size: &str,
        handle: &ActionHandle,
    ) -> Result<ActionProgress, ProviderError> {
        let linode = linode_id(id)?;
        if let Some(before) = event_baseline(handle) {
            return self.event_progress(linode, before, "linode_resize").await;
        }
        // With no event to follow, a Linode running on its new type is done (`migrating`, its
        // status while moving to the new host, is `Running` too, so the word itself is read).
        let current = self.get_instance(id).await?;
        Ok(
            if current.size == size && current.provider_status == "running" {
                ActionProgress::Done
            } else {
                ActionProgress::InProgress
            },
        )
    }

    async fn console(&self, id: &str) -> Result<ConsoleAccess, ProviderError> {
        self.get_instance(id).await?;
        Ok(ConsoleAccess::None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_size_costs_what_its_dearest_region_charges() {
        let size: Type = serde_json::from_value(serde_json::json!({
            "id": "g6-standard-2", "vcpus": 2, "memory": 4096, "disk": 81920, "transfer": 4000,
            "price": { "hourly": 0.036, "monthly": 24.0 },
            "region_prices": [
                { "id": "id-cgk", "hourly": 0.043, "monthly": 28.8 },
                { "id": "br-gru", "hourly": 0.05, "monthly": 33.6 },
            ],
        }))
        .unwrap();
        assert_eq!(size.highest_monthly(), Some(33.6));
        let plain: Type = serde_json::from_value(serde_json::json!({
            "id": "g6-nanode-1", "vcpus": 1, "memory": 1024, "disk": 25600,
            "price": { "hourly": 0.0075, "monthly": 5.0 },
        }))
        .unwrap();
        assert_eq!(plain.highest_monthly(), Some(5.0));
    }

    #[test]
    fn labels_follow_linodes_rules() {
        assert!(valid_label("wr-abc12345-17"));
        assert!(valid_label("a.b_c"));
        assert!(!valid_label("ab"));
        assert!(!valid_label(&"a".repeat(65)));
        assert!(!valid_label("-abc"));
        assert!(!valid_label("abc-"));
        assert!(!valid_label("ab--c"));
        assert!(!valid_label("ab c"));
    }

    #[test]
    fn error_bodies_name_field_and_reason() {
        assert_eq!(
            error_message(
                r#"{"errors":[{"field":"root_pass","reason":"Too weak"},{"reason":"Linode busy."}]}"#
            ),
            Some("root_pass: Too weak; Linode busy.".to_owned())
        );
        assert_eq!(error_message("not json"), None);
        assert_eq!(error_message(r#"{"errors":[]}"#), None);
    }

    #[test]
    fn public_addresses_are_picked() {
        let addresses = ["192.168.140.20".to_owned(), "203.0.113.50".to_owned()];
        assert_eq!(public_ipv4(&addresses).as_deref(), Some("203.0.113.50"));
        assert_eq!(public_ipv4(&addresses[..1]), None);
    }
}
