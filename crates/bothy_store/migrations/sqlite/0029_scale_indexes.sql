-- Look-ups that were scans of a whole table, found on a service of 1M
-- patients (BENCHMARKS.md): a patient's referrals (the record page's
-- messages not sent, by their referrals), and the waiting list's page
-- (the reminders task walks people waiting by id).
CREATE INDEX referrals_by_patient ON referrals (patient_id);
CREATE INDEX episodes_waiting_by_id ON episodes (id) WHERE first_treatment_at IS NULL AND discharged_at IS NULL;

-- Migration 28's (patient_id, submitted_at, id) serves every read the
-- older (patient_id, submitted_at) did: one index fewer for each response
-- written.
DROP INDEX measure_responses_by_patient;
