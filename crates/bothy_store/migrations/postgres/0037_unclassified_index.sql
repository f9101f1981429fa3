-- Reading a report classifies first any episode that ended without
-- outcome flags (outcomes.rs). Without these, finding none meant reading
-- every episode of the period to check its rules (0.5-0.8 s on a million):
-- episodes never classified are found along the first index, and whether
-- any carry flags of other rules (after an instrument's rules change) by
-- two probes of the second.
CREATE INDEX episodes_unclassified ON episodes (service_id, discharged_at, id)
    WHERE outcome_rules IS NULL AND discharged_at IS NOT NULL;
CREATE INDEX episodes_by_rules ON episodes (service_id, outcome_rules)
    WHERE outcome_rules IS NOT NULL;
