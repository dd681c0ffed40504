//! The navbar bell: the unread count, a dropdown with the latest notifications, and in the browser
//! a live connection to `/ws/notifications` that adds new ones without a reload.
//!
//! The first look comes from a server function so the page renders the same on the server and in
//! the browser; the live state takes over once the browser has it. What the connection hears is
//! also published as a [`LiveFeed`], so pages can reload what a notification is about.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::i18n::use_i18n;
use crate::notifications::{
    BELL_SIZE, MarkAllNotificationsRead, MarkNotificationRead, bell_notifications,
};
use crate::session::use_session;
use crate::time::{Precision, time_text};
use model::notifications::Notification;
use model::{NotificationId, UserId};

/// What the bell's live connection hears, for the pages: the server pages reload the moment a
/// notification about a server arrives rather than waiting for their timer.
#[derive(Clone, Copy)]
pub struct LiveFeed {
    latest: RwSignal<Option<Notification>>,
    connected: RwSignal<bool>,
}

impl LiveFeed {
    /// The newest notification the connection delivered (none until one arrives), tracked.
    pub fn latest(self) -> Option<Notification> {
        self.latest.get()
    }

    /// Whether the connection is open, tracked: while it is, notifications arrive the moment
    /// they happen.
    pub fn connected(self) -> bool {
        self.connected.get()
    }
}

/// Makes the feed the bell and the pages share; `App` provides it above both (the bell sits in
/// the header, beside the pages rather than above them).
pub fn provide_live_feed() {
    provide_context(LiveFeed {
        latest: RwSignal::new(None),
        connected: RwSignal::new(false),
    });
}

pub fn use_live_feed() -> LiveFeed {
    expect_context()
}

/// What the bell shows once the browser has taken over from the first look.
#[derive(Clone, Copy)]
struct Live {
    /// Whether `items` and `unread` hold the truth yet (until then the first look does).
    seeded: RwSignal<bool>,
    items: RwSignal<Vec<Notification>>,
    unread: RwSignal<i64>,
    feed: LiveFeed,
}

impl Live {
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    fn newest_id(self) -> NotificationId {
        self.items
            .with_untracked(|items| items.iter().map(|item| item.id).max().unwrap_or_default())
    }

    /// A notification from the feed: newest first, never twice (a reconnect may resend); the
    /// pages hear of it too.
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    fn arrived(self, item: Notification) {
        let seen = self.items.with_untracked(|items| {
            let full = items.len() >= usize::try_from(BELL_SIZE).unwrap_or(8);
            items.iter().any(|known| known.id == item.id)
                || (full && items.iter().all(|known| known.id > item.id))
        });
        // A resend after a reconnect, or one older than all the bell shows: nothing new.
        if seen {
            return;
        }
        self.feed.latest.set(Some(item.clone()));
        self.items.update(|items| {
            items.insert(0, item);
            items.sort_by_key(|item| std::cmp::Reverse(item.id));
            items.truncate(usize::try_from(BELL_SIZE).unwrap_or(8));
        });
    }

    fn mark_read(self, id: NotificationId) {
        self.items.update(|items| {
            for item in items.iter_mut().filter(|item| item.id == id) {
                item.mark_read();
            }
        });
    }
}

const ITEM_LINK: &str =
    "block w-full px-4 py-3 text-left hover:bg-slate-50 dark:hover:bg-slate-800";

