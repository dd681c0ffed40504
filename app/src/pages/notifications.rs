//! Every notification of the signed-in user, newest first, a page at a time; and the settings:
//! which category reaches them on which channel, and their Telegram link.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::PageTitle;
use crate::i18n::{Messages, use_i18n};
use crate::notifications::{
    MarkAllNotificationsRead, MarkNotificationRead, SetNotificationPreference, TelegramLink,
    TelegramUnlink, list_notifications, notification_preferences, telegram_info,
};
use crate::pages::account::RequireUser;
use crate::time::{Precision, time_text};
use crate::ui::style::BUTTON;
use crate::ui::{Card, ErrorNotice, Notice, Text, error_text};
use model::NotificationId;
use model::accounts::User;
use model::notifications::{Category, Channel, Notification, Preference};

fn category_text(m: &'static Messages, category: Category) -> &'static str {
    match category {
        Category::Billing => m.notifications_category_billing,
        Category::Server => m.notifications_category_server,
        Category::Actions => m.notifications_category_actions,
        Category::Security => m.notifications_category_security,
        Category::Admin => m.notifications_category_admin,
    }
}

fn channel_text(m: &'static Messages, channel: Channel) -> &'static str {
    match channel {
        Channel::InApp => m.notifications_channel_in_app,
        Channel::Email => m.notifications_channel_email,
        Channel::Telegram => m.notifications_channel_telegram,
    }
}

#[component]
pub fn NotificationsPage() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <PageTitle text=|m| m.notifications_title />
        <h1 class="text-3xl font-bold tracking-tight">{move || i18n.t().notifications_title}</h1>
        <RequireUser view=|me: User| view! {
            <div class="mt-6 grid gap-6">
                <NotificationList />
                <SettingsCard is_admin=me.is_admin() />
            </div>
        } />
    }
}

#[component]
fn NotificationList() -> impl IntoView {
    let i18n = use_i18n();
    let mark_one = ServerAction::<MarkNotificationRead>::new();
    let mark_all = ServerAction::<MarkAllNotificationsRead>::new();
    // Older pages are added below as they are asked for; marking read changes what is on screen
    // at once instead of reloading (which would drop the older pages).
    let before = RwSignal::new(None::<NotificationId>);
    let shown = RwSignal::new(None::<Vec<Notification>>);
    let unread = RwSignal::new(None::<i64>);
    let page = Resource::new(move || before.get(), list_notifications);
    Effect::new(move |_| {
        if let Some(Ok(found)) = page.get() {
            unread.set(Some(found.unread));
            shown.update(|shown| match shown {
                Some(shown) if before.get_untracked().is_some() => {
                    let older: Vec<Notification> = found
                        .items
                        .into_iter()
                        .filter(|item| shown.iter().all(|known| known.id != item.id))
                        .collect();
                    shown.extend(older);
                }
                _ => *shown = Some(found.items),
            });
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(_)) = mark_all.value().get() {
            shown.update(|shown| {
                shown.iter_mut().flatten().for_each(Notification::mark_read);
            });
            unread.set(Some(0));
        }
    });
    let read_one = move |id: NotificationId| {
        shown.update(|shown| {
            shown
                .iter_mut()
                .flatten()
                .filter(|item| item.id == id && !item.is_read())
                .for_each(|item| {
                    item.mark_read();
                    unread.update(|n| *n = n.map(|n| (n - 1).max(0)));
                });
        });
        mark_one.dispatch(MarkNotificationRead { id });
    };
    view! {
        <section class="rounded-xl border border-slate-200 bg-white p-6 shadow-sm dark:border-slate-800 dark:bg-slate-900" data-testid="notifications-list">
            <ErrorNotice result=mark_one.value() />
            <ErrorNotice result=mark_all.value() />
            <Transition>
                {move || Suspend::new(async move {
                    let found = match page.await {
                        Ok(found) => found,
                        Err(error) => return view! {
                            <p role="alert" class="text-sm text-red-700 dark:text-red-300">{move || error_text(i18n.t(), &error)}</p>
                        }.into_any(),
                    };
                    // The first render (on the server too) shows the page it loaded; then what
                    // has been gathered page after page.
                    let first_items = found.items.clone();
                    let items = move || shown.get().unwrap_or_else(|| first_items.clone());
                    let first_unread = found.unread;
                    let unread = move || unread.get().unwrap_or(first_unread);
                    let next_before = found.next_before;
                    view! {
                        <div class="flex flex-wrap items-center justify-between gap-3">
                            <p class="text-sm text-slate-600 dark:text-slate-400" data-testid="notifications-unread">
                                {unread} " " {move || i18n.t().notifications_unread_count}
                            </p>
                            <button
                                type="button"
                                data-testid="notifications-mark-all"
                                class=BUTTON
                                disabled=move || unread() == 0 || mark_all.pending().get()
                                on:click=move |_| { mark_all.dispatch(MarkAllNotificationsRead {}); }
                            >
                                {move || i18n.t().notifications_mark_all_read}
                            </button>
                        </div>
                        {move || {
                            let list = items();
                            if list.is_empty() {
                                return view! {
                                    <p data-testid="notifications-empty" class="mt-4 text-sm italic text-slate-500 dark:text-slate-400">{move || i18n.t().notifications_empty}</p>
                                }.into_any();
                            }
                            view! {
                                <ul class="mt-4 divide-y divide-slate-200 dark:divide-slate-800">
                                    {list.into_iter().map(|item| { let read = item.is_read(); view! {
                                        <li data-testid="notification" data-event=item.event.clone() data-read=read.to_string() class="flex items-start gap-3 py-3 text-sm">
                                            <span class="mt-1.5 h-2 w-2 shrink-0 rounded-full" class=("bg-sky-500", !read) aria-hidden="true"></span>
                                            <div class="min-w-0 flex-1">
                                                <p class="font-medium">
                                                    {match item.link.clone().filter(|link| link.starts_with('/')) {
                                                        Some(link) => view! { <A href=link attr:class="hover:underline">{item.title.clone()}</A> }.into_any(),
                                                        None => view! { <span>{item.title.clone()}</span> }.into_any(),
                                                    }}
                                                    " "
                                                    <span class="ml-1 rounded bg-slate-100 px-1.5 py-0.5 text-xs font-normal text-slate-600 dark:bg-slate-800 dark:text-slate-300">
                                                        {let category = item.category; move || category_text(i18n.t(), category)}
                                                    </span>
                                                    {(!read).then(|| view! { <span class="sr-only">{move || i18n.t().notifications_unread_dot}</span> })}
                                                </p>
                                                <p class="mt-1 text-slate-600 dark:text-slate-300">{item.body.clone()}</p>
                                                <p class="mt-1 text-xs text-slate-500 dark:text-slate-400">{time_text(item.created_at, Precision::Minute)}</p>
                                            </div>
                                            {(!read).then(|| view! {
                                                <button
                                                    type="button"
                                                    data-testid="notification-mark-read"
                                                    class=BUTTON
                                                    on:click=move |_| read_one(item.id)
                                                >
                                                    {move || i18n.t().notifications_mark_read}
                                                </button>
                                            })}
                                        </li>
                                    }}).collect_view()}
                                </ul>
                            }.into_any()
                        }}
                        {next_before.map(|next| view! {
                            <button
                                type="button"
                                data-testid="notifications-more"
                                class=format!("mt-4 {BUTTON}")
                                on:click=move |_| before.set(Some(next))
                            >
                                {move || i18n.t().notifications_load_more}
                            </button>
                        })}
                    }.into_any()
                })}
            </Transition>
        </section>
    }
}

