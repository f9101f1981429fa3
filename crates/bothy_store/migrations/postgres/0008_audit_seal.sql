-- Audit without hot locks. An event is appended with a plain INSERT and no
-- chain position; shortly after it commits, one sealer at a time gives it the
-- next position of a single hash chain (seal_pos, gap-free from 1), the time
-- and its hash (seal_hash, sealed_at). audit_events_unsealed holds only the
-- events still waiting, so the sealer finds them by "not yet sealed", never
-- by "seq above the last sealed" (an identity is given at insert, not at
-- commit, so a lower seq can commit later). audit_sealer is one row: the
-- newest seal (the head, so that removing the newest sealed events is
-- detected), the sealer's lease, and when the earlier chains were checked.
--
-- Add before remove: the earlier format's columns (chain, chain_seq,
-- prev_hash, hash) and audit_chains stay, now nullable, so that a server of
-- the previous version can keep appending during a deploy; the sealer
-- checks those chains once, then seals their events like any other. A later
-- migration removes them.
ALTER TABLE audit_events
    ALTER COLUMN chain DROP NOT NULL,
    ALTER COLUMN chain_seq DROP NOT NULL,
    ALTER COLUMN prev_hash DROP NOT NULL,
    ALTER COLUMN hash DROP NOT NULL,
    ADD COLUMN seal_pos BIGINT,
    ADD COLUMN seal_hash TEXT,
    ADD COLUMN sealed_at BIGINT;
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
