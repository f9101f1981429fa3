-- A bulk write (a synthetic load, rebuilding every summary) changes many
-- people in one transaction; row by row, the person refresh below ran once
-- per record of each. Such a transaction now adds the one row of
-- report_deferral, the refresh does nothing, and it refreshes the rows of
-- everyone it wrote in a few set-based statements and removes the row
-- before it commits (bothy_store reports/deferred.rs). SQLite has one
-- writer at a time, so no other transaction ever sees the row.
CREATE TABLE report_deferral (deferred INTEGER PRIMARY KEY CHECK (deferred = 1));

DROP TRIGGER report_refresh_person_now;
CREATE TRIGGER report_refresh_person_now INSTEAD OF INSERT ON report_refresh_person
WHEN NOT EXISTS (SELECT 1 FROM report_deferral)
BEGIN
    DELETE FROM report_people WHERE patient_id = NEW.patient_id;
    INSERT INTO report_people SELECT * FROM report_people_source WHERE patient_id = NEW.patient_id;
    DELETE FROM report_episodes WHERE patient_id = NEW.patient_id;
    INSERT INTO report_episodes SELECT * FROM report_episodes_source WHERE patient_id = NEW.patient_id;
    DELETE FROM report_referrals WHERE patient_id = NEW.patient_id;
    INSERT INTO report_referrals SELECT * FROM report_referrals_source WHERE patient_id = NEW.patient_id;
    DELETE FROM report_alerts WHERE patient_id = NEW.patient_id;
    INSERT INTO report_alerts SELECT * FROM report_alerts_source WHERE patient_id = NEW.patient_id;
END;
