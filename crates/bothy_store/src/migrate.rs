//! Migrations, one tree per backend with the same numbers. Applied
//! migrations are never edited: add a new one (add before remove, so that
//! servers of the old and new version can run side by side during a deploy).

use crate::{Backend, StoreError};
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::{PgPool, SqlSafeStr, SqlitePool};
use std::borrow::Cow;

/// (version, description, SQLite SQL, PostgreSQL SQL).
pub const MIGRATIONS: &[(i64, &str, &str, &str)] = &[
    (
        1,
        "foundation",
        include_str!("../migrations/sqlite/0001_foundation.sql"),
        include_str!("../migrations/postgres/0001_foundation.sql"),
    ),
    (
        2,
        "measures",
        include_str!("../migrations/sqlite/0002_measures.sql"),
        include_str!("../migrations/postgres/0002_measures.sql"),
    ),
    (
        4,
        "referrals",
        include_str!("../migrations/sqlite/0004_referrals.sql"),
        include_str!("../migrations/postgres/0004_referrals.sql"),
    ),
    (
        3,
        "jobs",
        include_str!("../migrations/sqlite/0003_jobs.sql"),
        include_str!("../migrations/postgres/0003_jobs.sql"),
    ),
    (
        5,
        "check_ins",
        include_str!("../migrations/sqlite/0005_check_ins.sql"),
        include_str!("../migrations/postgres/0005_check_ins.sql"),
    ),
    (
        6,
        "alerts",
        include_str!("../migrations/sqlite/0006_alerts.sql"),
        include_str!("../migrations/postgres/0006_alerts.sql"),
    ),
    (
        7,
        "demographics",
        include_str!("../migrations/sqlite/0007_demographics.sql"),
        include_str!("../migrations/postgres/0007_demographics.sql"),
    ),
    (
        8,
        "audit_seal",
        include_str!("../migrations/sqlite/0008_audit_seal.sql"),
        include_str!("../migrations/postgres/0008_audit_seal.sql"),
    ),
    (
        9,
        "one_episode_per_referral",
        include_str!("../migrations/sqlite/0009_one_episode_per_referral.sql"),
        include_str!("../migrations/postgres/0009_one_episode_per_referral.sql"),
    ),
    (
        10,
        "summaries",
        include_str!("../migrations/sqlite/0010_summaries.sql"),
        include_str!("../migrations/postgres/0010_summaries.sql"),
    ),
    (
        11,
        "security",
        include_str!("../migrations/sqlite/0011_security.sql"),
        include_str!("../migrations/postgres/0011_security.sql"),
    ),
    (
        12,
        "referral_alerts",
        include_str!("../migrations/sqlite/0012_referral_alerts.sql"),
        include_str!("../migrations/postgres/0012_referral_alerts.sql"),
    ),
    (
        13,
        "audit_record_digest",
        include_str!("../migrations/sqlite/0013_audit_record_digest.sql"),
        include_str!("../migrations/postgres/0013_audit_record_digest.sql"),
    ),
    (
        14,
        "screening",
        include_str!("../migrations/sqlite/0014_screening.sql"),
        include_str!("../migrations/postgres/0014_screening.sql"),
    ),
    (
        15,
        "enrolments",
        include_str!("../migrations/sqlite/0015_enrolments.sql"),
        include_str!("../migrations/postgres/0015_enrolments.sql"),
    ),
    (
        16,
        "outcome_flags",
        include_str!("../migrations/sqlite/0016_outcome_flags.sql"),
        include_str!("../migrations/postgres/0016_outcome_flags.sql"),
    ),
    (
        17,
        "tool_entries",
        include_str!("../migrations/sqlite/0017_tool_entries.sql"),
        include_str!("../migrations/postgres/0017_tool_entries.sql"),
    ),
    (
        18,
        "messages",
        include_str!("../migrations/sqlite/0018_messages.sql"),
        include_str!("../migrations/postgres/0018_messages.sql"),
    ),
    (
        19,
        "caseload",
        include_str!("../migrations/sqlite/0019_caseload.sql"),
        include_str!("../migrations/postgres/0019_caseload.sql"),
    ),
    (
        20,
        "reviews",
        include_str!("../migrations/sqlite/0020_reviews.sql"),
        include_str!("../migrations/postgres/0020_reviews.sql"),
    ),
    (
        21,
        "sweep_index",
        include_str!("../migrations/sqlite/0021_sweep_index.sql"),
        include_str!("../migrations/postgres/0021_sweep_index.sql"),
    ),
    (
        22,
        "contact",
        include_str!("../migrations/sqlite/0022_contact.sql"),
        include_str!("../migrations/postgres/0022_contact.sql"),
    ),
    (
        23,
        "appointments",
        include_str!("../migrations/sqlite/0023_appointments.sql"),
        include_str!("../migrations/postgres/0023_appointments.sql"),
    ),
    (
        24,
        "sms",
        include_str!("../migrations/sqlite/0024_sms.sql"),
        include_str!("../migrations/postgres/0024_sms.sql"),
    ),
    (
        25,
        "reminders",
        include_str!("../migrations/sqlite/0025_reminders.sql"),
        include_str!("../migrations/postgres/0025_reminders.sql"),
    ),
    (
        26,
        "referrals_as_sent",
        include_str!("../migrations/sqlite/0026_referrals_as_sent.sql"),
        include_str!("../migrations/postgres/0026_referrals_as_sent.sql"),
    ),
    (
        27,
        "authored",
        include_str!("../migrations/sqlite/0027_authored.sql"),
        include_str!("../migrations/postgres/0027_authored.sql"),
    ),
    (
        28,
        "fhir_search",
        include_str!("../migrations/sqlite/0028_fhir_search.sql"),
        include_str!("../migrations/postgres/0028_fhir_search.sql"),
    ),
    (
        29,
        "scale_indexes",
        include_str!("../migrations/sqlite/0029_scale_indexes.sql"),
        include_str!("../migrations/postgres/0029_scale_indexes.sql"),
    ),
    (
        30,
        "peer_support",
        include_str!("../migrations/sqlite/0030_peer_support.sql"),
        include_str!("../migrations/postgres/0030_peer_support.sql"),
    ),
    (
        31,
        "reports",
        include_str!("../migrations/sqlite/0031_reports.sql"),
        include_str!("../migrations/postgres/0031_reports.sql"),
    ),
    (
        32,
        "bulk_export",
        include_str!("../migrations/sqlite/0032_bulk_export.sql"),
        include_str!("../migrations/postgres/0032_bulk_export.sql"),
    ),
    (
        33,
        "peer_escalation",
        include_str!("../migrations/sqlite/0033_peer_escalation.sql"),
        include_str!("../migrations/postgres/0033_peer_escalation.sql"),
    ),
    (
        34,
        "discharged_index",
        include_str!("../migrations/sqlite/0034_discharged_index.sql"),
        include_str!("../migrations/postgres/0034_discharged_index.sql"),
    ),
    (
        35,
        "job_claim_order",
        include_str!("../migrations/sqlite/0035_job_claim_order.sql"),
        include_str!("../migrations/postgres/0035_job_claim_order.sql"),
    ),
    (
        36,
        "report_facts",
        include_str!("../migrations/sqlite/0036_report_facts.sql"),
        include_str!("../migrations/postgres/0036_report_facts.sql"),
    ),
    (
        37,
        "unclassified_index",
        include_str!("../migrations/sqlite/0037_unclassified_index.sql"),
        include_str!("../migrations/postgres/0037_unclassified_index.sql"),
    ),
    (
        38,
        "report_rows_deferred",
        include_str!("../migrations/sqlite/0038_report_rows_deferred.sql"),
        include_str!("../migrations/postgres/0038_report_rows_deferred.sql"),
    ),
    (
        39,
        "peer_queue_order",
        include_str!("../migrations/sqlite/0039_peer_queue_order.sql"),
        include_str!("../migrations/postgres/0039_peer_queue_order.sql"),
    ),
    (
        40,
        "patient_activity",
        include_str!("../migrations/sqlite/0040_patient_activity.sql"),
        include_str!("../migrations/postgres/0040_patient_activity.sql"),
    ),
    (
        41,
        "front_door",
        include_str!("../migrations/sqlite/0041_front_door.sql"),
        include_str!("../migrations/postgres/0041_front_door.sql"),
    ),
];

