//! The authorization matrix: every endpoint the router answers (its own list of routes, every
//! page and every server function, so an endpoint added later is in here without anyone
//! remembering it) is called as a visitor without a session, as another customer, as the
//! owner of the rows it names and as an admin, on both databases, and must treat each as the
//! table in `docs/accounts.md` ("Who may call what") says. An endpoint missing from the table,
//! or a row of the table naming no endpoint, fails the test as well.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::HashMap;

use app::i18n::Lang;
use axum::http::{Method, Request, StatusCode, header};
use domain::accounts::inputs::Language;
use domain::accounts::request::{ACCESS_COOKIE, REFRESH_COOKIE};
use domain::accounts::{IssuedTokens, Login};
use domain::caller::ClientInfo;
use domain::jobs::{self, Registry};
use domain::notifications::telegram::TelegramBot;
use domain::testing::TestDb;
use domain::{AppState, DomainConfig, both_backends, instances};
use leptos::server_fn::ServerFn;
use model::catalog::PlanForm;
use model::ids::{InstanceId, InvoiceId, JobId, NotificationId, OrderId, PlanId, SshKeyId, UserId};
use model::notifications::{Category, Channel};
use model::orders::OrderRequest;
use serde_json::{Value, json};
use server::router::endpoints;
use server::routes::{Endpoint, Kind};
use support::{ADMIN, Answer, ORIGIN, PASSWORD};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

const OWNER: &str = "pemilik@webrana.test";
const STRANGER: &str = "tetangga@webrana.test";
/// A customer only admins act on (suspend, make admin), so the owner keeps their session.
const BYSTANDER: &str = "penonton@webrana.test";
const SSH_KEY: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl pemilik@laptop";

/// Who the table lets call an endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Who {
    Anyone,
    SignedIn,
    Owner,
    OwnerOrAdmin,
    Admin,
    SignedRequest,
    Ticket,
}

impl Who {
    fn parse(text: &str) -> Self {
        match text {
            "anyone" => Self::Anyone,
            "signed-in" => Self::SignedIn,
            "owner" => Self::Owner,
            "owner or admin" => Self::OwnerOrAdmin,
            "admin" => Self::Admin,
            "signed request" => Self::SignedRequest,
            "ticket" => Self::Ticket,
            other => panic!("docs/accounts.md: `{other}` is not one of the table's callers"),
        }
    }

