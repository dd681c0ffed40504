//! "My invoices", one invoice as a printable document with its payment, and the sandbox
//! checkout that stands in for the payment gateway's page when no real gateway is configured.
//! Printing leaves out the site's frame, the buttons and the payment section: the paper shows the
//! seller, the customer, the lines, the tax and the status.

use std::time::Duration;

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map};

use crate::PageTitle;
use crate::errors::AppError;
use crate::i18n::{Lang, use_i18n};
use crate::orders::{
    FinishSandboxPayment, PayInvoice, PayWithCredit, load_invoice, my_credit, my_invoices,
    payment_channels, sandbox_checkout, tax_percent,
};
use crate::pages::account::RequireUser;
use crate::pages::orders::{OrderErrorNotice, OrderProgressPanel, order_error_text, purpose_text};
use crate::time::{Precision, time_text};
use crate::ui::style::{CELL, LINK, PANEL, PRIMARY, SECONDARY};
use crate::ui::{
    Badge, CardLabels, DataTable, Fact, RadioCard, Text, error_text, invoice_status_text,
    nothing_listed, payment_status_text, route_id, ticker,
};
use model::Rupiah;
use model::billing::Line;
use model::billing::{Channel, Invoice, InvoicePage, Payment, Purpose};
use model::ids::InvoiceId;
use model::status::{InvoiceStatus, PaymentStatus};

#[component]
pub fn InvoicesPage() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <PageTitle text=|m| m.orders_invoices_title />
        <div class="flex flex-wrap items-baseline justify-between gap-3">
            <h1 class="text-3xl font-bold tracking-tight">{move || i18n.t().orders_invoices_title}</h1>
            <A href="/billing" attr:class=LINK attr:data-testid="credit-link">{move || i18n.t().orders_credit_link}</A>
        </div>
        <RequireUser view=|_| view! { <InvoiceList /> } />
    }
}

#[component]
fn InvoiceList() -> impl IntoView {
    let invoices = Resource::new(|| (), |_| my_invoices());
    view! {
        <Transition>
            {move || Suspend::new(async move {
                match invoices.await {
                    Ok(list) if !list.is_empty() => view! { <InvoiceTable invoices=list /> }.into_any(),
                    other => nothing_listed(other.err(), |m| m.orders_invoices_empty),
                }
            })}
        </Transition>
    }
}

#[component]
fn InvoiceTable(invoices: Vec<Invoice>) -> impl IntoView {
    let i18n = use_i18n();
    let headings: Vec<Text> = vec![
        |m| m.orders_invoice_number,
        |m| m.orders_issued,
        |m| m.orders_billed_for,
        |m| m.orders_total,
        |m| m.admin_status,
        |_| "",
    ];
    view! {
        <DataTable testid="invoices-table" headings margin="mt-6">
            {invoices.into_iter().map(|invoice| {
                let href = format!("/invoices/{}", invoice.id);
                let status = invoice.shown_status();
                let payable = status == InvoiceStatus::Unpaid;
                let purpose = invoice.purpose;
                view! {
                    <tr data-testid="invoice-row">
                        <td class=CELL><A href=href.clone() attr:class=format!("{LINK} font-mono")>{invoice.number.clone()}</A></td>
                        <td class=CELL>{time_text(invoice.issued_at, Precision::Minute)}</td>
                        <td class=CELL>{move || purpose_text(i18n.t(), purpose)}</td>
                        <td class=format!("{CELL} whitespace-nowrap tabular-nums")>{Rupiah(invoice.total).to_string()}</td>
                        <td class=CELL><Badge status text=invoice_status_text testid="invoice-status" /></td>
                        <td class=format!("{CELL} text-right")>
                            <A href=href attr:class=LINK>
                                {move || if payable { i18n.t().orders_pay } else { i18n.t().orders_details_link }}
                            </A>
                        </td>
                    </tr>
                }
            }).collect_view()}
        </DataTable>
    }
}

