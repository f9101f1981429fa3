-- Alerts: a signal from a detector that a person must look at and close.
-- One open alert per patient and dedupe key (the partial unique index): a
-- repeated signal updates the open alert instead of adding another.
-- severity_rank orders severities (low 1 .. urgent 4) in SQL.
CREATE TABLE alerts (
    id TEXT PRIMARY KEY,
    patient_id TEXT NOT NULL REFERENCES patients (id),
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
    escalated_at BIGINT
);
CREATE UNIQUE INDEX alerts_one_open ON alerts (patient_id, dedupe_key) WHERE closed_at IS NULL;
CREATE INDEX alerts_queue ON alerts (service_id, deadline_at) WHERE closed_at IS NULL;
CREATE INDEX alerts_by_service ON alerts (service_id, raised_at);
CREATE INDEX alerts_by_patient ON alerts (patient_id, raised_at);
-- The worker's look for overdue alerts, every few seconds.
CREATE INDEX alerts_to_escalate ON alerts (deadline_at) WHERE closed_at IS NULL AND escalated_at IS NULL;

-- Risk flags become alerts; each keeps its own key so none is merged away.
-- The risk_flags table stays (no longer written) until a later migration
-- removes it, so that a server of the previous version can run during a deploy.
INSERT INTO alerts (id, patient_id, service_id, cause, dedupe_key, severity, severity_rank,
    summary, source_kind, source_id, raised_at, deadline_at, signal_count, last_signal_at)
SELECT id, patient_id, service_id,
    CASE WHEN reason LIKE 'Reliable deterioration%' THEN 'deterioration' ELSE 'risk_item' END,
    'migrated:' || id, 'high', 3, reason, source_kind, source_id, raised_at, raised_at, 1, raised_at
FROM risk_flags;

-- A patient's safety plan. Every save is a new version; the newest is the
-- plan. Each section holds one item per line.
CREATE TABLE safety_plan_versions (
    patient_id TEXT NOT NULL REFERENCES patients (id),
    version BIGINT NOT NULL,
    service_id TEXT NOT NULL REFERENCES services (id),
    warning_signs TEXT NOT NULL,
    coping_strategies TEXT NOT NULL,
    people_and_places TEXT NOT NULL,
    professionals TEXT NOT NULL,
    safe_environment TEXT NOT NULL,
    saved_at BIGINT NOT NULL,
    saved_by_kind TEXT NOT NULL,
    saved_by_id TEXT,
    PRIMARY KEY (patient_id, version)
);

-- Each service's expected score trajectories per instrument, computed from
-- its finished episodes by the evaluation job, for the not-on-track detector.
CREATE TABLE expected_trajectories (
    service_id TEXT NOT NULL REFERENCES services (id),
    instrument TEXT NOT NULL,
    trajectories TEXT NOT NULL,
    computed_at BIGINT NOT NULL,
    PRIMARY KEY (service_id, instrument)
);
