-- Installation-wide settings that the application itself creates (never secrets from config).
-- Keep equivalent to migrations/sqlite/20261126000001_app_settings.sql.
CREATE TABLE app_settings (
    key        TEXT PRIMARY KEY NOT NULL,
    value      TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
