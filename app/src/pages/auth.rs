//! Sign-up, log-in (with the two-factor step), e-mail verification and password reset.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::PageTitle;
use crate::auth::{LogIn, RequestPasswordReset, ResetPassword, SignUp, verify_email};
use crate::errors::Code;
use crate::i18n::use_i18n;
use crate::session::use_session;
use crate::time::use_time_zone;
use crate::ui::style::LINK;
use crate::ui::{ErrorNotice, Field, Notice, Submit, error_text};

#[component]
fn AuthCard(title: crate::ui::Text, children: Children) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <PageTitle text=title />
        <div class="mx-auto max-w-md">
            <h1 class="text-2xl font-bold tracking-tight">{move || title(i18n.t())}</h1>
            <div class="mt-6 space-y-4 rounded-xl border border-slate-200 bg-white p-6 shadow-sm dark:border-slate-800 dark:bg-slate-900">
                {children()}
            </div>
        </div>
    }
}

/// The page a visitor was on their way to (`?next=/order%3Fplan%3D3`), kept through sign-up and
/// log-in. It is read as a browser reads a link (which drops tabs and line breaks and takes `\\`
/// for `/`), and followed only when it stays on this site; what is followed is that reading.
pub(crate) fn safe_next(raw: &str) -> Option<String> {
    let here = url::Url::parse(OWN_ORIGIN).ok()?;
    let target = here.join(raw).ok()?;
    let local = raw.starts_with('/') && target.origin() == here.origin();
    local.then(|| target[url::Position::BeforePath..].to_owned())
}

/// Any origin serves: only whether a link leaves it matters.
const OWN_ORIGIN: &str = "https://webrana.invalid/";

/// `/login`, carrying where to go afterwards when there is somewhere to go.
pub(crate) fn login_link(next: Option<&str>) -> String {
    match next.and_then(safe_next) {
        Some(next) => format!("/login?next={}", encode_component(&next)),
        None => "/login".to_owned(),
    }
}

/// The log-in form for a visitor whose session ended while a page was open: it says so, and
/// brings them back to `here` afterwards.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub(crate) fn session_ended_link(here: &str) -> String {
    let login = login_link(Some(here));
    let joiner = if login.contains('?') { '&' } else { '?' };
    format!("{login}{joiner}{SESSION_ENDED}")
}

#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
const SESSION_ENDED: &str = "ended=session";

/// Percent-encodes what a query value may not hold as it is.
fn encode_component(value: &str) -> String {
    value
        .bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (byte as char).to_string()
            }
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

fn next_from_query() -> Option<String> {
    use_query_map()
        .read_untracked()
        .get("next")
        .and_then(|next| safe_next(&next))
}

#[component]
pub fn SignUpPage() -> impl IntoView {
    let i18n = use_i18n();
    let next = next_from_query();
    let action = ServerAction::<SignUp>::new();
    let done = move || matches!(action.value().get(), Some(Ok(())));
    view! {
        <AuthCard title=|m| m.auth_signup_title>
            <Show
                when=done
                fallback=move || {
                    view! {
                        <ActionForm action=action attr:class="space-y-4">
                            <ErrorNotice result=action.value() />
                            <Field label=|m| m.auth_name name="name" autocomplete="name" required=true />
                            <Field label=|m| m.auth_email name="email" kind="email" autocomplete="email" required=true />
                            <Field label=|m| m.auth_password name="password" kind="password" autocomplete="new-password" required=true hint=|m| m.auth_password_hint />
                            <Field label=|m| m.auth_phone name="phone" kind="tel" autocomplete="tel" />
                            <input type="hidden" name="language" value=move || i18n.lang().code() />
                            <Submit label=|m| m.auth_signup pending=action.pending() />
                        </ActionForm>
                    }
                }
            >
                <Notice text=|m| m.auth_signup_done />
            </Show>
            <p class="text-sm text-slate-600 dark:text-slate-400">
                {move || i18n.t().auth_have_account} " "
                <A href=login_link(next.as_deref()) attr:class=LINK attr:data-testid="login-link">{move || i18n.t().auth_login}</A>
            </p>
        </AuthCard>
    }
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let action = ServerAction::<LogIn>::new();
    let needs_code = move || matches!(action.value().get(), Some(Err(error)) if matches!(error.code, Code::TwoFactorRequired | Code::InvalidTwoFactorCode));
    let navigate = use_navigate();
    let next = next_from_query().unwrap_or_else(|| "/dashboard".to_owned());
    let session_ended = use_query_map()
        .read_untracked()
        .get("ended")
        .is_some_and(|ended| ended == "session");
    let zone = use_time_zone();
    Effect::new(move |_| {
        if let Some(Ok(me)) = action.value().get() {
            zone.set(me.time_zone);
            session.reload();
            navigate(&next, Default::default());
        }
    });
    view! {
        <AuthCard title=|m| m.auth_login_title>
            {session_ended.then(|| view! {
                <p role="status" data-testid="session-ended" class="rounded-md border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-900 dark:border-amber-800 dark:bg-amber-950 dark:text-amber-100">
                    {move || i18n.t().auth_session_ended}
                </p>
            })}
            <ActionForm action=action attr:class="space-y-4">
                <ErrorNotice result=action.value() />
                <Field label=|m| m.auth_email name="email" kind="email" autocomplete="username" required=true />
                <Field label=|m| m.auth_password name="password" kind="password" autocomplete="current-password" required=true />
                <Show when=needs_code>
                    <Field label=|m| m.auth_code name="code" autocomplete="one-time-code" hint=|m| m.auth_code_hint />
                </Show>
                <Submit label=|m| m.auth_login pending=action.pending() />
            </ActionForm>
            <div class="flex flex-wrap justify-between gap-2 text-sm">
                <A href="/forgot-password" attr:class=LINK>{move || i18n.t().auth_forgot}</A>
                <span class="text-slate-600 dark:text-slate-400">
                    {move || i18n.t().auth_no_account} " "
                    <A href="/signup" attr:class=LINK>{move || i18n.t().auth_signup}</A>
                </span>
            </div>
        </AuthCard>
    }
}