#[component]
fn SettingsCard(is_admin: bool) -> impl IntoView {
    let i18n = use_i18n();
    let set = ServerAction::<SetNotificationPreference>::new();
    let preferences = Resource::new(move || set.version().get(), |_| notification_preferences());
    let notice = RwSignal::new(None::<Text>);
    Effect::new(move |_| match set.value().get() {
        Some(Ok(())) => notice.set(Some(|m| m.notifications_saved)),
        Some(Err(_)) => notice.set(None),
        None => {}
    });
    // Admin notifications are for admins only; nobody else would ever receive one.
    let categories: Vec<Category> = Category::ALL
        .into_iter()
        .filter(|category| is_admin || *category != Category::Admin)
        .collect();
    let channels = Channel::ALL;
    view! {
        <div data-testid="notification-settings">
            <Card title=|m| m.notifications_settings_title>
                <p class="text-sm text-slate-600 dark:text-slate-400">{move || i18n.t().notifications_settings_intro}</p>
                {move || notice.get().map(|text| view! { <Notice text=text /> })}
                <ErrorNotice result=set.value() />
                <Transition>
                    {move || {
                        let categories = categories.clone();
                        Suspend::new(async move {
                            let rows: Vec<Preference> = preferences.await.unwrap_or_default();
                            view! {
                                <div class="overflow-x-auto">
                                    <table class="w-full text-sm">
                                        <thead>
                                            <tr class="border-b border-slate-200 text-left dark:border-slate-800">
                                                <th class="py-2 pr-4 font-medium">{move || i18n.t().notifications_category}</th>
                                                {channels.into_iter().map(|channel| view! {
                                                    <th class="px-3 py-2 text-center font-medium">{move || channel_text(i18n.t(), channel)}</th>
                                                }).collect_view()}
                                            </tr>
                                        </thead>
                                        <tbody>
                                            {categories.into_iter().map(|category| {
                                                let rows = rows.clone();
                                                view! {
                                                    <tr class="border-b border-slate-100 last:border-0 dark:border-slate-800">
                                                        <th scope="row" class="py-2 pr-4 text-left font-normal">{move || category_text(i18n.t(), category)}</th>
                                                        {channels.into_iter().map(|channel| {
                                                            let row = rows.iter().find(|row| row.category == category && row.channel == channel).cloned();
                                                            let enabled = row.as_ref().is_some_and(|row| row.enabled);
                                                            let locked = row.as_ref().is_some_and(|row| row.locked);
                                                            view! {
                                                                <td class="px-3 py-2 text-center">
                                                                    <input
                                                                        type="checkbox"
                                                                        data-testid=format!("pref-{}-{}", category.as_str(), channel.as_str())
                                                                        class="h-4 w-4 accent-sky-600 disabled:opacity-60"
                                                                        prop:checked=enabled
                                                                        disabled=move || locked || set.pending().get()
                                                                        title=move || if locked { i18n.t().notifications_locked } else { "" }
                                                                        aria-label=move || format!("{} · {}", category_text(i18n.t(), category), channel_text(i18n.t(), channel))
                                                                        on:change=move |event| {
                                                                            set.dispatch(SetNotificationPreference {
                                                                                category,
                                                                                channel,
                                                                                enabled: event_target_checked(&event),
                                                                            });
                                                                        }
                                                                    />
                                                                </td>
                                                            }
                                                        }).collect_view()}
                                                    </tr>
                                                }
                                            }).collect_view()}
                                        </tbody>
                                    </table>
                                </div>
                            }
                        })
                    }}
                </Transition>
                <TelegramSection />
            </Card>
        </div>
    }
}

