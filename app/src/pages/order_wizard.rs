//! Ordering a server: the wizard (plan → region → image → details → review with the price),
//! from the plan the catalogue's "order" link chose, if any.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::PageTitle;
use crate::catalog::public_plans;
use crate::i18n::{Lang, Messages, use_i18n};
use crate::orders::{CheckHostname, PlaceOrder, QuoteOrder, preview_price, tax_percent};
use crate::pages::account::RequireUser;
use crate::pages::catalog::{OsLogo, memory, transfer};
use crate::pages::orders::{OrderErrorNotice, months_text, order_error_text};
use crate::ssh_keys::my_ssh_keys;
use crate::ui::style::{INPUT, LINK, PANEL, PRIMARY, SECONDARY};
use crate::ui::{Fact, RadioCard, Text, nothing_listed};
use model::Rupiah;
use model::catalog::PublicPlan;
use model::ids::{PlanId, SshKeyId};
use model::orders::{OrderRequest, Quote};

const CHOICE: &str = "flex w-full flex-col items-start gap-1 rounded-xl border border-slate-200 bg-white p-4 text-left shadow-sm hover:border-sky-400 aria-pressed:border-sky-600 aria-pressed:ring-2 aria-pressed:ring-sky-500/30 dark:border-slate-800 dark:bg-slate-900 dark:hover:border-sky-600 dark:aria-pressed:border-sky-400";

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Step {
    Plan,
    Region,
    Image,
    Details,
    Review,
}

impl Step {
    const ALL: [Step; 5] = [
        Step::Plan,
        Step::Region,
        Step::Image,
        Step::Details,
        Step::Review,
    ];

    fn label(self, m: &'static Messages) -> &'static str {
        match self {
            Step::Plan => m.orders_step_plan,
            Step::Region => m.orders_step_region,
            Step::Image => m.orders_step_image,
            Step::Details => m.orders_step_details,
            Step::Review => m.orders_step_review,
        }
    }
}

/// What the customer has chosen so far.
#[derive(Clone, Copy)]
struct Draft {
    step: RwSignal<Step>,
    plan: RwSignal<Option<i64>>,
    region: RwSignal<Option<String>>,
    image: RwSignal<Option<String>>,
    hostname: RwSignal<String>,
    period: RwSignal<i64>,
    keys: RwSignal<Vec<i64>>,
    coupon: RwSignal<String>,
}

impl Draft {
    fn new(plan: Option<i64>) -> Self {
        Self {
            step: RwSignal::new(if plan.is_some() {
                Step::Region
            } else {
                Step::Plan
            }),
            plan: RwSignal::new(plan),
            region: RwSignal::new(None),
            image: RwSignal::new(None),
            hostname: RwSignal::new(String::new()),
            period: RwSignal::new(1),
            keys: RwSignal::new(Vec::new()),
            coupon: RwSignal::new(String::new()),
        }
    }

    fn input(self) -> OrderRequest {
        let coupon = self.coupon.get_untracked().trim().to_owned();
        OrderRequest {
            plan_id: PlanId(self.plan.get_untracked().unwrap_or_default()),
            region: self.region.get_untracked().unwrap_or_default(),
            image: self.image.get_untracked().unwrap_or_default(),
            hostname: self.hostname.get_untracked().trim().to_owned(),
            period_months: self.period.get_untracked(),
            ssh_key_ids: self
                .keys
                .get_untracked()
                .into_iter()
                .map(SshKeyId)
                .collect(),
            coupon: (!coupon.is_empty()).then_some(coupon),
        }
    }
}

#[component]
pub fn NewOrderPage() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <PageTitle text=|m| m.orders_new_title />
        <h1 class="text-3xl font-bold tracking-tight">{move || i18n.t().orders_new_title}</h1>
        <RequireUser view=|me: model::accounts::User| view! { <Wizard verified=me.email_verified /> } />
    }
}

#[component]
fn Wizard(verified: bool) -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let chosen = query
        .read_untracked()
        .get("plan")
        .and_then(|id| id.parse::<i64>().ok());
    let draft = Draft::new(chosen);
    let plans = Resource::new(|| (), |_| public_plans());
    view! {
        {(!verified).then(|| view! {
            <p data-testid="unverified-notice" class="mt-4 rounded-md border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-900 dark:border-amber-800 dark:bg-amber-950 dark:text-amber-200">
                {move || i18n.t().auth_unverified} " "
                <A href="/account" attr:class="font-medium underline">{move || i18n.t().orders_verify_link}</A>
            </p>
        })}
        <Suspense>
            {move || Suspend::new(async move {
                match plans.await {
                    Ok(plans) if !plans.is_empty() => view! { <WizardSteps plans draft /> }.into_any(),
                    other => nothing_listed(other.err(), |m| m.catalog_empty),
                }
            })}
        </Suspense>
    }
}

