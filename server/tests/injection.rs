//! The injection corpus, through the real router on both databases: SQL, markup and header
//! payloads in every text argument of every server function, and in every text field, path
//! parameter and query parameter of the REST API (numbers get the SQL payloads too). No answer
//! may be a 5xx or carry the code `internal` (a query that broke would be one); a refusal is a
//! 4xx with a code clients know. An accepted payload that is stored is read back byte for byte,
//! so it reached the database as a parameter and not as SQL, and the tables still answer
//! afterwards. A stored markup payload is rendered, on every page that shows it, as text and
//! never as an element; pages that echo their query string are checked the same way. No answer
//! carries an injected header, and no e-mail written to the outbox has an injected header line.
//! A server function added later fails this test until the table here says which of its
//! arguments are text.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::BTreeSet;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration as StdDuration, Instant};

use app::admin::{
    AdminAdjustCredit, AdminAudit, AdminHealth, AdminJobs, AdminOutbox, AdminRetryJob,
    AdminSetAdmin, AdminSetSuspended, AdminSetupChecklist, AdminUsers,
};
use app::admin_orders::{
    AdminAllInvoices, AdminCancelOrder, AdminCoupons, AdminExtendOrder, AdminMarkInvoicePaid,
    AdminMarkInvoiceRefunded, AdminOrder, AdminOrders, AdminRefundToCredit, AdminRetryOrder,
    AdminSaveCoupon,
};
use app::auth::{
    BeginTwoFactor, ChangePassword, ConfirmTwoFactor, CurrentUser, DisableTwoFactor, LogIn, LogOut,
    MySessions, RequestPasswordReset, ResendVerification, ResetPassword, RevokeSession, SignUp,
    UpdateBillingDetails, UpdateProfile, VerifyEmail,
};
use app::catalog::{
    AdminDeletePlan, AdminImages, AdminInventory, AdminPlans, AdminRegions, AdminSavePlan,
    AdminSyncCatalog, AdminUpdateImage, AdminUpdateRegion, PublicPlans,
};
use app::console::OpenConsole;
use app::instances::{
    AdminProvision, AdminServers, LoadServer, MyServers, ProvisioningChoices, RevealRootPassword,
    RunServerAction,
};
use app::notifications::{
    BellNotifications, ListNotifications, MarkAllNotificationsRead, MarkNotificationRead,
    NotificationPreferences, SetNotificationPreference, TelegramInfo, TelegramLink, TelegramUnlink,
};
use app::orders::{
    CancelMyOrder, CheckHostname, FinishSandboxPayment, LoadInvoice, LoadOrder, LoadResizeOptions,
    MyCredit, MyInvoices, MyOrders, PayInvoice, PayWithCredit, PaymentChannels, PlaceOrder,
    PreviewPrice, QuoteOrder, RequestResize, SandboxCheckout, SetAutoRenew, SetRenewalsFromCredit,
    TopUpCredit,
};
use app::pages::legal::ContactDetails;
use app::pages::status::PlatformStatus;
use app::ssh_keys::{AddSshKey, MySshKeys, RemoveSshKey};
use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Method, Request, StatusCode, header};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use domain::accounts::inputs::Language;
use domain::caller::ClientInfo;
use domain::jobs::Registry;
use domain::testing::TestDb;
use domain::{Db, DomainConfig, both_backends, db_run};
use leptos::server_fn::ServerFn;
use model::error::Code;
use scraper::{Html, Node};
use serde_json::{Value, json};
use support::{ADMIN, ORIGIN, PASSWORD, form_encode};

/// What a payload tries to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Class {
    /// Break out of a string literal in SQL, or make a query fail.
    Sql,
    /// Become an element, an event handler or a URL that runs script when shown.
    Markup,
    /// Start a new header line (in an HTTP answer or an e-mail).
    Header,
}

/// The corpus every text input gets.
const PAYLOADS: &[(Class, &str)] = &[
    (Class::Sql, "' OR '1'='1"),
    (Class::Sql, "'; DROP TABLE users; --"),
    (Class::Sql, "\" OR \"\"=\""),
    (Class::Sql, "1; SELECT pg_sleep(5)--"),
    (Class::Sql, "\\'"),
    (Class::Sql, "\u{2019} OR \u{2018}1\u{2019}=\u{2018}1"),
    (Class::Sql, "%27 OR %271%27=%271"),
    // LIKE's wildcards and its escape character, for the search filters.
    (Class::Sql, "%_\\"),
    // PostgreSQL cannot store a NUL character in text; SQLite can.
    (Class::Sql, "nul\0byte"),
    (Class::Markup, "<script>alert(1)</script>"),
    (Class::Markup, "\"><img src=x onerror=alert(1)>"),
    (Class::Markup, "javascript:alert(1)"),
    (Class::Markup, "{{7*7}}"),
    (Class::Markup, "</title><script>alert(1)</script>"),
    (Class::Header, "x\r\nSet-Cookie: evil=1"),
    (Class::Header, "%0d%0aLocation: https://evil.example"),
    (Class::Header, "\nBcc: victim@example.com"),
];

/// Payloads that are also well-formed e-mail addresses, so they get past validation and are
/// stored, mailed and shown: for the inputs that take an address.
const EMAIL_PAYLOADS: &[(Class, &str)] = &[
    (Class::Sql, "o'neil'--@injection.example"),
    (Class::Sql, "x'or'1'='1@injection.example"),
    (Class::Markup, "<script>alert(1)</script>@injection.example"),
    (
        Class::Markup,
        "\"><img/src=x/onerror=alert(1)>@injection.example",
    ),
    (Class::Header, "victim%0d%0abcc:evil@injection.example"),
];

/// Who sends a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Who {
    Visitor,
    /// Budi, a customer with orders, invoices, a server and an SSH key.
    Customer,
    /// Pat, a customer whose password the password-checking functions try.
    Pat,
    Admin,
}

const BUDI: &str = "budi@webrana.test";
const PAT: &str = "pat@webrana.test";
/// The customer the log-in payloads are aimed at.
const LIN: &str = "lin@webrana.test";

/// Where an accepted value of an input is stored, and the pages that show it.
#[derive(Clone)]
struct Stored {
    /// Selects the stored column where it holds `$1`.
    sql: &'static str,
    /// What the domain makes of the value before storing it (trimmed, lower-cased…).
    normal: fn(&str) -> String,
    /// Whether a stored value holds the expected one, byte for byte: is it, or ends with it.
    holds: fn(&str, &str) -> bool,
    /// Pages that show the stored value, and who looks at them.
    pages: Vec<(Who, String)>,
}

fn is(stored: &str, expected: &str) -> bool {
    stored.as_bytes() == expected.as_bytes()
}

/// An admin's note on an order is stored after what was done (`extended by 1 days to …: note`).
fn ends_with(stored: &str, expected: &str) -> bool {
    stored
        .as_bytes()
        .ends_with(format!(": {expected}").as_bytes())
}

/// Every note in order histories, to find one that ends with `$1` ([`ends_with`]). SQL cannot
/// say it: SQLite's `LENGTH` stops at a NUL character.
const NOTES_ENDING_WITH: &str =
    "SELECT note FROM order_events WHERE note IS NOT NULL AND CAST($1 AS TEXT) IS NOT NULL";

fn trimmed(value: &str) -> String {
    value.trim().to_owned()
}

fn address(value: &str) -> String {
    value.trim().to_lowercase()
}

/// One kind of input of a server function or route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Input {
    Text,
    /// Text that is an e-mail address: also gets [`EMAIL_PAYLOADS`].
    Email,
    /// A number: gets the SQL payloads, which must be refused as unreadable.
    Number,
    /// Part of the request, never replaced (a flag, a checkbox).
    Fixed,
}

