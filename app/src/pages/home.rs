//! The landing page: what we sell and why, the plans on sale with their prices in rupiah, and
//! the questions people ask before they order. The images come from `scripts/landing-assets`.

use leptos::prelude::*;
use leptos_meta::Link;
use leptos_router::components::A;

use crate::catalog::public_plans;
use crate::errors::AppError;
use crate::i18n::{Messages, use_i18n};
use crate::pages::catalog::{memory, no_plans, transfer};
use crate::preferences::{Theme, use_theme};
use crate::seo::PageMeta;
use crate::session::use_session;
use crate::ui::Text;
use model::catalog::PublicPlan;
use model::{PlanId, Rupiah};

const IMAGES: &str = "/images/landing";
/// The widths the hero screenshot is made in; the browser picks one by the `sizes` below.
const HERO_WIDTHS: [u32; 5] = [640, 720, 960, 1280, 1920];
/// The image's real width in CSS pixels, from the layout's paddings (`px-4`, `sm:px-6`), the
/// `max-w-6xl` column and the `lg` grid (`5fr 6fr`, `gap-10`): an estimate that is too wide
/// makes a phone fetch the next larger file, and the hero is what a phone paints last.
const HERO_SIZES: &str = "(min-width: 1152px) 580px, (min-width: 1024px) calc((100vw - 88px) * 6 / 11), (min-width: 640px) calc(100vw - 48px), calc(100vw - 32px)";
const PRIMARY_BUTTON: &str = "inline-flex items-center justify-center rounded-md bg-sky-700 px-5 py-3 font-semibold text-white shadow-sm hover:bg-sky-800 focus-visible:outline focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-sky-600 dark:bg-sky-400 dark:text-slate-950 dark:hover:bg-sky-300";
const SECONDARY_BUTTON: &str = "inline-flex items-center justify-center rounded-md border border-slate-300 bg-white px-5 py-3 font-semibold text-slate-800 hover:bg-slate-100 dark:border-slate-700 dark:bg-slate-900 dark:text-slate-100 dark:hover:bg-slate-800";
const SECTION_TITLE: &str = "text-2xl font-bold tracking-tight sm:text-3xl";
const CARD: &str = "rounded-2xl border border-slate-200 bg-white p-6 shadow-sm dark:border-slate-800 dark:bg-slate-900";

fn theme_name(theme: Theme) -> &'static str {
    match theme {
        Theme::Light => "light",
        Theme::Dark => "dark",
    }
}

type Plans = Resource<Result<Vec<PublicPlan>, AppError>>;

#[component]
pub fn HomePage() -> impl IntoView {
    // What the page claims (providers, regions) comes from what is on sale, like its prices.
    let plans: Plans = Resource::new(|| (), |_| public_plans());
    view! {
        <PageMeta title=|m| m.home_meta_title description=|m| m.home_description path="/" />
        <Hero />
        <Features plans />
        <Presence plans />
        <Payments />
        <Pricing plans />
        <WhyUs />
        <Faq />
        <FinalCall />
    }
}