#[component]
fn WizardSteps(plans: Vec<PublicPlan>, draft: Draft) -> impl IntoView {
    let plans = StoredValue::new(plans);
    let plan = Memo::new(move |_| {
        let id = draft.plan.get();
        plans.with_value(|plans| plans.iter().find(|plan| Some(plan.id.get()) == id).cloned())
    });
    // A plan named in the link that is not on sale starts the wizard at the beginning.
    let step = Memo::new(move |_| match plan.get() {
        None => Step::Plan,
        Some(_) => draft.step.get(),
    });
    // The details step asks for the price; the review shows the answer it got.
    let quote = ServerAction::<QuoteOrder>::new();
    view! {
        <Stepper step draft />
        <div class="mt-6" data-testid="wizard" data-step=move || format!("{:?}", step.get()).to_lowercase()>
            {move || match step.get() {
                Step::Plan => view! { <PlanStep plans=plans.get_value() draft /> }.into_any(),
                Step::Region => plan.get().map(|plan| view! { <RegionStep plan draft /> }.into_any()).unwrap_or_else(|| ().into_any()),
                Step::Image => plan.get().map(|plan| view! { <ImageStep plan draft /> }.into_any()).unwrap_or_else(|| ().into_any()),
                Step::Details => plan.get().map(|plan| view! { <DetailsStep plan draft quote /> }.into_any()).unwrap_or_else(|| ().into_any()),
                Step::Review => plan.get().map(|plan| view! { <ReviewStep plan draft quote /> }.into_any()).unwrap_or_else(|| ().into_any()),
            }}
        </div>
    }
}

/// The steps, numbered; earlier ones can be gone back to.
#[component]
fn Stepper(step: Memo<Step>, draft: Draft) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <ol class="mt-6 flex flex-wrap gap-2 text-sm" aria-label=move || i18n.t().orders_steps>
            {Step::ALL.into_iter().enumerate().map(|(index, this)| {
                let state = move || {
                    let current = step.get();
                    if this == current { "current" } else if this < current { "done" } else { "todo" }
                };
                view! {
                    <li>
                        <button
                            type="button"
                            disabled=move || state() != "done"
                            aria-current=move || (state() == "current").then_some("step")
                            on:click=move |_| draft.step.set(this)
                            class=move || {
                                let look = match state() {
                                    "current" => "border-sky-600 bg-sky-700 text-white dark:border-sky-400 dark:bg-sky-500 dark:text-slate-950",
                                    "done" => "border-sky-300 text-sky-800 hover:bg-sky-50 dark:border-sky-800 dark:text-sky-300 dark:hover:bg-sky-950",
                                    _ => "border-slate-200 text-slate-500 dark:border-slate-800 dark:text-slate-400",
                                };
                                format!("flex items-center gap-2 rounded-full border px-3 py-1 font-medium {look}")
                            }
                        >
                            <span class="font-mono text-xs">{index + 1}</span>
                            {move || this.label(i18n.t())}
                        </button>
                    </li>
                }
            }).collect_view()}
        </ol>
    }
}

#[component]
fn StepHeading(text: Text) -> impl IntoView {
    let i18n = use_i18n();
    view! { <h2 class="text-xl font-semibold">{move || text(i18n.t())}</h2> }
}

#[component]
fn BackButton(draft: Draft, to: Step) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <button type="button" class=SECONDARY data-testid="wizard-back" on:click=move |_| draft.step.set(to)>
            "← " {move || i18n.t().orders_back}
        </button>
    }
}

