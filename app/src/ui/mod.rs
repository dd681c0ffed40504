//! The building blocks the pages share, each defined once: texts, notices, form fields, status
//! badges and the classes buttons and panels are drawn with.

mod error;
mod form;

pub use error::{ErrorNotice, error_text};
pub use form::{Card, Field, Notice, Submit};

use leptos::prelude::*;

use crate::i18n::Messages;

pub type Text = fn(&'static Messages) -> &'static str;

/// The `:id` of the current route (`/orders/:id`), or 0 when it is not a number (the page's
/// look-up then answers "not found"). Also 0 once the route is gone: on the server a page's
/// late work (a look-up started again when the session arrived) can ask after the answer has
/// been sent and the route disposed.
pub fn route_id<Id: From<i64>>() -> impl Fn() -> Id + Copy + Send + Sync + 'static {
    let params = leptos_router::hooks::use_params_map();
    move || {
        Id::from(
            params
                .try_read()
                .and_then(|params| params.get("id"))
                .and_then(|id| id.parse::<i64>().ok())
                .unwrap_or(0),
        )
    }
}
