//! Admin pages for the catalog: plans (list, create and edit from a provider size), regions
//! (display names, enabled, "sync now") and images (display names, logos, enabled).

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::catalog::{
    AdminDeletePlan, AdminSavePlan, AdminSyncCatalog, AdminUpdateImage, AdminUpdateRegion,
    admin_images, admin_inventory, admin_plans, admin_regions,
};
use crate::errors::{AppError, Code};
use crate::i18n::{Messages, use_i18n};
use crate::pages::admin::AdminShell;
use crate::pages::catalog::{OsLogo, memory, transfer};
use crate::time::{Precision, time_text};
use crate::ui::style::{
    CELL, COMPACT_BUTTON, COMPACT_INPUT, FIELD, HINT, LABEL, PRIMARY_SMALL, SECONDARY,
};
use crate::ui::{DataTable, ErrorNotice, Notice, Submit, Text, error_text};
use model::PlanId;
use model::catalog::{Inventory, Plan, Size};

/// What the catalog pages say more precisely than [`error_text`]: a taken plan name, and an item
/// that is gone (it may have been deleted in another tab).
fn catalog_error_text(m: &'static Messages, error: &AppError) -> &'static str {
    match (error.code, error.field.as_deref()) {
        (Code::AlreadyExists, Some("name")) => m.catalog_errors_name_taken,
        (Code::NotFound, _) => m.catalog_errors_not_found,
        _ => error_text(m, error),
    }
}

/// What became of the last run of an action: `done` once it went through, or why it did not.
#[component]
fn Outcome<T: Clone + Send + Sync + 'static>(
    #[prop(into)] result: Signal<Option<Result<T, AppError>>>,
    done: Text,
) -> impl IntoView {
    view! {
        <div class="mt-3">
            <Show when=move || matches!(result.get(), Some(Ok(_)))>
                <Notice text=done />
            </Show>
        </div>
        <ErrorNotice result text=catalog_error_text margin="mt-4" />
    }
}

/// A green "enabled/available" or grey "not" badge.
fn badge(on: bool, yes: Text, no: Text) -> impl IntoView {
    let i18n = use_i18n();
    let class = if on {
        "rounded-full bg-emerald-100 px-2 py-0.5 text-xs font-medium text-emerald-800 dark:bg-emerald-950 dark:text-emerald-300"
    } else {
        "rounded-full bg-slate-200 px-2 py-0.5 text-xs font-medium text-slate-700 dark:bg-slate-700 dark:text-slate-200"
    };
    view! { <span class=class>{move || if on { yes(i18n.t()) } else { no(i18n.t()) }}</span> }
}

/// Marks an image that always fails, so it is not sold by mistake.
#[component]
fn TestImageBadge() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <span
            class="rounded-full bg-amber-100 px-2 py-0.5 text-xs font-medium text-amber-900 dark:bg-amber-950 dark:text-amber-200"
            title=move || i18n.t().admin_catalog_test_image_about
            data-testid="test-image"
        >
            {move || i18n.t().admin_catalog_test_image}
        </span>
    }
}

fn size_key(provider: &str, slug: &str) -> String {
    format!("{provider}/{slug}")
}

/// `sandbox · sbx-1c-1g — 1 vCPU · 1 GB · 25 GB · 1 TB (US$6.00)`.
fn size_label(size: &Size) -> String {
    format!(
        "{} · {} — {} vCPU · {} · {} GB · {} (US${}.{:02})",
        size.provider,
        size.slug,
        size.vcpus,
        memory(size.memory_mb),
        size.disk_gb,
        transfer(size.transfer_gb),
        size.cost_cents_monthly / 100,
        size.cost_cents_monthly % 100,
    )
}

fn specs(vcpus: i64, memory_mb: i64, disk_gb: i64, transfer_gb: i64) -> String {
    format!(
        "{vcpus} vCPU · {} · {disk_gb} GB · {}",
        memory(memory_mb),
        transfer(transfer_gb)
    )
}

// ---- Plans ---------------------------------------------------------------------------------

#[component]
pub fn AdminPlansPage() -> impl IntoView {
    view! { <AdminShell title=|m| m.admin_catalog_plans><PlansAdmin /></AdminShell> }
}

