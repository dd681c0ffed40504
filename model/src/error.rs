//! Every error code Webrana Cloud answers with, and what kind of failure each one is. The kind
//! decides the HTTP status, so a server function and a REST route that fail the same way answer
//! the same code with the same status, and the browser translates the same code.

use std::fmt;

use serde::{Deserialize, Serialize};

/// What went wrong, as far as HTTP cares: each kind is one status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The request itself cannot be read: a missing or mistyped field, JSON that does not parse.
    /// The caller's mistake, before anything was looked at.
    Malformed,
    /// Not signed in, or the credentials are wrong.
    Unauthorized,
    /// Signed in, but not allowed.
    Forbidden,
    NotFound,
    /// The thing asked about is in a state that does not allow this now.
    Conflict,
    /// Something that existed for a while and is gone for good (a used or expired link).
    Gone,
    /// Well-formed, but a value is not acceptable; the field says which.
    Invalid,
    RateLimited,
    /// Our fault; the details are in our log, never in the answer.
    Internal,
    /// A service we depend on (a cloud provider, a server's screen) answered badly.
    BadGateway,
    /// Not now: too busy, or a service we depend on is not there; trying again may work.
    Unavailable,
}

impl ErrorKind {
    pub fn status(self) -> u16 {
        match self {
            Self::Malformed => 400,
            Self::Unauthorized => 401,
            Self::Forbidden => 403,
            Self::NotFound => 404,
            Self::Conflict => 409,
            Self::Gone => 410,
            Self::Invalid => 422,
            Self::RateLimited => 429,
            Self::Internal => 500,
            Self::BadGateway => 502,
            Self::Unavailable => 503,
        }
    }
}

