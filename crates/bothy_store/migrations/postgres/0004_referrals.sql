-- The front door: referrals (drafts included, so nothing typed is lost),
-- episodes of care, single-use patient activation links, and what matching
-- needs to know about patients.
ALTER TABLE patients ADD COLUMN nhs_number TEXT;
ALTER TABLE patients ADD COLUMN chi TEXT;
ALTER TABLE patients ADD COLUMN postcode TEXT;
CREATE INDEX patients_by_nhs_number ON patients (service_id, nhs_number);
CREATE INDEX patients_by_chi ON patients (service_id, chi);
CREATE INDEX patients_by_birth ON patients (service_id, date_of_birth);

-- Outward postcode codes (e.g. "EH1 TD") a service covers, for finding it by postcode.
ALTER TABLE services ADD COLUMN areas TEXT NOT NULL DEFAULT '';

CREATE TABLE referrals (
    id TEXT PRIMARY KEY,
    service_id TEXT NOT NULL REFERENCES services (id),
    status TEXT NOT NULL,
    source TEXT NOT NULL,
    -- A self-referral draft is reached by a resume link; only its hash is kept.
    resume_token_hash TEXT UNIQUE,
    given_name TEXT,
    family_name TEXT,
    date_of_birth TEXT,
    email TEXT,
    phone TEXT,
    preferred_channel TEXT,
    language TEXT,
    accessibility_needs TEXT,
    nhs_number TEXT,
    chi TEXT,
    postcode TEXT,
    gp_practice TEXT,
    problem_text TEXT,
    problems TEXT NOT NULL DEFAULT '[]',
    phq9 TEXT,
    gad7 TEXT,
    consents TEXT NOT NULL DEFAULT '{}',
    referrer_name TEXT,
    referrer_organisation TEXT,
    referrer_email TEXT,
    risk BIGINT NOT NULL DEFAULT 0,
    -- Set when sent: the referral-to-treatment clock starts here.
    received_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    decision_note TEXT,
    decided_by TEXT REFERENCES staff (id),
    decided_at BIGINT,
    patient_id TEXT REFERENCES patients (id),
    -- Makes a double-submitted professional or FHIR referral create one row.
    submission_key TEXT UNIQUE
);
CREATE INDEX referrals_triage ON referrals (service_id, status, risk, received_at);

-- Candidate matches a clinician confirmed or rejected (never merged automatically).
CREATE TABLE referral_matches (
    referral_id TEXT NOT NULL REFERENCES referrals (id),
    patient_id TEXT NOT NULL REFERENCES patients (id),
    verdict TEXT NOT NULL,
    decided_by TEXT NOT NULL REFERENCES staff (id),
    decided_at BIGINT NOT NULL,
    PRIMARY KEY (referral_id, patient_id)
);

CREATE TABLE episodes (
    id TEXT PRIMARY KEY,
    patient_id TEXT NOT NULL REFERENCES patients (id),
    service_id TEXT NOT NULL REFERENCES services (id),
    referral_id TEXT NOT NULL REFERENCES referrals (id),
    step TEXT NOT NULL,
    practitioner_id TEXT NOT NULL REFERENCES staff (id),
    problem_descriptor TEXT NOT NULL,
    referred_at BIGINT NOT NULL,
    opened_at BIGINT NOT NULL,
    -- The referral-to-treatment clock stops at the first treatment contact.
    first_treatment_at BIGINT,
    treatment_appointments BIGINT NOT NULL DEFAULT 0,
    discharged_at BIGINT,
    discharge_reason TEXT,
    outcome TEXT
);
CREATE INDEX episodes_by_patient ON episodes (patient_id, opened_at);
CREATE INDEX episodes_waiting ON episodes (service_id, first_treatment_at, referred_at);

CREATE TABLE patient_activations (
    token_hash TEXT PRIMARY KEY,
    patient_id TEXT NOT NULL REFERENCES patients (id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