#[component]
pub fn VerifyEmailPage() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let session = use_session();
    let result = Resource::new(
        move || query.read().get("token").unwrap_or_default(),
        verify_email,
    );
    view! {
        <AuthCard title=|m| m.auth_verify_title>
            <Suspense fallback=move || view! { <p>{move || i18n.t().auth_verify_checking}</p> }>
                {move || Suspend::new(async move {
                    match result.await {
                        Ok(()) => {
                            session.reload();
                            view! { <Notice text=|m| m.auth_verify_done /> }.into_any()
                        }
                        Err(error) => view! {
                            <p role="alert" data-testid="form-error" class="text-red-700 dark:text-red-400">{move || error_text(i18n.t(), &error)}</p>
                        }.into_any(),
                    }
                })}
            </Suspense>
            <A href="/account" attr:class=LINK>{move || i18n.t().auth_account}</A>
        </AuthCard>
    }
}

#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let action = ServerAction::<RequestPasswordReset>::new();
    view! {
        <AuthCard title=|m| m.auth_forgot_title>
            <Show
                when=move || matches!(action.value().get(), Some(Ok(())))
                fallback=move || view! {
                    <ActionForm action=action attr:class="space-y-4">
                        <ErrorNotice result=action.value() />
                        <Field label=|m| m.auth_email name="email" kind="email" autocomplete="email" required=true />
                        <Submit label=|m| m.auth_forgot_send pending=action.pending() />
                    </ActionForm>
                }
            >
                <Notice text=|m| m.auth_forgot_done />
            </Show>
        </AuthCard>
    }
}

#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let token = move || query.read().get("token").unwrap_or_default();
    let action = ServerAction::<ResetPassword>::new();
    view! {
        <AuthCard title=|m| m.auth_reset_title>
            <Show
                when=move || matches!(action.value().get(), Some(Ok(())))
                fallback=move || view! {
                    <ActionForm action=action attr:class="space-y-4">
                        <ErrorNotice result=action.value() />
                        <input type="hidden" name="token" value=token />
                        <Field label=|m| m.auth_new_password name="password" kind="password" autocomplete="new-password" required=true hint=|m| m.auth_password_hint />
                        <Submit label=|m| m.auth_reset_save pending=action.pending() />
                    </ActionForm>
                }
            >
                <Notice text=|m| m.auth_reset_done />
                <A href="/login" attr:class=LINK>{move || i18n.t().auth_login}</A>
            </Show>
        </AuthCard>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paths_on_this_site_are_followed_after_log_in() {
        assert_eq!(safe_next("/order?plan=3").as_deref(), Some("/order?plan=3"));
        assert_eq!(
            safe_next("/servers/7#console").as_deref(),
            Some("/servers/7#console")
        );
        for elsewhere in [
            "//evil.example/",
            "https://evil.example/",
            "/\\evil.example",
            "order",
            // Browsers drop tabs and line breaks inside a URL, so these are `//evil.example`.
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r\n/evil.example",
            "\t//evil.example",
            " //evil.example",
            "javascript:alert(1)",
        ] {
            assert_eq!(safe_next(elsewhere), None, "{elsewhere:?}");
        }
    }

    #[test]
    fn a_page_whose_session_ended_asks_for_a_log_in_and_comes_back() {
        assert_eq!(
            session_ended_link("/servers/7?tab=console"),
            "/login?next=/servers/7%3Ftab%3Dconsole&ended=session"
        );
        assert_eq!(session_ended_link("//evil.example"), "/login?ended=session");
    }

    #[test]
    fn the_log_in_link_carries_the_destination() {
        assert_eq!(
            login_link(Some("/order?plan=3")),
            "/login?next=/order%3Fplan%3D3"
        );
        assert_eq!(login_link(Some("https://evil.example/")), "/login");
        assert_eq!(login_link(None), "/login");
    }
}