#[component]
fn Hero() -> impl IntoView {
    let i18n = use_i18n();
    let theme = use_theme();
    let srcset = move || {
        let theme = theme_name(theme.get());
        HERO_WIDTHS
            .iter()
            .map(|width| format!("{IMAGES}/dashboard-{theme}-{width}.webp {width}w"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let src = move || format!("{IMAGES}/dashboard-{}-1280.webp", theme_name(theme.get()));
    view! {
        // Asked for from the head, before the parser reaches the image: on a phone it is the
        // largest thing in view, and it arrives in time for the first paint.
        <Link rel="preload" as_="image" imagesrcset=srcset() imagesizes=HERO_SIZES fetchpriority="high" />
        <section class="grid items-center gap-10 pb-16 pt-4 lg:grid-cols-[5fr_6fr] lg:pt-10">
            <div>
                <p class="text-sm font-semibold uppercase tracking-wider text-sky-700 dark:text-sky-400">
                    {move || i18n.t().site_tagline}
                </p>
                <h1 class="mt-3 text-4xl font-bold tracking-tight sm:text-5xl">
                    {move || i18n.t().home_title}
                </h1>
                <p class="mt-5 text-lg text-slate-600 dark:text-slate-300">
                    {move || i18n.t().home_lead}
                </p>
                <div class="mt-8 flex flex-wrap gap-3">
                    <A href="/signup" attr:class=PRIMARY_BUTTON attr:data-testid="hero-signup">
                        {move || i18n.t().home_cta_signup}
                    </A>
                    <a href="#pricing" class=SECONDARY_BUTTON data-testid="hero-plans">
                        {move || i18n.t().home_cta_plans}
                    </a>
                </div>
                <p class="mt-5 text-sm text-slate-600 dark:text-slate-400">
                    {move || i18n.t().home_hero_note}
                </p>
            </div>
            <img
                srcset=srcset
                src=src
                sizes=HERO_SIZES
                width="1920"
                height="1200"
                fetchpriority="high"
                alt=move || i18n.t().home_hero_alt
                data-testid="hero-image"
                class="h-auto w-full rounded-xl border border-slate-200 shadow-xl shadow-slate-300/40 dark:border-slate-800 dark:shadow-black/40"
            />
        </section>
    }
}

/// A 24-pixel line icon; `paths` is the `d` of each stroke.
#[component]
fn Icon(paths: &'static [&'static str]) -> impl IntoView {
    view! {
        <span class="inline-flex h-10 w-10 items-center justify-center rounded-lg bg-sky-100 text-sky-700 dark:bg-sky-950 dark:text-sky-300">
            <svg class="h-6 w-6" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true">
                {paths.iter().map(|d| view! { <path d=*d /> }).collect_view()}
            </svg>
        </span>
    }
}

const FEATURES: [(&[&str], Text, Text); 4] = [
    (
        // A drive with its activity light.
        &["M3 7h18v10H3z", "M7 12h6", "M17 12h.01"],
        |m| m.home_point_nvme_title,
        |m| m.home_point_nvme_body,
    ),
    (
        // A lightning bolt.
        &["M13 2 4 14h7l-1 8 9-12h-7z"],
        |m| m.home_point_speed_title,
        |m| m.home_point_speed_body,
    ),
    (
        // A terminal prompt.
        &["M3 5h18v14H3z", "m7 10 3 2-3 2", "M13 15h4"],
        |m| m.home_point_console_title,
        |m| m.home_point_console_body,
    ),
    (
        // A shield with a tick.
        &[
            "M12 3 4 6v6c0 5 3.5 8 8 9 4.5-1 8-4 8-9V6z",
            "m9 12 2 2 4-4",
        ],
        |m| m.home_point_security_title,
        |m| m.home_point_security_body,
    ),
];

/// The real clouds the plans on sale run on, by their own names, in the order first sold; the
/// sandbox is no one's infrastructure.
fn clouds_on_sale(plans: &[PublicPlan]) -> Vec<&'static str> {
    each_once(plans.iter().filter_map(|plan| cloud_name(&plan.provider)))
}

/// `items` without repeats, in the order each first came.
fn each_once<T: PartialEq>(items: impl IntoIterator<Item = T>) -> Vec<T> {
    let mut once = Vec::new();
    for item in items {
        if !once.contains(&item) {
            once.push(item);
        }
    }
    once
}

fn cloud_name(provider: &str) -> Option<&'static str> {
    match provider {
        "digitalocean" => Some("DigitalOcean"),
        "vultr" => Some("Vultr"),
        "linode" => Some("Linode"),
        _ => None,
    }
}

/// "A, B and C" (`and` in the page's language).
fn listed(names: &[&str], and: &str) -> String {
    match names {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [rest @ .., last] => format!("{} {and} {last}", rest.join(", ")),
    }
}

/// The regions the plans on sale run in, each once, with its country.
fn regions_on_sale(plans: &[PublicPlan]) -> Vec<String> {
    each_once(
        plans
            .iter()
            .flat_map(|plan| &plan.regions)
            .map(|region| match &region.country {
                Some(country) => format!("{}, {country}", region.name),
                None => region.name.clone(),
            }),
    )
}