#[component]
fn PlanStep(plans: Vec<PublicPlan>, draft: Draft) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <StepHeading text=|m| m.orders_choose_plan />
        <div class="mt-4 grid gap-4 sm:grid-cols-2 lg:grid-cols-3">
            {plans.into_iter().map(|plan| {
                let id = plan.id.get();
                let specs = format!(
                    "{} vCPU · {} RAM · {} GB NVMe · {}",
                    plan.vcpus, memory(plan.memory_mb), plan.disk_gb, transfer(plan.transfer_gb)
                );
                view! {
                    <button
                        type="button"
                        class=CHOICE
                        data-testid="choose-plan"
                        data-plan=plan.name.clone()
                        aria-pressed=move || (draft.plan.get() == Some(id)).to_string()
                        on:click=move |_| {
                            if draft.plan.get_untracked() != Some(id) {
                                draft.plan.set(Some(id));
                                draft.region.set(None);
                                draft.image.set(None);
                                draft.period.set(1);
                            }
                            draft.step.set(Step::Region);
                        }
                    >
                        <span class="text-lg font-semibold">{plan.name.clone()}</span>
                        <span>
                            <span class="text-2xl font-bold text-sky-700 dark:text-sky-400">{plan.price_idr_monthly.to_string()}</span>
                            <span class="text-sm text-slate-500 dark:text-slate-400">{move || i18n.t().catalog_per_month}</span>
                        </span>
                        <span class="text-sm text-slate-600 dark:text-slate-400">{specs}</span>
                    </button>
                }
            }).collect_view()}
        </div>
    }
}

#[component]
fn RegionStep(plan: PublicPlan, draft: Draft) -> impl IntoView {
    view! {
        <StepHeading text=|m| m.orders_choose_region />
        <div class="mt-4 grid gap-4 sm:grid-cols-2 lg:grid-cols-3">
            {plan.regions.into_iter().map(|region| {
                let slug = region.slug.clone();
                let pressed = slug.clone();
                view! {
                    <button
                        type="button"
                        class=CHOICE
                        data-testid="choose-region"
                        aria-pressed=move || (draft.region.get().as_deref() == Some(pressed.as_str())).to_string()
                        on:click=move |_| {
                            draft.region.set(Some(slug.clone()));
                            draft.step.set(Step::Image);
                        }
                    >
                        <span class="font-semibold">{region.name}</span>
                        <span class="text-sm text-slate-500 dark:text-slate-400">{region.country.unwrap_or_default()}</span>
                    </button>
                }
            }).collect_view()}
        </div>
        <div class="mt-6"><BackButton draft to=Step::Plan /></div>
    }
}

#[component]
fn ImageStep(plan: PublicPlan, draft: Draft) -> impl IntoView {
    view! {
        <StepHeading text=|m| m.orders_choose_image />
        <div class="mt-4 grid gap-4 sm:grid-cols-2 lg:grid-cols-3">
            {plan.images.into_iter().map(|image| {
                let slug = image.slug.clone();
                let pressed = slug.clone();
                view! {
                    <button
                        type="button"
                        class=format!("{CHOICE} flex-row! items-center!")
                        data-testid="choose-image"
                        aria-pressed=move || (draft.image.get().as_deref() == Some(pressed.as_str())).to_string()
                        on:click=move |_| {
                            draft.image.set(Some(slug.clone()));
                            draft.step.set(Step::Details);
                        }
                    >
                        <OsLogo logo=image.logo />
                        <span class="font-semibold">{image.name}</span>
                    </button>
                }
            }).collect_view()}
        </div>
        <div class="mt-6"><BackButton draft to=Step::Region /></div>
    }
}

