//! The front door through the real router: self-referral step by step,
//! abuse protection, professional referral, triage decisions, matching,
//! activation, the waiting list and discharge.

mod abuse;
mod activation;
mod matching;
mod professional;
mod risk_alerts;
mod screening;
mod self_referral;
pub(crate) mod support;
mod triage;
mod waiting;
