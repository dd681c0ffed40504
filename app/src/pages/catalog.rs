//! The public plan list: every plan on sale with its specs, prices in rupiah, regions and images.
//! It needs no account, so visitors can compare before signing up.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::catalog::public_plans;
use crate::i18n::use_i18n;
use crate::seo::PageMeta;
use model::catalog::PublicPlan;

/// `512 MB`, `1 GB`, `1.5 GB`.
pub(crate) fn memory(mb: i64) -> String {
    if mb < 1024 {
        format!("{mb} MB")
    } else if mb % 1024 == 0 {
        format!("{} GB", mb / 1024)
    } else {
        format!("{}.{} GB", mb / 1024, (mb % 1024) * 10 / 1024)
    }
}

/// `500 GB`, `1 TB` (providers count transfer in thousands).
pub(crate) fn transfer(gb: i64) -> String {
    if gb >= 1000 && gb % 1000 == 0 {
        format!("{} TB", gb / 1000)
    } else {
        format!("{gb} GB")
    }
}

/// A small coloured mark for an OS logo key (`ubuntu`, `debian`…), with the name beside it in
/// the surrounding text; unknown keys get a neutral one.
#[component]
pub(crate) fn OsLogo(#[prop(into)] logo: String) -> impl IntoView {
    let colour = match logo.split('-').next().unwrap_or_default() {
        "ubuntu" => "bg-orange-100 text-orange-800 dark:bg-orange-950 dark:text-orange-300",
        "debian" => "bg-rose-100 text-rose-800 dark:bg-rose-950 dark:text-rose-300",
        "almalinux" => "bg-sky-100 text-sky-800 dark:bg-sky-950 dark:text-sky-300",
        "rocky" | "rockylinux" => {
            "bg-emerald-100 text-emerald-800 dark:bg-emerald-950 dark:text-emerald-300"
        }
        "centos" => "bg-violet-100 text-violet-800 dark:bg-violet-950 dark:text-violet-300",
        "fedora" => "bg-blue-100 text-blue-800 dark:bg-blue-950 dark:text-blue-300",
        "windows" => "bg-cyan-100 text-cyan-800 dark:bg-cyan-950 dark:text-cyan-300",
        _ => "bg-slate-200 text-slate-700 dark:bg-slate-700 dark:text-slate-200",
    };
    let mut letters = logo.chars().filter(char::is_ascii_alphanumeric);
    let mark: String = letters
        .next()
        .map(|c| c.to_ascii_uppercase())
        .into_iter()
        .chain(letters.next())
        .collect();
    view! {
        <span
            aria-hidden="true"
            title=logo
            class=format!("inline-flex h-6 w-6 shrink-0 items-center justify-center rounded-md text-xs font-bold {colour}")
        >
            {mark}
        </span>
    }
}

#[component]
pub fn PlansPage() -> impl IntoView {
    let i18n = use_i18n();
    let plans = Resource::new(|| (), |_| public_plans());
    view! {
        <PageMeta title=|m| m.catalog_title description=|m| m.seo_plans_description path="/plans" />
        <h1 class="text-3xl font-bold tracking-tight">{move || i18n.t().catalog_title}</h1>
        <p class="mt-2 max-w-2xl text-slate-600 dark:text-slate-400">{move || i18n.t().catalog_lead}</p>
        <Suspense>
            {move || Suspend::new(async move {
                match plans.await {
                    Ok(plans) if !plans.is_empty() => {
                        let sandbox = plans.iter().any(|plan| plan.provider == "sandbox");
                        view! {
                            {sandbox.then(|| view! {
                                <p class="mt-6 rounded-md border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-900 dark:border-amber-800 dark:bg-amber-950 dark:text-amber-200">
                                    {move || i18n.t().catalog_sandbox_note}
                                </p>
                            })}
                            <div class="mt-8 grid gap-6 sm:grid-cols-2 lg:grid-cols-3" data-testid="plans">
                                {plans.into_iter().map(|plan| view! { <PlanCardView plan /> }).collect_view()}
                            </div>
                        }.into_any()
                    }
                    other => no_plans(other.is_err()),
                }
            })}
        </Suspense>
    }
}

/// What stands where the plans would when there are none to show: that they could not be
/// loaded (`failed`), or that none is offered yet.
pub(crate) fn no_plans(failed: bool) -> AnyView {
    let i18n = use_i18n();
    if failed {
        view! { <p role="alert" class="mt-8">{move || i18n.t().catalog_error}</p> }.into_any()
    } else {
        view! {
            <p class="mt-8 rounded-xl border border-dashed border-slate-300 p-8 text-center text-slate-600 dark:border-slate-700 dark:text-slate-400">
                {move || i18n.t().catalog_empty}
            </p>
        }
        .into_any()
    }
}

