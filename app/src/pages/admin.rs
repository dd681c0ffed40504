//! Admin pages: users, the e-mail outbox, the audit log and jobs; the menu of every admin page.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use crate::PageTitle;
use crate::admin::{
    AdminAdjustCredit, AdminRetryJob, AdminSetAdmin, AdminSetSuspended, admin_audit, admin_jobs,
    admin_outbox, admin_users,
};
use crate::i18n::use_i18n;
use crate::pages::account::RequireUser;
use crate::pages::orders::OrderErrorNotice;
use crate::time::{Precision, time_text};
use crate::ui::style::{CELL, COMPACT_BUTTON, COMPACT_INPUT, MUTED};
use crate::ui::{DataTable, Loaded, Text};
use model::Rupiah;
use model::status::JobState;

#[component]
pub(crate) fn AdminShell(title: Text, children: ChildrenFn) -> impl IntoView {
    let i18n = use_i18n();
    let children = StoredValue::new(children);
    view! {
        <PageTitle text=title />
        // Customers see neither the admin menu nor the page's heading, only that it is not theirs.
        <RequireUser view=move |me| {
            if me.is_admin() {
                view! {
                    <AdminMenu />
                    <h1 class="mt-4 text-3xl font-bold tracking-tight">{move || title(i18n.t())}</h1>
                    {children.with_value(|children| children())}
                }
                .into_any()
            } else {
                view! { <p role="alert" class="mt-6" data-testid="admin-forbidden">{move || i18n.t().errors_forbidden}</p> }.into_any()
            }
        } />
    }
}

#[component]
fn AdminMenu() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <nav class="flex flex-wrap gap-2 text-sm font-medium" data-testid="admin-menu">
            <A href="/admin/users" attr:class=COMPACT_BUTTON>{move || i18n.t().admin_users}</A>
            <A href="/admin/servers" attr:class=COMPACT_BUTTON>{move || i18n.t().servers_admin_title}</A>
            <A href="/admin/orders" attr:class=COMPACT_BUTTON>{move || i18n.t().admin_orders_title}</A>
            <A href="/admin/invoices" attr:class=COMPACT_BUTTON>{move || i18n.t().admin_invoices_title}</A>
            <A href="/admin/coupons" attr:class=COMPACT_BUTTON>{move || i18n.t().admin_coupons_title}</A>
            <A href="/admin/outbox" attr:class=COMPACT_BUTTON>{move || i18n.t().admin_outbox}</A>
            <A href="/admin/audit" attr:class=COMPACT_BUTTON>{move || i18n.t().admin_audit}</A>
            <A href="/admin/jobs" attr:class=COMPACT_BUTTON>{move || i18n.t().admin_jobs}</A>
            <A href="/admin/health" attr:class=COMPACT_BUTTON>{move || i18n.t().health_title}</A>
            <A href="/admin/plans" attr:class=COMPACT_BUTTON>{move || i18n.t().admin_catalog_plans}</A>
            <A href="/admin/regions" attr:class=COMPACT_BUTTON>{move || i18n.t().admin_catalog_regions}</A>
            <A href="/admin/images" attr:class=COMPACT_BUTTON>{move || i18n.t().admin_catalog_images}</A>
        </nav>
    }
}

/// A GET form that puts its fields in the query string, so filters survive a reload.
#[component]
pub(crate) fn FilterForm(fields: Vec<(&'static str, Text)>) -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    view! {
        <form method="get" class="mt-6 flex flex-wrap items-end gap-2">
            {fields.into_iter().map(|(name, label)| view! {
                <label class="text-sm">
                    <span class="block text-slate-600 dark:text-slate-400">{move || label(i18n.t())}</span>
                    <input type="search" name=name class=COMPACT_INPUT value=move || query.read().get(name).unwrap_or_default() />
                </label>
            }).collect_view()}
            <button type="submit" class=COMPACT_BUTTON>{move || i18n.t().admin_filter}</button>
        </form>
    }
}

pub(crate) fn query_param(
    name: &'static str,
) -> impl Fn() -> String + Send + Sync + Copy + 'static {
    let query = use_query_map();
    move || query.read().get(name).unwrap_or_default()
}

#[component]
pub fn AdminUsersPage() -> impl IntoView {
    view! { <AdminShell title=|m| m.admin_users><UsersTable /></AdminShell> }
}

