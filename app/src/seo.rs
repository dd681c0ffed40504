//! What search engines and link previews read from a public page: title, description, the
//! page's address in each language (`hreflang`), its canonical address and Open Graph tags.

use leptos::prelude::*;
use leptos_meta::{Link, Meta};

use crate::PageTitle;
use crate::i18n::{LANG_QUERY, Lang, use_i18n};
use crate::ui::Text;

/// The preview image social networks show for a shared link.
pub const OG_IMAGE: &str = "/images/landing/og-image.png";

/// Facts about this installation the public pages show, put in context by the server.
#[derive(Clone, Debug)]
pub struct SiteInfo {
    /// `https://webrana.id`, without a trailing slash.
    pub origin: String,
    /// Where customers write to us.
    pub support_email: String,
}

/// The public pages, listed in `sitemap.xml`, each with its address in every language.
pub const PUBLIC_PAGES: [&str; 6] = ["/", "/plans", "/status", "/terms", "/privacy", "/contact"];

/// `https://webrana.id/plans?lang=en`: the address of `path` in `lang`. The default language
/// keeps the bare address, which is also the `x-default` one, so a page's canonical link is
/// the address it was reached at.
pub fn localised_url(origin: &str, path: &str, lang: Lang) -> String {
    if lang == Lang::default() {
        format!("{origin}{path}")
    } else {
        format!("{origin}{path}?{LANG_QUERY}={}", lang.code())
    }
}

/// The origin absolute addresses start with: the configured public URL while rendering on the
/// server, the page's own origin in the browser.
fn origin() -> String {
    #[cfg(feature = "ssr")]
    let origin = use_context::<SiteInfo>().map(|site| site.origin);
    #[cfg(all(feature = "hydrate", not(feature = "ssr")))]
    let origin = window().location().origin().ok();
    #[cfg(not(any(feature = "ssr", feature = "hydrate")))]
    let origin: Option<String> = None;
    origin.unwrap_or_default()
}

/// Title, description and the language and sharing tags of the public page at `path`.
#[component]
pub fn PageMeta(title: Text, description: Text, path: &'static str) -> impl IntoView {
    let i18n = use_i18n();
    let origin = origin();
    let alternates = Lang::ALL
        .into_iter()
        .map(|lang| {
            view! { <Link rel="alternate" hreflang=lang.code() href=localised_url(&origin, path, lang) /> }
        })
        .collect_view();
    let canonical = {
        let origin = origin.clone();
        move || localised_url(&origin, path, i18n.lang())
    };
    let locale = move || match i18n.lang() {
        Lang::Id => "id_ID",
        Lang::En => "en_US",
    };
    let other_locale = move || match i18n.lang() {
        Lang::Id => "en_US",
        Lang::En => "id_ID",
    };
    let full_title = move || format!("{} · {}", title(i18n.t()), i18n.t().site_name);
    view! {
        <PageTitle text=title />
        <Meta name="description" content=move || description(i18n.t()) />
        {alternates}
        <Link rel="alternate" hreflang="x-default" href=localised_url(&origin, path, Lang::default()) />
        {
            let canonical = canonical.clone();
            move || view! { <Link rel="canonical" href=canonical() /> }
        }
        <Meta property="og:type" content="website" />
        <Meta property="og:site_name" content="Webrana Cloud" />
        <Meta property="og:title" content=full_title />
        <Meta property="og:description" content=move || description(i18n.t()) />
        <Meta property="og:url" content=canonical />
        <Meta property="og:image" content=format!("{origin}{OG_IMAGE}") />
        <Meta property="og:image:width" content="1200" />
        <Meta property="og:image:height" content="630" />
        <Meta property="og:locale" content=locale />
        <Meta property="og:locale:alternate" content=other_locale />
        <Meta name="twitter:card" content="summary_large_image" />
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_language_has_its_own_address() {
        assert_eq!(
            localised_url("https://webrana.id", "/plans", Lang::En),
            "https://webrana.id/plans?lang=en"
        );
        assert_eq!(
            localised_url("https://webrana.id", "/", Lang::Id),
            "https://webrana.id/"
        );
    }
}
