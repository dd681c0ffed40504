//! The signed-in user's own page: profile, password, sessions, two-factor authentication and
//! SSH keys.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::components::A;

use crate::PageTitle;
use crate::auth::{
    BeginTwoFactor, ChangePassword, ConfirmTwoFactor, DisableTwoFactor, LogOut, ResendVerification,
    RevokeSession, UpdateBillingDetails, UpdateProfile, my_sessions,
};
use crate::errors::Code;
use crate::i18n::use_i18n;
use crate::session::use_session;
use crate::ssh_keys::{AddSshKey, RemoveSshKey, my_ssh_keys};
use crate::time::{Precision, TimeZone, time_text, use_time_zone};
use crate::ui::style::{BUTTON, INPUT};
use crate::ui::{Card, ErrorNotice, Field, Notice, Submit, Text};
use model::Language;
use model::accounts::User;

/// Renders `view` with the signed-in user, or asks a visitor to log in.
#[component]
pub fn RequireUser<V, F>(view: F) -> impl IntoView
where
    F: Fn(User) -> V + Send + Sync + Copy + 'static,
    V: IntoView + 'static,
{
    let i18n = use_i18n();
    let session = use_session();
    let location = leptos_router::hooks::use_location();
    let here = move || {
        let search = location.search.get_untracked();
        let path = location.pathname.get_untracked();
        if search.is_empty() {
            path
        } else {
            format!("{path}?{search}")
        }
    };
    view! {
        <Transition>
            {move || Suspend::new(async move {
                match session.user.await {
                    Ok(Some(me)) => view(me).into_any(),
                    _ => view! {
                        <p class="py-10 text-center">
                            {move || i18n.t().errors_unauthenticated} " "
                            <A href=crate::pages::auth::login_link(Some(&here())) attr:data-testid="login-to-continue" attr:class="font-medium text-sky-700 hover:underline dark:text-sky-400">{move || i18n.t().auth_login}</A>
                        </p>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
pub fn AccountPage() -> impl IntoView {
    let i18n = use_i18n();
    // Saving the profile or the billing details reloads the session (the header shows the name
    // and language, the cards what was saved), which draws the cards again: the actions live
    // above them, so their "Saved." survives that.
    let session = use_session();
    let zone = use_time_zone();
    let save_profile = ServerAction::<UpdateProfile>::new();
    let save_billing = ServerAction::<UpdateBillingDetails>::new();
    Effect::new(move |_| {
        let saved_profile = save_profile.value().get().and_then(Result::ok);
        if let Some(me) = &saved_profile {
            zone.set(me.time_zone);
        }
        if saved_profile.is_some() || matches!(save_billing.value().get(), Some(Ok(_))) {
            session.reload();
        }
    });
    view! {
        <PageTitle text=|m| m.account_title />
        <h1 class="text-3xl font-bold tracking-tight">{move || i18n.t().account_title}</h1>
        <RequireUser view=move |me: User| view! {
            <div class="mt-6 grid gap-6 lg:grid-cols-2">
                {(!me.email_verified).then(|| view! { <VerificationBanner /> })}
                <ProfileCard me=me.clone() action=save_profile />
                <BillingDetailsCard me=me.clone() action=save_billing />
                <PasswordCard />
                <TwoFactorCard enabled=me.two_factor_enabled />
                <SessionsCard />
                <div class="lg:col-span-2" data-testid="ssh-keys-card">
                    <SshKeysCard />
                </div>
            </div>
        } />
    }
}

#[component]
fn VerificationBanner() -> impl IntoView {
    let i18n = use_i18n();
    let resend = ServerAction::<ResendVerification>::new();
    view! {
        <div class="rounded-xl border border-amber-300 bg-amber-50 p-4 text-amber-900 lg:col-span-2 dark:border-amber-800 dark:bg-amber-950 dark:text-amber-200">
            <p>{move || i18n.t().auth_unverified}</p>
            <ActionForm action=resend attr:class="mt-3">
                <button type="submit" class=BUTTON>{move || i18n.t().auth_resend}</button>
            </ActionForm>
            <Show when=move || matches!(resend.value().get(), Some(Ok(())))>
                <p class="mt-2 text-sm">{move || i18n.t().auth_resent}</p>
            </Show>
        </div>
    }
}

#[component]
fn ProfileCard(me: User, action: ServerAction<UpdateProfile>) -> impl IntoView {
    let i18n = use_i18n();
    let language = me.language;
    view! {
        <Card title=|m| m.account_profile>
            <p class="text-sm text-slate-600 dark:text-slate-400" data-testid="account-email">{me.email.clone()}</p>
            <ActionForm action=action attr:class="space-y-4" attr:data-testid="profile">
                <ErrorNotice result=action.value() />
                <Show when=move || matches!(action.value().get(), Some(Ok(_)))>
                    <Notice text=|m| m.account_saved />
                </Show>
                <Field label=|m| m.auth_name name="name" autocomplete="name" required=true value=me.name.clone() />
                <Field label=|m| m.auth_phone name="phone" kind="tel" autocomplete="tel" value=me.phone.clone().unwrap_or_default() />
                <label class="block">
                    <span class="text-sm font-medium text-slate-700 dark:text-slate-300">{move || i18n.t().auth_language}</span>
                    <select name="language" class="mt-1 block w-full rounded-md border border-slate-300 bg-white px-3 py-2 dark:border-slate-700 dark:bg-slate-900">
                        <option value="id" selected=language == Language::Id>"Bahasa Indonesia"</option>
                        <option value="en" selected=language == Language::En>"English"</option>
                    </select>
                </label>
                <label class="block">
                    <span class="text-sm font-medium text-slate-700 dark:text-slate-300">{move || i18n.t().account_time_zone}</span>
                    <select name="time_zone" data-testid="time-zone" class="mt-1 block w-full rounded-md border border-slate-300 bg-white px-3 py-2 dark:border-slate-700 dark:bg-slate-900">
                        {TimeZone::ALL.map(|zone| view! {
                            <option value=zone.iana() selected=zone == me.time_zone>{zone_name(zone)}</option>
                        })}
                    </select>
                    <span class="mt-1 block text-xs text-slate-500 dark:text-slate-400">{move || i18n.t().account_time_zone_hint}</span>
                </label>
                <Submit label=|m| m.account_save pending=action.pending() />
            </ActionForm>
        </Card>
    }
}

/// `WITA (UTC+8) · Asia/Makassar`: the abbreviation people know and the name computers do.
fn zone_name(zone: TimeZone) -> String {
    match zone {
        TimeZone::Utc => zone.to_string(),
        _ => format!("{zone} · {}", zone.iana()),
    }
}

#[component]
fn BillingDetailsCard(me: User, action: ServerAction<UpdateBillingDetails>) -> impl IntoView {
    let i18n = use_i18n();
    let billing = me.billing;
    view! {
        <Card title=|m| m.account_billing>
            <p class="text-sm text-slate-600 dark:text-slate-400">{move || i18n.t().account_billing_intro}</p>
            <ActionForm action=action attr:class="space-y-4" attr:data-testid="billing-details">
                <ErrorNotice result=action.value() />
                <Show when=move || matches!(action.value().get(), Some(Ok(_)))>
                    <Notice text=|m| m.account_saved />
                </Show>
                <Field label=|m| m.account_billing_company name="company" autocomplete="organization" value=billing.company.clone().unwrap_or_default() />
                <label class="block">
                    <span class="text-sm font-medium text-slate-700 dark:text-slate-300">{move || i18n.t().account_billing_address}</span>
                    <textarea name="address" rows="3" autocomplete="street-address" class=INPUT>{billing.address.clone().unwrap_or_default()}</textarea>
                </label>
                <Field label=|m| m.account_billing_npwp name="npwp" value=billing.npwp.clone().unwrap_or_default() hint=|m| m.account_billing_npwp_hint />
                <Submit label=|m| m.account_save pending=action.pending() />
            </ActionForm>
        </Card>
    }
}

#[component]
fn PasswordCard() -> impl IntoView {
    let action = ServerAction::<ChangePassword>::new();
    view! {
        <Card title=|m| m.account_password>
            <ActionForm action=action attr:class="space-y-4">
                <ErrorNotice result=action.value() />
                <Show when=move || matches!(action.value().get(), Some(Ok(())))>
                    <Notice text=|m| m.account_password_changed />
                </Show>
                <Field label=|m| m.auth_current_password name="current" kind="password" autocomplete="current-password" required=true />
                <Field label=|m| m.auth_new_password name="password" kind="password" autocomplete="new-password" required=true hint=|m| m.auth_password_hint />
                <Submit label=|m| m.account_change_password pending=action.pending() />
            </ActionForm>
        </Card>
    }
}

#[component]
fn TwoFactorCard(enabled: bool) -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let begin = ServerAction::<BeginTwoFactor>::new();
    let confirm = ServerAction::<ConfirmTwoFactor>::new();
    let disable = ServerAction::<DisableTwoFactor>::new();
    Effect::new(move |_| {
        if let Some(Ok(())) = disable.value().get() {
            session.reload();
        }
    });
    let recovery_codes = move || confirm.value().get().and_then(Result::ok);
    view! {
        <Card title=|m| m.account_two_factor>
            {move || match (enabled, recovery_codes()) {
                (_, Some(codes)) => view! {
                    <Notice text=|m| m.account_two_factor_on />
                    <p class="text-sm">{move || i18n.t().account_two_factor_codes}</p>
                    <ul data-testid="recovery-codes" class="grid grid-cols-2 gap-2 font-mono text-sm">
                        {codes.into_iter().map(|code| view! { <li class="rounded bg-slate-100 px-2 py-1 dark:bg-slate-800">{code}</li> }).collect_view()}
                    </ul>
                }.into_any(),
                (true, None) => view! {
                    <p data-testid="two-factor-status">{move || i18n.t().account_two_factor_on}</p>
                    <ActionForm action=disable attr:class="space-y-4">
                        <ErrorNotice result=disable.value() />
                        <Field label=|m| m.auth_current_password name="password" kind="password" autocomplete="current-password" required=true />
                        <button type="submit" class=BUTTON>{move || i18n.t().account_two_factor_disable}</button>
                    </ActionForm>
                }.into_any(),
                (false, None) => view! {
                    <p>{move || i18n.t().account_two_factor_off}</p>
                    {move || match begin.value().get() {
                        Some(Ok(setup)) => view! {
                            <p class="text-sm">{move || i18n.t().account_two_factor_scan}</p>
                            <img src=setup.qr_data_url.clone() width="200" height="200" alt=setup.otpauth_uri.clone() class="rounded bg-white p-2" />
                            <p class="text-sm">{move || i18n.t().account_two_factor_key} ": "
                                <code data-testid="totp-secret" class="break-all font-mono">{setup.secret.clone()}</code>
                            </p>
                            <ActionForm action=confirm attr:class="space-y-4">
                                <ErrorNotice result=confirm.value() />
                                <Field label=|m| m.auth_code name="code" autocomplete="one-time-code" required=true />
                                <Submit label=|m| m.account_two_factor_confirm pending=confirm.pending() />
                            </ActionForm>
                        }.into_any(),
                        other => view! {
                            <ErrorNotice result=Signal::derive(move || other.clone()) />
                            <ActionForm action=begin>
                                <button type="submit" data-testid="two-factor-begin" class=BUTTON>{move || i18n.t().account_two_factor_enable}</button>
                            </ActionForm>
                        }.into_any(),
                    }}
                }.into_any(),
            }}
        </Card>
    }
}

#[component]
fn SessionsCard() -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let revoke = ServerAction::<RevokeSession>::new();
    let log_out = ServerAction::<LogOut>::new();
    let sessions = Resource::new(move || revoke.version().get(), |_| my_sessions());
    Effect::new(move |_| {
        if let Some(Ok(())) = log_out.value().get() {
            session.reload();
        }
    });
    view! {
        <Card title=|m| m.account_sessions>
            <Transition>
                {move || Suspend::new(async move {
                    let sessions = sessions.await.unwrap_or_default();
                    view! {
                        <ul class="divide-y divide-slate-200 dark:divide-slate-800" data-testid="sessions">
                            {sessions.into_iter().map(|s| view! {
                                <li class="flex items-center justify-between gap-3 py-3 text-sm">
                                    <div class="min-w-0">
                                        <p class="truncate font-medium">{s.user_agent.clone()}</p>
                                        <p class="text-slate-500 dark:text-slate-400">{s.ip.clone()} " · " {move || i18n.t().account_last_used} " " {time_text(s.last_used_at, Precision::Minute)}</p>
                                    </div>
                                    {if s.current {
                                        view! { <span class="shrink-0 text-emerald-700 dark:text-emerald-400">{move || i18n.t().account_this_device}</span> }.into_any()
                                    } else {
                                        view! {
                                            <ActionForm action=revoke>
                                                <input type="hidden" name="id" value=s.id />
                                                <button type="submit" class=BUTTON>{move || i18n.t().account_revoke}</button>
                                            </ActionForm>
                                        }.into_any()
                                    }}
                                </li>
                            }).collect_view()}
                        </ul>
                    }
                })}
            </Transition>
            <ActionForm action=log_out>
                <input type="hidden" name="everywhere" value="true" />
                <button type="submit" class=BUTTON>{move || i18n.t().account_logout_everywhere}</button>
            </ActionForm>
        </Card>
    }
}

#[component]
fn SshKeysCard() -> impl IntoView {
    let i18n = use_i18n();
    let add = ServerAction::<AddSshKey>::new();
    let remove = ServerAction::<RemoveSshKey>::new();
    let keys = Resource::new(
        move || (add.version().get(), remove.version().get()),
        |_| my_ssh_keys(),
    );
    let form = NodeRef::<leptos::html::Form>::new();
    let key_input = NodeRef::<leptos::html::Textarea>::new();
    // The latest outcome says what happened: a saved key also empties the form for the next one,
    // while a refused one stays so it can be corrected, its error replacing any earlier notice.
    // A private key pasted by mistake is the exception: it is not left on screen.
    let notice = RwSignal::new(None::<Text>);
    Effect::new(move |_| match add.value().get() {
        Some(Ok(_)) => {
            notice.set(Some(|m| m.ssh_keys_added));
            if let Some(form) = form.get_untracked() {
                form.reset();
            }
        }
        Some(Err(error)) => {
            notice.set(None);
            if error.code == Code::SshKeyPrivate
                && let Some(input) = key_input.get_untracked()
            {
                input.set_value("");
            }
        }
        None => {}
    });
    Effect::new(move |_| match remove.value().get() {
        Some(Ok(())) => notice.set(Some(|m| m.ssh_keys_removed)),
        Some(Err(_)) => notice.set(None),
        None => {}
    });
    view! {
        <Card title=|m| m.ssh_keys_title>
            <p class="text-sm text-slate-600 dark:text-slate-400">{move || i18n.t().ssh_keys_intro}</p>
            {move || notice.get().map(|text| view! { <Notice text=text /> })}
            <ErrorNotice result=remove.value() />
            <Transition>
                {move || Suspend::new(async move {
                    let keys = keys.await.unwrap_or_default();
                    if keys.is_empty() {
                        return view! {
                            <p data-testid="ssh-keys-empty" class="text-sm italic text-slate-500 dark:text-slate-400">{move || i18n.t().ssh_keys_empty}</p>
                        }.into_any();
                    }
                    view! {
                        <ul class="divide-y divide-slate-200 dark:divide-slate-800" data-testid="ssh-keys">
                            {keys.into_iter().map(|key| view! {
                                <li data-testid="ssh-key" class="flex items-center justify-between gap-3 py-3 text-sm">
                                    <div class="min-w-0">
                                        <p class="font-medium">
                                            {key.name.clone()} " "
                                            <span class="ml-1 rounded bg-slate-100 px-1.5 py-0.5 text-xs font-normal text-slate-600 dark:bg-slate-800 dark:text-slate-300">
                                                {key.algorithm_name()} " " {key.bits} " " {move || i18n.t().ssh_keys_bits}
                                            </span>
                                        </p>
                                        <p data-testid="ssh-key-fingerprint" class="mt-1 break-all font-mono text-xs text-slate-600 dark:text-slate-300">{key.fingerprint.clone()}</p>
                                        <p class="mt-1 text-xs text-slate-500 dark:text-slate-400">{move || i18n.t().ssh_keys_added_on} " " {time_text(key.created_at, Precision::Day)}</p>
                                    </div>
                                    <ActionForm action=remove attr:class="shrink-0">
                                        <input type="hidden" name="id" value=key.id.get() />
                                        <button type="submit" class=BUTTON>{move || i18n.t().ssh_keys_remove}</button>
                                    </ActionForm>
                                </li>
                            }).collect_view()}
                        </ul>
                    }.into_any()
                })}
            </Transition>
            <ActionForm action=add node_ref=form attr:class="space-y-4 border-t border-slate-200 pt-4 dark:border-slate-800">
                <ErrorNotice result=add.value() />
                <Field label=|m| m.ssh_keys_name name="name" required=true hint=|m| m.ssh_keys_name_hint />
                <label class="block">
                    <span class="text-sm font-medium text-slate-700 dark:text-slate-300">{move || i18n.t().ssh_keys_public_key}</span>
                    <textarea
                        node_ref=key_input
                        name="public_key"
                        required
                        rows="4"
                        spellcheck="false"
                        autocomplete="off"
                        placeholder="ssh-ed25519 AAAA…"
                        class="mt-1 block w-full rounded-md border border-slate-300 bg-white px-3 py-2 font-mono text-xs text-slate-900 shadow-sm focus:border-sky-500 focus:outline-none focus:ring-2 focus:ring-sky-500/30 dark:border-slate-700 dark:bg-slate-900 dark:text-slate-100"
                    ></textarea>
                    <span class="mt-1 block text-xs text-slate-500 dark:text-slate-400">{move || i18n.t().ssh_keys_public_key_hint}</span>
                </label>
                <Submit label=|m| m.ssh_keys_add pending=add.pending() />
            </ActionForm>
        </Card>
    }
}
