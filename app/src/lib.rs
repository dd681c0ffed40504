//! Webrana Cloud's pages, components and server functions. Server functions stay thin: they take
//! [`domain::AppState`] from context, call one domain function and map its answer.

// Deeply nested views (the server page) have deeply nested types.
#![recursion_limit = "256"]

pub mod admin;
pub mod admin_orders;
pub mod auth;
pub mod bell;
pub mod catalog;
pub mod console;
pub mod errors;
pub mod i18n;
pub mod instances;
pub mod keysym;
pub mod layout;
pub mod notifications;
pub mod orders;
pub mod pages;
pub mod preferences;
pub mod seo;
pub mod session;
pub mod ssh_keys;
pub mod time;
pub mod ui;
pub mod vnc_console;

use leptos::nonce::use_nonce;
use leptos::prelude::*;
use leptos_meta::{Html, MetaTags, Title, provide_meta_context};
use leptos_router::SsrMode;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

use crate::i18n::{provide_i18n, use_i18n};
use crate::layout::Layout;
use crate::pages::account::AccountPage;
use crate::pages::admin::{AdminAuditPage, AdminJobsPage, AdminOutboxPage, AdminUsersPage};
use crate::pages::admin_catalog::{AdminImagesPage, AdminPlansPage, AdminRegionsPage};
use crate::pages::admin_coupons::AdminCouponsPage;
use crate::pages::admin_health::AdminHealthPage;
use crate::pages::admin_orders::{AdminInvoicesPage, AdminOrderPage, AdminOrdersPage};
use crate::pages::auth::{
    ForgotPasswordPage, LoginPage, ResetPasswordPage, SignUpPage, VerifyEmailPage,
};
use crate::pages::catalog::PlansPage;
use crate::pages::console::ServerConsolePage;
use crate::pages::credit::CreditPage;
use crate::pages::dashboard::DashboardPage;
use crate::pages::invoices::{InvoiceDetailPage, InvoicesPage, SandboxCheckoutPage};
use crate::pages::legal::{ContactPage, PrivacyPage, TermsPage};
use crate::pages::notifications::NotificationsPage;
use crate::pages::order_wizard::NewOrderPage;
use crate::pages::orders::{OrderDetailPage, OrdersPage};
use crate::pages::servers::{AdminServersPage, ServerDetailPage, ServersPage};
use crate::pages::{home::HomePage, not_found::NotFound, status::StatusPage};
use crate::preferences::{Theme, provide_theme};
use crate::session::provide_session;

/// The per-request Content-Security-Policy nonce, put in request extensions by the server.
#[cfg(feature = "ssr")]
#[derive(Clone, Debug)]
pub struct CspNonce(pub String);

/// The HTML document around the app, rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    // The hydration script carries the nonce the response's CSP allows.
    #[cfg(feature = "ssr")]
    if let Some(nonce) = use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<CspNonce>().cloned())
    {
        provide_context(leptos::nonce::Nonce::from_value(nonce.0));
    }
    view! {
        <!DOCTYPE html>
        <html>
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <link rel="icon" type="image/svg+xml" href="/favicon.svg" />
                // Page tags first: the hero image's preload is among them, ahead of the styles.
                <MetaTags />
                <AutoReload options=options.clone() />
                <Styles options=options.clone() />
                <StartBrowserHalf options on_intent=hydrates_on_intent() />
            </head>
            <body class="min-h-screen bg-slate-50 text-slate-900 antialiased dark:bg-slate-950 dark:text-slate-100">
                <App />
            </body>
        </html>
    }
}

/// The site's styles, inlined into the page when the built stylesheet can be read (one request
/// fewer before the first paint; the whole sheet is about 9 KiB compressed), linked otherwise.
#[component]
fn Styles(options: LeptosOptions) -> impl IntoView {
    let href = format!("/{}/{}.css", options.site_pkg_dir, options.output_name);
    #[cfg(feature = "ssr")]
    {
        static INLINE: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
        let css = INLINE
            .get_or_init(|| std::fs::read_to_string(format!("{}{href}", options.site_root)).ok());
        if let Some(css) = css {
            return view! { <style nonce=use_nonce() inner_html=css.as_str()></style> }.into_any();
        }
    }
    view! { <link rel="stylesheet" href=href /> }.into_any()
}

