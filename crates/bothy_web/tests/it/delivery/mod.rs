//! Delivery (issue 15): messages go only by a channel the person agreed to,
//! email through a real SMTP server, text messages and replies through a
//! real Kannel, text messages and email through GOV.UK Notify (a stand-in in
//! this process), and failed jobs in the dead-letter list.

mod consent;
mod dead_letters;
mod kannel;
mod notify;
mod notify_callbacks;
mod notify_standin;
mod pacing;
mod reminders;
pub(crate) mod smtp;