#[component]
fn UsersTable() -> impl IntoView {
    let i18n = use_i18n();
    let search = query_param("search");
    let suspend = ServerAction::<AdminSetSuspended>::new();
    let role = ServerAction::<AdminSetAdmin>::new();
    let credit = ServerAction::<AdminAdjustCredit>::new();
    let users = Resource::new(
        move || {
            (
                search(),
                suspend.version().get(),
                role.version().get(),
                credit.version().get(),
            )
        },
        |(search, _, _, _)| admin_users(search),
    );
    view! {
        <FilterForm fields=vec![("search", |m| m.admin_search)] />
        <OrderErrorNotice result=credit.value() />
        <Loaded of=users show=move |users| view! {
                <DataTable testid="users-table" headings=vec![|m| m.auth_name, |m| m.auth_email, |m| m.admin_role, |m| m.admin_status, |m| m.orders_credit_title, |m| m.admin_created, |_| ""]>
                            {users.into_iter().map(|user| {
                                let id = user.id.get();
                                let suspended = user.suspended;
                                let is_admin = user.is_admin();
                                view! {
                                    <tr>
                                        <td class=CELL>{user.name.clone()}</td>
                                        <td class=CELL>{user.email.clone()} {user.email_verified.then(|| view! { <span class="ml-1 text-xs text-emerald-700 dark:text-emerald-400">"✓"</span> })}</td>
                                        <td class=CELL>{move || if is_admin { i18n.t().admin_administrator } else { i18n.t().admin_customer }}</td>
                                        <td class=CELL>{move || if suspended { i18n.t().admin_suspended } else { i18n.t().admin_active }}</td>
                                        <td class=CELL>
                                            <details data-testid="user-credit">
                                                <summary class="cursor-pointer whitespace-nowrap tabular-nums">{Rupiah(user.credit_balance).to_string()}</summary>
                                                <ActionForm action=credit attr:class="mt-2 flex flex-col gap-1">
                                                    <input type="hidden" name="user_id" value=id />
                                                    <input type="number" name="amount" required step="1" placeholder="50000" aria-label=move || i18n.t().admin_credit_amount class=COMPACT_INPUT />
                                                    <input type="text" name="note" required aria-label=move || i18n.t().admin_credit_note placeholder=move || i18n.t().admin_credit_note class=COMPACT_INPUT />
                                                    <button type="submit" class=COMPACT_BUTTON>{move || i18n.t().admin_credit_adjust}</button>
                                                </ActionForm>
                                            </details>
                                        </td>
                                        <td class=CELL>{time_text(user.created_at, Precision::Second)}</td>
                                        <td class=format!("{CELL} flex flex-wrap gap-1")>
                                            <ActionForm action=suspend>
                                                <input type="hidden" name="user_id" value=id />
                                                <input type="hidden" name="suspended" value=(!suspended).to_string() />
                                                <button type="submit" class=COMPACT_BUTTON>{move || if suspended { i18n.t().admin_reactivate } else { i18n.t().admin_suspend }}</button>
                                            </ActionForm>
                                            <ActionForm action=role>
                                                <input type="hidden" name="user_id" value=id />
                                                <input type="hidden" name="admin_role" value=(!is_admin).to_string() />
                                                <button type="submit" class=COMPACT_BUTTON>{move || if is_admin { i18n.t().admin_make_customer } else { i18n.t().admin_make_admin }}</button>
                                            </ActionForm>
                                        </td>
                                    </tr>
                                }
                            }).collect_view()}
                </DataTable>
        } />
    }
}

#[component]
pub fn AdminOutboxPage() -> impl IntoView {
    view! { <AdminShell title=|m| m.admin_outbox><OutboxList /></AdminShell> }
}

