#![allow(clippy::unwrap_used, clippy::expect_used)]
//! What customers decide about their own orders, on both databases: cancelling an unpaid order
//! (its coupon use comes back), ending a service now (typing the host name confirms; the server
//! is deleted), and letting it end with its paid period by turning auto-renew off.

use chrono::Duration;
use domain::error::{Code, ErrorCode};
use domain::orders::coupons::{self, CouponInput};
use domain::orders::pricing::CouponKind;
use domain::testing::{TestDb, drain};
use domain::{DomainConfig, both_backends, db_run};

mod support;
use support::shop::{self, Shop};

async fn open(test: &TestDb) -> Shop {
    shop::open(test, DomainConfig::default()).await
}

async fn status_of(shop: &Shop, order_id: i64) -> String {
    let detail = shop
        .state
        .orders
        .detail(&shop.sari, order_id)
        .await
        .unwrap();
    detail.order.status.as_str().to_owned()
}

/// The newest notification of Sari's with `event`: its title and body, in Indonesian.
async fn latest_notice(test: &TestDb, shop: &Shop, event: &str) -> Option<(String, String)> {
    db_run!(&test.db, |pool| {
        sqlx::query_as(
            "SELECT title, body FROM notifications WHERE user_id = $1 AND event = $2 \
             ORDER BY id DESC LIMIT 1",
        )
        .bind(shop.sari.user_id)
        .bind(event)
        .fetch_optional(pool)
        .await
    })
    .unwrap()
}

both_backends! {
    async fn an_unpaid_order_is_cancelled_by_its_owner_and_gives_the_coupon_back(test: TestDb) {
        let shop = open(&test).await;
        let coupon = CouponInput {
            code: "SEKALI".into(),
            kind: CouponKind::Fixed,
            amount: 5_000,
            valid_from: None,
            valid_until: None,
            max_uses: Some(1),
            max_uses_per_customer: None,
            plan_ids: Vec::new(),
            active: true,
        };
        coupons::save(&test.db, &shop.admin, None, &coupon).await.unwrap();
        let placed = shop.state.orders.place(&shop.sari, shop.order("web-1", 1, Some("SEKALI"))).await.unwrap();

        // Nobody else may, not even an admin through the customer's door.
        let budi = shop.state.accounts.create_admin("budi@webrana.test", "Budi", "ruang-server-aman-3").await.unwrap();
        let budi = shop::caller(budi.id, domain::accounts::Role::Customer);
        for other in [&budi, &shop.admin] {
            let refused = shop.state.orders.cancel_mine(other, placed.order.id, None).await.unwrap_err();
            assert_eq!(refused.code(), Code::NotFound);
        }
        assert_eq!(status_of(&shop, placed.order.id).await, "pending_payment");

        let cancelled = shop.state.orders.cancel_mine(&shop.sari, placed.order.id, None).await.unwrap();
        assert_eq!(cancelled.status, "cancelled");
        let detail = shop.state.orders.detail(&shop.sari, placed.order.id).await.unwrap();
        assert_eq!(detail.invoices[0].status.as_str(), "cancelled");
        let last = detail.events.last().unwrap();
        assert_eq!(last.note.as_deref(), Some("cancelled by the customer"));
        let (title, body) = latest_notice(&test, &shop, "order_cancelled").await.unwrap();
        assert_eq!(title, "Pesanan web-1 dibatalkan");
        assert!(body.starts_with("Anda membatalkan pesanan ini"), "{body}");
        // The coupon's one use is free again, and the host name too.
        shop.state.orders.place(&shop.sari, shop.order("web-1", 1, Some("SEKALI"))).await.unwrap();
        // Cancelled is final.
        let again = shop.state.orders.cancel_mine(&shop.sari, placed.order.id, None).await.unwrap_err();
        assert_eq!(again.code(), Code::IllegalTransition);
    }
}

both_backends! {
    async fn a_running_service_ends_now_only_when_its_host_name_is_typed(test: TestDb) {
        let shop = open(&test).await;
        let (order_id, paid_until) = shop.running_service("web-1").await;
        shop.state.orders.issue_renewals(paid_until - Duration::days(6)).await.unwrap();

        for typed in [None, Some(""), Some("web-2"), Some("web")] {
            let refused = shop.state.orders.cancel_mine(&shop.sari, order_id, typed).await.unwrap_err();
            assert_eq!((refused.code(), refused.field()), (Code::ConfirmationMismatch, Some("confirm")), "{typed:?}");
            assert!(refused.to_string().contains("type the host name, web-1"), "{refused}");
        }
        assert_eq!(status_of(&shop, order_id).await, "active");
        assert_eq!(shop.server_of(order_id).await.status.as_str(), "running");

        let cancelled = shop.state.orders.cancel_mine(&shop.sari, order_id, Some(" WEB-1 ")).await.unwrap();
        assert_eq!(cancelled.status, "cancelled");
        // Its open renewal is cancelled, and its server deleted at the provider.
        let detail = shop.state.orders.detail(&shop.sari, order_id).await.unwrap();
        assert_eq!(detail.invoices[0].purpose, "renewal");
        assert_eq!(detail.invoices[0].status.as_str(), "cancelled");
        assert_eq!(detail.invoices[1].status.as_str(), "paid", "what was paid stays paid");
        drain(&test.db, &shop.jobs).await;
        assert_eq!(shop.server_of(order_id).await.status.as_str(), "deleted");
        let (_, body) = latest_notice(&test, &shop, "order_cancelled").await.unwrap();
        assert!(body.contains("servernya sedang dihapus"), "{body}");
    }
}

