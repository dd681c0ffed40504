//! The customer's home after log-in: what needs their attention first, then their servers, the
//! invoices they can pay, the services that renew soon and their latest notifications. Drawn
//! from the same server functions as the pages it links to.

use chrono::{DateTime, Duration, Utc};
use leptos::prelude::*;
use leptos_router::components::A;

use crate::PageTitle;
use crate::admin::admin_setup_checklist;
use crate::i18n::{Messages, use_i18n};
use crate::instances::my_servers;
use crate::notifications::bell_notifications;
use crate::orders::{my_invoices, my_orders};
use crate::pages::account::RequireUser;
use crate::pages::servers::StatusBadge;
use crate::time::{Precision, time_text};
use crate::ui::style::{LINK, MUTED, PANEL, PRIMARY, PRIMARY_SMALL};
use crate::ui::{Text, error_text};
use model::Rupiah;
use model::accounts::User;
use model::admin::{SetupState, SetupStep};
use model::billing::Invoice;
use model::instances::Instance;
use model::orders::Order;
use model::status::{InstanceStatus, InvoiceStatus, OrderStatus};

/// How far ahead renewals are listed.
const RENEWALS_AHEAD: Duration = Duration::days(30);
/// A renewal this close with auto-renew off, or an invoice this close to its deadline, needs
/// the customer.
const SOON: Duration = Duration::days(7);
const INVOICE_SOON: Duration = Duration::hours(48);
/// How many notifications the home shows; the bell and /notifications have the rest.
const LATEST_NOTIFICATIONS: usize = 5;

/// Something the customer should act on: what it is about (a host name or an invoice
/// number), why, and where to do it.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Attention {
    about: String,
    reason: Reason,
    link: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Reason {
    ServerFailed,
    ServiceSuspended,
    InvoiceDue(DateTime<Utc>),
    EndsWithoutRenewal(DateTime<Utc>),
}

impl Attention {
    fn text(&self, m: &'static Messages) -> String {
        let why = match self.reason {
            Reason::ServerFailed => m.dashboard_attention_server_failed.to_owned(),
            Reason::ServiceSuspended => m.dashboard_attention_suspended.to_owned(),
            Reason::InvoiceDue(due) => format!(
                "{} {}",
                m.dashboard_attention_invoice_due,
                time_text(due, Precision::Minute)
            ),
            Reason::EndsWithoutRenewal(ends) => format!(
                "{} {}",
                m.dashboard_attention_ends,
                time_text(ends, Precision::Day)
            ),
        };
        format!("{}: {why}", self.about)
    }
}

/// What needs the customer, most pressing first: failed servers, suspended services, invoices
/// about to lapse, services about to end with auto-renew off.
fn needs_attention(
    servers: &[Instance],
    orders: &[Order],
    invoices: &[Invoice],
    now: DateTime<Utc>,
) -> Vec<Attention> {
    let failed = servers
        .iter()
        .filter(|server| server.status == InstanceStatus::Error)
        .map(|server| Attention {
            about: server.hostname.clone(),
            reason: Reason::ServerFailed,
            link: format!("/servers/{}", server.id),
        });
    let suspended = orders
        .iter()
        .filter(|order| order.status == OrderStatus::Suspended)
        .map(|order| Attention {
            about: order.hostname.clone(),
            reason: Reason::ServiceSuspended,
            link: format!("/orders/{}", order.id),
        });
    let due = open_invoices(invoices)
        .filter(|invoice| invoice.expires_at - now <= INVOICE_SOON)
        .map(|invoice| Attention {
            about: invoice.number.clone(),
            reason: Reason::InvoiceDue(invoice.expires_at),
            link: format!("/invoices/{}", invoice.id),
        });
    let ending = renewals(orders, now)
        .into_iter()
        .filter(|(order, ends)| !order.auto_renew && *ends - now <= SOON)
        .map(|(order, ends)| Attention {
            about: order.hostname.clone(),
            reason: Reason::EndsWithoutRenewal(ends),
            link: format!("/orders/{}", order.id),
        });
    failed.chain(suspended).chain(due).chain(ending).collect()
}

