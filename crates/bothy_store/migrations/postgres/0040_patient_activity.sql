-- When each person last did something (a measure, a check-in, a tool
-- entry, a message to their care team, a finished module), kept at write
-- time. The staff home orders a supporter's caseload by need and shows each
-- person's last activity; it read five newest-by-index look-ups per person
-- (3.4 ms of a 4-6 ms home for 200 people, docs/benchmark-profiles.md,
-- finding 4) and now reads one row. Each source's trigger moves the row
-- forward, never back. A bulk write defers the triggers with the report
-- tables' (report_deferral, migration 38) and rewrites the rows of the
-- people it wrote from patient_activity_source (bothy_store
-- reports/deferred.rs), holding the table in EXCLUSIVE mode as it holds
-- the report tables.
--
-- Concurrency (READ COMMITTED): the upsert is atomic; its row lock is held
-- to the commit, so two writes of one person's activity take turns there.
-- Only the person's own writes take it, with their record: after the
-- thread or enrolment row such a write locks first, before the summaries,
-- alerts and report rows it then writes (a row's triggers fire in name
-- order, these before report_*); staff writes never take it. So no two
-- transactions wait for each other round it.
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

CREATE FUNCTION patient_activity_touch() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    pid TEXT;
    at BIGINT;
BEGIN
    IF EXISTS (SELECT 1 FROM report_deferral) THEN
        RETURN NULL;
    END IF;
    IF TG_TABLE_NAME = 'measure_responses' THEN
        pid := NEW.patient_id;
        at := NEW.submitted_at;
    ELSIF TG_TABLE_NAME = 'messages' THEN
        pid := NEW.patient_id;
        at := NEW.sent_at;
    ELSIF TG_TABLE_NAME = 'module_progress' THEN
        SELECT e.patient_id INTO pid FROM enrolments e WHERE e.id = NEW.enrolment_id;
        at := NEW.completed_at;
    ELSE
        -- check_ins and tool_entries
        pid := NEW.patient_id;
        at := NEW.recorded_at;
    END IF;
    INSERT INTO patient_activity AS a (patient_id, last_at) VALUES (pid, at)
    ON CONFLICT (patient_id) DO UPDATE SET last_at = EXCLUDED.last_at
        WHERE a.last_at < EXCLUDED.last_at;
    RETURN NULL;
END $$;

CREATE TRIGGER patient_activity_measure AFTER INSERT ON measure_responses
    FOR EACH ROW EXECUTE FUNCTION patient_activity_touch();
CREATE TRIGGER patient_activity_check_in AFTER INSERT ON check_ins
    FOR EACH ROW EXECUTE FUNCTION patient_activity_touch();
CREATE TRIGGER patient_activity_tool_entry AFTER INSERT ON tool_entries
    FOR EACH ROW EXECUTE FUNCTION patient_activity_touch();
CREATE TRIGGER patient_activity_message AFTER INSERT ON messages
    FOR EACH ROW WHEN (NEW.author_kind = 'patient') EXECUTE FUNCTION patient_activity_touch();
CREATE TRIGGER patient_activity_module_added AFTER INSERT ON module_progress
    FOR EACH ROW WHEN (NEW.completed_at IS NOT NULL) EXECUTE FUNCTION patient_activity_touch();
CREATE TRIGGER patient_activity_module_finished AFTER UPDATE OF completed_at ON module_progress
    FOR EACH ROW WHEN (OLD.completed_at IS NULL AND NEW.completed_at IS NOT NULL)
    EXECUTE FUNCTION patient_activity_touch();

-- A record removed, or its time or person changed (never by Bothy; by hand
-- in SQL, say): each person it was or is about is counted again from the
-- records, so that the row always says what patient_activity_source does.
CREATE FUNCTION patient_activity_recount() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    pids TEXT[];
    pid TEXT;
BEGIN
    IF EXISTS (SELECT 1 FROM report_deferral) THEN
        RETURN NULL;
    END IF;
    IF TG_TABLE_NAME = 'module_progress' AND TG_OP = 'DELETE' THEN
        SELECT array_agg(e.patient_id) INTO pids FROM enrolments e WHERE e.id = OLD.enrolment_id;
    ELSIF TG_TABLE_NAME = 'module_progress' THEN
        SELECT array_agg(e.patient_id) INTO pids FROM enrolments e
        WHERE e.id IN (OLD.enrolment_id, NEW.enrolment_id);
    ELSIF TG_OP = 'DELETE' THEN
        pids := ARRAY[OLD.patient_id];
    ELSE
        pids := ARRAY[OLD.patient_id, NEW.patient_id];
    END IF;
    FOREACH pid IN ARRAY COALESCE(pids, ARRAY[]::TEXT[]) LOOP
        DELETE FROM patient_activity WHERE patient_id = pid;
        INSERT INTO patient_activity AS a (patient_id, last_at)
        SELECT s.patient_id, s.last_at FROM patient_activity_source s WHERE s.patient_id = pid
        ON CONFLICT (patient_id) DO UPDATE SET last_at = EXCLUDED.last_at;
    END LOOP;
    RETURN NULL;
END $$;

CREATE TRIGGER patient_activity_measure_gone AFTER DELETE ON measure_responses
    FOR EACH ROW EXECUTE FUNCTION patient_activity_recount();
CREATE TRIGGER patient_activity_measure_moved AFTER UPDATE OF patient_id, submitted_at ON measure_responses
    FOR EACH ROW EXECUTE FUNCTION patient_activity_recount();
CREATE TRIGGER patient_activity_check_in_gone AFTER DELETE ON check_ins
    FOR EACH ROW EXECUTE FUNCTION patient_activity_recount();
CREATE TRIGGER patient_activity_check_in_moved AFTER UPDATE OF patient_id, recorded_at ON check_ins
    FOR EACH ROW EXECUTE FUNCTION patient_activity_recount();
CREATE TRIGGER patient_activity_tool_entry_gone AFTER DELETE ON tool_entries
    FOR EACH ROW EXECUTE FUNCTION patient_activity_recount();
CREATE TRIGGER patient_activity_tool_entry_moved AFTER UPDATE OF patient_id, recorded_at ON tool_entries
    FOR EACH ROW EXECUTE FUNCTION patient_activity_recount();
CREATE TRIGGER patient_activity_message_gone AFTER DELETE ON messages
    FOR EACH ROW EXECUTE FUNCTION patient_activity_recount();
CREATE TRIGGER patient_activity_message_moved
    AFTER UPDATE OF patient_id, thread_id, author_kind, sent_at ON messages
    FOR EACH ROW EXECUTE FUNCTION patient_activity_recount();
CREATE TRIGGER patient_activity_module_gone AFTER DELETE ON module_progress
    FOR EACH ROW EXECUTE FUNCTION patient_activity_recount();
CREATE TRIGGER patient_activity_module_moved AFTER UPDATE OF enrolment_id, completed_at ON module_progress
    FOR EACH ROW WHEN (OLD.completed_at IS NOT NULL OR OLD.enrolment_id <> NEW.enrolment_id)
    EXECUTE FUNCTION patient_activity_recount();
CREATE TRIGGER patient_activity_enrolment_moved AFTER UPDATE OF patient_id ON enrolments
    FOR EACH ROW EXECUTE FUNCTION patient_activity_recount();
