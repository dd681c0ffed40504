//! The admin health page: the database and Redis, payment callbacks, e-mail and Telegram
//! delivery, each cloud provider and the job queue, every part with a badge that says at a
//! glance whether it is well, and the running version. Times are on the admin's clock, with how long before the
//! check they were (measured from the server's clock, so the server's and the browser's
//! rendering agree).

use chrono::{DateTime, Utc};
use leptos::prelude::*;

use crate::admin::admin_health;
use crate::i18n::{Messages, use_i18n};
use crate::pages::admin::AdminShell;
use crate::time::{Precision, time_text};
use crate::ui::style::{CELL, MUTED, PANEL, PILL, PILL_BAD, PILL_GOOD, PILL_QUIET, PILL_WAITING};
use crate::ui::{DataTable, Fact, Loaded, Text};
use model::health::{DeliveryHealth, HealthSummary, Level, RedisHealth};

#[component]
pub fn AdminHealthPage() -> impl IntoView {
    let summary = Resource::new(|| (), |_| admin_health());
    view! {
        <AdminShell title=|m| m.health_title>
            <Loaded of=summary show=|summary: HealthSummary| view! { <Summary summary /> } />
        </AdminShell>
    }
}

/// `45 s`, `5 min`, `3 h`, `2 d` (`45 dtk`, `5 mnt`, `3 jam`, `2 hari`): the largest whole unit.
fn span_text(m: &'static Messages, secs: i64) -> String {
    let secs = secs.max(0);
    let (count, unit) = match secs {
        0..60 => (secs, m.health_unit_seconds),
        60..3_600 => (secs / 60, m.health_unit_minutes),
        3_600..86_400 => (secs / 3_600, m.health_unit_hours),
        _ => (secs / 86_400, m.health_unit_days),
    };
    format!("{count} {unit}")
}

/// When something last happened and how long before `checked_at`; "never" when it never did.
fn moment(m: &'static Messages, checked_at: DateTime<Utc>, at: Option<DateTime<Utc>>) -> String {
    match at {
        None => m.health_never.to_owned(),
        Some(at) => format!(
            "{} ({} {})",
            time_text(at, Precision::Second),
            span_text(m, (checked_at - at).num_seconds()),
            m.health_ago
        ),
    }
}

/// A level's pill; `idle` says what "nothing to judge" means where it stands.
#[component]
fn LevelBadge(level: Level, idle: Text) -> impl IntoView {
    let i18n = use_i18n();
    let (colour, text): (&str, Text) = match level {
        Level::Ok => (PILL_GOOD, |m| m.health_level_ok),
        Level::Warning => (PILL_WAITING, |m| m.health_level_warning),
        Level::Failing => (PILL_BAD, |m| m.health_level_failing),
        Level::Idle => (PILL_QUIET, idle),
    };
    view! {
        <span data-testid="level" data-level=level.as_str() class=format!("{PILL} whitespace-nowrap {colour}")>
            {move || text(i18n.t())}
        </span>
    }
}

/// One part of the platform: its name, its badge, and its facts.
#[component]
fn Part(
    title: Text,
    level: Level,
    idle: Text,
    testid: &'static str,
    children: Children,
) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <section class=PANEL data-testid=testid>
            <div class="flex items-center justify-between gap-3">
                <h2 class="text-lg font-semibold">{move || title(i18n.t())}</h2>
                <LevelBadge level idle />
            </div>
            <dl class="mt-4 grid grid-cols-1 gap-y-3 text-sm">{children()}</dl>
        </section>
    }
}

/// A heading above one of the page's tables.
#[component]
fn TableHeading(title: Text) -> impl IntoView {
    let i18n = use_i18n();
    view! { <h2 class="mt-8 text-xl font-semibold">{move || title(i18n.t())}</h2> }
}