both_backends! {
    async fn an_order_on_its_way_cannot_be_cancelled_by_its_owner(test: TestDb) {
        let shop = open(&test).await;
        let placed = shop.state.orders.place(&shop.sari, shop.order("web-1", 1, None)).await.unwrap();
        shop.state.billing.mark_paid(&shop.admin, placed.invoice.id, "BCA transfer").await.unwrap();
        let refused = shop.state.orders.cancel_mine(&shop.sari, placed.order.id, Some("web-1")).await.unwrap_err();
        assert_eq!(refused.code(), Code::IllegalTransition);
        assert_eq!(status_of(&shop, placed.order.id).await, "paid");
        // Auto-renew can be set before the server runs, not on an unpaid order.
        let off = shop.state.orders.set_auto_renew(&shop.sari, placed.order.id, false).await.unwrap();
        assert!(!off.auto_renew);
        let unpaid = shop.state.orders.place(&shop.sari, shop.order("web-2", 1, None)).await.unwrap();
        let refused = shop.state.orders.set_auto_renew(&shop.sari, unpaid.order.id, false).await.unwrap_err();
        assert_eq!((refused.code(), refused.field()), (Code::NotRunning, Some("auto_renew")));
    }
}

both_backends! {
    async fn with_auto_renew_off_a_service_ends_with_its_paid_period(test: TestDb) {
        let shop = open(&test).await;
        let (order_id, paid_until) = shop.running_service("web-1").await;
        let (kept_id, kept_until) = shop.running_service("web-2").await;
        // The renewal already issued is cancelled when auto-renew goes off.
        shop.state.orders.issue_renewals(paid_until - Duration::days(6)).await.unwrap();
        let off = shop.state.orders.set_auto_renew(&shop.sari, order_id, false).await.unwrap();
        assert!(!off.auto_renew);
        let detail = shop.state.orders.detail(&shop.sari, order_id).await.unwrap();
        assert_eq!(detail.invoices[0].status.as_str(), "cancelled");
        assert_eq!(detail.events.last().unwrap().note.as_deref(), Some("auto-renew turned off"));
        // Set twice, recorded once; and no renewal is issued for it any more.
        shop.state.orders.set_auto_renew(&shop.sari, order_id, false).await.unwrap();
        let events = shop.state.orders.detail(&shop.sari, order_id).await.unwrap().events.len();
        assert_eq!(events, detail.events.len());
        assert_eq!(shop.state.orders.issue_renewals(paid_until - Duration::days(5)).await.unwrap(), 0);

        // Not before its period ends; then it ends, once, and the other service is untouched.
        let before = shop.state.orders.enforce_due_dates(paid_until - Duration::minutes(1)).await.unwrap();
        assert_eq!(before.ended, 0);
        let at_end = shop.state.orders.enforce_due_dates(paid_until).await.unwrap();
        assert_eq!(at_end.ended, 1);
        assert_eq!(shop.state.orders.enforce_due_dates(paid_until).await.unwrap().ended, 0);
        assert_eq!(status_of(&shop, order_id).await, "cancelled");
        assert_eq!(status_of(&shop, kept_id).await, "active");
        drain(&test.db, &shop.jobs).await;
        assert_eq!(shop.server_of(order_id).await.status.as_str(), "deleted");
        let (title, body) = latest_notice(&test, &shop, "service_ended").await.unwrap();
        assert_eq!(title, "Layanan web-1 berakhir");
        assert!(body.starts_with("Perpanjangan otomatis dimatikan"), "{body}");

        // Off and on again before the end: renewed as usual.
        shop.state.orders.set_auto_renew(&shop.sari, kept_id, false).await.unwrap();
        let on = shop.state.orders.set_auto_renew(&shop.sari, kept_id, true).await.unwrap();
        assert!(on.auto_renew);
        assert_eq!(shop.state.orders.issue_renewals(kept_until - Duration::days(6)).await.unwrap(), 1);
        assert_eq!(shop.state.orders.enforce_due_dates(kept_until).await.unwrap().ended, 0);
        assert_eq!(status_of(&shop, kept_id).await, "active");
    }
}
