//! NHS Talking Therapies outcomes of a service's finished episodes, from
//! their write-time summaries (`bothy_domain::outcomes::episode_from_summaries`).

use crate::{App, AppError};
use bothy_domain::ServiceId;
use bothy_domain::outcomes::{
    OutcomeFlags, ProblemDescriptor, Tally, classify, episode_from_summaries, rules_fingerprint,
};
use bothy_domain::time::Timestamp;

/// Episodes read per page.
const PAGE: i64 = 10_000;

/// Service reports: outcomes by the national definitions.
pub struct Reports<'a> {
    pub(crate) app: &'a App,
}

impl Reports<'_> {
    /// Counts the outcomes of every episode the service discharged in
    /// [from, to): those classified by the rules in force are summed in the
    /// database from their stored flags; the others (discharged before
    /// flags were kept, loaded in bulk, or classified with other instrument
    /// versions) are classified now, a page at a time so memory stays flat,
    /// and keep their flags for the next count.
    pub async fn outcome_tally(
        &self,
        service: ServiceId,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Tally, AppError> {
        let mut tally = Tally::default();
        let rules = rules_fingerprint(&self.app.catalogue);
        // One snapshot for the sum and the pages, so that nothing is counted
        // twice or missed; the flags found are kept in short write
        // transactions of their own, outside it.
        let mut tx = self.app.store.read().await?;
        let (episodes, counts) = tx.outcome_counts(service, (from, to), &rules).await?;
        tally.add_counts(episodes, &counts);
        self.flag_unclassified(&mut tx, service, (from, to), &rules, &mut tally)
            .await?;
        tx.rollback().await?;
        Ok(tally)
    }

    /// Classifies and stores the outcome flags of every episode that ended
    /// in the period without flags under the rules in force, so that the
    /// dashboard's sums read stored bits only (it needs no tally).
    pub async fn store_outcome_flags(
        &self,
        service: ServiceId,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<(), AppError> {
        let rules = rules_fingerprint(&self.app.catalogue);
        let mut tx = self.app.store.read().await?;
        self.flag_unclassified(&mut tx, service, (from, to), &rules, &mut Tally::default())
            .await?;
        tx.rollback().await?;
        Ok(())
    }

    /// The episodes ended in `period` without flags under `rules`, a page
    /// at a time from `tx`'s snapshot: each classified, added to `tally`
    /// and its flags kept in a short write transaction of their own.
    async fn flag_unclassified(
        &self,
        tx: &mut bothy_store::Tx,
        service: ServiceId,
        period: (Timestamp, Timestamp),
        rules: &str,
        tally: &mut Tally,
    ) -> Result<(), AppError> {
        let others_flagged = tx.outcome_rules_other_than(service, rules).await?;
        let mut after: Option<(Timestamp, String)> = None;
        loop {
            let page = tx
                .finished_episode_page(
                    service,
                    period,
                    after.as_ref().map(|(at, id)| (*at, id.as_str())),
                    PAGE,
                    rules,
                    others_flagged,
                )
                .await?;
            let Some(last) = page.last() else { break };
            after = Some((last.discharged_at, last.episode_id.clone()));
            let mut found = Vec::with_capacity(page.len());
            for e in page {
                let episode = episode_from_summaries(
                    e.episode_id.clone(),
                    ProblemDescriptor::parse(&e.problem_descriptor)
                        .unwrap_or(ProblemDescriptor::Other),
                    u32::try_from(e.treatment_appointments).unwrap_or(0),
                    &e.scores,
                );
                let outcome = classify(&episode, &self.app.catalogue, &Default::default());
                tally.add(&outcome);
                found.push((e.episode_id, OutcomeFlags::of(&outcome)));
            }
            let mut write = self.app.store.begin().await?;
            for (id, flags) in &found {
                write.set_outcome_flags(id, *flags, rules).await?;
            }
            write.commit().await?;
        }
        Ok(())
    }
}
