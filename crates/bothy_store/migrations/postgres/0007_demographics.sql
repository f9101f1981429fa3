-- Demographics a service reports on (equality monitoring) and synthetic data
-- carries: sex, ethnicity (broad ONS 2021 census groups), postcode and its
-- deprivation decile (IMD, 1 most deprived .. 10 least). One row per patient,
-- apart from the patient record so that it can be read and kept separately.
CREATE TABLE patient_demographics (
    patient_id TEXT PRIMARY KEY REFERENCES patients (id),
    sex TEXT,
    ethnicity TEXT,
    postcode TEXT,
    imd_decile BIGINT
);
