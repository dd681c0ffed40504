//! The admin's coupons: every coupon with its use, and the form that adds or changes one (open
//! while the query string says `?edit=new` or `?edit=<id>`).

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::admin_orders::{AdminSaveCoupon, admin_coupons};
use crate::catalog::admin_plans;
use crate::errors::{AppError, Code};
use crate::i18n::use_i18n;
use crate::pages::admin::AdminShell;
use crate::pages::admin_orders::{load_error, orders_error_text};
use crate::time::{Precision, form_input_text, time_text, use_time_zone};
use crate::ui::style::{CELL, COMPACT_BUTTON, FIELD, HINT, LABEL, PANEL, PRIMARY_SMALL, SECONDARY};
use crate::ui::{DataTable, ErrorBox, Notice, Submit, Text};
use model::Rupiah;
use model::catalog::Plan;
use model::ids::CouponId;
use model::orders::{Coupon, CouponKind};

#[component]
pub fn AdminCouponsPage() -> impl IntoView {
    view! { <AdminShell title=|m| m.admin_coupons_title><CouponsAdmin /></AdminShell> }
}

/// `10%` or `Rp 50.000`.
fn discount(coupon: &Coupon) -> String {
    if coupon.kind == CouponKind::Percent {
        format!("{}%", coupon.amount)
    } else {
        Rupiah(coupon.amount).to_string()
    }
}

