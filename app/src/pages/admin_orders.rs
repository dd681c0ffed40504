//! Admin pages for orders and billing: every order with search and filters, one order with its
//! history, invoices and the overrides (cancel, retry, extend, mark paid, mark refunded), every
//! invoice, and coupons. Filters live in the query string so a filtered view can be linked.

use std::time::Duration;

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::admin_orders::{
    AdminCancelOrder, AdminExtendOrder, AdminMarkInvoicePaid, AdminMarkInvoiceRefunded,
    AdminRetryOrder, AdminSaveCoupon, admin_all_invoices, admin_coupons, admin_order, admin_orders,
};
use crate::catalog::admin_plans;
use crate::errors::{AppError, Code};
use crate::i18n::{Messages, use_i18n};
use crate::pages::admin::{AdminShell, query_param};
use crate::time::{Precision, form_input_text, utc_text};
use crate::ui::style::{
    CELL, COMPACT_BUTTON, COMPACT_INPUT, DANGER, FIELD, HINT, INLINE_LINK, LABEL, MUTED, PANEL,
    PRIMARY_SMALL, SECONDARY,
};
use crate::ui::{
    DataTable, ErrorBox, ErrorNotice, Fact, Notice, Submit, Text, error_text, route_id, ticker,
};
use model::Rupiah;
use model::billing::{Invoice, Purpose};
use model::catalog::Plan;
use model::ids::{CouponId, OrderId};
use model::orders::{Coupon, CouponKind, Order, OrderPage};
use model::status::{InvoiceStatus, OrderStatus};

