//! Small building blocks shared by the forms: labelled fields, notices and error messages.

use leptos::prelude::*;

use crate::errors::AppError;
use crate::i18n::{Messages, use_i18n};

/// The message for an error code in the current language.
pub fn error_text(m: &'static Messages, error: &AppError) -> &'static str {
    match error.code.as_str() {
        "invalid_credentials" => m.errors_invalid_credentials,
        "two_factor_required" => m.errors_two_factor_required,
        "invalid_two_factor_code" => m.errors_invalid_two_factor_code,
        "account_locked" => m.errors_account_locked,
        "account_suspended" => m.errors_account_suspended,
        "rate_limited" => m.errors_rate_limited,
        "busy" => m.errors_busy,
        "unauthenticated" => m.errors_unauthenticated,
        "forbidden" => m.errors_forbidden,
        "link_invalid" => m.errors_link_invalid,
        "wrong_current_password" => m.errors_wrong_current_password,
        "password_too_short" => m.errors_password_too_short,
        "password_too_long" => m.errors_password_too_long,
        "password_too_common" => m.errors_password_too_common,
        "invalid_email" => m.errors_invalid_email,
        "invalid_name" => m.errors_invalid_name,
        "invalid_phone" => m.errors_invalid_phone,
        "ssh_key_invalid" => m.ssh_keys_error_invalid,
        "ssh_key_private" => m.ssh_keys_error_private,
        "ssh_key_multiple" => m.ssh_keys_error_multiple,
        "ssh_key_unsupported" => m.ssh_keys_error_unsupported,
        "ssh_key_too_weak" => m.ssh_keys_error_too_weak,
        "ssh_key_name_invalid" => m.ssh_keys_error_name_invalid,
        "ssh_key_name_taken" => m.ssh_keys_error_name_taken,
        "ssh_key_duplicate" => m.ssh_keys_error_duplicate,
        "not_found" => m.servers_error_not_found,
        "hostname_invalid" => m.servers_error_hostname_invalid,
        "hostname_taken" => m.servers_error_hostname_taken,
        "action_in_progress" => m.servers_error_action_in_progress,
        "confirmation_mismatch" => m.servers_error_confirmation_mismatch,
        "provider_unavailable" => m.servers_error_provider_unavailable,
        "password_unavailable" => m.servers_error_password_unavailable,
        "console_not_running" => m.servers_error_console_not_running,
        "console_unavailable" => m.servers_error_console_unavailable,
        "console_sessions_exhausted" => m.servers_error_console_sessions_exhausted,
        "console_ticket_refused" => m.servers_error_console_ticket_refused,
        "console_unreachable" => m.servers_error_console_unreachable,
        "no_password_reset"
        | "no_graceful_shutdown"
        | "no_rebuild"
        | "needs_stopped"
        | "needs_running"
        | "already_running"
        | "not_ready" => m.servers_error_action_unavailable,
        _ => m.errors_generic,
    }
}

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
                class="mt-1 block w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-slate-900 shadow-sm focus:border-sky-500 focus:outline-none focus:ring-2 focus:ring-sky-500/30 dark:border-slate-700 dark:bg-slate-900 dark:text-slate-100"
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
            class="inline-flex items-center justify-center rounded-md bg-sky-700 px-4 py-2 font-medium text-white shadow-sm hover:bg-sky-800 disabled:opacity-60 dark:bg-sky-500 dark:text-slate-950 dark:hover:bg-sky-400"
        >
            {move || label(i18n.t())}
        </button>
    }
}

/// Shows the action's error in the current language, or nothing.
#[component]
pub fn ErrorNotice<T: Clone + Send + Sync + 'static>(
    #[prop(into)] result: Signal<Option<Result<T, AppError>>>,
) -> impl IntoView {
    let i18n = use_i18n();
    move || {
        result.get().and_then(Result::err).map(|error| {
            view! {
                <p role="alert" data-testid="form-error" class="rounded-md border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-800 dark:border-red-800 dark:bg-red-950 dark:text-red-200">
                    {move || error_text(i18n.t(), &error)}
                </p>
            }
        })
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
