//! Server functions for servers: the customer's list, one server with its actions and history,
//! asking for an action, the one-time root password; and for admins, every server and
//! "provision for user".

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::auth::server::{caller, fail, reject, state};
use crate::errors::AppError;

/// A server as the pages show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerSummary {
    pub id: i64,
    pub hostname: String,
    pub status: String,
    pub status_message: Option<String>,
    pub provider: String,
    pub plan_name: String,
    pub vcpus: i64,
    pub memory_mb: i64,
    pub disk_gb: i64,
    pub transfer_gb: i64,
    pub region_name: String,
    pub image_name: String,
    pub ipv4: Option<String>,
    pub ipv6: Option<String>,
    pub owner_email: String,
    pub open_action: Option<String>,
    pub password_waiting: bool,
    pub created: String,
}

/// An action and, when it cannot run now, why (a code the page translates).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionChoice {
    pub kind: String,
    pub unavailable: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventLine {
    pub at: String,
    pub kind: String,
    pub level: String,
    pub message: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageChoice {
    pub slug: String,
    pub name: String,
}

/// Everything the server page shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerPage {
    pub server: ServerSummary,
    /// The viewer owns it (admins may look at others' servers but not act on them).
    pub mine: bool,
    pub actions: Vec<ActionChoice>,
    pub events: Vec<EventLine>,
    /// What a rebuild can install: the images of the server's plan.
    pub rebuild_images: Vec<ImageChoice>,
    /// How its screen is reached: `vnc_proxy` (our console page), `provider_url` (a link to the
    /// provider's own console) or `none`.
    pub console: String,
}

/// A plan with where and with what it can be provisioned, for the admin form.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanChoice {
    pub id: i64,
    pub name: String,
    pub regions: Vec<ImageChoice>,
    pub images: Vec<ImageChoice>,
}

#[cfg(feature = "ssr")]
fn time(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

#[cfg(feature = "ssr")]
fn summary(instance: domain::instances::Instance) -> ServerSummary {
    ServerSummary {
        id: instance.id,
        created: time(instance.created_at),
        hostname: instance.hostname,
        status: instance.status,
        status_message: instance.status_message,
        provider: instance.provider,
        plan_name: instance.plan_name,
        vcpus: instance.vcpus,
        memory_mb: instance.memory_mb,
        disk_gb: instance.disk_gb,
        transfer_gb: instance.transfer_gb,
        region_name: instance.region_name,
        image_name: instance.image_name,
        ipv4: instance.ipv4,
        ipv6: instance.ipv6,
        owner_email: instance.owner_email,
        open_action: instance.open_action,
        password_waiting: instance.password_waiting,
    }
}

#[server]
pub async fn my_servers() -> Result<Vec<ServerSummary>, AppError> {
    let servers = state()?
        .instances
        .list_mine(&caller()?)
        .await
        .map_err(fail)?;
    Ok(servers.into_iter().map(summary).collect())
}

#[server]
pub async fn load_server(id: i64) -> Result<ServerPage, AppError> {
    let caller = caller()?;
    let state = state()?;
    let detail = state.instances.detail(&caller, id).await.map_err(fail)?;
    let rebuild_images = state
        .catalog
        .plan_images(detail.instance.plan_id)
        .await
        .map_err(fail)?
        .into_iter()
        .map(|image| ImageChoice {
            slug: image.slug,
            name: image.name,
        })
        .collect();
    use domain::providers::ConsoleKind;
    let console = match detail.capabilities.map(|capabilities| capabilities.console) {
        Some(ConsoleKind::VncProxy) => "vnc_proxy",
        Some(ConsoleKind::ProviderUrl) => "provider_url",
        Some(ConsoleKind::None) | None => "none",
    };
    Ok(ServerPage {
        console: console.to_owned(),
        mine: detail.instance.user_id == caller.user_id,
        server: summary(detail.instance),
        actions: detail
            .actions
            .into_iter()
            .map(|offer| ActionChoice {
                kind: offer.kind.as_str().to_owned(),
                unavailable: offer.unavailable,
            })
            .collect(),
        events: detail
            .events
            .into_iter()
            .map(|event| EventLine {
                at: time(event.at),
                kind: event.kind,
                level: event.level,
                message: event.message,
            })
            .collect(),
        rebuild_images,
    })
}

/// Queues `kind` on the caller's server; a rebuild also names the image and the typed host name.
#[server]
pub async fn run_server_action(
    id: i64,
    kind: String,
    image: Option<String>,
    confirm: Option<String>,
) -> Result<(), AppError> {
    use domain::providers::ActionKind;
    let kind =
        ActionKind::parse(&kind).ok_or_else(|| reject(AppError::malformed(Some("kind".into()))))?;
    let request = domain::instances::ActionRequest {
        kind,
        image,
        confirm,
    };
    state()?
        .instances
        .request_action(&caller()?, id, request)
        .await
        .map_err(fail)?;
    Ok(())
}

/// The root password, shown once.
#[server]
pub async fn reveal_root_password(id: i64) -> Result<String, AppError> {
    state()?
        .instances
        .reveal_password(&caller()?, id)
        .await
        .map_err(fail)
}

#[server]
pub async fn admin_servers(
    status: String,
    provider: String,
    search: String,
) -> Result<Vec<ServerSummary>, AppError> {
    let filter = domain::instances::InstanceFilter {
        status: Some(status),
        provider: Some(provider),
        search: Some(search),
    };
    let servers = state()?
        .instances
        .list_all(&caller()?, &filter, 200)
        .await
        .map_err(fail)?;
    Ok(servers.into_iter().map(summary).collect())
}

/// The plans on sale with their regions and images, for the provisioning form.
#[server]
pub async fn provisioning_choices() -> Result<Vec<PlanChoice>, AppError> {
    caller()?.require_admin().map_err(fail)?;
    let plans = state()?.catalog.public_plans().await.map_err(fail)?;
    Ok(plans
        .into_iter()
        .map(|plan| PlanChoice {
            id: plan.id,
            name: plan.name,
            regions: plan
                .regions
                .into_iter()
                .map(|region| ImageChoice {
                    slug: region.slug,
                    name: region.name,
                })
                .collect(),
            images: plan
                .images
                .into_iter()
                .map(|image| ImageChoice {
                    slug: image.slug,
                    name: image.name,
                })
                .collect(),
        })
        .collect())
}

/// Creates a server for the customer with this e-mail address.
#[server]
pub async fn admin_provision(
    email: String,
    plan_id: i64,
    region: String,
    image: String,
    hostname: String,
) -> Result<i64, AppError> {
    let admin = caller()?;
    let state = state()?;
    let user = state
        .accounts
        .find_by_email(&admin, &email)
        .await
        .map_err(fail)?;
    let request = domain::instances::ProvisionRequest {
        user_id: user.id,
        plan_id,
        region,
        image,
        hostname,
        ssh_key_ids: Vec::new(),
    };
    let instance = state
        .instances
        .provision_for_user(&admin, request)
        .await
        .map_err(fail)?;
    Ok(instance.id)
}