/// "Real servers on DigitalOcean and Vultr infrastructure…", or a lead that names no cloud.
fn features_lead(m: &'static Messages, clouds: &[&str]) -> String {
    if clouds.is_empty() {
        m.home_features_lead.to_owned()
    } else {
        format!(
            "{}{}{}",
            m.home_features_lead_clouds_before,
            listed(clouds, m.home_and),
            m.home_features_lead_clouds_after
        )
    }
}

#[component]
fn Features(plans: Plans) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <section aria-labelledby="features-title" class="py-12">
            <h2 id="features-title" class=SECTION_TITLE>{move || i18n.t().home_features_title}</h2>
            <Suspense>
                {move || Suspend::new(async move {
                    let clouds = plans.await.map(|plans| clouds_on_sale(&plans)).unwrap_or_default();
                    view! {
                        <p class="mt-3 max-w-2xl text-slate-600 dark:text-slate-400" data-testid="features-lead">
                            {move || features_lead(i18n.t(), &clouds)}
                        </p>
                    }
                })}
            </Suspense>
            <div class="mt-8 grid gap-5 sm:grid-cols-2 lg:grid-cols-4">
                {FEATURES
                    .into_iter()
                    .map(|(icon, title, body)| {
                        view! {
                            <article class=CARD>
                                <Icon paths=icon />
                                <h3 class="mt-4 font-semibold">{move || title(i18n.t())}</h3>
                                <p class="mt-2 text-sm text-slate-600 dark:text-slate-400">
                                    {move || body(i18n.t())}
                                </p>
                            </article>
                        }
                    })
                    .collect_view()}
            </div>
        </section>
    }
}

#[component]
fn Presence(plans: Plans) -> impl IntoView {
    let i18n = use_i18n();
    let theme = use_theme();
    view! {
        <section aria-labelledby="presence-title" class="grid items-center gap-8 py-12 lg:grid-cols-[2fr_3fr]">
            <div>
                <h2 id="presence-title" class=SECTION_TITLE>{move || i18n.t().home_map_title}</h2>
                <p class="mt-3 text-slate-600 dark:text-slate-400">{move || i18n.t().home_map_body}</p>
                <h3 class="mt-6 text-xs font-semibold uppercase tracking-wide text-slate-600 dark:text-slate-400">
                    {move || i18n.t().home_map_regions}
                </h3>
                <Suspense>
                    {move || Suspend::new(async move {
                        let regions = plans.await.map(|plans| regions_on_sale(&plans)).unwrap_or_default();
                        if regions.is_empty() {
                            view! { <p class="mt-2 text-sm text-slate-600 dark:text-slate-400" data-testid="regions-on-sale">{move || i18n.t().home_map_none}</p> }.into_any()
                        } else {
                            view! {
                                <ul class="mt-2 flex flex-wrap gap-2 text-sm font-medium" data-testid="regions-on-sale">
                                    {regions.into_iter().map(|region| view! {
                                        <li class="rounded-full border border-sky-300 bg-sky-50 px-3 py-1 text-sky-900 dark:border-sky-800 dark:bg-sky-950 dark:text-sky-200">{region}</li>
                                    }).collect_view()}
                                </ul>
                            }.into_any()
                        }
                    })}
                </Suspense>
            </div>
            <img
                src=move || format!("{IMAGES}/indonesia-map-{}.svg", theme_name(theme.get()))
                width="960"
                height="400"
                loading="lazy"
                decoding="async"
                alt=move || i18n.t().home_map_alt
                data-testid="map"
                class="h-auto w-full"
            />
        </section>
    }
}

/// The methods Tripay offers us, grouped as customers look for them.
const PAYMENT_GROUPS: [(Text, &[&str]); 3] = [
    (|m| m.home_payments_qris, &["QRIS"]),
    (
        |m| m.home_payments_va,
        &["BCA", "BNI", "BRI", "Mandiri", "Permata"],
    ),
    (|m| m.home_payments_ewallet, &["OVO", "DANA", "ShopeePay"]),
];

