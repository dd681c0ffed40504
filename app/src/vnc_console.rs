//! The browser VNC console: a canvas showing a server's screen, with keyboard and mouse input,
//! scale-to-fit, full screen, Ctrl+Alt+Del, pasting text as key presses, and a readout of frames
//! per second and latency.
//!
//! [`open_console`](crate::console::open_console) answers a one-time WebSocket path; the browser
//! speaks RFB over it with the `rfb` crate (the proxy behind it has already authenticated with
//! the real server). A provider with its own web console gets a link to it instead. The server
//! renders the frame (toolbar, empty canvas, "connecting"); the connection lives in the browser.

use leptos::html;
use leptos::prelude::*;

use crate::errors::AppError;
use crate::i18n::{Messages, use_i18n};
use crate::ui::error_text;
use crate::ui::style::{BUTTON, PANEL, PRIMARY};

// In full screen the stage is the whole screen: the screen is centred in it, and the canvas may
// be as tall as the screen (outside it only the page's width limits the canvas).
const STAGE: &str = "relative overflow-hidden rounded-lg border border-slate-200 bg-black dark:border-slate-800 [&:fullscreen]:flex [&:fullscreen]:flex-col [&:fullscreen]:justify-center [&:fullscreen]:rounded-none [&:fullscreen]:border-0";
const SCROLLER: &str = "overflow-auto [:fullscreen_&]:max-h-screen";
// The focus outline is drawn inside the canvas, where the stage's rounded clip cannot hide it.
const CANVAS_FIT: &str = "mx-auto block h-auto max-w-full touch-none focus:outline-2 focus:-outline-offset-2 focus:outline-solid focus:outline-sky-500 [:fullscreen_&]:max-h-screen";
const CANVAS_ACTUAL: &str = "mx-auto block max-w-none touch-none focus:outline-2 focus:-outline-offset-2 focus:outline-solid focus:outline-sky-500";
const STATS: &str = "pointer-events-none absolute right-2 top-2 rounded bg-black/60 px-2 py-0.5 font-mono text-xs text-white";

/// Keys a phone's keyboard cannot send to the screen, as (label, DOM key, DOM code).
const SCREEN_KEYS: [(&str, &str, &str); 6] = [
    ("Esc", "Escape", "Escape"),
    ("Tab", "Tab", "Tab"),
    ("←", "ArrowLeft", "ArrowLeft"),
    ("↑", "ArrowUp", "ArrowUp"),
    ("↓", "ArrowDown", "ArrowDown"),
    ("→", "ArrowRight", "ArrowRight"),
];
/// Held down for the next on-screen key once pressed.
const MODIFIERS: [(&str, &str, &str); 2] = [
    ("Ctrl", "Control", "ControlLeft"),
    ("Alt", "Alt", "AltLeft"),
];
const CTRL_ALT_DEL: [(&str, &str); 3] = [
    ("Control", "ControlLeft"),
    ("Alt", "AltLeft"),
    ("Delete", "Delete"),
];

/// The longest text the paste box takes: it is typed at about a hundred characters a second.
const MAX_PASTE: usize = 4096;