/// Invoices the customer can still pay.
fn open_invoices(invoices: &[Invoice]) -> impl Iterator<Item = &Invoice> {
    invoices
        .iter()
        .filter(|invoice| invoice.shown_status() == InvoiceStatus::Unpaid)
}

/// Running services whose paid period ends within [`RENEWALS_AHEAD`], soonest first.
fn renewals(orders: &[Order], now: DateTime<Utc>) -> Vec<(&Order, DateTime<Utc>)> {
    let mut coming: Vec<_> = orders
        .iter()
        .filter(|order| order.status == OrderStatus::Active)
        .filter_map(|order| order.paid_until.map(|ends| (order, ends)))
        .filter(|(_, ends)| *ends - now <= RENEWALS_AHEAD)
        .collect();
    coming.sort_by_key(|(_, ends)| *ends);
    coming
}

#[component]
pub fn DashboardPage() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <PageTitle text=|m| m.dashboard_title />
        <h1 class="text-3xl font-bold tracking-tight">{move || i18n.t().dashboard_title}</h1>
        <RequireUser view=|me: User| view! {
            {me.is_admin().then(|| view! { <SetupChecklist /> })}
            <Dashboard />
        } />
    }
}

#[component]
fn Dashboard() -> impl IntoView {
    let i18n = use_i18n();
    let servers = Resource::new(|| (), |_| my_servers());
    let orders = Resource::new(|| (), |_| my_orders());
    let invoices = Resource::new(|| (), |_| my_invoices());
    let notifications = Resource::new(|| (), |_| bell_notifications());
    view! {
        <Transition>
            {move || Suspend::new(async move {
                let (servers, orders, invoices) = match (servers.await, orders.await, invoices.await) {
                    (Ok(servers), Ok(orders), Ok(invoices)) => (servers, orders, invoices),
                    (Err(error), _, _) | (_, Err(error), _) | (_, _, Err(error)) => {
                        return view! { <p role="alert" class="mt-6">{move || error_text(i18n.t(), &error)}</p> }.into_any();
                    }
                };
                let now = Utc::now();
                let attention = needs_attention(&servers, &orders, &invoices, now);
                let open: Vec<Invoice> = open_invoices(&invoices).cloned().collect();
                let renewing: Vec<(Order, DateTime<Utc>)> = renewals(&orders, now)
                    .into_iter()
                    .map(|(order, ends)| (order.clone(), ends))
                    .collect();
                let latest = notifications.await.ok().flatten().map(|page| page.items).unwrap_or_default();
                view! {
                    <AttentionPanel attention />
                    <div class="mt-6 grid gap-6 lg:grid-cols-2">
                        <ServersPanel servers />
                        <InvoicesPanel open />
                        <RenewalsPanel renewing />
                        <NotificationsPanel latest />
                    </div>
                }.into_any()
            })}
        </Transition>
    }
}

/// An admin's list of what the shop still needs before it takes real orders, each step with
/// its state and how to do it; gone once every step is done.
#[component]
fn SetupChecklist() -> impl IntoView {
    let i18n = use_i18n();
    let steps = Resource::new(|| (), |_| admin_setup_checklist());
    view! {
        <Transition>
            {move || Suspend::new(async move {
                let steps = steps.await.unwrap_or_default();
                let done = steps.iter().filter(|state| state.done).count();
                (done < steps.len()).then(|| {
                    let total = steps.len();
                    view! {
                        <section class=format!("{PANEL} mt-6") data-testid="setup-checklist">
                            <div class="flex flex-wrap items-baseline justify-between gap-2">
                                <h2 class="text-lg font-semibold">{move || i18n.t().dashboard_setup_title}</h2>
                                <span class=format!("text-sm {MUTED}") data-testid="setup-progress">
                                    {move || format!("{done}/{total} {}", i18n.t().dashboard_setup_done)}
                                </span>
                            </div>
                            <p class=format!("mt-1 text-sm {MUTED}")>{move || i18n.t().dashboard_setup_intro}</p>
                            <ol class="mt-3 divide-y divide-slate-200 text-sm dark:divide-slate-800">
                                {steps.into_iter().map(|state| view! { <SetupItem state /> }).collect_view()}
                            </ol>
                        </section>
                    }
                })
            })}
        </Transition>
    }
}

