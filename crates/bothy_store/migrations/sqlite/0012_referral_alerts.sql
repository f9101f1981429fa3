-- Alerts on referrals (issue 13): a risk answer or risky words in a referral
-- raise an alert before anyone is a patient. An alert is about a patient, a
-- referral, or both (a referral's alert gains its patient when triage accepts
-- the referral, so the risk follows the person). Closing notes are kept for
-- every outcome, in outcome_note.
-- SQLite cannot drop NOT NULL in place: the table is rebuilt (nothing
-- references alerts, so no foreign key is disturbed).
CREATE TABLE alerts_new (
    id TEXT PRIMARY KEY,
    patient_id TEXT REFERENCES patients (id),
    service_id TEXT NOT NULL REFERENCES services (id),
    cause TEXT NOT NULL,
    dedupe_key TEXT NOT NULL,
    severity TEXT NOT NULL,
    severity_rank BIGINT NOT NULL,
    summary TEXT NOT NULL,
    source_kind TEXT NOT NULL,
    source_id TEXT NOT NULL,
    assigned_to TEXT REFERENCES staff (id),
    raised_at BIGINT NOT NULL,
    deadline_at BIGINT NOT NULL,
    signal_count BIGINT NOT NULL,
    last_signal_at BIGINT NOT NULL,
    acknowledged_at BIGINT,
    acknowledged_by TEXT REFERENCES staff (id),
    closed_at BIGINT,
    closed_by TEXT REFERENCES staff (id),
    outcome TEXT,
    outcome_note TEXT,
    escalated_at BIGINT,
    referral_id TEXT REFERENCES referrals (id),
    CONSTRAINT alerts_have_subject CHECK (patient_id IS NOT NULL OR referral_id IS NOT NULL)
);
INSERT INTO alerts_new (id, patient_id, service_id, cause, dedupe_key, severity, severity_rank,
    summary, source_kind, source_id, assigned_to, raised_at, deadline_at, signal_count,
    last_signal_at, acknowledged_at, acknowledged_by, closed_at, closed_by, outcome,
    outcome_note, escalated_at)
SELECT id, patient_id, service_id, cause, dedupe_key, severity, severity_rank,
    summary, source_kind, source_id, assigned_to, raised_at, deadline_at, signal_count,
    last_signal_at, acknowledged_at, acknowledged_by, closed_at, closed_by, outcome,
    outcome_note, escalated_at
FROM alerts;
DROP TABLE alerts;
ALTER TABLE alerts_new RENAME TO alerts;
CREATE UNIQUE INDEX alerts_one_open ON alerts (patient_id, dedupe_key) WHERE closed_at IS NULL;
CREATE INDEX alerts_queue ON alerts (service_id, deadline_at) WHERE closed_at IS NULL;
CREATE INDEX alerts_by_service ON alerts (service_id, raised_at);
CREATE INDEX alerts_by_patient ON alerts (patient_id, raised_at);
CREATE INDEX alerts_to_escalate ON alerts (deadline_at) WHERE closed_at IS NULL AND escalated_at IS NULL;
-- One open alert per referral and key, as per patient and key.
CREATE UNIQUE INDEX alerts_one_open_per_referral ON alerts (referral_id, dedupe_key)
    WHERE closed_at IS NULL AND referral_id IS NOT NULL;
CREATE INDEX alerts_by_referral ON alerts (referral_id) WHERE referral_id IS NOT NULL;
