//! The public pages a visitor or a crawler sees without an account: the landing page with the
//! plans on sale, terms, privacy and contact in both languages, and robots.txt / sitemap.xml.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use axum::http::{StatusCode, header};
use domain::caller::ClientInfo;
use domain::catalog::PlanInput;
use domain::providers::sandbox::SandboxTiming;
use domain::testing::{TestDb, sandbox_plan_input};
use domain::{DomainConfig, both_backends};
use support::{ORIGIN, page};

both_backends! {
    async fn the_landing_page_sells_the_plans_on_sale(test: TestDb) {
        let config = DomainConfig {
            providers: support::sandbox(&test.db, SandboxTiming::default()),
            ..support::config()
        };
        let support::Env { router, state } = support::start(&test, &config).await;
        let answer = page(&router, "/", None).await;
        assert_eq!(answer.status, StatusCode::OK);
        assert!(answer.body.contains("Belum ada paket"), "no plans yet: {}", answer.body);
        // It claims no region and no cloud that nothing on sale runs on.
        assert!(answer.body.contains("Belum ada region yang dijual."), "{}", answer.body);
        assert!(answer.body.contains("Server cloud yang dikelola dari satu panel"), "{}", answer.body);
        assert!(!answer.body.contains("Sandbox Jakarta") && !answer.body.contains("DigitalOcean"), "{}", answer.body);

        let admin = support::admin_caller(&state).await;
        state.catalog.sync_provider("sandbox").await.unwrap();
        let plan = state
            .catalog
            .create_plan(
                &admin,
                &ClientInfo::default(),
                &PlanInput {
                    price_idr_monthly: 150_000,
                    discount_12m_percent: 20,
                    ..sandbox_plan_input("Kopi 2", &["sbx-jkt1", "sbx-sgp1"], &["debian-12-x64"])
                },
            )
            .await
            .unwrap();
        state
            .catalog
            .create_plan(
                &admin,
                &ClientInfo::default(),
                &PlanInput { visible: false, ..sandbox_plan_input("Rahasia", &["sbx-jkt1"], &["debian-12-x64"]) },
            )
            .await
            .unwrap();

        let answer = page(&router, "/", None).await;
        assert!(answer.body.contains("Kopi 2"), "{}", answer.body);
        assert!(!answer.body.contains("Rahasia"), "hidden plans are not sold");
        assert!(answer.body.contains("Rp 150.000"));
        assert!(answer.body.contains("Sandbox Jakarta 1, Sandbox Singapore 1"));
        // The regions on sale are those of the plans on sale; the sandbox is no one's cloud.
        assert!(answer.body.contains("Sandbox Jakarta 1, ID"), "{}", answer.body);
        assert!(answer.body.contains("Sandbox Singapore 1, SG"), "{}", answer.body);
        assert!(!answer.body.contains("Tokyo"), "{}", answer.body);
        assert!(!answer.body.contains("DigitalOcean") && !answer.body.contains("Vultr"), "{}", answer.body);
        // A visitor orders through sign-up, which then leads on to the order form.
        let through_sign_up = format!("/signup?next=%2Forder%3Fplan%3D{}", plan.id);
        assert!(answer.body.contains(&through_sign_up), "{}", answer.body);
        // The hero screenshot in the visitor's theme, every width, sized against layout shift.
        assert!(answer.body.contains("/images/landing/dashboard-light-640.webp 640w"));
        assert!(answer.body.contains("width=\"1920\" height=\"1200\""));
        let dark = page(&router, "/", Some("theme=dark")).await;
        assert!(dark.body.contains("/images/landing/dashboard-dark-1920.webp 1920w"));
        assert!(dark.body.contains("/images/landing/indonesia-map-dark.svg"));
    }

    async fn each_language_has_its_own_address_and_tags(test: TestDb) {
        let router = support::start(&test, &DomainConfig::default()).await.router;
        let english = page(&router, "/?lang=en", None).await;
        assert!(english.body.contains("<html lang=\"en\""), "{}", english.body);
        assert!(english.body.contains("Fast cloud servers, paid the Indonesian way"));
        assert!(english.body.contains(
            "<meta name=\"description\" content=\"NVMe cloud servers close to Indonesia"
        ));
        // The address beats the cookie: a shared English link opens in English.
        let answer = page(&router, "/?lang=en", Some("lang=id")).await;
        assert!(answer.body.contains("<html lang=\"en\""));
        let answer = page(&router, "/?lang=xx", Some("lang=en")).await;
        assert!(answer.body.contains("<html lang=\"en\""), "an unknown code falls back to the cookie");

        let indonesian = page(&router, "/", None).await;
        for tag in [
            format!("<link href=\"{ORIGIN}/\" hreflang=\"id\" rel=\"alternate\">"),
            format!("<link href=\"{ORIGIN}/?lang=en\" hreflang=\"en\" rel=\"alternate\">"),
            format!("<link href=\"{ORIGIN}/\" hreflang=\"x-default\" rel=\"alternate\">"),
            format!("<link href=\"{ORIGIN}/\" rel=\"canonical\">"),
            format!("<meta property=\"og:image\" content=\"{ORIGIN}/images/landing/og-image.png\""),
            "<meta property=\"og:locale\" content=\"id_ID\"".to_owned(),
            "<title>VPS cepat di Indonesia, bayar dengan QRIS · Webrana Cloud</title>".to_owned(),
        ] {
            assert!(indonesian.body.contains(&tag), "missing {tag} in {}", indonesian.body);
        }
    }

    async fn terms_privacy_and_contact_are_real_pages(test: TestDb) {
        let router = support::start(&test, &DomainConfig::default()).await.router;
        for (path, indonesian, english) in [
            ("/terms", "Ketentuan layanan", "Terms of service"),
            ("/privacy", "UU Pelindungan Data Pribadi", "Personal Data Protection Law"),
            ("/contact", "E-mail dukungan", "Support e-mail"),
        ] {
            let answer = page(&router, path, None).await;
            assert_eq!(answer.status, StatusCode::OK, "{path}");
            assert!(answer.body.contains(indonesian), "{path}: {}", answer.body);
            let answer = page(&router, path, Some("lang=en")).await;
            assert!(answer.body.contains(english), "{path}: {}", answer.body);
        }
        // The contact page names the seller the invoices name, and where to write.
        let answer = page(&router, "/contact", None).await;
        assert!(answer.body.contains("mailto:support@webrana.test"), "{}", answer.body);
        assert!(answer.body.contains("Webrana Cloud"));
    }
}

#[tokio::test]
async fn crawlers_get_robots_and_a_sitemap_of_the_public_pages() {
    let test = TestDb::sqlite().await;
    let router = support::start(&test, &DomainConfig::default()).await.router;
    let robots = page(&router, "/robots.txt", None).await;
    assert_eq!(robots.status, StatusCode::OK);
    assert!(
        robots.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    assert!(robots.body.contains("Disallow: /admin/"));
    assert!(
        robots
            .body
            .contains(&format!("Sitemap: {ORIGIN}/sitemap.xml"))
    );

    let sitemap = page(&router, "/sitemap.xml", None).await;
    assert_eq!(sitemap.status, StatusCode::OK);
    assert!(
        sitemap.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("application/xml")
    );
    for path in ["/", "/plans", "/terms", "/privacy", "/contact", "/status"] {
        assert!(
            sitemap
                .body
                .contains(&format!("<loc>{ORIGIN}{path}?lang=en</loc>")),
            "{path}"
        );
    }
}
