//! Browser entry point: hydrates the server-rendered page, then marks `<body>` with
//! `data-hydrated` so tests (and people debugging) can tell the page is interactive.

use wasm_bindgen::prelude::wasm_bindgen;

mod error_reports;

#[wasm_bindgen]
pub fn hydrate() {
    error_reports::install();
    leptos::mount::hydrate_body(app::App);
    if let Some(body) = leptos::prelude::document().body() {
        // Failing to set a marker attribute changes nothing for the visitor.
        let _ = body.set_attribute("data-hydrated", "true");
    }
}