#[component]
fn PlanCardView(plan: PublicPlan) -> impl IntoView {
    let i18n = use_i18n();
    let sandbox = plan.provider == "sandbox";
    let specs = [
        (
            plan.vcpus.to_string(),
            (|m| m.catalog_vcpu) as crate::ui::Text,
        ),
        (memory(plan.memory_mb), |m| m.catalog_memory),
        (format!("{} GB", plan.disk_gb), |m| m.catalog_disk),
        (transfer(plan.transfer_gb), |m| m.catalog_transfer),
    ];
    let longer: Vec<_> = plan
        .terms
        .into_iter()
        .filter(|term| term.months > 1)
        .collect();
    view! {
        <article data-testid="plan-card" class="flex flex-col rounded-2xl border border-slate-200 bg-white p-6 shadow-sm dark:border-slate-800 dark:bg-slate-900">
            <div class="flex items-start justify-between gap-2">
                <h2 class="text-xl font-semibold">{plan.name}</h2>
                {sandbox.then(|| view! {
                    <span class="rounded-full bg-amber-100 px-2 py-0.5 text-xs font-medium text-amber-900 dark:bg-amber-900 dark:text-amber-100">
                        {move || i18n.t().catalog_sandbox}
                    </span>
                })}
            </div>
            <p class="mt-3">
                <span class="text-3xl font-bold tracking-tight text-sky-700 dark:text-sky-400" data-testid="plan-price">{plan.price_idr_monthly.to_string()}</span>
                <span class="text-sm text-slate-500 dark:text-slate-400">{move || i18n.t().catalog_per_month}</span>
            </p>
            <dl class="mt-5 grid grid-cols-2 gap-3 text-sm">
                {specs.into_iter().map(|(value, label)| view! {
                    <div class="rounded-lg bg-slate-50 px-3 py-2 dark:bg-slate-800/60">
                        <dt class="text-xs text-slate-500 dark:text-slate-400">{move || label(i18n.t())}</dt>
                        <dd class="font-semibold">{value}</dd>
                    </div>
                }).collect_view()}
            </dl>
            {(!longer.is_empty()).then(|| view! {
                <div class="mt-5">
                    <h3 class="text-xs font-semibold uppercase tracking-wide text-slate-500 dark:text-slate-400">{move || i18n.t().catalog_terms}</h3>
                    <ul class="mt-2 space-y-1 text-sm">
                        {longer.into_iter().map(|term| view! {
                            <li class="flex flex-wrap items-baseline justify-between gap-x-2">
                                <span>{term.months} " " {move || i18n.t().catalog_months}</span>
                                <span class="font-medium">
                                    {term.total_idr.to_string()}
                                    {(term.discount_percent > 0).then(|| view! {
                                        <span class="ml-2 rounded bg-emerald-100 px-1.5 py-0.5 text-xs font-medium text-emerald-800 dark:bg-emerald-950 dark:text-emerald-300">
                                            {move || i18n.t().catalog_save} " " {term.discount_percent} "%"
                                        </span>
                                    })}
                                </span>
                            </li>
                        }).collect_view()}
                    </ul>
                </div>
            })}
            <div class="mt-5">
                <h3 class="text-xs font-semibold uppercase tracking-wide text-slate-500 dark:text-slate-400">{move || i18n.t().catalog_regions}</h3>
                <ul class="mt-2 flex flex-wrap gap-2 text-sm" data-testid="plan-regions">
                    {plan.regions.into_iter().map(|region| view! {
                        <li class="rounded-full border border-slate-300 px-2.5 py-0.5 dark:border-slate-700">
                            {region.name}
                            {region.country.map(|country| view! { <span class="ml-1 text-xs text-slate-500 dark:text-slate-400">{country}</span> })}
                        </li>
                    }).collect_view()}
                </ul>
            </div>
            <div class="mt-5">
                <h3 class="text-xs font-semibold uppercase tracking-wide text-slate-500 dark:text-slate-400">{move || i18n.t().catalog_images}</h3>
                <ul class="mt-2 space-y-1.5 text-sm" data-testid="plan-images">
                    {plan.images.into_iter().map(|image| view! {
                        <li class="flex items-center gap-2"><OsLogo logo=image.logo />{image.name}</li>
                    }).collect_view()}
                </ul>
            </div>
            <A href=format!("/order?plan={}", plan.id) attr:data-testid="order-plan" attr:class="mt-6 inline-flex items-center justify-center rounded-md bg-sky-700 px-4 py-2 font-medium text-white shadow-sm hover:bg-sky-800 dark:bg-sky-500 dark:text-slate-950 dark:hover:bg-sky-400">
                {move || i18n.t().orders_order_button}
            </A>
        </article>
    }
}

/// A 1 vCPU plan of `provider` at Rp 75.000 a month, sold nowhere yet: tests add the regions
/// and images they are about.
#[cfg(test)]
pub(crate) fn sample_plan(provider: &str) -> PublicPlan {
    PublicPlan {
        id: model::PlanId(7),
        name: "Nano".into(),
        provider: provider.into(),
        vcpus: 1,
        memory_mb: 1024,
        disk_gb: 25,
        transfer_gb: 1000,
        price_idr_monthly: model::Rupiah(75_000),
        discount_3m_percent: 0,
        discount_6m_percent: 0,
        discount_12m_percent: 0,
        terms: Vec::new(),
        regions: Vec::new(),
        images: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_people_say_them() {
        assert_eq!(memory(512), "512 MB");
        assert_eq!(memory(2048), "2 GB");
        assert_eq!(memory(1536), "1.5 GB");
        assert_eq!(transfer(500), "500 GB");
        assert_eq!(transfer(4000), "4 TB");
        assert_eq!(transfer(1500), "1500 GB");
    }
}
