-- Issue 18: report figures kept at write time (docs/reports.md, "Speed").
--
-- Each referral, episode and alert has one narrow row here, carrying the
-- groups its person falls in (deprivation by each edition, birth date,
-- sex, ethnicity, channel, supporter) and their digital engagement, so a
-- dashboard reads one table per figure with no joins. The rows are kept by
-- triggers in the transaction of every write that moves them, whichever
-- code path (a form, FHIR, the worker, a bulk load) makes it.
--
-- Each *_source view defines its table's rows from the records; the
-- tables are those views kept written down. `Store::report_facts_drift`
-- compares the two.

CREATE TABLE report_people (
    patient_id TEXT PRIMARY KEY,
    supporter_id TEXT,
    -- Date of birth as YYYYMMDD (NULL when not a date), for ages in SQL.
    born BIGINT,
    postcode TEXT,
    sex TEXT,
    ethnicity TEXT,
    -- The decile recorded with the demographics, and from each edition's
    -- postcode look-up.
    decile BIGINT,
    simd BIGINT,
    imd BIGINT,
    sms BIGINT NOT NULL,
    activated BIGINT NOT NULL,
    enrolled BIGINT NOT NULL,
    module_done BIGINT NOT NULL,
    checked_in BIGINT NOT NULL
);

CREATE TABLE report_episodes (
    episode_id TEXT PRIMARY KEY,
    service_id TEXT NOT NULL,
    patient_id TEXT NOT NULL,
    referred_at BIGINT NOT NULL,
    opened_at BIGINT NOT NULL,
    first_treatment_at BIGINT,
    discharged_at BIGINT,
    outcome_rules TEXT,
    outcome_flags BIGINT,
    treatment_appointments BIGINT NOT NULL,
    supporter_id TEXT,
    born BIGINT,
    sex TEXT,
    ethnicity TEXT,
    decile BIGINT,
    simd BIGINT,
    imd BIGINT,
    sms BIGINT NOT NULL,
    activated BIGINT NOT NULL,
    enrolled BIGINT NOT NULL,
    module_done BIGINT NOT NULL,
    checked_in BIGINT NOT NULL
);
CREATE INDEX report_episodes_by_patient ON report_episodes (patient_id);
CREATE INDEX report_episodes_by_supporter ON report_episodes (service_id, supporter_id);

-- Referrals once received (a draft has no figures).
CREATE TABLE report_referrals (
    referral_id TEXT PRIMARY KEY,
    service_id TEXT NOT NULL,
    patient_id TEXT,
    received_at BIGINT NOT NULL,
    source TEXT NOT NULL,
    postcode TEXT,
    born BIGINT,
    sms BIGINT NOT NULL,
    supporter_id TEXT,
    sex TEXT,
    ethnicity TEXT,
    decile BIGINT,
    simd BIGINT,
    imd BIGINT
);
CREATE INDEX report_referrals_by_patient ON report_referrals (patient_id);
CREATE INDEX report_referrals_by_received ON report_referrals (service_id, received_at);

-- Alerts about a person (an alert on a referral not yet accepted has no
-- person to count, as before).
CREATE TABLE report_alerts (
    alert_id TEXT PRIMARY KEY,
    service_id TEXT NOT NULL,
    patient_id TEXT NOT NULL,
    raised_at BIGINT NOT NULL,
    deadline_at BIGINT NOT NULL,
    acknowledged_at BIGINT,
    supporter_id TEXT,
    born BIGINT,
    sex TEXT,
    ethnicity TEXT,
    decile BIGINT,
    simd BIGINT,
    imd BIGINT,
    sms BIGINT NOT NULL
);
CREATE INDEX report_alerts_by_patient ON report_alerts (patient_id);
CREATE INDEX report_alerts_by_raised ON report_alerts (service_id, raised_at);

CREATE VIEW report_people_source AS
SELECT p.id AS patient_id, p.supporter_id,
    CASE WHEN p.date_of_birth LIKE '____-__-__'
        THEN CAST(REPLACE(p.date_of_birth, '-', '') AS BIGINT) END AS born,
    COALESCE(d.postcode, p.postcode) AS postcode, d.sex, d.ethnicity, d.imd_decile AS decile,
    (SELECT l.decile FROM deprivation_lookup l
        WHERE l.edition = 'simd2020v2' AND l.postcode = COALESCE(d.postcode, p.postcode)) AS simd,
    (SELECT l.decile FROM deprivation_lookup l
        WHERE l.edition = 'imd2019' AND l.postcode = COALESCE(d.postcode, p.postcode)) AS imd,
    CAST(CASE WHEN c.sms = 1 THEN 1 ELSE 0 END AS BIGINT) AS sms,
    CAST(CASE WHEN p.password_hash IS NOT NULL THEN 1 ELSE 0 END AS BIGINT) AS activated,
    CAST(CASE WHEN EXISTS (SELECT 1 FROM enrolments n WHERE n.patient_id = p.id)
        THEN 1 ELSE 0 END AS BIGINT) AS enrolled,
    CAST(CASE WHEN EXISTS (SELECT 1 FROM enrolments n JOIN module_progress m ON m.enrolment_id = n.id
        WHERE n.patient_id = p.id AND m.completed_at IS NOT NULL) THEN 1 ELSE 0 END AS BIGINT) AS module_done,
    CAST(CASE WHEN ms.check_ins > 0 THEN 1 ELSE 0 END AS BIGINT) AS checked_in
