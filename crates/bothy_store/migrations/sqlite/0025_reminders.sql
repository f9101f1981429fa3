-- Issue 15: a person's daily check-in prompt at the time they chose.
--
-- `minute` is the local time of day (the service's time zone) in minutes
-- after midnight, on the half hour. `last_prompted_on` is the local date
-- of the last prompt: claiming a day's prompt is a guarded UPDATE ... WHERE
-- last_prompted_on differs, so however many workers look, a day's prompt
-- is sent once. The index serves the worker's question "whose time has
-- come in this service".
CREATE TABLE check_in_prompts (
    patient_id TEXT PRIMARY KEY REFERENCES patients (id),
    service_id TEXT NOT NULL REFERENCES services (id),
    minute BIGINT NOT NULL CHECK (minute >= 0 AND minute < 1440),
    last_prompted_on TEXT,
    updated_at BIGINT NOT NULL
);
CREATE INDEX check_in_prompts_by_time ON check_in_prompts (service_id, minute);