    /// How an endpoint open to `self` treats `caller`.
    fn treats(self, caller: Caller) -> Treated {
        use Caller::*;
        use Treated::*;
        match (self, caller) {
            (Self::Anyone, _) => Served,
            (Self::SignedRequest, _) => Refused,
            (_, Anonymous) => Unauthenticated,
            (Self::SignedIn, _) => Served,
            (Self::Owner | Self::OwnerOrAdmin | Self::Ticket, Owner) => Served,
            (Self::OwnerOrAdmin, Admin) => Served,
            (Self::Owner | Self::OwnerOrAdmin, _) => Hidden,
            (Self::Ticket, _) => Refused,
            (Self::Admin, Admin) => Served,
            (Self::Admin, _) => Forbidden,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Caller {
    Anonymous,
    Stranger,
    Owner,
    Admin,
}

/// How an answer treated its caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Treated {
    /// Answered on the merits of the request (which may still be refused for what it asks).
    Served,
    /// 401 `unauthenticated`: sign in first.
    Unauthenticated,
    /// 403 `forbidden`: signed in, but not allowed.
    Forbidden,
    /// 404 `not_found`: as if the row did not exist.
    Hidden,
    /// Any other refusal of a request that did not prove itself (a bad signature or ticket).
    Refused,
}

impl Treated {
    /// Whether `self` is what the table expects. A request that must prove itself may be
    /// refused with any 401 or 403; one let through may still be refused for what it says (a
    /// wrong second-factor code is a 401 too).
    fn agrees_with(self, expected: Treated) -> bool {
        match (expected, self) {
            (Treated::Refused, Treated::Forbidden | Treated::Unauthenticated) => true,
            (Treated::Served, Treated::Refused) => true,
            (expected, got) => expected == got,
        }
    }
}

/// The table of `docs/accounts.md`: an endpoint's key (`GET /path` or a server function's
/// name) and who may call it.
fn documented() -> HashMap<String, Who> {
    let text = include_str!("../../docs/accounts.md");
    let table = text
        .split("## Who may call what")
        .nth(1)
        .expect("docs/accounts.md has a section `Who may call what`");
    let mut who_may = HashMap::new();
    for row in table.lines().take_while(|line| !line.starts_with("## ")) {
        let cells: Vec<&str> = row.trim_matches('|').split('|').map(str::trim).collect();
        let [endpoints, who] = cells[..] else {
            continue;
        };
        if !endpoints.starts_with('`') {
            continue;
        }
        for key in endpoints.split(", ") {
            let key = key.trim_matches('`').to_owned();
            assert!(
                who_may.insert(key.clone(), Who::parse(who)).is_none(),
                "docs/accounts.md lists {key} twice"
            );
        }
    }
    who_may
}

/// How the table names an endpoint: a server function by its name (its path without the
/// `/api/` prefix and the hash Leptos appends), anything else by method and path.
fn key(endpoint: &Endpoint) -> String {
    match endpoint.kind {
        Kind::ServerFn => endpoint
            .path
            .trim_start_matches("/api/")
            .trim_end_matches(|c: char| c.is_ascii_digit())
            .to_owned(),
        Kind::Route | Kind::Page => format!("{} {}", endpoint.method, endpoint.path),
    }
}

/// Everyone the test acts as, and the rows the owner has.
struct World {
    state: AppState,
    router: axum::Router,
    address: std::net::SocketAddr,
    cookies: HashMap<&'static str, String>,
    owner_id: i64,
    bystander_id: i64,
    plan: i64,
    order: i64,
    invoice: i64,
    reference: String,
    instance: i64,
    key: i64,
    notification: i64,
    spare_session: i64,
    coupon: i64,
    job: i64,
    logins: u32,
}

impl World {
    async fn new(test: &TestDb) -> Self {
        // The sandbox checkout posts its signed callback to the public URL: this router.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let config = DomainConfig {
            public_url: format!("http://{address}"),
            // A bot, so the webhook checks its secret (Telegram itself is unreachable here).
            telegram: Some(TelegramBot::new(
                "http://127.0.0.1:9",
                "123:abc".into(),
                "WebranaBot".into(),
                "hook-secret".into(),
            )),
            providers: support::instant_sandbox(&test.db),
            ..support::config()
        };
        let support::Env { router, state } = support::start(test, &config).await;
        let admin = support::admin_caller(&state).await;
        for email in [OWNER, STRANGER, BYSTANDER] {
            support::customer(&state, email, Language::Id).await;
        }
        support::verify_every_email(&test.db).await;
        let user_id = |email| {
            let (state, admin) = (&state, &admin);
            async move { state.accounts.find_by_email(admin, email).await.unwrap().id }
        };
        let (owner_id, bystander_id) = (user_id(OWNER).await, user_id(BYSTANDER).await);
        let plan = support::nano_plan(&state, &admin).await.id;
        support::serve_on(listener, router.clone());
        let mut world = World {
            state,
            router,
            address,
            cookies: HashMap::new(),
            owner_id,
            bystander_id,
            plan,
            order: 0,
            invoice: 0,
            reference: String::new(),
            instance: 0,
            key: 0,
            notification: 0,
            spare_session: 0,
            coupon: 0,
            job: 0,
            logins: 0,
        };
        for email in [OWNER, STRANGER, ADMIN.0] {
            world.log_in(email).await;
        }
        world.spare_session = world.open_session(OWNER).await.session_id;

        let owner = Caller::Owner;
        let placed = world
            .rest(
                owner,
                Method::POST,
                "/api/v1/orders",
                Some(world.order_request()),
            )
            .await;
        assert_eq!(placed.status, StatusCode::CREATED, "{}", placed.body);
        let placed = placed.json();
        world.order = placed["order"]["id"].as_i64().unwrap();
        world.invoice = placed["invoice"]["id"].as_i64().unwrap();
        let path = format!("/api/v1/invoices/{}/payments", world.invoice);
        let payment = world
            .rest(
                owner,
                Method::POST,
                &path,
                Some(json!({ "channel": "QRIS" })),
            )
            .await;
        assert_eq!(payment.status, StatusCode::CREATED, "{}", payment.body);
        world.reference = payment.json()["reference"].as_str().unwrap().to_owned();
        let server = json!({ "user_id": owner_id, "plan_id": plan, "region": "sbx-jkt1", "image": "ubuntu-24-04-x64", "hostname": "db-1" });
        let server = world
            .rest(
                Caller::Admin,
                Method::POST,
                "/api/v1/admin/instances",
                Some(server),
            )
            .await;
        assert_eq!(server.status, StatusCode::ACCEPTED, "{}", server.body);
        world.instance = server.json()["id"].as_i64().unwrap();
        let registry =
            instances::worker::register(Registry::default(), world.state.instances.clone());
        domain::testing::drain(&world.state.db, &registry).await;
        world.job = jobs::list(&world.state.db, None, None, 1).await.unwrap()[0].id;
        world.ensure_key().await;
        let notifications = world
            .rest(owner, Method::GET, "/api/v1/notifications", None)
            .await
            .json();
        world.notification = notifications["items"][0]["id"]
            .as_i64()
            .unwrap_or_else(|| panic!("the owner has a notification: {notifications}"));
        let coupon = json!({ "code": "HEMAT10", "kind": "percent", "amount": 10 });
        let coupon = world
            .rest(
                Caller::Admin,
                Method::POST,
                "/api/v1/admin/coupons",
                Some(coupon),
            )
            .await;
        assert_eq!(coupon.status, StatusCode::CREATED, "{}", coupon.body);
        world.coupon = coupon.json()["id"].as_i64().unwrap();
        world
    }

    fn order_request(&self) -> Value {
        json!({ "plan_id": self.plan, "region": "sbx-jkt1", "image": "ubuntu-24-04-x64", "hostname": "web-1", "period_months": 1 })
    }

    /// A new session for `email`, from an address of its own, so the log-in limits (per
    /// client) never refuse the test's log-ins.
    async fn open_session(&mut self, email: &str) -> IssuedTokens {
        self.logins += 1;
        let password = if email == ADMIN.0 { ADMIN.1 } else { PASSWORD };
        self.state
            .accounts
            .log_in(
                Login {
                    email,
                    password,
                    second_factor: None,
                },
                &ClientInfo {
                    ip: format!("10.9.{}.{}", self.logins / 250, self.logins % 250),
                    user_agent: "authorization matrix".into(),
                },
            )
            .await
            .unwrap()
    }

    async fn log_in(&mut self, email: &'static str) {
        let tokens = self.open_session(email).await;
        let cookies = format!(
            "{ACCESS_COOKIE}={}; {REFRESH_COOKIE}={}",
            tokens.access_token, tokens.refresh_token
        );
        self.cookies.insert(email, cookies);
    }

    fn cookie(&self, caller: Caller) -> Option<&str> {
        let email = match caller {
            Caller::Anonymous => return None,
            Caller::Stranger => STRANGER,
            Caller::Owner => OWNER,
            Caller::Admin => ADMIN.0,
        };
        Some(&self.cookies[email])
    }

    /// What an endpoint the owner just called may have ended or removed, back in place: a
    /// log-out or revoked session, the SSH key it deleted.
    async fn repair(&mut self) {
        for (caller, email) in [
            (Caller::Owner, OWNER),
            (Caller::Stranger, STRANGER),
            (Caller::Admin, ADMIN.0),
        ] {
            if self
                .rest(caller, Method::GET, "/api/v1/me", None)
                .await
                .status
                == StatusCode::UNAUTHORIZED
            {
                self.log_in(email).await;
            }
        }
        self.ensure_key().await;
    }

    async fn ensure_key(&mut self) {
        let keys = domain::ssh_keys::list(&self.state.db, self.owner_id)
            .await
            .unwrap();
        if let Some(key) = keys.first() {
            self.key = key.id;
            return;
        }
        let key = json!({ "name": "Laptop", "public_key": SSH_KEY });
        let added = self
            .rest(Caller::Owner, Method::POST, "/api/v1/ssh-keys", Some(key))
            .await;
        assert_eq!(added.status, StatusCode::CREATED, "{}", added.body);
        self.key = added.json()["id"].as_i64().unwrap();
    }

    /// `path` with its parameter filled in with the owner's row it names (the user an admin
    /// acts on is the bystander).
    fn fill(&self, path: &str) -> String {
        let mut filled = Vec::new();
        let segments: Vec<&str> = path.split('/').collect();
        for (at, segment) in segments.iter().enumerate() {
            if !segment.starts_with('{') {
                filled.push((*segment).to_owned());
                continue;
            }
            let row = match segments[at - 1] {
                "orders" => self.order.to_string(),
                "invoices" => self.invoice.to_string(),
                "instances" | "servers" | "console" => self.instance.to_string(),
                "notifications" => self.notification.to_string(),
                "ssh-keys" => self.key.to_string(),
                "users" => self.bystander_id.to_string(),
                "coupons" => self.coupon.to_string(),
                "plans" => self.plan.to_string(),
                "sandbox" => self.reference.clone(),
                other => panic!("{path}: no row for a parameter after `{other}`"),
            };
            filled.push(row);
        }
        filled.join("/")
    }

    /// The body a REST endpoint is sent: one it can act on, so that only who calls decides
    /// the answer.
    async fn body(&mut self, endpoint: &Endpoint) -> Option<Value> {
        if endpoint.method == Method::GET || endpoint.method == Method::DELETE {
            return None;
        }
        Some(match endpoint.path.as_str() {
            "/api/v1/auth/login" => {
                json!({ "email": BYSTANDER, "password": PASSWORD })
            }
            "/api/v1/auth/refresh" => {
                let tokens = self.open_session(BYSTANDER).await;
                json!({ "refresh_token": tokens.refresh_token })
            }
            "/api/v1/orders" | "/api/v1/orders/quote" => self.order_request(),
            "/api/v1/invoices/{id}/payments" => json!({ "channel": "QRIS" }),
            "/api/v1/invoices/{id}/apply-credit" | "/api/v1/credit/top-ups" => {
                json!({ "amount": 10_000 })
            }
            "/api/v1/orders/{id}/resize" => json!({ "plan_id": self.plan }),
            "/api/v1/orders/{id}/auto-renew" | "/api/v1/credit/renewals" => {
                json!({ "enabled": true })
            }
            "/api/v1/payments/sandbox/{reference}" => json!({ "outcome": "expire" }),
            "/api/v1/instances/{id}/actions" => json!({ "type": "reboot" }),
            "/api/v1/notifications/preferences" => {
                json!({ "category": "billing", "channel": "email", "enabled": true })
            }
            "/api/v1/ssh-keys" => json!({ "name": "Kantor", "public_key": SSH_KEY }),
            "/api/v1/admin/users/{id}/suspend" => json!({ "suspended": false }),
            "/api/v1/admin/users/{id}/credit" => json!({ "amount": 1000, "note": "matrix" }),
            "/api/v1/admin/orders/{id}/extend" => json!({ "days": 3, "note": "goodwill" }),
            path if path.starts_with("/api/v1/admin/") => json!({ "note": "matrix" }),
            _ => json!({}),
        })
    }

    /// Arguments for every server function that takes any, naming the owner's rows.
    fn server_fn_args(&self) -> HashMap<&'static str, String> {
        use app::admin::*;
        use app::admin_orders::*;
        use app::auth::*;
        use app::catalog::*;
        use app::console::*;
        use app::instances::*;
        use app::notifications::*;
        use app::orders::*;
        use app::ssh_keys::*;
        fn form<T: ServerFn + serde::Serialize>(args: T) -> (&'static str, String) {
            (T::PATH, serde_qs::to_string(&args).unwrap())
        }
        let (order, invoice) = (OrderId(self.order), InvoiceId(self.invoice));
        let order_request: OrderRequest = serde_json::from_value(self.order_request()).unwrap();
        let text = String::from;
        [
            form(SignUp {
                name: text("Tamu"),
                email: text("tamu@webrana.test"),
                password: text(PASSWORD),
                phone: None,
                language: text("id"),
            }),
            form(LogIn {
                email: text(BYSTANDER),
                password: text(PASSWORD),
                code: None,
            }),
            form(LogOut { everywhere: false }),
            form(VerifyEmail {
                token: text("not-a-token"),
            }),
            form(RequestPasswordReset {
                email: text("nobody@webrana.test"),
            }),
            form(ResetPassword {
                token: text("not-a-token"),
                password: text(PASSWORD),
            }),
            form(ChangePassword {
                current: text("salah-sekali-12"),
                password: text("kopi-susu-malam-8"),
            }),
            form(UpdateProfile {
                name: text("Budi"),
                phone: None,
                language: text("id"),
                time_zone: text("Asia/Jakarta"),
            }),
            form(RevokeSession {
                id: self.spare_session,
            }),
            form(ConfirmTwoFactor {
                code: text("000000"),
            }),
            form(DisableTwoFactor {
                password: text("salah-sekali-12"),
            }),
            form(ListNotifications { before: None }),
            form(MarkNotificationRead {
                id: NotificationId(self.notification),
            }),
            form(SetNotificationPreference {
                category: Category::Billing,
                channel: Channel::Email,
                enabled: true,
            }),
            form(AddSshKey {
                name: text("Kantor"),
                public_key: text(SSH_KEY),
            }),
            form(RemoveSshKey {
                id: SshKeyId(self.key),
            }),
            form(QuoteOrder {
                order: order_request.clone(),
            }),
            form(CheckHostname {
                hostname: text("web-free"),
            }),
            form(PreviewPrice {
                order: order_request.clone(),
            }),
            form(PlaceOrder {
                order: order_request,
            }),
            form(LoadOrder { id: order }),
            form(SetAutoRenew {
                id: order,
                enabled: true,
            }),
            form(CancelMyOrder {
                id: order,
                confirm: None,
            }),
            form(LoadResizeOptions { id: order }),
            form(RequestResize {
                id: order,
                plan_id: PlanId(self.plan),
            }),
            form(LoadInvoice { id: invoice }),
            form(PaymentChannels {
                invoice_id: invoice,
            }),
            form(PayInvoice {
                invoice_id: invoice,
                channel: text("QRIS"),
            }),
            form(PayWithCredit {
                invoice_id: invoice,
                amount: None,
            }),
            form(TopUpCredit { amount: 10_000 }),
            form(SetRenewalsFromCredit { enabled: true }),
            form(SandboxCheckout {
                reference: self.reference.clone(),
            }),
            form(FinishSandboxPayment {
                reference: self.reference.clone(),
                outcome: text("expire"),
            }),
            form(LoadServer {
                id: InstanceId(self.instance),
            }),
            form(RunServerAction {
                id: InstanceId(self.instance),
                kind: text("reboot"),
                image: None,
                confirm: None,
            }),
            form(RevealRootPassword {
                id: InstanceId(self.instance),
            }),
            form(OpenConsole { id: self.instance }),
            form(AdminSetupChecklist {}),
            form(AdminUsers { search: text("") }),
            form(AdminSetSuspended {
                user_id: UserId(self.bystander_id),
                suspended: false,
            }),
            form(AdminSetAdmin {
                user_id: UserId(self.bystander_id),
                admin_role: false,
            }),
            form(AdminAdjustCredit {
                user_id: UserId(self.bystander_id),
                amount: 1_000,
                note: text("matrix"),
            }),
            form(AdminOutbox { to: text("") }),
            form(AdminAudit {
                action: text(""),
                email: text(""),
            }),
            form(AdminJobs {
                state_filter: text(""),
                kind: text(""),
            }),
            form(AdminRetryJob {
                id: JobId(self.job),
            }),
            form(AdminOrders {
                status: text(""),
                search: text(""),
                from: text(""),
                to: text(""),
            }),
            form(AdminOrder { id: order }),
            form(AdminCancelOrder {
                id: order,
                note: text("matrix"),
            }),
            form(AdminRetryOrder {
                id: order,
                note: text("matrix"),
            }),
            form(AdminExtendOrder {
                id: order,
                days: text("3"),
                note: text("matrix"),
            }),
            form(AdminMarkInvoicePaid {
                invoice_id: invoice,
                note: text("matrix"),
            }),
            form(AdminMarkInvoiceRefunded {
                invoice_id: invoice,
                note: text("matrix"),
            }),
            form(AdminRefundToCredit {
                invoice_id: invoice,
                amount: text(""),
                note: text("matrix"),
            }),
            form(AdminAllInvoices { status: text("") }),
            form(AdminDeletePlan {
                id: PlanId(self.plan),
            }),
            form(AdminUpdateRegion {
                provider: text("sandbox"),
                slug: text("sbx-jkt1"),
                display_name: text("Jakarta"),
                enabled: Some(text("on")),
            }),
            form(AdminUpdateImage {
                provider: text("sandbox"),
                slug: text("ubuntu-24-04-x64"),
                display_name: text("Ubuntu"),
                logo: text("ubuntu"),
                enabled: Some(text("on")),
            }),
            form(AdminServers {
                status: text(""),
                provider: text(""),
                search: text(""),
            }),
            form(AdminProvision {
                email: text(BYSTANDER),
                plan_id: PlanId(self.plan),
                region: text("sbx-jkt1"),
                image: text("ubuntu-24-04-x64"),
                hostname: text("app-2"),
            }),
            form(AdminSaveCoupon {
                id: None,
                coupon: CouponForm {
                    code: text("HEMAT20"),
                    kind: text("percent"),
                    amount: text("20"),
                    valid_from: text(""),
                    valid_until: text(""),
                    max_uses: text(""),
                    max_uses_per_customer: text(""),
                    plan_ids: Vec::new(),
                    active: Some(text("on")),
                },
            }),
            form(AdminSavePlan {
                id: None,
                plan: PlanForm {
                    name: text("Mikro"),
                    provider: text("sandbox"),
                    size_slug: text("sbx-1c-1g"),
                    vcpus: 1,
                    memory_mb: 1024,
                    disk_gb: 25,
                    transfer_gb: 1000,
                    price_idr_monthly: 50_000,
                    discount_3m_percent: 0,
                    discount_6m_percent: 0,
                    discount_12m_percent: 0,
                    region_slugs: vec![text("sbx-jkt1")],
                    image_slugs: vec![text("ubuntu-24-04-x64")],
                    visible: None,
                    sort_order: 0,
                },
            }),
        ]
        .into_iter()
        .collect()
    }

