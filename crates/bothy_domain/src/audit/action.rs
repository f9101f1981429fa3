//! What an audit event records: the action, and the purpose it serves.
//! Each action has one purpose, so callers name only the action and the
//! stored strings are written in one place.

/// Why data was touched, as the audit trail records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Purpose {
    /// Caring for the person: reading or changing their record.
    DirectCare,
    /// Running the service: accounts, services, API clients, figures.
    Administration,
    /// Sign-in, sessions and credentials.
    Security,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::DirectCare => "direct_care",
            Purpose::Administration => "administration",
            Purpose::Security => "security",
        }
    }
}

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// A password was accepted (staff then give their second factor).
    SignInPasswordOk,
    /// A sign-in was refused.
    SignInRefused,
    /// A sign-in finished.
    SignInComplete,
    /// A second-factor code was refused.
    SignInCodeRefused,
    /// A session ended by signing out.
    SignOut,
    /// A password was changed.
    PasswordChanged,
    /// A staff member set their password and second factor.
    StaffEnrolled,
    /// A staff account was created.
    StaffCreated,
    /// A staff account was disabled and its sessions ended.
    StaffDisabled,
    /// A service was created.
    ServiceCreated,
    /// A service's postcode areas were set.
    ServiceAreasSet,
    /// An API client was registered.
    ApiClientCreated,
    /// A public key was registered for an API client (SMART Backend Services).
    ApiClientKeyAdded,
    /// An API client was issued a short-lived access token for a signed assertion.
    SmartTokenIssued,
    /// An API client was revoked.
    ApiClientRevoked,
    /// The demo service was created.
    DemoCreated,
    /// The alert load figures were read.
    AlertLoadRead,
    /// Service report figures were read (aggregate counts only).
    ReportRead,
    /// A service report table or extract was downloaded.
    ReportExported,
    /// A deprivation look-up edition was imported.
    DeprivationImported,
    /// A list of patients was read.
    PatientList,
    /// A patient's record was read.
    PatientRead,
    /// A patient activated their account.
    PatientActivated,
    /// An activation was refused (the email cannot be used); it counts on the link.
    PatientActivationRefused,
    /// A new activation link was sent.
    PatientActivationLinkSent,
    /// A measure was completed.
    MeasureSubmitted,
    /// Unfinished answers were kept.
    MeasureDraftSaved,
    /// A measure response was read.
    MeasureRead,
    /// Measure responses were searched.
    MeasureSearch,
    /// A bulk export of a service's records was asked for.
    BulkExportRequested,
    /// A file of a bulk export was downloaded.
    BulkExportRead,
    /// A check-in was recorded.
    CheckInRecorded,
    /// Check-ins were read.
    CheckInRead,
    /// An entry of an interactive tool (a thought record, a sleep-diary night) was recorded.
    ToolEntryRecorded,
    /// Tool entries were read.
    ToolEntryRead,
    /// A safety plan version was saved.
    SafetyPlanSaved,
    /// A safety plan was read.
    SafetyPlanRead,
    /// A self-referral was started.
    ReferralStarted,
    /// A self-referral step was saved.
    ReferralStepSaved,
    /// A referral was received.
    ReferralReceived,
    /// Risk in an unsent referral was flagged.
    ReferralRiskFlagged,
    /// A self-referral draft never sent was deleted when its link expired.
    ReferralDraftDeleted,
    /// The triage queue was read.
    ReferralList,
    /// A referral was read.
    ReferralRead,
    /// A clinician decided whether a referral matches a patient.
    ReferralMatchVerdict,
    /// A referral was decided.
    ReferralDecided,
    /// The waiting list was read.
    WaitingListRead,
    /// An episode of care was opened (a referral accepted).
    EpisodeOpened,
    /// A treatment contact was recorded.
    EpisodeTreatmentContact,
    /// An episode of care ended.
    EpisodeDischarged,
    /// An alert was raised.
    AlertRaised,
    /// A signal joined an open alert.
    AlertRepeated,
    /// The duty queue was read.
    AlertQueueRead,
    /// An alert was read.
    AlertRead,
    /// An alert was acknowledged.
    AlertAcknowledged,
    /// An alert was closed with an outcome.
    AlertClosed,
    /// An overdue alert was escalated.
    AlertEscalated,
    /// A patient was enrolled on a programme.
    EnrolmentStarted,
    /// A programme module was opened for the person.
    EnrolmentModuleUnlocked,
    /// The person finished a programme module.
    EnrolmentModuleCompleted,
    /// An enrolment was paused.
    EnrolmentPaused,
    /// A paused enrolment was resumed.
    EnrolmentResumed,
    /// A person's enrolments, or a page of one, were read.
    EnrolmentRead,
    /// A patient started a message thread with their care team.
    MessageThreadStarted,
    /// A message was sent in a thread.
    MessageSent,
    /// A person's message threads, or one thread, were read.
    MessageRead,
    /// A member of staff marked a message as needing a clinician.
    MessageNeedsClinician,
    /// A member of staff cleared that mark.
    MessageNeedsClinicianCleared,
    /// A supporter's review of an enrolment was written.
    ReviewWritten,
    /// The review queue, a review page or a person's feedback was read.
    ReviewRead,
    /// A person changed how they may be contacted.
    ContactChoiceChanged,
    /// The time of a person's daily check-in prompt was set or removed.
    CheckInPromptChanged,
    /// Staff started a text-message conversation (a check-in or a measure).
    SmsConversationStarted,
    /// A text from a patient's number was handled (its words are never logged).
    SmsReceived,
    /// The list of failed jobs (dead letters) was read.
    FailedJobsRead,
    /// An administrator put a failed job back in the queue.
    FailedJobRetried,
    /// An administrator cancelled a failed job.
    FailedJobCancelled,
    /// An appointment was booked.
    AppointmentBooked,
    /// An appointment's attendance or cancellation was recorded.
    AppointmentRecorded,
    /// An appointment was moved to another time.
    AppointmentMoved,
    /// A person's appointments, or a practitioner's or service's list, were read.
    AppointmentRead,
    /// A peer support group was created.
    PeerGroupCreated,
    /// A person joined a peer support group under a group name.
    PeerJoined,
    /// A post or reply was made in a peer support group (held or shown).
    PeerPosted,
    /// A member left a supportive reaction on a post.
    PeerReacted,
    /// A member reported a post to the moderators.
    PeerReported,
    /// A group's posts, or the moderation queue, were read.
    PeerRead,
    /// A moderator approved, edited, hid or removed a post, with a reason.
    PeerModerated,
    /// A moderator wrote privately to a member.
    PeerMemberContacted,
    /// A moderator raised an alert to a member's care team.
    PeerAlertRaised,
    /// A moderator suspended a member's posting for a time.
    PeerSuspended,
    /// A post unmoderated past its deadline was escalated to the service's
    /// moderators and clinical leads.
    PeerEscalated,
}

