-- A job waiting for something that another job makes happen (an order waiting for its server to
-- boot) names it here; whoever makes it happen wakes the job at once instead of leaving it to
-- its next look. NULL for every other job.
-- Keep equivalent to migrations/postgres/20261206000017_job_wake_keys.sql.
ALTER TABLE jobs ADD COLUMN waits_for TEXT;
CREATE INDEX jobs_waiting ON jobs (waits_for) WHERE waits_for IS NOT NULL;
