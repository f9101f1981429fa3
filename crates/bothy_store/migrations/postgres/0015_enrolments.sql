-- Programme enrolments (issue 14): a patient enrolled on a programme by
-- staff of their service. The programme's content is pinned at enrolment
-- (`content`, the parsed programme as JSON, with its id and version beside
-- it), so later edits of the programme files never change what an
-- enrolled person sees or has done.
CREATE TABLE enrolments (
    id TEXT PRIMARY KEY,
    patient_id TEXT NOT NULL REFERENCES patients (id),
    service_id TEXT NOT NULL REFERENCES services (id),
    programme_id TEXT NOT NULL,
    programme_version TEXT NOT NULL,
    content TEXT NOT NULL,
    supporter_id TEXT REFERENCES staff (id),
    status TEXT NOT NULL CHECK (status IN ('active', 'paused', 'finished')),
    enrolled_at BIGINT NOT NULL,
    enrolled_by TEXT NOT NULL REFERENCES staff (id),
    paused_at BIGINT,
    finished_at BIGINT
);
-- At most one enrolment per patient and programme that is not finished:
-- two clinicians enrolling at once make one.
CREATE UNIQUE INDEX enrolments_one_current ON enrolments (patient_id, programme_id)
    WHERE status <> 'finished';
CREATE INDEX enrolments_by_patient ON enrolments (patient_id, enrolled_at);

-- Each module opened for an enrolment (1-based, in the pinned programme's
-- order), by whom, and when the person finished it. A module not opened
-- has no row.
CREATE TABLE module_progress (
    enrolment_id TEXT NOT NULL REFERENCES enrolments (id),
    module BIGINT NOT NULL,
    unlocked_at BIGINT NOT NULL,
    unlocked_by_kind TEXT NOT NULL,
    unlocked_by_id TEXT,
    completed_at BIGINT,
    PRIMARY KEY (enrolment_id, module)
);
