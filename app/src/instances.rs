//! Server functions for servers: the customer's list, one server with its actions and history,
//! asking for an action, the one-time root password; and for admins, every server and
//! "provision for user".

use leptos::prelude::*;
use model::catalog::PublicPlan;
use model::instances::{Instance, ServerPage};
use model::{InstanceId, PlanId};

#[cfg(feature = "ssr")]
use crate::auth::server::{caller, fail, state};
use crate::errors::AppError;
#[cfg(feature = "ssr")]
use crate::errors::reject;

#[server]
pub async fn my_servers() -> Result<Vec<Instance>, AppError> {
    let servers = state()?
        .instances
        .list_mine(&caller()?)
        .await
        .map_err(fail)?;
    Ok(servers.into_iter().map(Instance::from).collect())
}

#[server]
pub async fn load_server(id: InstanceId) -> Result<ServerPage, AppError> {
    let caller = caller()?;
    let state = state()?;
    let detail = state
        .instances
        .detail(&caller, id.get())
        .await
        .map_err(fail)?;
    let rebuild_images = state
        .catalog
        .plan_images(detail.instance.plan_id)
        .await
        .map_err(fail)?;
    Ok(ServerPage {
        mine: detail.instance.user_id == caller.user_id,
        detail: detail.into(),
        rebuild_images: rebuild_images.into_iter().map(Into::into).collect(),
    })
}

/// Queues `kind` on the caller's server; a rebuild also names the image and the typed host name.
#[server]
pub async fn run_server_action(
    id: InstanceId,
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
        .request_action(&caller()?, id.get(), request)
        .await
        .map_err(fail)?;
    Ok(())
}

/// The root password, shown once.
#[server]
pub async fn reveal_root_password(id: InstanceId) -> Result<String, AppError> {
    state()?
        .instances
        .reveal_password(&caller()?, id.get())
        .await
        .map_err(fail)
}

#[server]
pub async fn admin_servers(
    status: String,
    provider: String,
    search: String,
) -> Result<Vec<Instance>, AppError> {
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
    Ok(servers.into_iter().map(Instance::from).collect())
}

/// The plans on sale with their regions and images, for the provisioning form.
#[server]
pub async fn provisioning_choices() -> Result<Vec<PublicPlan>, AppError> {
    caller()?.require_admin().map_err(fail)?;
    let plans = state()?.catalog.public_plans().await.map_err(fail)?;
    Ok(plans.into_iter().map(PublicPlan::from).collect())
}

/// Creates a server for the customer with this e-mail address.
#[server]
pub async fn admin_provision(
    email: String,
    plan_id: PlanId,
    region: String,
    image: String,
    hostname: String,
) -> Result<InstanceId, AppError> {
    let admin = caller()?;
    let state = state()?;
    let user = state
        .accounts
        .find_by_email(&admin, &email)
        .await
        .map_err(fail)?;
    let request = domain::instances::ProvisionRequest {
        user_id: user.id,
        plan_id: plan_id.get(),
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
    Ok(instance.id.into())
}