#[component]
fn Payments() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <section aria-labelledby="payments-title" class="py-12">
            <div class=format!("{CARD} grid gap-8 lg:grid-cols-2 lg:items-center")>
                <div>
                    <h2 id="payments-title" class=SECTION_TITLE>{move || i18n.t().home_payments_title}</h2>
                    <p class="mt-3 text-slate-600 dark:text-slate-400">{move || i18n.t().home_payments_body}</p>
                </div>
                <div aria-label=move || i18n.t().home_payments_label role="group" class="space-y-4" data-testid="payment-methods">
                    {PAYMENT_GROUPS
                        .into_iter()
                        .map(|(group, methods)| {
                            view! {
                                <div>
                                    <h3 class="text-xs font-semibold uppercase tracking-wide text-slate-600 dark:text-slate-400">
                                        {move || group(i18n.t())}
                                    </h3>
                                    <ul class="mt-2 flex flex-wrap gap-2">
                                        {methods
                                            .iter()
                                            .map(|method| view! {
                                                <li class="rounded-md border border-slate-300 bg-slate-50 px-3 py-1.5 text-sm font-semibold text-slate-800 dark:border-slate-700 dark:bg-slate-800 dark:text-slate-100">
                                                    {*method}
                                                </li>
                                            })
                                            .collect_view()}
                                    </ul>
                                </div>
                            }
                        })
                        .collect_view()}
                </div>
            </div>
        </section>
    }
}

/// The billing periods we sell, with their toggle labels.
const PERIODS: [(i64, Text); 4] = [
    (1, |m| m.pricing_period_1),
    (3, |m| m.pricing_period_3),
    (6, |m| m.pricing_period_6),
    (12, |m| m.pricing_period_12),
];

/// Where an "Order" button leads: straight into the order form, or through sign-up first.
fn order_link(plan: PlanId, signed_in: bool) -> String {
    if signed_in {
        format!("/order?plan={plan}")
    } else {
        format!("/signup?next=%2Forder%3Fplan%3D{plan}")
    }
}

#[component]
fn Pricing(plans: Plans) -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let period = RwSignal::new(1_i64);
    view! {
        <section id="pricing" aria-labelledby="pricing-title" class="scroll-mt-8 py-12">
            <div class="flex flex-wrap items-end justify-between gap-4">
                <div>
                    <h2 id="pricing-title" class=SECTION_TITLE>{move || i18n.t().pricing_title}</h2>
                    <p class="mt-3 max-w-2xl text-slate-600 dark:text-slate-400">{move || i18n.t().pricing_lead}</p>
                </div>
                <div
                    role="group"
                    aria-label=move || i18n.t().pricing_period_label
                    class="inline-flex rounded-lg border border-slate-300 bg-white p-1 text-sm font-medium dark:border-slate-700 dark:bg-slate-900"
                >
                    {PERIODS
                        .into_iter()
                        .map(|(months, label)| view! {
                            <button
                                type="button"
                                data-testid=format!("period-{months}")
                                aria-pressed=move || (period.get() == months).to_string()
                                on:click=move |_| period.set(months)
                                class="rounded-md px-3 py-1.5 text-slate-700 hover:bg-slate-100 aria-pressed:bg-sky-700 aria-pressed:text-white dark:text-slate-200 dark:hover:bg-slate-800 dark:aria-pressed:bg-sky-400 dark:aria-pressed:text-slate-950"
                            >
                                {move || label(i18n.t())}
                            </button>
                        })
                        .collect_view()}
                </div>
            </div>
            <Suspense>
                {move || Suspend::new(async move {
                    let signed_in = matches!(session.user.await, Ok(Some(_)));
                    match plans.await {
                        Ok(plans) if !plans.is_empty() => view! {
                            <div class="mt-8 grid gap-5 sm:grid-cols-2 lg:grid-cols-3" data-testid="pricing-plans">
                                {plans.into_iter().take(6).map(|plan| view! { <PriceCard plan period signed_in /> }).collect_view()}
                            </div>
                        }.into_any(),
                        other => no_plans(other.is_err()),
                    }
                })}
            </Suspense>
            <A href="/plans" attr:class="mt-6 inline-block font-medium text-sky-700 hover:underline dark:text-sky-400" attr:data-testid="all-plans">
                {move || i18n.t().pricing_all_plans} " →"
            </A>
        </section>
    }
}