#[component]
pub fn Bell() -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    // Follows who is signed in, so logging in or out shows or hides the bell. On the server the
    // session arrives while the page renders, and this is read again in a task of its own that
    // can run after the answer has gone and the session is disposed: then there is no one.
    let user = move || {
        session
            .user
            .try_get()
            .flatten()
            .and_then(Result::ok)
            .flatten()
            .map(|me| me.id)
    };
    let first = Resource::new(user, |_| bell_notifications());
    // Whose notifications the live state holds: a reload of the same user's first look (the
    // session is reloaded now and then) must not replace what the socket has kept current.
    let seeded_for = StoredValue::new(None::<UserId>);
    let live = Live {
        seeded: RwSignal::new(false),
        items: RwSignal::new(Vec::new()),
        unread: RwSignal::new(0),
        feed: use_live_feed(),
    };
    let open = RwSignal::new(false);
    let mark_one = ServerAction::<MarkNotificationRead>::new();
    let mark_all = ServerAction::<MarkAllNotificationsRead>::new();

    Effect::new(move |_| match first.get() {
        Some(Ok(Some(page))) => {
            let who = session
                .user
                .get_untracked()
                .and_then(Result::ok)
                .flatten()
                .map(|me| me.id);
            if live.seeded.get_untracked() && seeded_for.get_value() == who {
                return;
            }
            seeded_for.set_value(who);
            live.items.set(page.items);
            live.unread.set(page.unread);
            live.seeded.set(true);
            #[cfg(feature = "hydrate")]
            browser::connect(live);
        }
        Some(_) => {
            seeded_for.set_value(None);
            live.seeded.set(false);
            #[cfg(feature = "hydrate")]
            browser::disconnect();
            live.feed.connected.set(false);
        }
        None => {}
    });
    Effect::new(move |_| {
        if let Some(Ok(_)) = mark_all.value().get() {
            live.items
                .update(|items| items.iter_mut().for_each(Notification::mark_read));
            live.unread.set(0);
        }
    });

    let items = move || {
        if live.seeded.get() {
            live.items.get()
        } else {
            first
                .get()
                .and_then(Result::ok)
                .flatten()
                .map(|page| page.items)
                .unwrap_or_default()
        }
    };
    let unread = move || {
        if live.seeded.get() {
            live.unread.get()
        } else {
            first
                .get()
                .and_then(Result::ok)
                .flatten()
                .map_or(0, |page| page.unread)
        }
    };
    // The item is a link, so the router navigates; this marks it read on the way.
    let choose = move |id: NotificationId, read: bool| {
        open.set(false);
        if !read {
            live.mark_read(id);
            live.unread.update(|n| *n = (*n - 1).max(0));
            mark_one.dispatch(MarkNotificationRead { id });
        }
    };

    view! {
        <Transition>
            {move || Suspend::new(async move {
                let signed_in = matches!(first.await, Ok(Some(_)));
                signed_in.then(move || view! {
                    <div class="relative" data-testid="bell">
                        <button
                            type="button"
                            data-testid="bell-button"
                            aria-haspopup="true"
                            aria-expanded=move || open.get().to_string()
                            title=move || i18n.t().notifications_bell
                            aria-label=move || i18n.t().notifications_bell
                            on:click=move |_| open.update(|open| *open = !*open)
                            class="relative rounded-md border border-slate-300 p-1.5 text-slate-600 hover:bg-slate-100 dark:border-slate-700 dark:text-slate-300 dark:hover:bg-slate-800"
                        >
                            <svg class="h-5 w-5" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true">
                                <path d="M6 8a6 6 0 0 1 12 0c0 7 3 9 3 9H3s3-2 3-9" />
                                <path d="M10.3 21a1.94 1.94 0 0 0 3.4 0" />
                            </svg>
                            {move || (unread() > 0).then(|| view! {
                                <span
                                    data-testid="bell-count"
                                    class="absolute -right-1.5 -top-1.5 min-w-5 rounded-full bg-red-600 px-1 text-center text-xs font-semibold leading-5 text-white dark:bg-red-500"
                                >
                                    {move || { let n = unread(); if n > 99 { "99+".to_owned() } else { n.to_string() } }}
                                    <span class="sr-only">" " {move || i18n.t().notifications_unread_count}</span>
                                </span>
                            })}
                        </button>
                        <Show when=move || open.get()>
                            <div
                                data-testid="bell-menu"
                                class="absolute right-0 z-20 mt-2 w-80 max-w-[calc(100vw-2rem)] overflow-hidden rounded-xl border border-slate-200 bg-white text-sm shadow-lg dark:border-slate-700 dark:bg-slate-900"
                            >
                                <div class="flex items-center justify-between border-b border-slate-200 px-4 py-2 dark:border-slate-700">
                                    <span class="font-semibold">{move || i18n.t().notifications_title}</span>
                                    <button
                                        type="button"
                                        data-testid="bell-mark-all"
                                        disabled=move || unread() == 0 || mark_all.pending().get()
                                        on:click=move |_| { mark_all.dispatch(MarkAllNotificationsRead {}); }
                                        class="text-xs font-medium text-sky-700 hover:underline disabled:cursor-not-allowed disabled:opacity-50 dark:text-sky-400"
                                    >
                                        {move || i18n.t().notifications_mark_all_read}
                                    </button>
                                </div>
                                {
                                    move || {
                                        let list = items();
                                        if list.is_empty() {
                                            return view! {
                                                <p data-testid="bell-empty" class="px-4 py-6 text-center italic text-slate-500 dark:text-slate-400">{move || i18n.t().notifications_empty}</p>
                                            }.into_any();
                                        }
                                        view! {
                                            <ul class="max-h-96 divide-y divide-slate-100 overflow-y-auto dark:divide-slate-800">
                                                // Keyed by id and state: items arrive at the top while the menu is
                                                // open, and each row's handler must stay with its own item.
                                                <For
                                                    each=move || list.clone()
                                                    key=|item| (item.id, item.is_read())
                                                    children=move |item: Notification| {
                                                    // Only links inside the app: a notification never sends anyone elsewhere.
                                                    let href = item.link.clone().filter(|link| link.starts_with('/')).unwrap_or_else(|| "/notifications".to_owned());
                                                    let (id, read) = (item.id, item.is_read());
                                                    view! {
                                                        <li data-testid="bell-item" data-event=item.event.clone() data-read=read.to_string()>
                                                            <A href=href attr:class=ITEM_LINK on:click=move |_| choose(id, read)>
                                                                <span class="flex items-start gap-2">
                                                                    <span class="mt-1.5 h-2 w-2 shrink-0 rounded-full" class=("bg-sky-500", !read) aria-hidden="true"></span>
                                                                    <span class="min-w-0">
                                                                        <span class="block font-medium text-slate-900 dark:text-slate-100">{item.title.clone()}</span>
                                                                        {(!read).then(|| view! { <span class="sr-only">{move || i18n.t().notifications_unread_dot}</span> })}
                                                                        <span class="mt-0.5 block text-slate-600 dark:text-slate-300">{item.body.clone()}</span>
                                                                        <span class="mt-1 block text-xs text-slate-500 dark:text-slate-400">{time_text(item.created_at, Precision::Minute)}</span>
                                                                    </span>
                                                                </span>
                                                            </A>
                                                        </li>
                                                    }
                                                    }
                                                />
                                            </ul>
                                        }.into_any()
                                    }
                                }
                                <A
                                    href="/notifications"
                                    on:click=move |_| open.set(false)
                                    attr:data-testid="bell-see-all"
                                    attr:class="block border-t border-slate-200 px-4 py-2 text-center text-sm font-medium text-sky-700 hover:bg-slate-50 dark:border-slate-700 dark:text-sky-400 dark:hover:bg-slate-800"
                                >
                                    {move || i18n.t().notifications_see_all}
                                </A>
                            </div>
                        </Show>
                    </div>
                })
            })}
        </Transition>
    }
}

