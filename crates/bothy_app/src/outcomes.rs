//! NHS Talking Therapies outcomes of a service's finished episodes, from
//! their write-time summaries (`bothy_domain::outcomes::episode_from_summaries`).

use crate::{App, AppError};
use bothy_domain::ServiceId;
use bothy_domain::outcomes::{ProblemDescriptor, Tally, classify, episode_from_summaries};
use bothy_domain::time::Timestamp;

/// Episodes read per page.
const PAGE: i64 = 10_000;

/// Service reports: outcomes by the national definitions.
pub struct Reports<'a> {
    pub(crate) app: &'a App,
}

impl Reports<'_> {
    /// Classifies every episode the service discharged in [from, to) and
    /// counts the outcomes. Reads a page at a time, so memory stays flat
    /// however many there are.
    pub async fn outcome_tally(
        &self,
        service: ServiceId,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Tally, AppError> {
        let mut tally = Tally::default();
        let mut tx = self.app.store.read().await?;
        let mut after: Option<(Timestamp, String)> = None;
        loop {
            let page = tx
                .finished_episode_page(
                    service,
                    (from, to),
                    after.as_ref().map(|(at, id)| (*at, id.as_str())),
                    PAGE,
                )
                .await?;
            let Some(last) = page.last() else { break };
            after = Some((last.discharged_at, last.episode_id.clone()));
            for e in page {
                let episode = episode_from_summaries(
                    e.episode_id,
                    ProblemDescriptor::parse(&e.problem_descriptor)
                        .unwrap_or(ProblemDescriptor::Other),
                    u32::try_from(e.treatment_appointments).unwrap_or(0),
                    &e.scores,
                );
                tally.add(&classify(
                    &episode,
                    &self.app.catalogue,
                    &Default::default(),
                ));
            }
        }
        tx.rollback().await?;
        Ok(tally)
    }
}