FROM patients p
LEFT JOIN patient_demographics d ON d.patient_id = p.id
LEFT JOIN contact_preferences c ON c.patient_id = p.id
LEFT JOIN mood_summaries ms ON ms.patient_id = p.id;

CREATE VIEW report_episodes_source AS
SELECT e.id AS episode_id, e.service_id, e.patient_id, e.referred_at, e.opened_at,
    e.first_treatment_at, e.discharged_at, e.outcome_rules, CAST(e.outcome_flags AS BIGINT) AS outcome_flags,
    e.treatment_appointments, rp.supporter_id, rp.born, rp.sex, rp.ethnicity, rp.decile,
    rp.simd, rp.imd, rp.sms, rp.activated, rp.enrolled, rp.module_done, rp.checked_in
FROM episodes e JOIN report_people rp ON rp.patient_id = e.patient_id;

CREATE VIEW report_referrals_source AS
SELECT r.id AS referral_id, r.service_id, r.patient_id, r.received_at, r.source,
    COALESCE(r.postcode, d.postcode) AS postcode,
    CASE WHEN r.date_of_birth LIKE '____-__-__'
        THEN CAST(REPLACE(r.date_of_birth, '-', '') AS BIGINT) END AS born,
    CAST(CASE WHEN r.preferred_channel = 'sms' THEN 1 ELSE 0 END AS BIGINT) AS sms,
    rp.supporter_id, rp.sex, rp.ethnicity, rp.decile,
    (SELECT l.decile FROM deprivation_lookup l
        WHERE l.edition = 'simd2020v2' AND l.postcode = COALESCE(r.postcode, d.postcode)) AS simd,
    (SELECT l.decile FROM deprivation_lookup l
        WHERE l.edition = 'imd2019' AND l.postcode = COALESCE(r.postcode, d.postcode)) AS imd
FROM referrals r
LEFT JOIN patient_demographics d ON d.patient_id = r.patient_id
LEFT JOIN report_people rp ON rp.patient_id = r.patient_id
WHERE r.received_at IS NOT NULL;

CREATE VIEW report_alerts_source AS
SELECT a.id AS alert_id, a.service_id, a.patient_id, a.raised_at, a.deadline_at, a.acknowledged_at,
    rp.supporter_id, rp.born, rp.sex, rp.ethnicity, rp.decile, rp.simd, rp.imd, rp.sms
FROM alerts a JOIN report_people rp ON rp.patient_id = a.patient_id;

