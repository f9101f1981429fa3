-- Summaries kept at write time (bothy_domain::summaries), so detectors, outcome
-- reports and the monitoring sweep read one short row instead of a history.
-- Filled for existing records by the application after migrating
-- (`backfills` records that it ran).

-- Per episode and instrument: the referral's screening score, the first and
-- latest responses, and how many there were. `episode_key` is the episode's id,
-- or '' for responses made outside any episode.
CREATE TABLE measure_summaries (
    patient_id TEXT NOT NULL REFERENCES patients (id),
    episode_key TEXT NOT NULL,
    instrument_id TEXT NOT NULL,
    screening_at BIGINT,
    screening_total DOUBLE PRECISION,
    first_at BIGINT,
    first_total DOUBLE PRECISION,
    latest_at BIGINT,
    latest_total DOUBLE PRECISION,
    responses BIGINT NOT NULL,
    PRIMARY KEY (patient_id, episode_key, instrument_id)
);
CREATE INDEX measure_summaries_by_episode ON measure_summaries (episode_key);

-- Per person: the newest moods (one character each, oldest first), how many
-- check-ins, and when the last was recorded and checked in.
CREATE TABLE mood_summaries (
    patient_id TEXT PRIMARY KEY REFERENCES patients (id),
    moods TEXT NOT NULL,
    check_ins BIGINT NOT NULL,
    last_recorded_at BIGINT NOT NULL,
    last_checked_in_at BIGINT NOT NULL
);

-- Data fills run once by the application after a migration, by name.
CREATE TABLE backfills (
    name TEXT PRIMARY KEY,
    done_at BIGINT NOT NULL
);

-- A year's discharges for outcome reports; open episodes for sweeps.
CREATE INDEX episodes_by_discharge ON episodes (service_id, discharged_at);
CREATE INDEX episodes_open ON episodes (patient_id) WHERE discharged_at IS NULL;