#[component]
fn Summary(summary: HealthSummary) -> impl IntoView {
    let i18n = use_i18n();
    let checked_at = summary.checked_at;
    let version = match &summary.commit {
        Some(commit) => format!("{} ({commit})", summary.version),
        None => summary.version.clone(),
    };
    let overall = summary.level();
    let HealthSummary {
        database,
        redis,
        jobs,
        providers,
        payments,
        email,
        telegram,
        ..
    } = summary;
    let pending_migrations = if database.pending_migrations.is_empty() {
        None
    } else {
        let versions: Vec<String> = database
            .pending_migrations
            .iter()
            .map(ToString::to_string)
            .collect();
        Some(versions.join(", "))
    };
    let reachable = database.reachable;
    view! {
        <section class=format!("{PANEL} mt-6") data-testid="health-overall">
            <dl class="grid grid-cols-1 gap-x-6 gap-y-3 text-sm sm:grid-cols-3">
                <Fact label=|m| m.health_overall><LevelBadge level=overall idle=|m| m.health_no_activity /></Fact>
                <Fact label=|m| m.health_checked_at>{time_text(checked_at, Precision::Second)}</Fact>
                <Fact label=|m| m.health_version testid="health-version"><span class="font-mono">{version}</span></Fact>
            </dl>
        </section>
        <div class="mt-6 grid gap-6 sm:grid-cols-2 xl:grid-cols-3">
            <Part title=|m| m.health_database level=database.level() idle=|m| m.health_no_activity testid="health-database">
                <Fact label=|m| m.health_backend><span class="font-mono">{database.backend.clone()}</span></Fact>
                <Fact label=|m| m.health_connection>{move || if reachable { i18n.t().health_reachable } else { i18n.t().health_unreachable }}</Fact>
                <Fact label=|m| m.health_pending_migrations>
                    {match pending_migrations {
                        Some(versions) => view! { <span class="font-mono">{versions}</span> }.into_any(),
                        None => view! { <span>{move || i18n.t().health_none}</span> }.into_any(),
                    }}
                </Fact>
            </Part>
            <Part title=|m| m.health_redis level=redis.level() idle=|m| m.health_not_configured testid="health-redis">
                {match redis {
                    RedisHealth::NotConfigured => view! { <p class=MUTED>{move || i18n.t().health_redis_not_configured}</p> }.into_any(),
                    RedisHealth::Reachable => view! { <Fact label=|m| m.health_connection>{move || i18n.t().health_reachable}</Fact> }.into_any(),
                    RedisHealth::Unreachable { error } => view! {
                        <Fact label=|m| m.health_connection>{move || i18n.t().health_unreachable}</Fact>
                        <Fact label=|m| m.health_error><span class="break-words font-normal">{error}</span></Fact>
                    }.into_any(),
                }}
            </Part>
            <Part title=|m| m.health_payments level=payments.level() idle=|m| m.health_no_activity testid="health-payments">
                <Fact label=|m| m.health_gateway><span class="font-mono">{payments.gateway.clone()}</span></Fact>
                <Fact label=|m| m.health_last_callback>{move || moment(i18n.t(), checked_at, payments.last_callback_at)}</Fact>
                <Fact label=|m| m.health_channel>{payments.last_callback_channel.clone().unwrap_or_else(|| "—".to_owned())}</Fact>
            </Part>
            <Delivery title=|m| m.health_email not_configured=|m| m.health_email_not_configured health=email checked_at testid="health-email" />
            <Delivery title=|m| m.health_telegram not_configured=|m| m.health_telegram_not_configured health=telegram checked_at testid="health-telegram" />
        </div>
        <TableHeading title=|m| m.health_providers />
        {if providers.is_empty() {
            view! { <p class=format!("mt-4 {MUTED}")>{move || i18n.t().health_providers_empty}</p> }.into_any()
        } else {
            view! {
                <DataTable testid="health-providers" headings=vec![|m| m.health_provider, |m| m.admin_status, |m| m.health_last_success, |m| m.health_last_failure, |m| m.health_error]>
                    {providers.into_iter().map(|provider| {
                        let outcome = provider.outcome;
                        view! {
                            <tr data-provider=provider.name.clone()>
                                <td class=format!("{CELL} font-mono")>{provider.name.clone()}</td>
                                <td class=CELL><LevelBadge level=outcome.level() idle=|m| m.health_no_activity /></td>
                                <td class=CELL>{move || moment(i18n.t(), checked_at, outcome.last_success_at)}</td>
                                <td class=CELL>{move || moment(i18n.t(), checked_at, outcome.last_failure_at)}</td>
                                <td class=format!("{CELL} break-words")>{outcome.last_failure.clone().unwrap_or_default()}</td>
                            </tr>
                        }
                    }).collect_view()}
                </DataTable>
            }.into_any()
        }}
        <TableHeading title=|m| m.health_jobs />
        {if jobs.is_empty() {
            view! { <p class=format!("mt-4 {MUTED}")>{move || i18n.t().health_jobs_empty}</p> }.into_any()
        } else {
            view! {
                <DataTable testid="health-jobs" headings=vec![|m| m.health_job_kind, |m| m.admin_status, |m| m.health_queued, |m| m.health_running, |m| m.health_dead, |m| m.health_lag]>
                    {jobs.into_iter().map(|kind| {
                        let (level, lag) = (kind.level(), kind.lag_secs);
                        view! {
                            <tr data-kind=kind.kind.clone()>
                                <td class=format!("{CELL} font-mono")>{kind.kind.clone()}</td>
                                <td class=CELL><LevelBadge level idle=|m| m.health_no_activity /></td>
                                <td class=CELL data-testid="queued">{kind.queued}</td>
                                <td class=CELL data-testid="running">{kind.running}</td>
                                <td class=CELL data-testid="dead">{kind.dead}</td>
                                <td class=CELL>{move || span_text(i18n.t(), lag)}</td>
                            </tr>
                        }
                    }).collect_view()}
                </DataTable>
            }.into_any()
        }}
    }
}

