-- Entries of the interactive tools: thought records and sleep-diary nights.
-- One table for every tool rather than a table per tool: what the app does
-- with an entry is the same whatever the tool (store it once per key, audit
-- it with a digest, read a person's entries newest first, show a few on the
-- staff patient page), while the fields differ by tool and are read only
-- through bothy_domain's checked values. So the fields are one JSON text,
-- written and read back by bothy_store (tool_entries.rs), with `tool` naming
-- its shape. TEXT rather than jsonb: nothing queries inside an entry, and the
-- audit digest covers the text exactly as stored. A new tool adds a kind,
-- not a table.
-- The idempotency key is unique per patient, so a Save tapped twice (or a
-- form sent again) stores one entry.
CREATE TABLE tool_entries (
    id TEXT PRIMARY KEY,
    patient_id TEXT NOT NULL REFERENCES patients (id),
    service_id TEXT NOT NULL REFERENCES services (id),
    tool TEXT NOT NULL,
    entry TEXT NOT NULL,
    recorded_at BIGINT NOT NULL,
    idempotency_key TEXT NOT NULL
);
CREATE UNIQUE INDEX tool_entries_by_key ON tool_entries (patient_id, idempotency_key);
CREATE INDEX tool_entries_by_patient ON tool_entries (patient_id, tool, recorded_at);
