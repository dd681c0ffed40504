//! Following an order: "My orders", and one order with its progress, history and invoices
//! (placing one is [`crate::pages::order_wizard`]).
//! An order still on its way (waiting for payment, paid, being provisioned) reloads itself every
//! few seconds, so a payment made in another tab shows up without a reload.

use std::time::Duration;

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;

use crate::PageTitle;
use crate::catalog::public_plans;
use crate::errors::{AppError, Code};
use crate::i18n::{Messages, use_i18n};
use crate::orders::{
    CancelMyOrder, RequestResize, SetAutoRenew, load_order, load_resize_options, my_orders,
};
use crate::pages::account::RequireUser;
use crate::time::{Precision, time_text};
use crate::ui::style::{BUTTON, CELL, DANGER, FIELD, LINK, PANEL, PRIMARY, SECONDARY};
use crate::ui::{
    Badge, DataTable, ErrorBox, Fact, Text, error_text, invoice_status_text, order_status_text,
    resize_status_text, route_id, ticker,
};
use model::Rupiah;
use model::billing::{Invoice, Purpose};
use model::catalog::PublicPlan;
use model::ids::{OrderId, UserId};
use model::orders::{Order, OrderPage, ResizeOptions};
use model::status::{InvoiceStatus, OrderStatus, ResizeStatus};

/// An order that will change by itself soon: paid for, or being made (or waiting for a payment
/// that may arrive from another tab or the gateway).
pub(crate) fn order_in_progress(status: OrderStatus) -> bool {
    matches!(
        status,
        OrderStatus::PendingPayment | OrderStatus::Paid | OrderStatus::Provisioning
    )
}

pub(crate) fn purpose_text(m: &'static Messages, purpose: Purpose) -> &'static str {
    match purpose {
        Purpose::Renewal => m.orders_purpose_renewal,
        Purpose::New => m.orders_purpose_new,
        Purpose::Resize => m.orders_purpose_resize,
        Purpose::TopUp => m.orders_purpose_top_up,
    }
}

/// Notes the system writes in an order's history, translated; people's notes (an admin's
/// reason, a provider's error) are shown as written.
pub(crate) fn event_note(m: &'static Messages, note: &str) -> String {
    match note {
        "the invoice expired unpaid" => m.orders_note_invoice_expired.to_owned(),
        "cancelled by the customer" => m.orders_note_cancelled_by_customer.to_owned(),
        "auto-renew was off: the service ended with its paid period" => {
            m.orders_note_ended_with_period.to_owned()
        }
        "auto-renew turned off" => m.orders_note_auto_renew_off.to_owned(),
        "the payment was refunded" => m.orders_note_refunded.to_owned(),
        "auto-renew turned on" => m.orders_note_auto_renew_on.to_owned(),
        _ => match note.split_once(": ") {
            Some(("plan changed to", plan)) => format!("{} {plan}", m.orders_note_resized),
            _ => note.to_owned(),
        },
    }
}

/// The message for an error from ordering or paying, in the current language: a host name is
/// taken by a server or by another order.
pub(crate) fn order_error_text(m: &'static Messages, error: &AppError) -> &'static str {
    match error.code {
        Code::HostnameTaken => m.orders_error_hostname_taken,
        _ => error_text(m, error),
    }
}

/// An action's error in the current language; an unverified e-mail also gets the way to fix it.
#[component]
pub(crate) fn OrderErrorNotice<T: Clone + Send + Sync + 'static>(
    #[prop(into)] result: Signal<Option<Result<T, AppError>>>,
) -> impl IntoView {
    let i18n = use_i18n();
    move || {
        result.get().and_then(Result::err).map(|error| {
            let unverified = error.code == Code::EmailNotVerified;
            view! {
                <ErrorBox>
                    {move || order_error_text(i18n.t(), &error)}
                    {unverified.then(|| view! {
                        " " <A href="/account" attr:class="font-medium underline" attr:data-testid="verify-link">{move || i18n.t().orders_verify_link}</A>
                    })}
                </ErrorBox>
            }
        })
    }
}

pub(crate) fn months_text(m: &'static Messages, months: i64) -> String {
    if months == 1 {
        format!("1 {}", m.orders_month)
    } else {
        format!("{months} {}", m.orders_months)
    }
}

#[component]
pub fn OrdersPage() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <PageTitle text=|m| m.orders_title />
        <div class="flex flex-wrap items-center justify-between gap-3">
            <h1 class="text-3xl font-bold tracking-tight">{move || i18n.t().orders_title}</h1>
            <A href="/order" attr:class=PRIMARY attr:data-testid="new-order">{move || i18n.t().orders_new_title}</A>
        </div>
        <RequireUser view=|_| view! { <OrderList /> } />
    }
}

