-- Alerts on referrals (issue 13): a risk answer or risky words in a referral
-- raise an alert before anyone is a patient. An alert is about a patient, a
-- referral, or both (a referral's alert gains its patient when triage accepts
-- the referral, so the risk follows the person). Closing notes are kept for
-- every outcome, in outcome_note.
ALTER TABLE alerts ALTER COLUMN patient_id DROP NOT NULL;
ALTER TABLE alerts ADD COLUMN referral_id TEXT REFERENCES referrals (id);
ALTER TABLE alerts ADD CONSTRAINT alerts_have_subject
    CHECK (patient_id IS NOT NULL OR referral_id IS NOT NULL);
-- One open alert per referral and key, as per patient and key.
CREATE UNIQUE INDEX alerts_one_open_per_referral ON alerts (referral_id, dedupe_key)
    WHERE closed_at IS NULL AND referral_id IS NOT NULL;
CREATE INDEX alerts_by_referral ON alerts (referral_id) WHERE referral_id IS NOT NULL;