#[component]
fn SetupItem(state: SetupState) -> impl IntoView {
    let i18n = use_i18n();
    let (title, how, link): (Text, Text, Option<&'static str>) = match state.step {
        SetupStep::PlanOnSale => (
            |m| m.dashboard_setup_plan,
            |m| m.dashboard_setup_plan_how,
            Some("/admin/plans"),
        ),
        SetupStep::SellerDetails => (
            |m| m.dashboard_setup_seller,
            |m| m.dashboard_setup_seller_how,
            None,
        ),
        SetupStep::Smtp => (
            |m| m.dashboard_setup_smtp,
            |m| m.dashboard_setup_smtp_how,
            Some("/admin/outbox"),
        ),
        SetupStep::PaymentGateway => (
            |m| m.dashboard_setup_payments,
            |m| m.dashboard_setup_payments_how,
            None,
        ),
        SetupStep::CloudProvider => (
            |m| m.dashboard_setup_cloud,
            |m| m.dashboard_setup_cloud_how,
            Some("/admin/health"),
        ),
    };
    let (mark, mark_look) = if state.done {
        (
            "✓",
            "bg-emerald-100 text-emerald-800 dark:bg-emerald-900 dark:text-emerald-100",
        )
    } else {
        (
            "○",
            "bg-slate-100 text-slate-600 dark:bg-slate-800 dark:text-slate-300",
        )
    };
    view! {
        <li class="flex gap-3 py-2" data-testid="setup-step" data-step=state.step.as_str() data-done=state.done.to_string()>
            <span aria-hidden="true" class=format!("mt-0.5 flex h-6 w-6 shrink-0 items-center justify-center rounded-full text-xs font-bold {mark_look}")>{mark}</span>
            <div>
                <p class="font-medium">
                    {move || title(i18n.t())}
                    <span class="sr-only">{move || format!(" ({})", if state.done { i18n.t().dashboard_setup_step_done } else { i18n.t().dashboard_setup_step_todo })}</span>
                </p>
                {(!state.done).then(|| view! {
                    <p class=MUTED>
                        {move || how(i18n.t())}
                        {link.map(|link| view! { " " <A href=link attr:class=LINK>{move || i18n.t().dashboard_setup_open} " →"</A> })}
                    </p>
                })}
            </div>
        </li>
    }
}

/// A panel with a heading, a link to the page that has everything, and its rows, or `none`
/// when there are none.
#[component]
fn Panel(
    title: Text,
    all: &'static str,
    all_text: Text,
    testid: &'static str,
    none: Text,
    empty: bool,
    children: Children,
) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <section class=PANEL data-testid=testid>
            <div class="flex items-baseline justify-between gap-3">
                <h2 class="text-lg font-semibold">{move || title(i18n.t())}</h2>
                <A href=all attr:class=format!("{LINK} text-sm")>{move || all_text(i18n.t())} " →"</A>
            </div>
            {empty.then(|| view! { <p class=format!("mt-3 text-sm {MUTED}")>{move || none(i18n.t())}</p> })}
            <ul class="mt-3 divide-y divide-slate-200 text-sm dark:divide-slate-800">{children()}</ul>
        </section>
    }
}

/// A row of a panel.
const ROW: &str = "flex flex-wrap items-center justify-between gap-2 py-2";

