//! The clouds we resell, behind one trait. Each adapter (the in-database `sandbox`, and the real
//! DigitalOcean, Vultr and Linode clients) turns its provider's API into these typed requests and
//! answers, maps its statuses onto one [`Lifecycle`] and its failures onto [`ProviderError`], and
//! says through [`Capabilities`] what it can do, so the UI offers only what works.

pub mod digitalocean;
pub mod http;
pub mod linode;
pub mod vultr;
pub mod watched;
/// The sandbox cloud lives with its screens and VMs in [`crate::sandbox`]; this is the path its
/// callers have always used.
pub use crate::sandbox;

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::Code;

/// Where an instance is in its life, whatever the provider calls it: what a provider reports is
/// the status a server is stored with, so it is the model's status with its table of moves.
pub use model::status::InstanceStatus as Lifecycle;

/// What a provider can do is shown to customers too, so these live in the shared vocabulary.
pub use model::instances::{Capabilities, ConsoleKind};

/// A customer's SSH public key as the adapter installs it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SshPublicKey {
    pub name: String,
    /// OpenSSH one-line form: `ssh-ed25519 AAAA… comment`.
    pub openssh: String,
    /// SHA256 fingerprint, as providers that register keys by fingerprint expect.
    pub fingerprint: String,
}

/// Everything an adapter needs to create one server.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateInstance {
    /// Unique across our whole installation, so a create that timed out can be looked up by it
    /// instead of being sent twice.
    pub label: String,
    pub hostname: String,
    pub region: String,
    pub size: String,
    pub image: String,
    /// Our generated password, where the provider accepts one (see [`Capabilities`]).
    pub root_password: Option<String>,
    pub ssh_keys: Vec<SshPublicKey>,
}

impl fmt::Debug for CreateInstance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CreateInstance")
            .field("label", &self.label)
            .field("hostname", &self.hostname)
            .field("region", &self.region)
            .field("size", &self.size)
            .field("image", &self.image)
            .field("root_password", &self.root_password.as_ref().map(|_| "…"))
            .field("ssh_keys", &self.ssh_keys.len())
            .finish()
    }
}

/// A server as the provider reports it now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderInstance {
    /// The provider's own id (droplet id, Vultr UUID, Linode id, `sbx-…`).
    pub id: String,
    pub label: String,
    pub status: Lifecycle,
    /// The provider's own status words, kept for the event history and support.
    pub provider_status: String,
    /// The size slug it runs on (as in [`CloudProvider::list_sizes`]), the new one once a
    /// resize is done.
    pub size: String,
    pub ipv4: Option<String>,
    pub ipv6: Option<String>,
    /// Why it is in `error`, in the provider's words.
    pub message: Option<String>,
}

/// The answer to a create: the server, and the root password when the provider chose it.
#[derive(Clone, PartialEq, Eq)]
pub struct CreatedInstance {
    pub instance: ProviderInstance,
    pub generated_password: Option<String>,
}

impl fmt::Debug for CreatedInstance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CreatedInstance")
            .field("instance", &self.instance)
            .field(
                "generated_password",
                &self.generated_password.as_ref().map(|_| "…"),
            )
            .finish()
    }
}

/// What a customer can ask of a running (or stopped) server.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Action {
    PowerOn,
    /// Hard power off, like pulling the plug.
    PowerOff,
    /// Graceful ACPI shutdown.
    Shutdown,
    Reboot,
    ResetPassword {
        password: String,
    },
    Rebuild {
        image: String,
        /// Our generated password where the provider accepts one.
        password: Option<String>,
        ssh_keys: Vec<SshPublicKey>,
    },
}

impl Action {
    pub fn kind(&self) -> ActionKind {
        match self {
            Self::PowerOn => ActionKind::PowerOn,
            Self::PowerOff => ActionKind::PowerOff,
            Self::Shutdown => ActionKind::Shutdown,
            Self::Reboot => ActionKind::Reboot,
            Self::ResetPassword { .. } => ActionKind::ResetPassword,
            Self::Rebuild { .. } => ActionKind::Rebuild,
        }
    }
}

impl fmt::Debug for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Rebuild { image, .. } => write!(f, "Rebuild({image})"),
            other => f.write_str(other.kind().as_str()),
        }
    }
}

/// The name of an action, without its secrets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    PowerOn,
    PowerOff,
    Shutdown,
    Reboot,
    ResetPassword,
    Rebuild,
}

impl ActionKind {
    pub const ALL: [Self; 6] = [
        Self::PowerOn,
        Self::PowerOff,
        Self::Shutdown,
        Self::Reboot,
        Self::ResetPassword,
        Self::Rebuild,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::PowerOn => "power_on",
            Self::PowerOff => "power_off",
            Self::Shutdown => "shutdown",
            Self::Reboot => "reboot",
            Self::ResetPassword => "reset_password",
            Self::Rebuild => "rebuild",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == text)
    }

    /// The state the server is in once this action is done.
    pub fn settles_to(self) -> Lifecycle {
        match self {
            Self::PowerOff | Self::Shutdown => Lifecycle::Stopped,
            Self::PowerOn | Self::Reboot | Self::Rebuild => Lifecycle::Running,
            // A Linode is reset while stopped and stays stopped; elsewhere it keeps running.
            Self::ResetPassword => Lifecycle::Running,
        }
    }

    /// Why `capabilities` rule this action out, as a code the UI translates; `None` if offered.
    pub fn unsupported_reason(self, capabilities: &Capabilities) -> Option<Code> {
        match self {
            Self::Shutdown if !capabilities.graceful_shutdown => Some(Code::NoGracefulShutdown),
            Self::ResetPassword if !capabilities.password_reset => Some(Code::NoPasswordReset),
            Self::Rebuild if !capabilities.rebuild => Some(Code::NoRebuild),
            _ => None,
        }
    }
}

