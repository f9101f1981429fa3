//! `bothy audit`: verify the sealed chain, print its head, seal now.

use anyhow::Context;
use bothy::Config;
use bothy::cli::AuditCommand;
use bothy_app::{Clock, SystemClock};
use bothy_domain::audit::{Anchor, SealHead};
use bothy_domain::time::{Timestamp, from_millis};
use bothy_store::{RecordsReport, VerifyReport};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

/// An unsealed event older than this means no sealer is running, or the
/// event did not come in through the application.
const STALE: Duration = Duration::from_secs(60);

pub async fn run(config: &Config, command: AuditCommand) -> anyhow::Result<ExitCode> {
    match command {
        AuditCommand::Verify { anchors } => verify(config, &anchors).await,
        AuditCommand::Head => head(config).await,
        AuditCommand::Seal => seal(config).await,
    }
}

async fn verify(config: &Config, anchors: &[Anchor]) -> anyhow::Result<ExitCode> {
    let store = bothy::connect_store(config).await?;
    let report = store
        .verify_audit(anchors)
        .await
        .context("cannot read the audit trail");
    store.close().await;
    let report = report?;
    print!("{}", describe(&report, anchors, SystemClock.now()));
    Ok(if report.is_intact() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

async fn head(config: &Config) -> anyhow::Result<ExitCode> {
    let store = bothy::connect_store(config).await?;
    let head = store
        .audit_head()
        .await
        .context("cannot read the audit trail");
    store.close().await;
    match head? {
        SealHead { pos: 0, .. } => eprintln!("Nothing is sealed yet."),
        h => println!("{} {}", h.anchor(), time(h.sealed_at_ms)),
    }
    Ok(ExitCode::SUCCESS)
}

async fn seal(config: &Config) -> anyhow::Result<ExitCode> {
    let app = bothy::build_app(config, Arc::new(SystemClock)).await?;
    let pass = bothy_jobs::seal_audit(&app).await;
    app.store().close().await;
    let pass = pass.context("cannot seal the audit trail")?;
    if let Some(check) = pass
        .legacy
        .as_ref()
        .filter(|c| c.events > 0 || !c.is_intact())
    {
        match &check.first_break {
            None => println!(
                "The earlier hash chains verify ({} chains, {}).",
                check.chains,
                events(check.events)
            ),
            Some(b) => println!(
                "AUDIT TRAIL BROKEN BEFORE SEALING: the earlier hash chains do not verify: {b}. \
                 Their events are sealed as found."
            ),
        }
    }
    println!("Sealed {}.", events(pass.sealed));
    if pass.busy || pass.lease_lost {
        println!("Another sealer (a worker) is sealing the rest.");
    }
    Ok(ExitCode::SUCCESS)
}

fn events(n: u64) -> String {
    if n == 1 {
        "1 event".into()
    } else {
        format!("{n} events")
    }
}

fn time(ms: Option<i64>) -> String {
    ms.map_or_else(|| "never".into(), |ms| from_millis(ms).to_string())
}

/// A duration in words, to the unit that matters.
fn age(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..120 => format!("{s} s"),
        120..7_200 => format!("{} min", s / 60),
        7_200..172_800 => format!("{} h", s / 3_600),
        _ => format!("{} days", s / 86_400),
    }
}

/// Clinical records against their audit events: kinds and ids only,
/// never what the records say.
fn describe_records(r: &RecordsReport, line: &mut impl FnMut(String)) {
    let by_kind = |m: &std::collections::BTreeMap<&str, u64>| {
        m.iter()
            .map(|(k, n)| format!("{k} {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if r.breaks == 0 {
        line(format!(
            "Clinical records intact: {} match the digest in their newest audit event{}.",
            r.verified_total(),
            match r.verified.is_empty() {
                true => String::new(),
                false => format!(" ({})", by_kind(&r.verified)),
            }
        ));
    } else {
        line(format!(
            "CLINICAL RECORDS CHANGED OUTSIDE BOTHY: {} (named by kind and id).",
            r.breaks
        ));
        for b in &r.first_breaks {
            line(format!("  {b}."));
        }
        if r.breaks > r.first_breaks.len() as u64 {
            line(format!(
                "  ... and {} more.",
                r.breaks - r.first_breaks.len() as u64
            ));
        }
    }
    if !r.not_audited.is_empty() {
        line(format!(
            "Not audited: {} clinical records have no audit event with a digest ({}): synthetic \
             data, which is loaded without audit events, or records last written before records \
             carried digests. Nothing vouches for their content.",
            r.not_audited_total(),
            by_kind(&r.not_audited)
        ));
    }
}

/// The report as printed.
fn describe(r: &VerifyReport, anchors: &[Anchor], now: Timestamp) -> String {
    let mut out = String::new();
    let mut line = |s: String| {
        out.push_str(&s);
        out.push('\n');
    };
    match &r.first_break {
        None => {
            line(format!(
                "Audit trail intact: {} sealed, every field and link checked.",
                events(r.sealed)
            ));
            for a in anchors {
                line(format!("The chain passes through the anchor {a}."));
            }
            if r.head.pos > 0 {
                line(format!(
                    "Head: {} sealed at {} (record it elsewhere; check later with --anchor).",
                    r.head.anchor(),
                    time(r.head.sealed_at_ms)
                ));
            }
        }
        Some(b) => {
            line(format!("AUDIT TRAIL BROKEN: {b}."));
            line(format!(
                "{} sealed checked before the break; the recorded head is {}.",
                events(r.sealed),
                r.head.anchor()
            ));
        }
    }
    match r.oldest_unsealed_at_ms {
        None => line("Every event is sealed.".into()),
        Some(oldest) => {
            let waited = Duration::try_from(now.duration_since(from_millis(oldest)))
                .unwrap_or(Duration::ZERO);
            line(format!(
                "Not yet sealed: {}, the oldest from {} ago. Nothing vouches for them until they are sealed.",
                events(r.unsealed),
                age(waited)
            ));
            if waited > STALE {
                line(format!(
                    "WARNING: an event has waited more than {} to be sealed: is a worker running \
                     (`bothy serve` or `bothy worker`)? An event much older than that may have been \
                     written straight into the database.",
                    age(STALE)
                ));
            }
        }
    }
    describe_records(&r.records, &mut line);
    if let Some(l) = &r.legacy {
        let when = time(Some(l.at_ms));
        match &l.check.first_break {
            None => line(format!(
                "The earlier hash chains ({} chains, {}) verified when they were sealed ({when}, event {}).",
                l.check.chains,
                events(l.check.events),
                l.seq
            )),
            Some(b) => line(format!(
                "AUDIT TRAIL BROKEN BEFORE SEALING: when the earlier hash chains were checked ({when}, \
                 event {}), they did not verify: {b}. Their events were sealed as found, so the seal \
                 vouches for them only from then on.",
                l.seq
            )),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use bothy_domain::audit::{LegacyCheck, SealBreak};
    use bothy_store::LegacyFinding;

    fn report() -> VerifyReport {
        VerifyReport {
            sealed: 3,
            head: SealHead {
                pos: 3,
                hash: "ab".repeat(32),
                sealed_at_ms: Some(1_000),
            },
            unsealed: 0,
            oldest_unsealed_at_ms: None,
            legacy: None,
            first_break: None,
            records: RecordsReport::default(),
        }
    }

    #[test]
    fn describes_an_intact_trail_its_head_and_what_waits() {
        let now = from_millis(200_000);
        let mut r = report();
        let text = describe(&r, &[], now);
        assert!(
            text.starts_with("Audit trail intact: 3 events sealed"),
            "{text}"
        );
        assert!(
            text.contains(&format!(
                "Head: 3:{} sealed at 1970-01-01T00:00:01Z",
                "ab".repeat(32)
            )),
            "{text}"
        );
        assert!(text.contains("Every event is sealed."), "{text}");
        r.unsealed = 2;
        r.oldest_unsealed_at_ms = Some(190_000);
        let text = describe(&r, &[], now);
        assert!(
            text.contains("Not yet sealed: 2 events, the oldest from 10 s ago."),
            "{text}"
        );
        assert!(!text.contains("WARNING"), "{text}");
        r.oldest_unsealed_at_ms = Some(0);
        assert!(describe(&r, &[], now).contains("WARNING"));
    }

    #[test]
    fn describes_breaks_before_and_after_sealing() {
        let mut r = report();
        r.first_break = Some(SealBreak::Gap {
            expected: 2,
            found: 3,
        });
        let text = describe(&r, &[], from_millis(2_000));
        assert!(
            text.starts_with("AUDIT TRAIL BROKEN: position 2 is missing"),
            "{text}"
        );
        let mut r = report();
        r.legacy = Some(LegacyFinding {
            seq: 7,
            at_ms: 0,
            check: LegacyCheck {
                chains: 16,
                events: 6,
                first_break: Some("chain 3: gone".into()),
            },
        });
        assert!(!r.is_intact());
        let text = describe(&r, &[], from_millis(2_000));
        assert!(text.contains("AUDIT TRAIL BROKEN BEFORE SEALING"), "{text}");
        assert!(text.contains("chain 3: gone"), "{text}");
    }

    #[test]
    fn describes_clinical_records_by_kind_and_id_only() {
        use bothy_domain::audit::digest::RecordBreak;
        let mut r = report();
        r.records.verified.insert("check_in", 4);
        r.records.not_audited.insert("alert", 2);
        let text = describe(&r, &[], from_millis(2_000));
        assert!(
            text.contains("Clinical records intact: 4 match the digest in their newest audit event (check_in 4)."),
            "{text}"
        );
        assert!(text.contains("Not audited: 2 clinical records"), "{text}");
        assert!(r.is_intact());
        r.records.breaks = 2;
        r.records.first_breaks = vec![
            RecordBreak::Changed {
                kind: "measure_response",
                id: "m1".into(),
            },
            RecordBreak::Gone {
                kind: "check_in",
                id: "c1".into(),
            },
        ];
        assert!(!r.is_intact());
        let text = describe(&r, &[], from_millis(2_000));
        assert!(
            text.contains("CLINICAL RECORDS CHANGED OUTSIDE BOTHY: 2"),
            "{text}"
        );
        assert!(
            text.contains("measure_response m1 was changed outside Bothy"),
            "{text}"
        );
        assert!(text.contains("check_in c1 is gone"), "{text}");
    }

    #[test]
    fn ages_read_in_one_unit() {
        assert_eq!(age(Duration::from_secs(59)), "59 s");
        assert_eq!(age(Duration::from_secs(600)), "10 min");
        assert_eq!(age(Duration::from_secs(3 * 3600)), "3 h");
        assert_eq!(age(Duration::from_secs(3 * 86_400)), "3 days");
    }
}
