//! A server's console page: the server's screen in the browser, or a link to the provider's own
//! console where the provider has one.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::PageTitle;
use crate::i18n::use_i18n;
use crate::instances::load_server;
use crate::pages::account::RequireUser;
use crate::ui::route_id;
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

#[component]
fn ServerConsole(id: i64) -> impl IntoView {
    let i18n = use_i18n();
    // Only for the heading: the console reports its own errors (not found included).
    let server = Resource::new(|| (), move |_| load_server(model::InstanceId(id)));
    view! {
        <h1 class="mt-2 text-3xl font-bold tracking-tight" data-testid="console-heading">
            {move || i18n.t().console_title}
            <Transition>
                {move || Suspend::new(async move {
                    server.await.ok().map(|page| view! {
                        <span class="break-all font-normal text-slate-500 dark:text-slate-400">" · " {page.detail.instance.hostname}</span>
                    })
                })}
            </Transition>
        </h1>
        <VncConsole instance_id=id />
    }
}