impl Action {
    /// Every action, for tests and documentation.
    pub const ALL: [Action; 92] = [
        Action::SignInPasswordOk,
        Action::SignInRefused,
        Action::SignInComplete,
        Action::SignInCodeRefused,
        Action::SignOut,
        Action::PasswordChanged,
        Action::StaffEnrolled,
        Action::StaffCreated,
        Action::StaffDisabled,
        Action::ServiceCreated,
        Action::ServiceAreasSet,
        Action::ApiClientCreated,
        Action::ApiClientKeyAdded,
        Action::SmartTokenIssued,
        Action::ApiClientRevoked,
        Action::DemoCreated,
        Action::AlertLoadRead,
        Action::ReportRead,
        Action::ReportExported,
        Action::DeprivationImported,
        Action::PatientList,
        Action::PatientRead,
        Action::PatientActivated,
        Action::PatientActivationRefused,
        Action::PatientActivationLinkSent,
        Action::MeasureSubmitted,
        Action::MeasureDraftSaved,
        Action::MeasureRead,
        Action::MeasureSearch,
        Action::BulkExportRequested,
        Action::BulkExportRead,
        Action::CheckInRecorded,
        Action::CheckInRead,
        Action::ToolEntryRecorded,
        Action::ToolEntryRead,
        Action::SafetyPlanSaved,
        Action::SafetyPlanRead,
        Action::ReferralStarted,
        Action::ReferralStepSaved,
        Action::ReferralReceived,
        Action::ReferralRiskFlagged,
        Action::ReferralDraftDeleted,
        Action::ReferralList,
        Action::ReferralRead,
        Action::ReferralMatchVerdict,
        Action::ReferralDecided,
        Action::WaitingListRead,
        Action::EpisodeOpened,
        Action::EpisodeTreatmentContact,
        Action::EpisodeDischarged,
        Action::AlertRaised,
        Action::AlertRepeated,
        Action::AlertQueueRead,
        Action::AlertRead,
        Action::AlertAcknowledged,
        Action::AlertClosed,
        Action::AlertEscalated,
        Action::EnrolmentStarted,
        Action::EnrolmentModuleUnlocked,
        Action::EnrolmentModuleCompleted,
        Action::EnrolmentPaused,
        Action::EnrolmentResumed,
        Action::EnrolmentRead,
        Action::MessageThreadStarted,
        Action::MessageSent,
        Action::MessageRead,
        Action::MessageNeedsClinician,
        Action::MessageNeedsClinicianCleared,
        Action::ReviewWritten,
        Action::ReviewRead,
        Action::ContactChoiceChanged,
        Action::CheckInPromptChanged,
        Action::SmsConversationStarted,
        Action::SmsReceived,
        Action::FailedJobsRead,
        Action::FailedJobRetried,
        Action::FailedJobCancelled,
        Action::AppointmentBooked,
        Action::AppointmentRecorded,
        Action::AppointmentMoved,
        Action::AppointmentRead,
        Action::PeerGroupCreated,
        Action::PeerJoined,
        Action::PeerPosted,
        Action::PeerReacted,
        Action::PeerReported,
        Action::PeerRead,
        Action::PeerModerated,
        Action::PeerMemberContacted,
        Action::PeerAlertRaised,
        Action::PeerSuspended,
        Action::PeerEscalated,
    ];

