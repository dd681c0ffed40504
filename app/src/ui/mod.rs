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

#[cfg(feature = "ssr")]
use leptos::nonce::use_nonce;
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

/// A bordered table with translated column headings; the rows come as children. Under 640 px
/// every row becomes a card whose cells stack, each after its column's heading: the headings
/// are written into a small style sheet for this table (`tailwind.css` has the layout), so the
/// pages' cells need no labels of their own.
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
        <CardLabels testid headings=headings.clone() />
        <div class=format!("{margin} overflow-x-auto rounded-xl border border-slate-200 bg-white dark:border-slate-800 dark:bg-slate-900")>
            <table class="table-cards w-full text-left text-sm" data-testid=testid>
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

/// The style sheet that, on a phone, writes each heading of the `table-cards` table `testid`
/// before its column's cells.
#[component]
pub fn CardLabels(testid: &'static str, headings: Vec<Text>) -> impl IntoView {
    let i18n = use_i18n();
    let rules = move || card_labels(testid, headings.iter().map(|heading| heading(i18n.t())));
    view! { <style nonce=style_nonce() inner_html=rules></style> }
}

/// The page's CSP nonce for a `<style>` element: the request's while rendering on the server;
/// in the browser, the one the hydration script carries (the browser hides the attribute but
/// keeps its value), so a table drawn after a client-side navigation gets its labels too.
fn style_nonce() -> Option<String> {
    #[cfg(feature = "ssr")]
    let nonce = use_nonce().map(|nonce| nonce.to_string());
    #[cfg(all(feature = "hydrate", not(feature = "ssr")))]
    let nonce = {
        use wasm_bindgen::JsCast;
        document()
            .query_selector("script[nonce]")
            .ok()
            .flatten()
            .and_then(|script| script.dyn_into::<web_sys::HtmlElement>().ok())
            .map(|script| script.nonce())
            .filter(|nonce| !nonce.is_empty())
    };
    #[cfg(not(any(feature = "ssr", feature = "hydrate")))]
    let nonce: Option<String> = None;
    nonce
}

/// The rules that put each heading before its column's cells in a card (`table-cards`) of
/// table `testid`, on a phone only; a cell spanning columns (a note under a row) gets none.
fn card_labels<'a>(testid: &str, headings: impl Iterator<Item = &'a str>) -> String {
    let rules = headings
        .enumerate()
        .map(|(index, heading)| {
            let heading: String = heading
                .chars()
                .flat_map(|c| match c {
                    '"' | '\\' => vec!['\\', c],
                    '<' => "\\3c ".chars().collect(),
                    c if c.is_control() => vec![' '],
                    c => vec![c],
                })
                .collect();
            format!(
                "[data-testid=\"{testid}\"] td:nth-child({}):not([colspan])::before{{content:\"{heading}\"}}",
                index + 1
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    format!("@media (max-width: 639.98px) {{\n{rules}\n}}")
}

#[cfg(test)]
mod tests {
    use super::card_labels;

    #[test]
    fn each_column_heading_labels_its_cells_in_a_card() {
        let rules = card_labels("orders", ["Order", "Total"].into_iter());
        assert_eq!(
            rules,
            "@media (max-width: 639.98px) {\n\
             [data-testid=\"orders\"] td:nth-child(1):not([colspan])::before{content:\"Order\"}\n\
             [data-testid=\"orders\"] td:nth-child(2):not([colspan])::before{content:\"Total\"}\n}"
        );
    }

    #[test]
    fn a_heading_cannot_end_the_rule_or_the_style_sheet() {
        let rules = card_labels("t", ["say \"hi\" \\ </style>\n"].into_iter());
        assert!(
            rules.contains("::before{content:\"say \\\"hi\\\" \\\\ \\3c /style> \"}"),
            "{rules}"
        );
    }
}
