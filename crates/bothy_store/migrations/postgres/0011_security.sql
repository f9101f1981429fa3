-- Security hardening (issue 12).

-- Refused tries at an activation link (an email address that cannot be
-- used): the link is used up after a few, so it cannot be used to ask
-- about many addresses.
ALTER TABLE patient_activations ADD COLUMN refused_attempts BIGINT NOT NULL DEFAULT 0;

-- Whose session this is ('staff:ID' or 'patient:ID'), written whenever the
-- session is saved, so that a password change can end the account's other
-- sessions. NULL for a session nobody has signed in to.
ALTER TABLE sessions ADD COLUMN account TEXT;
CREATE INDEX sessions_by_account ON sessions (account);

-- The API client that sent a FHIR referral: a client reads back only its own.
ALTER TABLE referrals ADD COLUMN api_client_id TEXT REFERENCES api_clients (id);
