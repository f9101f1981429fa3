//! Appointments: one row each, unique per patient by the booking form's
//! key and per practitioner by start time among those still standing
//! (migration 23). A status changes from booked once, by a guarded update.

use crate::db::Row;
use crate::services::parse;
use crate::{StoreError, Tx};
use bothy_domain::appointments::{Appointment, Kind, Slot, Status};
use bothy_domain::ids::AppointmentId;
use bothy_domain::time::{Timestamp, from_millis, to_millis};
use bothy_domain::{PatientId, ServiceId, StaffId};

pub(crate) const COLUMNS: &str = "id, patient_id, service_id, practitioner_id, kind, starts_at, minutes, \
     status, room, booked_by, booked_at, sequence, outcome_by, outcome_at";

/// What moving an appointment did.
#[derive(Debug)]
pub enum Moved {
    Done(Appointment),
    /// It is no longer booked, or was moved since the form was read.
    Changed,
    /// The practitioner has another appointment standing at the new start.
    Taken,
}

pub(crate) fn appointment(r: &Row) -> Result<Appointment, StoreError> {
    let kind: String = r.try_get("kind")?;
    let status: String = r.try_get("status")?;
    let minutes: i64 = r.try_get("minutes")?;
    Ok(Appointment {
        id: parse(&r.try_get::<String>("id")?, "appointment id")?,
        patient_id: parse(&r.try_get::<String>("patient_id")?, "patient id")?,
        service_id: parse(&r.try_get::<String>("service_id")?, "service id")?,
        practitioner_id: parse(&r.try_get::<String>("practitioner_id")?, "staff id")?,
        kind: Kind::parse(&kind)
            .ok_or_else(|| StoreError::corrupt(format!("appointment kind {kind:?}")))?,
        slot: Slot::stored(
            from_millis(r.try_get("starts_at")?),
            u16::try_from(minutes)
                .map_err(|_| StoreError::corrupt(format!("appointment minutes {minutes}")))?,
        ),
        status: Status::parse(&status)
            .ok_or_else(|| StoreError::corrupt(format!("appointment status {status:?}")))?,
        room: r.try_get("room")?,
        booked_by: parse(&r.try_get::<String>("booked_by")?, "staff id")?,
        booked_at: from_millis(r.try_get("booked_at")?),
        sequence: u32::try_from(r.try_get::<i64>("sequence")?)
            .map_err(|_| StoreError::corrupt("appointment sequence"))?,
        outcome_by: r
            .try_get::<Option<String>>("outcome_by")?
            .map(|s| parse(&s, "staff id"))
            .transpose()?,
        outcome_at: r.try_get::<Option<i64>>("outcome_at")?.map(from_millis),
    })
}