    /// The stored name, e.g. `patient.read`.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::SignInPasswordOk => "sign_in.password_ok",
            Action::SignInRefused => "sign_in.refused",
            Action::SignInComplete => "sign_in.complete",
            Action::SignInCodeRefused => "sign_in.code_refused",
            Action::SignOut => "sign_out",
            Action::PasswordChanged => "password.changed",
            Action::StaffEnrolled => "staff.enrolled",
            Action::StaffCreated => "staff.created",
            Action::StaffDisabled => "staff.disabled",
            Action::ServiceCreated => "service.created",
            Action::ServiceAreasSet => "service.areas_set",
            Action::ApiClientCreated => "api_client.created",
            Action::ApiClientKeyAdded => "api_client.key_added",
            Action::SmartTokenIssued => "api_client.token_issued",
            Action::BulkExportRequested => "fhir.export_requested",
            Action::BulkExportRead => "fhir.export_read",
            Action::ApiClientRevoked => "api_client.revoked",
            Action::DemoCreated => "demo.created",
            Action::AlertLoadRead => "alert_load.read",
            Action::ReportRead => "report.read",
            Action::ReportExported => "report.exported",
            Action::DeprivationImported => "deprivation.imported",
            Action::PatientList => "patient.list",
            Action::PatientRead => "patient.read",
            Action::PatientActivated => "patient.activated",
            Action::PatientActivationRefused => "patient.activation_refused",
            Action::PatientActivationLinkSent => "patient.activation_link_sent",
            Action::MeasureSubmitted => "measure.submitted",
            Action::MeasureDraftSaved => "measure.draft_saved",
            Action::MeasureRead => "measure.read",
            Action::MeasureSearch => "measure.search",
            Action::CheckInRecorded => "check_in.recorded",
            Action::CheckInRead => "check_in.read",
            Action::ToolEntryRecorded => "tool_entry.recorded",
            Action::ToolEntryRead => "tool_entry.read",
            Action::SafetyPlanSaved => "safety_plan.saved",
            Action::SafetyPlanRead => "safety_plan.read",
            Action::ReferralStarted => "referral.started",
            Action::ReferralStepSaved => "referral.step_saved",
            Action::ReferralReceived => "referral.received",
            Action::ReferralRiskFlagged => "referral.risk_flagged",
            Action::ReferralDraftDeleted => "referral.draft_deleted",
            Action::ReferralList => "referral.list",
            Action::ReferralRead => "referral.read",
            Action::ReferralMatchVerdict => "referral.match_verdict",
            Action::ReferralDecided => "referral.decided",
            Action::WaitingListRead => "waiting_list.read",
            Action::EpisodeOpened => "episode.opened",
            Action::EpisodeTreatmentContact => "episode.treatment_contact",
            Action::EpisodeDischarged => "episode.discharged",
            Action::AlertRaised => "alert.raised",
            Action::AlertRepeated => "alert.repeated",
            Action::AlertQueueRead => "alert_queue.read",
            Action::AlertRead => "alert.read",
            Action::AlertAcknowledged => "alert.acknowledged",
            Action::AlertClosed => "alert.closed",
            Action::AlertEscalated => "alert.escalated",
            Action::EnrolmentStarted => "enrolment.started",
            Action::EnrolmentModuleUnlocked => "enrolment.module_unlocked",
            Action::EnrolmentModuleCompleted => "enrolment.module_completed",
            Action::EnrolmentPaused => "enrolment.paused",
            Action::EnrolmentResumed => "enrolment.resumed",
            Action::EnrolmentRead => "enrolment.read",
            Action::MessageThreadStarted => "message.thread_started",
            Action::MessageSent => "message.sent",
            Action::MessageRead => "message.read",
            Action::MessageNeedsClinician => "message.needs_clinician",
            Action::MessageNeedsClinicianCleared => "message.needs_clinician_cleared",
            Action::ReviewWritten => "review.written",
            Action::ReviewRead => "review.read",
            Action::ContactChoiceChanged => "contact.choice_changed",
            Action::CheckInPromptChanged => "check_in.prompt_changed",
            Action::SmsConversationStarted => "sms.conversation_started",
            Action::SmsReceived => "sms.received",
            Action::FailedJobsRead => "jobs.failed_read",
            Action::FailedJobRetried => "jobs.failed_retried",
            Action::FailedJobCancelled => "jobs.failed_cancelled",
            Action::AppointmentBooked => "appointment.booked",
            Action::AppointmentRecorded => "appointment.recorded",
            Action::AppointmentMoved => "appointment.moved",
            Action::AppointmentRead => "appointment.read",
            Action::PeerGroupCreated => "peer.group_created",
            Action::PeerJoined => "peer.joined",
            Action::PeerPosted => "peer.posted",
            Action::PeerReacted => "peer.reacted",
            Action::PeerReported => "peer.reported",
            Action::PeerRead => "peer.read",
            Action::PeerModerated => "peer.moderated",
            Action::PeerMemberContacted => "peer.member_contacted",
            Action::PeerAlertRaised => "peer.alert_raised",
            Action::PeerSuspended => "peer.suspended",
            Action::PeerEscalated => "peer.escalated",
        }
    }

    pub fn purpose(self) -> Purpose {
        match self {
            Action::PatientList
            | Action::PatientRead
            | Action::PatientActivated
            | Action::PatientActivationLinkSent
            | Action::MeasureSubmitted
            | Action::MeasureDraftSaved
            | Action::MeasureRead
            | Action::MeasureSearch
            | Action::BulkExportRequested
            | Action::BulkExportRead
            | Action::CheckInRecorded
            | Action::CheckInRead
            | Action::ToolEntryRecorded
            | Action::ToolEntryRead
            | Action::SafetyPlanSaved
            | Action::SafetyPlanRead
            | Action::ReferralStarted
            | Action::ReferralStepSaved
            | Action::ReferralReceived
            | Action::ReferralRiskFlagged
            | Action::ReferralList
            | Action::ReferralRead
            | Action::ReferralMatchVerdict
            | Action::ReferralDecided
            | Action::WaitingListRead
            | Action::EpisodeOpened
            | Action::EpisodeTreatmentContact
            | Action::EpisodeDischarged
            | Action::AlertRaised
            | Action::AlertRepeated
            | Action::AlertQueueRead
            | Action::AlertRead
            | Action::AlertAcknowledged
            | Action::AlertClosed
            | Action::AlertEscalated
            | Action::EnrolmentStarted
            | Action::EnrolmentModuleUnlocked
            | Action::EnrolmentModuleCompleted
            | Action::EnrolmentPaused
            | Action::EnrolmentResumed
            | Action::EnrolmentRead
            | Action::MessageThreadStarted
            | Action::MessageSent
            | Action::MessageRead
            | Action::MessageNeedsClinician
            | Action::MessageNeedsClinicianCleared
            | Action::ReviewWritten
            | Action::ReviewRead
            | Action::ContactChoiceChanged
            | Action::CheckInPromptChanged
            | Action::SmsConversationStarted
            | Action::SmsReceived
            | Action::AppointmentBooked
            | Action::AppointmentRecorded
            | Action::AppointmentMoved
            | Action::AppointmentRead
            | Action::PeerJoined
            | Action::PeerPosted
            | Action::PeerReacted
            | Action::PeerReported
            | Action::PeerRead
            | Action::PeerModerated
            | Action::PeerMemberContacted
            | Action::PeerAlertRaised
            | Action::PeerSuspended
            | Action::PeerEscalated => Purpose::DirectCare,
            Action::StaffCreated
            | Action::StaffDisabled
            | Action::ServiceCreated
            | Action::ServiceAreasSet
            | Action::ApiClientCreated
            | Action::ApiClientKeyAdded
            | Action::ApiClientRevoked
            | Action::DemoCreated
            | Action::ReferralDraftDeleted
            | Action::AlertLoadRead
            | Action::ReportRead
            | Action::ReportExported
            | Action::DeprivationImported
            | Action::FailedJobsRead
            | Action::FailedJobRetried
            | Action::FailedJobCancelled
            | Action::PeerGroupCreated => Purpose::Administration,
            Action::SignInPasswordOk
            | Action::PatientActivationRefused
            | Action::SignInRefused
            | Action::SignInComplete
            | Action::SignInCodeRefused
            | Action::SignOut
            | Action::PasswordChanged
            | Action::StaffEnrolled
            | Action::SmartTokenIssued => Purpose::Security,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Action;

    #[test]
    fn stored_names_are_distinct() {
        let mut names: Vec<&str> = Action::ALL.iter().map(|a| a.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Action::ALL.len());
    }
}