impl fmt::Display for ActionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How to follow an action the provider accepted: by its own action/event id where it has one
/// (DigitalOcean actions, Linode events), otherwise by watching the server's state (Vultr).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionHandle {
    pub id: Option<String>,
    /// A password the provider chose while doing the action (a Vultr reinstall).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub generated_password: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ActionProgress {
    InProgress,
    Done,
    Failed(String),
}

/// How to reach an instance's screen right now.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ConsoleAccess {
    Vnc {
        host: String,
        port: u16,
        password: Option<String>,
    },
    /// The provider's web console; the link is a secret of its own, fetched fresh each time.
    Url {
        url: String,
    },
    None,
}

impl fmt::Debug for ConsoleAccess {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Vnc { host, port, .. } => write!(f, "Vnc({host}:{port})"),
            Self::Url { .. } => f.write_str("Url(…)"),
            Self::None => f.write_str("None"),
        }
    }
}

/// A location a provider offers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderRegion {
    pub slug: String,
    /// The provider's own name ("Singapore 1"); admins set the name customers see.
    pub name: String,
    pub country: Option<String>,
    pub available: bool,
}

/// A server size with what it offers and where.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderSize {
    pub slug: String,
    pub vcpus: i64,
    pub memory_mb: i64,
    pub disk_gb: i64,
    pub transfer_gb: i64,
    /// The provider's own monthly price in US cents, for admins pricing it.
    pub cost_cents_monthly: i64,
    /// Region slugs the size can be created in.
    pub regions: Vec<String>,
    pub available: bool,
}

/// An operating-system image.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderImage {
    pub slug: String,
    pub name: String,
    /// `ubuntu`, `debian`, `almalinux`… for the logo.
    pub distribution: String,
    pub min_disk_gb: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    #[error("the provider has no such server")]
    NotFound,
    #[error("the provider refused the request: {0}")]
    Invalid(String),
    #[error("the provider is rate limiting us")]
    RateLimited { retry_after: Option<Duration> },
    /// One action at a time per server (DigitalOcean "pending event", Linode "busy").
    #[error("the server is busy with another action")]
    Busy,
    #[error("the provider cannot be reached: {0}")]
    Unavailable(String),
    #[error("the provider reported: {0}")]
    Provider(String),
}

impl ProviderError {
    /// Whether trying the same request later can succeed.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Self::RateLimited { .. } | Self::Busy | Self::Unavailable(_)
        )
    }
}

/// One cloud. Methods take `&self` and are safe to call from many tasks at once.
#[async_trait::async_trait]
pub trait CloudProvider: Send + Sync + fmt::Debug {
    /// The stable name stored with every instance and catalog entry (`sandbox`, `vultr`…).
    fn name(&self) -> &'static str;

    fn capabilities(&self) -> Capabilities;

    /// How long this provider takes to make a server, when it says (the sandbox knows its
    /// own): the first look at a new server is then made when it should be running, instead
    /// of on the growing 2–30 s schedule used for providers that do not say.
    fn creation_takes(&self) -> Option<std::time::Duration> {
        None
    }

    async fn list_regions(&self) -> Result<Vec<ProviderRegion>, ProviderError>;

    async fn list_sizes(&self) -> Result<Vec<ProviderSize>, ProviderError>;

    async fn list_images(&self) -> Result<Vec<ProviderImage>, ProviderError>;

    async fn create_instance(
        &self,
        request: &CreateInstance,
    ) -> Result<CreatedInstance, ProviderError>;

    /// The server with this unique label, if the provider has one: how a create whose answer was
    /// lost is found instead of repeated.
    async fn find_by_label(&self, label: &str) -> Result<Option<ProviderInstance>, ProviderError>;

    async fn get_instance(&self, id: &str) -> Result<ProviderInstance, ProviderError>;

    /// Starts destroying the server; a server that is already gone is not an error.
    async fn delete_instance(&self, id: &str) -> Result<(), ProviderError>;

    async fn perform_action(
        &self,
        id: &str,
        action: &Action,
    ) -> Result<ActionHandle, ProviderError>;

    /// Where the action stands; adapters without action ids compare the server's state.
    async fn action_progress(
        &self,
        id: &str,
        kind: ActionKind,
        handle: &ActionHandle,
    ) -> Result<ActionProgress, ProviderError>;

    /// Starts moving the server to `size` (a size slug as in `list_sizes`). Not an [`Action`]:
    /// customers start actions themselves, and a resize happens only once it is paid for.
    async fn resize(&self, id: &str, size: &str) -> Result<ActionHandle, ProviderError>;

    /// Where a resize to `size` stands (like `action_progress`).
    async fn resize_progress(
        &self,
        id: &str,
        size: &str,
        handle: &ActionHandle,
    ) -> Result<ActionProgress, ProviderError>;

    async fn console(&self, id: &str) -> Result<ConsoleAccess, ProviderError>;
}

/// The enabled providers, by name.
#[derive(Clone, Debug, Default)]
pub struct Providers {
    by_name: BTreeMap<&'static str, Arc<dyn CloudProvider>>,
}

impl Providers {
    pub fn with(mut self, provider: Arc<dyn CloudProvider>) -> Self {
        self.by_name.insert(provider.name(), provider);
        self
    }

    /// The provider, or `None` when it is not configured (any more) on this installation.
    pub fn get(&self, name: &str) -> Option<Arc<dyn CloudProvider>> {
        self.by_name.get(name).cloned()
    }

    pub fn all(&self) -> impl Iterator<Item = &Arc<dyn CloudProvider>> {
        self.by_name.values()
    }
}
