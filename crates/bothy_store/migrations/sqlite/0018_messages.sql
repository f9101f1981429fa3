-- Secure messages (issue 14, item 6): threads between a patient and their
-- care team, and the messages in them.
--
-- A thread is started by the patient; `start_key` is the idempotency key
-- of the form that started it, so a double-tapped "Send" makes one thread.
CREATE TABLE message_threads (
    id TEXT PRIMARY KEY,
    patient_id TEXT NOT NULL REFERENCES patients (id),
    service_id TEXT NOT NULL REFERENCES services (id),
    subject TEXT NOT NULL,
    created_by_kind TEXT NOT NULL CHECK (created_by_kind IN ('patient', 'staff')),
    created_by_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_message_at BIGINT NOT NULL,
    start_key TEXT NOT NULL
);
CREATE UNIQUE INDEX message_threads_one_per_key ON message_threads (patient_id, start_key);
CREATE INDEX message_threads_by_patient ON message_threads (patient_id, last_message_at);

-- One message. `read_at` is when the other side first opened the thread
-- after it was sent (the patient, for a message from staff; any member of
-- the care team, `read_by`, for one from the patient). `needs_clinician_*`
-- is a member of staff's mark that a clinician should look at it.
-- The unique index on the author's idempotency key makes a resent form
-- store one message; on PostgreSQL an insert racing another waits for it.
CREATE TABLE messages (
    id TEXT PRIMARY KEY,
    thread_id TEXT NOT NULL REFERENCES message_threads (id),
    patient_id TEXT NOT NULL REFERENCES patients (id),
    service_id TEXT NOT NULL REFERENCES services (id),
    author_kind TEXT NOT NULL CHECK (author_kind IN ('patient', 'staff')),
    author_id TEXT NOT NULL,
    body TEXT NOT NULL,
    sent_at BIGINT NOT NULL,
    idempotency_key TEXT NOT NULL,
    read_at BIGINT,
    read_by TEXT REFERENCES staff (id),
    needs_clinician_at BIGINT,
    needs_clinician_by TEXT REFERENCES staff (id)
);
CREATE UNIQUE INDEX messages_one_per_key ON messages (thread_id, author_kind, author_id, idempotency_key);
CREATE INDEX messages_by_thread ON messages (thread_id, sent_at);
-- Unread counts per patient and side, read on every patient home.
CREATE INDEX messages_unread ON messages (patient_id, author_kind) WHERE read_at IS NULL;
