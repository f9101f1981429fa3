-- Screening instruments as data (a service may screen with CORE-10 or EPDS
-- rather than PHQ-9 and GAD-7): a referral's screening answers are one JSON
-- object, instrument id to answers. Referrals written before this keep
-- their answers in the old phq9 and gad7 columns, which Bothy reads when
-- `screening` is empty and clears on its next write of the row. They are
-- not copied here, so that each such row still matches the audit digest
-- taken when it was written (the digest covers `screening` only once it
-- holds a value).
ALTER TABLE referrals ADD COLUMN screening TEXT;