/// Whether the browser half (the WebAssembly module, 1.8 MB compressed) waits for the visitor's
/// first sign of intent (a touch, a key, the mouse moving) rather than starting once the page has
/// loaded and the browser is idle. It waits on the public pages seen by visitors, which read
/// completely without it: someone who only reads never pays for its download and start-up, and
/// a button clicked before it runs is held and clicked again once it does. Signed-in people
/// (either session cookie) get their live notifications as soon as the browser is idle.
fn hydrates_on_intent() -> bool {
    #[cfg(feature = "ssr")]
    {
        use crate::preferences::read_cookie;
        use domain::accounts::request::CookiePolicy;
        let public = use_context::<http::request::Parts>()
            .is_some_and(|parts| seo::PUBLIC_PAGES.contains(&parts.uri.path()));
        let signed_in = use_context::<CookiePolicy>()
            .unwrap_or_default()
            .names()
            .into_iter()
            .any(|cookie| read_cookie(cookie).is_some());
        public && !signed_in
    }
    #[cfg(not(feature = "ssr"))]
    false
}

/// Leptos's own script starts the browser half at once (and preloads it); this is the same
/// start-up later, so the WebAssembly download never competes with what the visitor sees first.
const START_WHEN_IDLE: &str = "\
const idle = () => ('requestIdleCallback' in window\
 ? requestIdleCallback(start, { timeout: 2000 }) : setTimeout(start, 0));\
if (document.readyState === 'complete') idle();\
else addEventListener('load', idle, { once: true });";

/// Clicks on buttons before hydration are held (links and `<details>` work natively) and
/// replayed on the same elements, which hydration adopts rather than replaces.
const START_ON_INTENT: &str = "\
const intents = ['pointerdown', 'pointermove', 'touchstart', 'keydown', 'focusin', 'wheel'];\
const held = [];\
let begun = false;\
const hold = (event) => {\
 const button = event.target.closest && event.target.closest('button');\
 if (!button) return;\
 event.preventDefault(); event.stopImmediatePropagation();\
 if (!held.includes(button)) held.push(button);\
 begin();\
};\
const begin = () => {\
 if (begun) return;\
 begun = true;\
 intents.forEach((type) => removeEventListener(type, begin, true));\
 start().finally(() => {\
 removeEventListener('click', hold, true);\
 held.splice(0).forEach((button) => button.click());\
 });\
};\
addEventListener('click', hold, true);\
intents.forEach((type) => addEventListener(type, begin, { capture: true, passive: true }));";

