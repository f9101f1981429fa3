-- The people waiting now (not yet treated, not discharged), by service in
-- the order they were referred. The triage clinician's home counts them on
-- every view and the waiting list pages them; with discharged_at outside
-- the index both visited every episode never treated, waiting or
-- discharged, and sorted them: 12-20 ms a view on a 100,000-patient SQLite
-- service (3,695 waiting among 11,830), under a millisecond with it. A
-- partial index was not enough: SQLite's statistics count NULL as one
-- value among many timestamps, so it estimated one episode not yet treated
-- and kept the old index. The dashboard's and completed waits' ranges of
-- first treatment read the same first two columns as before.
DROP INDEX episodes_waiting;
CREATE INDEX episodes_waiting ON episodes (service_id, first_treatment_at, discharged_at, referred_at, id);

-- The triage queue: each status's referrals in the queue's order (risk,
-- urgency, then longest waiting), so that the queue reads each status's
-- first page along it instead of every referral waiting (80-96 ms a view
-- for 12,857 on that service, 3-4 ms with it). It
-- also answers the front door's counts, as the index it replaces did.
DROP INDEX referrals_triage;
CREATE INDEX referrals_queue ON referrals (service_id, status, risk DESC, urgent DESC, (COALESCE(received_at, created_at)), id);
