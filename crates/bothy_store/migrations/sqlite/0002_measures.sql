-- Measures: scored responses, drafts kept while a form is unfinished, and
-- risk flags raised by risk answers (the monitoring work turns flags into alerts).
-- Yes/no columns are BIGINT 0/1, which both backends read back alike.
CREATE TABLE measure_responses (
    id TEXT PRIMARY KEY,
    patient_id TEXT NOT NULL REFERENCES patients (id),
    service_id TEXT NOT NULL REFERENCES services (id),
    instrument_id TEXT NOT NULL,
    instrument_version TEXT NOT NULL,
    answers TEXT NOT NULL,
    total DOUBLE PRECISION NOT NULL,
    raw_total BIGINT,
    band TEXT,
    at_caseness BIGINT,
    prorated BIGINT NOT NULL,
    risk_items TEXT NOT NULL,
    source TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    submitted_at BIGINT NOT NULL,
    submitted_by_kind TEXT NOT NULL,
    submitted_by_id TEXT,
    UNIQUE (patient_id, idempotency_key)
);
CREATE INDEX measure_responses_by_patient ON measure_responses (patient_id, submitted_at);

CREATE TABLE measure_drafts (
    patient_id TEXT NOT NULL REFERENCES patients (id),
    instrument_id TEXT NOT NULL,
    answers TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (patient_id, instrument_id)
);

CREATE TABLE risk_flags (
    id TEXT PRIMARY KEY,
    patient_id TEXT NOT NULL REFERENCES patients (id),
    service_id TEXT NOT NULL REFERENCES services (id),
    source_kind TEXT NOT NULL,
    source_id TEXT NOT NULL,
    reason TEXT NOT NULL,
    raised_at BIGINT NOT NULL,
    status TEXT NOT NULL
);
CREATE INDEX risk_flags_by_service ON risk_flags (service_id, status, raised_at);
CREATE INDEX risk_flags_by_patient ON risk_flags (patient_id, raised_at);
