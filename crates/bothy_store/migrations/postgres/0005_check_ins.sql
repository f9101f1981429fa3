-- Check-ins: a mood rating (0-10) with optional sleep, activity and note.
-- checked_in_at is when the person says; recorded_at is when it was stored.
CREATE TABLE check_ins (
    id TEXT PRIMARY KEY,
    patient_id TEXT NOT NULL REFERENCES patients (id),
    service_id TEXT NOT NULL REFERENCES services (id),
    mood BIGINT NOT NULL,
    sleep_hours DOUBLE PRECISION,
    activity TEXT,
    note TEXT,
    checked_in_at BIGINT NOT NULL,
    recorded_at BIGINT NOT NULL,
    idempotency_key TEXT,
    UNIQUE (patient_id, idempotency_key)
);
CREATE INDEX check_ins_by_patient ON check_ins (patient_id, checked_in_at);
