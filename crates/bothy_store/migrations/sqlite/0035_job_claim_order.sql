-- A claim reads the due jobs and the lapsed leases each in (time, id) order
-- along its own index and stops at the limit (dialect.rs). With the id in
-- the index, jobs queued at the same moment (a sweep raising thousands of
-- alerts enqueues their notices in one transaction) need no sort.
DROP INDEX jobs_due;
CREATE INDEX jobs_due ON jobs (state, run_at, id);
DROP INDEX jobs_leases;
CREATE INDEX jobs_leases ON jobs (state, locked_until, id);
