//! The connection, in the browser only. One console at a time, like the bell's feed: a newer
//! connection's generation tells an older socket's handlers (and a slow `open_console` answer)
//! to do nothing.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;
use rfb::{Client, Config, CursorShape, Event, Rect};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{Clamped, JsCast};
use web_sys::{
    BinaryType, CanvasRenderingContext2d, CloseEvent, HtmlCanvasElement, HtmlElement, ImageData,
    KeyboardEvent, MessageEvent, PointerEvent, WebSocket, WheelEvent,
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

    /// Presses `keys` in order and releases them in reverse: Ctrl+Alt+Del, or an on-screen key
    /// with the modifiers held for it.
    fn chord(&mut self, keys: &[(u32, Option<u16>)]) {
        let Some(client) = self.connected() else {
            return;
        };
        for &(keysym, scancode) in keys {
            let _ = press(client, keysym, scancode, true);
        }
        for &(keysym, scancode) in keys.iter().rev() {
            let _ = press(client, keysym, scancode, false);
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
    let Some(pixels) = logic::rect_pixels(rgba, width, (rect.x, rect.y, rect.width, rect.height))
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

/// Presses the keys named by their DOM `key` and `code` together, then lets them go.
pub fn chord(keys: &[(&str, &str)]) {
    let keys: Vec<_> = keys
        .iter()
        .filter_map(|&(key, code)| {
            keysym::keysym(key, code).map(|keysym| (keysym, keysym::xt_scancode(code)))
        })
        .collect();
    with_live(|live| live.chord(&keys));
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
