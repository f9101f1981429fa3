-- When a measure was completed, as its sender said (a FHIR
-- QuestionnaireResponse's `authored`), kept beside `submitted_at`, the time
-- Bothy received it, by which charts, outcomes and detectors go. NULL: it
-- was completed when received (every web form).
ALTER TABLE measure_responses ADD COLUMN authored_at BIGINT;
CREATE INDEX measure_responses_by_key ON measure_responses (service_id, idempotency_key);
