//! Browser entry point: hydrates the server-rendered page, then marks `<body>` with
//! `data-hydrated` so tests (and people debugging) can tell the page is interactive.

use wasm_bindgen::prelude::wasm_bindgen;

#[wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
    if let Some(body) = leptos::prelude::document().body() {
        // Failing to set a marker attribute changes nothing for the visitor.
        let _ = body.set_attribute("data-hydrated", "true");
    }
}
