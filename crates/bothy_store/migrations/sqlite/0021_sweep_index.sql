-- The monitoring sweep reads open episodes a page at a time, in patient
-- order. The partial index of open episodes on patient_id alone made each
-- page a scan of every remaining open episode with a sort (its rows had to
-- be fetched from the table); this one carries what the page reads, so a
-- page is a walk of the index. It serves every look-up the narrower one
-- did (an open episode by patient), which it replaces.
CREATE INDEX episodes_open_by_patient ON episodes (patient_id, id, service_id, opened_at)
    WHERE discharged_at IS NULL;
DROP INDEX episodes_open;
