//! Public service status, read through the same readiness check as `/readyz`.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::i18n::use_i18n;
use crate::seo::PageMeta;

/// What the status page shows; deliberately no internals beyond up/down.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusSummary {
    pub database_reachable: bool,
    pub schema_up_to_date: bool,
    pub version: String,
}

impl StatusSummary {
    pub fn operational(&self) -> bool {
        self.database_reachable && self.schema_up_to_date
    }
}

#[server]
pub async fn platform_status() -> Result<StatusSummary, ServerFnError> {
    let state = use_context::<domain::AppState>()
        .ok_or_else(|| ServerFnError::new("application state missing"))?;
    let readiness = domain::health::readiness(&state.db).await;
    Ok(StatusSummary {
        database_reachable: readiness.database_reachable,
        schema_up_to_date: readiness.database_reachable && readiness.pending_migrations.is_empty(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
    })
}

#[component]
pub fn StatusPage() -> impl IntoView {
    let i18n = use_i18n();
    let status = Resource::new(|| (), |_| platform_status());
    view! {
        <PageMeta title=|m| m.status_title description=|m| m.seo_status_description path="/status" />
        <h1 class="text-3xl font-bold tracking-tight">{move || i18n.t().status_title}</h1>
        <Suspense fallback=move || {
            view! { <p class="mt-6 text-slate-500">{move || i18n.t().status_checking}</p> }
        }>
            {move || Suspend::new(async move {
                match status.await {
                    Ok(status) => view! { <StatusReport status /> }.into_any(),
                    Err(_) => {
                        view! {
                            <p role="alert" class="mt-6 text-red-700 dark:text-red-400">
                                {move || i18n.t().status_error}
                            </p>
                        }
                            .into_any()
                    }
                }
            })}
        </Suspense>
    }
}

#[component]
fn StatusReport(status: StatusSummary) -> impl IntoView {
    let i18n = use_i18n();
    let operational = status.operational();
    let banner_class = if operational {
        "mt-6 rounded-xl border border-emerald-300 bg-emerald-50 p-5 font-semibold text-emerald-900 dark:border-emerald-800 dark:bg-emerald-950 dark:text-emerald-200"
    } else {
        "mt-6 rounded-xl border border-red-300 bg-red-50 p-5 font-semibold text-red-900 dark:border-red-800 dark:bg-red-950 dark:text-red-200"
    };
    let StatusSummary {
        database_reachable,
        schema_up_to_date,
        version,
    } = status;
    view! {
        <p data-testid="status-banner" class=banner_class>
            {move || if operational { i18n.t().status_operational } else { i18n.t().status_degraded }}
        </p>
        <dl class="mt-6 divide-y divide-slate-200 rounded-xl border border-slate-200 bg-white dark:divide-slate-800 dark:border-slate-800 dark:bg-slate-900">
            <StatusRow
                label=move || i18n.t().status_database
                value=move || if database_reachable { i18n.t().status_database_ok } else { i18n.t().status_database_down }
            />
            <StatusRow
                label=move || i18n.t().status_schema
                value=move || if schema_up_to_date { i18n.t().status_schema_ok } else { i18n.t().status_schema_pending }
            />
            <StatusRow label=move || i18n.t().status_version value=move || version.clone() />
        </dl>
    }
}

#[component]
fn StatusRow<L, V, T>(label: L, value: V) -> impl IntoView
where
    L: Fn() -> &'static str + Send + Sync + 'static,
    V: Fn() -> T + Send + Sync + 'static,
    T: IntoView + 'static,
{
    view! {
        <div class="flex justify-between gap-4 px-5 py-3 text-sm">
            <dt class="text-slate-600 dark:text-slate-400">{label}</dt>
            <dd class="font-medium">{value}</dd>
        </div>
    }
}
