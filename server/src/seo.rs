//! What crawlers ask for before the pages: `robots.txt` and a `sitemap.xml` that lists every
//! public page with its address in each language.

use app::i18n::Lang;
use app::seo::{PUBLIC_PAGES, localised_url};
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;

use crate::routes::{Routes, get};
use crate::state::WebSettings;

pub fn routes() -> Routes {
    Routes::new()
        .route("/robots.txt", get(robots))
        .route("/sitemap.xml", get(sitemap))
}

/// Everything public may be crawled; accounts, admin pages and the APIs are nobody's search
/// result.
async fn robots(State(web): State<WebSettings>) -> impl IntoResponse {
    let body = format!(
        "User-agent: *\n\
         Allow: /\n\
         Disallow: /admin/\n\
         Disallow: /api/\n\
         Disallow: /account\n\
         Disallow: /servers\n\
         Disallow: /orders\n\
         Disallow: /invoices\n\
         Disallow: /pay/\n\
         Disallow: /ws/\n\
         \n\
         Sitemap: {}/sitemap.xml\n",
        &web.public_url
    );
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body)
}

async fn sitemap(State(web): State<WebSettings>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/xml; charset=utf-8")],
        sitemap_xml(&web.public_url),
    )
}

/// One `<url>` per page and language, each naming all its languages (`xhtml:link`), as search
/// engines ask for localised pages.
fn sitemap_xml(origin: &str) -> String {
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\" \
         xmlns:xhtml=\"http://www.w3.org/1999/xhtml\">\n",
    );
    let origin = escape(origin);
    for path in PUBLIC_PAGES {
        for lang in Lang::ALL {
            xml.push_str(&format!(
                "  <url>\n    <loc>{}</loc>\n",
                localised_url(&origin, path, lang)
            ));
            for alternate in Lang::ALL {
                xml.push_str(&format!(
                    "    <xhtml:link rel=\"alternate\" hreflang=\"{}\" href=\"{}\"/>\n",
                    alternate.code(),
                    localised_url(&origin, path, alternate)
                ));
            }
            xml.push_str(&format!(
                "    <xhtml:link rel=\"alternate\" hreflang=\"x-default\" href=\"{}\"/>\n  </url>\n",
                localised_url(&origin, path, Lang::default())
            ));
        }
    }
    xml.push_str("</urlset>\n");
    xml
}

/// The origin comes from configuration; `&` and friends must not break the XML.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_public_page_is_listed_in_each_language() {
        let xml = sitemap_xml("https://webrana.id");
        assert_eq!(
            xml.matches("<url>").count(),
            PUBLIC_PAGES.len() * Lang::ALL.len()
        );
        assert!(xml.contains("<loc>https://webrana.id/plans?lang=en</loc>"));
        assert!(xml.contains(
            "<xhtml:link rel=\"alternate\" hreflang=\"id\" href=\"https://webrana.id/terms\"/>"
        ));
        assert!(xml.contains("hreflang=\"x-default\" href=\"https://webrana.id/\""));
    }
}
