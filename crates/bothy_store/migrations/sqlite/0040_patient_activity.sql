-- When each person last did something (a measure, a check-in, a tool
-- entry, a message to their care team, a finished module), kept at write
-- time. The staff home orders a supporter's caseload by need and shows each
-- person's last activity; it read five newest-by-index look-ups per person
-- (3.4 ms of a 4-6 ms home for 200 people, docs/benchmark-profiles.md,
-- finding 4) and now reads one row. Each source's trigger moves the row
-- forward, never back. A bulk write defers the triggers with the report
-- tables' (report_deferral, migration 38) and rewrites the rows of the
-- people it wrote from patient_activity_source (bothy_store
-- reports/deferred.rs).
CREATE TABLE patient_activity (
    patient_id TEXT PRIMARY KEY REFERENCES patients (id),
    last_at BIGINT NOT NULL
);

-- What each row should hold. Per person, five newest-by-index look-ups,
-- so that a filter on the person (the refresh of a bulk write's people)
-- reads only their records on both databases; grouping every record by
-- person instead would be read whole before SQLite filtered it.
CREATE VIEW patient_activity_source AS
SELECT patient_id, last_at FROM (
    SELECT p.id AS patient_id, (SELECT MAX(at) FROM (
        SELECT MAX(r.submitted_at) AS at FROM measure_responses r WHERE r.patient_id = p.id
        UNION ALL SELECT MAX(c.recorded_at) FROM check_ins c WHERE c.patient_id = p.id
        UNION ALL SELECT MAX(t.recorded_at) FROM tool_entries t WHERE t.patient_id = p.id
        UNION ALL SELECT MAX(m.sent_at) FROM message_threads h JOIN messages m ON m.thread_id = h.id
            WHERE h.patient_id = p.id AND m.author_kind = 'patient'
        UNION ALL SELECT MAX(mp.completed_at) FROM enrolments e
            JOIN module_progress mp ON mp.enrolment_id = e.id WHERE e.patient_id = p.id
    ) a) AS last_at FROM patients p
) activity WHERE last_at IS NOT NULL;

INSERT INTO patient_activity (patient_id, last_at)
SELECT patient_id, last_at FROM patient_activity_source;

CREATE TRIGGER patient_activity_measure AFTER INSERT ON measure_responses
WHEN NOT EXISTS (SELECT 1 FROM report_deferral)
BEGIN
    INSERT INTO patient_activity (patient_id, last_at) VALUES (NEW.patient_id, NEW.submitted_at)
    ON CONFLICT (patient_id) DO UPDATE SET last_at = MAX(last_at, excluded.last_at);
END;
CREATE TRIGGER patient_activity_check_in AFTER INSERT ON check_ins
WHEN NOT EXISTS (SELECT 1 FROM report_deferral)
BEGIN
    INSERT INTO patient_activity (patient_id, last_at) VALUES (NEW.patient_id, NEW.recorded_at)
    ON CONFLICT (patient_id) DO UPDATE SET last_at = MAX(last_at, excluded.last_at);
END;
CREATE TRIGGER patient_activity_tool_entry AFTER INSERT ON tool_entries
WHEN NOT EXISTS (SELECT 1 FROM report_deferral)
BEGIN
    INSERT INTO patient_activity (patient_id, last_at) VALUES (NEW.patient_id, NEW.recorded_at)
    ON CONFLICT (patient_id) DO UPDATE SET last_at = MAX(last_at, excluded.last_at);
END;
CREATE TRIGGER patient_activity_message AFTER INSERT ON messages
WHEN NEW.author_kind = 'patient' AND NOT EXISTS (SELECT 1 FROM report_deferral)
BEGIN
    INSERT INTO patient_activity (patient_id, last_at) VALUES (NEW.patient_id, NEW.sent_at)
    ON CONFLICT (patient_id) DO UPDATE SET last_at = MAX(last_at, excluded.last_at);
END;
CREATE TRIGGER patient_activity_module_added AFTER INSERT ON module_progress
WHEN NEW.completed_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM report_deferral)
BEGIN
    INSERT INTO patient_activity (patient_id, last_at)
    SELECT e.patient_id, NEW.completed_at FROM enrolments e WHERE e.id = NEW.enrolment_id
    ON CONFLICT (patient_id) DO UPDATE SET last_at = MAX(last_at, excluded.last_at);