#[component]
fn DetailsStep(plan: PublicPlan, draft: Draft, quote: ServerAction<QuoteOrder>) -> impl IntoView {
    let i18n = use_i18n();
    // A good quote leads on to the review, a refused one stays here with its message. The first
    // run only notes the quote from an earlier visit, so going back here stays here.
    Effect::new(move |seen: Option<()>| {
        if seen.is_some() && matches!(quote.value().get(), Some(Ok(_))) {
            draft.step.set(Step::Review);
        }
        quote.value().track();
    });
    let keys = Resource::new(|| (), |_| my_ssh_keys());
    let check = ServerAction::<CheckHostname>::new();
    let check_soon = after_typing(move || {
        check.dispatch(CheckHostname {
            hostname: draft.hostname.get_untracked(),
        });
    });
    // The price follows the period at once and the coupon once it is typed.
    let coupon_typed = RwSignal::new(draft.coupon.get_untracked());
    let coupon_soon = after_typing(move || coupon_typed.set(draft.coupon.get_untracked()));
    let live_price = Resource::new(
        move || (draft.period.get(), coupon_typed.get()),
        move |_| preview_price(draft.input()),
    );
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        quote.dispatch(QuoteOrder {
            order: draft.input(),
        });
    };
    view! {
        <StepHeading text=|m| m.orders_details />
        <form class="mt-4 grid gap-6 lg:grid-cols-2" on:submit=submit data-testid="details-form">
            <div class="space-y-5">
                <label class="block">
                    <span class="text-sm font-medium text-slate-700 dark:text-slate-300">{move || i18n.t().servers_hostname}</span>
                    <input type="text" name="hostname" required autocomplete="off" spellcheck="false" class=INPUT bind:value=draft.hostname on:input=move |_| check_soon() />
                    <HostnameCheck check />
                    <span class="mt-1 block text-xs text-slate-500 dark:text-slate-400">{move || i18n.t().orders_hostname_hint}</span>
                </label>
                <fieldset>
                    <legend class="text-sm font-medium text-slate-700 dark:text-slate-300">{move || i18n.t().orders_period}</legend>
                    <div class="mt-2 grid gap-2 sm:grid-cols-2" data-testid="periods">
                        {plan.terms.into_iter().map(|term| {
                            let months = term.months;
                            view! {
                                <RadioCard name="period" value=months.to_string()
                                    picked=Signal::derive(move || draft.period.get() == months)
                                    on_pick=Callback::new(move |()| draft.period.set(months))>
                                    <span class="font-medium">{move || months_text(i18n.t(), months)}</span>
                                    <span class="text-sm text-slate-600 dark:text-slate-400">{term.total_idr.to_string()}</span>
                                    {(term.discount_percent > 0).then(|| view! {
                                        <span class="mt-1 w-fit rounded bg-emerald-100 px-1.5 py-0.5 text-xs font-medium text-emerald-800 dark:bg-emerald-950 dark:text-emerald-300">
                                            {move || i18n.t().catalog_save} " " {term.discount_percent} "%"
                                        </span>
                                    })}
                                </RadioCard>
                            }
                        }).collect_view()}
                    </div>
                </fieldset>
            </div>
            <div class="space-y-5">
                <fieldset>
                    <legend class="text-sm font-medium text-slate-700 dark:text-slate-300">{move || i18n.t().orders_ssh_keys}</legend>
                    <Transition>
                        {move || Suspend::new(async move {
                            let keys = keys.await.unwrap_or_default();
                            if keys.is_empty() {
                                return view! {
                                    <p class="mt-2 text-sm text-slate-600 dark:text-slate-400">
                                        {move || i18n.t().orders_ssh_keys_none} " "
                                        <A href="/account" attr:class=LINK>{move || i18n.t().orders_ssh_keys_add}</A>
                                    </p>
                                }.into_any();
                            }
                            view! {
                                <ul class="mt-2 space-y-2" data-testid="ssh-key-choices">
                                    {keys.into_iter().map(|key| {
                                        let (id, algorithm) = (key.id.get(), key.algorithm_name());
                                        view! {
                                            <li>
                                                <label class="flex items-center gap-2 text-sm">
                                                    <input type="checkbox"
                                                        prop:checked=move || draft.keys.with(|keys| keys.contains(&id))
                                                        on:change=move |ev| {
                                                            let on = event_target_checked(&ev);
                                                            draft.keys.update(|keys| {
                                                                keys.retain(|kept| *kept != id);
                                                                if on { keys.push(id); }
                                                            });
                                                        } />
                                                    <span class="font-medium">{key.name}</span>
                                                    <span class="font-mono text-xs text-slate-500 dark:text-slate-400">{algorithm} " " {key.fingerprint}</span>
                                                </label>
                                            </li>
                                        }
                                    }).collect_view()}
                                </ul>
                            }.into_any()
                        })}
                    </Transition>
                    <p class="mt-2 text-xs text-slate-500 dark:text-slate-400">{move || i18n.t().orders_ssh_keys_hint}</p>
                </fieldset>
                <label class="block">
                    <span class="text-sm font-medium text-slate-700 dark:text-slate-300">{move || i18n.t().orders_coupon}</span>
                    <input type="text" name="coupon" autocomplete="off" class=INPUT bind:value=draft.coupon on:input=move |_| coupon_soon() />
                </label>
                <section class=PANEL data-testid="live-price">
                    <h3 class="font-semibold">{move || i18n.t().orders_price}</h3>
                    <Transition fallback=move || view! { <p class="mt-3 text-sm text-slate-500">{move || i18n.t().orders_pricing}</p> }>
                        {move || Suspend::new(async move {
                            match live_price.await {
                                Ok(quote) => {
                                    let months = quote.lines.first().map_or(1, |line| line.quantity);
                                    let coupon = draft.input().coupon;
                                    view! { <PriceTable quote months coupon /> }.into_any()
                                }
                                Err(error) => view! {
                                    <p role="alert" class="mt-3 text-sm text-red-700 dark:text-red-300" data-testid="live-price-error">{move || order_error_text(i18n.t(), &error)}</p>
                                }.into_any(),
                            }
                        })}
                    </Transition>
                </section>
            </div>
            <div class="space-y-4 lg:col-span-2">
                <OrderErrorNotice result=quote.value() />
                <div class="flex flex-wrap gap-3">
                    <BackButton draft to=Step::Image />
                    <button type="submit" class=PRIMARY disabled=move || quote.pending().get() data-testid="to-review">
                        {move || i18n.t().orders_to_review} " →"
                    </button>
                </div>
            </div>
        </form>
    }
}

