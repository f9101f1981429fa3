-- One episode per referral, as an index. Before triage decisions locked the
-- referral, clinicians accepting the same referral at the same moment on
-- PostgreSQL could each open an episode (SQLite serialised them). Such rows
-- would make the unique index fail, so they are dealt with here, and nothing
-- is deleted: of a referral's episodes, the one whose patient the referral
-- names (else the first opened) stays as it is; every other is marked with
-- the episode it duplicates, in a new column, and left open for staff to
-- review and discharge (they find them with
-- `SELECT * FROM episodes WHERE duplicate_of IS NOT NULL`). The index covers
-- every episode not so marked, which from now on is every new one.
ALTER TABLE episodes ADD COLUMN duplicate_of TEXT;

UPDATE episodes SET duplicate_of = (
    SELECT k.id FROM episodes k JOIN referrals r ON r.id = k.referral_id
    WHERE k.referral_id = episodes.referral_id
    ORDER BY CASE WHEN k.patient_id = r.patient_id THEN 0 ELSE 1 END, k.opened_at, k.id
    LIMIT 1
)
WHERE referral_id IN (SELECT referral_id FROM episodes GROUP BY referral_id HAVING COUNT(*) > 1);
UPDATE episodes SET duplicate_of = NULL WHERE duplicate_of = id;

CREATE UNIQUE INDEX episodes_referral_id_key ON episodes (referral_id) WHERE duplicate_of IS NULL;