END;
CREATE TRIGGER patient_activity_module_finished AFTER UPDATE OF completed_at ON module_progress
WHEN OLD.completed_at IS NULL AND NEW.completed_at IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM report_deferral)
BEGIN
    INSERT INTO patient_activity (patient_id, last_at)
    SELECT e.patient_id, NEW.completed_at FROM enrolments e WHERE e.id = NEW.enrolment_id
    ON CONFLICT (patient_id) DO UPDATE SET last_at = MAX(last_at, excluded.last_at);
END;

-- A record removed, or its time or person changed (never by Bothy; by hand
-- in SQL, say): the person's row is counted again from the records, so
-- that it always says what patient_activity_source does.
CREATE VIEW patient_activity_recount AS SELECT CAST(NULL AS TEXT) AS patient_id WHERE 0;
CREATE TRIGGER patient_activity_recount_now INSTEAD OF INSERT ON patient_activity_recount
WHEN NOT EXISTS (SELECT 1 FROM report_deferral)
BEGIN
    DELETE FROM patient_activity WHERE patient_id = NEW.patient_id;
    INSERT INTO patient_activity (patient_id, last_at)
    SELECT patient_id, last_at FROM patient_activity_source WHERE patient_id = NEW.patient_id;
END;
CREATE TRIGGER patient_activity_measure_gone AFTER DELETE ON measure_responses
BEGIN INSERT INTO patient_activity_recount VALUES (OLD.patient_id); END;
CREATE TRIGGER patient_activity_measure_moved AFTER UPDATE OF patient_id, submitted_at ON measure_responses
BEGIN
    INSERT INTO patient_activity_recount VALUES (OLD.patient_id);
    INSERT INTO patient_activity_recount VALUES (NEW.patient_id);
END;
CREATE TRIGGER patient_activity_check_in_gone AFTER DELETE ON check_ins
BEGIN INSERT INTO patient_activity_recount VALUES (OLD.patient_id); END;
CREATE TRIGGER patient_activity_check_in_moved AFTER UPDATE OF patient_id, recorded_at ON check_ins
BEGIN
    INSERT INTO patient_activity_recount VALUES (OLD.patient_id);
    INSERT INTO patient_activity_recount VALUES (NEW.patient_id);
END;
CREATE TRIGGER patient_activity_tool_entry_gone AFTER DELETE ON tool_entries
BEGIN INSERT INTO patient_activity_recount VALUES (OLD.patient_id); END;
CREATE TRIGGER patient_activity_tool_entry_moved AFTER UPDATE OF patient_id, recorded_at ON tool_entries
BEGIN
    INSERT INTO patient_activity_recount VALUES (OLD.patient_id);
    INSERT INTO patient_activity_recount VALUES (NEW.patient_id);
END;
CREATE TRIGGER patient_activity_message_gone AFTER DELETE ON messages
BEGIN INSERT INTO patient_activity_recount VALUES (OLD.patient_id); END;
CREATE TRIGGER patient_activity_message_moved AFTER UPDATE OF patient_id, thread_id, author_kind, sent_at ON messages
BEGIN
    INSERT INTO patient_activity_recount VALUES (OLD.patient_id);
    INSERT INTO patient_activity_recount VALUES (NEW.patient_id);
END;
CREATE TRIGGER patient_activity_module_gone AFTER DELETE ON module_progress
BEGIN
    INSERT INTO patient_activity_recount
    SELECT e.patient_id FROM enrolments e WHERE e.id = OLD.enrolment_id;
END;
CREATE TRIGGER patient_activity_module_moved AFTER UPDATE OF enrolment_id, completed_at ON module_progress
WHEN OLD.completed_at IS NOT NULL OR OLD.enrolment_id <> NEW.enrolment_id
BEGIN
    INSERT INTO patient_activity_recount
    SELECT e.patient_id FROM enrolments e WHERE e.id IN (OLD.enrolment_id, NEW.enrolment_id);
END;
CREATE TRIGGER patient_activity_enrolment_moved AFTER UPDATE OF patient_id ON enrolments
BEGIN
    INSERT INTO patient_activity_recount VALUES (OLD.patient_id);
    INSERT INTO patient_activity_recount VALUES (NEW.patient_id);
END;
