//! Customers' servers (the UI says "server", the code says "instance") as their owners, admins
//! and the REST API see them: no root passwords, no provider-side ids or labels.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::catalog::OfferedImage;
use crate::status::InstanceStatus;
use crate::{InstanceId, OrderId, PlanId, UserId};

/// How a provider lets a customer reach the screen of their server.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsoleKind {
    /// A VNC endpoint that our own WebSocket proxy relays to the browser canvas.
    VncProxy,
    /// A link to the provider's own web console.
    ProviderUrl,
    None,
}

/// What a provider can do beyond create, delete, power on, power off and reboot, which all do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capabilities {
    /// An ACPI shutdown that lets the OS stop cleanly (Vultr only has a hard halt).
    pub graceful_shutdown: bool,
    /// A new root password without reinstalling (Vultr has none).
    pub password_reset: bool,
    /// The password reset needs the server stopped first (Linode).
    pub password_reset_needs_stop: bool,
    /// Reinstalling with an image of the customer's choice.
    pub rebuild: bool,
    /// We may choose the root password at create (Vultr picks its own).
    pub accepts_root_password: bool,
    /// A rebuild installs a root password we choose (DigitalOcean's rebuild takes only an image
    /// and keeps the old one).
    pub rebuild_sets_password: bool,
    /// Moving the server to another plan, which customers pay for before it happens.
    pub resize: bool,
    /// A resize may go to a smaller plan (DigitalOcean grows the disk for good, and Vultr only
    /// upgrades).
    pub resize_down: bool,
    /// The server must be powered off before a resize (DigitalOcean refuses one that is on;
    /// Vultr and Linode restart it themselves).
    pub resize_needs_power_off: bool,
    pub console: ConsoleKind,
}

/// A server.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Instance {
    pub id: InstanceId,
    pub user_id: UserId,
    pub owner_email: String,
    pub order_id: Option<OrderId>,
    pub plan_id: PlanId,
    pub plan_name: String,
    pub vcpus: i64,
    pub memory_mb: i64,
    pub disk_gb: i64,
    pub transfer_gb: i64,
    pub provider: String,
    pub hostname: String,
    pub region_slug: String,
    pub region_name: String,
    pub image_slug: String,
    pub image_name: String,
    pub status: InstanceStatus,
    /// The provider's own word for its state, as last seen.
    pub provider_status: Option<String>,
    pub status_message: Option<String>,
    pub ipv4: Option<String>,
    pub ipv6: Option<String>,
    /// A root password is stored and its owner has not looked at it yet.
    pub password_waiting: bool,
    /// The action running now, if any.
    pub open_action: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub ready_at: Option<DateTime<Utc>>,
    /// Its service is suspended for an unpaid renewal: it is kept off and refuses actions.
    pub suspended_at: Option<DateTime<Utc>>,
}

/// One line of a server's history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceEvent {
    pub id: i64,
    pub at: DateTime<Utc>,
    /// A code the UI translates (`ready`, `action_done`…).
    pub kind: String,
    pub level: String,
    pub message: Option<String>,
}

/// An action a customer asked for and where it stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceAction {
    pub id: i64,
    pub instance_id: InstanceId,
    /// `power_on`, `reboot`, `rebuild`…
    pub kind: String,
    pub state: String,
    pub image_slug: Option<String>,
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// Whether an action can run now, and if not, why (a code the UI translates).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionOffer {
    /// `power_on`, `reboot`, `rebuild`…
    pub kind: String,
    pub unavailable: Option<String>,
}

/// A server with what can be done to it and what happened to it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceDetail {
    pub instance: Instance,
    /// `None` when its provider is no longer configured.
    pub capabilities: Option<Capabilities>,
    pub actions: Vec<ActionOffer>,
    pub recent_actions: Vec<InstanceAction>,
    pub events: Vec<InstanceEvent>,
}

impl InstanceDetail {
    /// How its screen is reached; not at all when its provider is gone.
    pub fn console(&self) -> ConsoleKind {
        self.capabilities
            .map_or(ConsoleKind::None, |capabilities| capabilities.console)
    }
}

/// Everything the server page shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerPage {
    pub detail: InstanceDetail,
    /// The viewer owns it (admins may look at others' servers but not act on them).
    pub mine: bool,
    /// What a rebuild can install: the images of the server's plan.
    pub rebuild_images: Vec<OfferedImage>,
}