#[component]
fn AttentionPanel(attention: Vec<Attention>) -> impl IntoView {
    let i18n = use_i18n();
    let calm = attention.is_empty();
    let look = if calm {
        "mt-6 rounded-xl border border-emerald-200 bg-emerald-50 p-5 text-emerald-900 dark:border-emerald-900 dark:bg-emerald-950 dark:text-emerald-100"
    } else {
        "mt-6 rounded-xl border border-amber-300 bg-amber-50 p-5 text-amber-950 dark:border-amber-800 dark:bg-amber-950 dark:text-amber-100"
    };
    view! {
        <section class=look data-testid="attention">
            <h2 class="text-lg font-semibold">{move || i18n.t().dashboard_attention_title}</h2>
            {if calm {
                view! { <p class="mt-2 text-sm">{move || i18n.t().dashboard_attention_none}</p> }.into_any()
            } else {
                view! {
                    <ul class="mt-2 space-y-1 text-sm">
                        {attention.into_iter().map(|item| {
                            let link = item.link.clone();
                            view! {
                                <li><A href=link attr:class="font-medium underline">{move || item.text(i18n.t())}</A></li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn ServersPanel(servers: Vec<Instance>) -> impl IntoView {
    let i18n = use_i18n();
    let servers: Vec<Instance> = servers
        .into_iter()
        .filter(|server| server.status != InstanceStatus::Deleted)
        .collect();
    let empty = servers.is_empty();
    view! {
        <Panel title=|m| m.dashboard_servers all="/servers" all_text=|m| m.dashboard_all_servers testid="home-servers" none=|m| m.dashboard_no_servers empty>
            {servers.into_iter().map(|server| view! {
                <li class=ROW>
                    <A href=format!("/servers/{}", server.id) attr:class=LINK>{server.hostname.clone()}</A>
                    <span class="font-mono">{server.ipv4.clone().unwrap_or_else(|| "—".to_owned())}</span>
                    <StatusBadge status=server.status action=server.open_action.clone() />
                </li>
            }).collect_view()}
            {empty.then(|| view! {
                <li><A href="/order" attr:class=PRIMARY attr:data-testid="home-order">{move || i18n.t().dashboard_order_server}</A></li>
            })}
        </Panel>
    }
}

#[component]
fn InvoicesPanel(open: Vec<Invoice>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <Panel title=|m| m.dashboard_invoices all="/invoices" all_text=|m| m.dashboard_all_invoices testid="home-invoices" none=|m| m.dashboard_no_invoices empty=open.is_empty()>
            {open.into_iter().map(|invoice| view! {
                <li class=ROW>
                    <span>
                        <span class="font-mono">{invoice.number.clone()}</span>
                        <span class=format!("block text-xs {MUTED}")>{move || i18n.t().orders_pay_before} " " {time_text(invoice.expires_at, Precision::Minute)}</span>
                    </span>
                    <span class="tabular-nums font-semibold">{Rupiah(invoice.total).to_string()}</span>
                    <A href=format!("/invoices/{}", invoice.id) attr:class=PRIMARY_SMALL attr:data-testid="home-pay">{move || i18n.t().orders_pay}</A>
                </li>
            }).collect_view()}
        </Panel>
    }
}

#[component]
fn RenewalsPanel(renewing: Vec<(Order, DateTime<Utc>)>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <Panel title=|m| m.dashboard_renewals all="/orders" all_text=|m| m.dashboard_all_orders testid="home-renewals" none=|m| m.dashboard_no_renewals empty=renewing.is_empty()>
            {renewing.into_iter().map(|(order, ends)| {
                let auto = order.auto_renew;
                view! {
                    <li class=ROW>
                        <A href=format!("/orders/{}", order.id) attr:class=LINK>{order.hostname.clone()}</A>
                        <span>{time_text(ends, Precision::Day)}</span>
                        <span class=MUTED>{move || if auto { i18n.t().dashboard_renews_itself } else { i18n.t().dashboard_ends } }</span>
                    </li>
                }
            }).collect_view()}
        </Panel>
    }
}

#[component]
fn NotificationsPanel(latest: Vec<model::notifications::Notification>) -> impl IntoView {
    view! {
        <Panel title=|m| m.dashboard_notifications all="/notifications" all_text=|m| m.dashboard_all_notifications testid="home-notifications" none=|m| m.dashboard_no_notifications empty=latest.is_empty()>
            {latest.into_iter().take(LATEST_NOTIFICATIONS).map(|item| {
                let title = item.title.clone();
                view! {
                    <li class="py-2">
                        {match item.link.clone() {
                            Some(link) => view! { <A href=link attr:class=LINK>{title}</A> }.into_any(),
                            None => view! { <span class="font-medium">{title}</span> }.into_any(),
                        }}
                        <span class=format!("block text-xs {MUTED}")>{time_text(item.created_at, Precision::Minute)}</span>
                    </li>
                }
            }).collect_view()}
        </Panel>
    }
}