#[component]
fn TelegramSection() -> impl IntoView {
    let i18n = use_i18n();
    let link = ServerAction::<TelegramLink>::new();
    let unlink = ServerAction::<TelegramUnlink>::new();
    let info = Resource::new(move || unlink.version().get(), |_| telegram_info());
    view! {
        <div class="border-t border-slate-200 pt-4 dark:border-slate-800" data-testid="telegram">
            <h3 class="font-semibold">{move || i18n.t().notifications_telegram_title}</h3>
            {move || link.value().get().and_then(Result::err).or_else(|| unlink.value().get().and_then(Result::err)).map(|error| view! {
                <p role="alert" class="mt-2 text-sm text-red-700 dark:text-red-300">{move || error_text(i18n.t(), &error)}</p>
            })}
            <Transition>
                {move || Suspend::new(async move {
                    let info = match info.await {
                        Ok(info) => info,
                        Err(error) => return view! {
                            <p role="alert" class="mt-2 text-sm text-red-700 dark:text-red-300">{move || error_text(i18n.t(), &error)}</p>
                        }.into_any(),
                    };
                    if !info.available {
                        return view! {
                            <p data-testid="telegram-unavailable" class="mt-2 text-sm italic text-slate-500 dark:text-slate-400">{move || i18n.t().notifications_telegram_unavailable}</p>
                        }.into_any();
                    }
                    match info.linked_at.map(|at| time_text(at, Precision::Minute)) {
                        Some(since) => view! {
                            <div class="mt-2 flex flex-wrap items-center gap-3 text-sm">
                                <span data-testid="telegram-linked">{move || i18n.t().notifications_telegram_linked_since} " " {since.clone()}</span>
                                <button type="button" class=BUTTON data-testid="telegram-unlink" disabled=move || unlink.pending().get()
                                    on:click=move |_| { unlink.dispatch(TelegramUnlink {}); }>
                                    {move || i18n.t().notifications_telegram_unlink}
                                </button>
                            </div>
                        }.into_any(),
                        None => view! {
                            <div class="mt-2 space-y-2 text-sm">
                                <p class="text-slate-600 dark:text-slate-400">{move || i18n.t().notifications_telegram_not_linked}</p>
                                {move || match link.value().get() {
                                    // The deep link opens in a new tab: a browser blocks a window
                                    // opened after a server round trip, a link the user clicks is not.
                                    Some(Ok(url)) => view! {
                                        <a href=url target="_blank" rel="noopener noreferrer" data-testid="telegram-open" class="inline-block rounded-md bg-sky-700 px-3 py-1.5 font-medium text-white hover:bg-sky-800 dark:bg-sky-500 dark:text-slate-950">
                                            {move || i18n.t().notifications_telegram_open}
                                        </a>
                                        <p class="text-xs text-slate-500 dark:text-slate-400">{move || i18n.t().notifications_telegram_link_hint}</p>
                                    }.into_any(),
                                    _ => view! {
                                        <button type="button" class=BUTTON data-testid="telegram-link" disabled=move || link.pending().get()
                                            on:click=move |_| { link.dispatch(TelegramLink {}); }>
                                            {move || i18n.t().notifications_telegram_link}
                                        </button>
                                    }.into_any(),
                                }}
                            </div>
                        }.into_any(),
                    }
                })}
            </Transition>
        </div>
    }
}