/// The live connection, in the browser only.
#[cfg(feature = "hydrate")]
mod browser {
    use std::cell::RefCell;
    use std::time::Duration;

    use leptos::prelude::*;
    use serde::Deserialize;
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;
    use web_sys::{CloseEvent, MessageEvent, WebSocket};

    use model::NotificationId;
    use model::notifications::Notification;

    use super::Live;

    const FIRST_WAIT: Duration = Duration::from_secs(1);
    const LONGEST_WAIT: Duration = Duration::from_secs(30);

    #[derive(Deserialize)]
    #[serde(tag = "type", rename_all = "snake_case")]
    enum Message {
        Notification { notification: Notification },
        Unread { count: i64 },
    }

    /// One connection at a time; a newer generation tells an older socket's handlers to stop.
    struct Connection {
        generation: u64,
        socket: Option<WebSocket>,
    }

    thread_local! {
        static CURRENT: RefCell<Connection> = const { RefCell::new(Connection { generation: 0, socket: None }) };
    }

    pub fn connect(live: Live) {
        let generation = disconnect();
        open(live, generation, FIRST_WAIT);
    }

    /// Closes the socket, if any, and answers the generation a new one should use.
    pub fn disconnect() -> u64 {
        CURRENT.with_borrow_mut(|current| {
            current.generation += 1;
            if let Some(socket) = current.socket.take() {
                socket.set_onopen(None);
                socket.set_onclose(None);
                socket.set_onmessage(None);
                let _ = socket.close();
            }
            current.generation
        })
    }

