-- The latest success and failure of each outside service the platform depends on, for the
-- admin health page: every cloud provider's calls (`provider:vultr`), the payment gateway's
-- callbacks, e-mail and Telegram deliveries. One row per service, overwritten in place.
-- Written only by domain::outcomes.
-- Keep equivalent to migrations/sqlite/20261210000021_service_outcomes.sql.
CREATE TABLE service_outcomes (
    service             TEXT PRIMARY KEY NOT NULL,
    last_success_at     TIMESTAMPTZ,
    -- What the last success was about, where that says something (a callback's payment channel).
    last_success_detail TEXT,
    last_failure_at     TIMESTAMPTZ,
    last_failure        TEXT
);
