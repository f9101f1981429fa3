-- The caseload (issue 14, item 7): a supporter's people include those on
-- programmes they support, and each person's last activity includes their
-- latest message to the care team; both read by index, per person.
CREATE INDEX enrolments_by_supporter ON enrolments (supporter_id) WHERE status <> 'finished';
CREATE INDEX messages_by_author ON messages (patient_id, author_kind, sent_at);