#[component]
fn PriceCard(plan: PublicPlan, period: RwSignal<i64>, signed_in: bool) -> impl IntoView {
    let i18n = use_i18n();
    let terms = plan.terms.clone();
    let term = move || {
        terms
            .iter()
            .find(|term| term.months == period.get())
            .cloned()
    };
    let monthly = {
        let term = term.clone();
        let list_price = plan.price_idr_monthly;
        move || {
            term()
                .map(|term| Rupiah(term.total_idr.0 / term.months))
                .unwrap_or(list_price)
        }
    };
    let specs = format!(
        "{} vCPU · {} RAM · {} GB NVMe · {}",
        plan.vcpus,
        memory(plan.memory_mb),
        plan.disk_gb,
        transfer(plan.transfer_gb)
    );
    let regions = plan
        .regions
        .iter()
        .map(|region| region.name.clone())
        .collect::<Vec<_>>()
        .join(", ");
    view! {
        <article data-testid="price-card" class=format!("{CARD} flex flex-col")>
            <h3 class="text-lg font-semibold">{plan.name}</h3>
            <p class="mt-1 text-sm text-slate-600 dark:text-slate-400">{specs}</p>
            <p class="mt-4">
                <span class="text-3xl font-bold tracking-tight text-sky-700 dark:text-sky-400" data-testid="price">
                    {move || monthly().to_string()}
                </span>
                " "
                <span class="text-sm text-slate-600 dark:text-slate-400">{move || i18n.t().pricing_per_month_equivalent}</span>
            </p>
            <p class="mt-1 min-h-6 text-sm text-slate-600 dark:text-slate-400" data-testid="price-term">
                {move || term().filter(|term| term.months > 1).map(|term| view! {
                    {term.total_idr.to_string()} " " {i18n.t().pricing_billed_for} " " {term.months} " " {i18n.t().pricing_months}
                    {(term.discount_percent > 0).then(|| view! {
                        <span class="ml-2 rounded bg-emerald-100 px-1.5 py-0.5 text-xs font-semibold text-emerald-900 dark:bg-emerald-950 dark:text-emerald-200">
                            {i18n.t().catalog_save} " " {term.discount_percent} "%"
                        </span>
                    })}
                })}
            </p>
            <p class="mt-3 text-sm text-slate-600 dark:text-slate-400">
                {move || i18n.t().pricing_from_region} " " {regions}
            </p>
            <A
                href=order_link(plan.id, signed_in)
                attr:data-testid="price-order"
                attr:class=format!("{PRIMARY_BUTTON} mt-6")
            >
                {move || i18n.t().orders_order_button}
            </A>
        </article>
    }
}

const REASONS: [(Text, Text); 3] = [
    (|m| m.home_why_price_title, |m| m.home_why_price_body),
    (|m| m.home_why_language_title, |m| m.home_why_language_body),
    (|m| m.home_why_live_title, |m| m.home_why_live_body),
];

#[component]
fn WhyUs() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <section aria-labelledby="why-title" class="py-12">
            <h2 id="why-title" class=SECTION_TITLE>{move || i18n.t().home_why_title}</h2>
            <div class="mt-8 grid gap-5 md:grid-cols-3">
                {REASONS
                    .into_iter()
                    .map(|(title, body)| view! {
                        <div class="border-l-4 border-sky-600 pl-4 dark:border-sky-400">
                            <h3 class="font-semibold">{move || title(i18n.t())}</h3>
                            <p class="mt-2 text-sm text-slate-600 dark:text-slate-400">{move || body(i18n.t())}</p>
                        </div>
                    })
                    .collect_view()}
            </div>
        </section>
    }
}

const QUESTIONS: [(Text, Text); 6] = [
    (|m| m.faq_ready_q, |m| m.faq_ready_a),
    (|m| m.faq_pay_q, |m| m.faq_pay_a),
    (|m| m.faq_months_q, |m| m.faq_months_a),
    (|m| m.faq_root_q, |m| m.faq_root_a),
    (|m| m.faq_where_q, |m| m.faq_where_a),
    (|m| m.faq_renew_q, |m| m.faq_renew_a),
];

