//! Referrals: self-referral and professional referral, triage decisions,
//! and the referral-to-treatment clock. Pure: the store keeps them, the app
//! moves them through their states.

pub mod as_sent;
mod episode;
pub mod rtt;

pub use episode::{Episode, problem_descriptor};

use crate::ids::{PatientId, ReferralId, ServiceId, StaffId};
use crate::time::Timestamp;
use std::fmt;

/// Where a referral is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// A self-referral being filled in; kept so it is never lost.
    Draft,
    /// Sent and waiting for triage.
    Received,
    /// Triage asked for more information; still in the queue.
    InfoRequested,
    Accepted,
    Signposted,
    Declined,
}

impl Status {
    pub const ALL: [Status; 6] = [
        Status::Draft,
        Status::Received,
        Status::InfoRequested,
        Status::Accepted,
        Status::Signposted,
        Status::Declined,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::Received => "received",
            Status::InfoRequested => "info_requested",
            Status::Accepted => "accepted",
            Status::Signposted => "signposted",
            Status::Declined => "declined",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Status::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Still waiting for a triage decision.
    pub fn in_triage(self) -> bool {
        matches!(self, Status::Received | Status::InfoRequested)
    }

    pub fn label(self) -> &'static str {
        match self {
            Status::Draft => "Not sent yet",
            Status::Received => "Waiting for triage",
            Status::InfoRequested => "More information asked for",
            Status::Accepted => "Accepted",
            Status::Signposted => "Signposted elsewhere",
            Status::Declined => "Declined",
        }
    }
}

/// How the referral arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    SelfReferral,
    /// Entered by staff for a GP or other professional.
    Professional,
    /// A FHIR ServiceRequest from another system.
    Fhir,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::SelfReferral => "self",
            Source::Professional => "professional",
            Source::Fhir => "fhir",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Source::SelfReferral, Source::Professional, Source::Fhir]
            .into_iter()
            .find(|x| x.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Source::SelfReferral => "Self-referral",
            Source::Professional => "Professional referral",
            Source::Fhir => "Referral from another system",
        }
    }
}

/// A way to reach a person: how they want to be contacted, and how a
/// message to them travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Email,
    Sms,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Sms => "sms",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "email" => Some(Channel::Email),
            "sms" => Some(Channel::Sms),
            _ => None,
        }
    }
    /// Plain English, for staff reaching the person.
    pub fn label(self) -> &'static str {
        match self {
            Channel::Email => "Email",
            Channel::Sms => "Text message (SMS)",
        }
    }
}

/// What the person would like help with (a short picklist beside their own words).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Problem {
    LowMood,
    Worry,
    Panic,
    SocialAnxiety,
    Trauma,
    Obsessions,
    HealthWorries,
    Sleep,
    Stress,
    Other,
}

impl Problem {
    pub const ALL: [Problem; 10] = [
        Problem::LowMood,
        Problem::Worry,
        Problem::Panic,
        Problem::SocialAnxiety,
        Problem::Trauma,
        Problem::Obsessions,
        Problem::HealthWorries,
        Problem::Sleep,
        Problem::Stress,
        Problem::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Problem::LowMood => "low_mood",
            Problem::Worry => "worry",
            Problem::Panic => "panic",
            Problem::SocialAnxiety => "social_anxiety",
            Problem::Trauma => "trauma",
            Problem::Obsessions => "obsessions",
            Problem::HealthWorries => "health_worries",
            Problem::Sleep => "sleep",
            Problem::Stress => "stress",
            Problem::Other => "other",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Problem::LowMood => "Feeling low or depressed",
            Problem::Worry => "Worrying a lot",
            Problem::Panic => "Panic attacks",
            Problem::SocialAnxiety => "Feeling anxious around other people",
            Problem::Trauma => "Something frightening that happened to me",
            Problem::Obsessions => "Unwanted thoughts or habits I cannot stop",
            Problem::HealthWorries => "Worrying about my health",
            Problem::Sleep => "Sleeping badly",
            Problem::Stress => "Stress",
            Problem::Other => "Something else",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Problem::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

/// What the person agreed to, one purpose at a time. Treatment consent is
/// needed to send a referral; the others are free choices.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Consents {
    pub treatment: bool,
    pub contact_sms: bool,
    pub contact_email: bool,
    pub share_with_gp: bool,
    pub evaluation: bool,
}

/// The step of care a referral is accepted to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// A digital CBT programme with a supporter's reviews.
    Programme,
    GuidedSelfHelp,
    Therapist,
    /// Another team of the same service or organisation.
    OtherTeam,
}

