//! Visitor preferences kept in plain cookies (language, theme), so the server renders the page
//! the way the browser will show it and hydration finds the same markup.

use leptos::prelude::*;

/// The cookie that remembers light or dark mode.
pub const THEME_COOKIE: &str = "theme";

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Theme {
    #[default]
    Light,
    Dark,
}

impl Theme {
    fn code(self) -> &'static str {
        match self {
            Theme::Light => "light",
            Theme::Dark => "dark",
        }
    }

    fn from_code(code: &str) -> Option<Self> {
        [Theme::Light, Theme::Dark]
            .into_iter()
            .find(|theme| theme.code() == code)
    }

    fn other(self) -> Self {
        match self {
            Theme::Light => Theme::Dark,
            Theme::Dark => Theme::Light,
        }
    }
}

/// Light or dark mode, shared through context.
#[derive(Clone, Copy)]
pub struct ThemeState {
    theme: RwSignal<Theme>,
}

impl ThemeState {
    pub fn get(self) -> Theme {
        self.theme.get()
    }

    pub fn toggle(self) {
        let next = self.theme.get_untracked().other();
        write_cookie(THEME_COOKIE, next.code());
        self.theme.set(next);
    }
}

pub fn provide_theme() -> ThemeState {
    let theme = read_cookie(THEME_COOKIE)
        .and_then(|code| Theme::from_code(&code))
        .unwrap_or_default();
    let state = ThemeState {
        theme: RwSignal::new(theme),
    };
    provide_context(state);
    state
}

pub fn use_theme() -> ThemeState {
    use_context::<ThemeState>().unwrap_or_else(provide_theme)
}

/// The value of cookie `name`: from the request while rendering on the server, from
/// `document.cookie` in the browser.
pub fn read_cookie(name: &str) -> Option<String> {
    #[cfg(feature = "ssr")]
    let header = use_context::<http::request::Parts>().and_then(|parts| {
        parts
            .headers
            .get(http::header::COOKIE)?
            .to_str()
            .ok()
            .map(str::to_owned)
    });
    #[cfg(all(feature = "hydrate", not(feature = "ssr")))]
    let header = {
        use wasm_bindgen::JsCast;
        document()
            .unchecked_into::<web_sys::HtmlDocument>()
            .cookie()
            .ok()
    };
    #[cfg(not(any(feature = "ssr", feature = "hydrate")))]
    let header: Option<String> = None;
    pair_value(&header?, ';', name).map(str::to_owned)
}

/// The value of query parameter `name` in the page's address (`/?lang=en`), on the server and in
/// the browser alike. Values are taken as they are: the callers accept a few plain codes only.
pub fn read_query(name: &str) -> Option<String> {
    #[cfg(feature = "ssr")]
    let query = use_context::<http::request::Parts>()
        .and_then(|parts| parts.uri.query().map(str::to_owned));
    #[cfg(all(feature = "hydrate", not(feature = "ssr")))]
    let query = window()
        .location()
        .search()
        .ok()
        .map(|search| search.trim_start_matches('?').to_owned());
    #[cfg(not(any(feature = "ssr", feature = "hydrate")))]
    let query: Option<String> = None;
    pair_value(&query?, '&', name).map(str::to_owned)
}

/// Remembers a preference for a year. Only the browser writes these cookies.
pub fn write_cookie(name: &str, value: &str) {
    #[cfg(all(feature = "hydrate", not(feature = "ssr")))]
    {
        use wasm_bindgen::JsCast;
        let cookie = preference_cookie(name, value);
        // A refused cookie (privacy mode) only means the choice is not remembered.
        let _ = document()
            .unchecked_into::<web_sys::HtmlDocument>()
            .set_cookie(&cookie);
    }
    #[cfg(not(all(feature = "hydrate", not(feature = "ssr"))))]
    let _ = (name, value);
}

/// A preference cookie as `Set-Cookie` and `document.cookie` take it: a year, the whole site, not
/// secret (scripts read it).
pub fn preference_cookie(name: &str, value: &str) -> String {
    format!("{name}={value}; Path=/; Max-Age=31536000; SameSite=Lax")
}

/// Finds `name` in a `Cookie` header (`a=1; b=2`, separator `;`) or a query (`a=1&b=2`, `&`).
fn pair_value<'a>(header: &'a str, separator: char, name: &str) -> Option<&'a str> {
    header
        .split(separator)
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie_value_is_found_among_others() {
        let header = "session=abc; lang=en;theme=dark";
        assert_eq!(pair_value(header, ';', "lang"), Some("en"));
        assert_eq!(pair_value(header, ';', "theme"), Some("dark"));
        assert_eq!(pair_value(header, ';', "missing"), None);
        assert_eq!(pair_value("xlang=en", ';', "lang"), None);
        assert_eq!(pair_value("", ';', "lang"), None);
    }

    #[test]
    fn query_value_is_found_among_others() {
        assert_eq!(pair_value("plan=3&lang=en", '&', "lang"), Some("en"));
        assert_eq!(pair_value("lang=id", '&', "lang"), Some("id"));
        assert_eq!(pair_value("language=en", '&', "lang"), None);
    }

    #[test]
    fn theme_toggles_between_two_modes() {
        assert_eq!(Theme::default().other(), Theme::Dark);
        assert_eq!(Theme::Dark.other(), Theme::Light);
        assert_eq!(Theme::from_code("dark"), Some(Theme::Dark));
        assert_eq!(Theme::from_code("blue"), None);
    }
}