/// How long after the last key what was typed is sent to be checked.
const TYPING_PAUSE: std::time::Duration = std::time::Duration::from_millis(400);

/// Runs `act` once typing pauses for [`TYPING_PAUSE`], so a fast typist asks the server once.
fn after_typing(act: impl Fn() + Clone + Send + Sync + 'static) -> impl Fn() + Copy + 'static {
    let pending = StoredValue::new(None::<TimeoutHandle>);
    let act = StoredValue::new(act);
    move || {
        if let Some(handle) = pending.get_value() {
            handle.clear();
        }
        pending.set_value(set_timeout_with_handle(act.get_value(), TYPING_PAUSE).ok());
    }
}

/// Whether the typed host name can be used, as the last check answered.
#[component]
fn HostnameCheck(check: ServerAction<CheckHostname>) -> impl IntoView {
    let i18n = use_i18n();
    move || {
        let answer = check.value().get()?;
        if check.pending().get() {
            return None;
        }
        Some(match answer {
            Ok(hostname) => view! {
                <span class="mt-1 block text-sm text-emerald-700 dark:text-emerald-400" data-testid="hostname-check" data-state="free">
                    "✓ " {move || format!("{hostname} {}", i18n.t().orders_hostname_free)}
                </span>
            }.into_any(),
            Err(error) => view! {
                <span role="alert" class="mt-1 block text-sm text-red-700 dark:text-red-400" data-testid="hostname-check" data-state="refused">
                    {move || order_error_text(i18n.t(), &error)}
                </span>
            }.into_any(),
        })
    }
}

#[component]
fn ReviewStep(plan: PublicPlan, draft: Draft, quote: ServerAction<QuoteOrder>) -> impl IntoView {
    let i18n = use_i18n();
    let input = draft.input();
    let place = ServerAction::<PlaceOrder>::new();
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(placed)) = place.value().get() {
            navigate(
                &format!("/invoices/{}", placed.invoice.id),
                Default::default(),
            );
        }
    });
    let region = plan
        .regions
        .iter()
        .find(|region| region.slug == input.region)
        .map(|region| region.name.clone())
        .unwrap_or_default();
    let image = plan
        .images
        .iter()
        .find(|image| image.slug == input.image)
        .map(|image| image.name.clone())
        .unwrap_or_default();
    let key_count = input.ssh_key_ids.len();
    let coupon = input.coupon.clone();
    let order = StoredValue::new(input.clone());
    view! {
        <StepHeading text=|m| m.orders_review />
        <div class="mt-4 grid gap-6 lg:grid-cols-2">
            <section class=PANEL>
                <h3 class="font-semibold">{move || i18n.t().orders_summary}</h3>
                <dl class="mt-3 grid grid-cols-2 gap-x-4 gap-y-3 text-sm" data-testid="review-summary">
                    <Fact label=|m| m.servers_plan>{plan.name.clone()}</Fact>
                    <Fact label=|m| m.servers_region>{region}</Fact>
                    <Fact label=|m| m.servers_image>{image}</Fact>
                    <Fact label=|m| m.servers_hostname testid="review-hostname">{input.hostname.clone()}</Fact>
                    <div>
                        <dt class="text-slate-500 dark:text-slate-400">{move || i18n.t().orders_period}</dt>
                        <dd class="font-medium">{move || months_text(i18n.t(), input.period_months)}</dd>
                    </div>
                    <div>
                        <dt class="text-slate-500 dark:text-slate-400">{move || i18n.t().orders_ssh_keys}</dt>
                        <dd class="font-medium">{move || if key_count == 0 { i18n.t().orders_ssh_keys_password.to_owned() } else { format!("{key_count} {}", i18n.t().orders_ssh_keys_chosen) }}</dd>
                    </div>
                </dl>
            </section>
            <section class=PANEL>
                <h3 class="font-semibold">{move || i18n.t().orders_price}</h3>
                {move || match quote.value().get() {
                    None => view! { <p class="mt-3 text-sm text-slate-500">{move || i18n.t().orders_pricing}</p> }.into_any(),
                    Some(Err(error)) => view! {
                        <p role="alert" class="mt-3 text-sm text-red-700 dark:text-red-300">{move || order_error_text(i18n.t(), &error)}</p>
                    }.into_any(),
                    Some(Ok(quote)) => view! {
                        <PriceTable quote=quote.clone() months=input.period_months coupon=coupon.clone() />
                    }.into_any(),
                }}
            </section>
        </div>
        <div class="mt-6 space-y-4">
            <OrderErrorNotice result=place.value() />
            <div class="flex flex-wrap gap-3">
                <BackButton draft to=Step::Details />
                <button
                    type="button"
                    class=PRIMARY
                    data-testid="place-order"
                    disabled=move || place.pending().get() || !matches!(quote.value().get(), Some(Ok(_))) || matches!(place.value().get(), Some(Ok(_)))
                    on:click=move |_| { place.dispatch(PlaceOrder { order: order.get_value() }); }
                >
                    {move || i18n.t().orders_place}
                </button>
            </div>
            <p class="text-xs text-slate-500 dark:text-slate-400">{move || i18n.t().orders_place_hint}</p>
        </div>
    }
}