impl Tx {
    /// Stores a booked appointment; false, with nothing written, when the
    /// patient has one with this key or the practitioner one standing at
    /// this start (on PostgreSQL an insert racing another waits for it,
    /// then does nothing).
    pub async fn insert_appointment(
        &mut self,
        a: &Appointment,
        key: &str,
    ) -> Result<bool, StoreError> {
        let done = self
            .query(
                "INSERT INTO appointments (id, patient_id, service_id, practitioner_id, kind, \
                 starts_at, minutes, status, room, booked_by, booked_at, idempotency_key) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(a.id.to_string())
            .bind(a.patient_id.to_string())
            .bind(a.service_id.to_string())
            .bind(a.practitioner_id.to_string())
            .bind(a.kind.as_str())
            .bind(to_millis(a.slot.starts_at()))
            .bind(i64::from(a.slot.minutes()))
            .bind(a.status.as_str())
            .bind(a.room.clone())
            .bind(a.booked_by.to_string())
            .bind(to_millis(a.booked_at))
            .bind(key)
            .execute()
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The patient's appointment booked with `key`, if any.
    pub async fn appointment_by_key(
        &mut self,
        patient: PatientId,
        key: &str,
    ) -> Result<Option<Appointment>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM appointments WHERE patient_id = $1 AND idempotency_key = $2"
        ));
        self.query(sql)
            .bind(patient.to_string())
            .bind(key)
            .fetch_optional()
            .await?
            .as_ref()
            .map(appointment)
            .transpose()
    }

    pub async fn appointment(
        &mut self,
        id: AppointmentId,
    ) -> Result<Option<Appointment>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM appointments WHERE id = $1"));
        self.query(sql)
            .bind(id.to_string())
            .fetch_optional()
            .await?
            .as_ref()
            .map(appointment)
            .transpose()
    }

    /// Every appointment of the patient, soonest first.
    pub async fn appointments_of_patient(
        &mut self,
        patient: PatientId,
    ) -> Result<Vec<Appointment>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM appointments WHERE patient_id = $1 ORDER BY starts_at, id"
        ));
        let rows = self
            .query(sql)
            .bind(patient.to_string())
            .fetch_all()
            .await?;
        rows.iter().map(appointment).collect()
    }

    /// The service's booked appointments starting from `since` (so those
    /// still waiting for an outcome too), soonest first, at most `limit`;
    /// only `practitioner`'s when one is given.
    pub async fn booked_appointments(
        &mut self,
        service: ServiceId,
        practitioner: Option<StaffId>,
        since: Timestamp,
        limit: i64,
    ) -> Result<Vec<Appointment>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM appointments WHERE service_id = $1 AND status = 'booked' \
             AND starts_at >= $2 AND ($3 = '' OR practitioner_id = $3) \
             ORDER BY starts_at, id LIMIT {limit}"
        ));
        let rows = self
            .query(sql)
            .bind(service.to_string())
            .bind(to_millis(since))
            .bind(practitioner.map(|p| p.to_string()).unwrap_or_default())
            .fetch_all()
            .await?;
        rows.iter().map(appointment).collect()
    }

    /// The practitioner's standing appointments that start between `from`
    /// and `to` (exclusive), for the overlap check. The practitioner is
    /// locked first, until the transaction ends: two bookings or moves for
    /// one practitioner at once (overlapping with different starts, which no
    /// index sees) check and write one after the other. SQLite's write
    /// transaction holds the database's lock already.
    pub async fn practitioner_appointments_between(
        &mut self,
        practitioner: StaffId,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<Appointment>, StoreError> {
        if !self.dialect.for_update.is_empty() {
            let lock = sqlx::AssertSqlSafe(format!(
                "SELECT id FROM staff WHERE id = $1{}",
                self.dialect.for_update
            ));
            self.query(lock)
                .bind(practitioner.to_string())
                .fetch_optional()
                .await?;
        }
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM appointments WHERE practitioner_id = $1 \
             AND status NOT IN ('cancelled_by_service', 'cancelled_by_patient') \
             AND starts_at > $2 AND starts_at < $3 ORDER BY starts_at, id"
        ));
        let rows = self
            .query(sql)
            .bind(practitioner.to_string())
            .bind(to_millis(from))
            .bind(to_millis(to))
            .fetch_all()
            .await?;
        rows.iter().map(appointment).collect()
    }

    /// Moves a booked appointment to `slot` if it is still at `from_sequence`,
    /// counting the move. A start the practitioner has taken is `Taken`
    /// (the unique index refuses it; the transaction is then over).
    pub async fn move_appointment(
        &mut self,
        id: AppointmentId,
        slot: &Slot,
        from_sequence: u32,
    ) -> Result<Moved, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "UPDATE appointments SET starts_at = $2, minutes = $3, sequence = sequence + 1 \
             WHERE id = $1 AND status = 'booked' AND sequence = $4 RETURNING {COLUMNS}"
        ));
        let row = self
            .query(sql)
            .bind(id.to_string())
            .bind(to_millis(slot.starts_at()))
            .bind(i64::from(slot.minutes()))
            .bind(i64::from(from_sequence))
            .fetch_optional()
            .await;
        match row {
            Ok(Some(r)) => Ok(Moved::Done(appointment(&r)?)),
            Ok(None) => Ok(Moved::Changed),
            // PostgreSQL names the index; SQLite names its columns.
            Err(e)
                if e.is_constraint("appointments_one_per_start")
                    || e.is_constraint("appointments.practitioner_id") =>
            {
                Ok(Moved::Taken)
            }
            Err(e) => Err(e),
        }
    }

    /// Moves a booked appointment to `to`, recorded by `by` at `at`; None,
    /// with nothing written, when it is no longer booked.
    pub async fn record_appointment(
        &mut self,
        id: AppointmentId,
        to: Status,
        by: StaffId,
        at: Timestamp,
    ) -> Result<Option<Appointment>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "UPDATE appointments SET status = $2, outcome_by = $3, outcome_at = $4 \
             WHERE id = $1 AND status = 'booked' RETURNING {COLUMNS}"
        ));
        self.query(sql)
            .bind(id.to_string())
            .bind(to.as_str())
            .bind(by.to_string())
            .bind(to_millis(at))
            .fetch_optional()
            .await?
            .as_ref()
            .map(appointment)
            .transpose()
    }
}
