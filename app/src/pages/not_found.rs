use leptos::prelude::*;
use leptos_router::components::A;

use crate::PageTitle;
use crate::i18n::use_i18n;

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    let i18n = use_i18n();
    view! {
        <PageTitle text=|m| m.not_found_title />
        <section class="py-16 text-center">
            <p class="text-6xl font-bold text-slate-300 dark:text-slate-700">"404"</p>
            <h1 class="mt-4 text-2xl font-semibold">{move || i18n.t().not_found_title}</h1>
            <p class="mt-2 text-slate-600 dark:text-slate-400">{move || i18n.t().not_found_body}</p>
            <A
                href="/"
                attr:class="mt-6 inline-block rounded-md bg-sky-700 px-4 py-2 font-medium text-white hover:bg-sky-800"
            >
                {move || i18n.t().not_found_back}
            </A>
        </section>
    }
}