/// Subtotal, the period's and the coupon's discounts, PPN and the total.
#[component]
fn PriceTable(quote: Quote, months: i64, coupon: Option<String>) -> impl IntoView {
    let i18n = use_i18n();
    let split = &quote;
    let monthly = quote
        .lines
        .first()
        .map(|line| line.unit_price)
        .unwrap_or_default();
    let rate = quote.tax_rate_bp;
    let decimal = move || if i18n.lang() == Lang::Id { ',' } else { '.' };
    let period_percent = if split.subtotal > 0 {
        // Shown as the catalog shows it; the amount is what counts.
        (split.period_discount * 100 + split.subtotal / 2) / split.subtotal
    } else {
        0
    };
    view! {
        <table class="mt-3 w-full text-sm" data-testid="price-breakdown">
            <tbody class="divide-y divide-slate-200 dark:divide-slate-800">
                <tr data-testid="price-subtotal">
                    <th scope="row" class="py-2 text-left font-normal">
                        {move || i18n.t().orders_subtotal}
                        <span class="block text-xs text-slate-500 dark:text-slate-400">{move || format!("{} × {}", months_text(i18n.t(), months), Rupiah(monthly))}</span>
                    </th>
                    <td class="py-2 text-right tabular-nums">{Rupiah(split.subtotal).to_string()}</td>
                </tr>
                {(split.period_discount > 0).then(|| view! {
                    <tr data-testid="price-period-discount">
                        <th scope="row" class="py-2 text-left font-normal">{move || i18n.t().orders_period_discount} " (" {period_percent} "%)"</th>
                        <td class="py-2 text-right tabular-nums text-emerald-700 dark:text-emerald-400">{Rupiah(-split.period_discount).to_string()}</td>
                    </tr>
                })}
                {(split.coupon_discount > 0).then(|| view! {
                    <tr data-testid="price-coupon-discount">
                        <th scope="row" class="py-2 text-left font-normal">{move || i18n.t().orders_coupon_discount} " " {coupon.clone().map(|code| format!("({code})"))}</th>
                        <td class="py-2 text-right tabular-nums text-emerald-700 dark:text-emerald-400">{Rupiah(-split.coupon_discount).to_string()}</td>
                    </tr>
                })}
                <tr data-testid="price-tax">
                    <th scope="row" class="py-2 text-left font-normal">{move || format!("{} {}%", i18n.t().orders_tax, tax_percent(rate, decimal()))}</th>
                    <td class="py-2 text-right tabular-nums">{Rupiah(split.tax).to_string()}</td>
                </tr>
                <tr data-testid="price-total" class="text-base font-semibold">
                    <th scope="row" class="py-2 text-left">{move || i18n.t().orders_total}</th>
                    <td class="py-2 text-right tabular-nums">{Rupiah(split.total).to_string()}</td>
                </tr>
            </tbody>
        </table>
    }
}