    fn current(generation: u64) -> bool {
        CURRENT.with_borrow(|current| current.generation == generation)
    }

    fn url(after: NotificationId) -> Option<String> {
        let location = web_sys::window()?.location();
        let scheme = if location.protocol().ok()? == "https:" {
            "wss"
        } else {
            "ws"
        };
        Some(format!(
            "{scheme}://{}/ws/notifications?after={after}",
            location.host().ok()?
        ))
    }

    /// Opens the socket; when it closes, waits `wait` (with jitter, so many tabs do not come
    /// back at the same instant) and opens it again from the newest id seen, so nothing is lost.
    fn open(live: Live, generation: u64, wait: Duration) {
        if !current(generation) {
            return;
        }
        let Some(socket) = url(live.newest_id()).and_then(|url| WebSocket::new(&url).ok()) else {
            retry(live, generation, wait);
            return;
        };
        let wait_after = std::rc::Rc::new(std::cell::Cell::new(wait));
        let on_open = Closure::<dyn FnMut()>::new(move || {
            if current(generation) {
                live.feed.connected.set(true);
            }
        });
        let on_message = {
            let wait_after = wait_after.clone();
            Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
                if !current(generation) {
                    return;
                }
                // A message means the connection works: the next drop starts from a short wait.
                wait_after.set(FIRST_WAIT);
                let Some(text) = event.data().as_string() else {
                    return;
                };
                match serde_json::from_str::<Message>(&text) {
                    Ok(Message::Notification { notification }) => live.arrived(notification),
                    Ok(Message::Unread { count }) => live.unread.set(count),
                    Err(error) => leptos::logging::warn!("notification feed: {error}"),
                }
            })
        };
        let on_close = Closure::<dyn FnMut(CloseEvent)>::new(move |event: CloseEvent| {
            if !current(generation) {
                return;
            }
            CURRENT.with_borrow_mut(|current| current.socket = None);
            live.feed.connected.set(false);
            if event.code() == SIGNED_OUT {
                // The session ended elsewhere: reconnecting would only be refused.
                to_log_in_again();
            } else {
                retry(live, generation, wait_after.get());
            }
        });
        socket.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        socket.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        // The handlers live as long as the page; a stale socket's handlers do nothing.
        on_open.forget();
        on_message.forget();
        on_close.forget();
        CURRENT.with_borrow_mut(|current| current.socket = Some(socket));
    }

    /// The close code of a socket whose session ended (`server::state::CLOSE_SIGNED_OUT`).
    const SIGNED_OUT: u16 = 4401;

    /// Leaves the page for the log-in form, which says the session ended and brings the
    /// visitor back here afterwards.
    fn to_log_in_again() {
        let Some(location) = web_sys::window().map(|window| window.location()) else {
            return;
        };
        let here = format!(
            "{}{}",
            location.pathname().unwrap_or_default(),
            location.search().unwrap_or_default()
        );
        let _ = location.assign(&crate::pages::auth::session_ended_link(&here));
    }

    fn retry(live: Live, generation: u64, wait: Duration) {
        let jitter = wait.mul_f64(0.5 * js_sys::Math::random());
        let next = (wait * 2).min(LONGEST_WAIT);
        set_timeout(move || open(live, generation, next), wait + jitter);
    }
}
