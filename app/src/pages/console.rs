//! A server's console page: the server's screen in the browser, or a link to the provider's own
//! console where the provider has one.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::PageTitle;
use crate::i18n::use_i18n;
use crate::instances::load_server;
use crate::pages::account::RequireUser;
use crate::ui::{error_text, route_id};
use crate::vnc_console::VncConsole;

#[component]
pub fn ServerConsolePage() -> impl IntoView {
    let i18n = use_i18n();
    let id = route_id();
    view! {
        <PageTitle text=|m| m.console_title />
        <p>
            <A
                href=move || format!("/servers/{}", id())
                attr:data-testid="console-back"
                attr:class="text-sm text-sky-700 hover:underline dark:text-sky-400"
            >
                "← " {move || i18n.t().console_back}
            </A>
        </p>
        <RequireUser view=move |_| view! { <ServerConsole id=id() /> } />
    }
}

/// The console only for a server the visitor may see: for anyone else's, or one that is gone,
/// the page says "not found" (with that status) and draws no console frame.
#[component]
fn ServerConsole(id: i64) -> impl IntoView {
    let i18n = use_i18n();
    let server = Resource::new(|| (), move |_| load_server(model::InstanceId(id)));
    view! {
        <Transition>
            {move || Suspend::new(async move {
                match server.await {
                    Err(error) => view! {
                        <p role="alert" class="mt-6" data-testid="console-error">{move || error_text(i18n.t(), &error)}</p>
                    }.into_any(),
                    Ok(page) => view! {
                        <h1 class="mt-2 text-3xl font-bold tracking-tight" data-testid="console-heading">
                            {move || i18n.t().console_title}
                            <span class="break-all font-normal text-slate-500 dark:text-slate-400">" · " {page.detail.instance.hostname}</span>
                        </h1>
                        <VncConsole instance_id=id />
                    }.into_any(),
                }
            })}
        </Transition>
    }
}
