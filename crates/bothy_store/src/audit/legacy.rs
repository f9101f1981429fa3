//! The one check of the earlier format's 16 chains, before their events are
//! sealed (see `bothy_domain::audit::legacy`). Goes with the migration that
//! drops their columns.

use crate::{Store, StoreError};
use bothy_domain::audit::LegacyCheck;
use bothy_domain::audit::legacy::{ChainBreak, ChainVerifier, LegacyEvent};

/// Walks every earlier chain from its first event to its recorded head, in
/// one snapshot and in pages, and reports the first broken link. Events of
/// the new format (no chain) are not part of any earlier chain.
pub(super) async fn check(store: &Store) -> Result<LegacyCheck, StoreError> {
    let mut tx = store.read().await?;
    let heads = tx
        .query("SELECT chain, last_seq, last_hash FROM audit_chains ORDER BY chain")
        .fetch_all()
        .await?
        .iter()
        .map(|r| {
            Ok((
                r.try_get::<i64>("chain")?,
                r.try_get::<i64>("last_seq")?,
                r.try_get::<String>("last_hash")?,
            ))
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    let mut events: u64 = 0;
    let first_break = walk(&mut tx, &heads, &mut events).await?;
    tx.rollback().await?;
    Ok(LegacyCheck {
        chains: heads.len() as u64,
        events,
        first_break: first_break.map(|b| b.to_string()),
    })
}

async fn walk(
    tx: &mut crate::Tx,
    heads: &[(i64, i64, String)],
    events: &mut u64,
) -> Result<Option<ChainBreak>, StoreError> {
    // Events whose chain has no head would escape a per-chain walk.
    let orphan = tx
        .query(
            "SELECT seq, chain FROM audit_events WHERE chain IS NOT NULL \
             AND chain NOT IN (SELECT chain FROM audit_chains) ORDER BY seq LIMIT 1",
        )
        .fetch_optional()
        .await?;
    if let Some(r) = orphan {
        return Ok(Some(ChainBreak::UnknownChain {
            seq: r.try_get("seq")?,
            chain: r.try_get("chain")?,
        }));
    }
    let sql = "SELECT seq, chain, chain_seq, at, actor_kind, actor_id, role, service_id, patient_id, \
               action, purpose, request_id, detail, record_kind, record_id, record_digest, prev_hash, \
               hash FROM audit_events \
               WHERE chain = $1 AND chain_seq > $2 ORDER BY chain_seq LIMIT 5000";
    for (chain, last_seq, last_hash) in heads {
        let mut verifier = ChainVerifier::new(*chain);
        let mut after: i64 = 0;
        loop {
            let page = tx.query(sql).bind(*chain).bind(after).fetch_all().await?;
            let Some(last) = page.last() else { break };
            after = last.try_get("chain_seq")?;
            for r in &page {
                let e = LegacyEvent {
                    seq: r.try_get("seq")?,
                    chain: r.try_get("chain")?,
                    chain_seq: r.try_get("chain_seq")?,
                    record: super::record(r)?,
                    prev_hash: r
                        .try_get::<Option<String>>("prev_hash")?
                        .unwrap_or_default(),
                    hash: r.try_get::<Option<String>>("hash")?.unwrap_or_default(),
                };
                if let Err(b) = verifier.push(&e) {
                    return Ok(Some(b));
                }
            }
        }
        match verifier.finish(*last_seq, last_hash) {
            Ok(n) => *events += n,
            Err(b) => return Ok(Some(b)),
        }
    }
    // Every event of the earlier format must have been walked: this catches
    // events filed before a chain's first position, where no walk looks.
    let stored: i64 = tx
        .query("SELECT COUNT(*) AS n FROM audit_events WHERE chain IS NOT NULL")
        .fetch_one()
        .await?
        .try_get("n")?;
    let walked = i64::try_from(*events).unwrap_or(i64::MAX);
    if stored != walked {
        return Ok(Some(ChainBreak::Stray {
            stray: stored - walked,
        }));
    }
    Ok(None)
}
