//! The customer's servers: the list, one server's page with its actions and history, and the
//! admins' list of every server with "provision for user". The customer's pages reload the
//! moment the bell's live feed brings a server notification (ready, an action done or failed),
//! so a server booting or rebooting shows its new state by itself, and poll on a timer as well.

use std::time::Duration;

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::components::A;

use crate::PageTitle;
use crate::bell::use_live_feed;
use crate::console::{ConsoleOpening, OpenConsole};
use crate::i18n::{Messages, use_i18n};
use crate::instances::{
    AdminProvision, RevealRootPassword, RunServerAction, admin_servers, load_server, my_servers,
    provisioning_choices,
};
use crate::pages::account::RequireUser;
use crate::pages::admin::{AdminShell, FilterForm, query_param};
use crate::time::{Precision, time_text};
use crate::ui::style::{BUTTON, CELL, DANGER, PANEL};
use crate::ui::{
    DataTable, ErrorNotice, Fact, Field, Loaded, Submit, error_text, nothing_listed,
    resize_status_text, route_id,
};
use model::catalog::{OfferedImage, PublicPlan};
use model::instances::{ConsoleKind, Instance, ServerPage};
use model::notifications::{Category, Notification};
use model::status::{InstanceStatus, ResizeStatus};
use model::{InstanceId, NotificationId, PlanId};

const SELECT: &str = "mt-1 block w-full rounded-md text-base border border-slate-300 bg-white px-3 py-2 dark:border-slate-700 dark:bg-slate-900";

/// Bumps the returned signal on a timer in the browser, so resources that read it reload: every
/// `fast` without the live feed, every `slow` while it is connected (a new period starts when
/// it connects or drops). Polling stays because some changes notify nobody: an action's start,
/// the provisioning steps before "ready", a server an admin provisioned without an order, what
/// the platform does (a suspension's power-off), a change made at the provider's panel, and an
/// admin looking at someone else's server (its notifications go to its owner).
fn poll(fast: Duration, slow: Duration) -> ReadSignal<u32> {
    let feed = use_live_feed();
    let (tick, set_tick) = signal(0u32);
    Effect::new(move |_| {
        let every = if feed.connected() { slow } else { fast };
        if let Ok(handle) = set_interval_with_handle(move || set_tick.update(|n| *n += 1), every) {
            on_cleanup(move || handle.clear());
        }
    });
    tick
}

/// The id of the newest server notification the live feed delivered that `about` accepts (kept
/// until another such one arrives), so a resource that reads it reloads at each one.
fn server_news(
    about: impl Fn(&Notification) -> bool + Send + Sync + 'static,
) -> Memo<Option<NotificationId>> {
    let feed = use_live_feed();
    Memo::new(move |last: Option<&Option<NotificationId>>| {
        feed.latest()
            .filter(|item| {
                matches!(item.category, Category::Server | Category::Actions) && about(item)
            })
            .map(|item| item.id)
            .or_else(|| last.copied().flatten())
    })
}

