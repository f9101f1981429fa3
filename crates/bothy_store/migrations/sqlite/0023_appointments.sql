-- Issue 15: appointments, in person, by phone or by video, and what
-- happened at each (bothy_domain::appointments).
--
-- `status` moves from 'booked' exactly once (attended, did not attend,
-- cancelled by the service or the person): every change is a guarded
-- UPDATE ... WHERE status = 'booked', so two clinicians recording at once
-- change it once. `room` is the video room's random name (video only).
-- `idempotency_key` is the booking form's key, unique per patient, so a
-- form sent twice books one appointment. `sequence` counts the times it
-- was moved (guarded by the count the form read), the calendar's SEQUENCE.
--
-- One practitioner cannot be booked twice at the same start: a partial
-- unique index over appointments that still stand (a cancelled one frees
-- its time). Overlapping appointments with different starts are refused by
-- the booking's own check, not by an index (see docs/decisions-channels.md).
CREATE TABLE appointments (
    id TEXT PRIMARY KEY,
    patient_id TEXT NOT NULL REFERENCES patients (id),
    service_id TEXT NOT NULL REFERENCES services (id),
    practitioner_id TEXT NOT NULL REFERENCES staff (id),
    kind TEXT NOT NULL CHECK (kind IN ('in_person', 'phone', 'video')),
    starts_at BIGINT NOT NULL,
    minutes BIGINT NOT NULL CHECK (minutes BETWEEN 10 AND 180),
    status TEXT NOT NULL CHECK (status IN ('booked', 'attended', 'did_not_attend', 'cancelled_by_service', 'cancelled_by_patient')),
    room TEXT,
    booked_by TEXT NOT NULL REFERENCES staff (id),
    booked_at BIGINT NOT NULL,
    sequence BIGINT NOT NULL DEFAULT 0,
    outcome_by TEXT REFERENCES staff (id),
    outcome_at BIGINT,
    idempotency_key TEXT NOT NULL
);
CREATE UNIQUE INDEX appointments_by_key ON appointments (patient_id, idempotency_key);
CREATE UNIQUE INDEX appointments_one_per_start ON appointments (practitioner_id, starts_at)
    WHERE status NOT IN ('cancelled_by_service', 'cancelled_by_patient');
CREATE INDEX appointments_by_patient ON appointments (patient_id, starts_at);
CREATE INDEX appointments_by_service ON appointments (service_id, starts_at);
