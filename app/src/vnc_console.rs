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

use crate::components::error_text;
use crate::errors::AppError;
use crate::i18n::{Messages, use_i18n};

const BUTTON: &str = "rounded-md border border-slate-300 px-3 py-1.5 text-sm font-medium hover:bg-slate-100 disabled:cursor-not-allowed disabled:opacity-50 dark:border-slate-700 dark:hover:bg-slate-800";
const PRIMARY: &str = "inline-flex items-center justify-center rounded-md bg-sky-700 px-4 py-2 font-medium text-white shadow-sm hover:bg-sky-800 dark:bg-sky-500 dark:text-slate-950 dark:hover:bg-sky-400";
const PANEL: &str = "rounded-xl border border-slate-200 bg-white p-5 shadow-sm dark:border-slate-800 dark:bg-slate-900";
// In full screen the stage is the whole screen: the screen is centred in it, and the canvas may
// be as tall as the screen (outside it only the page's width limits the canvas).
const STAGE: &str = "relative overflow-hidden rounded-lg border border-slate-200 bg-black dark:border-slate-800 [&:fullscreen]:flex [&:fullscreen]:flex-col [&:fullscreen]:justify-center [&:fullscreen]:rounded-none [&:fullscreen]:border-0";
const SCROLLER: &str = "overflow-auto [:fullscreen_&]:max-h-screen";
// The focus outline is drawn inside the canvas, where the stage's rounded clip cannot hide it.
const CANVAS_FIT: &str = "mx-auto block h-auto max-w-full touch-none focus:outline-2 focus:-outline-offset-2 focus:outline-solid focus:outline-sky-500 [:fullscreen_&]:max-h-screen";
const CANVAS_ACTUAL: &str = "mx-auto block max-w-none touch-none focus:outline-2 focus:-outline-offset-2 focus:outline-solid focus:outline-sky-500";
const STATS: &str = "pointer-events-none absolute right-2 top-2 rounded bg-black/60 px-2 py-0.5 font-mono text-xs text-white";

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