/// Questions as a native accordion: `<details>` opens with keyboard and screen readers, and
/// works before the page is hydrated.
#[component]
fn Faq() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <section aria-labelledby="faq-title" class="py-12" data-testid="faq">
            <h2 id="faq-title" class=SECTION_TITLE>{move || i18n.t().faq_title}</h2>
            <div class="mt-6 divide-y divide-slate-200 rounded-2xl border border-slate-200 bg-white dark:divide-slate-800 dark:border-slate-800 dark:bg-slate-900">
                {QUESTIONS
                    .into_iter()
                    .map(|(question, answer)| view! {
                        <details class="group px-5 py-4">
                            <summary class="flex cursor-pointer list-none items-center justify-between gap-4 font-medium">
                                {move || question(i18n.t())}
                                <span aria-hidden="true" class="text-xl text-slate-500 transition-transform group-open:rotate-45 dark:text-slate-400">"+"</span>
                            </summary>
                            <p class="mt-3 text-slate-600 dark:text-slate-400">{move || answer(i18n.t())}</p>
                        </details>
                    })
                    .collect_view()}
            </div>
        </section>
    }
}

#[component]
fn FinalCall() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <section class="my-12 rounded-2xl bg-sky-800 px-6 py-10 text-center text-white dark:bg-sky-900">
            <h2 class="text-2xl font-bold tracking-tight sm:text-3xl">{move || i18n.t().home_final_title}</h2>
            <p class="mx-auto mt-3 max-w-xl text-sky-100">{move || i18n.t().home_final_body}</p>
            <A
                href="/signup"
                attr:data-testid="final-signup"
                attr:class="mt-6 inline-flex items-center justify-center rounded-md bg-white px-5 py-3 font-semibold text-sky-900 hover:bg-sky-50"
            >
                {move || i18n.t().home_cta_signup}
            </A>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visitors_order_through_sign_up_and_customers_directly() {
        assert_eq!(order_link(PlanId(7), true), "/order?plan=7");
        assert_eq!(
            order_link(PlanId(7), false),
            "/signup?next=%2Forder%3Fplan%3D7"
        );
    }

    fn plan(provider: &str, regions: &[(&str, Option<&str>)]) -> PublicPlan {
        PublicPlan {
            regions: regions
                .iter()
                .map(|(name, country)| model::catalog::OfferedRegion {
                    provider: provider.into(),
                    slug: name.to_lowercase(),
                    name: (*name).into(),
                    country: country.map(str::to_owned),
                })
                .collect(),
            ..crate::pages::catalog::sample_plan(provider)
        }
    }

    #[test]
    fn the_landing_names_only_the_clouds_and_regions_on_sale() {
        let plans = [
            plan("vultr", &[("Jakarta", Some("ID"))]),
            plan("sandbox", &[("Sandbox Tokyo 1", Some("JP"))]),
            plan(
                "digitalocean",
                &[("Singapore", Some("SG")), ("Jakarta", Some("ID"))],
            ),
            plan("vultr", &[("Lab", None)]),
        ];
        assert_eq!(clouds_on_sale(&plans), ["Vultr", "DigitalOcean"]);
        assert_eq!(
            regions_on_sale(&plans),
            ["Jakarta, ID", "Sandbox Tokyo 1, JP", "Singapore, SG", "Lab"]
        );
        assert!(clouds_on_sale(&plans[1..2]).is_empty());

        let m = crate::i18n::Lang::En.messages();
        assert_eq!(
            features_lead(m, &["Vultr", "DigitalOcean", "Linode"]),
            "Real servers on Vultr, DigitalOcean and Linode infrastructure, run from one fast panel."
        );
        assert_eq!(features_lead(m, &[]), m.home_features_lead);
        let m = crate::i18n::Lang::Id.messages();
        assert_eq!(
            features_lead(m, &["Vultr", "Linode"]),
            "Server sungguhan di infrastruktur Vultr dan Linode, dikelola dari satu panel yang cepat."
        );
    }
}