/// Declares [`Code`] once: each code's variant, its wire name and its kind. The wire name is
/// written out (not derived) so a renamed variant cannot silently change what clients see.
macro_rules! codes {
    ($($(#[$doc:meta])* $variant:ident = $name:literal => $kind:ident,)*) => {
        /// A stable, machine-readable error code: what clients match on and the UI translates.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum Code {
            $($(#[$doc])* #[serde(rename = $name)] $variant,)*
        }

        impl Code {
            /// Every code, in declaration order.
            pub const ALL: &[Code] = &[$(Self::$variant,)*];

            /// The code as clients see it, e.g. `hostname_taken`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $name,)*
                }
            }

            pub fn kind(self) -> ErrorKind {
                match self {
                    $(Self::$variant => ErrorKind::$kind,)*
                }
            }
        }
    };
}

codes! {
    // The request could not be read.
    /// A missing, unknown or mistyped argument or field; the error names the field. Clients
    /// see `invalid`: the request was not valid, whichever part of it.
    Malformed = "invalid" => Malformed,

    // Who is calling.
    Unauthenticated = "unauthenticated" => Unauthorized,
    InvalidCredentials = "invalid_credentials" => Unauthorized,
    TwoFactorRequired = "two_factor_required" => Unauthorized,
    InvalidTwoFactorCode = "invalid_two_factor_code" => Unauthorized,
    /// A refresh token was used twice: the session was ended in case it was stolen.
    RefreshReused = "refresh_reused" => Unauthorized,
    Forbidden = "forbidden" => Forbidden,
    AccountSuspended = "account_suspended" => Forbidden,
    /// A cookie-authenticated write from another site.
    Csrf = "csrf" => Forbidden,
    EmailNotVerified = "email_not_verified" => Forbidden,
    LinkInvalid = "link_invalid" => Gone,
    RateLimited = "rate_limited" => RateLimited,
    /// Too many password checks at once: come back shortly.
    Busy = "busy" => Unavailable,

    // Accounts.
    NotFound = "not_found" => NotFound,
    AlreadyExists = "already_exists" => Conflict,
    InvalidEmail = "invalid_email" => Invalid,
    InvalidName = "invalid_name" => Invalid,
    InvalidPhone = "invalid_phone" => Invalid,
    TimeZoneUnknown = "time_zone_unknown" => Invalid,
    CompanyNameInvalid = "company_name_invalid" => Invalid,
    BillingAddressInvalid = "billing_address_invalid" => Invalid,
    NpwpInvalid = "npwp_invalid" => Invalid,
    PasswordTooShort = "password_too_short" => Invalid,
    PasswordTooLong = "password_too_long" => Invalid,
    PasswordTooCommon = "password_too_common" => Invalid,
    WrongCurrentPassword = "wrong_current_password" => Invalid,
    TwoFactorAlreadyEnabled = "two_factor_already_enabled" => Conflict,
    TwoFactorNotStarted = "two_factor_not_started" => Conflict,

    // SSH keys.
    SshKeyInvalid = "ssh_key_invalid" => Invalid,
    SshKeyPrivate = "ssh_key_private" => Invalid,
    SshKeyMultiple = "ssh_key_multiple" => Invalid,
    SshKeyUnsupported = "ssh_key_unsupported" => Invalid,
    SshKeyTooWeak = "ssh_key_too_weak" => Invalid,
    SshKeyNameInvalid = "ssh_key_name_invalid" => Invalid,
    SshKeyNameTaken = "ssh_key_name_taken" => Conflict,
    SshKeyDuplicate = "ssh_key_duplicate" => Conflict,

    // The catalog.
    PlanNameInvalid = "plan_name_invalid" => Invalid,
    PlanSizeInvalid = "plan_size_invalid" => Invalid,
    PlanSpecInvalid = "plan_spec_invalid" => Invalid,
    PlanPriceInvalid = "plan_price_invalid" => Invalid,
    PlanDiscountInvalid = "plan_discount_invalid" => Invalid,
    PlanRegionsRequired = "plan_regions_required" => Invalid,
    PlanRegionNotOffered = "plan_region_not_offered" => Invalid,
    PlanImagesRequired = "plan_images_required" => Invalid,
    PlanImageUnknown = "plan_image_unknown" => Invalid,
    /// Servers use the plan, so it can be hidden but not deleted.
    PlanInUse = "plan_in_use" => Conflict,
    RegionNameInvalid = "region_name_invalid" => Invalid,
    ImageNameInvalid = "image_name_invalid" => Invalid,
    ImageLogoInvalid = "image_logo_invalid" => Invalid,
    /// A provider this installation has no credentials for.
    ProviderUnknown = "provider_unknown" => Invalid,
    /// The provider answered a catalog sync with an error.
    ProviderError = "provider_error" => BadGateway,

    // Orders.
    PlanUnavailable = "plan_unavailable" => Invalid,
    RegionNotOffered = "region_not_offered" => Invalid,
    ImageNotOffered = "image_not_offered" => Invalid,
    HostnameInvalid = "hostname_invalid" => Invalid,
    HostnameTaken = "hostname_taken" => Conflict,
    PeriodInvalid = "period_invalid" => Invalid,
    IllegalTransition = "illegal_transition" => Conflict,
    DaysInvalid = "days_invalid" => Invalid,
    /// Only a running service has a paid period to extend.
    NotRunning = "not_running" => Invalid,
    StatusInvalid = "status_invalid" => Invalid,
    DateInvalid = "date_invalid" => Invalid,
    DateRangeInvalid = "date_range_invalid" => Invalid,
    /// An admin's override needs a note saying why.
    NoteRequired = "note_required" => Invalid,
    CouponCodeInvalid = "coupon_code_invalid" => Invalid,
    CouponCodeTaken = "coupon_code_taken" => Conflict,
    CouponKindInvalid = "coupon_kind_invalid" => Invalid,
    CouponAmountInvalid = "coupon_amount_invalid" => Invalid,
    CouponWindowInvalid = "coupon_window_invalid" => Invalid,
    CouponLimitInvalid = "coupon_limit_invalid" => Invalid,
    CouponUnknown = "coupon_unknown" => Invalid,
    CouponExpired = "coupon_expired" => Invalid,
    CouponNotForPlan = "coupon_not_for_plan" => Invalid,
    CouponUsedByYou = "coupon_used_by_you" => Invalid,
    CouponUsedUp = "coupon_used_up" => Invalid,
    /// The service cannot move to another plan now (not running, a renewal or a resize open, a
    /// provider that cannot resize).
    ResizeUnavailable = "resize_unavailable" => Conflict,
    /// The plan asked for is the one the service has.
    PlanUnchanged = "plan_unchanged" => Invalid,
    /// The provider cannot make a server smaller.
    ResizeDownUnavailable = "resize_down_unavailable" => Invalid,

    // Invoices and payments.
    InvoiceNotPayable = "invoice_not_payable" => Conflict,
    InvoiceNotRefundable = "invoice_not_refundable" => Conflict,
    /// The customer's credit does not cover the invoice (or an admin's deduction).
    CreditInsufficient = "credit_insufficient" => Conflict,
    CreditAmountInvalid = "credit_amount_invalid" => Invalid,
    TopUpAmountInvalid = "top_up_amount_invalid" => Invalid,
    ChannelUnknown = "channel_unknown" => Invalid,
    /// The channel (OVO) needs the customer's phone number, and their profile has none.
    PhoneRequired = "phone_required" => Invalid,
    /// The payment gateway refused the payment (an inactive channel, an amount out of range).
    PaymentRejected = "payment_rejected" => Invalid,
    PaymentGatewayUnavailable = "payment_gateway_unavailable" => Unavailable,
    /// A payment the gateway reports could not be applied to its invoice.
    ReconcileFailed = "reconcile_failed" => Invalid,

    // Servers.
    /// An admin provisioning for a customer that does not exist.
    UserNotFound = "user_not_found" => Invalid,
    ActionInProgress = "action_in_progress" => Conflict,
    ConfirmationMismatch = "confirmation_mismatch" => Invalid,
    /// The server's provider is no longer configured here; it is listed but cannot change.
    ProviderUnavailable = "provider_unavailable" => Unavailable,
    /// The root password is shown once; reset it to see a new one.
    PasswordUnavailable = "password_unavailable" => Invalid,
    // Why an action cannot run on a server now (also shown on its disabled button).
    Suspended = "suspended" => Invalid,
    NoPasswordReset = "no_password_reset" => Invalid,
    NoGracefulShutdown = "no_graceful_shutdown" => Invalid,
    NoRebuild = "no_rebuild" => Invalid,
    NeedsStopped = "needs_stopped" => Invalid,
    NeedsRunning = "needs_running" => Invalid,
    AlreadyRunning = "already_running" => Invalid,
    NotReady = "not_ready" => Invalid,

    // Consoles.
    ConsoleNotRunning = "console_not_running" => Conflict,
    ConsoleUnavailable = "console_unavailable" => Conflict,
    ConsoleTicketRefused = "console_ticket_refused" => Forbidden,
    ConsoleSessionsExhausted = "console_sessions_exhausted" => RateLimited,
    ConsoleUnreachable = "console_unreachable" => BadGateway,

    // Notifications.
    LimitInvalid = "limit_invalid" => Invalid,
    SecurityInAppRequired = "security_in_app_required" => Invalid,
    TelegramUnavailable = "telegram_unavailable" => Invalid,

    // Ours.
    /// Logged with the request id; the client is told nothing more.
    Internal = "internal" => Internal,
    /// The browser could not reach the server, or read its answer.
    Network = "network" => Unavailable,
}

impl Code {
    pub fn status(self) -> u16 {
        self.kind().status()
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A code is an error in its own right where nothing more is known, e.g. an argument that does
/// not parse.
impl std::error::Error for Code {}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every code with its status, written out so a change shows in review.
    const TABLE: &[(&str, u16)] = &[
        ("invalid", 400),
        ("unauthenticated", 401),
        ("invalid_credentials", 401),
        ("two_factor_required", 401),
        ("invalid_two_factor_code", 401),
        ("refresh_reused", 401),
        ("forbidden", 403),
        ("account_suspended", 403),
        ("csrf", 403),
        ("email_not_verified", 403),
        ("link_invalid", 410),
        ("rate_limited", 429),
        ("busy", 503),
        ("not_found", 404),
        ("already_exists", 409),
        ("invalid_email", 422),
        ("invalid_name", 422),
        ("invalid_phone", 422),
        ("time_zone_unknown", 422),
        ("company_name_invalid", 422),
        ("billing_address_invalid", 422),
        ("npwp_invalid", 422),
        ("password_too_short", 422),
        ("password_too_long", 422),
        ("password_too_common", 422),
        ("wrong_current_password", 422),
        ("two_factor_already_enabled", 409),
        ("two_factor_not_started", 409),
        ("ssh_key_invalid", 422),
        ("ssh_key_private", 422),
        ("ssh_key_multiple", 422),
        ("ssh_key_unsupported", 422),
        ("ssh_key_too_weak", 422),
        ("ssh_key_name_invalid", 422),
        ("ssh_key_name_taken", 409),
        ("ssh_key_duplicate", 409),
        ("plan_name_invalid", 422),
        ("plan_size_invalid", 422),
        ("plan_spec_invalid", 422),
        ("plan_price_invalid", 422),
        ("plan_discount_invalid", 422),
        ("plan_regions_required", 422),
        ("plan_region_not_offered", 422),
        ("plan_images_required", 422),
        ("plan_image_unknown", 422),
        ("plan_in_use", 409),
        ("region_name_invalid", 422),
        ("image_name_invalid", 422),
        ("image_logo_invalid", 422),
        ("provider_unknown", 422),
        ("provider_error", 502),
        ("plan_unavailable", 422),
        ("region_not_offered", 422),
        ("image_not_offered", 422),
        ("hostname_invalid", 422),
        ("hostname_taken", 409),
        ("period_invalid", 422),
        ("illegal_transition", 409),
        ("days_invalid", 422),
        ("not_running", 422),
        ("status_invalid", 422),
        ("date_invalid", 422),
        ("date_range_invalid", 422),
        ("note_required", 422),
        ("coupon_code_invalid", 422),
        ("coupon_code_taken", 409),
        ("coupon_kind_invalid", 422),
        ("coupon_amount_invalid", 422),
        ("coupon_window_invalid", 422),
        ("coupon_limit_invalid", 422),
        ("coupon_unknown", 422),
        ("coupon_expired", 422),
        ("coupon_not_for_plan", 422),
        ("coupon_used_by_you", 422),
        ("coupon_used_up", 422),
        ("resize_unavailable", 409),
        ("plan_unchanged", 422),
        ("resize_down_unavailable", 422),
        ("invoice_not_payable", 409),
        ("invoice_not_refundable", 409),
        ("credit_insufficient", 409),
        ("credit_amount_invalid", 422),
        ("top_up_amount_invalid", 422),
        ("channel_unknown", 422),
        ("phone_required", 422),
        ("payment_rejected", 422),
        ("payment_gateway_unavailable", 503),
        ("reconcile_failed", 422),
        ("user_not_found", 422),
        ("action_in_progress", 409),
        ("confirmation_mismatch", 422),
        ("provider_unavailable", 503),
        ("password_unavailable", 422),
        ("suspended", 422),
        ("no_password_reset", 422),
        ("no_graceful_shutdown", 422),
        ("no_rebuild", 422),
        ("needs_stopped", 422),
        ("needs_running", 422),
        ("already_running", 422),
        ("not_ready", 422),
        ("console_not_running", 409),
        ("console_unavailable", 409),
        ("console_ticket_refused", 403),
        ("console_sessions_exhausted", 429),
        ("console_unreachable", 502),
        ("limit_invalid", 422),
        ("security_in_app_required", 422),
        ("telegram_unavailable", 422),
        ("internal", 500),
        ("network", 503),
    ];

    #[test]
    fn every_code_answers_its_status() {
        let actual: Vec<_> = Code::ALL
            .iter()
            .map(|code| (code.as_str(), code.status()))
            .collect();
        assert_eq!(actual, TABLE);
    }

    #[test]
    fn codes_travel_as_their_names() {
        for &code in Code::ALL {
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(json, format!("\"{code}\""));
            assert_eq!(serde_json::from_str::<Code>(&json).unwrap(), code);
        }
        assert!(serde_json::from_str::<Code>("\"no_such_code\"").is_err());
    }
}