    /// Calls `endpoint` as `caller`, from our own origin as a browser would.
    async fn call(&mut self, endpoint: &Endpoint, caller: Caller) -> Answer {
        match endpoint.kind {
            Kind::ServerFn => {
                let form = self
                    .server_fn_args()
                    .remove(endpoint.path.as_str())
                    .unwrap_or_default();
                support::server_fn(&self.router, &endpoint.path, &form, self.cookie(caller)).await
            }
            Kind::Route if endpoint.path.starts_with("/ws/") => self.socket(endpoint, caller).await,
            Kind::Route | Kind::Page => {
                let path = self.fill(&endpoint.path);
                let body = self.body(endpoint).await;
                self.rest(caller, endpoint.method.clone(), &path, body)
                    .await
            }
        }
    }

    async fn rest(
        &self,
        caller: Caller,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Answer {
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header(header::ORIGIN, ORIGIN);
        if let Some(cookie) = self.cookie(caller) {
            request = request.header(header::COOKIE, cookie);
        }
        support::send(&self.router, support::with_json(request, body.as_ref())).await
    }

    /// Opens a WebSocket as `caller` on the served router: the console with a ticket the owner
    /// was just given. A socket that opens answers 101.
    async fn socket(&self, endpoint: &Endpoint, caller: Caller) -> Answer {
        let path = if endpoint.path.starts_with("/ws/console/") {
            // Over the socket's own connection path: a ticket is good only from the address
            // it was given to.
            let opened: Value = reqwest::Client::builder()
                .no_proxy()
                .build()
                .unwrap()
                .post(format!(
                    "http://{}{}",
                    self.address,
                    app::console::OpenConsole::PATH
                ))
                .header(header::ORIGIN, ORIGIN)
                .header(header::ACCEPT, "application/json")
                .header(header::COOKIE, self.cookie(Caller::Owner).unwrap())
                .form(&[("id", self.instance)])
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            opened["Proxy"]["path"]
                .as_str()
                .unwrap_or_else(|| panic!("the owner opens the console: {opened}"))
                .to_owned()
        } else {
            endpoint.path.clone()
        };
        let mut request = format!("ws://{}{path}", self.address)
            .into_client_request()
            .unwrap();
        request
            .headers_mut()
            .insert(header::ORIGIN, ORIGIN.parse().unwrap());
        if let Some(cookie) = self.cookie(caller) {
            request
                .headers_mut()
                .insert(header::COOKIE, cookie.parse().unwrap());
        }
        match tokio_tungstenite::connect_async(request).await {
            Ok((mut socket, response)) => {
                socket.close(None).await.ok();
                Answer {
                    status: response.status(),
                    headers: response.headers().clone(),
                    body: String::new(),
                    bytes: Vec::new(),
                }
            }
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => Answer {
                status: response.status(),
                headers: response.headers().clone(),
                body: String::from_utf8_lossy(response.body().as_deref().unwrap_or_default())
                    .into_owned(),
                bytes: response.body().clone().unwrap_or_default(),
            },
            Err(error) => panic!("{path}: {error}"),
        }
    }
}

/// How `answer` treated its caller: read from its error code, or for a page from the notice it
/// shows in place of the rows (its status says only "not found").
fn treated(endpoint: &Endpoint, answer: &Answer) -> Treated {
    if endpoint.kind == Kind::Page {
        let m = Lang::Id.messages();
        return if answer.body.contains(m.errors_unauthenticated) {
            Treated::Unauthenticated
        } else if answer.body.contains(m.errors_forbidden) {
            Treated::Forbidden
        } else if answer.status == StatusCode::NOT_FOUND {
            Treated::Hidden
        } else {
            Treated::Served
        };
    }
    if answer.status.is_success() || answer.status == StatusCode::SWITCHING_PROTOCOLS {
        return Treated::Served;
    }
    let body: Value = serde_json::from_str(&answer.body).unwrap_or(Value::Null);
    match body["error"]["code"].as_str().or(body["code"].as_str()) {
        Some("unauthenticated") => Treated::Unauthenticated,
        Some("forbidden") => Treated::Forbidden,
        Some("not_found") => Treated::Hidden,
        _ if matches!(
            answer.status,
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN
        ) =>
        {
            Treated::Refused
        }
        _ => Treated::Served,
    }
}

both_backends! {
    async fn every_endpoint_treats_every_caller_as_the_documented_table_says(test: TestDb) {
        let mut world = World::new(&test).await;
        let documented = documented();
        let mut endpoints = endpoints(&support::server_state(world.state.clone(), support::web_settings()));
        // In one order every run (server functions are listed from a hash map).
        endpoints.sort_by_key(key);
        assert!(endpoints.len() > 150, "the router lists every endpoint: {}", endpoints.len());

        let mut failures = Vec::new();
        let mut undocumented = Vec::new();
        for endpoint in &endpoints {
            let key = key(endpoint);
            let Some(&who) = documented.get(&key) else {
                undocumented.push(key);
                continue;
            };
            for caller in [Caller::Anonymous, Caller::Stranger, Caller::Admin, Caller::Owner] {
                let answer = world.call(endpoint, caller).await;
                assert!(!answer.status.is_server_error(), "{key} as {caller:?}: {} {}", answer.status, answer.body);
                let (expected, got) = (who.treats(caller), treated(endpoint, &answer));
                if !got.agrees_with(expected) {
                    let body: String = answer.body.chars().take(200).collect();
                    failures.push(format!("{key} ({who:?}) as {caller:?}: expected {expected:?}, got {got:?}: {} {body}", answer.status));
                }
            }
            world.repair().await;
        }
        let listed: Vec<String> = endpoints.iter().map(key).collect();
        let stale: Vec<&String> = documented.keys().filter(|key| !listed.contains(key)).collect();
        let report = [
            format!("missing from docs/accounts.md: {undocumented:?}"),
            format!("in docs/accounts.md, answered by no endpoint: {stale:?}"),
            format!("{} answers differ from the table:\n{}", failures.len(), failures.join("\n")),
        ];
        assert!(undocumented.is_empty() && stale.is_empty() && failures.is_empty(), "{}", report.join("\n"));
    }
}
