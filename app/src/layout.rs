//! The frame around every page: header (logo, navigation, language, theme, and the place where
//! the notification bell goes), the page itself and the footer.

use leptos::prelude::*;
use leptos_router::components::A;

use leptos::form::ActionForm;
use leptos_router::hooks::use_navigate;

use crate::auth::LogOut;
use crate::bell::Bell;
use crate::i18n::{Lang, use_i18n};
use crate::preferences::{Theme, use_theme};
use crate::session::use_session;

const MENU_LINK: &str = "rounded-md px-3 py-1.5 text-sm font-medium text-slate-700 hover:bg-slate-100 dark:text-slate-200 dark:hover:bg-slate-800";

/// Log in / sign up for visitors; account, admin and log out for signed-in users.
#[component]
fn AccountMenu() -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let log_out = ServerAction::<LogOut>::new();
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(())) = log_out.value().get() {
            session.reload();
            navigate("/", Default::default());
        }
    });
    view! {
        <Transition>
            {move || Suspend::new(async move {
                match session.user.await {
                    Ok(Some(me)) => { let is_admin = me.is_admin(); view! {
                        <A href="/dashboard" attr:class=MENU_LINK attr:data-testid="dashboard-link">{move || i18n.t().dashboard_nav}</A>
                        <A href="/servers" attr:class=MENU_LINK attr:data-testid="servers-link">{move || i18n.t().servers_title}</A>
                        <A href="/orders" attr:class=MENU_LINK attr:data-testid="orders-link">{move || i18n.t().orders_nav}</A>
                        <A href="/invoices" attr:class=MENU_LINK attr:data-testid="invoices-link">{move || i18n.t().orders_invoices_nav}</A>
                        <A href="/account" attr:class=MENU_LINK attr:data-testid="account-link">{me.name.clone()}</A>
                        {is_admin.then(|| view! { <A href="/admin/users" attr:class=MENU_LINK>{move || i18n.t().auth_admin}</A> })}
                        <ActionForm action=log_out>
                            <input type="hidden" name="everywhere" value="false" />
                            <button type="submit" data-testid="logout" class=MENU_LINK>{move || i18n.t().auth_logout}</button>
                        </ActionForm>
                    }.into_any() },
                    _ => view! {
                        <A href="/login" attr:class=MENU_LINK>{move || i18n.t().auth_login}</A>
                        <A href="/signup" attr:class="rounded-md bg-sky-700 px-3 py-1.5 text-sm font-medium text-white hover:bg-sky-800 dark:bg-sky-500 dark:text-slate-950">{move || i18n.t().auth_signup}</A>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
pub fn Layout(children: Children) -> impl IntoView {
    view! {
        <div class="flex min-h-screen flex-col">
            <Header />
            <main class="mx-auto w-full max-w-6xl flex-1 px-4 py-10 sm:px-6">{children()}</main>
            <Footer />
        </div>
    }
}

/// The logo drawn in the page itself: a request of its own would compete with the hero image
/// for the phone's first connections. `public/logo.svg` stays the one source (the OG card
/// uses it too).
const LOGO: &str = include_str!("../../public/logo.svg");

/// Below `md` the navigation, the language and theme switches and the account links fold behind
/// a menu button, so a phone shows the page, not a third of a screen of links; the bell stays
/// in sight. From `md` up they sit in the bar as before.
#[component]
fn Header() -> impl IntoView {
    let i18n = use_i18n();
    let menu_open = RwSignal::new(false);
    // Following a link from the open menu closes it; the switches inside leave it open.
    let close_on_link = move |event: leptos::ev::MouseEvent| {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            let on_link = event
                .target()
                .and_then(|target| target.dyn_into::<web_sys::Element>().ok())
                .and_then(|element| element.closest("a").ok().flatten())
                .is_some();
            if on_link {
                menu_open.set(false);
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = event;
    };
    let folded = move |parts: &'static str| {
        let shown = if menu_open.get() { "flex" } else { "hidden" };
        format!(
            "{shown} w-full flex-col items-start md:flex md:w-auto md:flex-row md:items-center {parts}"
        )
    };
    view! {
        <header class="print:hidden border-b border-slate-200 bg-white/80 backdrop-blur dark:border-slate-800 dark:bg-slate-900/80">
            <div class="mx-auto flex max-w-6xl flex-wrap items-center justify-between gap-3 px-4 py-3 sm:px-6">
                <A href="/" attr:class="order-0 flex items-center gap-2 font-semibold tracking-tight">
                    <span aria-hidden="true" class="inline-block h-8 w-8" inner_html=LOGO></span>
                    <span>{move || i18n.t().site_name}</span>
                </A>
                <nav
                    id="main-menu"
                    aria-label=move || i18n.t().nav_main
                    class=move || folded("order-2 gap-1 text-sm font-medium md:order-1")
                    data-testid="main-menu"
                    on:click=close_on_link
                >
                    <NavLink href="/" label=|m| m.nav_home />
                    <NavLink href="/plans" label=|m| m.nav_plans />
                    <NavLink href="/status" label=|m| m.nav_status />
                </nav>
                <div class="order-1 flex items-center gap-2 md:order-2">
                    <Bell />
                    <button
                        type="button"
                        data-testid="menu-button"
                        aria-controls="main-menu account-menu"
                        aria-expanded=move || menu_open.get().to_string()
                        on:click=move |_| menu_open.update(|open| *open = !*open)
                        class="rounded-md border border-slate-300 px-3 py-1.5 text-sm font-medium text-slate-700 hover:bg-slate-100 md:hidden dark:border-slate-700 dark:text-slate-200 dark:hover:bg-slate-800"
                    >
                        {move || if menu_open.get() { i18n.t().nav_close_menu } else { i18n.t().nav_menu }}
                    </button>
                </div>
                <div id="account-menu" class=move || folded("order-3 gap-2 md:flex-wrap") on:click=close_on_link>
                    <div class="flex items-center gap-2">
                        <LanguageSwitch />
                        <ThemeToggle />
                    </div>
                    <AccountMenu />
                </div>
            </div>
        </header>
    }
}

#[component]
fn NavLink(
    href: &'static str,
    label: fn(&'static crate::i18n::Messages) -> &'static str,
) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <A
            href=href
            exact=true
            attr:class="rounded-md px-3 py-2 text-slate-600 hover:bg-slate-100 hover:text-slate-900 aria-[current=page]:text-sky-700 dark:text-slate-300 dark:hover:bg-slate-800 dark:hover:text-white dark:aria-[current=page]:text-sky-400"
        >
            {move || label(i18n.t())}
        </A>
    }
}

#[component]
fn LanguageSwitch() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <div
            role="group"
            aria-label=move || i18n.t().language_label
            class="flex overflow-hidden rounded-md border border-slate-300 text-xs font-semibold dark:border-slate-700"
        >
            {Lang::ALL
                .into_iter()
                .map(|lang| {
                    let label = move || match lang {
                        Lang::Id => i18n.t().language_switch_to_id,
                        Lang::En => i18n.t().language_switch_to_en,
                    };
                    view! {
                        <button
                            type="button"
                            data-testid=format!("lang-{}", lang.code())
                            title=label
                            // The visible code leads the name, as speech-input users say it.
                            aria-label=move || format!("{} · {}", lang.code().to_uppercase(), label())
                            aria-pressed=move || (i18n.lang() == lang).to_string()
                            on:click=move |_| i18n.set(lang)
                            class="px-2.5 py-1.5 uppercase text-slate-600 hover:bg-slate-100 aria-pressed:bg-sky-700 aria-pressed:text-white dark:text-slate-300 dark:hover:bg-slate-800 dark:aria-pressed:bg-sky-500 dark:aria-pressed:text-slate-950"
                        >
                            {lang.code()}
                        </button>
                    }
                })
                .collect_view()}
        </div>
    }
}

#[component]
fn ThemeToggle() -> impl IntoView {
    let i18n = use_i18n();
    let theme = use_theme();
    let label = move || match theme.get() {
        Theme::Light => i18n.t().theme_to_dark,
        Theme::Dark => i18n.t().theme_to_light,
    };
    view! {
        <button
            type="button"
            data-testid="theme-toggle"
            title=label
            aria-label=label
            on:click=move |_| theme.toggle()
            class="rounded-md border border-slate-300 p-1.5 text-slate-600 hover:bg-slate-100 dark:border-slate-700 dark:text-slate-300 dark:hover:bg-slate-800"
        >
            <svg
                class="h-5 w-5"
                viewBox="0 0 24 24"
                fill="none"
                stroke="currentColor"
                stroke-width="2"
                stroke-linecap="round"
                stroke-linejoin="round"
                aria-hidden="true"
            >
                {move || match theme.get() {
                    // A moon offers dark mode; a sun offers light mode.
                    Theme::Light => {
                        view! { <path d="M21 12.8A9 9 0 1 1 11.2 3a7 7 0 0 0 9.8 9.8z" /> }
                            .into_any()
                    }
                    Theme::Dark => {
                        view! {
                            <circle cx="12" cy="12" r="4" />
                            <path d="M12 2v2M12 20v2M4.9 4.9l1.4 1.4M17.7 17.7l1.4 1.4M2 12h2M20 12h2M4.9 19.1l1.4-1.4M17.7 6.3l1.4-1.4" />
                        }
                            .into_any()
                    }
                }}
            </svg>
        </button>
    }
}

/// The footer's links, each to a real page.
const FOOTER_LINKS: [(&str, crate::ui::Text); 5] = [
    ("/plans", |m| m.site_links_plans),
    ("/status", |m| m.nav_status),
    ("/contact", |m| m.site_links_contact),
    ("/terms", |m| m.site_links_terms),
    ("/privacy", |m| m.site_links_privacy),
];

#[component]
fn Footer() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <footer class="print:hidden border-t border-slate-200 py-8 text-sm text-slate-600 dark:border-slate-800 dark:text-slate-400">
            <div class="mx-auto flex max-w-6xl flex-wrap items-start justify-between gap-4 px-4 sm:px-6">
                <p>
                    "© 2026 Webrana Cloud. " {move || i18n.t().footer_rights} " "
                    {move || i18n.t().footer_made_in}
                </p>
                <nav aria-label=move || i18n.t().site_links_label data-testid="footer-links">
                    <ul class="flex flex-wrap gap-x-5 gap-y-2">
                        {FOOTER_LINKS
                            .into_iter()
                            .map(|(href, label)| view! {
                                <li>
                                    <A href=href attr:class="hover:text-slate-900 hover:underline dark:hover:text-white">
                                        {move || label(i18n.t())}
                                    </A>
                                </li>
                            })
                            .collect_view()}
                    </ul>
                </nav>
            </div>
        </footer>
    }
}