/// A server function: who calls it, a form it would accept, and what each argument is.
struct ServerFnCase {
    path: &'static str,
    who: Who,
    /// Every argument, as a form field with a sample value; `{n}` in a value is replaced by a
    /// number new for each request, `{ssh-key}` by a new public key.
    form: Vec<(&'static str, String, Input)>,
    stored: Vec<(&'static str, Stored)>,
}

fn case<T: ServerFn>(who: Who) -> ServerFnCase {
    ServerFnCase {
        path: T::PATH,
        who,
        form: Vec::new(),
        stored: Vec::new(),
    }
}

impl ServerFnCase {
    fn input(mut self, name: &'static str, sample: impl ToString, input: Input) -> Self {
        self.form.push((name, sample.to_string(), input));
        self
    }

    fn text(self, name: &'static str, sample: impl ToString) -> Self {
        self.input(name, sample, Input::Text)
    }

    fn email(self, name: &'static str, sample: impl ToString) -> Self {
        self.input(name, sample, Input::Email)
    }

    fn number(self, name: &'static str, sample: impl ToString) -> Self {
        self.input(name, sample, Input::Number)
    }

    fn fixed(self, name: &'static str, sample: impl ToString) -> Self {
        self.input(name, sample, Input::Fixed)
    }

    fn stored(mut self, name: &'static str, stored: Stored) -> Self {
        self.stored.push((name, stored));
        self
    }
}

/// The ids the sample requests refer to.
#[derive(Clone, Debug, Default)]
struct Ids {
    plan: i64,
    /// Budi's order waiting for payment, its invoice and the payment started on it.
    order: i64,
    invoice: i64,
    reference: String,
    /// An order the admin cancels.
    order_to_cancel: i64,
    /// An invoice the admin marks paid, then refunded.
    invoice_to_settle: i64,
    /// Budi's running service (paid and provisioned) and its server.
    active_order: i64,
    server: i64,
    ssh_key: i64,
    coupon: i64,
    budi: i64,
    job: i64,
    notification: i64,
    session: i64,
}

/// Every server function, with its arguments. A function missing here fails
/// [`every_server_function_is_in_the_corpus_table`].
fn server_fn_cases(ids: &Ids) -> Vec<ServerFnCase> {
    use Who::{Admin, Customer, Pat, Visitor};
    let name_pages = |extra: Option<(Who, &str)>| {
        let mut pages = vec![(Admin, "/admin/users".to_owned())];
        pages.extend(extra.map(|(who, path)| (who, path.to_owned())));
        Stored {
            sql: "SELECT name FROM users WHERE name = $1",
            normal: trimmed,
            holds: is,
            pages,
        }
    };
    let cancel_note = |pages: Vec<(Who, String)>| Stored {
        sql: "SELECT note FROM order_events WHERE note = $1",
        normal: trimmed,
        holds: is,
        pages,
    };
    let extension_note = |pages: Vec<(Who, String)>| Stored {
        sql: NOTES_ENDING_WITH,
        normal: trimmed,
        holds: ends_with,
        pages,
    };
    let plan_pages = || Stored {
        sql: "SELECT name FROM plans WHERE name = $1",
        normal: trimmed,
        holds: is,
        pages: vec![(Admin, "/admin/plans".into()), (Visitor, "/plans".into())],
    };
    vec![
        // Accounts.
        case::<CurrentUser>(Visitor),
        case::<SignUp>(Visitor)
            .text("name", "Sari")
            .email("email", "sari{n}@webrana.test")
            .text("password", PASSWORD)
            .text("phone", "")
            .text("language", "id")
            .stored("name", name_pages(Some((Admin, "/admin/outbox"))))
            .stored(
                "email",
                Stored {
                    sql: "SELECT email FROM users WHERE email = $1",
                    normal: address,
                    holds: is,
                    pages: vec![
                        (Admin, "/admin/users".into()),
                        (Admin, "/admin/outbox".into()),
                    ],
                },
            ),
        case::<LogIn>(Visitor)
            .email("email", LIN)
            .text("password", PASSWORD)
            .text("code", "")
            .stored(
                "email",
                Stored {
                    sql: "SELECT subject_email FROM audit_log WHERE subject_email = $1",
                    normal: address,
                    holds: is,
                    pages: vec![(Admin, "/admin/audit".into())],
                },
            ),
        case::<LogOut>(Customer),
        case::<VerifyEmail>(Visitor).text("token", "not-a-token"),
        case::<ResendVerification>(Customer),
        case::<RequestPasswordReset>(Visitor).email("email", "nobody{n}@webrana.test"),
        case::<ResetPassword>(Visitor)
            .text("token", "not-a-token")
            .text("password", "a-new-password-{n}"),
        case::<ChangePassword>(Pat)
            .text("current", "not-the-password")
            .text("password", "a-new-password-{n}"),
        case::<UpdateProfile>(Customer)
            .text("name", "Budi")
            .text("phone", "")
            .text("language", "id")
            .text("time_zone", "Asia/Jakarta")
            .stored("name", name_pages(Some((Customer, "/account")))),
        case::<UpdateBillingDetails>(Customer)
            .text("company", "PT Maju Jaya")
            .text("address", "Jl. Sudirman 1")
            .text("npwp", "")
            .stored(
                "company",
                Stored {
                    sql: "SELECT company_name FROM users WHERE company_name = $1",
                    normal: trimmed,
                    holds: is,
                    pages: vec![(Customer, "/account".into())],
                },
            ),
        case::<MySessions>(Customer),
        case::<RevokeSession>(Customer).number("id", ids.session + 1_000),
        case::<BeginTwoFactor>(Pat),
        case::<ConfirmTwoFactor>(Pat).text("code", "123456"),
        case::<DisableTwoFactor>(Pat).text("password", "not-the-password"),
        // Consoles and notifications.
        case::<OpenConsole>(Customer).number("id", ids.server + 1_000),
        case::<BellNotifications>(Customer),
        case::<ListNotifications>(Customer).number("before", ids.notification + 1),
        case::<MarkNotificationRead>(Customer).number("id", ids.notification),
        case::<MarkAllNotificationsRead>(Customer),
        case::<NotificationPreferences>(Customer),
        case::<SetNotificationPreference>(Customer)
            .text("category", "billing")
            .text("channel", "in_app")
            .fixed("enabled", "true"),
        case::<TelegramInfo>(Customer),
        case::<TelegramLink>(Customer),
        case::<TelegramUnlink>(Customer),
        // Servers.
        case::<MyServers>(Customer),
        case::<LoadServer>(Customer).number("id", ids.server),
        case::<RunServerAction>(Customer)
            .number("id", ids.server)
            .text("kind", "rebuild")
            .text("image", "ubuntu-24-04-x64")
            .text("confirm", "not-the-hostname"),
        case::<RevealRootPassword>(Customer).number("id", ids.server + 1_000),
        case::<AdminServers>(Admin)
            .text("status", "")
            .text("provider", "")
            .text("search", ""),
        case::<ProvisioningChoices>(Admin),
        case::<AdminProvision>(Admin)
            .email("email", BUDI)
            .number("plan_id", ids.plan)
            .text("region", "sbx-jkt1")
            .text("image", "ubuntu-24-04-x64")
            .text("hostname", "inj-{n}"),
        // The catalog.
        case::<PublicPlans>(Visitor),
        case::<AdminPlans>(Admin),
        case::<AdminInventory>(Admin),
        case::<AdminSavePlan>(Admin)
            .text("plan[name]", "Plan {n}")
            .text("plan[provider]", "sandbox")
            .text("plan[size_slug]", "sbx-1c-1g")
            .number("plan[vcpus]", 1)
            .number("plan[memory_mb]", 1024)
            .number("plan[disk_gb]", 25)
            .number("plan[transfer_gb]", 1000)
            .number("plan[price_idr_monthly]", 75_000)
            .number("plan[discount_3m_percent]", 0)
            .number("plan[discount_6m_percent]", 0)
            .number("plan[discount_12m_percent]", 0)
            .text("plan[region_slugs][]", "sbx-jkt1")
            .text("plan[image_slugs][]", "ubuntu-24-04-x64")
            .text("plan[visible]", "on")
            .number("plan[sort_order]", 0)
            .stored("plan[name]", plan_pages()),
        case::<AdminDeletePlan>(Admin).number("id", ids.plan + 1_000),
        case::<AdminRegions>(Admin),
        case::<AdminUpdateRegion>(Admin)
            .text("provider", "sandbox")
            .text("slug", "sbx-tyo1")
            .text("display_name", "Tokyo")
            .text("enabled", "on")
            .stored(
                "display_name",
                Stored {
                    sql: "SELECT display_name FROM catalog_regions WHERE display_name = $1",
                    normal: trimmed,
                    holds: is,
                    pages: vec![(Admin, "/admin/regions".into())],
                },
            ),
        case::<AdminImages>(Admin),
        case::<AdminUpdateImage>(Admin)
            .text("provider", "sandbox")
            .text("slug", "debian-12-x64")
            .text("display_name", "Debian")
            .text("logo", "debian")
            .text("enabled", "on")
            .stored(
                "display_name",
                Stored {
                    sql: "SELECT display_name FROM catalog_images WHERE display_name = $1",
                    normal: trimmed,
                    holds: is,
                    pages: vec![(Admin, "/admin/images".into())],
                },
            ),
        case::<AdminSyncCatalog>(Admin),
        // Orders and billing, for admins.
        case::<AdminOrders>(Admin)
            .text("status", "")
            .text("search", "")
            .text("from", "")
            .text("to", ""),
        case::<AdminOrder>(Admin).number("id", ids.order),
        case::<AdminCancelOrder>(Admin)
            .number("id", ids.order_to_cancel)
            .text("note", "asked by the customer")
            .stored(
                "note",
                cancel_note(vec![(
                    Admin,
                    format!("/admin/orders/{}", ids.order_to_cancel),
                )]),
            ),
        case::<AdminRetryOrder>(Admin)
            .number("id", ids.order)
            .text("note", "retrying"),
        case::<AdminExtendOrder>(Admin)
            .number("id", ids.active_order)
            .text("days", "1")
            .text("note", "goodwill")
            .stored(
                "note",
                extension_note(vec![
                    (Admin, format!("/admin/orders/{}", ids.active_order)),
                    (Customer, format!("/orders/{}", ids.active_order)),
                ]),
            ),
        case::<AdminMarkInvoicePaid>(Admin)
            .number("invoice_id", ids.invoice_to_settle)
            .text("note", "paid by bank transfer"),
        case::<AdminMarkInvoiceRefunded>(Admin)
            .number("invoice_id", ids.invoice_to_settle)
            .text("note", "refunded by bank transfer"),
        case::<AdminRefundToCredit>(Admin)
            .number("invoice_id", ids.invoice_to_settle)
            .text("amount", "")
            .text("note", "goodwill refund"),
        case::<AdminAllInvoices>(Admin).text("status", ""),
        case::<AdminCoupons>(Admin),
        case::<AdminSaveCoupon>(Admin)
            .text("coupon[code]", "INJ{n}")
            .text("coupon[kind]", "percent")
            .text("coupon[amount]", "10")
            .text("coupon[valid_from]", "")
            .text("coupon[valid_until]", "")
            .text("coupon[max_uses]", "")
            .text("coupon[max_uses_per_customer]", "")
            .number("coupon[plan_ids][]", ids.plan)
            // Codes are letters, digits and dashes: no payload is one.
            .text("coupon[active]", "on"),
        // SSH keys.
        case::<MySshKeys>(Customer),
        case::<AddSshKey>(Customer)
            .text("name", "laptop {n}")
            .text("public_key", "{ssh-key}")
            .stored(
                "name",
                Stored {
                    sql: "SELECT name FROM ssh_keys WHERE name = $1",
                    normal: trimmed,
                    holds: is,
                    pages: vec![(Customer, "/account".into())],
                },
            ),
        case::<RemoveSshKey>(Customer).number("id", ids.ssh_key + 1_000),
        // Public pages' data.
        case::<ContactDetails>(Visitor),
        case::<PlatformStatus>(Visitor),
        // Ordering and paying.
        case::<QuoteOrder>(Customer)
            .number("order[plan_id]", ids.plan)
            .text("order[region]", "sbx-jkt1")
            .text("order[image]", "ubuntu-24-04-x64")
            .text("order[hostname]", "inj-{n}")
            .number("order[period_months]", 1)
            .text("order[coupon]", "NO-SUCH-COUPON"),
        case::<CheckHostname>(Customer).text("hostname", "inj-{n}"),
        case::<PreviewPrice>(Customer)
            .number("order[plan_id]", ids.plan)
            .text("order[region]", "sbx-jkt1")
            .text("order[image]", "ubuntu-24-04-x64")
            .text("order[hostname]", "")
            .number("order[period_months]", 12)
            .text("order[coupon]", "NO-SUCH-COUPON"),
        case::<PlaceOrder>(Customer)
            .number("order[plan_id]", ids.plan)
            .text("order[region]", "sbx-jkt1")
            .text("order[image]", "ubuntu-24-04-x64")
            .text("order[hostname]", "inj-{n}")
            .number("order[period_months]", 1)
            .text("order[coupon]", "NO-SUCH-COUPON"),
        case::<MyOrders>(Customer),
        case::<LoadOrder>(Customer).number("id", ids.order),
        // A running service, so no payload can be the host name that ends it.
        case::<CancelMyOrder>(Customer)
            .number("id", ids.active_order)
            .text("confirm", "not-the-host-name"),
        case::<SetAutoRenew>(Customer)
            .number("id", ids.active_order)
            .fixed("enabled", "true"),
        case::<LoadResizeOptions>(Customer).number("id", ids.active_order),
        // The plan the service has, so no payload moves it.
        case::<RequestResize>(Customer)
            .number("id", ids.active_order)
            .number("plan_id", ids.plan),
        case::<MyInvoices>(Customer),
        case::<LoadInvoice>(Customer).number("id", ids.invoice),
        case::<PaymentChannels>(Customer).number("invoice_id", ids.invoice),
        case::<PayInvoice>(Customer)
            .number("invoice_id", ids.invoice)
            .text("channel", "QRIS"),
        case::<MyCredit>(Customer),
        case::<SetRenewalsFromCredit>(Customer).fixed("enabled", "true"),
        case::<PayWithCredit>(Customer).number("invoice_id", ids.invoice),
        case::<TopUpCredit>(Customer).fixed("amount", "10000"),
        case::<SandboxCheckout>(Customer).text("reference", &ids.reference),
        case::<FinishSandboxPayment>(Customer)
            .text("reference", "T-NO-SUCH-PAYMENT")
            .text("outcome", "expire"),
        // Admin: users, outbox, audit log, jobs.
        case::<AdminUsers>(Admin).text("search", ""),
        case::<AdminSetSuspended>(Admin)
            .number("user_id", ids.budi + 1_000)
            .fixed("suspended", "false"),
        case::<AdminAdjustCredit>(Admin)
            .number("user_id", ids.budi)
            .fixed("amount", "1000")
            .text("note", "goodwill"),
        case::<AdminSetAdmin>(Admin)
            .number("user_id", ids.budi + 1_000)
            .fixed("admin_role", "false"),
        case::<AdminOutbox>(Admin).email("to", ""),
        case::<AdminAudit>(Admin)
            .text("action", "")
            .email("email", ""),
        case::<AdminJobs>(Admin)
            .text("state_filter", "")
            .text("kind", ""),
        case::<AdminRetryJob>(Admin).number("id", ids.job + 1_000),
        case::<AdminHealth>(Admin),
        case::<AdminSetupChecklist>(Admin),
    ]
}

/// Where a payload goes in a REST request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Place {
    /// A field of the JSON body, by JSON pointer.
    Body(&'static str),
    Query(&'static str),
    /// The path's `{p}`.
    Path,
}

/// A REST route: method, path (with `{p}` for its parameter), who calls it, a body it would
/// accept, and what each input is.
struct RestCase {
    method: Method,
    path: String,
    path_sample: String,
    who: Who,
    body: Option<Value>,
    inputs: Vec<(Place, Input)>,
    stored: Vec<(Place, Stored)>,
}

fn rest(method: Method, path: &str, who: Who) -> RestCase {
    RestCase {
        method,
        path: path.to_owned(),
        path_sample: String::new(),
        who,
        body: None,
        inputs: Vec::new(),
        stored: Vec::new(),
    }
}

impl RestCase {
    /// The path parameter `{p}`, with its sample value.
    fn param(mut self, sample: impl ToString, input: Input) -> Self {
        self.path_sample = sample.to_string();
        self.inputs.push((Place::Path, input));
        self
    }

    fn body(mut self, body: Value, inputs: &[(&'static str, Input)]) -> Self {
        self.body = Some(body);
        self.inputs.extend(
            inputs
                .iter()
                .map(|&(field, input)| (Place::Body(field), input)),
        );
        self
    }

    fn query(mut self, names: &[(&'static str, Input)]) -> Self {
        self.inputs.extend(
            names
                .iter()
                .map(|&(name, input)| (Place::Query(name), input)),
        );
        self
    }

    fn stored(mut self, place: Place, stored: Stored) -> Self {
        self.stored.push((place, stored));
        self
    }
}

/// Every REST route that reads text (a body, a query or a path parameter).
fn rest_cases(ids: &Ids) -> Vec<RestCase> {
    use Input::{Email, Number, Text};
    use Who::{Admin, Customer, Visitor};
    let plan_body = || {
        json!({ "name": "Plan {n}", "provider": "sandbox", "size_slug": "sbx-1c-1g",
                "price_idr_monthly": 75000, "region_slugs": ["sbx-jkt1"],
                "image_slugs": ["ubuntu-24-04-x64"] })
    };
    let plan_inputs: &[(&str, Input)] = &[
        ("/name", Text),
        ("/provider", Text),
        ("/size_slug", Text),
        ("/price_idr_monthly", Number),
        ("/region_slugs/0", Text),
        ("/image_slugs/0", Text),
    ];
    let plan_names = || Stored {
        sql: "SELECT name FROM plans WHERE name = $1",
        normal: trimmed,
        holds: is,
        pages: vec![(Admin, "/admin/plans".into())],
    };
    let order_body = || {
        json!({ "plan_id": ids.plan, "region": "sbx-jkt1", "image": "ubuntu-24-04-x64",
                "hostname": "inj-{n}", "period_months": 1, "coupon": "NO-SUCH-COUPON" })
    };
    let order_inputs: &[(&str, Input)] = &[
        ("/plan_id", Number),
        ("/region", Text),
        ("/image", Text),
        ("/hostname", Text),
        ("/coupon", Text),
    ];
    let coupon_body =
        || json!({ "code": "REST{n}", "kind": "percent", "amount": 10, "valid_from": null });
    let coupon_inputs: &[(&str, Input)] = &[
        ("/code", Text),
        ("/kind", Text),
        ("/amount", Number),
        ("/valid_from", Text),
    ];
    let note_body = json!({ "note": "asked by the customer" });
    let note_inputs: &[(&str, Input)] = &[("/note", Text)];
    vec![
        rest(Method::POST, "/api/v1/auth/login", Visitor).body(
            json!({ "email": LIN, "password": PASSWORD, "code": "" }),
            &[("/email", Email), ("/password", Text), ("/code", Text)],
        ),
        rest(Method::POST, "/api/v1/auth/refresh", Visitor)
            .body(json!({ "refresh_token": "nope" }), &[("/refresh_token", Text)]),
        rest(Method::GET, "/api/v1/admin/users", Admin).query(&[("search", Email)]),
        rest(Method::POST, "/api/v1/admin/users/{p}/suspend", Admin)
            .param(ids.budi + 1_000, Number)
            .body(json!({ "suspended": false }), &[]),
        rest(Method::POST, "/api/v1/admin/plans", Admin)
            .body(plan_body(), plan_inputs)
            .stored(Place::Body("/name"), plan_names()),
        rest(Method::GET, "/api/v1/admin/plans/{p}", Admin).param(ids.plan, Number),
        rest(Method::PUT, "/api/v1/admin/plans/{p}", Admin)
            .param(ids.plan, Number)
            .body(plan_body(), plan_inputs)
            .stored(Place::Body("/name"), plan_names()),
        rest(Method::DELETE, "/api/v1/admin/plans/{p}", Admin).param(ids.plan + 1_000, Number),
        rest(Method::POST, "/api/v1/ssh-keys", Customer)
            .body(
                json!({ "name": "desktop {n}", "public_key": "{ssh-key}" }),
                &[("/name", Text), ("/public_key", Text)],
            )
            .stored(
                Place::Body("/name"),
                Stored {
                    sql: "SELECT name FROM ssh_keys WHERE name = $1",
                    normal: trimmed,
                    holds: is,
                    pages: vec![(Customer, "/account".into())],
                },
            ),
        rest(Method::DELETE, "/api/v1/ssh-keys/{p}", Customer).param(ids.ssh_key + 1_000, Number),
        rest(Method::GET, "/api/v1/instances/{p}", Customer).param(ids.server, Number),
        rest(Method::GET, "/api/v1/instances/{p}/events", Customer).param(ids.server, Number),
        rest(Method::POST, "/api/v1/instances/{p}/actions", Customer)
            .param(ids.server, Number)
            .body(
                json!({ "type": "rebuild", "image": "ubuntu-24-04-x64", "confirm": "not-the-hostname" }),
                &[("/type", Text), ("/image", Text), ("/confirm", Text)],
            ),
        rest(Method::POST, "/api/v1/instances/{p}/root-password", Customer)
            .param(ids.server + 1_000, Number),
        rest(Method::GET, "/api/v1/admin/instances", Admin).query(&[
            ("status", Text),
            ("provider", Text),
            ("search", Text),
        ]),
        rest(Method::POST, "/api/v1/admin/instances", Admin).body(
            json!({ "user_id": ids.budi, "plan_id": ids.plan, "region": "sbx-jkt1",
                    "image": "ubuntu-24-04-x64", "hostname": "inj-{n}" }),
            &[("/user_id", Number), ("/region", Text), ("/image", Text), ("/hostname", Text)],
        ),
        rest(Method::POST, "/api/v1/orders", Customer).body(order_body(), order_inputs),
        rest(Method::POST, "/api/v1/orders/quote", Customer).body(order_body(), order_inputs),
        rest(Method::GET, "/api/v1/orders/{p}", Customer).param(ids.order, Number),
        rest(Method::POST, "/api/v1/orders/{p}/cancel", Customer)
            .param(ids.active_order, Number)
            .body(json!({ "confirm": "not-the-host-name" }), &[("/confirm", Text)]),
        rest(Method::PUT, "/api/v1/orders/{p}/auto-renew", Customer)
            .param(ids.active_order, Number)
            .body(json!({ "enabled": true }), &[]),
        rest(Method::GET, "/api/v1/orders/{p}/resize", Customer).param(ids.active_order, Number),
        rest(Method::POST, "/api/v1/orders/{p}/resize", Customer)
            .param(ids.active_order, Number)
            .body(json!({ "plan_id": ids.plan }), &[("/plan_id", Number)]),
        rest(Method::GET, "/api/v1/invoices/{p}", Customer).param(ids.invoice, Number),
        rest(Method::GET, "/api/v1/invoices/{p}/channels", Customer).param(ids.invoice, Number),
        rest(Method::POST, "/api/v1/invoices/{p}/payments", Customer)
            .param(ids.invoice, Number)
            .body(json!({ "channel": "QRIS" }), &[("/channel", Text)]),
        rest(Method::POST, domain::billing::CALLBACK_PATH, Visitor).body(
            json!({ "reference": "T-NO-SUCH", "merchant_ref": "INV-0", "status": "PAID",
                    "total_amount": 1000 }),
            &[("/reference", Text), ("/merchant_ref", Text), ("/status", Text)],
        ),
        rest(Method::POST, "/api/v1/payments/sandbox/{p}", Customer)
            .param("T-NO-SUCH-PAYMENT", Text)
            .body(json!({ "outcome": "expire" }), &[("/outcome", Text)]),
        rest(Method::GET, "/api/v1/admin/orders", Admin).query(&[
            ("status", Text),
            ("search", Email),
            ("placed_from", Text),
            ("placed_to", Text),
        ]),
        rest(Method::POST, "/api/v1/admin/orders/{p}/cancel", Admin)
            .param(ids.order_to_cancel, Number)
            .body(note_body.clone(), note_inputs),
        rest(Method::POST, "/api/v1/admin/orders/{p}/extend", Admin)
            .param(ids.active_order, Number)
            .body(
                json!({ "days": 1, "note": "goodwill" }),
                &[("/days", Number), ("/note", Text)],
            )
            .stored(
                Place::Body("/note"),
                Stored {
                    sql: NOTES_ENDING_WITH,
                    normal: trimmed,
                    holds: ends_with,
                    pages: vec![(Admin, format!("/admin/orders/{}", ids.active_order))],
                },
            ),
        rest(Method::POST, "/api/v1/admin/orders/{p}/retry", Admin)
            .param(ids.order, Number)
            .body(note_body.clone(), note_inputs),
        rest(Method::POST, "/api/v1/admin/invoices/{p}/mark-paid", Admin)
            .param(ids.invoice_to_settle, Number)
            .body(note_body.clone(), note_inputs),
        rest(Method::POST, "/api/v1/admin/invoices/{p}/refund", Admin)
            .param(ids.invoice_to_settle, Number)
            .body(note_body, note_inputs),
        rest(Method::POST, "/api/v1/admin/coupons", Admin).body(coupon_body(), coupon_inputs),
        rest(Method::PUT, "/api/v1/admin/coupons/{p}", Admin)
            .param(ids.coupon, Number)
            .body(coupon_body(), coupon_inputs),
        rest(Method::GET, "/api/v1/notifications", Customer).query(&[
            ("unread", Text),
            ("before", Number),
            ("limit", Number),
        ]),
        rest(Method::POST, "/api/v1/notifications/{p}/read", Customer)
            .param(ids.notification, Number),
        rest(Method::PUT, "/api/v1/notifications/preferences", Customer).body(
            json!({ "category": "billing", "channel": "in_app", "enabled": true }),
            &[("/category", Text), ("/channel", Text)],
        ),
        rest(Method::POST, "/api/v1/telegram/webhook", Visitor).body(
            json!({ "update_id": 1, "message": { "message_id": 1, "text": "/start abc",
                    "chat": { "id": 1, "type": "private" } } }),
            &[("/message/text", Text)],
        ),
    ]
}

/// Pages that show their query string back (search boxes, links carried on), with who looks.
fn echoing_pages() -> Vec<(Who, &'static str)> {
    use Who::{Admin, Customer, Visitor};
    vec![
        (Visitor, "/login?next={p}"),
        (Visitor, "/signup?next={p}"),
        (Visitor, "/verify-email?token={p}"),
        (Visitor, "/reset-password?token={p}"),
        (Customer, "/order?plan={p}"),
        (Admin, "/admin/users?search={p}"),
        (Admin, "/admin/outbox?to={p}"),
        (Admin, "/admin/audit?action={p}&email={p}"),
        (Admin, "/admin/jobs?state={p}&kind={p}"),
        (Admin, "/admin/orders?status={p}&search={p}&from={p}&to={p}"),
        (Admin, "/admin/invoices?status={p}"),
        (Admin, "/admin/servers?status={p}&provider={p}&search={p}"),
        (Admin, "/admin/plans?edit={p}"),
        (Admin, "/admin/coupons?edit={p}"),
    ]
}

/// The sessions the requests are sent with.
struct Sessions {
    customer_cookie: String,
    pat_cookie: String,
    admin_cookie: String,
    customer_bearer: String,
    admin_bearer: String,
}

/// Sends requests, each from a client address of its own: the rate limits count attempts per
/// client, and this test is about what an input does, not how often it may be tried.
struct Client {
    router: Router,
    sessions: Sessions,
    next: AtomicU32,
}

impl Client {
    fn fresh(&self) -> u32 {
        self.next.fetch_add(1, Ordering::SeqCst)
    }

    async fn send(&self, mut request: Request<Body>) -> support::Answer {
        let n = self.fresh();
        let peer = Ipv4Addr::from(0x0a00_0000 | (n & 0x00ff_ffff));
        request
            .extensions_mut()
            .insert(ConnectInfo(SocketAddr::new(peer.into(), 40_000)));
        support::send(&self.router, request).await
    }

    fn cookie(&self, who: Who) -> Option<&str> {
        match who {
            Who::Visitor => None,
            Who::Customer => Some(&self.sessions.customer_cookie),
            Who::Pat => Some(&self.sessions.pat_cookie),
            Who::Admin => Some(&self.sessions.admin_cookie),
        }
    }

    fn bearer(&self, who: Who) -> Option<&str> {
        match who {
            Who::Customer => Some(&self.sessions.customer_bearer),
            Who::Admin => Some(&self.sessions.admin_bearer),
            Who::Visitor | Who::Pat => None,
        }
    }

    async fn server_fn(&self, path: &str, form: &str, who: Who) -> support::Answer {
        let mut request = Request::post(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ACCEPT, "application/json")
            .header(header::ORIGIN, ORIGIN);
        if let Some(cookie) = self.cookie(who) {
            request = request.header(header::COOKIE, cookie);
        }
        self.send(request.body(Body::from(form.to_owned())).unwrap())
            .await
    }

    async fn rest(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        who: Who,
    ) -> support::Answer {
        let mut request = Request::builder().method(method).uri(path);
        if let Some(token) = self.bearer(who) {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        self.send(support::with_json(request, body)).await
    }

    async fn page(&self, path: &str, who: Who) -> support::Answer {
        let cookie = match self.cookie(who) {
            Some(session) => format!("lang=en; {session}"),
            None => "lang=en".to_owned(),
        };
        let request = Request::get(path).header(header::COOKIE, cookie);
        self.send(request.body(Body::empty()).unwrap()).await
    }
}

/// A new, valid Ed25519 public key for every `n`.
fn ssh_key(n: u32) -> String {
    let mut blob = Vec::new();
    blob.extend_from_slice(&11_u32.to_be_bytes());
    blob.extend_from_slice(b"ssh-ed25519");
    blob.extend_from_slice(&32_u32.to_be_bytes());
    let mut point = [7_u8; 32];
    point[..4].copy_from_slice(&n.to_be_bytes());
    blob.extend_from_slice(&point);
    format!("ssh-ed25519 {} injection@test", STANDARD.encode(blob))
}

/// A sample value made new for request `n`.
fn fresh(sample: &str, n: u32) -> String {
    sample
        .replace("{ssh-key}", &ssh_key(n))
        .replace("{n}", &n.to_string())
}

fn fresh_json(value: &mut Value, n: u32) {
    match value {
        Value::String(text) => *text = fresh(text, n),
        Value::Array(items) => items.iter_mut().for_each(|item| fresh_json(item, n)),
        Value::Object(fields) => fields.values_mut().for_each(|field| fresh_json(field, n)),
        _ => {}
    }
}

/// Every byte but the unreserved ones percent-encoded: for a path segment or a query value.
fn url_encode(text: &str) -> String {
    form_encode(text)
}

/// The payloads an input gets.
fn payloads_for(input: Input) -> Vec<(Class, &'static str)> {
    match input {
        Input::Text => PAYLOADS.to_vec(),
        Input::Email => PAYLOADS.iter().chain(EMAIL_PAYLOADS).copied().collect(),
        Input::Number => PAYLOADS
            .iter()
            .filter(|(class, _)| *class == Class::Sql)
            .copied()
            .collect(),
        Input::Fixed => Vec::new(),
    }
}

/// What the run saw, for the failure messages and the summary.
#[derive(Default)]
struct Tally {
    requests: usize,
    accepted: usize,
    refused: usize,
    /// Of the refused, those refused for coming too often (no failure, but not a proof either).
    rate_limited: usize,
    read_back: BTreeSet<String>,
    /// The pages a stored markup payload was shown on.
    rendered: BTreeSet<String>,
    failures: Vec<String>,
}

impl Tally {
    fn fail(&mut self, what: String) {
        self.failures.push(what);
    }
}

/// The error code of a refusal: a server function answers `{"code"…}`, a route
/// `{"error": {"code"…}}`.
fn error_code(body: &str) -> Option<String> {
    let value: Value = serde_json::from_str(body).ok()?;
    value
        .get("error")
        .and_then(|error| error.get("code"))
        .or_else(|| value.get("code"))
        .and_then(Value::as_str)
        .map(str::to_owned)
}

/// The checks every answer to an injected request must pass.
fn check_answer(tally: &mut Tally, what: &str, answer: &support::Answer, elapsed: StdDuration) {
    tally.requests += 1;
    if answer.status.is_server_error() {
        tally.fail(format!("{what}: {} {}", answer.status, answer.body));
    } else if answer.status.is_client_error() {
        tally.refused += 1;
        if answer.status == StatusCode::TOO_MANY_REQUESTS {
            tally.rate_limited += 1;
        }
        let known = error_code(&answer.body)
            .filter(|code| Code::ALL.iter().any(|known| known.as_str() == code));
        // The payment gateway's callback answers in the gateway's terms, which have no code.
        let gateway_refusal = what.contains(domain::billing::CALLBACK_PATH)
            && serde_json::from_str::<Value>(&answer.body)
                .is_ok_and(|body| body["success"] == false && body["message"].is_string());
        if known.is_none() && !gateway_refusal {
            tally.fail(format!(
                "{what}: {} without a known code: {}",
                answer.status, answer.body
            ));
        }
    } else {
        tally.accepted += 1;
    }
    if error_code(&answer.body).as_deref() == Some("internal") {
        tally.fail(format!("{what}: answered `internal`: {}", answer.body));
    }
    check_headers(tally, what, &answer.headers);
    // `pg_sleep` run as SQL would hold the answer five seconds.
    if elapsed >= StdDuration::from_secs(4) {
        tally.fail(format!("{what}: took {elapsed:?}"));
    }
}

/// What the header payloads would put into a header value. Each has a character outside the
/// base64url alphabet, so a random nonce or token can never spell one by chance.
const INJECTED_HEADER_MARKS: &[&str] = &["evil=1", "evil.example", "evil@injection"];

fn check_headers(tally: &mut Tally, what: &str, headers: &axum::http::HeaderMap) {
    for (name, value) in headers {
        let value = String::from_utf8_lossy(value.as_bytes()).to_lowercase();
        let injected = INJECTED_HEADER_MARKS
            .iter()
            .any(|mark| value.contains(mark));
        if injected || name.as_str() == "bcc" {
            tally.fail(format!("{what}: injected header {name}: {value}"));
        }
    }
}

/// What a document must never have: an element, handler or URL a payload made. The document
/// is read as a browser reads it (html5ever), so markup counts only where a browser would make
/// it.
fn markup_made_by_payloads(html: &Html) -> Vec<String> {
    let mut found = Vec::new();
    for node in html.tree.nodes() {
        let Node::Element(element) = node.value() else {
            continue;
        };
        if element.name() == "script" {
            let script: String = node
                .children()
                .filter_map(|child| child.value().as_text().map(|text| text.to_string()))
                .collect();
            // A payload's own `<script>alert(1)</script>`, or one that ended the script it was
            // written into.
            if script.trim() == "alert(1)" || script.trim_end().ends_with("<script>alert(1)") {
                found.push(format!("<script>{script}</script>"));
            }
        }
        for (attribute, value) in element.attrs() {
            let handler = attribute.starts_with("on") && value.contains("alert(1)");
            let url = matches!(attribute, "href" | "src" | "action" | "formaction")
                && value.trim().to_lowercase().starts_with("javascript:");
            if handler || url {
                found.push(format!("<{} {attribute}=\"{value}\">", element.name()));
            }
        }
    }
    found
}

/// Whether `value` is shown in the document as text or as an attribute's value.
fn shown_as_text(html: &Html, value: &str) -> bool {
    html.tree.nodes().any(|node| match node.value() {
        Node::Text(text) => text.contains(value),
        Node::Element(element) => element.attrs().any(|(_, shown)| shown.contains(value)),
        _ => false,
    })
}

/// Reads back the values of a stored column equal to `value`.
async fn stored_values(db: &Db, sql: &'static str, value: &str) -> Vec<String> {
    db_run!(db, |pool| {
        sqlx::query_scalar::<_, String>(sql)
            .bind(value)
            .fetch_all(pool)
            .await
    })
    .unwrap()
}

/// After an accepted payload: it is stored exactly, and every page showing it shows it as text.
async fn check_stored(
    client: &Client,
    db: &Db,
    tally: &mut Tally,
    what: &str,
    stored: &Stored,
    (class, payload): (Class, &str),
) {
    let expected = (stored.normal)(payload);
    let found = stored_values(db, stored.sql, &expected).await;
    if found.iter().any(|value| (stored.holds)(value, &expected)) {
        tally
            .read_back
            .insert(what.split(" <- ").next().unwrap().to_owned());
    } else {
        tally.fail(format!(
            "{what}: accepted, but {expected:?} is not stored: {found:?}"
        ));
    }
    if class != Class::Markup {
        return;
    }
    for (who, path) in &stored.pages {
        let answer = client.page(path, *who).await;
        let page = format!("{what} on {path}");
        if answer.status != StatusCode::OK {
            tally.fail(format!("{page}: {}", answer.status));
            continue;
        }
        let html = Html::parse_document(&answer.body);
        let made = markup_made_by_payloads(&html);
        if !made.is_empty() {
            tally.fail(format!("{page}: the payload became markup: {made:?}"));
        }
        if shown_as_text(&html, &expected) {
            tally.rendered.insert(path.clone());
        } else {
            tally.fail(format!("{page}: {expected:?} is not shown as text"));
        }
    }
}

async fn run_server_fns(client: &Client, db: &Db, ids: &Ids, tally: &mut Tally) {
    for case in server_fn_cases(ids) {
        for (index, &(name, _, input)) in case.form.iter().enumerate() {
            for (class, payload) in payloads_for(input) {
                let n = client.fresh();
                let form: Vec<String> = case
                    .form
                    .iter()
                    .enumerate()
                    .map(|(other, (key, sample, _))| {
                        let value = if other == index {
                            payload.to_owned()
                        } else {
                            fresh(sample, n)
                        };
                        format!("{key}={}", form_encode(&value))
                    })
                    .collect();
                let what = format!("{} {name} <- {payload:?}", case.path);
                let started = Instant::now();
                let answer = client.server_fn(case.path, &form.join("&"), case.who).await;
                check_answer(tally, &what, &answer, started.elapsed());
                if input == Input::Number && answer.status != StatusCode::BAD_REQUEST {
                    tally.fail(format!(
                        "{what}: a number that is not one answered {}",
                        answer.status
                    ));
                }
                if !answer.status.is_success() {
                    continue;
                }
                for (_, stored) in case.stored.iter().filter(|(arg, _)| *arg == name) {
                    check_stored(client, db, tally, &what, stored, (class, payload)).await;
                }
            }
        }
    }
}

async fn run_rest(client: &Client, db: &Db, ids: &Ids, tally: &mut Tally) {
    for case in rest_cases(ids) {
        for &(place, input) in &case.inputs {
            for (class, payload) in payloads_for(input) {
                let n = client.fresh();
                let mut body = case.body.clone();
                if let Some(body) = &mut body {
                    fresh_json(body, n);
                }
                let mut path = case.path.replace("{p}", &url_encode(&case.path_sample));
                match place {
                    Place::Path => path = case.path.replace("{p}", &url_encode(payload)),
                    Place::Query(name) => path = format!("{path}?{name}={}", url_encode(payload)),
                    Place::Body(pointer) => {
                        let field = body.as_mut().and_then(|body| body.pointer_mut(pointer));
                        *field.unwrap_or_else(|| panic!("{} has no {pointer}", case.path)) =
                            Value::String(payload.to_owned());
                    }
                }
                let what = format!("{} {} {place:?} <- {payload:?}", case.method, case.path);
                let started = Instant::now();
                let answer = client
                    .rest(case.method.clone(), &path, body.as_ref(), case.who)
                    .await;
                check_answer(tally, &what, &answer, started.elapsed());
                if input == Input::Number && answer.status != StatusCode::BAD_REQUEST {
                    tally.fail(format!(
                        "{what}: a number that is not one answered {}",
                        answer.status
                    ));
                }
                if !answer.status.is_success() {
                    continue;
                }
                for (_, stored) in case
                    .stored
                    .iter()
                    .filter(|(stored_place, _)| *stored_place == place)
                {
                    check_stored(client, db, tally, &what, stored, (class, payload)).await;
                }
            }
        }
    }
}

async fn run_echoing_pages(client: &Client, tally: &mut Tally) {
    for (who, path) in echoing_pages() {
        for &(_, payload) in PAYLOADS {
            let path = path.replace("{p}", &url_encode(payload));
            let what = format!("GET {path}");
            let answer = client.page(&path, who).await;
            tally.requests += 1;
            if answer.status.is_server_error() {
                tally.fail(format!("{what}: {}", answer.status));
            }
            check_headers(tally, &what, &answer.headers);
            let made = markup_made_by_payloads(&Html::parse_document(&answer.body));
            if !made.is_empty() {
                tally.fail(format!("{what}: the payload became markup: {made:?}"));
            }
        }
    }
}

/// Every e-mail written: no header line in its recipient or subject, no markup made in its
/// HTML part. Answers how many e-mails show a markup payload as text.
async fn check_outbox(db: &Db, tally: &mut Tally) -> usize {
    let emails: Vec<(String, String, String)> = db_run!(db, |pool| {
        sqlx::query_as("SELECT to_address, subject, body_html FROM emails")
            .fetch_all(pool)
            .await
    })
    .unwrap();
    let mut escaped = 0;
    for (to, subject, html) in &emails {
        if to.contains(['\r', '\n']) || subject.contains(['\r', '\n']) {
            tally.fail(format!(
                "an e-mail with a header line injected: to {to:?}, subject {subject:?}"
            ));
        }
        let parsed = Html::parse_document(html);
        let made = markup_made_by_payloads(&parsed);
        if !made.is_empty() {
            tally.fail(format!(
                "the e-mail to {to:?} has markup a payload made: {made:?}"
            ));
        }
        if shown_as_text(&parsed, "<script>alert(1)</script>") {
            escaped += 1;
        }
    }
    escaped
}

/// Budi has an order waiting for payment (with a payment started), an order to cancel, an
/// invoice to settle by hand, a running service with its server, an SSH key and a
/// notification; there is a coupon and a job. Pat and Lin are customers too.
async fn setup(test: &TestDb) -> (Client, Ids) {
    let config = DomainConfig {
        providers: support::instant_sandbox(&test.db),
        ..support::config()
    };
    let support::Env { router, state } = support::start(test, &config).await;
    let admin = support::admin_caller(&state).await;
    for email in [BUDI, PAT, LIN] {
        support::customer(&state, email, Language::Id).await;
    }
    support::verify_every_email(&test.db).await;
    let plan = support::nano_plan(&state, &admin).await;
    let budi = state.accounts.find_by_email(&admin, BUDI).await.unwrap();
    let budi_bearer = support::access_token(&router, BUDI, PASSWORD).await;
    let mut placed = Vec::new();
    for hostname in ["web-a", "web-b", "web-c", "web-d"] {
        let order = json!({ "plan_id": plan.id, "region": "sbx-jkt1", "image": "ubuntu-24-04-x64",
                            "hostname": hostname, "period_months": 1 });
        let answer = support::post_json(&router, "/api/v1/orders", order, Some(&budi_bearer)).await;
        assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
        let answer = answer.json();
        placed.push((
            answer["order"]["id"].as_i64().unwrap(),
            answer["invoice"]["id"].as_i64().unwrap(),
        ));
    }
    let payment = support::post_json(
        &router,
        &format!("/api/v1/invoices/{}/payments", placed[0].1),
        json!({ "channel": "QRIS" }),
        Some(&budi_bearer),
    )
    .await;
    assert_eq!(payment.status, StatusCode::CREATED, "{}", payment.body);
    // The fourth order is paid and provisioned: a running service to extend, with a server.
    state
        .billing
        .mark_paid(&admin, placed[3].1, "paid at the bank")
        .await
        .unwrap();
    let registry = domain::orders::worker::register(
        Registry::default(),
        state.orders.clone(),
        state.instances.clone(),
    );
    let registry = domain::instances::worker::register(registry, state.instances.clone());
    domain::testing::drain(&state.db, &registry).await;
    let (server, status): (i64, String) = db_run!(&test.db, |pool| {
        sqlx::query_as(
            "SELECT i.id, o.status FROM instances i JOIN orders o ON o.hostname = i.hostname \
             WHERE i.hostname = 'web-d'",
        )
        .fetch_one(pool)
        .await
    })
    .unwrap();
    assert_eq!(status, "active", "the fourth order is running");
    let key = domain::ssh_keys::add(
        &state.db,
        budi.id,
        "laptop",
        &ssh_key(u32::MAX),
        &ClientInfo::default(),
    )
    .await
    .unwrap();
    let coupon = support::post_json(
        &router,
        "/api/v1/admin/coupons",
        json!({ "code": "MERDEKA17", "kind": "percent", "amount": 17 }),
        Some(&support::access_token(&router, ADMIN.0, ADMIN.1).await),
    )
    .await;
    assert_eq!(coupon.status, StatusCode::CREATED, "{}", coupon.body);
    let (job, notification, session): (i64, i64, i64) = db_run!(&test.db, |pool| {
        sqlx::query_as(
            "SELECT (SELECT MAX(id) FROM jobs), \
                    (SELECT COALESCE(MAX(id), 0) FROM notifications WHERE user_id = $1), \
                    (SELECT MAX(id) FROM sessions WHERE user_id = $1)",
        )
        .bind(budi.id)
        .fetch_one(pool)
        .await
    })
    .unwrap();
    let ids = Ids {
        plan: plan.id,
        order: placed[0].0,
        invoice: placed[0].1,
        reference: payment.json()["reference"].as_str().unwrap().to_owned(),
        order_to_cancel: placed[1].0,
        invoice_to_settle: placed[2].1,
        active_order: placed[3].0,
        server,
        ssh_key: key.id,
        coupon: coupon.json()["id"].as_i64().unwrap(),
        budi: budi.id,
        job,
        notification,
        session,
    };
    let sessions = Sessions {
        customer_cookie: support::session_cookies(&router, BUDI, PASSWORD).await,
        pat_cookie: support::session_cookies(&router, PAT, PASSWORD).await,
        admin_cookie: support::session_cookies(&router, ADMIN.0, ADMIN.1).await,
        customer_bearer: budi_bearer,
        admin_bearer: support::access_token(&router, ADMIN.0, ADMIN.1).await,
    };
    let client = Client {
        router,
        sessions,
        next: AtomicU32::new(1),
    };
    (client, ids)
}

/// The tables the payloads went into still answer, with the rows they had.
async fn tables_still_answer(db: &Db) -> Vec<(&'static str, i64)> {
    let mut counts = Vec::new();
    for table in [
        "users",
        "sessions",
        "audit_log",
        "emails",
        "plans",
        "catalog_regions",
        "catalog_images",
        "ssh_keys",
        "orders",
        "order_events",
        "invoices",
        "coupons",
        "instances",
        "jobs",
    ] {
        let sql = format!("SELECT COUNT(*) FROM {table}");
        let count: i64 = db_run!(db, |pool| {
            sqlx::query_scalar(sqlx::AssertSqlSafe(sql.clone()))
                .fetch_one(pool)
                .await
        })
        .unwrap_or_else(|error| panic!("{table} no longer answers: {error}"));
        counts.push((table, count));
    }
    counts
}

/// The checks above would pass on a page where nothing is found; this shows what they find.
#[test]
fn the_markup_check_finds_what_a_browser_would_run_and_passes_escaped_text() {
    let made = |html: &str| markup_made_by_payloads(&Html::parse_document(html)).len();
    for (_, payload) in PAYLOADS.iter().filter(|(class, _)| *class == Class::Markup) {
        let raw = format!("<p title=\"a\">{payload}</p>");
        let escaped = raw.replace(
            payload,
            &payload
                .replace('<', "&lt;")
                .replace('>', "&gt;")
                .replace('"', "&quot;"),
        );
        assert_eq!(made(&escaped), 0, "{escaped}");
        assert!(
            shown_as_text(&Html::parse_document(&escaped), payload),
            "{escaped}"
        );
        let in_attribute = format!("<input value=\"{payload}\">");
        let expected_in_attribute = usize::from(payload.starts_with('"'));
        assert_eq!(made(&in_attribute), expected_in_attribute, "{in_attribute}");
        let in_script = format!("<script>var data = \"{payload}\";</script>");
        let breaks_out = usize::from(payload.contains("</script>"));
        assert_eq!(made(&in_script), breaks_out, "{in_script}");
    }
    assert_eq!(made("<script>alert(1)</script>"), 1);
    assert_eq!(made("<a href=\" javascript:alert(1)\">x</a>"), 1);
    assert_eq!(made("<img src=x onerror=alert(1)>"), 1);
    assert_eq!(
        made("<p>&lt;script&gt;alert(1)&lt;/script&gt;</p><!-- <script>alert(1)</script> -->"),
        0
    );
}

#[test]
fn every_server_function_is_in_the_corpus_table() {
    let listed: BTreeSet<&str> = server_fn_cases(&Ids::default())
        .iter()
        .map(|case| case.path)
        .collect();
    let registered: BTreeSet<&str> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path)
        .collect();
    let missing: Vec<_> = registered.difference(&listed).collect();
    assert!(
        missing.is_empty(),
        "server functions with no entry in `server_fn_cases` (say which arguments are text): {missing:?}"
    );
    let stale: Vec<_> = listed.difference(&registered).collect();
    assert!(
        stale.is_empty(),
        "entries for no server function: {stale:?}"
    );
}

both_backends! {
    async fn injection_payloads_are_refused_or_stored_inert_through_every_text_input(test: TestDb) {
        let started = Instant::now();
        let (client, ids) = setup(&test).await;
        let users_before = tables_still_answer(&test.db).await[0].1;
        let mut tally = Tally::default();

        run_server_fns(&client, &test.db, &ids, &mut tally).await;
        run_rest(&client, &test.db, &ids, &mut tally).await;
        run_echoing_pages(&client, &mut tally).await;
        let escaped_emails = check_outbox(&test.db, &mut tally).await;

        assert!(tally.failures.is_empty(), "{} failures:\n{}", tally.failures.len(), tally.failures.join("\n"));
        let counts = tables_still_answer(&test.db).await;
        assert!(counts[0].1 > users_before, "sign-ups stored users: {counts:?}");
        assert!(counts.iter().all(|(_, count)| *count > 0), "{counts:?}");
        // Every input that stores text stored some payload and read it back, and every page that
        // shows one was checked with a markup payload in it: none of these checks went unused.
        let stored_inputs: BTreeSet<String> = server_fn_cases(&ids)
            .iter()
            .flat_map(|case| case.stored.iter().map(move |(name, _)| format!("{} {name}", case.path)))
            .collect();
        let unchecked: Vec<_> = stored_inputs.difference(&tally.read_back).collect();
        assert!(unchecked.is_empty(), "no payload was stored through {unchecked:?}");
        let pages: BTreeSet<String> = [
            "/admin/users", "/account", "/admin/outbox", "/admin/audit", "/admin/plans", "/plans",
            "/admin/regions", "/admin/images",
        ]
        .into_iter()
        .map(str::to_owned)
        .chain([format!("/admin/orders/{}", ids.active_order), format!("/orders/{}", ids.active_order)])
        .collect();
        let unrendered: Vec<_> = pages.difference(&tally.rendered).collect();
        assert!(unrendered.is_empty(), "no stored markup payload was shown on {unrendered:?}");
        assert!(escaped_emails > 0, "an e-mail greeting a name that is a script shows it as text");
        let cases = server_fn_cases(&ids);
        let routes = rest_cases(&ids);
        let inputs = |inputs: &mut dyn Iterator<Item = Input>| {
            inputs.filter(|input| *input != Input::Fixed).count()
        };
        println!(
            "{:?}: {} server functions ({} inputs), {} routes ({} inputs), {} echoing pages, {} payloads (+{} e-mail shaped): \
             {} requests ({} accepted, {} refused, {} of them rate-limited), {} inputs read back, {} pages showing markup as text, \
             {} e-mails showing markup as text, in {:?}",
            test.db.backend(),
            cases.len(),
            inputs(&mut cases.iter().flat_map(|case| case.form.iter().map(|(_, _, input)| *input))),
            routes.len(),
            inputs(&mut routes.iter().flat_map(|case| case.inputs.iter().map(|(_, input)| *input))),
            echoing_pages().len(),
            PAYLOADS.len(),
            EMAIL_PAYLOADS.len(),
            tally.requests,
            tally.accepted,
            tally.refused,
            tally.rate_limited,
            tally.read_back.len(),
            tally.rendered.len(),
            escaped_emails,
            started.elapsed(),
        );
    }
}
