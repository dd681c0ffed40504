//! The public pages the footer links to: terms of service, privacy policy and how to reach us.

use leptos::prelude::*;
use leptos_router::components::A;
use serde::{Deserialize, Serialize};

use crate::errors::AppError;
use crate::i18n::use_i18n;
use crate::seo::PageMeta;
use crate::ui::Text;

const PROSE_TITLE: &str = "text-3xl font-bold tracking-tight";

/// A document of numbered sections, each a heading and a paragraph.
#[component]
fn LegalDocument(
    title: Text,
    description: Text,
    path: &'static str,
    sections: &'static [(Text, Text)],
) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <PageMeta title description path />
        <article class="mx-auto max-w-3xl" data-testid="legal-document">
            <h1 class=PROSE_TITLE>{move || title(i18n.t())}</h1>
            <p class="mt-2 text-sm text-slate-600 dark:text-slate-400">{move || i18n.t().legal_updated}</p>
            <p class="mt-6 text-lg text-slate-700 dark:text-slate-300">{move || description(i18n.t())}</p>
            {sections
                .iter()
                .map(|(heading, body)| view! {
                    <section class="mt-8">
                        <h2 class="text-xl font-semibold">{move || heading(i18n.t())}</h2>
                        <p class="mt-2 leading-relaxed text-slate-700 dark:text-slate-300">{move || body(i18n.t())}</p>
                    </section>
                })
                .collect_view()}
        </article>
    }
}

const TERMS: [(Text, Text); 7] = [
    (
        |m| m.legal_terms_account_title,
        |m| m.legal_terms_account_body,
    ),
    (
        |m| m.legal_terms_payment_title,
        |m| m.legal_terms_payment_body,
    ),
    (
        |m| m.legal_terms_renewal_title,
        |m| m.legal_terms_renewal_body,
    ),
    (|m| m.legal_terms_use_title, |m| m.legal_terms_use_body),
    (|m| m.legal_terms_data_title, |m| m.legal_terms_data_body),
    (
        |m| m.legal_terms_liability_title,
        |m| m.legal_terms_liability_body,
    ),
    (|m| m.legal_terms_law_title, |m| m.legal_terms_law_body),
];

const PRIVACY: [(Text, Text); 6] = [
    (
        |m| m.legal_privacy_collect_title,
        |m| m.legal_privacy_collect_body,
    ),
    (|m| m.legal_privacy_use_title, |m| m.legal_privacy_use_body),
    (
        |m| m.legal_privacy_share_title,
        |m| m.legal_privacy_share_body,
    ),
    (
        |m| m.legal_privacy_keep_title,
        |m| m.legal_privacy_keep_body,
    ),
    (
        |m| m.legal_privacy_rights_title,
        |m| m.legal_privacy_rights_body,
    ),
    (
        |m| m.legal_privacy_cookies_title,
        |m| m.legal_privacy_cookies_body,
    ),
];

#[component]
pub fn TermsPage() -> impl IntoView {
    view! { <LegalDocument title=|m| m.legal_terms_title description=|m| m.legal_terms_description path="/terms" sections=&TERMS /> }
}

#[component]
pub fn PrivacyPage() -> impl IntoView {
    view! { <LegalDocument title=|m| m.legal_privacy_title description=|m| m.legal_privacy_description path="/privacy" sections=&PRIVACY /> }
}

/// Who runs this installation and where to write, as its operator configured them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactCard {
    pub support_email: String,
    pub legal_name: String,
    pub address: String,
    pub npwp: String,
}

#[server]
pub async fn contact_details() -> Result<ContactCard, AppError> {
    let state = crate::auth::server::state()?;
    let site = use_context::<crate::seo::SiteInfo>()
        .ok_or_else(|| AppError::new(crate::errors::Code::Internal))?;
    let seller = &state.orders.config().seller;
    Ok(ContactCard {
        support_email: site.support_email,
        legal_name: seller.legal_name.clone(),
        address: seller.address.clone(),
        npwp: seller.npwp.clone(),
    })
}

#[component]
pub fn ContactPage() -> impl IntoView {
    let i18n = use_i18n();
    let details = Resource::new(|| (), |_| contact_details());
    let row = move |label: Text, value: AnyView| {
        view! {
            <div class="py-3 sm:grid sm:grid-cols-3 sm:gap-4">
                <dt class="text-sm font-medium text-slate-600 dark:text-slate-400">{move || label(i18n.t())}</dt>
                <dd class="mt-1 whitespace-pre-line sm:col-span-2 sm:mt-0">{value}</dd>
            </div>
        }
    };
    view! {
        <PageMeta title=|m| m.legal_contact_title description=|m| m.legal_contact_description path="/contact" />
        <div class="mx-auto max-w-3xl">
            <h1 class=PROSE_TITLE>{move || i18n.t().legal_contact_title}</h1>
            <p class="mt-4 text-lg text-slate-700 dark:text-slate-300">{move || i18n.t().legal_contact_lead}</p>
            <Suspense>
                {move || Suspend::new(async move {
                    match details.await {
                        Err(_) => view! { <p role="alert" class="mt-8">{move || i18n.t().legal_contact_error}</p> }.into_any(),
                        Ok(details) => {
                            let mailto = format!("mailto:{}", details.support_email);
                            view! {
                                <dl class="mt-8 divide-y divide-slate-200 rounded-2xl border border-slate-200 bg-white px-5 dark:divide-slate-800 dark:border-slate-800 dark:bg-slate-900" data-testid="contact-details">
                                    {row(|m| m.legal_contact_support, view! {
                                        <a href=mailto class="font-medium text-sky-700 hover:underline dark:text-sky-400" data-testid="support-email">{details.support_email}</a>
                                    }.into_any())}
                                    {row(|m| m.legal_contact_company, view! { <span>{details.legal_name}</span> }.into_any())}
                                    {(!details.address.is_empty()).then(|| row(|m| m.legal_contact_address, view! { <span>{details.address}</span> }.into_any()))}
                                    {(!details.npwp.is_empty()).then(|| row(|m| m.legal_contact_npwp, view! { <span>{details.npwp}</span> }.into_any()))}
                                </dl>
                            }.into_any()
                        }
                    }
                })}
            </Suspense>
            <p class="mt-8 text-slate-700 dark:text-slate-300">
                {move || i18n.t().legal_contact_status} " "
                <A href="/status" attr:class="font-medium text-sky-700 hover:underline dark:text-sky-400">{move || i18n.t().nav_status}</A>
            </p>
        </div>
    }
}
