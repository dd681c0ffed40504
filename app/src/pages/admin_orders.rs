//! Admin pages for orders and billing: every order with search and filters, one order with its
//! history, invoices and the overrides (cancel, retry, extend, mark paid, mark refunded), and
//! every invoice (coupons are [`crate::pages::admin_coupons`]). Filters live in the query string
//! so a filtered view can be linked.

use std::time::Duration;

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::components::A;

use crate::admin_orders::{
    AdminCancelOrder, AdminExtendOrder, AdminMarkInvoicePaid, AdminMarkInvoiceRefunded,
    AdminRefundToCredit, AdminRetryOrder, admin_all_invoices, admin_order, admin_orders,
};
use crate::errors::{AppError, Code};
use crate::i18n::{Messages, use_i18n};
use crate::pages::admin::{AdminShell, query_param};
use crate::pages::orders::{event_note, purpose_text};
use crate::time::{Precision, time_text};
use crate::ui::style::{
    CELL, COMPACT_BUTTON, COMPACT_INPUT, DANGER, HINT, INLINE_LINK, MUTED, PANEL, PRIMARY_SMALL,
};
use crate::ui::{DataTable, ErrorNotice, Fact, Notice, Text, error_text, route_id, ticker};
use model::Rupiah;
use model::billing::Invoice;
use model::ids::OrderId;
use model::orders::{Order, OrderPage};
use model::status::{InvoiceStatus, OrderStatus, Status};

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
pub(crate) fn orders_error_text(m: &'static Messages, error: &AppError) -> &'static str {
    match error.code {
        Code::IllegalTransition => m.admin_orders_errors_illegal_transition,
        Code::InvoiceNotPayable => m.admin_orders_errors_invoice_not_payable,
        Code::NotFound => m.admin_orders_errors_not_found,
        _ => error_text(m, error),
    }
}

pub(crate) fn load_error(error: AppError) -> AnyView {
    let i18n = use_i18n();
    view! { <p role="alert" class="mt-4" data-testid="load-error">{move || orders_error_text(i18n.t(), &error)}</p> }.into_any()
}

#[component]
fn OrderStatusBadge(status: OrderStatus) -> impl IntoView {
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
    status_pill(status, colour, order_status_text, "order-status")
}

#[component]
fn InvoiceStatusBadge(status: InvoiceStatus) -> impl IntoView {
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
    status_pill(status, colour, invoice_status_text, "invoice-status")
}

/// A status's words in a pill of the colour its badge chose.
fn status_pill<S: Status>(
    status: S,
    colour: &'static str,
    text: fn(&'static Messages, S) -> &'static str,
    testid: &'static str,
) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <span data-testid=testid data-status=status.as_str() class=format!("inline-flex whitespace-nowrap rounded-full px-2.5 py-0.5 text-xs font-semibold {colour}")>
            {move || text(i18n.t(), status)}
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

/// A select of every status (and "all") for a GET filter form: the query string carries a
/// status's stored name, a person reads `text`.
#[component]
fn StatusSelect<S: Status>(
    label: Text,
    text: fn(&'static Messages, S) -> &'static str,
) -> impl IntoView {
    let i18n = use_i18n();
    let current = query_param("status");
    view! {
        <label class="text-sm">
            <span class="block text-slate-600 dark:text-slate-400">{move || label(i18n.t())}</span>
            <select name="status" class=COMPACT_INPUT>
                <option value="" selected=move || current().is_empty()>{move || i18n.t().admin_orders_all_statuses}</option>
                {S::ALL.iter().map(|&status| view! {
                    <option value=status.as_str() selected=move || current() == status.as_str()>{move || text(i18n.t(), status)}</option>
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
            <StatusSelect label=|m| m.admin_status text=order_status_text />
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
            <td class=format!("{CELL} whitespace-nowrap")>{time_text(order.created_at, Precision::Minute)}</td>
            <td class=CELL>{order.owner_email}</td>
            <td class=CELL><A href=href attr:class=format!("{INLINE_LINK} font-medium")>{order.hostname}</A></td>
            <td class=CELL>{order.plan_name}</td>
            <td class=format!("{CELL} whitespace-nowrap")>{move || months_text(i18n.t(), months)}</td>
            <td class=CELL><OrderStatusBadge status=order.status /></td>
            <td class=format!("{CELL} whitespace-nowrap")>{order.paid_until.map(|at| time_text(at, Precision::Minute)).unwrap_or_else(|| "—".to_owned())}</td>
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
    refund_to_credit: ServerAction<AdminRefundToCredit>,
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
            refund_to_credit: ServerAction::new(),
            changed: RwSignal::new(0),
            done: RwSignal::new(false),
        };
        overrides.follow(overrides.cancel);
        overrides.follow(overrides.retry);
        overrides.follow(overrides.extend);
        overrides.follow(overrides.mark_paid);
        overrides.follow(overrides.refund);
        overrides.follow(overrides.refund_to_credit);
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
        .map(|at| time_text(at, Precision::Minute))
        .unwrap_or_else(|| "—".to_owned());
    let auto_renew = order.auto_renew;
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
                    <Fact label=|m| m.admin_orders_placed>{time_text(order.created_at, Precision::Minute)}</Fact>
                    <Fact label=|m| m.admin_orders_paid_until><span data-testid="paid-until">{paid_until}</span></Fact>
                    <Fact label=|m| m.orders_auto_renew>
                        <span data-testid="auto-renew">{move || if auto_renew { i18n.t().orders_auto_renew_yes } else { i18n.t().orders_auto_renew_no }}</span>
                    </Fact>
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
                            <span class=format!("w-40 shrink-0 {MUTED}")>{time_text(event.at, Precision::Minute)}</span>
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
                            {event.note.map(|note| view! { <span class=MUTED>"— " {move || event_note(i18n.t(), &note)}</span> })}
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

/// One override: what it is called, what to know before using it, its form (the children), and
/// why it was refused.
#[component]
fn Override<T: Clone + Send + Sync + 'static>(
    title: Text,
    #[prop(optional)] hint: Option<Text>,
    #[prop(into)] result: Signal<Option<Result<T, AppError>>>,
    children: Children,
) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <div class="mt-4">
            <h4 class="text-sm font-semibold">{move || title(i18n.t())}</h4>
            {hint.map(|hint| view! { <p class=HINT>{move || hint(i18n.t())}</p> })}
            {children()}
            <ErrorNotice result text=orders_error_text margin="mt-3" />
        </div>
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
                <Override title=|m| m.admin_orders_retry_title result=overrides.retry.value()>
                    <ActionForm action=overrides.retry attr:class="mt-2 flex flex-wrap items-center gap-2" attr:data-testid="retry-form">
                        <input type="hidden" name="id" value=id.to_string() />
                        <NoteField changed=overrides.changed />
                        <button type="submit" class=PRIMARY_SMALL data-action="retry">{move || i18n.t().admin_orders_retry}</button>
                    </ActionForm>
                </Override>
            })}
            {can_extend.then(|| view! {
                <Override title=|m| m.admin_orders_extend_title result=overrides.extend.value()>
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
                </Override>
            })}
            {can_cancel.then(|| view! {
                <Override title=|m| m.admin_orders_cancel_title hint=|m| m.admin_orders_cancel_hint result=overrides.cancel.value()>
                    <ActionForm action=overrides.cancel attr:class="mt-2 flex flex-wrap items-center gap-2" attr:data-testid="cancel-form">
                        <input type="hidden" name="id" value=id.to_string() />
                        <NoteField changed=overrides.changed />
                        <button type="submit" class=DANGER data-action="cancel">{move || i18n.t().admin_orders_cancel}</button>
                    </ActionForm>
                </Override>
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
            <ErrorNotice result=overrides.refund_to_credit.value() text=orders_error_text margin="mt-3" />
                        <DataTable testid="order-invoices" headings=vec![|m| m.admin_invoices_number, |m| m.admin_invoices_billed_for, |m| m.admin_invoices_total, |m| m.admin_status, |m| m.admin_invoices_issued, |m| m.admin_invoices_paid_at, |m| m.admin_invoices_actions]>
                {invoices.into_iter().map(|invoice| {
                    let (id, status, months) = (invoice.id, invoice.status, invoice.period_months);
                    // What can still go back to the customer's credit.
                    let left = invoice.total - invoice.credit_refunded;
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
                            <td class=format!("{CELL} whitespace-nowrap")>{time_text(invoice.issued_at, Precision::Minute)}</td>
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
                                        <ActionForm action=overrides.refund_to_credit attr:class="mt-3 flex flex-col items-start gap-2 border-t border-slate-200 pt-3 dark:border-slate-800" attr:data-testid="refund-to-credit-form">
                                            <input type="hidden" name="invoice_id" value=id.to_string() />
                                            <label class="block w-full">
                                                <span class="sr-only">{move || i18n.t().admin_invoices_refund_amount}</span>
                                                <input type="number" name="amount" min="1" max=left.to_string() autocomplete="off" class=format!("{COMPACT_INPUT} w-full")
                                                    prop:value=move || { overrides.changed.get(); "" }
                                                    placeholder=move || format!("{} {}", i18n.t().admin_invoices_refund_amount_placeholder, Rupiah(left)) />
                                            </label>
                                            <NoteField changed=overrides.changed placeholder=|m| m.admin_invoices_refund_to_credit_placeholder />
                                            <button type="submit" class=COMPACT_BUTTON data-action="refund-to-credit">{move || i18n.t().admin_invoices_refund_to_credit}</button>
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

/// `2026-11-02 17:00 WIB` over `By hand`, or a dash.
fn paid_line(invoice: &Invoice) -> impl IntoView + use<> {
    let i18n = use_i18n();
    let (at, via) = (
        invoice.paid_at.map(|at| time_text(at, Precision::Minute)),
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
            <StatusSelect label=|m| m.admin_status text=invoice_status_text />
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
                                        <td class=CELL>{invoice.order_id.map(|order_id| view! { <A href=format!("/admin/orders/{order_id}") attr:class=INLINE_LINK>{format!("#{order_id}")}</A> })}</td>
                                        <td class=CELL>{move || purpose_text(i18n.t(), purpose)}</td>
                                        <td class=format!("{CELL} whitespace-nowrap font-medium")>{Rupiah(invoice.total).to_string()}</td>
                                        <td class=CELL><InvoiceStatusBadge status=invoice.status /></td>
                                        <td class=format!("{CELL} whitespace-nowrap")>{time_text(invoice.issued_at, Precision::Minute)}</td>
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
