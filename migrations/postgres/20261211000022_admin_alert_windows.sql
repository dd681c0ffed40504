-- Refused payment callbacks are told to the admins at most once per window per reason; what is
-- refused meanwhile is counted here and told by one summary job (domain::notifications::alerts).
-- Keep equivalent to migrations/sqlite/20261211000022_admin_alert_windows.sql.
CREATE TABLE admin_alert_windows (
    alert       TEXT PRIMARY KEY,
    -- Refusals not yet told.
    held_back   BIGINT NOT NULL,
    -- When the admins were last told; never, while NULL.
    notified_at TIMESTAMPTZ,
    -- When the queued summary job is due; none is queued while NULL.
    summary_at  TIMESTAMPTZ
);
