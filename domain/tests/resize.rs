#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Services moving to another plan, on both databases: a bigger plan is billed for the share of
//! the paid period left and the server is resized once the invoice is paid; asking again replaces
//! an unpaid request; a smaller plan costs nothing and is queued at once; what blocks a move (an
//! open renewal, another customer's order, the same plan); and a resize the provider refuses,
//! whose payment goes back as credit.

use chrono::{DateTime, Duration, Utc};
use domain::caller::ClientInfo;
use domain::error::{Code, ErrorCode};
use domain::instances::ActionRequest;
use domain::orders::resize::ResizeStatus;
use domain::providers::ActionKind;
use domain::testing::{TestDb, drain, sandbox_plan_input};
use domain::{DomainConfig, both_backends, db_run};

mod support;
use support::shop::{self, Shop};

async fn open(test: &TestDb) -> Shop {
    shop::open(test, DomainConfig::default()).await
}

/// A bigger sandbox plan in Jakarta: 2 vCPUs and 2 GB at Rp 150,000 a month.
async fn bigger_plan(shop: &Shop) -> i64 {
    let mut plan = sandbox_plan_input("Micro", &["sbx-jkt1"], &["ubuntu-24-04-x64"]);
    plan.size_slug = "sbx-2c-2g".into();
    plan.price_idr_monthly = 150_000;
    let client = ClientInfo {
        ip: "203.0.113.9".into(),
        user_agent: "test".into(),
    };
    shop.state
        .catalog
        .create_plan(&shop.admin, &client, &plan)
        .await
        .unwrap()
        .id
}

/// Halfway through the paid period that ends at `paid_until` (a month is an even number of
/// seconds, so exactly half of it is left).
fn halfway(paid_until: DateTime<Utc>) -> DateTime<Utc> {
    let start = paid_until
        .checked_sub_months(chrono::Months::new(1))
        .unwrap();
    start + (paid_until - start) / 2
}

/// The order's plan and its server's plan and size as stored.
async fn plans_of(test: &TestDb, order_id: i64) -> (i64, i64, String) {
    db_run!(&test.db, |pool| {
        sqlx::query_as(
            "SELECT o.plan_id, i.plan_id, i.size_slug FROM orders o \
             JOIN instances i ON i.id = o.instance_id WHERE o.id = $1",
        )
        .bind(order_id)
        .fetch_one(pool)
        .await
    })
    .unwrap()
}

/// How many notifications of `event` `user_id` has.
async fn notices(test: &TestDb, user_id: i64, event: &str) -> i64 {
    db_run!(&test.db, |pool| {
        sqlx::query_scalar("SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND event = $2")
            .bind(user_id)
            .bind(event)
            .fetch_one(pool)
            .await
    })
    .unwrap()
}

