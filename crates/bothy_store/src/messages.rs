//! Secure messages: threads between a patient and their care team, and the
//! messages in them. Every write is guarded: a thread or message whose
//! idempotency key is taken is not written again (`ON CONFLICT DO
//! NOTHING`), a read mark only fills an empty `read_at`, and a needs-a-
//! clinician mark is set only when clear and cleared only when set; the
//! affected-row count tells the caller whether it made the change.

use crate::audit::records::columns;
use crate::db::Row;
use crate::services::parse;
use crate::{StoreError, Tx};
use bothy_domain::audit::digest::RecordKind;
use bothy_domain::ids::{MessageId, ThreadId};
use bothy_domain::messages::{Author, Message, NeedsClinician, Thread, ThreadSummary};
use bothy_domain::time::{Timestamp, from_millis, to_millis};
use bothy_domain::{PatientId, StaffId};

const THREAD_COLUMNS: &str = "t.id, t.patient_id, t.service_id, t.subject, t.created_by_kind, \
     t.created_by_id, t.created_at, t.last_message_at";

const MESSAGE_COLUMNS: &str = "id, thread_id, patient_id, service_id, author_kind, author_id, \
     body, sent_at, read_at, read_by, needs_clinician_at, needs_clinician_by";

fn author(kind: &str, id: &str) -> Result<Author, StoreError> {
    Author::parse(kind, id).ok_or_else(|| StoreError::corrupt(format!("author {kind:?}")))
}

fn thread(r: &Row) -> Result<Thread, StoreError> {
    Ok(Thread {
        id: parse(&r.try_get::<String>("id")?, "thread id")?,
        patient_id: parse(&r.try_get::<String>("patient_id")?, "patient id")?,
        service_id: parse(&r.try_get::<String>("service_id")?, "service id")?,
        subject: r.try_get("subject")?,
        created_by: author(
            &r.try_get::<String>("created_by_kind")?,
            &r.try_get::<String>("created_by_id")?,
        )?,
        created_at: from_millis(r.try_get("created_at")?),
        last_message_at: from_millis(r.try_get("last_message_at")?),
    })
}

fn staff_id(r: &Row, column: &str) -> Result<Option<StaffId>, StoreError> {
    r.try_get::<Option<String>>(column)?
        .map(|s| parse(&s, "staff id"))
        .transpose()
}

fn message(r: &Row) -> Result<Message, StoreError> {
    let needs_by = staff_id(r, "needs_clinician_by")?;
    let needs_at = r.try_get::<Option<i64>>("needs_clinician_at")?;
    Ok(Message {
        id: parse(&r.try_get::<String>("id")?, "message id")?,
        thread_id: parse(&r.try_get::<String>("thread_id")?, "thread id")?,
        patient_id: parse(&r.try_get::<String>("patient_id")?, "patient id")?,
        service_id: parse(&r.try_get::<String>("service_id")?, "service id")?,
        author: author(
            &r.try_get::<String>("author_kind")?,
            &r.try_get::<String>("author_id")?,
        )?,
        body: r.try_get("body")?,
        sent_at: from_millis(r.try_get("sent_at")?),
        read_at: r.try_get::<Option<i64>>("read_at")?.map(from_millis),
        read_by: staff_id(r, "read_by")?,
        needs_clinician: match (needs_by, needs_at) {
            (Some(by), Some(at)) => Some(NeedsClinician {
                by,
                at: from_millis(at),
            }),
            _ => None,
        },
    })
}

/// The side whose messages a viewer reads: a patient reads staff's, staff
/// read the patient's.
fn other_side(viewer_is_patient: bool) -> &'static str {
    if viewer_is_patient {
        "staff"
    } else {
        "patient"
    }
}

/// A person's messages the care team has not read yet, over `messages`
/// unaliased: the one definition the unread counts share.
pub(crate) const UNREAD_BY_STAFF: &str = "author_kind = 'patient' AND read_at IS NULL";
impl Tx {
    /// Makes a thread; false, with nothing written, when the patient
    /// already started one with this key (a resent form; on PostgreSQL an
    /// insert racing another waits for it to commit, then does nothing).
    pub async fn insert_message_thread(
        &mut self,
        t: &Thread,
        start_key: &str,
    ) -> Result<bool, StoreError> {
        let made = self
            .query(
                "INSERT INTO message_threads (id, patient_id, service_id, subject, \
                 created_by_kind, created_by_id, created_at, last_message_at, start_key) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                 ON CONFLICT (patient_id, start_key) DO NOTHING RETURNING id",
            )
            .bind(t.id.to_string())
            .bind(t.patient_id.to_string())
            .bind(t.service_id.to_string())
            .bind(t.subject.clone())
            .bind(t.created_by.kind())
            .bind(t.created_by.id())
            .bind(to_millis(t.created_at))
            .bind(to_millis(t.last_message_at))
            .bind(start_key)
            .fetch_optional()
            .await?
            .is_some();
        Ok(made)
    }