-- Concurrency (READ COMMITTED): a change to a person rewrites their row
-- and all their figures' rows holding this transaction-scoped lock on the
-- person; a change to one referral, episode or alert rewrites its row
-- holding the same lock shared. Each statement after the lock reads
-- afresh, so neither can write a row from what the other has replaced.
-- (Two rows are only rewritten at once by writers of the same record,
-- which that record's own row lock already serialises.)
CREATE FUNCTION report_person_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    pid TEXT;
BEGIN
    IF TG_TABLE_NAME = 'patients' THEN
        pid := NEW.id;
    ELSIF TG_TABLE_NAME = 'module_progress' THEN
        SELECT n.patient_id INTO pid FROM enrolments n WHERE n.id = NEW.enrolment_id;
    ELSIF TG_OP = 'DELETE' THEN
        pid := OLD.patient_id;
    ELSE
        pid := NEW.patient_id;
    END IF;
    PERFORM pg_advisory_xact_lock(18, hashtext(pid));
    DELETE FROM report_people WHERE patient_id = pid;
    INSERT INTO report_people SELECT * FROM report_people_source WHERE patient_id = pid;
    DELETE FROM report_episodes WHERE patient_id = pid;
    INSERT INTO report_episodes SELECT * FROM report_episodes_source WHERE patient_id = pid;
    DELETE FROM report_referrals WHERE patient_id = pid;
    INSERT INTO report_referrals SELECT * FROM report_referrals_source WHERE patient_id = pid;
    DELETE FROM report_alerts WHERE patient_id = pid;
    INSERT INTO report_alerts SELECT * FROM report_alerts_source WHERE patient_id = pid;
    RETURN NULL;
END $$;

CREATE FUNCTION report_record_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        -- Only a draft referral is ever deleted.
        DELETE FROM report_referrals WHERE referral_id = OLD.id;
        RETURN NULL;
    END IF;
    IF NEW.patient_id IS NOT NULL THEN
        PERFORM pg_advisory_xact_lock_shared(18, hashtext(NEW.patient_id));
    END IF;
    IF TG_TABLE_NAME = 'episodes' THEN
        DELETE FROM report_episodes WHERE episode_id = NEW.id;
        INSERT INTO report_episodes SELECT * FROM report_episodes_source WHERE episode_id = NEW.id;
    ELSIF TG_TABLE_NAME = 'alerts' THEN
        DELETE FROM report_alerts WHERE alert_id = NEW.id;
        INSERT INTO report_alerts SELECT * FROM report_alerts_source WHERE alert_id = NEW.id;
    ELSE
        DELETE FROM report_referrals WHERE referral_id = NEW.id;
        INSERT INTO report_referrals SELECT * FROM report_referrals_source WHERE referral_id = NEW.id;
    END IF;
    RETURN NULL;
END $$;

-- What a person's figures are grouped by or count.
CREATE TRIGGER report_patient_added AFTER INSERT ON patients
    FOR EACH ROW EXECUTE FUNCTION report_person_changed();
CREATE TRIGGER report_patient_changed
    AFTER UPDATE OF supporter_id, password_hash, date_of_birth, postcode ON patients
    FOR EACH ROW EXECUTE FUNCTION report_person_changed();
CREATE TRIGGER report_demographics_changed AFTER INSERT OR UPDATE ON patient_demographics
    FOR EACH ROW EXECUTE FUNCTION report_person_changed();
CREATE TRIGGER report_contact_added AFTER INSERT ON contact_preferences
    FOR EACH ROW EXECUTE FUNCTION report_person_changed();
CREATE TRIGGER report_contact_changed AFTER UPDATE OF sms ON contact_preferences
    FOR EACH ROW EXECUTE FUNCTION report_person_changed();
CREATE TRIGGER report_enrolled AFTER INSERT ON enrolments
    FOR EACH ROW EXECUTE FUNCTION report_person_changed();
CREATE TRIGGER report_module_added AFTER INSERT ON module_progress
    FOR EACH ROW WHEN (NEW.completed_at IS NOT NULL) EXECUTE FUNCTION report_person_changed();
CREATE TRIGGER report_module_changed AFTER UPDATE OF completed_at ON module_progress
    FOR EACH ROW EXECUTE FUNCTION report_person_changed();
CREATE TRIGGER report_check_ins_added AFTER INSERT ON mood_summaries
    FOR EACH ROW EXECUTE FUNCTION report_person_changed();
-- Only the first check-in changes a figure (checked in at least once).
CREATE TRIGGER report_check_ins_changed AFTER UPDATE OF check_ins ON mood_summaries
    FOR EACH ROW WHEN ((OLD.check_ins > 0) <> (NEW.check_ins > 0))
    EXECUTE FUNCTION report_person_changed();
CREATE TRIGGER report_check_ins_removed AFTER DELETE ON mood_summaries
    FOR EACH ROW EXECUTE FUNCTION report_person_changed();

-- The records counted.
CREATE TRIGGER report_episode_added AFTER INSERT ON episodes
    FOR EACH ROW EXECUTE FUNCTION report_record_changed();
CREATE TRIGGER report_episode_changed AFTER UPDATE OF patient_id, service_id, referred_at,
    opened_at, first_treatment_at, discharged_at, outcome_rules, outcome_flags,
    treatment_appointments ON episodes
    FOR EACH ROW EXECUTE FUNCTION report_record_changed();
CREATE TRIGGER report_referral_added AFTER INSERT ON referrals
    FOR EACH ROW EXECUTE FUNCTION report_record_changed();
CREATE TRIGGER report_referral_changed AFTER UPDATE OF patient_id, service_id, received_at,
    source, date_of_birth, postcode, preferred_channel ON referrals
    FOR EACH ROW EXECUTE FUNCTION report_record_changed();
CREATE TRIGGER report_referral_removed AFTER DELETE ON referrals
    FOR EACH ROW EXECUTE FUNCTION report_record_changed();
CREATE TRIGGER report_alert_added AFTER INSERT ON alerts
    FOR EACH ROW EXECUTE FUNCTION report_record_changed();
CREATE TRIGGER report_alert_changed AFTER UPDATE OF patient_id, service_id, raised_at,
    deadline_at, acknowledged_at ON alerts
    FOR EACH ROW EXECUTE FUNCTION report_record_changed();

-- The records already held.
INSERT INTO report_people SELECT * FROM report_people_source;
INSERT INTO report_episodes SELECT * FROM report_episodes_source;
INSERT INTO report_referrals SELECT * FROM report_referrals_source;
INSERT INTO report_alerts SELECT * FROM report_alerts_source;
