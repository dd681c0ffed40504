//! Small building blocks shared by the forms: labelled fields, the submit button, notices and
//! the card a form stands in.

use leptos::prelude::*;

use crate::i18n::use_i18n;
use crate::ui::Text;
use crate::ui::style::{INPUT, PRIMARY, RADIO_CARD};

#[component]
pub fn Field(
    label: Text,
    name: &'static str,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] autocomplete: &'static str,
    #[prop(optional)] required: bool,
    #[prop(optional, into)] value: Signal<String>,
    #[prop(optional)] hint: Option<Text>,
) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <label class="block">
            <span class="text-sm font-medium text-slate-700 dark:text-slate-300">{move || label(i18n.t())}</span>
            <input
                type=kind
                name=name
                autocomplete=autocomplete
                required=required
                value=move || value.get()
                class=INPUT
            />
            {hint.map(|hint| view! { <span class="mt-1 block text-xs text-slate-500 dark:text-slate-400">{move || hint(i18n.t())}</span> })}
        </label>
    }
}

#[component]
pub fn Submit(label: Text, #[prop(into)] pending: Signal<bool>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <button
            type="submit"
            disabled=move || pending.get()
            class=PRIMARY
        >
            {move || label(i18n.t())}
        </button>
    }
}

#[component]
pub fn Notice(text: Text) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <p role="status" data-testid="form-notice" class="rounded-md border border-emerald-300 bg-emerald-50 px-3 py-2 text-sm text-emerald-900 dark:border-emerald-800 dark:bg-emerald-950 dark:text-emerald-200">
            {move || text(i18n.t())}
        </p>
    }
}

/// A titled card that holds one form or list.
#[component]
pub fn Card(title: Text, children: Children) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <section class="rounded-xl border border-slate-200 bg-white p-6 shadow-sm dark:border-slate-800 dark:bg-slate-900">
            <h2 class="text-lg font-semibold">{move || title(i18n.t())}</h2>
            <div class="mt-4 space-y-4">{children()}</div>
        </section>
    }
}

/// One choice of a radio group, drawn as a card that lights up when chosen: the radio button,
/// then what `children` say of the choice. `picked` tells whether it is chosen, in the page as
/// served and as it changes; `on_pick` hears the person choosing it.
#[component]
pub fn RadioCard(
    name: &'static str,
    #[prop(into)] value: String,
    #[prop(into)] picked: Signal<bool>,
    #[prop(optional)] on_pick: Option<Callback<()>>,
    /// Shown, but cannot be chosen (its text says why).
    #[prop(optional)]
    disabled: bool,
    children: Children,
) -> impl IntoView {
    view! {
        <label class=RADIO_CARD class=("opacity-60", disabled) class=("cursor-not-allowed", disabled)>
            <input type="radio" name=name value=value class="mt-1" disabled=disabled
                checked=move || picked.get()
                prop:checked=move || picked.get()
                on:change=move |_| if let Some(pick) = on_pick { pick.run(()) } />
            <span class="flex flex-col">{children()}</span>
        </label>
    }
}
