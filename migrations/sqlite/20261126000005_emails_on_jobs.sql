-- E-mail delivery now runs as durable jobs (kind `deliver_email`), which keep attempts and
-- retry times themselves. Keep equivalent to migrations/postgres/20261126000005_emails_on_jobs.sql.
DROP INDEX emails_pending;
ALTER TABLE emails DROP COLUMN attempts;
ALTER TABLE emails DROP COLUMN next_attempt_at;