#[component]
fn PlansAdmin() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let editing = move || query.read().get("edit");
    let save = ServerAction::<AdminSavePlan>::new();
    let delete = ServerAction::<AdminDeletePlan>::new();
    // Refetched after a successful save only: refetching re-renders the form, which would wipe
    // what the admin typed when the save was refused.
    let saved_plans = RwSignal::new(0_u32);
    let plans = Resource::new(
        move || (saved_plans.get(), delete.version().get()),
        |_| admin_plans(),
    );
    let inventory = Resource::new(|| (), |_| admin_inventory());
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(_)) = save.value().get() {
            saved_plans.update(|n| *n += 1);
            navigate("/admin/plans", Default::default());
        }
    });
    let saved = move || editing().is_none() && matches!(save.value().get(), Some(Ok(_)));
    view! {
        <div class="mt-6 flex flex-wrap items-center gap-3">
            <A href="/admin/plans?edit=new" attr:class=PRIMARY_SMALL attr:data-testid="new-plan">{move || i18n.t().admin_catalog_new_plan}</A>
            <Show when=saved><Notice text=|m| m.admin_catalog_saved /></Show>
        </div>
        <ErrorNotice result=delete.value() text=catalog_error_text margin="mt-4" />
        <Transition>
            {move || Suspend::new(async move {
                match (plans.await, inventory.await) {
                    (Err(error), _) | (_, Err(error)) => view! { <p role="alert" class="mt-4">{move || error_text(i18n.t(), &error)}</p> }.into_any(),
                    (Ok(plans), Ok(inventory)) => {
                        let empty_catalog = inventory.sizes.is_empty();
                        let editor = {
                            let (plans, inventory) = (plans.clone(), inventory.clone());
                            move || editing().map(|edit| {
                                let plan = edit.parse::<PlanId>().ok().and_then(|id| plans.iter().find(|p| p.id == id).cloned());
                                view! { <PlanEditor inventory=inventory.clone() plan save /> }
                            })
                        };
                        view! {
                            {empty_catalog.then(|| view! {
                                <p class="mt-4 rounded-md border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-900 dark:border-amber-800 dark:bg-amber-950 dark:text-amber-200">
                                    {move || i18n.t().admin_catalog_empty_catalog} " "
                                    <A href="/admin/regions" attr:class="font-medium underline">{move || i18n.t().admin_catalog_regions}</A>
                                </p>
                            })}
                            {editor}
                            <PlansTable plans inventory delete />
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

#[component]
fn PlansTable(
    plans: Vec<Plan>,
    inventory: Inventory,
    delete: ServerAction<AdminDeletePlan>,
) -> impl IntoView {
    let i18n = use_i18n();
    if plans.is_empty() {
        return view! { <p class="mt-6 text-slate-600 dark:text-slate-400">{move || i18n.t().admin_catalog_no_plans}</p> }.into_any();
    }
    let region_name = move |provider: &str, slug: &str| {
        inventory
            .regions
            .iter()
            .find(|region| region.provider == provider && region.slug == slug)
            .map_or_else(|| slug.to_owned(), |region| region.name().to_owned())
    };
    view! {
        <DataTable testid="plans-table" headings=vec![|m| m.admin_catalog_name, |m| m.admin_catalog_size, |m| m.admin_catalog_specs, |m| m.admin_catalog_price_month, |m| m.admin_catalog_regions, |m| m.admin_catalog_status, |_| ""]>
            {plans.into_iter().map(|plan| {
                let regions = plan.region_slugs.iter().map(|slug| region_name(&plan.provider, slug)).collect::<Vec<_>>().join(", ");
                let (visible, on_sale) = (plan.visible, plan.on_sale);
                view! {
                    <tr>
                        <td class=format!("{CELL} font-medium")>{plan.name.clone()}</td>
                        <td class=format!("{CELL} font-mono text-xs")>{format!("{}/{}", plan.provider, plan.size_slug)}</td>
                        <td class=CELL>{specs(plan.vcpus, plan.memory_mb, plan.disk_gb, plan.transfer_gb)}</td>
                        <td class=format!("{CELL} whitespace-nowrap")>{plan.price_idr_monthly.to_string()}</td>
                        <td class=CELL>{regions}</td>
                        <td class=CELL>
                            {if !visible {
                                badge(false, |m| m.admin_catalog_on_sale, |m| m.admin_catalog_hidden).into_any()
                            } else if on_sale {
                                badge(true, |m| m.admin_catalog_on_sale, |m| m.admin_catalog_hidden).into_any()
                            } else {
                                view! {
                                    <span title=move || i18n.t().admin_catalog_not_sellable_hint class="rounded-full bg-amber-100 px-2 py-0.5 text-xs font-medium text-amber-900 dark:bg-amber-900 dark:text-amber-100">
                                        {move || i18n.t().admin_catalog_not_sellable}
                                    </span>
                                }.into_any()
                            }}
                        </td>
                        <td class=format!("{CELL} flex flex-wrap gap-1")>
                            <A href=format!("/admin/plans?edit={}", plan.id) attr:class=COMPACT_BUTTON>{move || i18n.t().admin_catalog_edit}</A>
                            <ActionForm action=delete>
                                <input type="hidden" name="id" value=plan.id.get() />
                                <button type="submit" class=COMPACT_BUTTON>{move || i18n.t().admin_catalog_delete}</button>
                            </ActionForm>
                        </td>
                    </tr>
                }
            }).collect_view()}
        </DataTable>
    }.into_any()
}

#[component]
fn NumberField(
    label: Text,
    name: &'static str,
    value: i64,
    #[prop(default = 0)] min: i64,
    #[prop(optional)] max: Option<i64>,
) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <label class="block">
            <span class=LABEL>{move || label(i18n.t())}</span>
            <input type="number" name=name required=true min=min max=max step="1" value=value class=FIELD />
        </label>
    }
}

/// The plan form. Choosing another size fills the specs, regions and images from it again.
#[component]
fn PlanEditor(
    inventory: Inventory,
    plan: Option<Plan>,
    save: ServerAction<AdminSavePlan>,
) -> impl IntoView {
    let i18n = use_i18n();
    let current = plan
        .as_ref()
        .map(|plan| size_key(&plan.provider, &plan.size_slug));
    // Withdrawn sizes stay out of the list, except the one this plan already has.
    let sizes: Vec<Size> = inventory
        .sizes
        .iter()
        .filter(|size| {
            size.available || current.as_deref() == Some(&size_key(&size.provider, &size.slug))
        })
        .cloned()
        .collect();
    let selected = RwSignal::new(
        current
            .clone()
            .or_else(|| {
                sizes
                    .first()
                    .map(|size| size_key(&size.provider, &size.slug))
            })
            .unwrap_or_default(),
    );
    let size = {
        let sizes = sizes.clone();
        move || {
            sizes
                .iter()
                .find(|size| size_key(&size.provider, &size.slug) == selected.get())
                .cloned()
        }
    };
    let size_for_hidden = size.clone();
    let inventory = StoredValue::new(inventory);
    let stored_plan = StoredValue::new(plan.clone());
    let title: Text = if plan.is_some() {
        |m| m.admin_catalog_edit_plan
    } else {
        |m| m.admin_catalog_new_plan
    };
    let (name, price, d3, d6, d12, sort, visible) =
        plan.as_ref()
            .map_or((String::new(), 0, 0, 0, 0, 0, true), |plan| {
                (
                    plan.name.clone(),
                    plan.price_idr_monthly.0,
                    plan.discount_3m_percent,
                    plan.discount_6m_percent,
                    plan.discount_12m_percent,
                    plan.sort_order,
                    plan.visible,
                )
            });
    let price = (price > 0).then_some(price);
    view! {
        <section class="mt-6 rounded-xl border border-slate-200 bg-white p-6 shadow-sm dark:border-slate-800 dark:bg-slate-900">
            <h2 class="text-lg font-semibold">{move || title(i18n.t())}</h2>
            <ErrorNotice result=save.value() text=catalog_error_text margin="mt-4" />
            <ActionForm action=save attr:class="mt-4 space-y-5" attr:data-testid="plan-form">
                {plan.as_ref().map(|plan| view! { <input type="hidden" name="id" value=plan.id.get() /> })}
                <label class="block">
                    <span class=LABEL>{move || i18n.t().admin_catalog_name}</span>
                    <input type="text" name="plan[name]" required=true maxlength="60" value=name class=FIELD />
                </label>
                <label class="block">
                    <span class=LABEL>{move || i18n.t().admin_catalog_size}</span>
                    <select class=FIELD on:change=move |event| selected.set(event_target_value(&event))>
                        {sizes.iter().map(|size| {
                            let key = size_key(&size.provider, &size.slug);
                            view! { <option value=key.clone() selected=key == selected.get_untracked()>{size_label(size)}</option> }
                        }).collect_view()}
                    </select>
                    <span class=format!("mt-1 block {HINT}")>{move || i18n.t().admin_catalog_size_hint}</span>
                </label>
                <input type="hidden" name="plan[provider]" value=move || size_for_hidden().map(|size| size.provider).unwrap_or_default() />
                <input type="hidden" name="plan[size_slug]" value=move || size().map(|size| size.slug).unwrap_or_default() />
                {move || {
                    let size = sizes.iter().find(|size| size_key(&size.provider, &size.slug) == selected.get())?.clone();
                    let plan = stored_plan.get_value().filter(|plan| plan.provider == size.provider && plan.size_slug == size.slug);
                    let same_provider = stored_plan.get_value().filter(|plan| plan.provider == size.provider);
                    let (vcpus, memory_mb, disk_gb, transfer_gb) = plan.as_ref().map_or(
                        (size.vcpus, size.memory_mb, size.disk_gb, size.transfer_gb),
                        |plan| (plan.vcpus, plan.memory_mb, plan.disk_gb, plan.transfer_gb),
                    );
                    let regions = inventory.with_value(|inventory| {
                        inventory.regions.iter()
                            .filter(|region| region.provider == size.provider && size.regions.contains(&region.slug))
                            .cloned()
                            .collect::<Vec<_>>()
                    });
                    let images = inventory.with_value(|inventory| {
                        inventory.images.iter().filter(|image| image.provider == size.provider).cloned().collect::<Vec<_>>()
                    });
                    Some(view! {
                        <div class="grid gap-4 sm:grid-cols-4">
                            <NumberField label=|m| m.admin_catalog_vcpus name="plan[vcpus]" value=vcpus min=1 max=size.vcpus />
                            <NumberField label=|m| m.admin_catalog_memory_mb name="plan[memory_mb]" value=memory_mb min=1 max=size.memory_mb />
                            <NumberField label=|m| m.admin_catalog_disk_gb name="plan[disk_gb]" value=disk_gb min=1 max=size.disk_gb />
                            <NumberField label=|m| m.admin_catalog_transfer_gb name="plan[transfer_gb]" value=transfer_gb max=size.transfer_gb />
                        </div>
                        <fieldset>
                            <legend class=LABEL>{move || i18n.t().admin_catalog_pick_regions}</legend>
                            <p class=HINT>{move || i18n.t().admin_catalog_pick_regions_hint}</p>
                            <div class="mt-2 flex flex-wrap gap-3" data-testid="plan-regions">
                                {regions.into_iter().map(|region| {
                                    let checked = plan.as_ref().map_or(region.enabled && region.available, |plan| plan.region_slugs.contains(&region.slug));
                                    let usable = region.enabled && region.available;
                                    view! {
                                        <label class="inline-flex items-center gap-2 rounded-md border border-slate-300 px-3 py-1.5 text-sm dark:border-slate-700">
                                            <input type="checkbox" name="plan[region_slugs][]" value=region.slug.clone() checked=checked />
                                            {region.name().to_owned()}
                                            <span class=HINT>{region.slug.clone()}</span>
                                            {(!usable).then(|| view! { <span class=HINT>"(" {move || i18n.t().admin_catalog_disabled} ")"</span> })}
                                        </label>
                                    }
                                }).collect_view()}
                            </div>
                        </fieldset>
                        <fieldset>
                            <legend class=LABEL>{move || i18n.t().admin_catalog_pick_images}</legend>
                            <div class="mt-2 flex flex-wrap gap-3" data-testid="plan-images">
                                {images.into_iter().map(|image| {
                                    let usable = image.enabled && image.available;
                                    let testing = image.for_testing_only();
                                    let checked = same_provider.as_ref().map_or(usable && !testing, |plan| plan.image_slugs.contains(&image.slug));
                                    view! {
                                        <label class="inline-flex items-center gap-2 rounded-md border border-slate-300 px-3 py-1.5 text-sm dark:border-slate-700">
                                            <input type="checkbox" name="plan[image_slugs][]" value=image.slug.clone() checked=checked />
                                            <OsLogo logo=image.logo().to_owned() />
                                            {image.name().to_owned()}
                                            {(!usable).then(|| view! { <span class=HINT>"(" {move || i18n.t().admin_catalog_disabled} ")"</span> })}
                                            {testing.then(|| view! { <TestImageBadge /> })}
                                        </label>
                                    }
                                }).collect_view()}
                            </div>
                        </fieldset>
                    })
                }}
                <div class="grid gap-4 sm:grid-cols-4">
                    <label class="block">
                        <span class=LABEL>{move || i18n.t().admin_catalog_price}</span>
                        <input type="number" name="plan[price_idr_monthly]" required=true min="1" step="1" value=price class=FIELD />
                    </label>
                    <NumberField label=|m| m.admin_catalog_discount_3m name="plan[discount_3m_percent]" value=d3 max=90 />
                    <NumberField label=|m| m.admin_catalog_discount_6m name="plan[discount_6m_percent]" value=d6 max=90 />
                    <NumberField label=|m| m.admin_catalog_discount_12m name="plan[discount_12m_percent]" value=d12 max=90 />
                </div>
                <div class="flex flex-wrap items-end gap-6">
                    <label class="block w-40">
                        <span class=LABEL>{move || i18n.t().admin_catalog_sort_order}</span>
                        <input type="number" name="plan[sort_order]" required=true step="1" value=sort class=FIELD />
                    </label>
                    <label class="inline-flex items-center gap-2 pb-2 text-sm">
                        <input type="checkbox" name="plan[visible]" checked=visible />
                        {move || i18n.t().admin_catalog_visible}
                    </label>
                </div>
                <div class="flex flex-wrap items-center gap-3">
                    <Submit label=|m| m.admin_catalog_save_plan pending=save.pending() />
                    <A href="/admin/plans" attr:class=SECONDARY>{move || i18n.t().admin_catalog_cancel}</A>
                </div>
            </ActionForm>
        </section>
    }
}

// ---- Regions -------------------------------------------------------------------------------

#[component]
pub fn AdminRegionsPage() -> impl IntoView {
    view! { <AdminShell title=|m| m.admin_catalog_regions><RegionsAdmin /></AdminShell> }
}

/// "Sync now" and "Reload": a sync runs as a job within seconds, so its result is fetched again
/// on request rather than guessed at.
#[component]
fn SyncBar(reload: RwSignal<u32>) -> impl IntoView {
    let i18n = use_i18n();
    let sync = ServerAction::<AdminSyncCatalog>::new();
    view! {
        <p class=format!("mt-4 {HINT}")>{move || i18n.t().admin_catalog_sync_hint}</p>
        <div class="mt-3 flex flex-wrap items-center gap-2">
            <ActionForm action=sync>
                <button type="submit" class=PRIMARY_SMALL data-testid="sync-now">{move || i18n.t().admin_catalog_sync_now}</button>
            </ActionForm>
            <button type="button" class=COMPACT_BUTTON data-testid="reload" on:click=move |_| reload.update(|n| *n += 1)>
                {move || i18n.t().admin_catalog_reload}
            </button>
        </div>
        <Outcome result=sync.value() done=|m| m.admin_catalog_sync_queued />
    }
}

#[component]
fn RegionsAdmin() -> impl IntoView {
    let i18n = use_i18n();
    let reload = RwSignal::new(0_u32);
    let update = ServerAction::<AdminUpdateRegion>::new();
    let regions = Resource::new(
        move || (update.version().get(), reload.get()),
        |_| admin_regions(),
    );
    view! {
        <SyncBar reload />
        <Outcome result=update.value() done=|m| m.admin_catalog_saved />
        <Transition>
            {move || Suspend::new(async move {
                match regions.await {
                    Err(error) => view! { <p role="alert" class="mt-4">{move || error_text(i18n.t(), &error)}</p> }.into_any(),
                    Ok(regions) if regions.is_empty() => view! { <p class="mt-4">{move || i18n.t().admin_catalog_empty_catalog}</p> }.into_any(),
                    Ok(regions) => view! {
                        <DataTable testid="regions-table" headings=vec![|m| m.admin_catalog_provider, |m| m.admin_catalog_slug, |m| m.admin_catalog_provider_name, |m| m.admin_catalog_display_name, |m| m.admin_catalog_country, |m| m.admin_catalog_status, |m| m.admin_catalog_synced]>
                            {regions.into_iter().map(|region| {
                                let testid = format!("region-{}", region.slug);
                                view! {
                                <tr data-testid=testid class="*:align-middle">
                                    <td class=CELL>{region.provider.clone()}</td>
                                    <td class=format!("{CELL} font-mono text-xs")>{region.slug.clone()}</td>
                                    <td class=CELL>{region.provider_name.clone()}</td>
                                    <td class=CELL>
                                        <ActionForm action=update attr:class="flex flex-wrap items-center gap-2">
                                            <input type="hidden" name="provider" value=region.provider.clone() />
                                            <input type="hidden" name="slug" value=region.slug.clone() />
                                            <input type="text" name="display_name" maxlength="60" class=COMPACT_INPUT
                                                value=region.display_name.clone().unwrap_or_default()
                                                placeholder=region.provider_name.clone()
                                                aria-label=move || i18n.t().admin_catalog_display_name />
                                            <label class="inline-flex items-center gap-1 text-sm">
                                                <input type="checkbox" name="enabled" checked=region.enabled />
                                                {move || i18n.t().admin_catalog_enabled}
                                            </label>
                                            <button type="submit" class=COMPACT_BUTTON>{move || i18n.t().admin_catalog_save}</button>
                                        </ActionForm>
                                    </td>
                                    <td class=CELL>{region.country.clone().unwrap_or_default()}</td>
                                    <td class=CELL>{badge(region.available, |m| m.admin_catalog_available, |m| m.admin_catalog_unavailable)}</td>
                                    <td class=format!("{CELL} whitespace-nowrap text-xs")>{time_text(region.synced_at, Precision::Minute)}</td>
                                </tr>
                            }}).collect_view()}
                        </DataTable>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

// ---- Images --------------------------------------------------------------------------------

#[component]
pub fn AdminImagesPage() -> impl IntoView {
    view! { <AdminShell title=|m| m.admin_catalog_images><ImagesAdmin /></AdminShell> }
}

#[component]
fn ImagesAdmin() -> impl IntoView {
    let i18n = use_i18n();
    let reload = RwSignal::new(0_u32);
    let update = ServerAction::<AdminUpdateImage>::new();
    let images = Resource::new(
        move || (update.version().get(), reload.get()),
        |_| admin_images(),
    );
    view! {
        <SyncBar reload />
        <p class=format!("mt-3 {HINT}")>{move || i18n.t().admin_catalog_logo_hint}</p>
        <Outcome result=update.value() done=|m| m.admin_catalog_saved />
        <Transition>
            {move || Suspend::new(async move {
                match images.await {
                    Err(error) => view! { <p role="alert" class="mt-4">{move || error_text(i18n.t(), &error)}</p> }.into_any(),
                    Ok(images) if images.is_empty() => view! { <p class="mt-4">{move || i18n.t().admin_catalog_empty_catalog}</p> }.into_any(),
                    Ok(images) => view! {
                        <DataTable testid="images-table" headings=vec![|m| m.admin_catalog_logo, |m| m.admin_catalog_slug, |m| m.admin_catalog_provider_name, |m| m.admin_catalog_distribution, |m| m.admin_catalog_display_name, |m| m.admin_catalog_status]>
                            {images.into_iter().map(|image| {
                                let testid = format!("image-{}", image.slug);
                                let testing = image.for_testing_only();
                                view! {
                                <tr data-testid=testid class="*:align-middle">
                                    <td class=CELL><OsLogo logo=image.logo().to_owned() /></td>
                                    <td class=format!("{CELL} font-mono text-xs")>{image.provider.clone()} "/" {image.slug.clone()}</td>
                                    <td class=CELL>{image.provider_name.clone()}</td>
                                    <td class=CELL>{image.distribution.clone()}</td>
                                    <td class=CELL>
                                        <ActionForm action=update attr:class="flex flex-wrap items-center gap-2">
                                            <input type="hidden" name="provider" value=image.provider.clone() />
                                            <input type="hidden" name="slug" value=image.slug.clone() />
                                            <input type="text" name="display_name" maxlength="60" class=COMPACT_INPUT
                                                value=image.display_name.clone().unwrap_or_default()
                                                placeholder=image.provider_name.clone()
                                                aria-label=move || i18n.t().admin_catalog_display_name />
                                            <input type="text" name="logo" maxlength="24" class=format!("{COMPACT_INPUT} w-28")
                                                value=image.logo.clone().unwrap_or_default()
                                                placeholder=image.distribution.clone()
                                                aria-label=move || i18n.t().admin_catalog_logo />
                                            <label class="inline-flex items-center gap-1 text-sm">
                                                <input type="checkbox" name="enabled" checked=image.enabled />
                                                {move || i18n.t().admin_catalog_enabled}
                                            </label>
                                            <button type="submit" class=COMPACT_BUTTON>{move || i18n.t().admin_catalog_save}</button>
                                        </ActionForm>
                                    </td>
                                    <td class=CELL>
                                        <span class="flex flex-wrap gap-1">
                                            {badge(image.available, |m| m.admin_catalog_available, |m| m.admin_catalog_unavailable)}
                                            {testing.then(|| view! { <TestImageBadge /> })}
                                        </span>
                                    </td>
                                </tr>
                            }}).collect_view()}
                        </DataTable>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}
