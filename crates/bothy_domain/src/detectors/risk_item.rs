//! Risk items: any instrument's declared risk items answered above their
//! threshold.
//!
//! Which items are risk items, and the threshold, come from the instrument
//! files (`risk_items`, checked by [`crate::instruments::risk_flags`]), so a
//! new instrument with a risk item is watched without code. The severity by
//! answer comes from [`RiskItemConfig`] (its defaults give the reasoning for
//! PHQ-9 item 9, CORE-10 item 6 and EPDS item 10); any other flagged item is
//! `Urgent` at its highest answer and `High` below it. One signal per
//! response, at the highest severity among its flagged items, keyed
//! `risk_item` so that a patient has one open risk alert at a time.

use super::config::RiskItemConfig;
use super::{Cause, Severity, Signal};
use crate::instruments::{Instrument, risk_flags};
use std::fmt::Write;

/// The signal for one response's risk items, if any is flagged. Works on an
/// incomplete response, as [`risk_flags`] does.
pub fn detect(inst: &Instrument, answers: &[Option<i32>], config: &RiskItemConfig) -> Vec<Signal> {
    let flags = risk_flags(inst, answers);
    if flags.is_empty() {
        return Vec::new();
    }
    let mut severity = Severity::High;
    let mut summary = String::new();
    for (i, n) in flags.iter().enumerate() {
        let ix = usize::from(*n) - 1;
        let (Some(item), Some(Some(value))) = (inst.items.get(ix), answers.get(ix)) else {
            continue;
        };
        let opts = inst.options_for(item);
        let (lo, hi) = opts.iter().fold((i32::MAX, i32::MIN), |(lo, hi), o| {
            (lo.min(o.score), hi.max(o.score))
        });
        let scored = if item.reverse {
            lo + hi - value
        } else {
            *value
        };
        let urgent = match config
            .rules
            .iter()
            .find(|r| r.instrument == inst.id && r.item == *n)
        {
            Some(rule) => scored >= rule.urgent_from,
            None => scored >= hi,
        };
        if urgent {
            severity = Severity::Urgent;
        }
        let label = opts
            .iter()
            .find(|o| o.score == *value)
            .map(|o| o.label.as_str())
            .unwrap_or("");
        if i > 0 {
            summary.push_str("; ");
        }
        let _ = write!(
            summary,
            "{} item {} answered \"{}\"",
            inst.short_name, n, label
        );
    }
    summary.push_str(". A risk item was endorsed: please review and contact the person.");
    vec![Signal {
        cause: Cause::RiskItem,
        severity,
        dedupe_key: Cause::RiskItem.key().to_owned(),
        summary,
    }]
}