pub fn order_status_text(m: &'static Messages, status: OrderStatus) -> &'static str {
    match status {
        OrderStatus::PendingPayment => m.admin_orders_status_pending_payment,
        OrderStatus::Paid => m.admin_orders_status_paid,
        OrderStatus::Provisioning => m.admin_orders_status_provisioning,
        OrderStatus::Active => m.admin_orders_status_active,
        OrderStatus::Failed => m.admin_orders_status_failed,
        OrderStatus::Suspended => m.admin_orders_status_suspended,
        OrderStatus::Cancelled => m.admin_orders_status_cancelled,
        OrderStatus::Expired => m.admin_orders_status_expired,
        OrderStatus::Terminated => m.admin_orders_status_terminated,
    }
}

fn invoice_status_text(m: &'static Messages, status: InvoiceStatus) -> &'static str {
    match status {
        InvoiceStatus::Unpaid => m.admin_invoices_status_unpaid,
        InvoiceStatus::Paid => m.admin_invoices_status_paid,
        InvoiceStatus::Expired => m.admin_invoices_status_expired,
        InvoiceStatus::Cancelled => m.admin_invoices_status_cancelled,
        InvoiceStatus::Refunded => m.admin_invoices_status_refunded,
    }
}

/// `1 month`, `3 months` (`1 bulan`, `3 bulan`).
fn months_text(m: &'static Messages, months: i64) -> String {
    let unit = if months == 1 {
        m.admin_orders_month
    } else {
        m.admin_orders_months
    };
    format!("{months} {unit}")
}

fn purpose_text(m: &'static Messages, purpose: Purpose) -> &'static str {
    match purpose {
        Purpose::Renewal => m.admin_invoices_purpose_renewal,
        Purpose::New => m.admin_invoices_purpose_new,
    }
}

fn paid_via_text(m: &'static Messages, via: &str) -> &'static str {
    match via {
        "sandbox" => m.admin_invoices_via_sandbox,
        "tripay" => m.admin_invoices_via_tripay,
        "manual" => m.admin_invoices_via_manual,
        "coupon" => m.admin_invoices_via_coupon,
        _ => m.admin_orders_status_unknown,
    }
}

/// What the admin's order pages say differently from [`error_text`], which speaks to customers.
fn orders_error_text(m: &'static Messages, error: &AppError) -> &'static str {
    match error.code {
        Code::IllegalTransition => m.admin_orders_errors_illegal_transition,
        Code::InvoiceNotPayable => m.admin_orders_errors_invoice_not_payable,
        Code::NotFound => m.admin_orders_errors_not_found,
        _ => error_text(m, error),
    }
}

fn load_error(error: AppError) -> AnyView {
    let i18n = use_i18n();
    view! { <p role="alert" class="mt-4" data-testid="load-error">{move || orders_error_text(i18n.t(), &error)}</p> }.into_any()
}

#[component]
fn OrderStatusBadge(status: OrderStatus) -> impl IntoView {
    let i18n = use_i18n();
    let colour = match status {
        OrderStatus::Active => {
            "bg-emerald-100 text-emerald-800 dark:bg-emerald-950 dark:text-emerald-300"
        }
        OrderStatus::Paid => "bg-sky-100 text-sky-800 dark:bg-sky-950 dark:text-sky-300",
        OrderStatus::Failed => "bg-red-100 text-red-800 dark:bg-red-950 dark:text-red-300",
        OrderStatus::Suspended => {
            "bg-orange-100 text-orange-800 dark:bg-orange-950 dark:text-orange-300"
        }
        OrderStatus::Cancelled | OrderStatus::Expired | OrderStatus::Terminated => {
            "bg-slate-200 text-slate-700 dark:bg-slate-800 dark:text-slate-300"
        }
        OrderStatus::PendingPayment | OrderStatus::Provisioning => {
            "bg-amber-100 text-amber-800 dark:bg-amber-950 dark:text-amber-300"
        }
    };
    view! {
        <span data-testid="order-status" data-status=status.as_str() class=format!("inline-flex whitespace-nowrap rounded-full px-2.5 py-0.5 text-xs font-semibold {colour}")>
            {move || order_status_text(i18n.t(), status)}
        </span>
    }
}

#[component]
fn InvoiceStatusBadge(status: InvoiceStatus) -> impl IntoView {
    let i18n = use_i18n();
    let colour = match status {
        InvoiceStatus::Paid => {
            "bg-emerald-100 text-emerald-800 dark:bg-emerald-950 dark:text-emerald-300"
        }
        InvoiceStatus::Unpaid => {
            "bg-amber-100 text-amber-800 dark:bg-amber-950 dark:text-amber-300"
        }
        InvoiceStatus::Refunded => {
            "bg-violet-100 text-violet-800 dark:bg-violet-950 dark:text-violet-300"
        }
        InvoiceStatus::Expired | InvoiceStatus::Cancelled => {
            "bg-slate-200 text-slate-700 dark:bg-slate-800 dark:text-slate-300"
        }
    };
    view! {
        <span data-testid="invoice-status" data-status=status.as_str() class=format!("inline-flex whitespace-nowrap rounded-full px-2.5 py-0.5 text-xs font-semibold {colour}")>
            {move || invoice_status_text(i18n.t(), status)}
        </span>
    }
}

/// A labelled field of a GET filter form, filled from the query string.
#[component]
fn FilterInput(
    label: Text,
    name: &'static str,
    #[prop(default = "search")] kind: &'static str,
) -> impl IntoView {
    let i18n = use_i18n();
    let value = query_param(name);
    view! {
        <label class="text-sm">
            <span class="block text-slate-600 dark:text-slate-400">{move || label(i18n.t())}</span>
            <input type=kind name=name class=COMPACT_INPUT value=value />
        </label>
    }
}

/// A select of statuses (and "all") for a GET filter form: `value` is what the query string
/// carries for a status, `text` what a person reads.
#[component]
fn StatusSelect<Status: Copy + Send + Sync + 'static>(
    label: Text,
    statuses: &'static [Status],
    value: fn(Status) -> &'static str,
    text: fn(&'static Messages, Status) -> &'static str,
) -> impl IntoView {
    let i18n = use_i18n();
    let current = query_param("status");
    view! {
        <label class="text-sm">
            <span class="block text-slate-600 dark:text-slate-400">{move || label(i18n.t())}</span>
            <select name="status" class=COMPACT_INPUT>
                <option value="" selected=move || current().is_empty()>{move || i18n.t().admin_orders_all_statuses}</option>
                {statuses.iter().map(|&status| view! {
                    <option value=value(status) selected=move || current() == value(status)>{move || text(i18n.t(), status)}</option>
                }).collect_view()}
            </select>
        </label>
    }
}

// ---- Orders --------------------------------------------------------------------------------

#[component]
pub fn AdminOrdersPage() -> impl IntoView {
    view! { <AdminShell title=|m| m.admin_orders_title><OrdersList /></AdminShell> }
}

#[component]
fn OrdersList() -> impl IntoView {
    let i18n = use_i18n();
    let (status, search) = (query_param("status"), query_param("search"));
    let (from, to) = (query_param("from"), query_param("to"));
    let orders = Resource::new(
        move || (status(), search(), from(), to()),
        |(status, search, from, to)| admin_orders(status, search, from, to),
    );
    view! {
        <form method="get" class="mt-6 flex flex-wrap items-end gap-2" data-testid="order-filters">
            <FilterInput label=|m| m.admin_orders_search name="search" />
            <StatusSelect label=|m| m.admin_status statuses=OrderStatus::ALL value=OrderStatus::as_str text=order_status_text />
            <FilterInput label=|m| m.admin_orders_placed_from name="from" kind="date" />
            <FilterInput label=|m| m.admin_orders_placed_to name="to" kind="date" />
            <button type="submit" class=COMPACT_BUTTON>{move || i18n.t().admin_filter}</button>
            <A href="/admin/orders" attr:class=COMPACT_BUTTON>{move || i18n.t().admin_orders_clear}</A>
        </form>
        <Transition>
            {move || Suspend::new(async move {
                match orders.await {
                    Err(error) => load_error(error),
                    Ok(orders) if orders.is_empty() => view! { <p class="mt-6 text-slate-600 dark:text-slate-400" data-testid="orders-empty">{move || i18n.t().admin_orders_empty}</p> }.into_any(),
                    Ok(orders) => view! {
                        <DataTable testid="orders-table" headings=vec![|_| "#", |m| m.admin_orders_placed, |m| m.admin_orders_customer, |m| m.admin_orders_hostname, |m| m.admin_orders_plan, |m| m.admin_orders_period, |m| m.admin_status, |m| m.admin_orders_paid_until]>
                            {orders.into_iter().map(|order| view! { <OrderLine order /> }).collect_view()}
                        </DataTable>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn OrderLine(order: Order) -> impl IntoView {
    let i18n = use_i18n();
    let href = format!("/admin/orders/{}", order.id);
    let months = order.period_months;
    view! {
        <tr data-testid=format!("order-{}", order.id)>
            <td class=CELL><A href=href.clone() attr:class=INLINE_LINK>{format!("#{}", order.id)}</A></td>
            <td class=format!("{CELL} whitespace-nowrap")>{utc_text(order.created_at, Precision::Minute)}</td>
            <td class=CELL>{order.owner_email}</td>
            <td class=CELL><A href=href attr:class=format!("{INLINE_LINK} font-medium")>{order.hostname}</A></td>
            <td class=CELL>{order.plan_name}</td>
            <td class=format!("{CELL} whitespace-nowrap")>{move || months_text(i18n.t(), months)}</td>
            <td class=CELL><OrderStatusBadge status=order.status /></td>
            <td class=format!("{CELL} whitespace-nowrap")>{order.paid_until.map(|at| utc_text(at, Precision::Minute)).unwrap_or_else(|| "—".to_owned())}</td>
        </tr>
    }
}

// ---- One order -----------------------------------------------------------------------------

/// The overrides an admin can use on the order page, and what became of the last one.
#[derive(Clone, Copy)]
struct Overrides {
    cancel: ServerAction<AdminCancelOrder>,
    retry: ServerAction<AdminRetryOrder>,
    extend: ServerAction<AdminExtendOrder>,
    mark_paid: ServerAction<AdminMarkInvoicePaid>,
    refund: ServerAction<AdminMarkInvoiceRefunded>,
    /// Counts successful overrides: the page reloads and the forms empty on each.
    changed: RwSignal<u32>,
    /// The last override that finished went through.
    done: RwSignal<bool>,
}

impl Overrides {
    fn new() -> Self {
        let overrides = Self {
            cancel: ServerAction::new(),
            retry: ServerAction::new(),
            extend: ServerAction::new(),
            mark_paid: ServerAction::new(),
            refund: ServerAction::new(),
            changed: RwSignal::new(0),
            done: RwSignal::new(false),
        };
        overrides.follow(overrides.cancel);
        overrides.follow(overrides.retry);
        overrides.follow(overrides.extend);
        overrides.follow(overrides.mark_paid);
        overrides.follow(overrides.refund);
        overrides
    }

    /// A refused override leaves the page as it is, so what the admin typed stays next to the
    /// message that says what is wrong; one that went through reloads the page and clears every
    /// earlier message.
    fn follow<S>(self, action: ServerAction<S>)
    where
        S: ServerFn + Clone + Send + Sync + 'static,
        S::Output: Clone + Send + Sync + 'static,
        S::Error: Clone + Send + Sync + 'static,
    {
        Effect::new(move |_| match action.value().get() {
            Some(Ok(_)) => {
                self.clear();
                self.done.set(true);
                self.changed.update(|n| *n += 1);
            }
            Some(Err(_)) => self.done.set(false),
            None => {}
        });
    }

    fn clear(self) {
        self.cancel.clear();
        self.retry.clear();
        self.extend.clear();
        self.mark_paid.clear();
        self.refund.clear();
    }
}

#[component]
pub fn AdminOrderPage() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <AdminShell title=|m| m.admin_orders_order_title>
            <p class="mt-2"><A href="/admin/orders" attr:class=format!("{INLINE_LINK} text-sm")>"← " {move || i18n.t().admin_orders_title}</A></p>
            <OrderDetail />
        </AdminShell>
    }
}

#[component]
fn OrderDetail() -> impl IntoView {
    let id = route_id();
    let overrides = Overrides::new();
    // Going back or forward to another order keeps this component: forget the last one's
    // messages.
    Effect::new(move |previous: Option<OrderId>| {
        let current = id();
        if previous.is_some_and(|previous| previous != current) {
            overrides.clear();
            overrides.done.set(false);
        }
        current
    });
    // While the order is being paid for or provisioned the page follows it by itself.
    let tick = ticker(Duration::from_secs(3), StoredValue::new(true));
    let busy = RwSignal::new(false);
    let page = Resource::new(
        move || {
            (
                id(),
                overrides.changed.get(),
                busy.get().then(|| tick.get()),
            )
        },
        |(id, _, _)| admin_order(id),
    );
    view! {
        <Transition>
            {move || Suspend::new(async move {
                match page.await {
                    Err(error) => load_error(error),
                    Ok(page) => {
                        // Only the browser follows the order. Set while the server renders, it
                        // started a second load after the answer had gone, on signals already
                        // disposed. In the browser the page may be gone by the time its data is
                        // in (a navigation away): nothing is left to follow then.
                        #[cfg(feature = "hydrate")]
                        let _ = busy
                            .try_set(matches!(page.order.status, OrderStatus::Paid | OrderStatus::Provisioning));
                        view! { <OrderView page overrides /> }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

#[component]
fn OrderView(page: OrderPage, overrides: Overrides) -> impl IntoView {
    let i18n = use_i18n();
    let order = page.order;
    // The name the customer gave, as on their latest invoice.
    let customer_name = page
        .invoices
        .first()
        .map(|invoice| invoice.customer_name.clone());
    let failed = order.status == OrderStatus::Failed;
    let months = order.period_months;
    let paid_until = order
        .paid_until
        .map(|at| utc_text(at, Precision::Minute))
        .unwrap_or_else(|| "—".to_owned());
    let for_actions = order.clone();
    let users_link = format!("/admin/users?search={}", query_value(&order.owner_email));
    view! {
        <div class="mt-4 flex flex-wrap items-center gap-3">
            <h2 class="text-2xl font-semibold" data-testid="order-heading">{format!("#{} · {}", order.id, order.hostname)}</h2>
            <OrderStatusBadge status=order.status />
        </div>
        // Why provisioning failed; other notes are in the history.
        {order.status_message.clone().filter(|_| failed).map(|message| view! {
            <p role="alert" class="mt-3 rounded-md border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-800 dark:border-red-800 dark:bg-red-950 dark:text-red-200" data-testid="order-message">{message}</p>
        })}
        <Show when=move || overrides.done.get()>
            <div class="mt-3"><Notice text=|m| m.admin_orders_done /></div>
        </Show>
        <div class="mt-6 grid gap-6 lg:grid-cols-3">
            <section class=format!("{PANEL} lg:col-span-2")>
                <h3 class="text-lg font-semibold">{move || i18n.t().admin_orders_overview}</h3>
                <dl class="mt-4 grid grid-cols-1 gap-x-6 gap-y-3 text-sm sm:grid-cols-2" data-testid="order-facts">
                    <Fact label=|m| m.admin_orders_customer>
                        {customer_name.map(|name| view! { {name} <br /> })}
                        <A href=users_link attr:class=format!("{INLINE_LINK} font-normal")>{order.owner_email.clone()}</A>
                    </Fact>
                    <Fact label=|m| m.admin_orders_plan>{order.plan_name.clone()}</Fact>
                    <Fact label=|m| m.admin_orders_region><span class="font-mono">{order.region.clone()}</span></Fact>
                    <Fact label=|m| m.admin_orders_image><span class="font-mono">{order.image.clone()}</span></Fact>
                    <Fact label=|m| m.admin_orders_hostname>{order.hostname.clone()}</Fact>
                    <Fact label=|m| m.admin_orders_period>{move || months_text(i18n.t(), months)}</Fact>
                    <Fact label=|m| m.admin_orders_placed>{utc_text(order.created_at, Precision::Minute)}</Fact>
                    <Fact label=|m| m.admin_orders_paid_until><span data-testid="paid-until">{paid_until}</span></Fact>
                    <Fact label=|m| m.admin_orders_server>
                        {match order.instance_id {
                            Some(server) => view! { <A href=format!("/servers/{server}") attr:class=INLINE_LINK attr:data-testid="server-link">{format!("#{server}")}</A> }.into_any(),
                            None => view! { <span>"—"</span> }.into_any(),
                        }}
                    </Fact>
                </dl>
            </section>
            <OrderActions order=for_actions overrides />
        </div>
        <section class=format!("{PANEL} mt-6")>
            <h3 class="text-lg font-semibold">{move || i18n.t().admin_orders_history}</h3>
            <ol class="mt-3 space-y-2 text-sm" data-testid="order-events">
                {page.events.into_iter().map(|event| {
                    let (from, to) = (event.from_status, event.to_status);
                    let same = from == Some(to);
                    view! {
                        <li class="flex flex-wrap gap-x-3 gap-y-1">
                            <span class=format!("w-40 shrink-0 {MUTED}")>{utc_text(event.at, Precision::Minute)}</span>
                            <span class="font-medium">
                                {move || {
                                    let m = i18n.t();
                                    match from {
                                        _ if same => format!("{} ({})", order_status_text(m, to), m.admin_orders_status_unchanged),
                                        Some(from) => format!("{} → {}", order_status_text(m, from), order_status_text(m, to)),
                                        None => format!("{}: {}", m.admin_orders_placed_event, order_status_text(m, to)),
                                    }
                                }}
                            </span>
                            {event.note.map(|note| view! { <span class=MUTED>"— " {note}</span> })}
                        </li>
                    }
                }).collect_view()}
            </ol>
        </section>
        <OrderInvoices invoices=page.invoices overrides />
    }
}

/// `text` as a query-string value: e-mail addresses may hold `+`, which would read as a space.
fn query_value(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '+' | '&' | '#' | '%' | '=' | ' ' => format!("%{:02X}", u32::from(c)),
            c => c.to_string(),
        })
        .collect()
}

/// A note field for an override: every override says why, for the history and the audit log.
/// Not `required`: the domain's own message explains an empty one.
#[component]
fn NoteField(changed: RwSignal<u32>, #[prop(optional)] placeholder: Option<Text>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <label class="block w-full">
            <span class="sr-only">{move || i18n.t().admin_orders_note}</span>
            // Emptied after every override that went through: the page keeps its fields when it
            // reloads, and a note belongs to the one override it was written for.
            <input type="text" name="note" maxlength="500" autocomplete="off" class=format!("{COMPACT_INPUT} w-full")
                prop:value=move || { changed.get(); "" }
                placeholder=move || placeholder.map_or(i18n.t().admin_orders_note_placeholder, |text| text(i18n.t())) />
        </label>
    }
}

#[component]
fn OrderActions(order: Order, overrides: Overrides) -> impl IntoView {
    let i18n = use_i18n();
    let id = order.id;
    let current = order.status;
    // As `Orders::cancel` allows: an order no server runs for.
    let can_cancel = matches!(
        current,
        OrderStatus::PendingPayment | OrderStatus::Paid | OrderStatus::Failed
    );
    let can_retry = current == OrderStatus::Failed;
    let can_extend = matches!(current, OrderStatus::Active | OrderStatus::Suspended)
        && order.paid_until.is_some();
    let none = !(can_cancel || can_retry || can_extend);
    view! {
        <section class=PANEL data-testid="order-actions">
            <h3 class="text-lg font-semibold">{move || i18n.t().admin_orders_overrides}</h3>
            <p class=format!("mt-1 {HINT}")>{move || i18n.t().admin_orders_overrides_hint}</p>
            {can_retry.then(|| view! {
                <div class="mt-4">
                    <h4 class="text-sm font-semibold">{move || i18n.t().admin_orders_retry_title}</h4>
                    <ActionForm action=overrides.retry attr:class="mt-2 flex flex-wrap items-center gap-2" attr:data-testid="retry-form">
                        <input type="hidden" name="id" value=id.to_string() />
                        <NoteField changed=overrides.changed />
                        <button type="submit" class=PRIMARY_SMALL data-action="retry">{move || i18n.t().admin_orders_retry}</button>
                    </ActionForm>
                    <ErrorNotice result=overrides.retry.value() text=orders_error_text margin="mt-3" />
                                    </div>
            })}
            {can_extend.then(|| view! {
                <div class="mt-4">
                    <h4 class="text-sm font-semibold">{move || i18n.t().admin_orders_extend_title}</h4>
                    <ActionForm action=overrides.extend attr:class="mt-2 flex flex-wrap items-center gap-2" attr:data-testid="extend-form">
                        <input type="hidden" name="id" value=id.to_string() />
                        <NoteField changed=overrides.changed />
                        <label class="inline-flex items-center gap-2 text-sm">
                            <input type="number" name="days" min="1" max="366" step="1" value="30" class=format!("{COMPACT_INPUT} w-24")
                                prop:value=move || { overrides.changed.get(); "30" } />
                            {move || i18n.t().admin_orders_days}
                        </label>
                        <button type="submit" class=PRIMARY_SMALL data-action="extend">{move || i18n.t().admin_orders_extend}</button>
                    </ActionForm>
                    <ErrorNotice result=overrides.extend.value() text=orders_error_text margin="mt-3" />
                                    </div>
            })}
            {can_cancel.then(|| view! {
                <div class="mt-4">
                    <h4 class="text-sm font-semibold">{move || i18n.t().admin_orders_cancel_title}</h4>
                    <p class=HINT>{move || i18n.t().admin_orders_cancel_hint}</p>
                    <ActionForm action=overrides.cancel attr:class="mt-2 flex flex-wrap items-center gap-2" attr:data-testid="cancel-form">
                        <input type="hidden" name="id" value=id.to_string() />
                        <NoteField changed=overrides.changed />
                        <button type="submit" class=DANGER data-action="cancel">{move || i18n.t().admin_orders_cancel}</button>
                    </ActionForm>
                    <ErrorNotice result=overrides.cancel.value() text=orders_error_text margin="mt-3" />
                                    </div>
            })}
            {none.then(|| view! {
                <p class="mt-4 text-sm text-slate-600 dark:text-slate-400" data-testid="no-overrides">
                    {move || i18n.t().admin_orders_no_overrides} " " {move || order_status_text(i18n.t(), current)} "."
                </p>
            })}
        </section>
    }
}

#[component]
fn OrderInvoices(invoices: Vec<Invoice>, overrides: Overrides) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <section class=format!("{PANEL} mt-6")>
            <h3 class="text-lg font-semibold">{move || i18n.t().admin_invoices_title}</h3>
            <p class=format!("mt-1 {HINT}")>{move || i18n.t().admin_invoices_overrides_hint}</p>
            <ErrorNotice result=overrides.mark_paid.value() text=orders_error_text margin="mt-3" />
                        <ErrorNotice result=overrides.refund.value() text=orders_error_text margin="mt-3" />
                        <DataTable testid="order-invoices" headings=vec![|m| m.admin_invoices_number, |m| m.admin_invoices_billed_for, |m| m.admin_invoices_total, |m| m.admin_status, |m| m.admin_invoices_issued, |m| m.admin_invoices_paid_at, |m| m.admin_invoices_actions]>
                {invoices.into_iter().map(|invoice| {
                    let (id, status, months) = (invoice.id, invoice.status, invoice.period_months);
                    let purpose = invoice.purpose;
                    let paid = paid_line(&invoice);
                    let testid = format!("invoice-{}", invoice.number);
                    view! {
                        <tr data-testid=testid>
                            <td class=CELL><A href=format!("/invoices/{id}") attr:class=format!("{INLINE_LINK} whitespace-nowrap font-mono")>{invoice.number.clone()}</A></td>
                            <td class=CELL>{move || format!("{} · {}", purpose_text(i18n.t(), purpose), months_text(i18n.t(), months))}</td>
                            <td class=format!("{CELL} whitespace-nowrap font-medium")>{Rupiah(invoice.total).to_string()}</td>
                            <td class=CELL>
                                <InvoiceStatusBadge status=invoice.status />
                                {invoice.note.clone().map(|note| view! { <p class=format!("mt-1 {HINT}")>{note}</p> })}
                            </td>
                            <td class=format!("{CELL} whitespace-nowrap")>{utc_text(invoice.issued_at, Precision::Minute)}</td>
                            <td class=CELL>{paid}</td>
                            <td class=format!("{CELL} min-w-60")>
                                {match status.as_str() {
                                    "unpaid" => view! {
                                        <ActionForm action=overrides.mark_paid attr:class="flex flex-col items-start gap-2" attr:data-testid="mark-paid-form">
                                            <input type="hidden" name="invoice_id" value=id.to_string() />
                                            <NoteField changed=overrides.changed placeholder=|m| m.admin_invoices_mark_paid_placeholder />
                                            <button type="submit" class=PRIMARY_SMALL data-action="mark-paid">{move || i18n.t().admin_invoices_mark_paid}</button>
                                        </ActionForm>
                                    }.into_any(),
                                    "paid" => view! {
                                        <ActionForm action=overrides.refund attr:class="flex flex-col items-start gap-2" attr:data-testid="refund-form">
                                            <input type="hidden" name="invoice_id" value=id.to_string() />
                                            <NoteField changed=overrides.changed placeholder=|m| m.admin_invoices_refund_placeholder />
                                            <button type="submit" class=DANGER data-action="refund">{move || i18n.t().admin_invoices_refund}</button>
                                        </ActionForm>
                                    }.into_any(),
                                    _ => view! { <span class=MUTED>"—"</span> }.into_any(),
                                }}
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </DataTable>
        </section>
    }
}

/// `2026-11-02 10:00 UTC` over `By hand`, or a dash.
fn paid_line(invoice: &Invoice) -> impl IntoView + use<> {
    let i18n = use_i18n();
    let (at, via) = (
        invoice.paid_at.map(|at| utc_text(at, Precision::Minute)),
        invoice.paid_via.clone(),
    );
    view! {
        <span class="block whitespace-nowrap">{at.unwrap_or_else(|| "—".to_owned())}</span>
        {via.map(|via| view! { <span class=format!("block {HINT}")>{move || paid_via_text(i18n.t(), &via)}</span> })}
    }
}

// ---- Invoices ------------------------------------------------------------------------------

#[component]
pub fn AdminInvoicesPage() -> impl IntoView {
    view! { <AdminShell title=|m| m.admin_invoices_title><InvoicesList /></AdminShell> }
}

#[component]
fn InvoicesList() -> impl IntoView {
    let i18n = use_i18n();
    let status = query_param("status");
    let invoices = Resource::new(status, admin_all_invoices);
    view! {
        <form method="get" class="mt-6 flex flex-wrap items-end gap-2" data-testid="invoice-filters">
            <StatusSelect label=|m| m.admin_status statuses=InvoiceStatus::ALL value=InvoiceStatus::as_str text=invoice_status_text />
            <button type="submit" class=COMPACT_BUTTON>{move || i18n.t().admin_filter}</button>
        </form>
        <Transition>
            {move || Suspend::new(async move {
                match invoices.await {
                    Err(error) => load_error(error),
                    Ok(invoices) if invoices.is_empty() => view! { <p class="mt-6 text-slate-600 dark:text-slate-400">{move || i18n.t().admin_invoices_empty}</p> }.into_any(),
                    Ok(invoices) => view! {
                        <DataTable testid="invoices-table" headings=vec![|m| m.admin_invoices_number, |m| m.admin_orders_customer, |m| m.admin_invoices_order, |m| m.admin_invoices_billed_for, |m| m.admin_invoices_total, |m| m.admin_status, |m| m.admin_invoices_issued, |m| m.admin_invoices_paid_at]>
                            {invoices.into_iter().map(|invoice| {
                                let purpose = invoice.purpose;
                                let paid = paid_line(&invoice);
                                let testid = format!("invoice-{}", invoice.number);
                                view! {
                                    <tr data-testid=testid>
                                        <td class=CELL><A href=format!("/invoices/{}", invoice.id) attr:class=format!("{INLINE_LINK} whitespace-nowrap font-mono")>{invoice.number.clone()}</A></td>
                                        <td class=CELL>{invoice.customer_name.clone()} <span class=format!("block {HINT}")>{invoice.customer_email.clone()}</span></td>
                                        <td class=CELL><A href=format!("/admin/orders/{}", invoice.order_id) attr:class=INLINE_LINK>{format!("#{}", invoice.order_id)}</A></td>
                                        <td class=CELL>{move || purpose_text(i18n.t(), purpose)}</td>
                                        <td class=format!("{CELL} whitespace-nowrap font-medium")>{Rupiah(invoice.total).to_string()}</td>
                                        <td class=CELL><InvoiceStatusBadge status=invoice.status /></td>
                                        <td class=format!("{CELL} whitespace-nowrap")>{utc_text(invoice.issued_at, Precision::Minute)}</td>
                                        <td class=CELL>{paid}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </DataTable>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

// ---- Coupons -------------------------------------------------------------------------------

#[component]
pub fn AdminCouponsPage() -> impl IntoView {
    view! { <AdminShell title=|m| m.admin_coupons_title><CouponsAdmin /></AdminShell> }
}

/// `10%` or `Rp 50.000`.
fn discount(coupon: &Coupon) -> String {
    if coupon.kind == CouponKind::Percent {
        format!("{}%", coupon.amount)
    } else {
        Rupiah(coupon.amount).to_string()
    }
}

#[component]
fn CouponsAdmin() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let editing = move || query.read().get("edit");
    let save = ServerAction::<AdminSaveCoupon>::new();
    // Refetched after a successful save only, so a refused form keeps what the admin typed.
    let saved_coupons = RwSignal::new(0_u32);
    let coupons = Resource::new(move || saved_coupons.get(), |_| admin_coupons());
    let plans = Resource::new(|| (), |_| admin_plans());
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(_)) = save.value().get() {
            saved_coupons.update(|n| *n += 1);
            navigate("/admin/coupons", Default::default());
        }
    });
    let saved = move || editing().is_none() && matches!(save.value().get(), Some(Ok(_)));
    view! {
        <div class="mt-6 flex flex-wrap items-center gap-3">
            <A href="/admin/coupons?edit=new" attr:class=PRIMARY_SMALL attr:data-testid="new-coupon">{move || i18n.t().admin_coupons_new}</A>
            <Show when=saved><Notice text=|m| m.admin_coupons_saved /></Show>
        </div>
        <Transition>
            {move || Suspend::new(async move {
                match (coupons.await, plans.await) {
                    (Err(error), _) | (_, Err(error)) => load_error(error),
                    (Ok(coupons), Ok(plans)) => {
                        let editor = {
                            let (coupons, plans) = (coupons.clone(), plans.clone());
                            move || editing().map(|edit| {
                                let coupon = edit.parse::<i64>().ok().and_then(|id| coupons.iter().find(|c| c.id == CouponId(id)).cloned());
                                view! { <CouponEditor plans=plans.clone() coupon save /> }
                            })
                        };
                        view! {
                            {editor}
                            <CouponsTable coupons plans />
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

#[component]
fn CouponsTable(coupons: Vec<Coupon>, plans: Vec<Plan>) -> impl IntoView {
    let i18n = use_i18n();
    if coupons.is_empty() {
        return view! { <p class="mt-6 text-slate-600 dark:text-slate-400">{move || i18n.t().admin_coupons_empty}</p> }.into_any();
    }
    let plan_name = move |id: i64| {
        plans
            .iter()
            .find(|plan| plan.id.get() == id)
            .map_or_else(|| format!("#{id}"), |plan| plan.name.clone())
    };
    view! {
        <DataTable testid="coupons-table" headings=vec![|m| m.admin_coupons_code, |m| m.admin_coupons_discount, |m| m.admin_coupons_valid, |m| m.admin_coupons_used, |m| m.admin_coupons_per_customer, |m| m.admin_coupons_plans, |m| m.admin_status, |_| ""]>
            {coupons.into_iter().map(|coupon| {
                let names = coupon.plan_ids.iter().map(|&id| plan_name(id.get())).collect::<Vec<_>>().join(", ");
                let every_plan = names.is_empty();
                let active = coupon.active;
                let (from, until) = (coupon.valid_from.map(|at| utc_text(at, Precision::Minute)), coupon.valid_until.map(|at| utc_text(at, Precision::Minute)));
                let always = from.is_none() && until.is_none();
                let max = coupon.max_uses.map_or_else(|| "∞".to_owned(), |max| max.to_string());
                let per_customer = coupon.max_uses_per_customer.map_or_else(|| "∞".to_owned(), |max| max.to_string());
                view! {
                    <tr data-testid=format!("coupon-{}", coupon.code)>
                        <td class=format!("{CELL} font-mono font-medium")>{coupon.code.clone()}</td>
                        <td class=format!("{CELL} whitespace-nowrap")>{discount(&coupon)}</td>
                        <td class=format!("{CELL} whitespace-nowrap text-xs")>
                            {if always {
                                view! { <span>{move || i18n.t().admin_coupons_always}</span> }.into_any()
                            } else {
                                view! {
                                    {from.clone().map(|from| view! { <span class="block">{move || i18n.t().admin_coupons_from} " " {from}</span> })}
                                    {until.clone().map(|until| view! { <span class="block">{move || i18n.t().admin_coupons_until} " " {until}</span> })}
                                }.into_any()
                            }}
                        </td>
                        <td class=CELL>{format!("{} / {max}", coupon.used)}</td>
                        <td class=CELL>{per_customer}</td>
                        <td class=CELL>{if every_plan { view! { <span>{move || i18n.t().admin_coupons_every_plan}</span> }.into_any() } else { view! { <span>{names}</span> }.into_any() }}</td>
                        <td class=CELL>
                            <span class=if active {
                                "rounded-full bg-emerald-100 px-2 py-0.5 text-xs font-medium text-emerald-800 dark:bg-emerald-950 dark:text-emerald-300"
                            } else {
                                "rounded-full bg-slate-200 px-2 py-0.5 text-xs font-medium text-slate-700 dark:bg-slate-700 dark:text-slate-200"
                            }>
                                {move || if active { i18n.t().admin_coupons_active } else { i18n.t().admin_coupons_inactive }}
                            </span>
                        </td>
                        <td class=CELL><A href=format!("/admin/coupons?edit={}", coupon.id) attr:class=COMPACT_BUTTON>{move || i18n.t().admin_coupons_edit}</A></td>
                    </tr>
                }
            }).collect_view()}
        </DataTable>
    }.into_any()
}

/// Which part of the coupon form an error is about; `None` shows it above the form.
fn coupon_error_place(error: &AppError) -> Option<&'static str> {
    match error.code {
        Code::CouponCodeInvalid | Code::CouponCodeTaken => Some("code"),
        Code::CouponKindInvalid | Code::CouponAmountInvalid => Some("amount"),
        Code::CouponWindowInvalid => Some("window"),
        Code::CouponLimitInvalid => Some("limits"),
        Code::DateInvalid => Some("window"),
        _ => None,
    }
}

/// The save's error under the part of the form it is about.
#[component]
fn CouponFieldError(save: ServerAction<AdminSaveCoupon>, place: &'static str) -> impl IntoView {
    let i18n = use_i18n();
    move || {
        save.value()
            .get()
            .and_then(Result::err)
            .filter(|error| coupon_error_place(error) == Some(place))
            .map(|error| {
                view! {
                    <p role="alert" data-testid=format!("error-{place}") class="mt-1 text-sm text-red-700 dark:text-red-300">
                        {move || orders_error_text(i18n.t(), &error)}
                    </p>
                }
            })
    }
}

#[component]
fn CouponEditor(
    plans: Vec<Plan>,
    coupon: Option<Coupon>,
    save: ServerAction<AdminSaveCoupon>,
) -> impl IntoView {
    let i18n = use_i18n();
    let title: Text = if coupon.is_some() {
        |m| m.admin_coupons_edit_title
    } else {
        |m| m.admin_coupons_new
    };
    let id = coupon.as_ref().map(|coupon| coupon.id);
    let coupon = coupon.unwrap_or(Coupon {
        id: CouponId(0),
        code: String::new(),
        kind: CouponKind::Percent,
        amount: 0,
        valid_from: None,
        valid_until: None,
        max_uses: None,
        max_uses_per_customer: None,
        used: 0,
        plan_ids: Vec::new(),
        active: true,
    });
    let amount = (coupon.amount > 0).then_some(coupon.amount);
    let other_error = move || {
        save.value()
            .get()
            .and_then(Result::err)
            .filter(|error| coupon_error_place(error).is_none())
    };
    let percent = coupon.kind == CouponKind::Percent;
    view! {
        <section class=format!("{PANEL} mt-6")>
            <h2 class="text-lg font-semibold">{move || title(i18n.t())}</h2>
            {move || other_error().map(|error| view! {
                <ErrorBox margin="mt-3">{move || orders_error_text(i18n.t(), &error)}</ErrorBox>
            })}
            <ActionForm action=save attr:class="mt-4 space-y-5" attr:data-testid="coupon-form">
                {id.map(|id| view! { <input type="hidden" name="id" value=id.to_string() /> })}
                <div class="grid gap-4 sm:grid-cols-3">
                    <label class="block">
                        <span class=LABEL>{move || i18n.t().admin_coupons_code}</span>
                        <input type="text" name="coupon[code]" maxlength="32" autocomplete="off" value=coupon.code.clone() class=format!("{FIELD} font-mono uppercase") />
                        <span class=format!("mt-1 block {HINT}")>{move || i18n.t().admin_coupons_code_hint}</span>
                        <CouponFieldError save place="code" />
                    </label>
                    <label class="block">
                        <span class=LABEL>{move || i18n.t().admin_coupons_kind}</span>
                        <select name="coupon[kind]" class=FIELD>
                            <option value="percent" selected=percent>{move || i18n.t().admin_coupons_kind_percent}</option>
                            <option value="fixed" selected=!percent>{move || i18n.t().admin_coupons_kind_fixed}</option>
                        </select>
                    </label>
                    <label class="block">
                        <span class=LABEL>{move || i18n.t().admin_coupons_amount}</span>
                        <input type="text" inputmode="numeric" name="coupon[amount]" autocomplete="off" value=amount class=FIELD />
                        <span class=format!("mt-1 block {HINT}")>{move || i18n.t().admin_coupons_amount_hint}</span>
                        <CouponFieldError save place="amount" />
                    </label>
                </div>
                <fieldset>
                    <legend class=LABEL>{move || i18n.t().admin_coupons_valid}</legend>
                    <div class="grid gap-4 sm:grid-cols-2">
                        <label class="block">
                            <span class=HINT>{move || i18n.t().admin_coupons_valid_from}</span>
                            <input type="datetime-local" name="coupon[valid_from]" value=form_input_text(coupon.valid_from) class=FIELD />
                        </label>
                        <label class="block">
                            <span class=HINT>{move || i18n.t().admin_coupons_valid_until}</span>
                            <input type="datetime-local" name="coupon[valid_until]" value=form_input_text(coupon.valid_until) class=FIELD />
                        </label>
                    </div>
                    <span class=format!("mt-1 block {HINT}")>{move || i18n.t().admin_coupons_valid_hint}</span>
                    <CouponFieldError save place="window" />
                </fieldset>
                <fieldset>
                    <legend class=LABEL>{move || i18n.t().admin_coupons_limits}</legend>
                    <div class="grid gap-4 sm:grid-cols-2">
                        <label class="block">
                            <span class=HINT>{move || i18n.t().admin_coupons_max_uses}</span>
                            <input type="text" inputmode="numeric" name="coupon[max_uses]" autocomplete="off" value=coupon.max_uses class=FIELD />
                        </label>
                        <label class="block">
                            <span class=HINT>{move || i18n.t().admin_coupons_max_uses_per_customer}</span>
                            <input type="text" inputmode="numeric" name="coupon[max_uses_per_customer]" autocomplete="off" value=coupon.max_uses_per_customer class=FIELD />
                        </label>
                    </div>
                    <span class=format!("mt-1 block {HINT}")>{move || i18n.t().admin_coupons_limits_hint}</span>
                    <CouponFieldError save place="limits" />
                </fieldset>
                <fieldset>
                    <legend class=LABEL>{move || i18n.t().admin_coupons_plans}</legend>
                    <p class=HINT>{move || i18n.t().admin_coupons_plans_hint}</p>
                    <div class="mt-2 flex flex-wrap gap-3" data-testid="coupon-plans">
                        {plans.into_iter().map(|plan| view! {
                            <label class="inline-flex items-center gap-2 rounded-md border border-slate-300 px-3 py-1.5 text-sm dark:border-slate-700">
                                <input type="checkbox" name="coupon[plan_ids][]" value=plan.id.get() checked=coupon.plan_ids.contains(&plan.id) />
                                {plan.name}
                            </label>
                        }).collect_view()}
                    </div>
                </fieldset>
                <label class="inline-flex items-center gap-2 text-sm">
                    <input type="checkbox" name="coupon[active]" checked=coupon.active />
                    {move || i18n.t().admin_coupons_active}
                </label>
                <div class="flex flex-wrap items-center gap-3">
                    <Submit label=|m| m.admin_coupons_save pending=save.pending() />
                    <A href="/admin/coupons" attr:class=SECONDARY>{move || i18n.t().admin_coupons_cancel}</A>
                </div>
            </ActionForm>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn e_mail_addresses_survive_the_query_string() {
        assert_eq!(
            query_value("rina+vps@example.com"),
            "rina%2Bvps@example.com"
        );
        assert_eq!(query_value("a&b=c #d%"), "a%26b%3Dc%20%23d%25");
    }

    #[test]
    fn periods_read_in_both_languages() {
        use crate::i18n::Lang;
        assert_eq!(months_text(Lang::En.messages(), 1), "1 month");
        assert_eq!(months_text(Lang::En.messages(), 12), "12 months");
        assert_eq!(months_text(Lang::Id.messages(), 3), "3 bulan");
    }

    #[test]
    fn every_status_has_a_name_in_both_languages() {
        use crate::i18n::Lang;
        for lang in Lang::ALL {
            let m = lang.messages();
            for &status in OrderStatus::ALL {
                assert_ne!(order_status_text(m, status), "");
            }
            for &status in InvoiceStatus::ALL {
                assert_ne!(invoice_status_text(m, status), "");
            }
        }
    }
}
