-- The job queue: work caused by a change (a notification to send), enqueued
-- in the same transaction as the change and run by a worker afterwards.
-- A job is claimed with a lease (locked_by, locked_until); a lease that runs
-- out (its worker died) lets another worker claim the job again. The
-- idempotency key makes enqueuing the same job twice a no-op, and travels to
-- the channel adapter so that a repeated send is recognised there too.
-- payload is JSON; last_error holds an error class from the adapter, never
-- patient data. Times are BIGINT milliseconds.
CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),
    run_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL,
    max_attempts BIGINT NOT NULL,
    last_error TEXT,
    locked_by TEXT,
    locked_until BIGINT,
    created_at BIGINT NOT NULL,
    finished_at BIGINT
);
-- Claims look for queued jobs that are due and running jobs whose lease ran out.
CREATE INDEX jobs_due ON jobs (state, run_at);
CREATE INDEX jobs_leases ON jobs (state, locked_until);
-- Clean-up removes finished jobs after a while.
CREATE INDEX jobs_finished ON jobs (finished_at);