#[component]
fn CouponsAdmin() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let editing = move || query.read().get("edit");
    let save = ServerAction::<AdminSaveCoupon>::new();
    // Refetched after a successful save only, so a refused form keeps what the admin typed.
    let saved_coupons = RwSignal::new(0_u32);
    let coupons = Resource::new(move || saved_coupons.get(), |_| admin_coupons());
    let plans = Resource::new(|| (), |_| admin_plans());
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(_)) = save.value().get() {
            saved_coupons.update(|n| *n += 1);
            navigate("/admin/coupons", Default::default());
        }
    });
    let saved = move || editing().is_none() && matches!(save.value().get(), Some(Ok(_)));
    view! {
        <div class="mt-6 flex flex-wrap items-center gap-3">
            <A href="/admin/coupons?edit=new" attr:class=PRIMARY_SMALL attr:data-testid="new-coupon">{move || i18n.t().admin_coupons_new}</A>
            <Show when=saved><Notice text=|m| m.admin_coupons_saved /></Show>
        </div>
        <Transition>
            {move || Suspend::new(async move {
                match (coupons.await, plans.await) {
                    (Err(error), _) | (_, Err(error)) => load_error(error),
                    (Ok(coupons), Ok(plans)) => {
                        let editor = {
                            let (coupons, plans) = (coupons.clone(), plans.clone());
                            move || editing().map(|edit| {
                                let coupon = edit.parse::<i64>().ok().and_then(|id| coupons.iter().find(|c| c.id == CouponId(id)).cloned());
                                view! { <CouponEditor plans=plans.clone() coupon save /> }
                            })
                        };
                        view! {
                            {editor}
                            <CouponsTable coupons plans />
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

#[component]
fn CouponsTable(coupons: Vec<Coupon>, plans: Vec<Plan>) -> impl IntoView {
    let i18n = use_i18n();
    if coupons.is_empty() {
        return view! { <p class="mt-6 text-slate-600 dark:text-slate-400">{move || i18n.t().admin_coupons_empty}</p> }.into_any();
    }
    let plan_name = move |id: i64| {
        plans
            .iter()
            .find(|plan| plan.id.get() == id)
            .map_or_else(|| format!("#{id}"), |plan| plan.name.clone())
    };
    view! {
        <DataTable testid="coupons-table" headings=vec![|m| m.admin_coupons_code, |m| m.admin_coupons_discount, |m| m.admin_coupons_valid, |m| m.admin_coupons_used, |m| m.admin_coupons_per_customer, |m| m.admin_coupons_plans, |m| m.admin_status, |_| ""]>
            {coupons.into_iter().map(|coupon| {
                let names = coupon.plan_ids.iter().map(|&id| plan_name(id.get())).collect::<Vec<_>>().join(", ");
                let every_plan = names.is_empty();
                let active = coupon.active;
                let (from, until) = (coupon.valid_from.map(|at| time_text(at, Precision::Minute)), coupon.valid_until.map(|at| time_text(at, Precision::Minute)));
                let always = from.is_none() && until.is_none();
                let max = coupon.max_uses.map_or_else(|| "∞".to_owned(), |max| max.to_string());
                let per_customer = coupon.max_uses_per_customer.map_or_else(|| "∞".to_owned(), |max| max.to_string());
                view! {
                    <tr data-testid=format!("coupon-{}", coupon.code)>
                        <td class=format!("{CELL} font-mono font-medium")>{coupon.code.clone()}</td>
                        <td class=format!("{CELL} whitespace-nowrap")>{discount(&coupon)}</td>
                        <td class=format!("{CELL} whitespace-nowrap text-xs")>
                            {if always {
                                view! { <span>{move || i18n.t().admin_coupons_always}</span> }.into_any()
                            } else {
                                view! {
                                    {from.clone().map(|from| view! { <span class="block">{move || i18n.t().admin_coupons_from} " " {from}</span> })}
                                    {until.clone().map(|until| view! { <span class="block">{move || i18n.t().admin_coupons_until} " " {until}</span> })}
                                }.into_any()
                            }}
                        </td>
                        <td class=CELL>{format!("{} / {max}", coupon.used)}</td>
                        <td class=CELL>{per_customer}</td>
                        <td class=CELL>{if every_plan { view! { <span>{move || i18n.t().admin_coupons_every_plan}</span> }.into_any() } else { view! { <span>{names}</span> }.into_any() }}</td>
                        <td class=CELL>
                            <span class=if active {
                                "rounded-full bg-emerald-100 px-2 py-0.5 text-xs font-medium text-emerald-800 dark:bg-emerald-950 dark:text-emerald-300"
                            } else {
                                "rounded-full bg-slate-200 px-2 py-0.5 text-xs font-medium text-slate-700 dark:bg-slate-700 dark:text-slate-200"
                            }>
                                {move || if active { i18n.t().admin_coupons_active } else { i18n.t().admin_coupons_inactive }}
                            </span>
                        </td>
                        <td class=CELL><A href=format!("/admin/coupons?edit={}", coupon.id) attr:class=COMPACT_BUTTON>{move || i18n.t().admin_coupons_edit}</A></td>
                    </tr>
                }
            }).collect_view()}
        </DataTable>
    }.into_any()
}

/// Which part of the coupon form an error is about; `None` shows it above the form.
fn coupon_error_place(error: &AppError) -> Option<&'static str> {
    match error.code {
        Code::CouponCodeInvalid | Code::CouponCodeTaken => Some("code"),
        Code::CouponKindInvalid | Code::CouponAmountInvalid => Some("amount"),
        Code::CouponWindowInvalid => Some("window"),
        Code::CouponLimitInvalid => Some("limits"),
        Code::DateInvalid => Some("window"),
        _ => None,
    }
}

/// The save's error under the part of the form it is about.
#[component]
fn CouponFieldError(save: ServerAction<AdminSaveCoupon>, place: &'static str) -> impl IntoView {
    let i18n = use_i18n();
    move || {
        save.value()
            .get()
            .and_then(Result::err)
            .filter(|error| coupon_error_place(error) == Some(place))
            .map(|error| {
                view! {
                    <p role="alert" data-testid=format!("error-{place}") class="mt-1 text-sm text-red-700 dark:text-red-300">
                        {move || orders_error_text(i18n.t(), &error)}
                    </p>
                }
            })
    }
}

#[component]
fn CouponEditor(
    plans: Vec<Plan>,
    coupon: Option<Coupon>,
    save: ServerAction<AdminSaveCoupon>,
) -> impl IntoView {
    let i18n = use_i18n();
    let title: Text = if coupon.is_some() {
        |m| m.admin_coupons_edit_title
    } else {
        |m| m.admin_coupons_new
    };
    let id = coupon.as_ref().map(|coupon| coupon.id);
    let coupon = coupon.unwrap_or(Coupon {
        id: CouponId(0),
        code: String::new(),
        kind: CouponKind::Percent,
        amount: 0,
        valid_from: None,
        valid_until: None,
        max_uses: None,
        max_uses_per_customer: None,
        used: 0,
        plan_ids: Vec::new(),
        active: true,
    });
    let amount = (coupon.amount > 0).then_some(coupon.amount);
    let other_error = move || {
        save.value()
            .get()
            .and_then(Result::err)
            .filter(|error| coupon_error_place(error).is_none())
    };
    let percent = coupon.kind == CouponKind::Percent;
    let zone = use_time_zone().get();
    view! {
        <section class=format!("{PANEL} mt-6")>
            <h2 class="text-lg font-semibold">{move || title(i18n.t())}</h2>
            {move || other_error().map(|error| view! {
                <ErrorBox margin="mt-3">{move || orders_error_text(i18n.t(), &error)}</ErrorBox>
            })}
            <ActionForm action=save attr:class="mt-4 space-y-5" attr:data-testid="coupon-form">
                {id.map(|id| view! { <input type="hidden" name="id" value=id.to_string() /> })}
                <div class="grid gap-4 sm:grid-cols-3">
                    <label class="block">
                        <span class=LABEL>{move || i18n.t().admin_coupons_code}</span>
                        <input type="text" name="coupon[code]" maxlength="32" autocomplete="off" value=coupon.code.clone() class=format!("{FIELD} font-mono uppercase") />
                        <span class=format!("mt-1 block {HINT}")>{move || i18n.t().admin_coupons_code_hint}</span>
                        <CouponFieldError save place="code" />
                    </label>
                    <label class="block">
                        <span class=LABEL>{move || i18n.t().admin_coupons_kind}</span>
                        <select name="coupon[kind]" class=FIELD>
                            <option value="percent" selected=percent>{move || i18n.t().admin_coupons_kind_percent}</option>
                            <option value="fixed" selected=!percent>{move || i18n.t().admin_coupons_kind_fixed}</option>
                        </select>
                    </label>
                    <label class="block">
                        <span class=LABEL>{move || i18n.t().admin_coupons_amount}</span>
                        <input type="text" inputmode="numeric" name="coupon[amount]" autocomplete="off" value=amount class=FIELD />
                        <span class=format!("mt-1 block {HINT}")>{move || i18n.t().admin_coupons_amount_hint}</span>
                        <CouponFieldError save place="amount" />
                    </label>
                </div>
                <fieldset>
                    <legend class=LABEL>{move || i18n.t().admin_coupons_valid}</legend>
                    <div class="grid gap-4 sm:grid-cols-2">
                        <label class="block">
                            <span class=HINT>{move || format!("{} ({})", i18n.t().admin_coupons_valid_from, zone.abbreviation())}</span>
                            <input type="datetime-local" name="coupon[valid_from]" value=form_input_text(coupon.valid_from) class=FIELD />
                        </label>
                        <label class="block">
                            <span class=HINT>{move || format!("{} ({})", i18n.t().admin_coupons_valid_until, zone.abbreviation())}</span>
                            <input type="datetime-local" name="coupon[valid_until]" value=form_input_text(coupon.valid_until) class=FIELD />
                        </label>
                    </div>
                    <span class=format!("mt-1 block {HINT}")>{move || i18n.t().admin_coupons_valid_hint}</span>
                    <CouponFieldError save place="window" />
                </fieldset>
                <fieldset>
                    <legend class=LABEL>{move || i18n.t().admin_coupons_limits}</legend>
                    <div class="grid gap-4 sm:grid-cols-2">
                        <label class="block">
                            <span class=HINT>{move || i18n.t().admin_coupons_max_uses}</span>
                            <input type="text" inputmode="numeric" name="coupon[max_uses]" autocomplete="off" value=coupon.max_uses class=FIELD />
                        </label>
                        <label class="block">
                            <span class=HINT>{move || i18n.t().admin_coupons_max_uses_per_customer}</span>
                            <input type="text" inputmode="numeric" name="coupon[max_uses_per_customer]" autocomplete="off" value=coupon.max_uses_per_customer class=FIELD />
                        </label>
                    </div>
                    <span class=format!("mt-1 block {HINT}")>{move || i18n.t().admin_coupons_limits_hint}</span>
                    <CouponFieldError save place="limits" />
                </fieldset>
                <fieldset>
                    <legend class=LABEL>{move || i18n.t().admin_coupons_plans}</legend>
                    <p class=HINT>{move || i18n.t().admin_coupons_plans_hint}</p>
                    <div class="mt-2 flex flex-wrap gap-3" data-testid="coupon-plans">
                        {plans.into_iter().map(|plan| view! {
                            <label class="inline-flex items-center gap-2 rounded-md border border-slate-300 px-3 py-1.5 text-sm dark:border-slate-700">
                                <input type="checkbox" name="coupon[plan_ids][]" value=plan.id.get() checked=coupon.plan_ids.contains(&plan.id) />
                                {plan.name}
                            </label>
                        }).collect_view()}
                    </div>
                </fieldset>
                <label class="inline-flex items-center gap-2 text-sm">
                    <input type="checkbox" name="coupon[active]" checked=coupon.active />
                    {move || i18n.t().admin_coupons_active}
                </label>
                <div class="flex flex-wrap items-center gap-3">
                    <Submit label=|m| m.admin_coupons_save pending=save.pending() />
                    <A href="/admin/coupons" attr:class=SECONDARY>{move || i18n.t().admin_coupons_cancel}</A>
                </div>
            </ActionForm>
        </section>
    }
}