/// A channel messages leave through: whether it is set up, its last delivery and failure, and
/// what waits to go.
#[component]
fn Delivery(
    title: Text,
    not_configured: Text,
    health: DeliveryHealth,
    checked_at: DateTime<Utc>,
    testid: &'static str,
) -> impl IntoView {
    let i18n = use_i18n();
    let DeliveryHealth {
        configured,
        outcome,
        pending,
    } = health.clone();
    view! {
        <Part title level=health.level() idle=|m| m.health_not_configured testid>
            {(!configured).then(|| view! { <p class=MUTED>{move || not_configured(i18n.t())}</p> })}
            <Fact label=|m| m.health_last_delivered>{move || moment(i18n.t(), checked_at, outcome.last_success_at)}</Fact>
            <Fact label=|m| m.health_last_failed>{move || moment(i18n.t(), checked_at, outcome.last_failure_at)}</Fact>
            {outcome.last_failure.clone().map(|error| view! {
                <Fact label=|m| m.health_error><span class="break-words font-normal">{error}</span></Fact>
            })}
            <Fact label=|m| m.health_pending>{pending}</Fact>
        </Part>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;
    use chrono::Duration;

    #[test]
    fn spans_are_written_in_their_largest_whole_unit() {
        let m = Lang::En.messages();
        assert_eq!(span_text(m, -3), "0 s", "a clock a little ahead is no time");
        assert_eq!(span_text(m, 59), "59 s");
        assert_eq!(span_text(m, 61), "1 min");
        assert_eq!(span_text(m, 7_300), "2 h");
        assert_eq!(span_text(m, 200_000), "2 d");
        let at = Utc::now();
        assert_eq!(
            moment(m, at, Some(at - Duration::seconds(150))),
            format!(
                "{} (2 min ago)",
                time_text(at - Duration::seconds(150), Precision::Second)
            )
        );
        assert_eq!(moment(Lang::Id.messages(), at, None), "Belum pernah");
    }
}
