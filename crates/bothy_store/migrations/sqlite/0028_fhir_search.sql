-- FHIR search over a whole service, paged by keyset (the last row's time
-- and id, never an offset): each order a search offers walks one of these
-- indexes from the cursor, so a page reads the rows it returns and no more.
-- A response by when it was completed (`authored`, else received), and by
-- when it was received (`_lastUpdated`); a patient by when the record was
-- made (`_lastUpdated`, the only time a patient record keeps). A search
-- naming one patient walks that patient's rows in either order.
CREATE INDEX measure_responses_by_service_authored ON measure_responses (service_id, (COALESCE(authored_at, submitted_at)), id);
CREATE INDEX measure_responses_by_service_received ON measure_responses (service_id, submitted_at, id);
CREATE INDEX patients_by_service_created ON patients (service_id, created_at, id);
CREATE INDEX measure_responses_by_patient_authored ON measure_responses (patient_id, (COALESCE(authored_at, submitted_at)), id);
CREATE INDEX measure_responses_by_patient_received ON measure_responses (patient_id, submitted_at, id);
