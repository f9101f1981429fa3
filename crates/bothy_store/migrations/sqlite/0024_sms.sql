-- Issue 15: two-way text messages, STOP and START, and each message's
-- delivery as the gateway reports it.

-- Inbound texts are matched to people by their number.
CREATE INDEX patients_by_phone ON patients (phone);

-- The question a person is being asked by text, one at a time each: its
-- state is bothy_domain::sms::Conversation as JSON (which question, the
-- answers so far, never anything the person wrote). `step` is bumped by
-- every change, which is guarded by it, so two replies at once cannot both
-- move the conversation on.
CREATE TABLE sms_conversations (
    patient_id TEXT PRIMARY KEY REFERENCES patients (id),
    service_id TEXT NOT NULL REFERENCES services (id),
    state TEXT NOT NULL,
    step BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Each inbound text handled, by the gateway's own id: the same text
-- delivered twice is handled once. Never the number or the words; rows go
-- after 30 days (housekeeping).
CREATE TABLE sms_inbound (
    gateway_id TEXT PRIMARY KEY,
    received_at BIGINT NOT NULL,
    patient_id TEXT REFERENCES patients (id),
    outcome TEXT NOT NULL
);
CREATE INDEX sms_inbound_by_time ON sms_inbound (received_at);

-- Numbers that replied STOP: no text goes to them until they reply START.
CREATE TABLE sms_opt_outs (
    phone TEXT PRIMARY KEY,
    opted_out_at BIGINT NOT NULL
);

-- What became of each message a channel accepted: sent, then delivered or
-- failed as the gateway reports; who it went to and which message, for
-- staff (never the address or the text); a digest of the address, to count
-- what one address was sent lately (reminders' limits).
ALTER TABLE message_sends ADD COLUMN patient_id TEXT REFERENCES patients (id);
ALTER TABLE message_sends ADD COLUMN label TEXT;
ALTER TABLE message_sends ADD COLUMN status TEXT NOT NULL DEFAULT 'sent' CHECK (status IN ('sent', 'delivered', 'failed'));
ALTER TABLE message_sends ADD COLUMN status_at BIGINT;
ALTER TABLE message_sends ADD COLUMN recipient TEXT;
CREATE INDEX message_sends_by_recipient ON message_sends (recipient, sent_at);
CREATE INDEX message_sends_by_patient ON message_sends (patient_id, sent_at);
