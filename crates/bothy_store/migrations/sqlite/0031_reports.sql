-- Issue 18: service reports (docs/reports.md).

-- A deprivation index by postcode, as a deployment imports it from the
-- published look-up file (`bothy admin import-deprivation`): one row per
-- edition and postcode, postcodes normalised as UkPostcode writes them
-- ("EH1 1AA"), decile 1 the most deprived. Several editions can be held
-- at once, so that a report names the edition it used.
CREATE TABLE deprivation_lookup (
    edition TEXT NOT NULL,
    postcode TEXT NOT NULL,
    decile BIGINT NOT NULL CHECK (decile BETWEEN 1 AND 10),
    PRIMARY KEY (edition, postcode)
);

-- Each imported edition: how many postcodes, and when.
CREATE TABLE deprivation_editions (
    edition TEXT PRIMARY KEY,
    postcodes BIGINT NOT NULL,
    imported_at BIGINT NOT NULL
);

-- The dashboard reads each figure as one grouped range scan of indexed
-- columns rather than keeping counters at write time (docs/reports.md):
-- referrals by when they were received, episodes by when treatment began
-- (episodes_waiting covers it) and by discharge (episodes_by_discharge),
-- alerts by when raised (alerts_by_service), episodes by when opened.
CREATE INDEX referrals_by_received ON referrals (service_id, received_at);
CREATE INDEX episodes_by_opened ON episodes (service_id, opened_at);
