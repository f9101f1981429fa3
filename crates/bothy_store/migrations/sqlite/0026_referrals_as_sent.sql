-- Issue 16: referrals as GP systems send them. What another system sent
-- with a FHIR referral is kept exactly as sent and given back unchanged:
-- `sent` is bothy_domain::referral::as_sent::AsSent as JSON (the sender's
-- identifier, authoredOn, priority, coded reasons, notes, the requester's
-- ODS, SDS or GMC identifiers, the person's gender). The columns beside it
-- are what a sender searches by, each behind an index; the sending client
-- is kept here as on referrals, whose submission key stays the idempotency key.
CREATE TABLE referral_as_sent (
    referral_id TEXT PRIMARY KEY REFERENCES referrals (id),
    service_id TEXT NOT NULL REFERENCES services (id),
    api_client_id TEXT NOT NULL REFERENCES api_clients (id),
    identifier_system TEXT,
    identifier_value TEXT NOT NULL,
    requester_ods TEXT,
    practitioner_system TEXT,
    practitioner_value TEXT,
    sent TEXT NOT NULL
);
CREATE INDEX referral_as_sent_by_identifier ON referral_as_sent (service_id, identifier_value);
CREATE INDEX referral_as_sent_by_ods ON referral_as_sent (service_id, requester_ods);
CREATE INDEX referral_as_sent_by_practitioner ON referral_as_sent (service_id, practitioner_value);

-- A referral the sender marked urgent (priority urgent, asap or stat) is
-- sorted next after those with a risk answer in the triage queue.
ALTER TABLE referrals ADD COLUMN urgent BIGINT NOT NULL DEFAULT 0;

-- A sender following its referrals by the person's NHS number.
CREATE INDEX referrals_by_nhs_number ON referrals (service_id, nhs_number);
