//! Tells the server what goes wrong in this page: a panic of our WASM, an uncaught script
//! error, a promise rejected with nobody listening. Each becomes a small report posted to
//! `/api/v1/client-errors` (same origin, nothing loaded from anywhere else), which the server
//! logs and forwards to Sentry.

use std::cell::Cell;

use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{ErrorEvent, Event, PromiseRejectionEvent};

const ENDPOINT: &str = "/api/v1/client-errors";
/// Reports one page load sends at most: an error in a loop says nothing new after the first
/// few, and the server limits each client anyway.
const MAX_REPORTS_PER_PAGE: u32 = 5;

thread_local! {
    static SENT: Cell<u32> = const { Cell::new(0) };
}

/// Installs the panic hook (which also writes the panic to the console, as before) and the
/// page's `error` and `unhandledrejection` listeners.
pub fn install() {
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        report("panic", &info.to_string(), current_stack());
    }));
    listen("error", |event: Event| {
        let Some(event) = event.dyn_ref::<ErrorEvent>() else {
            // A resource that failed to load: the network's business, not a script error.
            return;
        };
        report("error", &event.message(), stack_of(&event.error()));
    });
    listen("unhandledrejection", |event: Event| {
        let Some(event) = event.dyn_ref::<PromiseRejectionEvent>() else {
            return;
        };
        let reason = event.reason();
        let message = reason
            .as_string()
            .or_else(|| {
                js_sys::Reflect::get(&reason, &"message".into())
                    .ok()
                    .and_then(|message| message.as_string())
            })
            .unwrap_or_else(|| "a promise was rejected".to_owned());
        report("unhandled_rejection", &message, stack_of(&reason));
    });
}

fn listen(event: &str, handle: impl Fn(Event) + 'static) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let handler = Closure::<dyn Fn(Event)>::new(handle);
    if window
        .add_event_listener_with_callback(event, handler.as_ref().unchecked_ref())
        .is_ok()
    {
        // Listens for the life of the page.
        handler.forget();
    }
}

fn current_stack() -> Option<String> {
    stack_of(&js_sys::Error::new("").into())
}

/// The `stack` a JavaScript error has (not a standard property, but every browser sets it).
fn stack_of(error: &wasm_bindgen::JsValue) -> Option<String> {
    js_sys::Reflect::get(error, &"stack".into())
        .ok()
        .and_then(|stack| stack.as_string())
}

/// Sends one report with `navigator.sendBeacon`: it is queued at once, so it leaves even when
/// the panic is the last thing this WASM does, or the page is being closed.
fn report(kind: &str, message: &str, stack: Option<String>) {
    let sent = SENT.with(|sent| {
        let count = sent.get();
        sent.set(count.saturating_add(1));
        count
    });
    if sent >= MAX_REPORTS_PER_PAGE {
        return;
    }
    let Some(window) = web_sys::window() else {
        return;
    };
    let route = window.location().pathname().unwrap_or_default();
    let body = serde_json::json!({
        "kind": kind,
        "message": message,
        "stack": stack,
        "route": route,
    });
    // Nothing more can be done for a report the browser will not queue.
    let _ = window
        .navigator()
        .send_beacon_with_opt_str(ENDPOINT, Some(&body.to_string()));
}

/// Panics on purpose, so the browser tests can watch a real WASM panic reach the error
/// tracker. Only in debug builds, which is what the tests run.
#[cfg(debug_assertions)]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn panic_for_error_report_test(message: &str) {
    panic!("{message}");
}
