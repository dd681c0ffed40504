//! The admin health page through the real router, on both databases: its server function
//! answers an admin the summary and refuses a customer, and the page, rendered on the server,
//! shows an admin every section and a customer none. Likewise the setup checklist an admin of a
//! new shop sees on the dashboard.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use app::admin::{AdminHealth, AdminSetupChecklist};
use app::i18n::Lang;
use axum::http::StatusCode;
use domain::accounts::inputs::Language;
use domain::{DomainConfig, both_backends};
use leptos::server_fn::ServerFn;
use model::admin::{SetupState, SetupStep};
use model::billing::Seller;
use model::health::{HealthSummary, Level};
use support::{ADMIN, page, server_fn};

const CUSTOMER: &str = "gita@webrana.test";

both_backends! {
    async fn admins_read_the_health_page_and_customers_do_not(test: TestDb) {
        let config = DomainConfig {
            providers: support::instant_sandbox(&test.db),
            ..support::config()
        };
        let env = support::start(&test, &config).await;
        support::admin(&env.state).await;
        env.customer(CUSTOMER, Language::En).await;
        let admin = support::session_cookies(&env.router, ADMIN.0, ADMIN.1).await;
        let customer = env.session_cookies(CUSTOMER).await;
        // One provider call, so the providers' table has a time in it.
        env.state.catalog.sync_provider("sandbox").await.unwrap();

        let refused = server_fn(&env.router, AdminHealth::PATH, "", Some(&customer)).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
        let anonymous = server_fn(&env.router, AdminHealth::PATH, "", None).await;
        assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED, "{}", anonymous.body);

        let answered = server_fn(&env.router, AdminHealth::PATH, "", Some(&admin)).await;
        assert_eq!(answered.status, StatusCode::OK, "{}", answered.body);
        let summary: HealthSummary = serde_json::from_str(&answered.body).unwrap();
        assert_eq!(summary.database.backend, test.db.backend().as_str());
        assert!(summary.database.reachable);
        assert_eq!(summary.version, env!("CARGO_PKG_VERSION"));
        let sandbox = summary.providers.iter().find(|provider| provider.name == "sandbox").unwrap();
        assert_eq!(sandbox.outcome.level(), Level::Ok);
        assert_eq!(summary.payments.gateway, "sandbox");

        let shown = page(&env.router, "/admin/health", Some(&format!("{admin}; lang=en"))).await;
        assert_eq!(shown.status, StatusCode::OK);
        let m = Lang::En.messages();
        for section in ["health-overall", "health-database", "health-redis", "health-payments", "health-email", "health-telegram", "health-providers"] {
            assert!(shown.body.contains(&format!("data-testid=\"{section}\"")), "{section} missing: {}", shown.body);
        }
        for text in [m.health_title, m.health_jobs, m.health_providers, m.health_payments, m.health_database, m.health_redis_not_configured, m.health_email_not_configured, env!("CARGO_PKG_VERSION")] {
            assert!(shown.body.contains(text), "{text} missing");
        }
        assert!(shown.body.contains(r#"data-provider="sandbox""#));
        assert!(shown.body.contains(r#"href="/admin/health""#), "the admin menu links the page");

        let hidden = page(&env.router, "/admin/health", Some(&format!("{customer}; lang=en"))).await;
        assert!(hidden.body.contains(m.errors_forbidden));
        assert!(!hidden.body.contains("data-testid=\"health-database\""));
    }
}

both_backends! {
    async fn an_admin_of_a_new_shop_sees_what_it_still_needs(test: TestDb) {
        let mut config = DomainConfig {
            providers: support::instant_sandbox(&test.db),
            ..support::config()
        };
        config.billing.seller = Seller {
            legal_name: "PT Webrana Awan Nusantara".into(),
            address: "Jl. Sudirman 1, Jakarta".into(),
            npwp: "01.234.567.8-901.000".into(),
        };
        let env = support::start(&test, &config).await;
        let admin_caller = support::admin_caller(&env.state).await;
        env.customer(CUSTOMER, Language::En).await;
        let admin = support::session_cookies(&env.router, ADMIN.0, ADMIN.1).await;
        let customer = env.session_cookies(CUSTOMER).await;

        let refused = server_fn(&env.router, AdminSetupChecklist::PATH, "", Some(&customer)).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
        let states = |body: &str| -> Vec<(SetupStep, bool)> {
            let steps: Vec<SetupState> = serde_json::from_str(body).unwrap();
            steps.into_iter().map(|state| (state.step, state.done)).collect()
        };
        let answered = server_fn(&env.router, AdminSetupChecklist::PATH, "", Some(&admin)).await;
        assert_eq!(answered.status, StatusCode::OK, "{}", answered.body);
        assert_eq!(
            states(&answered.body),
            [
                (SetupStep::PlanOnSale, false),
                (SetupStep::SellerDetails, true),
                (SetupStep::Smtp, false),
                (SetupStep::PaymentGateway, false),
                (SetupStep::CloudProvider, false),
            ]
        );
        let shown = page(&env.router, "/dashboard", Some(&format!("{admin}; lang=en"))).await;
        let m = Lang::En.messages();
        assert!(shown.body.contains(r#"data-testid="setup-checklist""#), "{}", shown.body);
        assert!(shown.body.contains(m.dashboard_setup_plan_how));
        assert!(shown.body.contains(r#"data-step="seller_details" data-done="true""#), "{}", shown.body);

        // A plan on sale is done the moment it is.
        env.state.catalog.sync_provider("sandbox").await.unwrap();
        let plan = domain::testing::sandbox_plan_input("Nano", &["sbx-jkt1"], &["ubuntu-24-04-x64"]);
        env.state.catalog.create_plan(&admin_caller, &Default::default(), &plan).await.unwrap();
        let answered = server_fn(&env.router, AdminSetupChecklist::PATH, "", Some(&admin)).await;
        assert_eq!(states(&answered.body)[0], (SetupStep::PlanOnSale, true));

        let customers_home = page(&env.router, "/dashboard", Some(&format!("{customer}; lang=en"))).await;
        assert_eq!(customers_home.status, StatusCode::OK);
        assert!(!customers_home.body.contains("setup-checklist"), "customers never see it");
    }
}