#[component]
fn StartBrowserHalf(options: LeptosOptions, on_intent: bool) -> impl IntoView {
    let pkg = format!("/{}/{}", options.site_pkg_dir, options.output_name);
    let schedule = if on_intent {
        START_ON_INTENT
    } else {
        START_WHEN_IDLE
    };
    let script = format!(
        "(() => {{\
         const start = () => import('{pkg}.js').then((module) =>\
         module.default({{ module_or_path: '{pkg}.wasm' }}).then(() => module.hydrate()));\
         {schedule}\
         }})();"
    );
    view! { <script type="module" nonce=use_nonce() inner_html=script></script> }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let i18n = provide_i18n();
    let theme = provide_theme();
    time::provide_time_zone();
    provide_session();
    bell::provide_live_feed();

    view! {
        <Html
            {..}
            lang=move || i18n.lang().code()
            class=move || match theme.get() {
                Theme::Dark => "dark",
                Theme::Light => "",
            }
        />
        <Title formatter=|page: String| format!("{page} · Webrana Cloud") />
        // Public pages with data are sent whole once their data is in, so nothing moves after the
        // first paint (streamed placeholders shifted the footer of /plans). So is the page of one
        // row (an order, an invoice, a server), so that its status always says whether the row is
        // the visitor's: streamed, it said 404 only when the row was looked up before the first
        // chunk went out.
        <Router>
            <Layout>
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=HomePage ssr=SsrMode::Async />
                    <Route path=path!("/status") view=StatusPage ssr=SsrMode::Async />
                    <Route path=path!("/terms") view=TermsPage />
                    <Route path=path!("/privacy") view=PrivacyPage />
                    <Route path=path!("/contact") view=ContactPage ssr=SsrMode::Async />
                    <Route path=path!("/signup") view=SignUpPage />
                    <Route path=path!("/login") view=LoginPage />
                    // Sent once the link is checked, so an invalid link always answers 410
                    // (streamed, the status depended on which came first).
                    <Route path=path!("/verify-email") view=VerifyEmailPage ssr=SsrMode::Async />
                    <Route path=path!("/forgot-password") view=ForgotPasswordPage />
                    <Route path=path!("/reset-password") view=ResetPasswordPage />
                    <Route path=path!("/account") view=AccountPage />
                    <Route path=path!("/dashboard") view=DashboardPage />
                    <Route path=path!("/notifications") view=NotificationsPage />
                    <Route path=path!("/admin/users") view=AdminUsersPage />
                    <Route path=path!("/admin/outbox") view=AdminOutboxPage />
                    <Route path=path!("/admin/audit") view=AdminAuditPage />
                    <Route path=path!("/admin/jobs") view=AdminJobsPage />
                    <Route path=path!("/admin/health") view=AdminHealthPage />
                    <Route path=path!("/admin/orders") view=AdminOrdersPage />
                    <Route path=path!("/admin/orders/:id") view=AdminOrderPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/invoices") view=AdminInvoicesPage />
                    <Route path=path!("/admin/coupons") view=AdminCouponsPage />
                    <Route path=path!("/plans") view=PlansPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/plans") view=AdminPlansPage />
                    <Route path=path!("/admin/regions") view=AdminRegionsPage />
                    <Route path=path!("/admin/images") view=AdminImagesPage />
                    <Route path=path!("/servers") view=ServersPage />
                    <Route path=path!("/servers/:id") view=ServerDetailPage ssr=SsrMode::Async />
                    <Route path=path!("/servers/:id/console") view=ServerConsolePage ssr=SsrMode::Async />
                    <Route path=path!("/admin/servers") view=AdminServersPage />
                    <Route path=path!("/order") view=NewOrderPage />
                    <Route path=path!("/orders") view=OrdersPage />
                    <Route path=path!("/orders/:id") view=OrderDetailPage ssr=SsrMode::Async />
                    <Route path=path!("/invoices") view=InvoicesPage />
                    <Route path=path!("/billing") view=CreditPage />
                    <Route path=path!("/invoices/:id") view=InvoiceDetailPage ssr=SsrMode::Async />
                    <Route path=path!("/pay/sandbox/:reference") view=SandboxCheckoutPage ssr=SsrMode::Async />
                </Routes>
            </Layout>
        </Router>
    }
}

/// The page title in the current language.
///
/// On the server the text is read once, while the page renders. `leptos_meta` reads the title
/// again after rendering, to put it in `<head>`, and that read runs outside the request's
/// reactive arena: a closure reading a signal there finds another request's arena (a disposed
/// value, or another visitor's language) or none, and panics under concurrent requests
/// (docs/upstream/leptos-meta-title-arena.md). In the browser it follows language switches.
#[component]
pub fn PageTitle(text: fn(&'static i18n::Messages) -> &'static str) -> impl IntoView {
    let i18n = use_i18n();
    #[cfg(feature = "ssr")]
    let title = text(i18n.t());
    #[cfg(not(feature = "ssr"))]
    let title = move || text(i18n.t());
    view! { <Title text=title /> }
}