/// The migrations up to and including `until`.
fn migrator(backend: Backend, until: i64) -> Migrator {
    Migrator::with_migrations(
        MIGRATIONS
            .iter()
            .filter(|(version, ..)| *version <= until)
            .map(|(version, name, sqlite, postgres)| {
                let sql = match backend {
                    Backend::Sqlite => *sqlite,
                    Backend::Postgres => *postgres,
                };
                Migration::new(
                    *version,
                    Cow::Borrowed(*name),
                    MigrationType::Simple,
                    sql.into_sql_str(),
                    false,
                )
            })
            .collect(),
    )
}

pub(crate) async fn run_sqlite(pool: &SqlitePool, until: i64) -> Result<(), StoreError> {
    migrator(Backend::Sqlite, until)
        .run(pool)
        .await
        .map_err(|e| StoreError::Migrate(e.to_string()))
}

pub(crate) async fn run_postgres(pool: &PgPool, until: i64) -> Result<(), StoreError> {
    migrator(Backend::Postgres, until)
        .run(pool)
        .await
        .map_err(|e| StoreError::Migrate(e.to_string()))
}

/// Every (table, column) of the migrated schema, sorted, for comparing the
/// two backends. Bookkeeping tables of SQLite and sqlx are left out.
pub async fn schema_columns(store: &crate::Store) -> Result<Vec<(String, String)>, StoreError> {
    let sql = match store.backend() {
        Backend::Sqlite => {
            "SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE '_sqlx%'"
        }
        Backend::Postgres => {
            "SELECT c.table_name::text, c.column_name::text FROM information_schema.columns c \
             JOIN information_schema.tables t ON t.table_schema = c.table_schema \
             AND t.table_name = c.table_name AND t.table_type = 'BASE TABLE' \
             WHERE c.table_schema = current_schema() AND c.table_name NOT LIKE '_sqlx%'"
        }
    };
    let mut cols = store
        .reader()
        .await?
        .query(sql)
        .fetch_all()
        .await?
        .iter()
        .map(|r| Ok((r.try_get_at(0)?, r.try_get_at(1)?)))
        .collect::<Result<Vec<(String, String)>, StoreError>>()?;
    cols.sort();
    Ok(cols)
}