#[component]
pub fn InvoiceDetailPage() -> impl IntoView {
    let i18n = use_i18n();
    let id = route_id();
    let print = move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(window) = web_sys::window() {
            let _ = window.print();
        }
    };
    view! {
        <PageTitle text=|m| m.orders_invoice_title />
        <div class="flex flex-wrap items-center justify-between gap-3 print:hidden">
            <A href="/invoices" attr:class="text-sm text-sky-700 hover:underline dark:text-sky-400">"← " {move || i18n.t().orders_invoices_title}</A>
            <div class="flex gap-2">
                // A plain link: the server makes the PDF, and the browser shows or saves it.
                <a href=move || format!("/invoices/{}.pdf", id()) rel="external" target="_blank" class=SECONDARY data-testid="download-pdf">{move || i18n.t().orders_download_pdf}</a>
                <button type="button" class=SECONDARY on:click=print data-testid="print">{move || i18n.t().orders_print}</button>
            </div>
        </div>
        <RequireUser view=move |_| view! { <InvoiceDetail id=id() /> } />
    }
}

#[component]
fn InvoiceDetail(id: InvoiceId) -> impl IntoView {
    let i18n = use_i18n();
    let pay = ServerAction::<PayInvoice>::new();
    let pay_from_credit = ServerAction::<PayWithCredit>::new();
    // While a payment is open the page looks again every few seconds, so money paid in another
    // tab or at the bank shows up here; otherwise it stays still and keeps the chosen channel.
    let waiting = StoredValue::new(false);
    let tick = ticker(Duration::from_secs(3), waiting);
    let page = Resource::new(
        move || {
            (
                tick.get(),
                pay.version().get(),
                pay_from_credit.version().get(),
            )
        },
        move |_| load_invoice(id),
    );
    // Loaded once, beside the invoice rather than inside it: the ways to pay do not change while
    // the page is open.
    let channels = Resource::new(|| (), move |_| payment_channels(id));
    // Beside the invoice too: a resource made inside its view would not be in the server's
    // render the browser takes over.
    let credit = Resource::new(move || pay_from_credit.version().get(), |_| my_credit());
    view! {
        <Transition>
            {move || Suspend::new(async move {
                let (page, channels, credit) = (page.await, channels.await, credit.await);
                let credit = credit.map(|account| account.balance).unwrap_or(0);
                match page {
                    Err(error) => view! { <p role="alert" class="mt-6" data-testid="invoice-error">{move || error_text(i18n.t(), &error)}</p> }.into_any(),
                    Ok(page) => {
                        waiting.set_value(
                            page.invoice.shown_status() == InvoiceStatus::Unpaid
                                && page.payments.iter().any(|payment| payment.open),
                        );
                        view! { <InvoiceView page pay pay_from_credit credit channels /> }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

#[component]
fn InvoiceView(
    page: InvoicePage,
    pay: ServerAction<PayInvoice>,
    pay_from_credit: ServerAction<PayWithCredit>,
    /// The reader's credit balance.
    credit: i64,
    channels: Result<Vec<Channel>, AppError>,
) -> impl IntoView {
    let i18n = use_i18n();
    let invoice = page.invoice.clone();
    let status = invoice.shown_status();
    let decimal = move || if i18n.lang() == Lang::Id { ',' } else { '.' };
    let rate = invoice.tax_rate_bp;
    let seller = page.seller.clone();
    let paid_via = invoice.paid_via.clone();
    let purpose = invoice.purpose;
    let buyer = invoice.buyer.clone();
    view! {
        <article data-testid="invoice" class="mt-4 rounded-xl border border-slate-200 bg-white p-6 shadow-sm sm:p-8 dark:border-slate-800 dark:bg-slate-900 print:mt-0 print:rounded-none print:border-0 print:bg-white! print:p-0 print:text-black! print:shadow-none">
            <header class="flex flex-wrap items-start justify-between gap-6 border-b border-slate-200 pb-6 dark:border-slate-800 print:border-slate-300!">
                <div data-testid="seller">
                    <p class="text-lg font-bold">{seller.legal_name.clone()}</p>
                    {(!seller.address.is_empty()).then(|| view! { <p class="mt-1 whitespace-pre-line text-sm text-slate-600 dark:text-slate-400 print:text-black!">{seller.address.clone()}</p> })}
                    {(!seller.npwp.is_empty()).then(|| view! { <p class="mt-1 text-sm"><span class="text-slate-500 dark:text-slate-400 print:text-black!">"NPWP "</span><span class="font-mono" data-testid="seller-npwp">{seller.npwp.clone()}</span></p> })}
                </div>
                <div class="sm:text-right">
                    <h1 class="text-2xl font-bold uppercase tracking-wide">{move || i18n.t().orders_invoice_title}</h1>
                    <p class="mt-1 font-mono" data-testid="invoice-number">{invoice.number.clone()}</p>
                    <p class="mt-2"><Badge status text=invoice_status_text testid="invoice-status" /></p>
                </div>
            </header>
            <div class="mt-6 grid gap-6 text-sm sm:grid-cols-2">
                <div>
                    <h2 class="text-xs font-semibold uppercase tracking-wide text-slate-500 dark:text-slate-400 print:text-black!">{move || i18n.t().orders_billed_to}</h2>
                    <p class="mt-1 font-medium" data-testid="customer-name">{invoice.customer_name.clone()}</p>
                    {buyer.company.clone().map(|company| view! { <p class="font-medium" data-testid="customer-company">{company}</p> })}
                    {buyer.address.clone().map(|address| view! { <p class="whitespace-pre-line" data-testid="customer-address">{address}</p> })}
                    {buyer.npwp.clone().map(|npwp| view! { <p><span class="text-slate-500 dark:text-slate-400 print:text-black!">"NPWP "</span><span class="font-mono" data-testid="customer-npwp">{npwp}</span></p> })}
                    <p data-testid="customer-email">{invoice.customer_email.clone()}</p>
                </div>
                <dl class="grid grid-cols-2 gap-x-4 gap-y-2">
                    <Fact label=|m| m.orders_issued>{time_text(invoice.issued_at, Precision::Minute)}</Fact>
                    // A deadline only means something while the invoice can still be paid.
                    {(invoice.status == InvoiceStatus::Unpaid).then(|| view! {
                        <Fact label=|m| m.orders_due testid="invoice-due">{time_text(invoice.expires_at, Precision::Minute)}</Fact>
                    })}
                    <div>
                        <dt class="text-slate-500 dark:text-slate-400 print:text-black!">{move || i18n.t().orders_billed_for}</dt>
                        <dd class="font-medium">{move || purpose_text(i18n.t(), purpose)}</dd>
                    </div>
                    {invoice.order_id.map(|order_id| view! {
                        <div>
                            <dt class="text-slate-500 dark:text-slate-400 print:text-black!">{move || i18n.t().orders_order}</dt>
                            <dd class="font-medium"><A href=format!("/orders/{order_id}") attr:class=LINK>{format!("#{order_id}")}</A></dd>
                        </div>
                    })}
                    {invoice.paid_at.map(|at| time_text(at, Precision::Minute)).map(|paid| view! {
                        <div class="col-span-2">
                            <dt class="text-slate-500 dark:text-slate-400 print:text-black!">{move || i18n.t().orders_paid_at}</dt>
                            <dd class="font-medium" data-testid="paid-at">{paid} {paid_via.clone().map(|via| format!(" · {via}"))}</dd>
                        </div>
                    })}
                </dl>
            </div>
            <Lines lines=page.lines.clone() />
            <dl class="ml-auto mt-4 w-full max-w-xs space-y-1 text-sm" data-testid="invoice-totals">
                <div class="flex justify-between"><dt>{move || i18n.t().orders_subtotal}</dt><dd class="tabular-nums">{Rupiah(invoice.subtotal).to_string()}</dd></div>
                {(invoice.discount > 0).then(|| view! {
                    <div class="flex justify-between"><dt>{move || i18n.t().orders_discount}</dt><dd class="tabular-nums">{Rupiah(-invoice.discount).to_string()}</dd></div>
                })}
                <div class="flex justify-between" data-testid="invoice-tax"><dt>{move || format!("{} {}%", i18n.t().orders_tax, tax_percent(rate, decimal()))}</dt><dd class="tabular-nums">{Rupiah(invoice.tax).to_string()}</dd></div>
                <div class="flex justify-between border-t border-slate-200 pt-2 text-base font-semibold dark:border-slate-800 print:border-slate-300!" data-testid="invoice-total">
                    <dt>{move || i18n.t().orders_total}</dt><dd class="tabular-nums">{Rupiah(invoice.total).to_string()}</dd>
                </div>
                {(invoice.credit_applied > 0).then(|| view! {
                    <div class="flex justify-between" data-testid="invoice-credit-applied"><dt>{move || i18n.t().orders_credit_applied}</dt><dd class="tabular-nums">{Rupiah(-invoice.credit_applied).to_string()}</dd></div>
                    {(invoice.status == InvoiceStatus::Unpaid).then(|| view! {
                        <div class="flex justify-between font-semibold" data-testid="invoice-amount-due"><dt>{move || i18n.t().orders_credit_due}</dt><dd class="tabular-nums">{Rupiah(invoice.amount_due()).to_string()}</dd></div>
                    })}
                })}
                {(invoice.credit_refunded > 0).then(|| view! {
                    <div class="flex justify-between" data-testid="invoice-credit-refunded"><dt>{move || i18n.t().orders_credit_refunded}</dt><dd class="tabular-nums">{Rupiah(invoice.credit_refunded).to_string()}</dd></div>
                })}
            </dl>
            {invoice.note.clone().map(|note| view! { <p class="mt-6 text-sm text-slate-600 dark:text-slate-400 print:text-black!">{note}</p> })}
            <p class="mt-8 text-xs text-slate-500 dark:text-slate-400 print:text-black!">{move || i18n.t().orders_invoice_footer}</p>
        </article>
        <PaymentSection page pay pay_from_credit credit status channels />
    }
}

#[component]
fn Lines(lines: Vec<Line>) -> impl IntoView {
    let i18n = use_i18n();
    // On a phone each line is a card (see `CardLabels`); printed, always a table.
    view! {
        <CardLabels testid="invoice-lines" headings=vec![|m| m.orders_line_description, |m| m.orders_line_quantity, |m| m.orders_line_unit_price, |m| m.orders_line_amount] />
        <div class="mt-8 overflow-x-auto print:overflow-visible">
            <table class="table-cards w-full text-left text-sm" data-testid="invoice-lines">
                <thead class="border-b border-slate-200 text-slate-600 dark:border-slate-800 dark:text-slate-400 print:border-slate-300! print:text-black!">
                    <tr>
                        <th class="py-2 pr-3">{move || i18n.t().orders_line_description}</th>
                        <th class="py-2 pr-3 text-right">{move || i18n.t().orders_line_quantity}</th>
                        <th class="py-2 pr-3 text-right">{move || i18n.t().orders_line_unit_price}</th>
                        <th class="py-2 text-right">{move || i18n.t().orders_line_amount}</th>
                    </tr>
                </thead>
                <tbody class="divide-y divide-slate-200 dark:divide-slate-800 print:divide-slate-300!">
                    {lines.into_iter().map(|line| view! {
                        <tr>
                            <td class="min-w-40 py-2 pr-3">{line.description}</td>
                            <td class="py-2 pr-3 text-right tabular-nums">{line.quantity}</td>
                            <td class="whitespace-nowrap py-2 pr-3 text-right tabular-nums">{Rupiah(line.unit_price).to_string()}</td>
                            <td class="whitespace-nowrap py-2 text-right tabular-nums">{Rupiah(line.amount).to_string()}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// What paying looks like for this invoice now: a way to start, the open payment, or what
/// became of it.
#[component]
fn PaymentSection(
    page: InvoicePage,
    pay: ServerAction<PayInvoice>,
    pay_from_credit: ServerAction<PayWithCredit>,
    credit: i64,
    status: InvoiceStatus,
    channels: Result<Vec<Channel>, AppError>,
) -> impl IntoView {
    let i18n = use_i18n();
    let id = page.invoice.id;
    let order_id = page.invoice.order_id;
    let open = page.payments.iter().find(|payment| payment.open).cloned();
    let last_closed = page
        .payments
        .first()
        .filter(|payment| {
            !payment.open
                && matches!(
                    payment.status,
                    PaymentStatus::Expired | PaymentStatus::Failed | PaymentStatus::Unpaid
                )
        })
        .cloned();
    let history = page.payments.clone();
    let body = match status {
        InvoiceStatus::Unpaid if page.mine => match open {
            Some(payment) => view! {
                <OpenPayment payment />
                <details class="mt-4 text-sm">
                    <summary class="cursor-pointer text-slate-600 dark:text-slate-400">{move || i18n.t().orders_pay_other_way}</summary>
                    <ChannelChooser id pay channels=channels.clone() />
                </details>
            }.into_any(),
            None => view! {
                {last_closed.map(|payment| {
                    let status = payment.shown_status();
                    view! {
                        <p class="mt-3 rounded-md border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-800 dark:border-red-800 dark:bg-red-950 dark:text-red-200" data-testid="payment-closed">
                            {move || i18n.t().orders_payment_closed} " "
                            <span class="font-mono">{payment.reference.clone()}</span> " — "
                            {move || payment_status_text(i18n.t(), status)}
                        </p>
                    }
                })}
                {(credit > 0 && page.invoice.amount_due() > 0 && page.invoice.purpose != Purpose::TopUp).then(|| view! {
                    <CreditChoice id balance=credit due=page.invoice.amount_due() action=pay_from_credit />
                })}
                <ChannelChooser id pay channels=channels.clone() />
            }.into_any(),
        },
        InvoiceStatus::Unpaid => view! { <p class="mt-3 text-sm">{move || i18n.t().orders_not_yours}</p> }.into_any(),
        InvoiceStatus::Paid => view! {
            <p class="mt-3 rounded-md border border-emerald-300 bg-emerald-50 px-3 py-2 text-sm text-emerald-900 dark:border-emerald-800 dark:bg-emerald-950 dark:text-emerald-200" data-testid="invoice-paid-notice">
                {move || i18n.t().orders_paid_notice}
            </p>
        }.into_any(),
        InvoiceStatus::Expired => view! {
            <p class="mt-3 rounded-md border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-800 dark:border-red-800 dark:bg-red-950 dark:text-red-200" data-testid="invoice-expired-notice">
                {move || i18n.t().orders_expired_notice}
            </p>
        }.into_any(),
        InvoiceStatus::Cancelled | InvoiceStatus::Refunded => view! { <p class="mt-3 text-sm">{move || invoice_status_text(i18n.t(), status)}</p> }.into_any(),
    };
    view! {
        <section class=format!("{PANEL} mt-6 print:hidden") data-testid="payment">
            <h2 class="text-lg font-semibold">{move || i18n.t().orders_payment}</h2>
            {body}
            <OrderErrorNotice result=pay.value() />
            {(!history.is_empty()).then(|| view! { <PaymentHistory payments=history /> })}
        </section>
        {order_id.map(|order_id| view! { <OrderProgressPanel order_id /> })}
    }
}

/// Paying from the customer's credit: all that is left when the balance covers it, otherwise
/// the whole balance, leaving the rest for a payment channel.
#[component]
fn CreditChoice(
    id: InvoiceId,
    balance: i64,
    due: i64,
    action: ServerAction<PayWithCredit>,
) -> impl IntoView {
    let i18n = use_i18n();
    let covers = balance >= due;
    view! {
        <ActionForm action=action attr:class="mt-4 flex flex-wrap items-center gap-3 rounded-md border border-sky-200 bg-sky-50 px-3 py-2 dark:border-sky-900 dark:bg-sky-950" attr:data-testid="credit-choice">
            <input type="hidden" name="invoice_id" value=id.to_string() />
            {(!covers).then(|| view! { <input type="hidden" name="amount" value=balance.to_string() /> })}
            <span class="text-sm">
                {move || if covers { i18n.t().orders_credit_pay_hint } else { i18n.t().orders_credit_pay_part_hint }}
                " " <span class="font-semibold tabular-nums">{Rupiah(balance).to_string()}</span>
            </span>
            <button type="submit" class=SECONDARY disabled=move || action.pending().get() data-testid="pay-with-credit">
                {move || if covers { i18n.t().orders_credit_pay } else { i18n.t().orders_credit_pay_part }}
            </button>
        </ActionForm>
        <OrderErrorNotice result=action.value() />
    }
}

/// The ways to pay, with their fees, and the button that starts a payment.
#[component]
fn ChannelChooser(
    id: InvoiceId,
    pay: ServerAction<PayInvoice>,
    channels: Result<Vec<Channel>, AppError>,
) -> impl IntoView {
    let i18n = use_i18n();
    let channels = match channels {
        Err(error) => {
            return view! { <p role="alert" class="mt-3 text-sm">{move || order_error_text(i18n.t(), &error)}</p> }.into_any();
        }
        Ok(channels) => channels,
    };
    let first = channels
        .iter()
        .find(|channel| !channel.phone_needed)
        .map(|channel| channel.code.clone());
    view! {
        <ActionForm action=pay attr:class="mt-4 space-y-4">
            <input type="hidden" name="invoice_id" value=id.to_string() />
            <fieldset>
                <legend class="text-sm font-medium text-slate-700 dark:text-slate-300">{move || i18n.t().orders_choose_channel}</legend>
                <div class="mt-2 grid gap-2 sm:grid-cols-2" data-testid="channels">
                    {channels.into_iter().map(|channel| {
                        let checked = first.as_deref() == Some(channel.code.as_str());
                        view! {
                            <RadioCard name="channel" value=channel.code.clone() picked=checked disabled=channel.phone_needed>
                                <span class="font-medium">{channel.name.clone()}</span>
                                <span class="text-xs text-slate-500 dark:text-slate-400">
                                    {channel.group.clone()} " · "
                                    {move || if channel.fee == 0 { i18n.t().orders_fee_none.to_owned() } else { format!("{} {}", i18n.t().orders_fee, Rupiah(channel.fee)) }}
                                </span>
                                {channel.phone_needed.then(|| view! {
                                    <span class="text-xs text-amber-800 dark:text-amber-300" data-testid="phone-needed">
                                        {move || i18n.t().orders_phone_needed} " "
                                        <a href="/account" class="underline">{move || i18n.t().orders_phone_needed_link}</a>
                                    </span>
                                })}
                            </RadioCard>
                        }
                    }).collect_view()}
                </div>
            </fieldset>
            <button type="submit" class=PRIMARY disabled=move || pay.pending().get() data-testid="pay">{move || i18n.t().orders_pay}</button>
        </ActionForm>
    }
    .into_any()
}

/// The payment the customer can pay now: the code or QR to pay with, the amount with the fee,
/// until when, how, and the gateway's own page.
#[component]
fn OpenPayment(payment: Payment) -> impl IntoView {
    let i18n = use_i18n();
    let sandbox = payment.gateway == "sandbox";
    let reference = payment.reference.clone();
    view! {
        <div class="mt-4 grid gap-6 md:grid-cols-2" data-testid="open-payment" data-reference=payment.reference.clone()>
            <div class="space-y-4">
                {payment.qr_image.clone().map(|src| view! {
                    <div>
                        <p class="text-sm font-medium">{move || i18n.t().orders_scan_qris}</p>
                        <img src=src width="240" height="240" alt=payment.qr_string.clone().unwrap_or_default() data-testid="qris" class="mt-2 rounded bg-white p-2" />
                    </div>
                })}
                {payment.pay_code.clone().map(|code| view! {
                    <div>
                        <p class="text-sm font-medium">{move || i18n.t().orders_pay_code}</p>
                        <p class="mt-1 select-all rounded-md bg-slate-100 px-3 py-2 font-mono text-xl tracking-wider dark:bg-slate-800" data-testid="pay-code">{code}</p>
                    </div>
                })}
                {payment.checkout_url.clone().map(|url| view! {
                    <a href=url class=PRIMARY data-testid="checkout-link" target=(!sandbox).then_some("_blank") rel=(!sandbox).then_some("noopener")>
                        {move || if sandbox { i18n.t().orders_open_sandbox_checkout } else { i18n.t().orders_open_checkout }}
                    </a>
                })}
            </div>
            <div class="space-y-4 text-sm">
                <dl class="grid grid-cols-2 gap-x-4 gap-y-2">
                    <Fact label=|m| m.orders_channel>{payment.channel.clone()}</Fact>
                    <Fact label=|m| m.orders_reference>{reference}</Fact>
                    <Fact label=|m| m.orders_amount>{Rupiah(payment.amount).to_string()}</Fact>
                    <Fact label=|m| m.orders_fee>{Rupiah(payment.fee).to_string()}</Fact>
                    <Fact label=|m| m.orders_to_pay testid="payment-total">{Rupiah(payment.total_amount).to_string()}</Fact>
                    <Fact label=|m| m.orders_pay_before testid="payment-expires">{time_text(payment.expires_at, Precision::Minute)}</Fact>
                </dl>
                {payment.instructions.into_iter().map(|instruction| view! {
                    <div>
                        <h3 class="font-medium">{instruction.title}</h3>
                        <ol class="mt-1 list-decimal space-y-1 pl-5 text-slate-600 dark:text-slate-400">
                            {instruction.steps.into_iter().map(|step| view! { <li>{step}</li> }).collect_view()}
                        </ol>
                    </div>
                }).collect_view()}
                <p class="text-slate-500 dark:text-slate-400">{move || i18n.t().orders_waiting_for_payment}</p>
            </div>
        </div>
    }
}

#[component]
fn PaymentHistory(payments: Vec<Payment>) -> impl IntoView {
    let i18n = use_i18n();
    let any_closed = payments.iter().any(|payment| !payment.open);
    view! {
        <details class="mt-5 text-sm" open=any_closed>
            <summary class="cursor-pointer text-slate-600 dark:text-slate-400">{move || i18n.t().orders_payment_attempts}</summary>
            <ul class="mt-2 space-y-1" data-testid="payments">
                {payments.into_iter().map(|payment| {
                    // Past its time, an unpaid payment is as good as expired.
                    let status = payment.shown_status();
                    view! {
                        <li class="flex flex-wrap items-center gap-2" data-reference=payment.reference.clone()>
                            <span class="font-mono">{payment.reference.clone()}</span>
                            <span>{payment.channel.clone()}</span>
                            <span class="tabular-nums">{Rupiah(payment.total_amount).to_string()}</span>
                            <Badge status text=payment_status_text testid="payment-status" />
                        </li>
                    }
                }).collect_view()}
            </ul>
        </details>
    }
}

// ---------------------------------------------------------------------------------------------
// The sandbox checkout

#[component]
pub fn SandboxCheckoutPage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let reference = move || params.read().get("reference").unwrap_or_default();
    view! {
        <PageTitle text=|m| m.orders_sandbox_title />
        <div class="mx-auto max-w-xl">
            <p data-testid="sandbox-banner" class="rounded-md border-2 border-dashed border-amber-400 bg-amber-50 px-4 py-3 text-sm text-amber-900 dark:border-amber-700 dark:bg-amber-950 dark:text-amber-200">
                <span class="font-bold uppercase tracking-wide">"Sandbox · "</span>
                {move || i18n.t().orders_sandbox_notice}
            </p>
            <h1 class="mt-6 text-3xl font-bold tracking-tight">{move || i18n.t().orders_sandbox_title}</h1>
            <RequireUser view=move |_| view! { <SandboxCheckoutView reference=reference() /> } />
        </div>
    }
}

#[component]
fn SandboxCheckoutView(reference: String) -> impl IntoView {
    let i18n = use_i18n();
    let finish = ServerAction::<FinishSandboxPayment>::new();
    let lookup = reference.clone();
    let checkout = Resource::new(|| (), move |_| sandbox_checkout(lookup.clone()));
    let navigate = use_navigate();
    // Paid or let expire, the customer goes back to the invoice to see what came of it.
    Effect::new(move |_| {
        if let Some(Ok(())) = finish.value().get()
            && let Some(Ok(found)) = checkout.get_untracked()
        {
            navigate(
                &format!("/invoices/{}", found.invoice_id),
                Default::default(),
            );
        }
    });
    view! {
        <Transition>
            {move || {
                let reference = reference.clone();
                Suspend::new(async move {
                    match checkout.await {
                        Err(error) => view! { <p role="alert" class="mt-6" data-testid="checkout-error">{move || error_text(i18n.t(), &error)}</p> }.into_any(),
                        Ok(found) => {
                            let invoice_href = format!("/invoices/{}", found.invoice_id);
                            let payment = found.payment;
                            let status = payment.shown_status();
                            view! {
                                <section class=format!("{PANEL} mt-6") data-testid="sandbox-checkout">
                                    <dl class="grid grid-cols-2 gap-x-4 gap-y-3 text-sm">
                                        <div>
                                            <dt class="text-slate-500 dark:text-slate-400">{move || i18n.t().orders_invoice_number}</dt>
                                            <dd class="font-mono font-medium"><A href=invoice_href.clone() attr:class=LINK>{found.invoice_number.clone()}</A></dd>
                                        </div>
                                        <Fact label=|m| m.orders_channel>{payment.channel.clone()}</Fact>
                                        <Fact label=|m| m.orders_reference>{payment.reference.clone()}</Fact>
                                        <Fact label=|m| m.orders_pay_before>{time_text(payment.expires_at, Precision::Minute)}</Fact>
                                    </dl>
                                    <p class="mt-6 text-sm text-slate-500 dark:text-slate-400">{move || i18n.t().orders_to_pay}</p>
                                    <p class="text-4xl font-bold tracking-tight" data-testid="sandbox-amount">{Rupiah(payment.total_amount).to_string()}</p>
                                    <p class="mt-3"><Badge status text=payment_status_text testid="payment-status" /></p>
                                    {if payment.open {
                                        view! {
                                            <ActionForm action=finish attr:class="mt-6 flex flex-wrap gap-3">
                                                <input type="hidden" name="reference" value=reference.clone() />
                                                <button type="submit" name="outcome" value="pay" class=PRIMARY data-testid="sandbox-pay" disabled=move || finish.pending().get()>
                                                    {move || i18n.t().orders_sandbox_pay}
                                                </button>
                                                <button type="submit" name="outcome" value="expire" class=SECONDARY data-testid="sandbox-expire" disabled=move || finish.pending().get()>
                                                    {move || i18n.t().orders_sandbox_expire}
                                                </button>
                                            </ActionForm>
                                            <p class="mt-3 text-xs text-slate-500 dark:text-slate-400">{move || i18n.t().orders_sandbox_hint}</p>
                                        }.into_any()
                                    } else {
                                        view! {
                                            <p class="mt-6 text-sm">
                                                {move || i18n.t().orders_sandbox_done} " "
                                                <A href=invoice_href.clone() attr:class=LINK>{move || i18n.t().orders_back_to_invoice}</A>
                                            </p>
                                        }.into_any()
                                    }}
                                    <div class="mt-4"><OrderErrorNotice result=finish.value() /></div>
                                </section>
                            }.into_any()
                        }
                    }
                })
            }}
        </Transition>
    }
}