    /// The thread the patient started with `start_key`, if any.
    pub async fn message_thread_by_key(
        &mut self,
        patient: PatientId,
        start_key: &str,
    ) -> Result<Option<Thread>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {THREAD_COLUMNS} FROM message_threads t \
             WHERE t.patient_id = $1 AND t.start_key = $2"
        ));
        let row = self
            .query(sql)
            .bind(patient.to_string())
            .bind(start_key)
            .fetch_optional()
            .await?;
        row.as_ref().map(thread).transpose()
    }

    /// One thread. With `lock`, its row is locked until the transaction
    /// ends (PostgreSQL; SQLite's write transaction already excludes other
    /// writers), so writes to one thread follow one another.
    pub async fn message_thread(
        &mut self,
        id: ThreadId,
        lock: bool,
    ) -> Result<Option<Thread>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {THREAD_COLUMNS} FROM message_threads t WHERE t.id = $1{}",
            if lock { self.dialect.for_update } else { "" }
        ));
        let row = self
            .query(sql)
            .bind(id.to_string())
            .fetch_optional()
            .await?;
        row.as_ref().map(thread).transpose()
    }

    /// Stores a message and moves its thread's newest time on; false, with
    /// nothing written, when its author already sent one with this key in
    /// this thread (the caller answers with that one, [`Tx::message_by_key`]).
    pub async fn insert_message(&mut self, m: &Message, key: &str) -> Result<bool, StoreError> {
        let sql = format!(
            "INSERT INTO messages (id, thread_id, patient_id, service_id, author_kind, author_id, \
             body, sent_at, idempotency_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             ON CONFLICT (thread_id, author_kind, author_id, idempotency_key) DO NOTHING \
             RETURNING {}",
            columns(RecordKind::Message)
        );
        let row = self
            .query(sqlx::AssertSqlSafe(sql))
            .bind(m.id.to_string())
            .bind(m.thread_id.to_string())
            .bind(m.patient_id.to_string())
            .bind(m.service_id.to_string())
            .bind(m.author.kind())
            .bind(m.author.id())
            .bind(m.body.clone())
            .bind(to_millis(m.sent_at))
            .bind(key)
            .fetch_optional()
            .await?;
        let Some(row) = row else {
            return Ok(false);
        };
        self.wrote(RecordKind::Message, &m.id.to_string(), &row)?;
        self.query(
            "UPDATE message_threads SET last_message_at = $2 \
             WHERE id = $1 AND last_message_at < $2",
        )
        .bind(m.thread_id.to_string())
        .bind(to_millis(m.sent_at))
        .execute()
        .await?;
        Ok(true)
    }

    /// The message `author` sent in `thread` with `key`, if any.
    pub async fn message_by_key(
        &mut self,
        thread: ThreadId,
        author: Author,
        key: &str,
    ) -> Result<Option<Message>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages WHERE thread_id = $1 AND author_kind = $2 \
             AND author_id = $3 AND idempotency_key = $4"
        ));
        let row = self
            .query(sql)
            .bind(thread.to_string())
            .bind(author.kind())
            .bind(author.id())
            .bind(key)
            .fetch_optional()
            .await?;
        row.as_ref().map(message).transpose()
    }

    /// One message.
    pub async fn message(&mut self, id: MessageId) -> Result<Option<Message>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages WHERE id = $1"
        ));
        let row = self
            .query(sql)
            .bind(id.to_string())
            .fetch_optional()
            .await?;
        row.as_ref().map(message).transpose()
    }

    /// A thread's messages, oldest first.
    pub async fn messages_of_thread(&mut self, id: ThreadId) -> Result<Vec<Message>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages WHERE thread_id = $1 ORDER BY sent_at, id"
        ));
        let rows = self.query(sql).bind(id.to_string()).fetch_all().await?;
        rows.iter().map(message).collect()
    }

    /// Marks the other side's unread messages in a thread read, as of
    /// `at`, by `by` (a member of staff; `None` for the patient). Only an
    /// empty `read_at` is filled, so a second opening changes nothing.
    /// Returns how many were marked.
    pub async fn mark_messages_read(
        &mut self,
        thread: ThreadId,
        viewer_is_patient: bool,
        by: Option<StaffId>,
        at: Timestamp,
    ) -> Result<u64, StoreError> {
        let done = self
            .query(
                "UPDATE messages SET read_at = $3, read_by = $4 \
                 WHERE thread_id = $1 AND author_kind = $2 AND read_at IS NULL",
            )
            .bind(thread.to_string())
            .bind(other_side(viewer_is_patient))
            .bind(to_millis(at))
            .bind(by.map(|s| s.to_string()))
            .execute()
            .await?;
        Ok(done.rows_affected())
    }

    /// Marks a message as needing a clinician (`Some`) or clears the mark
    /// (`None`). False when it was already so: a second mark keeps the
    /// first one's who and when.
    pub async fn set_message_needs_clinician(
        &mut self,
        id: MessageId,
        mark: Option<NeedsClinician>,
    ) -> Result<bool, StoreError> {
        let cols = columns(RecordKind::Message);
        let sql = match mark {
            Some(_) => format!(
                "UPDATE messages SET needs_clinician_at = $2, needs_clinician_by = $3 \
                 WHERE id = $1 AND needs_clinician_at IS NULL RETURNING {cols}"
            ),
            None => format!(
                "UPDATE messages SET needs_clinician_at = NULL, needs_clinician_by = NULL \
                 WHERE id = $1 AND needs_clinician_at IS NOT NULL RETURNING {cols}"
            ),
        };
        let mut q = self.query(sqlx::AssertSqlSafe(sql)).bind(id.to_string());
        if let Some(m) = mark {
            q = q.bind(to_millis(m.at)).bind(m.by.to_string());
        }
        let row = q.fetch_optional().await?;
        self.wrote_optional(RecordKind::Message, &id.to_string(), row.as_ref())
    }

    /// A patient's threads, newest activity first, with how many messages
    /// each holds, how many of the other side's the viewer has not read,
    /// and how many are marked as needing a clinician.
    pub async fn message_threads_of(
        &mut self,
        patient: PatientId,
        viewer_is_patient: bool,
        limit: i64,
    ) -> Result<Vec<ThreadSummary>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {THREAD_COLUMNS}, COUNT(m.id) AS n, \
             COALESCE(SUM(CASE WHEN m.author_kind = $2 AND m.read_at IS NULL THEN 1 ELSE 0 END), 0) AS unread, \
             COALESCE(SUM(CASE WHEN m.needs_clinician_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS flagged \
             FROM message_threads t LEFT JOIN messages m ON m.thread_id = t.id \
             WHERE t.patient_id = $1 GROUP BY {THREAD_COLUMNS} \
             ORDER BY t.last_message_at DESC, t.id LIMIT {limit}"
        ));
        let rows = self
            .query(sql)
            .bind(patient.to_string())
            .bind(other_side(viewer_is_patient))
            .fetch_all()
            .await?;
        rows.iter()
            .map(|r| {
                Ok(ThreadSummary {
                    thread: thread(r)?,
                    messages: r.try_get("n")?,
                    unread: r.try_get("unread")?,
                    needs_clinician: r.try_get("flagged")?,
                })
            })
            .collect()
    }

    /// How many of the other side's messages to a patient's threads the
    /// viewer has not read: for the patient, their care team's; for staff,
    /// the patient's.
    pub async fn unread_message_count(
        &mut self,
        patient: PatientId,
        viewer_is_patient: bool,
    ) -> Result<i64, StoreError> {
        let row = self
            .query(
                "SELECT COUNT(*) AS n FROM messages \
                 WHERE patient_id = $1 AND author_kind = $2 AND read_at IS NULL",
            )
            .bind(patient.to_string())
            .bind(other_side(viewer_is_patient))
            .fetch_one()
            .await?;
        row.try_get("n")
    }

    /// For staff: each of the given patients with unread messages from
    /// them, and how many. Patients with none are left out.
    pub async fn unread_messages_by_patient(
        &mut self,
        patients: &[PatientId],
    ) -> Result<Vec<(PatientId, i64)>, StoreError> {
        if patients.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT patient_id, COUNT(*) AS n FROM messages WHERE {UNREAD_BY_STAFF} \
             AND patient_id IN ({{ids}}) GROUP BY patient_id ORDER BY patient_id"
        );
        self.query_in(&sql, patients)
            .fetch_all()
            .await?
            .iter()
            .map(|r| {
                Ok((
                    parse(&r.try_get::<String>("patient_id")?, "patient id")?,
                    r.try_get("n")?,
                ))
            })
            .collect()
    }
}