#[component]
fn OrderList() -> impl IntoView {
    let i18n = use_i18n();
    let busy = StoredValue::new(false);
    let tick = ticker(Duration::from_secs(3), busy);
    let orders = Resource::new(move || tick.get(), |_| my_orders());
    view! {
        <Transition>
            {move || Suspend::new(async move {
                match orders.await {
                    Err(error) => view! { <p role="alert" class="mt-6">{move || error_text(i18n.t(), &error)}</p> }.into_any(),
                    Ok(list) if list.is_empty() => {
                        view! {
                            <p class="mt-6 text-slate-600 dark:text-slate-400" data-testid="orders-empty">
                                {move || i18n.t().orders_empty} " "
                                <A href="/plans" attr:class=LINK>{move || i18n.t().orders_see_plans}</A>
                            </p>
                        }.into_any()
                    }
                    Ok(list) => {
                        busy.set_value(list.iter().any(|order| order_in_progress(order.status)));
                        view! { <OrderTable orders=list /> }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

#[component]
fn OrderTable(orders: Vec<Order>) -> impl IntoView {
    let i18n = use_i18n();
    let headings: Vec<Text> = vec![
        |m| m.servers_hostname,
        |m| m.servers_plan,
        |m| m.admin_status,
        |m| m.orders_paid_until,
        |m| m.orders_placed,
        |_| "",
    ];
    view! {
        <DataTable testid="orders-table" headings margin="mt-6">
            {orders.into_iter().map(|order| {
                let href = format!("/orders/{}", order.id);
                let hostname = order.hostname.clone();
                view! {
                    <tr data-testid="order-row" data-hostname=hostname>
                        <td class=CELL><A href=href.clone() attr:class=LINK>{order.hostname.clone()}</A></td>
                        <td class=CELL>{order.plan_name.clone()}</td>
                        <td class=CELL><Badge status=order.status text=order_status_text testid="order-status" /></td>
                        <td class=CELL>{order.paid_until.map(|at| time_text(at, Precision::Minute)).unwrap_or_else(|| "—".to_owned())}</td>
                        <td class=CELL>{time_text(order.created_at, Precision::Minute)}</td>
                        <td class=format!("{CELL} text-right")><A href=href attr:class=LINK>{move || i18n.t().orders_details_link}</A></td>
                    </tr>
                }
            }).collect_view()}
        </DataTable>
    }
}

#[component]
pub fn OrderDetailPage() -> impl IntoView {
    let i18n = use_i18n();
    let id = route_id();
    view! {
        <PageTitle text=|m| m.orders_detail_title />
        <p><A href="/orders" attr:class="text-sm text-sky-700 hover:underline dark:text-sky-400">"← " {move || i18n.t().orders_title}</A></p>
        <RequireUser view=move |me: model::accounts::User| view! { <OrderDetail id=id() me=me.id /> } />
    }
}

#[component]
fn OrderDetail(id: OrderId, me: UserId) -> impl IntoView {
    let i18n = use_i18n();
    let busy = StoredValue::new(false);
    let tick = ticker(Duration::from_secs(2), busy);
    // Above the page they change, so their answers survive its reload.
    let choices = ServiceActions {
        cancel: ServerAction::<CancelMyOrder>::new(),
        renew: ServerAction::<SetAutoRenew>::new(),
        resize: ServerAction::<RequestResize>::new(),
    };
    let versions = move || {
        (
            tick.get(),
            choices.cancel.version().get(),
            choices.renew.version().get(),
            choices.resize.version().get(),
        )
    };
    let page = Resource::new(versions, move |_| async move {
        let page = load_order(id).await?;
        // Only the owner of a running service may change its plan: nobody else is asked, so
        // an admin's look at the order is not answered "not found".
        let resize = if page.order.user_id == me && page.order.status == OrderStatus::Active {
            load_resize_options(id).await.ok()
        } else {
            None
        };
        Ok::<_, AppError>((page, resize))
    });
    // An order names its region and image by slug; the catalog has the names people know.
    let plans = Resource::new(|| (), |_| public_plans());
    view! {
        <Transition>
            {move || Suspend::new(async move {
                let (page, plans) = (page.await, plans.await.unwrap_or_default());
                match page {
                    Err(error) => view! { <p role="alert" class="mt-6" data-testid="order-error">{move || error_text(i18n.t(), &error)}</p> }.into_any(),
                    Ok((mut page, resize)) => {
                        let resizing = resize.as_ref().and_then(|options| options.latest.as_ref()).is_some_and(|latest| {
                            latest.status.is_under_way() || latest.status == ResizeStatus::AwaitingPayment
                        });
                        busy.set_value(order_in_progress(page.order.status) || resizing);
                        name_places(&mut page.order, &plans);
                        let mine = page.order.user_id == me;
                        view! { <OrderView page mine choices resize /> }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

/// Replaces the order's region and image slugs with their names when the catalog still sells
/// them; a plan taken off sale leaves the slugs.
fn name_places(order: &mut Order, plans: &[PublicPlan]) {
    let Some(plan) = plans.iter().find(|plan| plan.id == order.plan_id) else {
        return;
    };
    if let Some(region) = plan
        .regions
        .iter()
        .find(|region| region.slug == order.region)
    {
        order.region = region.name.clone();
    }
    if let Some(image) = plan.images.iter().find(|image| image.slug == order.image) {
        order.image = image.name.clone();
    }
}

#[component]
fn OrderView(
    page: OrderPage,
    mine: bool,
    choices: ServiceActions,
    resize: Option<ResizeOptions>,
) -> impl IntoView {
    let i18n = use_i18n();
    let order = page.order;
    let service = mine.then(|| order.clone());
    let payable = page
        .invoices
        .iter()
        .find(|invoice| invoice.status == InvoiceStatus::Unpaid && !invoice.overdue)
        .cloned();
    view! {
        <div class="mt-2 flex flex-wrap items-center gap-3">
            <h1 class="text-3xl font-bold tracking-tight" data-testid="order-hostname">{order.hostname.clone()}</h1>
            <Badge status=order.status text=order_status_text testid="order-status" />
        </div>
        {payable.map(|invoice| view! {
            <p class="mt-4 flex flex-wrap items-center gap-3 rounded-md border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-900 dark:border-amber-800 dark:bg-amber-950 dark:text-amber-200">
                <span>{move || i18n.t().orders_awaiting_payment} " " <span class="font-mono">{invoice.number.clone()}</span> " · " {Rupiah(invoice.total).to_string()}</span>
                <A href=format!("/invoices/{}", invoice.id) attr:class=PRIMARY attr:data-testid="pay-link">{move || i18n.t().orders_pay}</A>
            </p>
        })}
        <div class="mt-6 grid gap-6 lg:grid-cols-3">
            <section class=format!("{PANEL} lg:col-span-2")>
                <h2 class="text-lg font-semibold">{move || i18n.t().orders_progress}</h2>
                <Progress order=order.clone() />
                <dl class="mt-5 grid grid-cols-1 gap-x-6 gap-y-3 text-sm sm:grid-cols-2">
                    <Fact label=|m| m.servers_plan>{order.plan_name.clone()}</Fact>
                    <Fact label=|m| m.servers_region>{order.region.clone()}</Fact>
                    <Fact label=|m| m.servers_image>{order.image.clone()}</Fact>
                    <div>
                        <dt class="text-slate-500 dark:text-slate-400">{move || i18n.t().orders_period}</dt>
                        <dd class="font-medium">{move || months_text(i18n.t(), order.period_months)}</dd>
                    </div>
                    <Fact label=|m| m.orders_paid_until testid="paid-until">{order.paid_until.map(|at| time_text(at, Precision::Minute)).unwrap_or_else(|| "—".to_owned())}</Fact>
                    <div>
                        <dt class="text-slate-500 dark:text-slate-400">{move || i18n.t().orders_auto_renew}</dt>
                        <dd class="font-medium" data-testid="auto-renew" data-on=order.auto_renew.to_string()>{move || if order.auto_renew { i18n.t().orders_auto_renew_yes } else { i18n.t().orders_auto_renew_no }}</dd>
                    </div>
                    <Fact label=|m| m.orders_placed>{time_text(order.created_at, Precision::Minute)}</Fact>
                </dl>
            </section>
            <section class=PANEL>
                <h2 class="text-lg font-semibold">{move || i18n.t().orders_invoices}</h2>
                <InvoiceLinks invoices=page.invoices />
            </section>
        </div>
        {resize.map(|options| view! { <ResizePanel id=order.id options action=choices.resize /> })}
        {service.map(|order| view! { <ServiceChoices order choices /> })}
        <section class=format!("{PANEL} mt-6")>
            <h2 class="text-lg font-semibold">{move || i18n.t().servers_history}</h2>
            <ol class="mt-3 space-y-2 text-sm" data-testid="order-events">
                {page.events.into_iter().map(|event| {
                    let (from, to) = (event.from_status, event.to_status);
                    let changed = from != Some(to);
                    view! {
                        <li class="flex gap-3">
                            <span class="w-44 shrink-0 text-slate-500 dark:text-slate-400">{time_text(event.at, Precision::Minute)}</span>
                            <span>
                                {move || match (&from, changed) {
                                    (Some(from), true) => format!("{} → {}", order_status_text(i18n.t(), *from), order_status_text(i18n.t(), to)),
                                    (None, _) => format!("{}: {}", i18n.t().orders_event_placed, order_status_text(i18n.t(), to)),
                                    (Some(_), false) => order_status_text(i18n.t(), to).to_owned(),
                                }}
                                {event.note.map(|note| view! { <span class="text-slate-500 dark:text-slate-400">" — " {move || event_note(i18n.t(), &note)}</span> })}
                            </span>
                        </li>
                    }
                }).collect_view()}
            </ol>
        </section>
    }
}

/// What the owner can decide about an order: cancel it while unpaid, turn auto-renew off or on,
/// end the service now.
#[derive(Clone, Copy)]
struct ServiceActions {
    cancel: ServerAction<CancelMyOrder>,
    renew: ServerAction<SetAutoRenew>,
    resize: ServerAction<RequestResize>,
}

#[component]
fn ServiceChoices(order: Order, choices: ServiceActions) -> impl IntoView {
    let i18n = use_i18n();
    let ServiceActions { cancel, renew, .. } = choices;
    let id = order.id.get();
    let running = matches!(order.status, OrderStatus::Active | OrderStatus::Suspended);
    let renewable =
        running || matches!(order.status, OrderStatus::Paid | OrderStatus::Provisioning);
    if order.status == OrderStatus::PendingPayment {
        return view! {
            <section class=format!("{PANEL} mt-6") data-testid="service-choices">
                <h2 class="text-lg font-semibold">{move || i18n.t().orders_service_title}</h2>
                <OrderErrorNotice result=cancel.value() />
                <ActionForm action=cancel attr:class="mt-3 flex flex-wrap items-center gap-3">
                    <input type="hidden" name="id" value=id />
                    <p class="text-sm text-slate-600 dark:text-slate-400">{move || i18n.t().orders_cancel_order_text}</p>
                    <button type="submit" class=DANGER disabled=move || cancel.pending().get() data-testid="cancel-order">{move || i18n.t().orders_cancel_order}</button>
                </ActionForm>
            </section>
        }.into_any();
    }
    if !renewable {
        return ().into_any();
    }
    let on = order.auto_renew;
    let hostname = order.hostname.clone();
    view! {
        <section class=format!("{PANEL} mt-6") data-testid="service-choices">
            <h2 class="text-lg font-semibold">{move || i18n.t().orders_service_title}</h2>
            <OrderErrorNotice result=renew.value() />
            <ActionForm action=renew attr:class="mt-3 flex flex-wrap items-center gap-3">
                <input type="hidden" name="id" value=id />
                <input type="hidden" name="enabled" value=(!on).to_string() />
                <p class="text-sm" data-testid="auto-renew-text">{move || if on { i18n.t().orders_auto_renew_on_text } else { i18n.t().orders_auto_renew_off_text }}</p>
                <button type="submit" class=BUTTON disabled=move || renew.pending().get() data-testid="toggle-auto-renew">
                    {move || if on { i18n.t().orders_turn_off } else { i18n.t().orders_turn_on }}
                </button>
            </ActionForm>
            {running.then(|| view! {
                <details class="mt-5 rounded-md border border-red-200 p-4 dark:border-red-900" data-testid="cancel-now">
                    <summary class="cursor-pointer text-sm font-semibold text-red-700 dark:text-red-300">{move || i18n.t().orders_cancel_now_title}</summary>
                    <p class="mt-2 text-sm text-slate-600 dark:text-slate-400">{move || i18n.t().orders_cancel_now_warning}</p>
                    <OrderErrorNotice result=cancel.value() />
                    <ActionForm action=cancel attr:class="mt-3 grid gap-3 sm:grid-cols-2 sm:items-end">
                        <input type="hidden" name="id" value=id />
                        <label class="block text-sm">
                            <span class="font-medium">{move || i18n.t().orders_cancel_confirm} " " <code class="font-mono">{hostname.clone()}</code></span>
                            <input name="confirm" autocomplete="off" class=FIELD data-testid="cancel-confirm" />
                        </label>
                        <button type="submit" class=DANGER disabled=move || cancel.pending().get() data-testid="cancel-service">{move || i18n.t().orders_cancel_now}</button>
                    </ActionForm>
                </details>
            })}
        </section>
    }
    .into_any()
}

/// Moving the service to another plan: its latest change, and the plans it can move to now with
/// what each costs. Asking for a bigger plan opens the invoice to pay.
#[component]
fn ResizePanel(
    id: OrderId,
    options: ResizeOptions,
    action: ServerAction<RequestResize>,
) -> impl IntoView {
    let i18n = use_i18n();
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(started)) = action.value().get()
            && let Some(invoice) = started.invoice
        {
            navigate(&format!("/invoices/{}", invoice.id), Default::default());
        }
    });
    let latest = options.latest.clone().map(|latest| {
        let status = latest.status;
        let pay = (status == ResizeStatus::AwaitingPayment)
            .then_some(latest.invoice_id)
            .flatten();
        let refunded = status == ResizeStatus::Failed && latest.invoice_id.is_some();
        view! {
            <div class="mt-3 rounded-md border border-slate-200 px-3 py-2 text-sm dark:border-slate-800" data-testid="resize-latest">
                <p class="flex flex-wrap items-center gap-2">
                    <span class="text-slate-500 dark:text-slate-400">{move || i18n.t().orders_resize_latest} ":"</span>
                    <span class="font-medium">{latest.from_plan_name.clone()} " → " {latest.to_plan_name.clone()}</span>
                    <Badge status text=resize_status_text testid="resize-status" />
                    {pay.map(|invoice| view! {
                        <A href=format!("/invoices/{invoice}") attr:class=PRIMARY attr:data-testid="resize-pay">{move || i18n.t().orders_resize_pay}</A>
                    })}
                </p>
                {latest.error.clone().map(|error| view! {
                    <p class="mt-1 text-red-700 dark:text-red-300" data-testid="resize-error">
                        {error} {refunded.then(|| view! { " " {move || i18n.t().orders_resize_failed_refunded} })}
                    </p>
                })}
            </div>
        }
    });
    let days = |seconds: i64| (seconds + 43_200) / 86_400;
    let (left, period) = (
        days(options.remaining_seconds),
        days(options.period_seconds),
    );
    let body = if options.unavailable.is_some() {
        view! { <p class="mt-3 text-sm text-slate-600 dark:text-slate-400" data-testid="resize-unavailable">{move || i18n.t().orders_resize_unavailable}</p> }.into_any()
    } else if options.options.is_empty() {
        view! { <p class="mt-3 text-sm text-slate-600 dark:text-slate-400" data-testid="resize-none">{move || i18n.t().orders_resize_none}</p> }.into_any()
    } else {
        view! {
            <p class="mt-2 text-sm text-slate-600 dark:text-slate-400">{move || i18n.t().orders_resize_intro}</p>
            <p class="mt-2 text-sm">
                <span class="text-slate-500 dark:text-slate-400">{move || i18n.t().orders_resize_period_left}</span>
                " " <span class="font-medium" data-testid="resize-days">{left} " / " {period} " " {move || i18n.t().orders_resize_days}</span>
            </p>
            <OrderErrorNotice result=action.value() />
            <ActionForm action attr:class="mt-3 space-y-3" attr:data-testid="resize-form">
                <input type="hidden" name="id" value=id.to_string() />
                <ul class="grid gap-2 sm:grid-cols-2">
                    {options.options.into_iter().map(|option| {
                        let total = option.quote.total;
                        let smaller = option.smaller;
                        view! {
                            <li>
                                <label class="flex cursor-pointer items-start gap-3 rounded-md border border-slate-200 p-3 text-sm has-[:checked]:border-sky-500 has-[:checked]:bg-sky-50 dark:border-slate-800 dark:has-[:checked]:bg-sky-950">
                                    <input type="radio" name="plan_id" value=option.plan_id.to_string() required class="mt-1" data-testid="resize-plan" data-plan=option.plan_name.clone() />
                                    <span>
                                        <span class="block font-medium">{option.plan_name.clone()}
                                            {smaller.then(|| view! { <span class="ml-2 text-xs font-normal text-slate-500 dark:text-slate-400">{move || i18n.t().orders_resize_smaller}</span> })}
                                        </span>
                                        <span class="block text-slate-500 dark:text-slate-400">{format!("{} vCPU · {} GB RAM · {} GB", option.vcpus, option.memory_mb / 1024, option.disk_gb)}</span>
                                        <span class="block font-medium" data-testid="resize-price">
                                            {move || if total > 0 { format!("{} {}", Rupiah(total), i18n.t().orders_resize_now) } else { i18n.t().orders_resize_no_charge.to_owned() }}
                                        </span>
                                    </span>
                                </label>
                            </li>
                        }
                    }).collect_view()}
                </ul>
                <button type="submit" class=PRIMARY disabled=move || action.pending().get() data-testid="resize-submit">{move || i18n.t().orders_resize_submit}</button>
            </ActionForm>
        }.into_any()
    };
    view! {
        <section class=format!("{PANEL} mt-6") data-testid="resize">
            <h2 class="text-lg font-semibold">{move || i18n.t().orders_resize_title}</h2>
            {latest}
            {body}
        </section>
    }
}

/// Where an order stands on its way to a running server, and the server once there is one.
#[component]
fn Progress(order: Order) -> impl IntoView {
    let i18n = use_i18n();
    const PATH: [OrderStatus; 4] = [
        OrderStatus::PendingPayment,
        OrderStatus::Paid,
        OrderStatus::Provisioning,
        OrderStatus::Active,
    ];
    let reached = PATH.iter().position(|status| *status == order.status);
    view! {
        {match reached {
            Some(reached) => view! {
                <ol class="mt-4 grid grid-cols-2 gap-2 text-sm sm:grid-cols-4" data-testid="order-progress">
                    {PATH.into_iter().enumerate().map(|(index, status)| {
                        let look = if index < reached || (index == reached && status == OrderStatus::Active) {
                            "border-emerald-300 bg-emerald-50 text-emerald-900 dark:border-emerald-800 dark:bg-emerald-950 dark:text-emerald-200"
                        } else if index == reached {
                            "border-sky-400 bg-sky-50 text-sky-900 animate-pulse dark:border-sky-600 dark:bg-sky-950 dark:text-sky-200"
                        } else {
                            "border-slate-200 text-slate-500 dark:border-slate-800 dark:text-slate-400"
                        };
                        view! {
                            <li class=format!("rounded-lg border px-3 py-2 font-medium {look}") data-reached=(index <= reached).to_string()>
                                {move || order_status_text(i18n.t(), status)}
                            </li>
                        }
                    }).collect_view()}
                </ol>
            }.into_any(),
            None => {
                let status = order.status;
                view! { <p class="mt-4 text-sm">{move || order_status_text(i18n.t(), status)}</p> }.into_any()
            }
        }}
        {order.status_message.clone().filter(|_| order.status != OrderStatus::Active).map(|message| view! {
            <p class="mt-3 text-sm text-slate-600 dark:text-slate-400" data-testid="order-message">{move || event_note(i18n.t(), &message)}</p>
        })}
        {(order.status == OrderStatus::Failed).then(|| view! {
            <p class="mt-3 rounded-md border border-sky-200 bg-sky-50 px-3 py-2 text-sm text-sky-900 dark:border-sky-800 dark:bg-sky-950 dark:text-sky-100" data-testid="failed-next-step">
                {move || i18n.t().orders_failed_next}
            </p>
        })}
        {order.instance_id.map(|server| view! {
            <p class="mt-4">
                <A href=format!("/servers/{server}") attr:class=SECONDARY attr:data-testid="server-link">{move || i18n.t().orders_open_server} " →"</A>
            </p>
        })}
    }
}

#[component]
fn InvoiceLinks(invoices: Vec<Invoice>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <ul class="mt-3 space-y-3 text-sm" data-testid="order-invoices">
            {invoices.into_iter().map(|invoice| {
                let status = invoice.shown_status();
                view! {
                    <li class="flex flex-wrap items-center justify-between gap-2">
                        <span>
                            <A href=format!("/invoices/{}", invoice.id) attr:class=format!("{LINK} font-mono")>{invoice.number.clone()}</A>
                            <span class="block text-xs text-slate-500 dark:text-slate-400">{move || purpose_text(i18n.t(), invoice.purpose)} " · " {Rupiah(invoice.total).to_string()}</span>
                        </span>
                        <Badge status text=invoice_status_text testid="invoice-status" />
                    </li>
                }
            }).collect_view()}
        </ul>
    }
}

/// An order's progress on another page (the invoice's), reloading itself while it moves. It
/// loads in the browser only: it sits inside the invoice's own loading, and live progress has
/// nothing to show a page that is not running yet.
#[component]
pub(crate) fn OrderProgressPanel(order_id: OrderId) -> impl IntoView {
    let i18n = use_i18n();
    let busy = StoredValue::new(false);
    let tick = ticker(Duration::from_secs(2), busy);
    let page = LocalResource::new(move || {
        tick.track();
        load_order(order_id)
    });
    // The server never reads the resource, not even in Suspense's dry runs: those can run after
    // the response has ended (under load they did), when the Suspense that would have caught the
    // read is gone and Leptos panics. Effects run only in the browser, after hydration.
    let running = RwSignal::new(false);
    Effect::new(move |_| running.set(true));
    view! {
        <section class=format!("{PANEL} mt-6 print:hidden") data-testid="order-panel">
            <div class="flex flex-wrap items-center justify-between gap-2">
                <h2 class="text-lg font-semibold">{move || i18n.t().orders_progress}</h2>
                <A href=format!("/orders/{order_id}") attr:class=LINK attr:data-testid="order-link">{move || i18n.t().orders_view_order}</A>
            </div>
            <Transition>
                {move || running.get().then(|| Suspend::new(async move {
                    match page.await {
                        Err(error) => view! { <p role="alert" class="mt-3 text-sm">{move || error_text(i18n.t(), &error)}</p> }.into_any(),
                        Ok(page) => {
                            busy.set_value(order_in_progress(page.order.status));
                            view! {
                                <div class="mt-2 flex items-center gap-2 text-sm">
                                    <span class="font-medium">{page.order.hostname.clone()}</span>
                                    <Badge status=page.order.status text=order_status_text testid="order-status" />
                                </div>
                                <Progress order=page.order />
                            }.into_any()
                        }
                    }
                }))}
            </Transition>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;
    use model::ids::PlanId;

    #[test]
    fn only_orders_on_their_way_are_watched() {
        for status in [
            OrderStatus::PendingPayment,
            OrderStatus::Paid,
            OrderStatus::Provisioning,
        ] {
            assert!(order_in_progress(status));
        }
        for status in [
            OrderStatus::Active,
            OrderStatus::Failed,
            OrderStatus::Expired,
            OrderStatus::Cancelled,
            OrderStatus::Terminated,
        ] {
            assert!(!order_in_progress(status));
        }
    }

    #[test]
    fn order_errors_are_translated_and_others_fall_back() {
        let m = Lang::En.messages();
        assert_eq!(
            order_error_text(m, &AppError::new(Code::EmailNotVerified)),
            m.orders_error_email_not_verified
        );
        assert_eq!(
            order_error_text(m, &AppError::new(Code::HostnameInvalid)),
            m.servers_error_hostname_invalid
        );
        assert_eq!(
            order_error_text(m, &AppError::new(Code::Internal)),
            m.errors_generic
        );
    }

    #[test]
    fn orders_show_the_names_of_their_region_and_image() {
        use model::catalog::{OfferedImage, OfferedRegion};
        let plan = PublicPlan {
            regions: vec![OfferedRegion {
                provider: "sandbox".into(),
                slug: "sbx-jkt1".into(),
                name: "Jakarta".into(),
                country: Some("ID".into()),
            }],
            images: vec![OfferedImage {
                provider: "sandbox".into(),
                slug: "debian-12-x64".into(),
                name: "Debian 12".into(),
                distribution: "debian".into(),
                logo: "debian".into(),
                min_disk_gb: None,
            }],
            ..crate::pages::catalog::sample_plan("sandbox")
        };
        let mut order = Order {
            id: OrderId(1),
            user_id: model::UserId(3),
            owner_email: "budi@example.co.id".into(),
            hostname: "web-1".into(),
            plan_id: PlanId(7),
            plan_name: "Nano".into(),
            region: "sbx-jkt1".into(),
            image: "ubuntu-24-04-x64".into(),
            period_months: 1,
            status: OrderStatus::Active,
            status_message: None,
            instance_id: None,
            paid_until: None,
            auto_renew: true,
            created_at: chrono::DateTime::UNIX_EPOCH,
        };
        name_places(&mut order, std::slice::from_ref(&plan));
        // An image no longer offered keeps its slug.
        assert_eq!(
            (order.region.as_str(), order.image.as_str()),
            ("Jakarta", "ubuntu-24-04-x64")
        );
        order.plan_id = PlanId(8);
        order.image = "debian-12-x64".into();
        name_places(&mut order, &[plan]);
        assert_eq!(order.image, "debian-12-x64");
    }

    #[test]
    fn months_read_naturally() {
        let m = Lang::En.messages();
        assert_eq!(months_text(m, 1), "1 month");
        assert_eq!(months_text(m, 12), "12 months");
    }
}
