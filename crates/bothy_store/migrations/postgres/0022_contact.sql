-- Issue 15: messages go only where the person agreed, real sends are
-- recorded by idempotency key, and staff can see why a message was not sent.

-- How each patient agreed to be contacted: asked once at referral (copied
-- here when the referral is accepted), changed on their account page. No
-- row means no consent to either channel.
CREATE TABLE contact_preferences (
    patient_id TEXT PRIMARY KEY REFERENCES patients (id),
    email BIGINT NOT NULL,
    sms BIGINT NOT NULL,
    preferred TEXT NOT NULL CHECK (preferred IN ('email', 'sms')),
    updated_at BIGINT NOT NULL
);
-- Existing patients keep what their newest referral said; a patient with no
-- referral (made by an operator) has no row, so nothing is sent until they
-- choose on their account page.
INSERT INTO contact_preferences (patient_id, email, sms, preferred, updated_at)
SELECT p.id, CASE WHEN (r.consents::jsonb ->> 'contact_email') = 'true' THEN 1 ELSE 0 END, CASE WHEN (r.consents::jsonb ->> 'contact_sms') = 'true' THEN 1 ELSE 0 END, COALESCE(r.preferred_channel, 'email'), r.updated_at
FROM patients p
JOIN referrals r ON r.id = (
    SELECT r2.id FROM referrals r2 WHERE r2.patient_id = p.id
    ORDER BY r2.created_at DESC, r2.id DESC LIMIT 1
);

-- A message that was not queued because no agreed channel could carry it:
-- which message, and why per channel (bothy_domain::contact::NotSent's
-- code), never an address. One row per message key.
CREATE TABLE messages_not_sent (
    idempotency_key TEXT PRIMARY KEY,
    service_id TEXT NOT NULL REFERENCES services (id),
    patient_id TEXT REFERENCES patients (id),
    referral_id TEXT REFERENCES referrals (id),
    template TEXT NOT NULL,
    reason TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX messages_not_sent_by_patient ON messages_not_sent (patient_id, created_at);
CREATE INDEX messages_not_sent_by_referral ON messages_not_sent (referral_id, created_at);

-- Every message a real channel (SMTP) accepted, by its job's idempotency
-- key, written as soon as the channel accepts it: a job run again after its
-- worker died finds its key here and sends nothing.
CREATE TABLE message_sends (
    idempotency_key TEXT PRIMARY KEY,
    channel TEXT NOT NULL,
    sent_at BIGINT NOT NULL
);
