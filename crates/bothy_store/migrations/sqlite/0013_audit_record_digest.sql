-- Audit covers clinical truth (issue 12, item 7). An event that writes a
-- clinical record names it (record_kind, record_id) and holds the digest of
-- the record's content after the write (record_digest); the seal covers all
-- three, and `bothy audit verify` compares each record with the digest of
-- its newest event. Events from before this migration have none and verify
-- as they did. The index is partial, so appending an event that writes no
-- clinical record does not touch it.
ALTER TABLE audit_events ADD COLUMN record_kind TEXT;
ALTER TABLE audit_events ADD COLUMN record_id TEXT;
ALTER TABLE audit_events ADD COLUMN record_digest TEXT;
CREATE INDEX audit_events_by_record ON audit_events (record_kind, record_id, seq)
    WHERE record_kind IS NOT NULL;
