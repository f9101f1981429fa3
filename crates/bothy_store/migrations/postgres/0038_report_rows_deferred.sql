-- A bulk write (a synthetic load, rebuilding every summary) changes many
-- people in one transaction. Row by row, these triggers rewrote each
-- person's report rows once per record and held an advisory lock per
-- person to the commit, so rebuilding the summaries of a 20,000-patient
-- service ran out of the shared lock table ("out of shared memory"). Such
-- a transaction now adds the one row of report_deferral, the triggers do
-- nothing while they see it, and it refreshes the rows of everyone it
-- wrote in a few set-based statements and removes the row before it
-- commits (bothy_store reports/deferred.rs). No other transaction ever
-- sees the row; a second bulk write waits on its key until the first ends.
-- Otherwise the functions are as in migration 36.
CREATE TABLE report_deferral (deferred INTEGER PRIMARY KEY CHECK (deferred = 1));

CREATE OR REPLACE FUNCTION report_person_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    pid TEXT;
BEGIN
    IF EXISTS (SELECT 1 FROM report_deferral) THEN
        RETURN NULL;
    END IF;
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

CREATE OR REPLACE FUNCTION report_record_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM report_deferral) THEN
        RETURN NULL;
    END IF;
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
