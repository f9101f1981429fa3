-- Foundation: services, staff, patients, sessions, API clients, audit.
-- Times are BIGINT milliseconds since the Unix epoch (UTC) in both backends.
CREATE TABLE services (
    id TEXT PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE staff (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    password_hash TEXT,
    totp_secret TEXT,
    totp_last_step BIGINT,
    created_at BIGINT NOT NULL,
    disabled_at BIGINT
);

CREATE TABLE staff_roles (
    staff_id TEXT NOT NULL REFERENCES staff (id),
    service_id TEXT NOT NULL REFERENCES services (id),
    role TEXT NOT NULL,
    PRIMARY KEY (staff_id, service_id, role)
);

CREATE TABLE staff_enrolments (
    token_hash TEXT PRIMARY KEY,
    staff_id TEXT NOT NULL REFERENCES staff (id),
    totp_secret TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);

CREATE TABLE patients (
    id TEXT PRIMARY KEY,
    service_id TEXT NOT NULL REFERENCES services (id),
    given_name TEXT NOT NULL,
    family_name TEXT NOT NULL,
    date_of_birth TEXT NOT NULL,
    email TEXT UNIQUE,
    phone TEXT,
    password_hash TEXT,
    supporter_id TEXT REFERENCES staff (id),
    created_at BIGINT NOT NULL
);
CREATE INDEX patients_by_service ON patients (service_id, family_name, given_name);
CREATE INDEX patients_by_supporter ON patients (supporter_id, family_name, given_name);

CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    data TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);

CREATE TABLE api_clients (
    id TEXT PRIMARY KEY,
    service_id TEXT NOT NULL REFERENCES services (id),
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    permissions TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);

CREATE TABLE audit_chains (
    chain BIGINT PRIMARY KEY,
    last_seq BIGINT NOT NULL,
    last_hash TEXT NOT NULL
);
INSERT INTO audit_chains (chain, last_seq, last_hash)
SELECT value, 0, '0000000000000000000000000000000000000000000000000000000000000000'
FROM (WITH RECURSIVE n(value) AS (SELECT 0 UNION ALL SELECT value + 1 FROM n WHERE value < 15) SELECT value FROM n);

CREATE TABLE audit_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    chain BIGINT NOT NULL REFERENCES audit_chains (chain),
    chain_seq BIGINT NOT NULL,
    at BIGINT NOT NULL,
    actor_kind TEXT NOT NULL,
    actor_id TEXT,
    role TEXT,
    service_id TEXT,
    patient_id TEXT,
    action TEXT NOT NULL,
    purpose TEXT NOT NULL,
    request_id TEXT,
    detail TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    UNIQUE (chain, chain_seq)
);
CREATE INDEX audit_events_by_patient ON audit_events (patient_id, seq);
