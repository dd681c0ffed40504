//! The languages Webrana Cloud speaks: Bahasa Indonesia first, English second.

use serde::{Deserialize, Serialize};

/// The language a person reads pages and e-mails in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    #[default]
    Id,
    En,
}

impl Language {
    pub const ALL: [Self; 2] = [Self::Id, Self::En];

    /// The ISO 639-1 code (`id`, `en`), as stored and as in URLs.
    pub fn code(self) -> &'static str {
        match self {
            Self::Id => "id",
            Self::En => "en",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|language| language.code() == code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_reads_back_from_its_code() {
        for language in Language::ALL {
            assert_eq!(Language::from_code(language.code()), Some(language));
        }
        assert_eq!(Language::from_code("fr"), None);
    }
}
