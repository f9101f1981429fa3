-- Supported reviews of programme enrolments (issue 14): a supporter's
-- written feedback on what the person did since the review before.
--
-- The next review's due date is computed, not stored: it is the service's
-- `[reviews] every_days` after the enrolment's newest review, or after
-- enrolment when there is none. A stored column would have to be rewritten
-- for every enrolment whenever a service changed its cadence, and could
-- drift from the reviews it summarises; computed, it cannot. What a column
-- would have given, one winner when two supporters complete a review at
-- once, comes from `due_at`: each review records the due date it answered,
-- unique per enrolment, so the same review written twice at once stores
-- once (the second waits on the index, then is refused).
--
-- The idempotency key is unique per enrolment, so a double-submitted form
-- stores one review. `read_at` is when the person first opened it, for
-- "new feedback" on their home page.
CREATE TABLE reviews (
    id TEXT PRIMARY KEY,
    enrolment_id TEXT NOT NULL REFERENCES enrolments (id),
    patient_id TEXT NOT NULL REFERENCES patients (id),
    service_id TEXT NOT NULL REFERENCES services (id),
    reviewer_id TEXT NOT NULL REFERENCES staff (id),
    feedback TEXT NOT NULL,
    due_at BIGINT NOT NULL,
    written_at BIGINT NOT NULL,
    read_at BIGINT,
    idempotency_key TEXT NOT NULL
);
CREATE UNIQUE INDEX reviews_by_key ON reviews (enrolment_id, idempotency_key);
CREATE UNIQUE INDEX reviews_one_per_due ON reviews (enrolment_id, due_at);
CREATE INDEX reviews_by_patient ON reviews (patient_id, written_at);
