//! Importing a deprivation look-up file (`bothy admin
//! import-deprivation`): postcode,decile lines replace the edition's
//! postcodes in one transaction, so a report never sees half an edition.

use crate::{Actor, AppError, AuditEvent, RequestContext};
use bothy_domain::audit::Action;
use bothy_domain::reports::Edition;
use bothy_domain::reports::groups::lookup_line;

/// Lines checked and written per batch.
const BATCH: usize = 5_000;

impl crate::outcomes::Reports<'_> {
    /// Replaces `edition` with the postcodes of `lines` (a header line is
    /// skipped); a line that is not a postcode and a decile from 1 to 10
    /// stops the import, naming its number. Returns how many postcodes
    /// the edition holds.
    pub async fn import_deprivation(
        &self,
        edition: Edition,
        lines: impl Iterator<Item = std::io::Result<String>>,
        ctx: &RequestContext,
    ) -> Result<i64, AppError> {
        let app = self.app;
        let mut tx = app.store.begin().await?;
        tx.clear_deprivation(edition).await?;
        let mut batch = Vec::with_capacity(BATCH);
        for (i, line) in lines.enumerate() {
            let line =
                line.map_err(|e| AppError::field("file", format!("could not be read: {e}")))?;
            match lookup_line(&line) {
                None => continue,
                Some(Err(e)) => {
                    return Err(AppError::field("file", format!("line {}: {}", i + 1, e.0)));
                }
                Some(Ok(row)) => batch.push(row),
            }
            if batch.len() == BATCH {
                tx.add_deprivation(edition, &batch).await?;
                batch.clear();
            }
        }
        tx.add_deprivation(edition, &batch).await?;
        let n = tx
            .finish_deprivation_import(edition, app.clock.now())
            .await?;
        let event = AuditEvent::new(Action::DeprivationImported).detail(format!(
            "{} postcodes of {}",
            n,
            edition.as_str()
        ));
        app.audit(&mut tx, &Actor::System, ctx, event).await?;
        tx.commit().await?;
        Ok(n)
    }
}