fn status_text(m: &'static Messages, status: &Status) -> String {
    let text = match status {
        Status::Connecting => m.console_status_connecting,
        Status::Connected => m.console_status_connected,
        Status::Provider(_) => m.console_provider_title,
        Status::Disconnected(Ended::Normal) => m.console_ended,
        Status::Disconnected(Ended::IdleTimeout) => m.console_idle_timeout,
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
                        data-testid="console-cad"
                        disabled=move || !connected()
                        on:click=move |_| {
                            browser::ctrl_alt_del();
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
                    <div data-testid="console-stats" class=STATS>{stats}</div>
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

/// The arithmetic of the connection, kept apart from the browser so it is tested natively.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
mod logic {
    use super::Ended;

    /// A FramebufferUpdateRequest, not incremental, for the top-left pixel. The server must
    /// answer it (an incremental request waits until something changes), so the time to its
    /// answer is the screen's latency, and the answer costs a few bytes.
    pub const PROBE: [u8; 10] = [3, 0, 0, 0, 0, 0, 0, 1, 0, 1];
    /// Seconds between probes.
    pub const PROBE_EVERY: u32 = 2;
    /// An answer to a probe that changed no more than this many pixels was only the probe
    /// (servers round the pixel up to a tile) and is not counted as a frame.
    const PROBE_AREA: usize = 64 * 64;

    /// Wheel movement, in pixels, that makes one wheel click; lines and pages are converted as
    /// browsers scroll them.
    const WHEEL_STEP: f64 = 50.0;
    const WHEEL_LINE: f64 = 20.0;
    const WHEEL_PAGE: f64 = 400.0;

    pub fn close_reason(code: u16) -> Ended {
        match code {
            1000 => Ended::Normal,
            4408 => Ended::IdleTimeout,
            4502 => Ended::Unreachable,
            _ => Ended::Lost,
        }
    }

    pub fn probe_only(changed_area: usize) -> bool {
        changed_area <= PROBE_AREA
    }

    /// The WebSocket address for a same-origin path; anything else is refused.
    pub fn socket_url(secure: bool, host: &str, path: &str) -> Option<String> {
        let same_origin = path.starts_with('/') && !path.starts_with("//") && !path.contains('\\');
        if !same_origin || host.is_empty() {
            return None;
        }
        let scheme = if secure { "wss" } else { "ws" };
        Some(format!("{scheme}://{host}{path}"))
    }

    /// Only web addresses open in the new tab, never `javascript:` or the like.
    pub fn safe_link(url: &str) -> Option<String> {
        let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
        (lower.starts_with("https://") || lower.starts_with("http://")).then(|| url.to_owned())
    }

    /// The RGBA bytes of one rectangle of a `width`-pixel-wide framebuffer, row after row, or
    /// `None` if the rectangle does not lie inside `rgba`.
    pub fn rect_pixels(
        rgba: &[u8],
        width: u16,
        (x, y, rect_width, rect_height): (u16, u16, u16, u16),
    ) -> Option<Vec<u8>> {
        let row_bytes = usize::from(rect_width).checked_mul(4)?;
        if u32::from(x) + u32::from(rect_width) > u32::from(width) {
            return None;
        }
        let mut pixels = Vec::with_capacity(row_bytes.checked_mul(usize::from(rect_height))?);
        for row in 0..usize::from(rect_height) {
            let start = (usize::from(y) + row)
                .checked_mul(usize::from(width))?
                .checked_add(usize::from(x))?
                .checked_mul(4)?;
            pixels.extend_from_slice(rgba.get(start..start.checked_add(row_bytes)?)?);
        }
        Some(pixels)
    }

    /// A position on the canvas as the browser lays it out (CSS pixels from its edge, over a
    /// side `css_size` long) to a framebuffer coordinate along a side `size` pixels long.
    pub fn to_framebuffer(offset: f64, css_size: f64, size: u16) -> u16 {
        if size == 0 || !css_size.is_finite() || css_size <= 0.0 || !offset.is_finite() {
            return 0;
        }
        let scaled = (offset * f64::from(size) / css_size).floor();
        scaled.clamp(0.0, f64::from(size - 1)) as u16
    }

    /// `MouseEvent.buttons` (left 1, right 2, middle 4) to RFB's mask (left 1, middle 2, right 4).
    pub fn rfb_buttons(buttons: u16) -> u8 {
        let left = buttons & 1;
        let right = (buttons & 2) << 1;
        let middle = (buttons & 4) >> 1;
        (left | middle | right) as u8
    }

    /// Adds a wheel event's vertical movement and answers the click it makes: -1 up, 1 down, or
    /// 0 while the movement is still too small (touchpads send many small ones). At most one
    /// click per event, as a mouse wheel's notch is one event.
    pub fn wheel_step(accumulated: &mut f64, delta: f64, mode: u32) -> i8 {
        let pixels = match mode {
            1 => delta * WHEEL_LINE,
            2 => delta * WHEEL_PAGE,
            _ => delta,
        };
        if pixels == 0.0 || !pixels.is_finite() {
            return 0;
        }
        if *accumulated != 0.0 && accumulated.signum() != pixels.signum() {
            *accumulated = 0.0;
        }
        *accumulated += pixels;
        if accumulated.abs() < WHEEL_STEP {
            return 0;
        }
        let step = if *accumulated < 0.0 { -1 } else { 1 };
        *accumulated = 0.0;
        step
    }

    /// Milliseconds, whole, for the readout.
    pub fn millis(elapsed: f64) -> u32 {
        elapsed.max(0.0).round() as u32
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn close_codes() {
            assert_eq!(close_reason(1000), Ended::Normal);
            assert_eq!(close_reason(4408), Ended::IdleTimeout);
            assert_eq!(close_reason(4502), Ended::Unreachable);
            assert_eq!(close_reason(1006), Ended::Lost);
            assert_eq!(close_reason(1011), Ended::Lost);
        }

        #[test]
        fn socket_urls_stay_on_this_origin() {
            assert_eq!(
                socket_url(true, "webrana.id", "/ws/console/12?ticket=abc").as_deref(),
                Some("wss://webrana.id/ws/console/12?ticket=abc")
            );
            assert_eq!(
                socket_url(false, "127.0.0.1:3000", "/ws/console/1").as_deref(),
                Some("ws://127.0.0.1:3000/ws/console/1")
            );
            assert_eq!(socket_url(true, "webrana.id", "//evil.example/ws"), None);
            assert_eq!(socket_url(true, "webrana.id", "/\\evil.example"), None);
            assert_eq!(socket_url(true, "webrana.id", "wss://evil.example/"), None);
            assert_eq!(socket_url(true, "", "/ws/console/1"), None);
        }

        #[test]
        fn only_web_links_open() {
            assert_eq!(
                safe_link("https://panel.example/console?id=1").as_deref(),
                Some("https://panel.example/console?id=1")
            );
            assert_eq!(
                safe_link("HTTP://panel.example").as_deref(),
                Some("HTTP://panel.example")
            );
            assert_eq!(safe_link("javascript:alert(1)"), None);
            assert_eq!(safe_link("/servers/1"), None);
            assert_eq!(safe_link("https:"), None);
        }

        #[test]
        fn rectangles_are_copied_row_by_row() {
            // A 3x2 framebuffer whose every byte is its own index.
            let rgba: Vec<u8> = (0..24).collect();
            assert_eq!(
                rect_pixels(&rgba, 3, (1, 0, 2, 2)),
                Some(vec![
                    4, 5, 6, 7, 8, 9, 10, 11, 16, 17, 18, 19, 20, 21, 22, 23
                ])
            );
            assert_eq!(rect_pixels(&rgba, 3, (0, 0, 3, 2)), Some(rgba.clone()));
            assert_eq!(
                rect_pixels(&rgba, 3, (2, 1, 1, 1)),
                Some(vec![20, 21, 22, 23])
            );
            assert_eq!(rect_pixels(&rgba, 3, (0, 0, 0, 0)), Some(Vec::new()));
        }

        #[test]
        fn rectangles_outside_the_framebuffer_are_refused() {
            let rgba: Vec<u8> = (0..24).collect();
            assert_eq!(rect_pixels(&rgba, 3, (2, 0, 2, 1)), None);
            assert_eq!(rect_pixels(&rgba, 3, (0, 1, 1, 2)), None);
            assert_eq!(
                rect_pixels(&rgba, u16::MAX, (u16::MAX, u16::MAX, u16::MAX, u16::MAX)),
                None
            );
        }

        #[test]
        fn canvas_positions_scale_to_the_framebuffer() {
            // Shown at half size: the middle of the shown canvas is the middle of the screen.
            assert_eq!(to_framebuffer(256.0, 512.0, 1024), 512);
            assert_eq!(to_framebuffer(0.0, 512.0, 1024), 0);
            assert_eq!(to_framebuffer(511.9, 512.0, 1024), 1023);
            // Outside the canvas (a drag that left it) stays on the edge.
            assert_eq!(to_framebuffer(-10.0, 512.0, 1024), 0);
            assert_eq!(to_framebuffer(600.0, 512.0, 1024), 1023);
            assert_eq!(to_framebuffer(10.0, 0.0, 1024), 0);
            assert_eq!(to_framebuffer(10.0, 100.0, 0), 0);
            assert_eq!(to_framebuffer(f64::NAN, 100.0, 10), 0);
        }

        #[test]
        fn buttons_are_reordered() {
            assert_eq!(rfb_buttons(0), 0);
            assert_eq!(rfb_buttons(1), 1);
            assert_eq!(rfb_buttons(2), 4);
            assert_eq!(rfb_buttons(4), 2);
            assert_eq!(rfb_buttons(7), 7);
            // Back and forward are not sent.
            assert_eq!(rfb_buttons(8 | 16 | 1), 1);
        }

        #[test]
        fn wheel_clicks() {
            let mut accumulated = 0.0;
            assert_eq!(wheel_step(&mut accumulated, 100.0, 0), 1);
            assert_eq!(wheel_step(&mut accumulated, -100.0, 0), -1);
            // Firefox scrolls three lines a notch.
            assert_eq!(wheel_step(&mut accumulated, 3.0, 1), 1);
            assert_eq!(wheel_step(&mut accumulated, -1.0, 2), -1);
            // A touchpad's small movements add up.
            assert_eq!(wheel_step(&mut accumulated, 20.0, 0), 0);
            assert_eq!(wheel_step(&mut accumulated, 20.0, 0), 0);
            assert_eq!(wheel_step(&mut accumulated, 20.0, 0), 1);
            // Turning back starts again.
            assert_eq!(wheel_step(&mut accumulated, 40.0, 0), 0);
            assert_eq!(wheel_step(&mut accumulated, -40.0, 0), 0);
            assert_eq!(wheel_step(&mut accumulated, -40.0, 0), -1);
            assert_eq!(wheel_step(&mut accumulated, 0.0, 0), 0);
            assert_eq!(wheel_step(&mut accumulated, f64::INFINITY, 0), 0);
        }

        #[test]
        fn probe_is_a_full_update_request_for_one_pixel() {
            assert_eq!(PROBE[0], 3, "FramebufferUpdateRequest");
            assert_eq!(PROBE[1], 0, "not incremental");
            assert_eq!(&PROBE[6..], &[0, 1, 0, 1], "1x1");
            assert!(probe_only(16));
            assert!(!probe_only(1024 * 768));
        }

        #[test]
        fn milliseconds() {
            assert_eq!(millis(12.4), 12);
            assert_eq!(millis(12.6), 13);
            assert_eq!(millis(-3.0), 0);
        }
    }
}

/// The connection, in the browser only. One console at a time, like the bell's feed: a newer
/// connection's generation tells an older socket's handlers (and a slow `open_console` answer)
/// to do nothing.
#[cfg(feature = "hydrate")]
mod browser {
    use std::cell::RefCell;
    use std::collections::VecDeque;
    use std::time::Duration;

    use leptos::prelude::*;
    use leptos::task::spawn_local;
    use rfb::{Client, Config, CursorShape, Event, Rect};
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::{Clamped, JsCast};
    use web_sys::{
        BinaryType, CanvasRenderingContext2d, CloseEvent, HtmlCanvasElement, HtmlElement,
        ImageData, KeyboardEvent, MessageEvent, PointerEvent, WebSocket, WheelEvent,
    };

    use super::logic::{self, PROBE, PROBE_EVERY};
    use super::{Console, Ended, Press, Status};
    use crate::console::{ConsoleOpening, open_console};
    use crate::errors::{AppError, Code};
    use crate::keysym::{self, scan, sym};

    /// Pasted text is typed a character at a time: a guest's keyboard buffer (QEMU's PS/2
    /// queue) drops keys that arrive all at once.
    const TYPING_PAUSE: Duration = Duration::from_millis(10);
    const TICK: Duration = Duration::from_secs(1);

    #[derive(Default)]
    struct Current {
        /// Numbers the mounted consoles, so an old one's clean-up leaves a newer one alone.
        mounts: u64,
        /// Numbers the connections; bumped whenever one starts or ends.
        generation: u64,
        live: Option<Live>,
    }

    thread_local! {
        static CURRENT: RefCell<Current> = RefCell::new(Current::default());
    }

    /// The socket and its handlers, kept together so the handlers live exactly as long as the
    /// socket can call them.
    struct Socket {
        socket: WebSocket,
        _on_message: Closure<dyn FnMut(MessageEvent)>,
        _on_close: Closure<dyn FnMut(CloseEvent)>,
    }

    impl Socket {
        fn shut(&self) {
            self.socket.set_onmessage(None);
            self.socket.set_onclose(None);
            let _ = self.socket.close();
        }
    }

    impl Drop for Socket {
        fn drop(&mut self) {
            self.shut();
        }
    }

    struct Live {
        mount: u64,
        console: Console,
        /// Kept after the connection ends (only shut): a handler may be running when it does,
        /// so the closures are dropped at the next connection or at clean-up instead.
        socket: Option<Socket>,
        client: Option<Client>,
        /// Keys held down by `KeyboardEvent.code`, with the keysym pressed: a release sends the
        /// same keysym even if Shift changed the key's meaning in between.
        held: Vec<(String, u32)>,
        buttons: u8,
        position: (u16, u16),
        wheel: f64,
        typing: VecDeque<(u32, Option<(u16, bool)>)>,
        frames_this_second: u32,
        ticks: u32,
        /// When the outstanding latency probe was sent (`performance.now()`).
        probe: Option<f64>,
    }

    impl Live {
        fn new(mount: u64, console: Console) -> Self {
            Live {
                mount,
                console,
                socket: None,
                client: None,
                held: Vec::new(),
                buttons: 0,
                position: (0, 0),
                wheel: 0.0,
                typing: VecDeque::new(),
                frames_this_second: 0,
                ticks: 0,
                probe: None,
            }
        }

        /// Ends the connection, if any, and forgets its state.
        fn stop(&mut self) {
            if let Some(socket) = &self.socket {
                socket.shut();
            }
            self.client = None;
            self.held.clear();
            self.buttons = 0;
            self.wheel = 0.0;
            self.typing.clear();
            self.frames_this_second = 0;
            self.ticks = 0;
            self.probe = None;
            if let Some(canvas) = self.console.canvas.get_untracked() {
                let _ = HtmlElement::style(&canvas).remove_property("cursor");
            }
        }

        fn connected(&mut self) -> Option<&mut Client> {
            self.client.as_mut().filter(|client| client.is_connected())
        }

        fn send(&self, bytes: &[u8]) {
            if bytes.is_empty() {
                return;
            }
            if let Some(socket) = &self.socket
                && let Err(error) = socket.socket.send_with_u8_array(bytes)
            {
                // The socket is closing; its close event ends the connection.
                leptos::logging::warn!("console: {error:?}");
            }
        }

        /// Sends what the client has queued: after every feed and every input.
        fn flush(&mut self) {
            if let Some(client) = self.client.as_mut() {
                let bytes = client.take_outgoing();
                self.send(&bytes);
            }
        }

        fn received(&mut self, bytes: &[u8]) -> Result<(), Ended> {
            let Some(client) = self.client.as_mut() else {
                return Ok(());
            };
            client
                .feed(bytes)
                .map_err(|error| Ended::Protocol(error.to_string()))?;
            self.flush();
            while let Some(event) = self.client.as_mut().and_then(Client::next_event) {
                self.handle(event)?;
            }
            Ok(())
        }

        fn handle(&mut self, event: Event) -> Result<(), Ended> {
            match event {
                // The proxy authenticates; a password question means it is misconfigured.
                Event::PasswordRequired => {
                    return Err(Ended::Protocol(
                        "the server asked for a VNC password".to_owned(),
                    ));
                }
                Event::Connected { width, height, .. } => {
                    self.resize(width, height);
                    self.console.status.set(Status::Connected);
                }
                Event::Resized { width, height } => self.resize(width, height),
                Event::FramebufferUpdated { rects } => self.updated(&rects),
                Event::Cursor(shape) => self.cursor(&shape),
                // Extended key events need nothing here: `key_scancode` switches by itself.
                // Bell, clipboard and desktop name are not shown.
                _ => {}
            }
            Ok(())
        }

        fn resize(&mut self, width: u16, height: u16) {
            if let Some(canvas) = self.console.canvas.get_untracked() {
                canvas.set_width(u32::from(width));
                canvas.set_height(u32::from(height));
            }
            self.console.size.set(Some((width, height)));
        }

        fn updated(&mut self, rects: &[Rect]) {
            let Some(client) = &self.client else {
                return;
            };
            if let Some(context) = self
                .console
                .canvas
                .get_untracked()
                .and_then(|canvas| context_2d(&canvas))
            {
                let framebuffer = client.framebuffer();
                for rect in rects {
                    draw(&context, framebuffer.rgba(), framebuffer.width(), rect);
                }
            }
            // A rectangle from the top-left corner answers the probe, which asked for that pixel.
            let answered = rects.iter().any(|rect| rect.x == 0 && rect.y == 0);
            if let Some(sent) = self.probe.filter(|_| answered) {
                self.probe = None;
                if let Some(now) = now() {
                    self.console.latency.set(Some(logic::millis(now - sent)));
                }
                if logic::probe_only(rects.iter().map(Rect::area).sum()) {
                    return;
                }
            }
            self.frames_this_second += 1;
            self.console.frames.update(|frames| *frames += 1);
        }

        /// Shows the server's pointer image as the canvas's CSS cursor (at the framebuffer's
        /// scale; browsers ignore images over 128 pixels and fall back to the arrow).
        fn cursor(&self, shape: &CursorShape) {
            let Some(canvas) = self.console.canvas.get_untracked() else {
                return;
            };
            // By path: the Leptos prelude has a `style` method of its own.
            let style = HtmlElement::style(&canvas);
            if shape.width == 0 || shape.height == 0 {
                let _ = style.set_property("cursor", "none");
                return;
            }
            match cursor_image(shape) {
                Some(url) => {
                    let cursor = format!(
                        "url(\"{url}\") {} {}, default",
                        shape.hotspot_x, shape.hotspot_y
                    );
                    let _ = style.set_property("cursor", &cursor);
                }
                None => {
                    let _ = style.remove_property("cursor");
                }
            }
        }

        fn key(&mut self, key: &str, code: &str, down: bool) -> bool {
            let Some(client) = self.client.as_mut().filter(|client| client.is_connected()) else {
                return false;
            };
            // Without a code (virtual keyboards) keys cannot be told apart, so none is held.
            let held = self
                .held
                .iter()
                .position(|(held, _)| !code.is_empty() && held == code);
            let keysym = if down {
                let Some(keysym) = keysym::keysym(key, code) else {
                    return false;
                };
                match held {
                    Some(index) => self.held[index].1 = keysym,
                    None if !code.is_empty() => self.held.push((code.to_owned(), keysym)),
                    None => {}
                }
                keysym
            } else {
                match held {
                    Some(index) => self.held.remove(index).1,
                    None => match keysym::keysym(key, code) {
                        Some(keysym) => keysym,
                        None => return false,
                    },
                }
            };
            let sent = press(client, keysym, keysym::xt_scancode(code), down);
            if !down && matches!(code, "MetaLeft" | "MetaRight" | "OSLeft" | "OSRight") {
                // macOS sends no keyup for keys pressed while Command is held: they are let go
                // with it, or the server would repeat them.
                let stuck: Vec<_> = self
                    .held
                    .extract_if(.., |(code, _)| !is_modifier(code))
                    .collect();
                for (code, keysym) in stuck {
                    let _ = press(client, keysym, keysym::xt_scancode(&code), false);
                }
            }
            self.flush();
            sent.is_ok()
        }

        /// Lets go of every key and button, when the canvas loses focus: the releases would go
        /// elsewhere and the server would think them still held.
        fn release_all(&mut self) {
            let held = std::mem::take(&mut self.held);
            let (x, y) = self.position;
            let buttons = std::mem::take(&mut self.buttons);
            let Some(client) = self.connected() else {
                return;
            };
            for (code, keysym) in held.into_iter().rev() {
                let _ = press(client, keysym, keysym::xt_scancode(&code), false);
            }
            if buttons != 0 {
                let _ = client.pointer(x, y, 0);
            }
            self.flush();
        }

        /// Moves the pointer to a canvas position (CSS pixels from its corner, over the canvas's
        /// shown size) with these buttons held, clicking the wheel first if `wheel` says so.
        fn pointer(
            &mut self,
            offset: (f64, f64),
            shown: (f64, f64),
            buttons: u8,
            wheel: Option<u8>,
        ) -> bool {
            let Some(client) = self.client.as_mut().filter(|client| client.is_connected()) else {
                return false;
            };
            let framebuffer = client.framebuffer();
            let x = logic::to_framebuffer(offset.0, shown.0, framebuffer.width());
            let y = logic::to_framebuffer(offset.1, shown.1, framebuffer.height());
            if let Some(wheel) = wheel {
                let _ = client.pointer(x, y, buttons | wheel);
            }
            let sent = client.pointer(x, y, buttons).is_ok();
            self.position = (x, y);
            self.buttons = buttons;
            self.flush();
            sent
        }

        fn ctrl_alt_del(&mut self) {
            let Some(client) = self.connected() else {
                return;
            };
            let keys = [
                (sym::CONTROL_L, scan::CONTROL_L),
                (sym::ALT_L, scan::ALT_L),
                (sym::DELETE, scan::DELETE),
            ];
            for (keysym, scancode) in keys {
                let _ = press(client, keysym, Some(scancode), true);
            }
            for (keysym, scancode) in keys.into_iter().rev() {
                let _ = press(client, keysym, Some(scancode), false);
            }
            self.flush();
        }

        /// Types the next pasted character; true while more are waiting.
        fn type_one(&mut self) -> bool {
            let Some((keysym, stroke)) = self.typing.pop_front() else {
                return false;
            };
            let Some(client) = self.connected() else {
                self.typing.clear();
                return false;
            };
            let _ = type_key(client, keysym, stroke);
            self.flush();
            !self.typing.is_empty()
        }

        fn tick(&mut self) {
            if self.connected().is_none() {
                return;
            }
            self.console.fps.set(Some(self.frames_this_second));
            self.frames_this_second = 0;
            self.ticks += 1;
            let Some(now) = now() else {
                return;
            };
            match self.probe {
                // While an answer is overdue the readout shows how long it has been waiting.
                Some(sent) => {
                    let waited = logic::millis(now - sent);
                    if self
                        .console
                        .latency
                        .get_untracked()
                        .is_none_or(|shown| waited > shown)
                    {
                        self.console.latency.set(Some(waited));
                    }
                }
                None if self.ticks.is_multiple_of(PROBE_EVERY) => {
                    // After what the client queued, so no message is split.
                    self.flush();
                    self.send(&PROBE);
                    self.probe = Some(now);
                }
                None => {}
            }
        }
    }

    fn is_modifier(code: &str) -> bool {
        ["Shift", "Control", "Alt", "Meta", "OS"]
            .iter()
            .any(|modifier| code.starts_with(modifier))
    }

    /// A key press or release: by scancode when the key has one (the client falls back to the
    /// keysym unless the server takes scancodes), by keysym otherwise.
    fn press(
        client: &mut Client,
        keysym: u32,
        scancode: Option<u16>,
        down: bool,
    ) -> Result<(), rfb::Error> {
        match scancode {
            Some(scancode) => client.key_scancode(keysym, u32::from(scancode), down),
            None => client.key(keysym, down),
        }
    }

    fn type_key(
        client: &mut Client,
        keysym: u32,
        stroke: Option<(u16, bool)>,
    ) -> Result<(), rfb::Error> {
        let (scancode, shift) = stroke.map_or((None, false), |(code, shift)| (Some(code), shift));
        if shift {
            press(client, sym::SHIFT_L, Some(scan::SHIFT_L), true)?;
        }
        press(client, keysym, scancode, true)?;
        press(client, keysym, scancode, false)?;
        if shift {
            press(client, sym::SHIFT_L, Some(scan::SHIFT_L), false)?;
        }
        Ok(())
    }

    fn now() -> Option<f64> {
        Some(web_sys::window()?.performance()?.now())
    }

    fn context_2d(canvas: &HtmlCanvasElement) -> Option<CanvasRenderingContext2d> {
        canvas.get_context("2d").ok()??.dyn_into().ok()
    }

    fn draw(context: &CanvasRenderingContext2d, rgba: &[u8], width: u16, rect: &Rect) {
        let Some(pixels) =
            logic::rect_pixels(rgba, width, (rect.x, rect.y, rect.width, rect.height))
        else {
            return;
        };
        if let Ok(image) = ImageData::new_with_u8_clamped_array_and_sh(
            Clamped(&pixels),
            u32::from(rect.width),
            u32::from(rect.height),
        ) {
            let _ = context.put_image_data(&image, f64::from(rect.x), f64::from(rect.y));
        }
    }

    /// The pointer image as a PNG data address.
    fn cursor_image(shape: &CursorShape) -> Option<String> {
        let canvas: HtmlCanvasElement = web_sys::window()?
            .document()?
            .create_element("canvas")
            .ok()?
            .dyn_into()
            .ok()?;
        canvas.set_width(u32::from(shape.width));
        canvas.set_height(u32::from(shape.height));
        let image = ImageData::new_with_u8_clamped_array_and_sh(
            Clamped(&shape.rgba),
            u32::from(shape.width),
            u32::from(shape.height),
        )
        .ok()?;
        context_2d(&canvas)?.put_image_data(&image, 0.0, 0.0).ok()?;
        canvas.to_data_url().ok()
    }

    /// Runs `f` on the console if `generation` is still the current connection's.
    fn with_generation<R>(generation: u64, f: impl FnOnce(&mut Live) -> R) -> Option<R> {
        CURRENT.with_borrow_mut(|current| {
            if current.generation == generation {
                current.live.as_mut().map(f)
            } else {
                None
            }
        })
    }

    /// Runs `f` on the mounted console, whatever its connection's state. DOM calls that fire
    /// events at once (`focus`) must not happen inside: their handlers come back here.
    fn with_live<R>(f: impl FnOnce(&mut Live) -> R) -> Option<R> {
        CURRENT.with_borrow_mut(|current| current.live.as_mut().map(f))
    }

    /// Starts the console once it is on the page; its owner's clean-up ends it.
    pub fn mount(console: Console) {
        let mount = CURRENT.with_borrow_mut(|current| {
            current.mounts += 1;
            current.live = Some(Live::new(current.mounts, console));
            current.mounts
        });
        let ticker = set_interval_with_handle(move || tick(mount), TICK).ok();
        on_cleanup(move || {
            if let Some(ticker) = ticker {
                ticker.clear();
            }
            unmount(mount);
        });
        connect();
    }

    fn unmount(mount: u64) {
        let gone = CURRENT.with_borrow_mut(|current| {
            if current
                .live
                .as_ref()
                .is_some_and(|live| live.mount == mount)
            {
                current.generation += 1;
                current.live.take()
            } else {
                None
            }
        });
        // Closes the socket and frees its handlers.
        drop(gone);
    }

    fn tick(mount: u64) {
        with_live(|live| {
            if live.mount == mount {
                live.tick();
            }
        });
    }

    pub fn reconnect() {
        connect();
    }

    /// Asks for a fresh ticket (each is good for one connection) and connects with it.
    fn connect() {
        let started = CURRENT.with_borrow_mut(|current| {
            let live = current.live.as_mut()?;
            current.generation += 1;
            live.stop();
            live.socket = None;
            Some((current.generation, live.console))
        });
        let Some((generation, console)) = started else {
            return;
        };
        console.status.set(Status::Connecting);
        console.typing.set(false);
        console.fps.set(None);
        console.latency.set(None);
        spawn_local(async move {
            let answer = open_console(console.instance_id).await;
            if !CURRENT.with_borrow(|current| current.generation == generation) {
                return;
            }
            match answer {
                Ok(ConsoleOpening::Proxy { path }) => open_socket(generation, &path),
                Ok(ConsoleOpening::ProviderUrl { url }) => match logic::safe_link(&url) {
                    Some(url) => console.status.set(Status::Provider(url)),
                    None => finish(
                        generation,
                        Ended::Opening(AppError::new(Code::ConsoleUnavailable)),
                    ),
                },
                Err(error) => finish(generation, Ended::Opening(error)),
            }
        });
    }

    fn socket_url(path: &str) -> Option<String> {
        let location = web_sys::window()?.location();
        let secure = location.protocol().ok()? == "https:";
        logic::socket_url(secure, &location.host().ok()?, path)
    }

    fn open_socket(generation: u64, path: &str) {
        let Some(socket) = socket_url(path).and_then(|url| WebSocket::new(&url).ok()) else {
            finish(generation, Ended::Lost);
            return;
        };
        socket.set_binary_type(BinaryType::Arraybuffer);
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            // The proxy sends binary frames only; anything else is not RFB.
            if let Ok(buffer) = event.data().dyn_into::<js_sys::ArrayBuffer>() {
                received(generation, &js_sys::Uint8Array::new(&buffer).to_vec());
            }
        });
        let on_close = Closure::<dyn FnMut(CloseEvent)>::new(move |event: CloseEvent| {
            finish(generation, logic::close_reason(event.code()));
        });
        socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        socket.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        let socket = Socket {
            socket,
            _on_message: on_message,
            _on_close: on_close,
        };
        // A newer connection started meanwhile: the closure, and the socket with it, is dropped.
        with_generation(generation, move |live| {
            live.socket = Some(socket);
            live.client = Some(Client::new(Config::default()));
        });
    }

    fn received(generation: u64, bytes: &[u8]) {
        if let Some(Err(reason)) = with_generation(generation, |live| live.received(bytes)) {
            finish(generation, reason);
        }
    }

    /// Ends the connection of this generation, if it is still the current one, and says why.
    fn finish(generation: u64, reason: Ended) {
        let console = CURRENT.with_borrow_mut(|current| {
            if current.generation != generation {
                return None;
            }
            current.generation += 1;
            let live = current.live.as_mut()?;
            live.stop();
            Some(live.console)
        });
        if let Some(console) = console {
            console.status.set(Status::Disconnected(reason));
            console.typing.set(false);
        }
    }

    pub fn key(event: &KeyboardEvent, down: bool) {
        if event.is_composing() {
            return;
        }
        let (key, code) = (event.key(), event.code());
        // Only keys that went to the server stay from the page (so Tab and Backspace do).
        if with_live(|live| live.key(&key, &code, down)) == Some(true) {
            event.prevent_default();
        }
    }

    pub fn release_all() {
        with_live(Live::release_all);
    }

    /// Where on the canvas a mouse event happened.
    struct Spot {
        canvas: HtmlCanvasElement,
        /// CSS pixels from the canvas's top-left corner.
        offset: (f64, f64),
        /// The canvas's size as shown, in CSS pixels.
        shown: (f64, f64),
    }

    fn spot(x: i32, y: i32) -> Option<Spot> {
        let canvas = with_live(|live| live.console.canvas.get_untracked()).flatten()?;
        let bounds = canvas.get_bounding_client_rect();
        Some(Spot {
            offset: (f64::from(x) - bounds.left(), f64::from(y) - bounds.top()),
            shown: (bounds.width(), bounds.height()),
            canvas,
        })
    }

    pub fn pointer(event: &PointerEvent, press: Press) {
        let Some(Spot {
            canvas,
            offset,
            shown,
        }) = spot(event.client_x(), event.client_y())
        else {
            return;
        };
        if press == Press::Down {
            let _ = canvas.focus();
            // A drag that leaves the canvas still belongs to the server's screen.
            let _ = canvas.set_pointer_capture(event.pointer_id());
        }
        let buttons = logic::rfb_buttons(event.buttons());
        let sent = with_live(|live| live.pointer(offset, shown, buttons, None)) == Some(true);
        // No text selection, no middle-button autoscroll.
        if sent && press != Press::Move {
            event.prevent_default();
        }
    }

    pub fn wheel(event: &WheelEvent) {
        let Some(Spot { offset, shown, .. }) = spot(event.client_x(), event.client_y()) else {
            return;
        };
        let (delta, mode) = (event.delta_y(), event.delta_mode());
        let sent = with_live(|live| {
            if live.connected().is_none() {
                return false;
            }
            let wheel = match logic::wheel_step(&mut live.wheel, delta, mode) {
                -1 => Some(8),
                1 => Some(16),
                _ => None,
            };
            let buttons = live.buttons;
            live.pointer(offset, shown, buttons, wheel);
            true
        });
        // The page does not scroll under a connected console.
        if sent == Some(true) {
            event.prevent_default();
        }
    }

    pub fn ctrl_alt_del() {
        with_live(Live::ctrl_alt_del);
    }

    /// Queues `text` to be typed; false when there is nothing to type or no connection.
    pub fn paste(text: &str) -> bool {
        let keys = keysym::typed(text);
        let started = CURRENT.with_borrow_mut(|current| {
            let generation = current.generation;
            let live = current.live.as_mut()?;
            if keys.is_empty() || live.connected().is_none() {
                return None;
            }
            let idle = live.typing.is_empty();
            live.typing.extend(keys);
            Some((generation, idle, live.console))
        });
        let Some((generation, idle, console)) = started else {
            return false;
        };
        console.typing.set(true);
        if idle {
            type_next(generation);
        }
        true
    }

    fn type_next(generation: u64) {
        match with_generation(generation, |live| (live.type_one(), live.console)) {
            Some((true, _)) => set_timeout(move || type_next(generation), TYPING_PAUSE),
            Some((false, console)) => console.typing.set(false),
            // The connection ended, which stopped the typing.
            None => {}
        }
    }

    pub fn fullscreen(console: Console) {
        let Some(document) = web_sys::window().and_then(|window| window.document()) else {
            return;
        };
        if document.fullscreen_element().is_some() {
            document.exit_fullscreen();
            return;
        }
        if let Some(stage) = console.stage.get_untracked() {
            let _ = stage.request_fullscreen();
        }
        focus(console);
    }

    pub fn focus(console: Console) {
        if let Some(canvas) = console.canvas.get_untracked() {
            let _ = canvas.focus();
        }
    }
}

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
    pub fn ctrl_alt_del() {}
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
    fn every_ending_has_its_text() {
        for lang in Lang::ALL {
            let m = lang.messages();
            let endings = [
                Ended::Normal,
                Ended::IdleTimeout,
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
            "console-stats",
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
