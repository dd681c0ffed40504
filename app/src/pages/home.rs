use leptos::prelude::*;

use crate::PageTitle;
use crate::i18n::{Messages, use_i18n};

type Text = fn(&'static Messages) -> &'static str;

const POINTS: [(Text, Text); 4] = [
    (|m| m.home_point_nvme_title, |m| m.home_point_nvme_body),
    (|m| m.home_point_local_title, |m| m.home_point_local_body),
    (
        |m| m.home_point_payment_title,
        |m| m.home_point_payment_body,
    ),
    (
        |m| m.home_point_console_title,
        |m| m.home_point_console_body,
    ),
];

#[component]
pub fn HomePage() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <PageTitle text=|m| m.site_tagline />
        <section class="py-10 sm:py-16">
            <p class="text-sm font-semibold uppercase tracking-wider text-sky-700 dark:text-sky-400">
                {move || i18n.t().site_tagline}
            </p>
            <h1 class="mt-3 max-w-3xl text-4xl font-bold tracking-tight sm:text-5xl">
                {move || i18n.t().home_title}
            </h1>
            <p class="mt-5 max-w-2xl text-lg text-slate-600 dark:text-slate-300">
                {move || i18n.t().home_lead}
            </p>
        </section>
        <section class="grid gap-4 sm:grid-cols-2 lg:grid-cols-4">
            {POINTS
                .into_iter()
                .map(|(title, body)| {
                    view! {
                        <article class="rounded-xl border border-slate-200 bg-white p-5 shadow-sm dark:border-slate-800 dark:bg-slate-900">
                            <h2 class="font-semibold">{move || title(i18n.t())}</h2>
                            <p class="mt-2 text-sm text-slate-600 dark:text-slate-400">
                                {move || body(i18n.t())}
                            </p>
                        </article>
                    }
                })
                .collect_view()}
        </section>
    }
}
