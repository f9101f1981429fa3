//! Roles staff hold in a service, and the named permissions API clients are granted.

use std::fmt;
use std::str::FromStr;

/// A staff role, held per service: one person may be a supporter in one
/// service and a clinical lead in another.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Runs the service: staff, settings, aggregate reports. Reads no clinical records.
    Admin,
    /// Decides on referrals. Sees every patient of the service.
    TriageClinician,
    /// Supporter or therapist. Sees only their own caseload.
    Supporter,
    /// Clinical lead: oversight and escalations. Sees every patient of the service.
    ClinicalLead,
    /// Moderates peer support. Sees no clinical records.
    Moderator,
    /// Aggregate figures only; never an individual's record.
    Analyst,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Admin,
        Role::TriageClinician,
        Role::Supporter,
        Role::ClinicalLead,
        Role::Moderator,
        Role::Analyst,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::TriageClinician => "triage_clinician",
            Role::Supporter => "supporter",
            Role::ClinicalLead => "clinical_lead",
            Role::Moderator => "moderator",
            Role::Analyst => "analyst",
        }
    }

    /// The name shown to people.
    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "Administrator",
            Role::TriageClinician => "Triage clinician",
            Role::Supporter => "Supporter or therapist",
            Role::ClinicalLead => "Clinical lead",
            Role::Moderator => "Moderator",
            Role::Analyst => "Analyst",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} {value:?}; expected one of: {expected}")]
pub struct UnknownName {
    pub kind: &'static str,
    pub value: String,
    pub expected: String,
}

impl FromStr for Role {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, UnknownName> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| UnknownName {
                kind: "role",
                value: s.to_string(),
                expected: Role::ALL.map(Role::as_str).join(", "),
            })
    }
}

/// What an API client (another system) may do, granted by name per client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ApiPermission {
    /// Read patient records of the client's service.
    PatientRead,
    /// Read aggregate figures for the client's service.
    ReportsRead,
    /// Submit completed measures (FHIR QuestionnaireResponse) for the service's patients.
    MeasuresWrite,
    /// Send referrals (FHIR ServiceRequest) to the service, and read back
    /// the ones this client sent.
    ReferralCreate,
    /// Read every referral sent to the service, whoever sent it.
    ReferralRead,
}

impl ApiPermission {
    pub const ALL: [ApiPermission; 5] = [
        ApiPermission::PatientRead,
        ApiPermission::ReportsRead,
        ApiPermission::MeasuresWrite,
        ApiPermission::ReferralCreate,
        ApiPermission::ReferralRead,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ApiPermission::PatientRead => "patient.read",
            ApiPermission::ReportsRead => "reports.read",
            ApiPermission::MeasuresWrite => "measures.write",
            ApiPermission::ReferralCreate => "referral.create",
            ApiPermission::ReferralRead => "referral.read",
        }
    }
}

impl FromStr for ApiPermission {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, UnknownName> {
        ApiPermission::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| UnknownName {
                kind: "API permission",
                value: s.to_string(),
                expected: ApiPermission::ALL.map(ApiPermission::as_str).join(", "),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>(), Ok(r));
        }
        for p in ApiPermission::ALL {
            assert_eq!(p.as_str().parse::<ApiPermission>(), Ok(p));
        }
        let err = "boss".parse::<Role>().unwrap_err();
        assert!(err.to_string().contains("triage_clinician"));
    }
}
