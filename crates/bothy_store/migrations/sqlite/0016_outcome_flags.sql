-- A discharged episode keeps what the outcome report counts of it (the
-- bits of bothy_domain::outcomes::OutcomeFlags) and the fingerprint of the
-- rules and instrument versions that classified it, so that a year's
-- outcomes are a sum in the database rather than a classification of every
-- episode (W5). Episodes without flags, or with another fingerprint, are
-- classified again when counted. The index covers the sum.
ALTER TABLE episodes ADD COLUMN outcome_flags INTEGER;
ALTER TABLE episodes ADD COLUMN outcome_rules TEXT;
DROP INDEX episodes_by_discharge;
CREATE INDEX episodes_by_discharge ON episodes (service_id, discharged_at, outcome_rules, outcome_flags);
