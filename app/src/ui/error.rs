//! Errors as the customer reads them: the text for each error code and the notice that shows an
//! action's error.

use leptos::prelude::*;

use crate::errors::{AppError, Code};
use crate::i18n::{Messages, use_i18n};
use crate::ui::Text;
use crate::ui::style::ERROR_BOX;

/// The message for an error in the current language. Every code has one (the match has no
/// catch-all, so a new code does not compile until it is translated); pages that say more about
/// a code in their context match those first and hand the rest to this.
pub fn error_text(m: &'static Messages, error: &AppError) -> &'static str {
    code_text(m, error.code)
}

fn code_text(m: &'static Messages, code: Code) -> &'static str {
    match code {
        Code::Malformed => m.errors_invalid,
        Code::Unauthenticated => m.errors_unauthenticated,
        Code::InvalidCredentials => m.errors_invalid_credentials,
        Code::TwoFactorRequired => m.errors_two_factor_required,
        Code::InvalidTwoFactorCode => m.errors_invalid_two_factor_code,
        Code::RefreshReused => m.errors_refresh_reused,
        Code::Forbidden => m.errors_forbidden,
        Code::AccountSuspended => m.errors_account_suspended,
        Code::Csrf => m.errors_csrf,
        Code::EmailNotVerified => m.orders_error_email_not_verified,
        Code::LinkInvalid => m.errors_link_invalid,
        Code::RateLimited => m.errors_rate_limited,
        Code::Busy => m.errors_busy,
        Code::NotFound => m.servers_error_not_found,
        Code::AlreadyExists => m.errors_already_exists,
        Code::InvalidEmail => m.errors_invalid_email,
        Code::InvalidName => m.errors_invalid_name,
        Code::InvalidPhone => m.errors_invalid_phone,
        Code::TimeZoneUnknown => m.errors_time_zone_unknown,
        Code::CompanyNameInvalid => m.errors_company_name_invalid,
        Code::BillingAddressInvalid => m.errors_billing_address_invalid,
        Code::NpwpInvalid => m.errors_npwp_invalid,
        Code::PasswordTooShort => m.errors_password_too_short,
        Code::PasswordTooLong => m.errors_password_too_long,
        Code::PasswordTooCommon => m.errors_password_too_common,
        Code::WrongCurrentPassword => m.errors_wrong_current_password,
        Code::TwoFactorAlreadyEnabled => m.errors_two_factor_already_enabled,
        Code::TwoFactorNotStarted => m.errors_two_factor_not_started,
        Code::SshKeyInvalid => m.ssh_keys_error_invalid,
        Code::SshKeyPrivate => m.ssh_keys_error_private,
        Code::SshKeyMultiple => m.ssh_keys_error_multiple,
        Code::SshKeyUnsupported => m.ssh_keys_error_unsupported,
        Code::SshKeyTooWeak => m.ssh_keys_error_too_weak,
        Code::SshKeyNameInvalid => m.ssh_keys_error_name_invalid,
        Code::SshKeyNameTaken => m.ssh_keys_error_name_taken,
        Code::SshKeyDuplicate => m.ssh_keys_error_duplicate,
        Code::PlanNameInvalid => m.catalog_errors_plan_name_invalid,
        Code::PlanSizeInvalid => m.catalog_errors_plan_size_invalid,
        Code::PlanSpecInvalid => m.catalog_errors_plan_spec_invalid,
        Code::PlanPriceInvalid => m.catalog_errors_plan_price_invalid,
        Code::PlanDiscountInvalid => m.catalog_errors_plan_discount_invalid,
        Code::PlanRegionsRequired => m.catalog_errors_plan_regions_required,
        Code::PlanRegionNotOffered => m.catalog_errors_plan_region_not_offered,
        Code::PlanImagesRequired => m.catalog_errors_plan_images_required,
        Code::PlanImageUnknown => m.catalog_errors_plan_image_unknown,
        Code::PlanInUse => m.catalog_errors_plan_in_use,
        Code::RegionNameInvalid | Code::ImageNameInvalid => m.catalog_errors_display_name_invalid,
        Code::ImageLogoInvalid => m.catalog_errors_image_logo_invalid,
        Code::ProviderUnknown => m.catalog_errors_provider_unknown,
        Code::ProviderError => m.errors_provider_error,
        Code::PlanUnavailable => m.orders_error_plan_unavailable,
        Code::RegionNotOffered => m.orders_error_region_not_offered,
        Code::ImageNotOffered => m.orders_error_image_not_offered,
        Code::HostnameInvalid => m.servers_error_hostname_invalid,
        Code::HostnameTaken => m.servers_error_hostname_taken,
        Code::PeriodInvalid => m.orders_error_period_invalid,
        Code::IllegalTransition => m.orders_error_illegal_transition,
        Code::DaysInvalid => m.admin_orders_errors_days_invalid,
        Code::NotRunning => m.admin_orders_errors_not_running,
        Code::StatusInvalid => m.admin_orders_errors_status_invalid,
        Code::DateInvalid => m.admin_orders_errors_date_invalid,
        Code::DateRangeInvalid => m.admin_orders_errors_date_range_invalid,
        Code::NoteRequired => m.admin_orders_errors_note_required,
        Code::CouponCodeInvalid => m.admin_coupons_errors_code_invalid,
        Code::CouponCodeTaken => m.admin_coupons_errors_code_taken,
        Code::CouponKindInvalid => m.admin_coupons_errors_kind_invalid,
        Code::CouponAmountInvalid => m.admin_coupons_errors_amount_invalid,
        Code::CouponWindowInvalid => m.admin_coupons_errors_window_invalid,
        Code::CouponLimitInvalid => m.admin_coupons_errors_limit_invalid,
        Code::CouponUnknown => m.orders_error_coupon_unknown,
        Code::CouponExpired => m.orders_error_coupon_expired,
        Code::CouponNotForPlan => m.orders_error_coupon_not_for_plan,
        Code::CouponUsedByYou => m.orders_error_coupon_used_by_you,
        Code::CouponUsedUp => m.orders_error_coupon_used_up,
        Code::InvoiceNotPayable => m.orders_error_invoice_not_payable,
        Code::InvoiceNotRefundable => m.admin_orders_errors_invoice_not_refundable,
        Code::ChannelUnknown => m.orders_error_channel_unknown,
        Code::PhoneRequired => m.orders_error_phone_required,
        Code::CreditInsufficient => m.orders_error_credit_insufficient,
        Code::CreditAmountInvalid => m.orders_error_credit_amount_invalid,
        Code::TopUpAmountInvalid => m.orders_error_top_up_amount_invalid,
        Code::ResizeUnavailable => m.orders_error_resize_unavailable,
        Code::PlanUnchanged => m.orders_error_plan_unchanged,
        Code::ResizeDownUnavailable => m.orders_error_resize_down_unavailable,
        Code::PaymentRejected => m.orders_error_payment_rejected,
        Code::PaymentGatewayUnavailable => m.orders_error_gateway_unavailable,
        Code::ReconcileFailed => m.errors_reconcile_failed,
        Code::UserNotFound => m.errors_user_not_found,
        Code::ActionInProgress => m.servers_error_action_in_progress,
        Code::ConfirmationMismatch => m.servers_error_confirmation_mismatch,
        Code::ProviderUnavailable => m.servers_error_provider_unavailable,
        Code::PasswordUnavailable => m.servers_error_password_unavailable,
        Code::Suspended
        | Code::NoPasswordReset
        | Code::NoGracefulShutdown
        | Code::NoRebuild
        | Code::NeedsStopped
        | Code::NeedsRunning
        | Code::AlreadyRunning
        | Code::NotReady => m.servers_error_action_unavailable,
        Code::ConsoleNotRunning => m.servers_error_console_not_running,
        Code::ConsoleUnavailable => m.servers_error_console_unavailable,
        Code::ConsoleTicketRefused => m.servers_error_console_ticket_refused,
        Code::ConsoleSessionsExhausted => m.servers_error_console_sessions_exhausted,
        Code::ConsoleUnreachable => m.servers_error_console_unreachable,
        Code::LimitInvalid => m.errors_limit_invalid,
        Code::SecurityInAppRequired => m.notifications_error_security_in_app,
        Code::TelegramUnavailable => m.notifications_error_telegram_unavailable,
        Code::Internal => m.errors_generic,
        Code::Network => m.errors_network,
    }
}

/// How a page words an error: [`error_text`], or its own words for some codes before that.
pub type ErrorText = fn(&'static Messages, &AppError) -> &'static str;

/// Shows the action's error in the current language, or nothing.
#[component]
pub fn ErrorNotice<T: Clone + Send + Sync + 'static>(
    #[prop(into)] result: Signal<Option<Result<T, AppError>>>,
    #[prop(default = error_text)] text: ErrorText,
    /// Space above the box, where the page does not space its parts itself.
    #[prop(optional)]
    margin: &'static str,
) -> impl IntoView {
    let i18n = use_i18n();
    move || {
        result.get().and_then(Result::err).map(|error| {
            view! { <ErrorBox margin>{move || text(i18n.t(), &error)}</ErrorBox> }
        })
    }
}

/// The red box an error is shown in, for pages that show more than the error's text.
#[component]
pub fn ErrorBox(#[prop(optional)] margin: &'static str, children: Children) -> impl IntoView {
    let class = if margin.is_empty() {
        ERROR_BOX.to_owned()
    } else {
        format!("{margin} {ERROR_BOX}")
    };
    view! { <p role="alert" data-testid="form-error" class=class>{children()}</p> }
}

/// Where a list would stand when there is nothing to show: the look-up's `error`, or else the
/// words `empty` has for a list with nothing in it.
pub fn nothing_listed(error: Option<AppError>, empty: Text) -> AnyView {
    let i18n = use_i18n();
    match error {
        Some(error) => view! { <p role="alert" class="mt-6">{move || error_text(i18n.t(), &error)}</p> }.into_any(),
        None => view! { <p class="mt-6 text-slate-600 dark:text-slate-400">{move || empty(i18n.t())}</p> }.into_any(),
    }
}

/// A look-up's answer drawn by `show` once it arrives, or its error as an alert. While a new
/// answer loads (a filter changed, an action finished) the last one stays on screen.
#[component]
pub fn Loaded<T, V, F>(of: Resource<Result<T, AppError>>, show: F) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
    V: IntoView + 'static,
    F: Fn(T) -> V + Clone + Send + Sync + 'static,
{
    let i18n = use_i18n();
    view! {
        <Transition>
            {move || {
                let show = show.clone();
                Suspend::new(async move {
                    match of.await {
                        Err(error) => view! { <p role="alert">{move || error_text(i18n.t(), &error)}</p> }.into_any(),
                        Ok(answer) => show(answer).into_any(),
                    }
                })
            }}
        </Transition>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    #[test]
    fn every_error_code_is_translated_in_every_language() {
        for &code in Code::ALL {
            let texts = Lang::ALL.map(|lang| code_text(lang.messages(), code));
            for (lang, text) in Lang::ALL.iter().zip(texts) {
                assert!(!text.trim().is_empty(), "{code} has no {lang:?} text");
                // Only "internal" says nothing more than that something went wrong.
                if code != Code::Internal {
                    assert_ne!(text, lang.messages().errors_generic, "{code} in {lang:?}");
                }
            }
            assert_ne!(texts[0], texts[1], "{code} is not translated");
        }
    }
}