/// Why the console is not connected.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
enum Ended {
    /// The session ended normally (close code 1000).
    Normal,
    /// Nobody typed or moved the mouse for too long (4408).
    IdleTimeout,
    /// The session that opened the console ended (4401).
    SignedOut,
    /// The proxy could not reach the server's screen (4502).
    Unreachable,
    /// Any other close, or a socket that would not open.
    Lost,
    /// `open_console` refused.
    Opening(AppError),
    /// The server's data could not be understood; the detail is the `rfb` error (English).
    Protocol(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
enum Status {
    Connecting,
    Connected,
    Disconnected(Ended),
    /// The provider's own console, at this (http or https) address.
    Provider(String),
}

impl Status {
    /// The `data-state` tests and styles read.
    fn state(&self) -> &'static str {
        match self {
            Status::Connecting => "connecting",
            Status::Connected => "connected",
            Status::Disconnected(_) => "disconnected",
            Status::Provider(_) => "provider",
        }
    }
}

/// What a screen reader says for an on-screen key drawn as an arrow.
fn screen_key_name(m: &'static Messages, code: &str) -> Option<&'static str> {
    match code {
        "ArrowLeft" => Some(m.console_key_left),
        "ArrowUp" => Some(m.console_key_up),
        "ArrowDown" => Some(m.console_key_down),
        "ArrowRight" => Some(m.console_key_right),
        _ => None,
    }
}

fn status_text(m: &'static Messages, status: &Status) -> String {
    let text = match status {
        Status::Connecting => m.console_status_connecting,
        Status::Connected => m.console_status_connected,
        Status::Provider(_) => m.console_provider_title,
        Status::Disconnected(Ended::Normal) => m.console_ended,
        Status::Disconnected(Ended::IdleTimeout) => m.console_idle_timeout,
        Status::Disconnected(Ended::SignedOut) => m.console_signed_out,
        Status::Disconnected(Ended::Unreachable) => m.console_unreachable,
        Status::Disconnected(Ended::Lost) => m.console_lost,
        Status::Disconnected(Ended::Opening(error)) => error_text(m, error),
        Status::Disconnected(Ended::Protocol(detail)) => {
            return format!("{} {detail}", m.console_protocol_error);
        }
    };
    text.to_owned()
}

/// What the page and the browser-side connection share. Everything in it is a handle, so it is
/// `Copy`.
#[derive(Clone, Copy)]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
struct Console {
    instance_id: i64,
    status: RwSignal<Status>,
    /// Framebuffer updates drawn so far (latency probes' own answers left out).
    frames: RwSignal<u64>,
    /// The remote screen's size once connected.
    size: RwSignal<Option<(u16, u16)>>,
    fps: RwSignal<Option<u32>>,
    latency: RwSignal<Option<u32>>,
    /// Pasted text is still being typed.
    typing: RwSignal<bool>,
    canvas: NodeRef<html::Canvas>,
    stage: NodeRef<html::Div>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
enum Press {
    Down,
    Up,
    Move,
}

/// A server's screen in the browser. Connects once mounted and stays connected until the
/// session ends or the component goes away (the socket is closed then).
#[component]
pub fn VncConsole(instance_id: i64) -> impl IntoView {
    let i18n = use_i18n();
    let console = Console {
        instance_id,
        status: RwSignal::new(Status::Connecting),
        frames: RwSignal::new(0),
        size: RwSignal::new(None),
        fps: RwSignal::new(None),
        latency: RwSignal::new(None),
        typing: RwSignal::new(false),
        canvas: NodeRef::new(),
        stage: NodeRef::new(),
    };
    let fit = RwSignal::new(true);
    let paste_text = RwSignal::new(String::new());
    // The speed readout covers part of the screen, so it shows only when asked for.
    let show_stats = RwSignal::new(false);
    // The on-screen modifiers (indexes into MODIFIERS) waiting for the next on-screen key.
    let held = RwSignal::new(Vec::<usize>::new());
    let press_key = move |key: &'static str, code: &'static str| {
        let mut keys: Vec<(&str, &str)> = held.with_untracked(|held| {
            held.iter()
                .map(|&index| (MODIFIERS[index].1, MODIFIERS[index].2))
                .collect()
        });
        keys.push((key, code));
        browser::chord(&keys);
        held.set(Vec::new());
        browser::focus(console);
    };
    // Effects run in the browser only, once the canvas exists. Untracked: nothing the
    // connection reads may make it connect again.
    Effect::new(move |_| untrack(|| browser::mount(console)));

    let connected = move || console.status.with(|status| *status == Status::Connected);
    let disconnected = move || {
        console
            .status
            .with(|status| matches!(status, Status::Disconnected(_)))
    };
    let provider = move || {
        console.status.with(|status| match status {
            Status::Provider(url) => Some(url.clone()),
            _ => None,
        })
    };
    let dot = move || {
        let colour = match console.status.with(Status::state) {
            "connected" => "bg-emerald-500",
            "connecting" => "bg-amber-500",
            _ => "bg-red-500",
        };
        format!("h-2.5 w-2.5 shrink-0 rounded-full {colour}")
    };
    let stats = move || {
        let fps = console
            .fps
            .get()
            .map_or_else(|| "–".to_owned(), |fps| fps.to_string());
        let latency = console
            .latency
            .get()
            .map_or_else(|| "–".to_owned(), |ms| ms.to_string());
        format!(
            "{fps} {} · {} {latency} ms",
            i18n.t().console_stats_fps,
            i18n.t().console_stats_latency
        )
    };
    let paste = move |_| {
        let text: String = paste_text.with_untracked(|text| text.chars().take(MAX_PASTE).collect());
        if browser::paste(&text) {
            paste_text.set(String::new());
        }
        browser::focus(console);
    };

    view! {
        <div data-testid="console" class="mt-6 space-y-3">
            {move || provider().map(|url| view! {
                <section data-testid="console-provider" class=PANEL>
                    <h2 class="text-lg font-semibold">{move || i18n.t().console_provider_title}</h2>
                    <p class="mt-2 text-sm text-slate-600 dark:text-slate-300">{move || i18n.t().console_provider_body}</p>
                    <a
                        data-testid="console-provider-link"
                        href=url
                        target="_blank"
                        rel="noopener noreferrer"
                        class=format!("mt-4 {PRIMARY}")
                    >
                        {move || i18n.t().console_provider_open} " ↗"
                    </a>
                </section>
            })}
            <div class="space-y-3" class:hidden=move || provider().is_some()>
                <div role="toolbar" aria-label=move || i18n.t().console_toolbar class="flex flex-wrap items-center gap-2">
                    <p
                        data-testid="console-status"
                        data-state=move || console.status.with(Status::state)
                        role="status"
                        aria-live="polite"
                        class="mr-auto flex min-w-0 basis-full items-center gap-2 text-sm sm:basis-auto"
                    >
                        <span class=dot aria-hidden="true"></span>
                        <span class="min-w-0 break-words">{move || console.status.with(|status| status_text(i18n.t(), status))}</span>
                    </p>
                    {move || disconnected().then(|| view! {
                        <button
                            type="button"
                            data-testid="console-reconnect"
                            on:click=move |_| browser::reconnect()
                            class="rounded-md bg-sky-700 px-3 py-1.5 text-sm font-medium text-white hover:bg-sky-800 dark:bg-sky-500 dark:text-slate-950 dark:hover:bg-sky-400"
                        >
                            {move || i18n.t().console_reconnect}
                        </button>
                    })}
                    <button
                        type="button"
                        data-testid="console-scale"
                        data-scale=move || if fit.get() { "fit" } else { "actual" }
                        on:click=move |_| fit.update(|fit| *fit = !*fit)
                        class=BUTTON
                    >
                        {move || if fit.get() { i18n.t().console_scale_actual } else { i18n.t().console_scale_fit }}
                    </button>
                    <button
                        type="button"
                        data-testid="console-fullscreen"
                        on:click=move |_| browser::fullscreen(console)
                        class=BUTTON
                    >
                        {move || i18n.t().console_fullscreen}
                    </button>
                    <button
                        type="button"
                        data-testid="console-stats-toggle"
                        aria-pressed=move || show_stats.get().to_string()
                        on:click=move |_| show_stats.update(|shown| *shown = !*shown)
                        class=BUTTON
                    >
                        {move || if show_stats.get() { i18n.t().console_stats_hide } else { i18n.t().console_stats_show }}
                    </button>
                    <button
                        type="button"
                        data-testid="console-cad"
                        disabled=move || !connected()
                        on:click=move |_| {
                            browser::chord(&CTRL_ALT_DEL);
                            browser::focus(console);
                        }
                        class=BUTTON
                    >
                        {move || i18n.t().console_ctrl_alt_del}
                    </button>
                </div>
                <div node_ref=console.stage class=STAGE>
                    <div class=SCROLLER>
                        // Its width and height attributes are set by the connection only: setting
                        // them clears the canvas, so they must not follow a signal a tick later.
                        <canvas
                            node_ref=console.canvas
                            data-testid="console-canvas"
                            tabindex="0"
                            width="640"
                            height="400"
                            role="application"
                            aria-label=move || i18n.t().console_canvas_label
                            data-frames=move || console.frames.get().to_string()
                            data-width=move || console.size.get().map_or(0, |(width, _)| width).to_string()
                            data-height=move || console.size.get().map_or(0, |(_, height)| height).to_string()
                            class=move || if fit.get() { CANVAS_FIT } else { CANVAS_ACTUAL }
                            on:keydown=move |event| browser::key(&event, true)
                            on:keyup=move |event| browser::key(&event, false)
                            on:blur=move |_| browser::release_all()
                            on:pointerdown=move |event| browser::pointer(&event, Press::Down)
                            on:pointerup=move |event| browser::pointer(&event, Press::Up)
                            on:pointermove=move |event| browser::pointer(&event, Press::Move)
                            on:wheel=move |event| browser::wheel(&event)
                            on:click=move |_| browser::focus(console)
                            on:contextmenu=move |event| event.prevent_default()
                        ></canvas>
                    </div>
                    {move || show_stats.get().then(|| view! { <div data-testid="console-stats" class=STATS>{stats}</div> })}
                </div>
                <div role="group" aria-label=move || i18n.t().console_keys_label data-testid="console-keys" class="flex flex-wrap gap-1.5">
                    {MODIFIERS.into_iter().enumerate().map(|(index, (label, _, _))| view! {
                        <button
                            type="button"
                            data-key=label
                            aria-pressed=move || held.with(|held| held.contains(&index)).to_string()
                            disabled=move || !connected()
                            on:click=move |_| held.update(|held| {
                                if let Some(at) = held.iter().position(|&i| i == index) {
                                    held.remove(at);
                                } else {
                                    held.push(index);
                                }
                            })
                            class=format!("{BUTTON} aria-pressed:border-sky-600 aria-pressed:bg-sky-100 dark:aria-pressed:border-sky-400 dark:aria-pressed:bg-sky-950")
                        >
                            {label}
                        </button>
                    }).collect_view()}
                    {SCREEN_KEYS.into_iter().map(|(label, key, code)| view! {
                        <button
                            type="button"
                            data-key=code
                            aria-label=move || screen_key_name(i18n.t(), code).unwrap_or(label)
                            disabled=move || !connected()
                            on:click=move |_| press_key(key, code)
                            class=format!("{BUTTON} min-w-10 font-mono")
                        >
                            {label}
                        </button>
                    }).collect_view()}
                </div>
                <p class="text-xs text-slate-500 dark:text-slate-400">{move || i18n.t().console_keyboard_hint}</p>
                <div class="flex flex-col gap-2 sm:flex-row sm:items-end">
                    <label class="block min-w-0 flex-1">
                        <span class="text-sm font-medium text-slate-700 dark:text-slate-300">{move || i18n.t().console_paste_label}</span>
                        <textarea
                            data-testid="console-paste-text"
                            rows="2"
                            maxlength=MAX_PASTE.to_string()
                            spellcheck="false"
                            autocomplete="off"
                            bind:value=paste_text
                            class="mt-1 block w-full rounded-md border border-slate-300 bg-white px-3 py-2 font-mono text-sm text-slate-900 shadow-sm focus:border-sky-500 focus:outline-none focus:ring-2 focus:ring-sky-500/30 dark:border-slate-700 dark:bg-slate-900 dark:text-slate-100"
                        ></textarea>
                    </label>
                    <button
                        type="button"
                        data-testid="console-paste"
                        disabled=move || !connected() || console.typing.get() || paste_text.with(String::is_empty)
                        on:click=paste
                        class=BUTTON
                    >
                        {move || if console.typing.get() { i18n.t().console_paste_typing } else { i18n.t().console_paste_button }}
                    </button>
                </div>
                <p class="text-xs text-slate-500 dark:text-slate-400">{move || i18n.t().console_paste_hint}</p>
            </div>
        </div>
    }
}

#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
mod logic;

#[cfg(feature = "hydrate")]
mod browser;

/// On the server nothing connects: the page renders, and input goes nowhere.
#[cfg(not(feature = "hydrate"))]
mod browser {
    use leptos::ev::{KeyboardEvent, PointerEvent, WheelEvent};

    use super::{Console, Press};

    pub fn mount(_: Console) {}
    pub fn reconnect() {}
    pub fn key(_: &KeyboardEvent, _: bool) {}
    pub fn release_all() {}
    pub fn pointer(_: &PointerEvent, _: Press) {}
    pub fn wheel(_: &WheelEvent) {}
    pub fn chord(_: &[(&str, &str)]) {}
    pub fn paste(_: &str) -> bool {
        false
    }
    pub fn fullscreen(_: Console) {}
    pub fn focus(_: Console) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::errors::Code;
    use crate::i18n::Lang;

    #[test]
    fn states_for_tests() {
        assert_eq!(Status::Connecting.state(), "connecting");
        assert_eq!(Status::Connected.state(), "connected");
        assert_eq!(Status::Disconnected(Ended::Lost).state(), "disconnected");
        assert_eq!(Status::Provider(String::new()).state(), "provider");
    }

    #[test]
    fn arrows_are_named_for_screen_readers_in_both_languages() {
        for lang in Lang::ALL {
            let m = lang.messages();
            for (_, _, code) in SCREEN_KEYS {
                let named = screen_key_name(m, code);
                assert_eq!(named.is_some(), code.starts_with("Arrow"), "{code}");
            }
        }
    }

    #[test]
    fn every_ending_has_its_text() {
        for lang in Lang::ALL {
            let m = lang.messages();
            let endings = [
                Ended::Normal,
                Ended::IdleTimeout,
                Ended::SignedOut,
                Ended::Unreachable,
                Ended::Lost,
                Ended::Opening(AppError::new(Code::ConsoleNotRunning)),
            ];
            let texts: Vec<String> = endings
                .into_iter()
                .map(|ended| status_text(m, &Status::Disconnected(ended)))
                .collect();
            for (i, text) in texts.iter().enumerate() {
                assert!(!text.is_empty());
                assert!(!texts[..i].contains(text), "{text} twice");
            }
        }
    }

    /// The server renders the whole frame, connecting, with what the browser tests look for.
    #[cfg(feature = "ssr")]
    #[test]
    fn renders_on_the_server() {
        let owner = Owner::new();
        owner.set();
        let html = view! { <VncConsole instance_id=7 /> }.to_html();
        for testid in [
            "console-canvas",
            "console-status",
            "console-scale",
            "console-fullscreen",
            "console-cad",
            "console-paste-text",
            "console-paste",
            "console-stats-toggle",
            "console-keys",
        ] {
            assert!(
                html.contains(&format!("data-testid=\"{testid}\"")),
                "{testid}"
            );
        }
        assert!(html.contains(r#"data-state="connecting""#));
        assert!(html.contains(r#"tabindex="0""#));
        assert!(html.contains(r#"data-frames="0""#));
        assert!(html.contains(r#"data-scale="fit""#));
        // Every on-screen key, starting disabled until connected; the speed readout only on request.
        for key in MODIFIERS
            .iter()
            .map(|(label, _, _)| *label)
            .chain(SCREEN_KEYS.iter().map(|(_, _, code)| *code))
        {
            assert!(html.contains(&format!("data-key=\"{key}\"")), "{key}");
        }
        assert!(!html.contains("data-testid=\"console-stats\""));
        // Shown only once disconnected; the provider's link only for provider consoles.
        assert!(!html.contains("console-reconnect"));
        assert!(!html.contains("console-provider"));
    }

    #[test]
    fn protocol_errors_show_the_detail() {
        let m = Lang::Id.messages();
        let text = status_text(
            m,
            &Status::Disconnected(Ended::Protocol("bad rectangle".to_owned())),
        );
        assert!(text.starts_with(m.console_protocol_error));
        assert!(text.ends_with("bad rectangle"));
    }
}