impl Step {
    pub const ALL: [Step; 4] = [
        Step::Programme,
        Step::GuidedSelfHelp,
        Step::Therapist,
        Step::OtherTeam,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Step::Programme => "programme",
            Step::GuidedSelfHelp => "guided_self_help",
            Step::Therapist => "therapist",
            Step::OtherTeam => "other_team",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Step::Programme => "Digital CBT programme",
            Step::GuidedSelfHelp => "Guided self-help",
            Step::Therapist => "Therapist",
            Step::OtherTeam => "Another team",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Step::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// A triage decision. Nothing automated ever makes one: a clinician does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// To a step of care with a practitioner; for a digital programme,
    /// the programme (by id) the person is enrolled on, guided by the
    /// practitioner.
    Accept {
        step: Step,
        practitioner: StaffId,
        programme: Option<String>,
    },
    Signpost {
        place: String,
    },
    Decline {
        reason: String,
    },
    RequestInfo {
        question: String,
    },
}

impl Decision {
    pub fn status(&self) -> Status {
        match self {
            Decision::Accept { .. } => Status::Accepted,
            Decision::Signpost { .. } => Status::Signposted,
            Decision::Decline { .. } => Status::Declined,
            Decision::RequestInfo { .. } => Status::InfoRequested,
        }
    }
}

/// A referral as kept. Personal details are validated values where given;
/// a draft may have gaps, a sent referral may not (checked by `ready_to_send`).
#[derive(Debug, Clone)]
pub struct Referral {
    pub id: ReferralId,
    pub service_id: ServiceId,
    pub status: Status,
    pub source: Source,
    pub details: Details,
    /// When the referral was received: the referral-to-treatment clock starts here.
    pub received_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Any risk answer or risky text: sorts the referral to the top of triage.
    pub risk: bool,
    /// The sender marked it urgent (a FHIR priority above routine): sorted
    /// next after risk in triage, and shown as the sender's urgency.
    pub urgent: bool,
    pub decision_note: Option<String>,
    pub decided_by: Option<StaffId>,
    pub decided_at: Option<Timestamp>,
    /// The patient this referral belongs to, once accepted (or matched).
    pub patient_id: Option<PatientId>,
}

/// Screening answers by instrument id; each answer is the option's score,
/// `None` where a question was left unanswered.
pub type Screening = std::collections::BTreeMap<String, Vec<Option<i32>>>;

/// Everything a referral says about the person and their request.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Details {
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub date_of_birth: Option<crate::time::Date>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub preferred_channel: Option<Channel>,
    pub language: Option<String>,
    pub accessibility_needs: Option<String>,
    pub nhs_number: Option<String>,
    pub chi: Option<String>,
    pub postcode: Option<String>,
    pub gp_practice: Option<String>,
    pub problem_text: Option<String>,
    pub problems: Vec<Problem>,
    /// Screening answers by instrument id: the instruments the service asks
    /// at referral (`[screening]` in its settings), each answered in full or
    /// in part (a risk answer counts even before the rest are given).
    pub screening: Screening,
    pub consents: Consents,
    pub referrer_name: Option<String>,
    pub referrer_organisation: Option<String>,
    pub referrer_email: Option<String>,
}

impl Details {
    pub fn full_name(&self) -> String {
        format!(
            "{} {}",
            self.given_name.as_deref().unwrap_or(""),
            self.family_name.as_deref().unwrap_or("")
        )
        .trim()
        .to_string()
    }

    /// What is still missing before a self-referral can be sent, as
    /// (form step, message) pairs in the order the form asks.
    /// `asked` are the instruments the service screens with.
    pub fn missing_for_sending(&self, asked: &[String]) -> Vec<(&'static str, &'static str)> {
        let mut out = Vec::new();
        if self.given_name.is_none() || self.family_name.is_none() || self.date_of_birth.is_none() {
            out.push(("about", "Tell us your name and date of birth"));
        }
        if self.email.is_none() && self.phone.is_none() {
            out.push((
                "about",
                "Give an email address or a mobile number so we can contact you",
            ));
        }
        if self.problem_text.is_none() && self.problems.is_empty() {
            out.push(("help", "Tell us what you would like help with"));
        }
        if asked.iter().any(|id| !self.screening.contains_key(id)) {
            out.push((
                "questions",
                "Answer the questions about how you have been feeling",
            ));
        }
        if !self.consents.treatment {
            out.push((
                "consent",
                "Agree to us using your details to offer you treatment",
            ));
        }
        out
    }
}

impl Referral {
    /// A referral as it is first stored, at `now`: received then unless it
    /// is a draft, nothing decided, and neither risk nor urgency until the
    /// caller has assessed it.
    pub fn new(
        id: ReferralId,
        service_id: ServiceId,
        (status, source): (Status, Source),
        details: Details,
        now: Timestamp,
    ) -> Self {
        Referral {
            id,
            service_id,
            status,
            source,
            details,
            received_at: (status != Status::Draft).then_some(now),
            created_at: now,
            updated_at: now,
            risk: false,
            urgent: false,
            decision_note: None,
            decided_by: None,
            decided_at: None,
            patient_id: None,
        }
    }

    /// Waiting for a clinician's decision: sent and not yet decided, or an
    /// unsent self-referral with a risk answer (which a clinician must close,
    /// by contacting the person and deciding, even though it was never sent).
    pub fn awaiting_decision(&self) -> bool {
        self.status.in_triage() || (self.status == Status::Draft && self.risk)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