#[component]
fn OutboxList() -> impl IntoView {
    let i18n = use_i18n();
    let to = query_param("to");
    let emails = Resource::new(to, admin_outbox);
    view! {
        <FilterForm fields=vec![("to", |m| m.admin_to)] />
        <Loaded of=emails show=move |emails| if emails.is_empty() {
            view! { <p class="mt-4">{move || i18n.t().admin_empty}</p> }.into_any()
        } else {
            view! {
                    <ul class="mt-4 space-y-3" data-testid="outbox">
                        {emails.into_iter().map(|email| {
                            let delivered = email.sent_at.is_some();
                            let by_smtp = email.body_text.is_none();
                            view! {
                                <li class="rounded-xl border border-slate-200 bg-white p-4 dark:border-slate-800 dark:bg-slate-900">
                                    <p class="font-semibold">{email.subject.clone()}</p>
                                    <p class="text-sm text-slate-600 dark:text-slate-400">
                                        {move || i18n.t().admin_to} ": " {email.to.clone()} " · " {time_text(email.created_at, Precision::Second)} " · "
                                        {move || match (delivered, by_smtp) {
                                            (true, _) => i18n.t().admin_delivered,
                                            (false, true) => i18n.t().admin_outbox_queued,
                                            (false, false) => i18n.t().admin_pending,
                                        }}
                                    </p>
                                    {match email.body_text.clone() {
                                        Some(text) => view! { <pre class="mt-2 whitespace-pre-wrap break-words font-mono text-sm">{text}</pre> }.into_any(),
                                        None => view! { <p class=format!("mt-2 text-sm {MUTED}") data-testid="outbox-text-withheld">{move || i18n.t().admin_outbox_text_withheld}</p> }.into_any(),
                                    }}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
            }.into_any()
        } />
    }
}

#[component]
pub fn AdminAuditPage() -> impl IntoView {
    view! { <AdminShell title=|m| m.admin_audit><AuditTable /></AdminShell> }
}

#[component]
fn AuditTable() -> impl IntoView {
    let action = query_param("action");
    let email = query_param("email");
    let entries = Resource::new(
        move || (action(), email()),
        |(action, email)| admin_audit(action, email),
    );
    view! {
        <FilterForm fields=vec![("action", |m| m.admin_action), ("email", |m| m.auth_email)] />
        <Loaded of=entries show=move |entries| view! {
                <DataTable testid="audit-table" headings=vec![|m| m.admin_when, |m| m.admin_action, |m| m.auth_email, |_| "IP", |m| m.admin_detail]>
                            {entries.into_iter().map(|entry| view! {
                                <tr>
                                    <td class=CELL>{time_text(entry.at, Precision::Second)}</td>
                                    <td class=format!("{CELL} font-mono")>{entry.action}</td>
                                    <td class=CELL>{entry.subject_email.unwrap_or_default()}</td>
                                    <td class=CELL>{entry.ip.unwrap_or_default()}</td>
                                    <td class=CELL>{entry.detail.unwrap_or_default()}</td>
                                </tr>
                            }).collect_view()}
                </DataTable>
        } />
    }
}

#[component]
pub fn AdminJobsPage() -> impl IntoView {
    view! { <AdminShell title=|m| m.admin_jobs><JobsTable /></AdminShell> }
}

#[component]
fn JobsTable() -> impl IntoView {
    let i18n = use_i18n();
    let state = query_param("state");
    let kind = query_param("kind");
    let retry = ServerAction::<AdminRetryJob>::new();
    let jobs = Resource::new(
        move || (state(), kind(), retry.version().get()),
        |(state, kind, _)| admin_jobs(state, kind),
    );
    view! {
        <FilterForm fields=vec![("state", |m| m.admin_job_state), ("kind", |m| m.admin_job_kind)] />
        <Loaded of=jobs show=move |jobs| view! {
                <DataTable testid="jobs-table" headings=vec![|_| "#", |m| m.admin_job_kind, |m| m.admin_job_state, |m| m.admin_job_attempts, |m| m.admin_job_run_at, |m| m.admin_detail, |_| ""]>
                            {jobs.into_iter().map(|job| {
                                let dead = job.state == JobState::Dead;
                                view! {
                                    <tr>
                                        <td class=CELL>{job.id.to_string()}</td>
                                        <td class=format!("{CELL} font-mono")>{job.kind}</td>
                                        <td class=CELL>{job.state.as_str()}</td>
                                        <td class=CELL>{format!("{}/{}", job.attempts, job.max_attempts)}</td>
                                        <td class=CELL>{time_text(job.run_at, Precision::Second)}</td>
                                        <td class=CELL>{job.last_error.unwrap_or_default()}</td>
                                        <td class=CELL>
                                            {dead.then(|| view! {
                                                <ActionForm action=retry>
                                                    <input type="hidden" name="id" value=job.id.get() />
                                                    <button type="submit" class=COMPACT_BUTTON>{move || i18n.t().admin_job_retry}</button>
                                                </ActionForm>
                                            })}
                                        </td>
                                    </tr>
                                }
                            }).collect_view()}
                </DataTable>
        } />
    }
}
