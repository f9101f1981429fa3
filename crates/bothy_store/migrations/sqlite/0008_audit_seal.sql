-- Audit without hot locks. An event is appended with a plain INSERT and no
-- chain position; shortly after it commits, one sealer at a time gives it the
-- next position of a single hash chain (seal_pos, gap-free from 1), the time
-- and its hash (seal_hash, sealed_at). audit_events_unsealed holds only the
-- events still waiting, so the sealer finds them by "not yet sealed", never
-- by "seq above the last sealed" (on PostgreSQL seq is given at insert, not
-- at commit). audit_sealer is one row: the newest seal (the head, so that
-- removing the newest sealed events is detected), the sealer's lease, and
-- when the earlier chains were checked.
--
-- Add before remove: the earlier format's columns (chain, chain_seq,
-- prev_hash, hash) and audit_chains stay, now nullable, so that a server of
-- the previous version can keep appending during a deploy; the sealer
-- checks those chains once, then seals their events like any other. A later
-- migration removes them. SQLite cannot drop NOT NULL from a column, so the
-- table is rebuilt with the same rows, numbers and indexes.
CREATE TABLE audit_events_new (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    chain BIGINT REFERENCES audit_chains (chain),
    chain_seq BIGINT,
    at BIGINT NOT NULL,
    actor_kind TEXT NOT NULL,
    actor_id TEXT,
    role TEXT,
    service_id TEXT,
    patient_id TEXT,
    action TEXT NOT NULL,
    purpose TEXT NOT NULL,
    request_id TEXT,
    detail TEXT,
    prev_hash TEXT,
    hash TEXT,
    seal_pos BIGINT,
    seal_hash TEXT,
    sealed_at BIGINT,
    UNIQUE (chain, chain_seq)
);
INSERT INTO audit_events_new (seq, chain, chain_seq, at, actor_kind, actor_id, role, service_id,
    patient_id, action, purpose, request_id, detail, prev_hash, hash)
SELECT seq, chain, chain_seq, at, actor_kind, actor_id, role, service_id,
    patient_id, action, purpose, request_id, detail, prev_hash, hash
FROM audit_events;
-- Numbers are never reused, not even those of deleted newest events.
INSERT INTO sqlite_sequence (name, seq)
SELECT 'audit_events_new', 0
WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'audit_events_new');
UPDATE sqlite_sequence
SET seq = MAX(seq, COALESCE((SELECT s.seq FROM sqlite_sequence s WHERE s.name = 'audit_events'), 0))
WHERE name = 'audit_events_new';
DROP TABLE audit_events;
ALTER TABLE audit_events_new RENAME TO audit_events;
CREATE INDEX audit_events_by_patient ON audit_events (patient_id, seq);
CREATE INDEX audit_events_unsealed ON audit_events (seq) WHERE seal_pos IS NULL;
-- Partial, so that appending an event (with no position) does not touch it.
CREATE UNIQUE INDEX audit_events_by_seal ON audit_events (seal_pos) WHERE seal_pos IS NOT NULL;

CREATE TABLE audit_sealer (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    head_pos BIGINT NOT NULL,
    head_hash TEXT NOT NULL,
    head_sealed_at BIGINT,
    lease_holder TEXT,
    lease_until BIGINT,
    legacy_checked_at BIGINT
);
INSERT INTO audit_sealer (id, head_pos, head_hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