both_backends! {
    async fn a_bigger_plan_is_billed_for_the_rest_of_the_period_and_resized_once_paid(test: TestDb) {
        let shop = open(&test).await;
        let micro = bigger_plan(&shop).await;
        let (order_id, paid_until) = shop.running_service("web-1").await;
        let orders = &shop.state.orders;
        let now = halfway(paid_until);

        let options = orders.resize_options(&shop.sari, order_id, now).await.unwrap();
        assert_eq!(options.unavailable, None);
        assert_eq!(options.remaining_seconds * 2, options.period_seconds);
        let [option] = options.options.as_slice() else { panic!("{options:?}") };
        assert_eq!((option.plan_id.get(), option.smaller), (micro, false));
        // Half a month of the difference, 75,000, and PPN on it.
        assert_eq!((option.quote.subtotal, option.quote.tax, option.quote.total), (37_500, 4_125, 41_625));

        for (caller, plan, code) in [
            (&shop.sari, shop.plan_id, Code::PlanUnchanged),
            (&shop.sari, 999_999, Code::NotFound),
            (&shop.admin, micro, Code::NotFound),
        ] {
            let refused = orders.request_resize(caller, order_id, plan, now).await.unwrap_err();
            assert_eq!(refused.code(), code, "plan {plan}");
        }

        let first = orders.request_resize(&shop.sari, order_id, micro, now).await.unwrap();
        assert_eq!(first.resize.status, ResizeStatus::AwaitingPayment);
        let first_invoice = first.invoice.unwrap();
        assert_eq!((first_invoice.purpose.as_str(), first_invoice.total), ("resize", 41_625));
        // Asking again replaces the unpaid request and its invoice.
        let again = orders.request_resize(&shop.sari, order_id, micro, now).await.unwrap();
        let invoice = again.invoice.unwrap();
        assert_ne!(invoice.id, first_invoice.id);
        let replaced = shop.state.billing.invoice(&shop.sari, first_invoice.id).await.unwrap().invoice;
        assert_eq!(replaced.status.as_str(), "cancelled");
        let first_status: String = db_run!(&test.db, |pool| {
            sqlx::query_scalar("SELECT status FROM resizes WHERE id = $1").bind(first.resize.id).fetch_one(pool).await
        }).unwrap();
        assert_eq!(first_status, "cancelled");
        assert_eq!(plans_of(&test, order_id).await.0, shop.plan_id, "nothing changes before it is paid");
        assert_eq!(
            orders.issue_renewals(paid_until - Duration::days(6)).await.unwrap(),
            0,
            "no renewal at the old price while a move waits for payment"
        );

        shop.state.billing.mark_paid(&shop.admin, invoice.id, "BCA transfer").await.unwrap();
        // Paid and queued: the owner's actions wait for it.
        let server = shop.server_of(order_id).await;
        assert_eq!(server.open_action.as_deref(), Some("resize"));
        let reboot = ActionRequest { kind: ActionKind::Reboot, image: None, confirm: None };
        let busy = shop.state.instances.request_action(&shop.sari, server.id, reboot).await.unwrap_err();
        assert_eq!(busy.code(), Code::ActionInProgress);
        assert_eq!(
            orders.request_resize(&shop.sari, order_id, shop.plan_id, Utc::now()).await.unwrap_err().code(),
            Code::ResizeUnavailable,
            "one move at a time"
        );

        drain(&test.db, &shop.jobs).await;
        let latest = orders.latest_resize(order_id).await.unwrap().unwrap();
        assert_eq!((latest.status, latest.to_plan_name.as_str()), (ResizeStatus::Done, "Micro"));
        assert_eq!(plans_of(&test, order_id).await, (micro, micro, "sbx-2c-2g".to_owned()));
        let server = shop.server_of(order_id).await;
        assert_eq!((server.status.as_str(), server.open_action), ("running", None));
        assert_eq!(server.plan_name, "Micro");
        let at_provider: String = db_run!(&test.db, |pool| {
            sqlx::query_scalar("SELECT size FROM sandbox_servers WHERE status <> 'deleted'").fetch_one(pool).await
        }).unwrap();
        assert_eq!(at_provider, "sbx-2c-2g");
        assert_eq!(notices(&test, shop.sari.user_id, "resized").await, 1);
        let detail = orders.detail(&shop.sari, order_id).await.unwrap();
        assert!(detail.events.iter().any(|event| event.note.as_deref() == Some("plan changed to: Micro")));
        assert_eq!(detail.order.plan_name, "Micro");

        // Back down to the smaller plan: the sandbox can, nothing is billed, and it is queued at
        // once.
        let options = orders.resize_options(&shop.sari, order_id, Utc::now()).await.unwrap();
        let [down] = options.options.as_slice() else { panic!("{options:?}") };
        assert_eq!((down.plan_id.get(), down.smaller, down.quote.total), (shop.plan_id, true, 0));
        let down = orders.request_resize(&shop.sari, order_id, shop.plan_id, Utc::now()).await.unwrap();
        assert_eq!((down.resize.status, down.invoice), (ResizeStatus::Queued, None));
        drain(&test.db, &shop.jobs).await;
        assert_eq!(plans_of(&test, order_id).await, (shop.plan_id, shop.plan_id, "sbx-1c-1g".to_owned()));
        assert_eq!(notices(&test, shop.sari.user_id, "resized").await, 2);

        // Renewed at the plan the service has now.
        assert_eq!(orders.issue_renewals(paid_until - Duration::days(6)).await.unwrap(), 1);
        let renewal = orders.detail(&shop.sari, order_id).await.unwrap().invoices.into_iter()
            .find(|invoice| invoice.purpose == "renewal").unwrap();
        assert_eq!(renewal.total, 83_250);
    }

    async fn an_open_renewal_or_an_ended_period_blocks_a_resize(test: TestDb) {
        let shop = open(&test).await;
        let micro = bigger_plan(&shop).await;
        let (order_id, paid_until) = shop.running_service("web-1").await;
        let orders = &shop.state.orders;
        assert_eq!(orders.issue_renewals(paid_until - Duration::days(6)).await.unwrap(), 1);
        let options = orders.resize_options(&shop.sari, order_id, Utc::now()).await.unwrap();
        assert_eq!(options.unavailable.as_deref(), Some("resize_unavailable"));
        assert!(options.options.is_empty());
        let refused = orders.request_resize(&shop.sari, order_id, micro, Utc::now()).await.unwrap_err();
        assert_eq!((refused.code(), refused.code().status()), (Code::ResizeUnavailable, 409));
        assert!(orders.latest_resize(order_id).await.unwrap().is_none(), "nothing was written");
    }

    async fn a_resize_the_provider_refuses_gives_the_payment_back_as_credit(test: TestDb) {
        let shop = open(&test).await;
        let micro = bigger_plan(&shop).await;
        let (order_id, _) = shop.running_service("web-1").await;
        let requested = shop.state.orders.request_resize(&shop.sari, order_id, micro, Utc::now()).await.unwrap();
        let invoice = requested.invoice.unwrap();
        // The provider will not have the size by the time the resize runs.
        db_run!(&test.db, |pool| {
            sqlx::query("UPDATE resizes SET to_size_slug = 'sbx-64c-256g' WHERE id = $1")
                .bind(requested.resize.id).execute(pool).await.map(|_| ())
        }).unwrap();
        shop.state.billing.mark_paid(&shop.admin, invoice.id, "BCA transfer").await.unwrap();
        drain(&test.db, &shop.jobs).await;

        let latest = shop.state.orders.latest_resize(order_id).await.unwrap().unwrap();
        assert_eq!(latest.status, ResizeStatus::Failed);
        assert!(latest.error.is_some());
        assert_eq!(plans_of(&test, order_id).await, (shop.plan_id, shop.plan_id, "sbx-1c-1g".to_owned()));
        let refunded = shop.state.billing.invoice(&shop.sari, invoice.id).await.unwrap().invoice;
        assert_eq!((refunded.status.as_str(), refunded.credit_refunded), ("refunded", invoice.total));
        assert_eq!(shop.state.billing.credit(&shop.sari).await.unwrap().balance, invoice.total);
        assert_eq!(notices(&test, shop.sari.user_id, "resize_failed").await, 1);
        assert_eq!(notices(&test, shop.admin.user_id, "admin_resize_failed").await, 1);
        let server = shop.server_of(order_id).await;
        assert_eq!((server.status.as_str(), server.open_action), ("running", None));
        // The service can try again.
        assert_eq!(shop.state.orders.resize_options(&shop.sari, order_id, Utc::now()).await.unwrap().unavailable, None);
    }
}
