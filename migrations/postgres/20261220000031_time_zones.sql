-- The time zone a person reads times in, on pages and in e-mails (model::time::TimeZone), by its
-- IANA name. Indonesia's zones keep one offset all year; UTC is for customers abroad.
-- Keep equivalent to migrations/sqlite/20261220000031_time_zones.sql.
ALTER TABLE users ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'Asia/Jakarta'
    CHECK (time_zone IN ('Asia/Jakarta', 'Asia/Makassar', 'Asia/Jayapura', 'UTC'));
