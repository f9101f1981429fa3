//! Supported reviews of programme enrolments: one row per review, unique
//! per enrolment by its idempotency key and by the due date it answered,
//! so a resent form or two supporters at once store one. The next due
//! date is computed from the newest review (see migration 20).

use crate::audit::records::columns;
use crate::db::Row;
use crate::services::parse;
use crate::{StoreError, Tx};
use bothy_domain::audit::digest::RecordKind;
use bothy_domain::ids::EnrolmentId;
use bothy_domain::reviews::Review;
use bothy_domain::time::{Timestamp, from_millis, to_millis};
use bothy_domain::{PatientId, ServiceId, StaffId};

const COLUMNS: &str = "id, enrolment_id, patient_id, service_id, reviewer_id, feedback, \
     due_at, written_at, read_at";

/// An active enrolment as the review queue lists it, with its newest review.
#[derive(Debug, Clone)]
pub struct ReviewQueueRow {
    pub enrolment_id: EnrolmentId,
    pub patient_id: PatientId,
    pub programme_id: String,
    pub supporter_id: Option<StaffId>,
    pub enrolled_at: Timestamp,
    pub last_review_at: Option<Timestamp>,
}

fn review(r: &Row) -> Result<Review, StoreError> {
    Ok(Review {
        id: parse(&r.try_get::<String>("id")?, "review id")?,
        enrolment_id: parse(&r.try_get::<String>("enrolment_id")?, "enrolment id")?,
        patient_id: parse(&r.try_get::<String>("patient_id")?, "patient id")?,
        service_id: parse(&r.try_get::<String>("service_id")?, "service id")?,
        reviewer_id: parse(&r.try_get::<String>("reviewer_id")?, "staff id")?,
        feedback: r.try_get("feedback")?,
        due_at: from_millis(r.try_get("due_at")?),
        written_at: from_millis(r.try_get("written_at")?),
        read_at: r.try_get::<Option<i64>>("read_at")?.map(from_millis),
    })
}

impl Tx {
    /// Stores a review; false, with nothing written, when the enrolment
    /// already has one with this key or for this due date (on PostgreSQL an
    /// insert racing another waits for it, then does nothing).
    pub async fn insert_review(&mut self, r: &Review, key: &str) -> Result<bool, StoreError> {
        let sql = format!(
            "INSERT INTO reviews (id, enrolment_id, patient_id, service_id, reviewer_id, \
             feedback, due_at, written_at, read_at, idempotency_key) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, $9) \
             ON CONFLICT DO NOTHING RETURNING {}",
            columns(RecordKind::Review)
        );
        let row = self
            .query(sqlx::AssertSqlSafe(sql))
            .bind(r.id.to_string())
            .bind(r.enrolment_id.to_string())
            .bind(r.patient_id.to_string())
            .bind(r.service_id.to_string())
            .bind(r.reviewer_id.to_string())
            .bind(r.feedback.clone())
            .bind(to_millis(r.due_at))
            .bind(to_millis(r.written_at))
            .bind(key)
            .fetch_optional()
            .await?;
        let Some(row) = row else {
            return Ok(false);
        };
        self.wrote(RecordKind::Review, &r.id.to_string(), &row)?;
        Ok(true)
    }

    /// The enrolment's review sent with `key`, if any.
    pub async fn review_by_key(
        &mut self,
        enrolment: EnrolmentId,
        key: &str,
    ) -> Result<Option<Review>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM reviews WHERE enrolment_id = $1 AND idempotency_key = $2"
        ));
        self.query(sql)
            .bind(enrolment.to_string())
            .bind(key)
            .fetch_optional()
            .await?
            .as_ref()
            .map(review)
            .transpose()
    }

    /// Every review of the enrolment, newest first.
    pub async fn reviews_of_enrolment(
        &mut self,
        enrolment: EnrolmentId,
    ) -> Result<Vec<Review>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM reviews WHERE enrolment_id = $1 \
             ORDER BY written_at DESC, id"
        ));
        let rows = self
            .query(sql)
            .bind(enrolment.to_string())
            .fetch_all()
            .await?;
        rows.iter().map(review).collect()
    }

    /// Marks the enrolment's reviews the person has not opened as read
    /// now; how many were.
    pub async fn mark_reviews_read(
        &mut self,
        enrolment: EnrolmentId,
        at: Timestamp,
    ) -> Result<u64, StoreError> {
        let done = self
            .query("UPDATE reviews SET read_at = $2 WHERE enrolment_id = $1 AND read_at IS NULL")
            .bind(enrolment.to_string())
            .bind(to_millis(at))
            .execute()
            .await?;
        Ok(done.rows_affected())
    }

    /// How many reviews of each of the patient's enrolments they have not
    /// opened; enrolments with none are left out.
    pub async fn unread_reviews_of(
        &mut self,
        patient: PatientId,
    ) -> Result<Vec<(EnrolmentId, i64)>, StoreError> {
        let rows = self
            .query(
                "SELECT enrolment_id, COUNT(*) AS n FROM reviews \
                 WHERE patient_id = $1 AND read_at IS NULL \
                 GROUP BY enrolment_id ORDER BY enrolment_id",
            )
            .bind(patient.to_string())
            .fetch_all()
            .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    parse(&r.try_get::<String>("enrolment_id")?, "enrolment id")?,
                    r.try_get("n")?,
                ))
            })
            .collect()
    }

    /// The service's active enrolments with each one's newest review; with
    /// `staff`, only those they support or whose patient is on their
    /// caseload, found along those two indexes (a supporter's home reads
    /// this on every visit: with `$2 IS NULL OR ...` in one statement the
    /// plan read every active enrolment of the service).
    pub async fn review_queue(
        &mut self,
        service: ServiceId,
        staff: Option<StaffId>,
    ) -> Result<Vec<ReviewQueueRow>, StoreError> {
        let only = if staff.is_some() {
            "AND e.id IN (SELECT n.id FROM enrolments n WHERE n.supporter_id = $2 \
             AND n.status <> 'finished' UNION SELECT n.id FROM patients p \
             JOIN enrolments n ON n.patient_id = p.id WHERE p.supporter_id = $2)"
        } else {
            ""
        };
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT e.id, e.patient_id, e.programme_id, e.supporter_id, e.enrolled_at, \
             (SELECT MAX(r.written_at) FROM reviews r WHERE r.enrolment_id = e.id) \
             AS last_review_at \
             FROM enrolments e WHERE e.service_id = $1 AND e.status = 'active' {only} \
             ORDER BY e.enrolled_at, e.id"
        ));
        let mut q = self.query(sql).bind(service.to_string());
        if let Some(s) = staff {
            q = q.bind(s.to_string());
        }
        let rows = q.fetch_all().await?;
        rows.iter()
            .map(|r| {
                Ok(ReviewQueueRow {
                    enrolment_id: parse(&r.try_get::<String>("id")?, "enrolment id")?,
                    patient_id: parse(&r.try_get::<String>("patient_id")?, "patient id")?,
                    programme_id: r.try_get("programme_id")?,
                    supporter_id: r
                        .try_get::<Option<String>>("supporter_id")?
                        .map(|s| parse(&s, "staff id"))
                        .transpose()?,
                    enrolled_at: from_millis(r.try_get("enrolled_at")?),
                    last_review_at: r.try_get::<Option<i64>>("last_review_at")?.map(from_millis),
                })
            })
            .collect()
    }
}
