//! "Your credit": the balance that pays invoices with no fee, and every change to it.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;

use crate::PageTitle;
use crate::i18n::use_i18n;
use crate::orders::{SetRenewalsFromCredit, TopUpCredit, my_credit};
use crate::pages::account::RequireUser;
use crate::pages::orders::OrderErrorNotice;
use crate::time::{Precision, time_text};
use crate::ui::style::{CELL, INPUT, LINK, PANEL, PRIMARY, SECONDARY};
use crate::ui::{DataTable, Text, nothing_listed};
use model::Rupiah;
use model::billing::{CreditAccount, CreditKind};

#[component]
pub fn CreditPage() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <PageTitle text=|m| m.orders_credit_title />
        <h1 class="text-3xl font-bold tracking-tight">{move || i18n.t().orders_credit_title}</h1>
        <RequireUser view=|_| view! { <Credit /> } />
    }
}

#[component]
fn Credit() -> impl IntoView {
    let renewals = ServerAction::<SetRenewalsFromCredit>::new();
    let credit = Resource::new(move || renewals.version().get(), |_| my_credit());
    view! {
        <Transition>
            {move || Suspend::new(async move {
                match credit.await {
                    Ok(account) => view! { <CreditView account renewals /> }.into_any(),
                    Err(error) => nothing_listed(Some(error), |m| m.orders_credit_empty),
                }
            })}
        </Transition>
    }
}

#[component]
fn CreditView(
    account: CreditAccount,
    renewals: ServerAction<SetRenewalsFromCredit>,
) -> impl IntoView {
    let i18n = use_i18n();
    let pays_renewals = account.pays_renewals;
    let headings: Vec<Text> = vec![
        |m| m.orders_credit_when,
        |m| m.orders_line_description,
        |m| m.orders_amount,
        |m| m.orders_credit_balance,
    ];
    let entries = account.entries;
    view! {
        <section class=format!("{PANEL} mt-6") data-testid="credit">
            <p class="text-sm text-slate-500 dark:text-slate-400">{move || i18n.t().orders_credit_balance}</p>
            <p class="text-4xl font-bold tracking-tight tabular-nums" data-testid="credit-balance">{Rupiah(account.balance).to_string()}</p>
            <p class="mt-2 text-sm text-slate-600 dark:text-slate-400">{move || i18n.t().orders_credit_intro}</p>
            <ActionForm action=renewals attr:class="mt-4 flex flex-wrap items-center gap-3 border-t border-slate-200 pt-4 dark:border-slate-800" attr:data-testid="renewals-from-credit" attr:data-on=pays_renewals.to_string()>
                <input type="hidden" name="enabled" value=(!pays_renewals).to_string() />
                <span class="text-sm">
                    {move || if pays_renewals { i18n.t().orders_credit_renewals_on } else { i18n.t().orders_credit_renewals_off }}
                </span>
                <button type="submit" class=SECONDARY disabled=move || renewals.pending().get() data-testid="toggle-renewals-from-credit">
                    {move || if pays_renewals { i18n.t().orders_credit_renewals_stop } else { i18n.t().orders_credit_renewals_start }}
                </button>
            </ActionForm>
        </section>
        <TopUp />
        <h2 class="mt-8 text-xl font-semibold">{move || i18n.t().orders_credit_history}</h2>
        {if entries.is_empty() {
            nothing_listed(None, |m| m.orders_credit_empty)
        } else {
            view! {
                <DataTable testid="credit-entries" headings>
                    {entries.into_iter().map(|entry| {
                        let kind = entry.kind;
                        let tone = if entry.amount < 0 { "text-red-700 dark:text-red-400" } else { "text-emerald-700 dark:text-emerald-400" };
                        let amount = if entry.amount > 0 { format!("+{}", Rupiah(entry.amount)) } else { Rupiah(entry.amount).to_string() };
                        view! {
                            <tr data-testid="credit-entry">
                                <td class=format!("{CELL} whitespace-nowrap")>{time_text(entry.created_at, Precision::Minute)}</td>
                                <td class=CELL>
                                    <span class="font-medium">{move || match kind {
                                        CreditKind::Adjustment => i18n.t().orders_credit_adjustment,
                                        CreditKind::InvoicePayment => i18n.t().orders_credit_invoice_payment,
                                        CreditKind::TopUp => i18n.t().orders_credit_top_up_entry,
                                        CreditKind::Returned => i18n.t().orders_credit_returned,
                                        CreditKind::Refund => i18n.t().orders_credit_refund,
                                    }}</span>
                                    {entry.invoice_id.zip(entry.invoice_number.clone()).map(|(id, number)| view! {
                                        " " <A href=format!("/invoices/{id}") attr:class=format!("{LINK} font-mono")>{number}</A>
                                    })}
                                    {entry.note.clone().map(|note| view! { <span class="block text-xs text-slate-500 dark:text-slate-400">{note}</span> })}
                                </td>
                                <td class=format!("{CELL} whitespace-nowrap tabular-nums {tone}")>{amount}</td>
                                <td class=format!("{CELL} whitespace-nowrap tabular-nums")>{Rupiah(entry.balance_after).to_string()}</td>
                            </tr>
                        }
                    }).collect_view()}
                </DataTable>
            }.into_any()
        }}
    }
}

/// Buying credit: an invoice for the amount, paid like any other; the customer is taken to it.
#[component]
fn TopUp() -> impl IntoView {
    let i18n = use_i18n();
    let top_up = ServerAction::<TopUpCredit>::new();
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(invoice)) = top_up.value().get() {
            navigate(&format!("/invoices/{}", invoice.id), Default::default());
        }
    });
    view! {
        <section class=format!("{PANEL} mt-6") data-testid="top-up">
            <h2 class="text-lg font-semibold">{move || i18n.t().orders_credit_top_up}</h2>
            <ActionForm action=top_up attr:class="mt-3 flex flex-wrap items-end gap-3">
                <label class="block w-48 text-sm">
                    <span class="font-medium">{move || i18n.t().orders_credit_top_up_amount}</span>
                    <input type="number" name="amount" required min="10000" max="50000000" step="1000" class=INPUT data-testid="top-up-amount" />
                </label>
                <button type="submit" class=PRIMARY disabled=move || top_up.pending().get() data-testid="top-up-submit">{move || i18n.t().orders_credit_top_up_submit}</button>
            </ActionForm>
            <p class="mt-2 text-xs text-slate-500 dark:text-slate-400">{move || i18n.t().orders_credit_top_up_hint}</p>
            <OrderErrorNotice result=top_up.value() />
        </section>
    }
}
