-- Suspension and termination: the platform itself powers off a suspended service's server and
-- deletes a terminated one, so an action may have no user behind it (requested_by NULL), and a
-- suspended server refuses its owner's actions until the service is paid again.
-- Keep equivalent to migrations/sqlite/20261126000012_service_lifecycle.sql.
ALTER TABLE instance_actions ALTER COLUMN requested_by DROP NOT NULL;
ALTER TABLE instances ADD COLUMN suspended_at TIMESTAMPTZ;
