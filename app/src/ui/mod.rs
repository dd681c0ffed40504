//! The building blocks the pages share, each defined once: texts, notices, form fields, status
//! badges and the classes buttons and panels are drawn with.

mod error;
mod form;
mod status;
pub mod style;

pub use error::{ErrorBox, ErrorNotice, ErrorText, Loaded, error_text, nothing_listed};
pub use form::{Card, Field, Notice, RadioCard, Submit};
pub use status::{
    Badge, invoice_status_text, order_status_text, payment_status_text, resize_status_text,
};

use std::time::Duration;

use leptos::prelude::*;

use crate::i18n::{Messages, use_i18n};
use crate::ui::style::{CELL, MUTED};

pub type Text = fn(&'static Messages) -> &'static str;

/// The `:id` of the current route (`/orders/:id`), or 0 when it is not a number (the page's
/// look-up then answers "not found"). Also 0 once the route is gone: on the server a page's
/// late work (a look-up started again when the session arrived) can ask after the answer has
/// been sent and the route disposed.
pub fn route_id<Id: From<i64>>() -> impl Fn() -> Id + Copy + Send + Sync + 'static {
    let params = leptos_router::hooks::use_params_map();
    move || {
        Id::from(
            params
                .try_read()
                .and_then(|params| params.get("id"))
                .and_then(|id| id.parse::<i64>().ok())
                .unwrap_or(0),
        )
    }
}

/// Bumps the returned signal every `every` in the browser while `wanted` holds, so resources
/// that read it reload. `wanted` is not reactive on purpose: a page notes in it, as it renders,
/// whether it is waiting for something, and noting that must not itself reload anything (on the
/// server it would render the page twice and drop the first rendering's resources mid-flight).
pub fn ticker(every: Duration, wanted: StoredValue<bool>) -> ReadSignal<u32> {
    let (tick, set_tick) = signal(0u32);
    Effect::new(move |_| {
        let bump = move || {
            if wanted.try_get_value().unwrap_or(false) {
                set_tick.update(|n| *n += 1);
            }
        };
        if let Ok(handle) = set_interval_with_handle(bump, every) {
            on_cleanup(move || handle.clear());
        }
    });
    tick
}

/// A label and its value in a definition list.
#[component]
pub fn Fact(
    label: Text,
    #[prop(optional)] testid: Option<&'static str>,
    children: Children,
) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <div>
            <dt class=MUTED>{move || label(i18n.t())}</dt>
            <dd class="font-medium" data-testid=testid>{children()}</dd>
        </div>
    }
}

/// A bordered table with translated column headings; the rows come as children.
#[component]
pub fn DataTable(
    testid: &'static str,
    headings: Vec<Text>,
    /// Space above the table.
    #[prop(default = "mt-4")]
    margin: &'static str,
    children: Children,
) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <div class=format!("{margin} overflow-x-auto rounded-xl border border-slate-200 bg-white dark:border-slate-800 dark:bg-slate-900")>
            <table class="w-full text-left text-sm" data-testid=testid>
                <thead class="border-b border-slate-200 text-slate-600 dark:border-slate-800 dark:text-slate-400">
                    <tr>
                        {headings.into_iter().map(|heading| view! { <th class=CELL>{move || heading(i18n.t())}</th> }).collect_view()}
                    </tr>
                </thead>
                <tbody class="divide-y divide-slate-200 dark:divide-slate-800">{children()}</tbody>
            </table>
        </div>
    }
}