fn status_text(m: &'static Messages, status: InstanceStatus) -> &'static str {
    match status {
        InstanceStatus::Provisioning => m.servers_status_provisioning,
        InstanceStatus::Running => m.servers_status_running,
        InstanceStatus::Stopped => m.servers_status_stopped,
        InstanceStatus::Deleting => m.servers_status_deleting,
        InstanceStatus::Deleted => m.servers_status_deleted,
        InstanceStatus::Error => m.servers_status_error,
    }
}

fn action_text(m: &'static Messages, kind: &str) -> &'static str {
    match kind {
        "power_on" => m.servers_action_power_on,
        "power_off" => m.servers_action_power_off,
        "shutdown" => m.servers_action_shutdown,
        "reboot" => m.servers_action_reboot,
        "reset_password" => m.servers_action_reset_password,
        "resize" => m.servers_action_resize,
        _ => m.servers_action_rebuild,
    }
}

fn reason_text(m: &'static Messages, reason: &str) -> &'static str {
    match reason {
        "no_password_reset" => m.servers_reason_no_password_reset,
        "no_graceful_shutdown" => m.servers_reason_no_graceful_shutdown,
        "no_rebuild" => m.servers_reason_no_rebuild,
        "needs_stopped" => m.servers_reason_needs_stopped,
        "needs_running" => m.servers_reason_needs_running,
        "already_running" => m.servers_reason_already_running,
        "action_in_progress" => m.servers_reason_action_in_progress,
        "provider_unavailable" => m.servers_reason_provider_unavailable,
        "suspended" => m.servers_reason_suspended,
        _ => m.servers_reason_not_ready,
    }
}

fn event_text(m: &'static Messages, kind: &str) -> &'static str {
    match kind {
        "provisioning_requested" => m.servers_event_provisioning_requested,
        "provider_created" => m.servers_event_provider_created,
        "ready" => m.servers_event_ready,
        "provisioning_failed" => m.servers_event_provisioning_failed,
        "action_requested" => m.servers_event_action_requested,
        "action_done" => m.servers_event_action_done,
        "action_failed" => m.servers_event_action_failed,
        "shutdown_forced" => m.servers_event_shutdown_forced,
        "status_changed" => m.servers_event_status_changed,
        "suspended" => m.servers_event_suspended,
        "resumed" => m.servers_event_resumed,
        "terminated" => m.servers_event_terminated,
        "deleted" => m.servers_event_deleted,
        "resize_step" => m.servers_event_resize_step,
        "resized" => m.servers_event_resized,
        "resize_failed" => m.servers_event_resize_failed,
        _ => m.servers_event_password_revealed,
    }
}

/// An event's detail; action events start with the action's code (`reboot`, `reboot: why`),
/// which reads better translated.
fn event_detail(m: &'static Messages, message: &str) -> String {
    if let Some(step) = ResizeStatus::parse(message) {
        return resize_status_text(m, step).to_owned();
    }
    let (code, rest) = match message.split_once(": ") {
        Some((code, rest)) => (code, Some(rest)),
        None => (message, None),
    };
    let known = [
        "power_on",
        "power_off",
        "shutdown",
        "reboot",
        "reset_password",
        "rebuild",
        "resize",
    ];
    if !known.contains(&code) {
        return message.to_owned();
    }
    match rest {
        Some(rest) => format!("{}: {rest}", action_text(m, code)),
        None => action_text(m, code).to_owned(),
    }
}

#[component]
pub(crate) fn StatusBadge(status: InstanceStatus, action: Option<String>) -> impl IntoView {
    let i18n = use_i18n();
    let colour = match status {
        InstanceStatus::Running => {
            "bg-emerald-100 text-emerald-800 dark:bg-emerald-950 dark:text-emerald-300"
        }
        InstanceStatus::Stopped | InstanceStatus::Deleted => {
            "bg-slate-200 text-slate-700 dark:bg-slate-800 dark:text-slate-300"
        }
        InstanceStatus::Error => "bg-red-100 text-red-800 dark:bg-red-950 dark:text-red-300",
        InstanceStatus::Provisioning | InstanceStatus::Deleting => {
            "bg-amber-100 text-amber-800 dark:bg-amber-950 dark:text-amber-300"
        }
    };
    view! {
        <span data-testid="server-status" data-status=status.as_str() class=format!("inline-flex items-center gap-1 rounded-full px-2.5 py-0.5 text-xs font-semibold {colour}")>
            {move || status_text(i18n.t(), status)}
            {action.clone().map(|kind| view! { <span class="font-normal">" · " {move || action_text(i18n.t(), &kind)} "…"</span> })}
        </span>
    }
}

fn specs(server: &Instance) -> String {
    format!(
        "{} vCPU · {} GB RAM · {} GB NVMe · {}",
        server.vcpus,
        server.memory_mb / 1024,
        server.disk_gb,
        crate::pages::catalog::transfer(server.transfer_gb)
    )
}

#[component]
pub fn ServersPage() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <PageTitle text=|m| m.servers_title />
        <h1 class="text-3xl font-bold tracking-tight">{move || i18n.t().servers_title}</h1>
        <RequireUser view=|_| view! { <ServerList /> } />
    }
}

#[component]
fn ServerList() -> impl IntoView {
    let tick = poll(Duration::from_secs(5), Duration::from_secs(10));
    // Every server notification is about one of the customer's servers.
    let news = server_news(|_| true);
    let servers = Resource::new(move || (tick.get(), news.get()), |_| my_servers());
    view! {
        <Transition>
            {move || Suspend::new(async move {
                match servers.await {
                    Ok(list) if !list.is_empty() => view! {
                        <ul class="mt-6 grid gap-4 md:grid-cols-2" data-testid="server-list">
                            {list.into_iter().map(|server| {
                                let spec = specs(&server);
                                let (href, hostname) = (format!("/servers/{}", server.id), server.hostname.clone());
                                view! {
                                <li class=PANEL>
                                    <div class="flex items-start justify-between gap-3">
                                        <A href=href attr:class="text-lg font-semibold text-sky-700 hover:underline dark:text-sky-400">{hostname}</A>
                                        <StatusBadge status=server.status action=server.open_action.clone() />
                                    </div>
                                    <p class="mt-1 text-sm text-slate-600 dark:text-slate-400">{server.plan_name.clone()} " · " {spec}</p>
                                    <p class="mt-1 text-sm text-slate-600 dark:text-slate-400">{server.region_name.clone()} " · " {server.image_name.clone()}</p>
                                    <p class="mt-2 font-mono text-sm">{server.ipv4.clone().unwrap_or_else(|| "—".to_owned())}</p>
                                </li>
                            }}).collect_view()}
                        </ul>
                    }.into_any(),
                    other => nothing_listed(other.err(), |m| m.servers_empty),
                }
            })}
        </Transition>
    }
}

#[component]
pub fn ServerDetailPage() -> impl IntoView {
    let i18n = use_i18n();
    let id = route_id();
    view! {
        <PageTitle text=|m| m.servers_detail_title />
        <p><A href="/servers" attr:class="text-sm text-sky-700 hover:underline dark:text-sky-400">"← " {move || i18n.t().servers_title}</A></p>
        <RequireUser view=move |_| view! { <ServerDetail id=InstanceId(id()) /> } />
    }
}

#[component]
fn ServerDetail(id: InstanceId) -> impl IntoView {
    let i18n = use_i18n();
    let tick = poll(Duration::from_secs(3), Duration::from_secs(10));
    // Only notifications about this server (ready, an action done or failed link to it), so
    // another server's news does not wipe what the customer is typing here.
    let link = format!("/servers/{id}");
    let news = server_news(move |item| item.link.as_deref() == Some(link.as_str()));
    let act = ServerAction::<RunServerAction>::new();
    // Reload on the timer only while something is in progress, so an idle page keeps what the
    // customer is typing (the rebuild confirmation) and what they opened.
    let busy = RwSignal::new(true);
    let page = Resource::new(
        move || {
            (
                busy.get().then(|| tick.get()),
                news.get(),
                act.version().get(),
            )
        },
        move |_| load_server(id),
    );
    view! {
        <Transition>
            {move || Suspend::new(async move {
                match page.await {
                    Err(error) => view! { <p role="alert" class="mt-6" data-testid="server-error">{move || error_text(i18n.t(), &error)}</p> }.into_any(),
                    Ok(page) => {
                        // Only the browser polls. Set while the server renders, it started a
                        // second load after the answer had gone, on signals already disposed
                        // (a panic under concurrent requests).
                        #[cfg(feature = "hydrate")]
                        busy.set(page.detail.instance.status == InstanceStatus::Provisioning || page.detail.instance.open_action.is_some());
                        view! { <ServerView page act /> }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

#[component]
fn ServerView(page: ServerPage, act: ServerAction<RunServerAction>) -> impl IntoView {
    let i18n = use_i18n();
    let server = page.detail.instance.clone();
    let sandbox = server.provider == "sandbox";
    view! {
        <div class="mt-2 flex flex-wrap items-center gap-3">
            <h1 class="text-3xl font-bold tracking-tight" data-testid="server-hostname">{server.hostname.clone()}</h1>
            <StatusBadge status=server.status action=server.open_action.clone() />
        </div>
        {sandbox.then(|| view! {
            <p data-testid="sandbox-notice" class="mt-3 rounded-md border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-900 dark:border-amber-800 dark:bg-amber-950 dark:text-amber-200">
                {move || i18n.t().servers_sandbox_notice}
            </p>
        })}
        {server.status_message.clone().map(|message| view! {
            <p role="alert" class="mt-3 rounded-md border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-800 dark:border-red-800 dark:bg-red-950 dark:text-red-200">{message}</p>
        })}
        <div class="mt-6 grid gap-6 lg:grid-cols-3">
            <section class=format!("{PANEL} lg:col-span-2")>
                <h2 class="text-lg font-semibold">{move || i18n.t().servers_overview}</h2>
                <dl class="mt-4 grid grid-cols-1 gap-x-6 gap-y-3 text-sm sm:grid-cols-2">
                    <Fact label=|m| m.servers_plan>{format!("{} · {}", server.plan_name, specs(&server))}</Fact>
                    <Fact label=|m| m.servers_region>{server.region_name.clone()}</Fact>
                    <Fact label=|m| m.servers_image>{server.image_name.clone()}</Fact>
                    <Fact label=|m| m.servers_provider>{server.provider.clone()}</Fact>
                    <Address label=|m| m.servers_ipv4 value=server.ipv4.clone() testid="ipv4" />
                    <Address label=|m| m.servers_ipv6 value=server.ipv6.clone() testid="ipv6" />
                    <Fact label=|m| m.servers_created>{time_text(server.created_at, Precision::Second)}</Fact>
                    // Admins look at others' orders on their own page.
                    {server.order_id.map(|order| view! {
                        <Fact label=|m| m.servers_order>
                            <A href=if page.mine { format!("/orders/{order}") } else { format!("/admin/orders/{order}") } attr:class="text-sky-700 hover:underline dark:text-sky-400" attr:data-testid="server-order">{format!("#{order}")}</A>
                        </Fact>
                    })}
                </dl>
            </section>
            <section class=PANEL>
                <h2 class="text-lg font-semibold">{move || i18n.t().servers_root_password}</h2>
                <RootPassword id=server.id waiting=server.password_waiting mine=page.mine />
            </section>
        </div>
        {page.mine.then(|| view! { <Actions page=page.clone() act /> })}
        <Console page=page.clone() />
        <section class=format!("{PANEL} mt-6")>
            <h2 class="text-lg font-semibold">{move || i18n.t().servers_history}</h2>
            <ol class="mt-3 space-y-2 text-sm" data-testid="server-events">
                {page.detail.events.into_iter().map(|event| {
                    let colour = match event.level.as_str() {
                        "success" => "bg-emerald-500",
                        "error" => "bg-red-500",
                        _ => "bg-slate-400",
                    };
                    let kind = event.kind.clone();
                    view! {
                        <li class="flex gap-3">
                            <span class=format!("mt-1.5 h-2 w-2 shrink-0 rounded-full {colour}")></span>
                            <span class="w-44 shrink-0 text-slate-500 dark:text-slate-400">{time_text(event.at, Precision::Second)}</span>
                            <span>{move || event_text(i18n.t(), &kind)} {event.message.map(|message| view! { <span class="text-slate-500 dark:text-slate-400">" — " {move || event_detail(i18n.t(), &message)}</span> })}</span>
                        </li>
                    }
                }).collect_view()}
            </ol>
        </section>
    }
}

/// Where the server's screen is: our console page, the provider's own (a fresh secret link,
/// fetched on a click and opened by a second one, so no pop-up blocker stands in the way), or
/// nowhere, with what to do instead.
#[component]
fn Console(page: ServerPage) -> impl IntoView {
    let i18n = use_i18n();
    let id = page.detail.instance.id;
    let running = page.detail.instance.status == InstanceStatus::Running;
    let fetch = ServerAction::<OpenConsole>::new();
    let link = move || match fetch.value().get() {
        Some(Ok(ConsoleOpening::ProviderUrl { url })) => Some(url),
        _ => None,
    };
    let body = match page.detail.console() {
        ConsoleKind::VncProxy if running => view! {
            <p class="mt-2 text-sm text-slate-600 dark:text-slate-400">{move || i18n.t().servers_console_about}</p>
            <a href=format!("/servers/{id}/console") class=format!("{BUTTON} mt-3 inline-block") data-testid="open-console">{move || i18n.t().servers_console_open}</a>
        }.into_any(),
        ConsoleKind::ProviderUrl if running => view! {
            <p class="mt-2 text-sm text-slate-600 dark:text-slate-400">{move || i18n.t().servers_console_provider_about}</p>
            <div class="mt-3 flex flex-wrap items-center gap-3">
                <ActionForm action=fetch>
                    <input type="hidden" name="id" value=id.get() />
                    <button type="submit" class=BUTTON data-testid="fetch-console-link">{move || i18n.t().servers_console_provider_fetch}</button>
                </ActionForm>
                {move || link().map(|url| view! {
                    <a href=url target="_blank" rel="noopener noreferrer" class="text-sm font-medium text-sky-700 underline dark:text-sky-300" data-testid="provider-console-link">{move || i18n.t().servers_console_provider_open}</a>
                })}
            </div>
            <ErrorNotice result=fetch.value() />
        }.into_any(),
        ConsoleKind::VncProxy | ConsoleKind::ProviderUrl => {
            let status = page.detail.instance.status;
            view! {
                <p class="mt-2 text-sm text-slate-600 dark:text-slate-400" data-testid="console-not-running">{move || {
                    let m = i18n.t();
                    match status {
                        InstanceStatus::Stopped => m.servers_console_not_running,
                        InstanceStatus::Error => m.servers_console_failed,
                        _ => m.servers_console_gone,
                    }
                }}</p>
            }.into_any()
        }
        ConsoleKind::None => view! {
            <p class="mt-2 text-sm text-slate-600 dark:text-slate-400" data-testid="console-none">{move || i18n.t().servers_console_none}</p>
        }.into_any(),
    };
    view! {
        <section class=format!("{PANEL} mt-6") data-testid="console-panel">
            <h2 class="text-lg font-semibold">{move || i18n.t().servers_console}</h2>
            {body}
        </section>
    }
}

/// An address with a button that copies it.
#[component]
fn Address(label: crate::ui::Text, value: Option<String>, testid: &'static str) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <div>
            <dt class="text-slate-500 dark:text-slate-400">{move || label(i18n.t())}</dt>
            <dd class="flex items-center gap-2">
                <span class="font-mono font-medium" data-testid=testid>{value.clone().unwrap_or_else(|| "—".to_owned())}</span>
                {value.map(|text| view! { <CopyButton text /> })}
            </dd>
        </div>
    }
}

/// Puts `text` on the clipboard.
#[component]
fn CopyButton(text: String) -> impl IntoView {
    let i18n = use_i18n();
    let copied = RwSignal::new(false);
    let copy = move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(window) = web_sys::window() {
            let _ = window.navigator().clipboard().write_text(&text);
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = &text;
        copied.set(true);
    };
    view! {
        <button type="button" data-testid="copy" class="rounded border border-slate-300 px-1.5 py-0.5 text-xs hover:bg-slate-100 dark:border-slate-700 dark:hover:bg-slate-800" on:click=copy>
            {move || if copied.get() { i18n.t().servers_copied } else { i18n.t().servers_copy }}
        </button>
    }
}

#[component]
fn RootPassword(id: InstanceId, waiting: bool, mine: bool) -> impl IntoView {
    let i18n = use_i18n();
    let reveal = ServerAction::<RevealRootPassword>::new();
    let shown = move || reveal.value().get().and_then(Result::ok);
    view! {
        <div class="mt-3 space-y-3 text-sm">
            {move || match shown() {
                Some(password) => view! {
                    <p class="text-slate-600 dark:text-slate-400">{move || i18n.t().servers_password_once}</p>
                    <div class="flex items-start gap-2">
                        <p class="grow select-all break-all rounded-md bg-slate-100 px-3 py-2 font-mono text-base dark:bg-slate-800" data-testid="root-password">{password.clone()}</p>
                        <CopyButton text=password />
                    </div>
                }.into_any(),
                None if waiting && mine => view! {
                    <p class="text-slate-600 dark:text-slate-400">{move || i18n.t().servers_password_ready}</p>
                    <ActionForm action=reveal>
                        <input type="hidden" name="id" value=id.get() />
                        <button type="submit" class=BUTTON data-testid="reveal-password">{move || i18n.t().servers_password_reveal}</button>
                    </ActionForm>
                }.into_any(),
                None => view! { <p class="text-slate-600 dark:text-slate-400">{move || i18n.t().servers_password_none}</p> }.into_any(),
            }}
            <ErrorNotice result=reveal.value() />
        </div>
    }
}

#[component]
fn Actions(page: ServerPage, act: ServerAction<RunServerAction>) -> impl IntoView {
    let i18n = use_i18n();
    let id = page.detail.instance.id;
    // The action whose consequences are on screen, waiting for a yes.
    let asked = RwSignal::new(None::<String>);
    let rebuild = page
        .detail
        .actions
        .iter()
        .find(|a| a.kind == "rebuild")
        .cloned();
    view! {
        <section class=format!("{PANEL} mt-6")>
            <h2 class="text-lg font-semibold">{move || i18n.t().servers_actions}</h2>
            <div class="mt-4 flex flex-wrap gap-2" data-testid="server-actions">
                {page.detail.actions.iter().filter(|a| a.kind != "rebuild").map(|action| {
                    let kind = action.kind.clone();
                    let label_kind = kind.clone();
                    let reason = action.unavailable.clone();
                    let title = move || reason.as_deref().map(|r| reason_text(i18n.t(), r)).unwrap_or_default();
                    let style = action_style(&kind);
                    let label = move || action_text(i18n.t(), &label_kind);
                    let disabled = action.unavailable.is_some();
                    if ASKS_FIRST.contains(&kind.as_str()) {
                        let asking = kind.clone();
                        view! {
                            <button type="button" class=style data-action=kind disabled=disabled title=title
                                on:click=move |_| asked.set(Some(asking.clone()))>
                                {label}
                            </button>
                        }.into_any()
                    } else {
                        view! {
                            <ActionForm action=act>
                                <input type="hidden" name="id" value=id.get() />
                                <input type="hidden" name="kind" value=kind.clone() />
                                <button type="submit" class=style data-action=kind disabled=disabled title=title>{label}</button>
                            </ActionForm>
                        }.into_any()
                    }
                }).collect_view()}
            </div>
            {move || asked.get().map(|kind| view! { <ConfirmAction id kind asked act /> })}
            <ul class="mt-3 space-y-1 text-xs text-slate-500 dark:text-slate-400" data-testid="action-reasons">
                {page.detail.actions.iter().filter_map(|action| {
                    let reason = action.unavailable.clone()?;
                    // Only reasons about the provider explain a missing feature; state reasons show on hover.
                    let provider_reason = reason.starts_with("no_") || reason == "provider_unavailable";
                    let kind = action.kind.clone();
                    provider_reason.then(|| view! {
                        <li>{move || action_text(i18n.t(), &kind)} ": " {move || reason_text(i18n.t(), &reason)}</li>
                    })
                }).collect_view()}
            </ul>
            <ErrorNotice result=act.value() />
            {rebuild.map(|rebuild| view! { <RebuildForm id hostname=page.detail.instance.hostname.clone() images=page.rebuild_images.clone() reason=rebuild.unavailable act /> })}
        </section>
    }
}

/// Powering off is drawn as the dangerous one.
fn action_style(kind: &str) -> &'static str {
    if kind == "power_off" { DANGER } else { BUTTON }
}

/// The actions that say what they will do and wait for a yes: what they do cannot be taken
/// back. A rebuild asks for the host name instead; powering on asks nothing.
const ASKS_FIRST: [&str; 4] = ["power_off", "shutdown", "reboot", "reset_password"];

fn consequence_text(m: &'static Messages, kind: &str) -> &'static str {
    match kind {
        "power_off" => m.servers_confirm_power_off,
        "shutdown" => m.servers_confirm_shutdown,
        "reboot" => m.servers_confirm_reboot,
        _ => m.servers_confirm_reset_password,
    }
}

/// Says what `kind` will do and runs it on a yes.
#[component]
fn ConfirmAction(
    id: InstanceId,
    kind: String,
    asked: RwSignal<Option<String>>,
    act: ServerAction<RunServerAction>,
) -> impl IntoView {
    let i18n = use_i18n();
    let style = action_style(&kind);
    let what = kind.clone();
    let sent = kind.clone();
    let marked = kind.clone();
    view! {
        <div role="alertdialog" aria-labelledby="confirm-action-title" data-testid="confirm-action" data-kind=marked
            class="mt-4 rounded-md border border-amber-300 bg-amber-50 p-4 text-sm text-amber-950 dark:border-amber-800 dark:bg-amber-950 dark:text-amber-100">
            <p id="confirm-action-title" class="font-semibold">{move || action_text(i18n.t(), &what)}</p>
            <p class="mt-1">{move || consequence_text(i18n.t(), &kind)}</p>
            // Closed once sent: the page reloads with the action under way.
            <ActionForm action=act on:submit=move |_| asked.set(None) attr:class="mt-3 flex flex-wrap gap-2">
                <input type="hidden" name="id" value=id.get() />
                <input type="hidden" name="kind" value=sent />
                <button type="submit" class=style data-testid="confirm-action-yes">{move || i18n.t().servers_confirm_yes}</button>
                <button type="button" class=BUTTON data-testid="confirm-action-no" on:click=move |_| asked.set(None)>{move || i18n.t().servers_confirm_no}</button>
            </ActionForm>
        </div>
    }
}

#[component]
fn RebuildForm(
    id: InstanceId,
    hostname: String,
    images: Vec<OfferedImage>,
    reason: Option<String>,
    act: ServerAction<RunServerAction>,
) -> impl IntoView {
    let i18n = use_i18n();
    let disabled = reason.is_some();
    view! {
        <details class="mt-5 rounded-md border border-red-200 p-4 dark:border-red-900">
            <summary class="cursor-pointer text-sm font-semibold text-red-700 dark:text-red-300">{move || i18n.t().servers_rebuild_title}</summary>
            <p class="mt-2 text-sm text-slate-600 dark:text-slate-400">{move || i18n.t().servers_rebuild_warning}</p>
            <ActionForm action=act attr:class="mt-3 grid gap-3 sm:grid-cols-3 sm:items-end">
                <input type="hidden" name="id" value=id.get() />
                <input type="hidden" name="kind" value="rebuild" />
                <label class="block text-sm">
                    <span class="font-medium">{move || i18n.t().servers_image}</span>
                    <select name="image" class=SELECT>
                        {images.into_iter().map(|image| view! { <option value=image.slug>{image.name}</option> }).collect_view()}
                    </select>
                </label>
                <label class="block text-sm">
                    <span class="font-medium">{move || i18n.t().servers_rebuild_confirm} " " <code class="font-mono">{hostname.clone()}</code></span>
                    <input name="confirm" autocomplete="off" class=SELECT data-testid="rebuild-confirm" />
                </label>
                <button type="submit" class=DANGER disabled=disabled data-action="rebuild">{move || i18n.t().servers_action_rebuild}</button>
            </ActionForm>
        </details>
    }
}

#[component]
pub fn AdminServersPage() -> impl IntoView {
    view! { <AdminShell title=|m| m.servers_admin_title><AdminServers /></AdminShell> }
}

#[component]
fn AdminServers() -> impl IntoView {
    let status = query_param("status");
    let provider = query_param("provider");
    let search = query_param("search");
    let provision = ServerAction::<AdminProvision>::new();
    let servers = Resource::new(
        move || (status(), provider(), search(), provision.version().get()),
        |(status, provider, search, _)| admin_servers(status, provider, search),
    );
    view! {
        <ProvisionForm provision />
        <FilterForm fields=vec![("search", |m| m.admin_search), ("status", |m| m.admin_status), ("provider", |m| m.servers_provider)] />
        <Loaded of=servers show=move |servers| view! {
                <DataTable testid="servers-table" headings=vec![|_| "#", |m| m.servers_hostname, |m| m.auth_email, |m| m.admin_status, |m| m.servers_plan, |m| m.servers_region, |m| m.servers_provider, |m| m.servers_ipv4]>
                    {servers.into_iter().map(|server| view! {
                        <tr>
                            <td class=CELL>{server.id.to_string()}</td>
                            <td class=CELL><A href=format!("/servers/{}", server.id) attr:class="text-sky-700 hover:underline dark:text-sky-400">{server.hostname.clone()}</A></td>
                            <td class=CELL>{server.owner_email.clone()}</td>
                            <td class=CELL><StatusBadge status=server.status action=server.open_action.clone() /></td>
                            <td class=CELL>{server.plan_name.clone()}</td>
                            <td class=CELL>{server.region_name.clone()}</td>
                            <td class=CELL>{server.provider.clone()}</td>
                            <td class=format!("{CELL} font-mono")>{server.ipv4.clone().unwrap_or_default()}</td>
                        </tr>
                    }).collect_view()}
                </DataTable>
        } />
    }
}

#[component]
fn ProvisionForm(provision: ServerAction<AdminProvision>) -> impl IntoView {
    let i18n = use_i18n();
    let choices = Resource::new(|| (), |()| provisioning_choices());
    let chosen_plan = RwSignal::new(None::<PlanId>);
    view! {
        <details class=format!("{PANEL} mt-6") data-testid="provision-form">
            <summary class="cursor-pointer font-semibold">{move || i18n.t().servers_provision_title}</summary>
            <p class="mt-2 text-sm text-slate-600 dark:text-slate-400">{move || i18n.t().servers_provision_hint}</p>
            <Transition>
                {move || Suspend::new(async move {
                    let plans: Vec<PublicPlan> = choices.await.unwrap_or_default();
                    let plans = StoredValue::new(plans);
                    let current = move || {
                        plans.with_value(|plans| {
                            let id = chosen_plan.get();
                            plans.iter().find(|p| Some(p.id) == id).or_else(|| plans.first()).cloned()
                        })
                    };
                    view! {
                        <ActionForm action=provision attr:class="mt-4 grid gap-4 md:grid-cols-3">
                            <Field label=|m| m.servers_customer_email name="email" kind="email" required=true />
                            <label class="block text-sm">
                                <span class="font-medium">{move || i18n.t().servers_plan}</span>
                                <select name="plan_id" class=SELECT on:change=move |ev| chosen_plan.set(event_target_value(&ev).parse().ok())>
                                    {plans.with_value(|plans| plans.iter().map(|plan| view! { <option value=plan.id.get()>{plan.name.clone()}</option> }).collect_view())}
                                </select>
                            </label>
                            <Field label=|m| m.servers_hostname name="hostname" required=true />
                            <label class="block text-sm">
                                <span class="font-medium">{move || i18n.t().servers_region}</span>
                                <select name="region" class=SELECT>
                                    {move || current().map(|plan| plan.regions.into_iter().map(|r| view! { <option value=r.slug>{r.name}</option> }).collect_view())}
                                </select>
                            </label>
                            <label class="block text-sm">
                                <span class="font-medium">{move || i18n.t().servers_image}</span>
                                <select name="image" class=SELECT>
                                    {move || current().map(|plan| plan.images.into_iter().map(|i| view! { <option value=i.slug>{i.name}</option> }).collect_view())}
                                </select>
                            </label>
                            <div class="flex items-end"><Submit label=|m| m.servers_provision_submit pending=provision.pending() /></div>
                        </ActionForm>
                    }
                })}
            </Transition>
            <div class="mt-3">
                <ErrorNotice result=provision.value() />
                {move || provision.value().get().and_then(Result::ok).map(|id| view! {
                    <p role="status" data-testid="form-notice" class="text-sm text-emerald-700 dark:text-emerald-300">
                        {move || i18n.t().servers_provision_done} " "
                        <A href=format!("/servers/{id}") attr:class="font-medium underline">{format!("#{id}")}</A>
                    </p>
                })}
            </div>
        </details>
    }
}
