//! Bahasa Indonesia (the default) and English. The texts live in `app/locales/<language>/*.toml` (one file per feature); the build
//! script turns them into [`Messages`] so every key is checked at compile time.

use leptos::prelude::*;

use crate::preferences::{read_cookie, read_query, write_cookie};

include!(concat!(env!("OUT_DIR"), "/messages.rs"));

/// The cookie that remembers the visitor's language, read during server rendering too.
pub const LANG_COOKIE: &str = "lang";

/// The query parameter that asks for a language (`/?lang=en`): each language of a public page
/// has an address of its own for search engines (`hreflang`) and for sharing a link.
pub const LANG_QUERY: &str = "lang";

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Lang {
    #[default]
    Id,
    En,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::Id, Lang::En];

    pub fn code(self) -> &'static str {
        match self {
            Lang::Id => "id",
            Lang::En => "en",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|lang| lang.code() == code)
    }

    pub fn messages(self) -> &'static Messages {
        match self {
            Lang::Id => &ID,
            Lang::En => &EN,
        }
    }
}

/// The current language, shared through context.
#[derive(Clone, Copy)]
pub struct I18n {
    lang: RwSignal<Lang>,
}

impl I18n {
    pub fn lang(self) -> Lang {
        self.lang.get()
    }

    /// The texts of the current language; reading it inside a closure re-renders on a switch.
    pub fn t(self) -> &'static Messages {
        self.lang.get().messages()
    }

    pub fn set(self, lang: Lang) {
        write_cookie(LANG_COOKIE, lang.code());
        self.lang.set(lang);
    }
}

pub fn provide_i18n() -> I18n {
    let asked = read_query(LANG_QUERY).and_then(|code| Lang::from_code(&code));
    if let Some(lang) = asked {
        // The address's language becomes the visitor's choice, so the next page keeps it.
        write_cookie(LANG_COOKIE, lang.code());
    }
    let lang = asked
        .or_else(|| read_cookie(LANG_COOKIE).and_then(|code| Lang::from_code(&code)))
        .unwrap_or_default();
    let i18n = I18n {
        lang: RwSignal::new(lang),
    };
    provide_context(i18n);
    i18n
}

pub fn use_i18n() -> I18n {
    use_context::<I18n>().unwrap_or_else(provide_i18n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_codes_round_trip() {
        for lang in Lang::ALL {
            assert_eq!(Lang::from_code(lang.code()), Some(lang));
        }
        assert_eq!(Lang::from_code("fr"), None);
        assert_eq!(Lang::default(), Lang::Id);
    }

    #[test]
    fn languages_have_their_own_texts() {
        assert_eq!(Lang::Id.messages().nav_home, "Beranda");
        assert_eq!(Lang::En.messages().nav_home, "Home");
    }
}
