//! Typed ids: a `PatientId` can never be passed where a `StaffId` is expected.

use std::fmt;
use std::str::FromStr;

/// The error for a string that is not a valid id of the expected kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a valid {kind} id")]
pub struct InvalidId {
    pub kind: &'static str,
}

macro_rules! typed_id {
    ($name:ident, $kind:literal) => {
        #[doc = concat!("The id of a ", $kind, ".")]
        #[derive(
            Debug,
            Clone,
            Copy,
            PartialEq,
            Eq,
            Hash,
            PartialOrd,
            Ord,
            serde::Serialize,
            serde::Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name(uuid::Uuid);

        impl $name {
            /// A new random id. Random (v4) rather than time-ordered so that
            /// ids reveal nothing about when or in what order records were made.
            pub fn random() -> Self {
                Self(uuid::Uuid::new_v4())
            }
            pub fn from_uuid(id: uuid::Uuid) -> Self {
                Self(id)
            }
            pub fn as_uuid(&self) -> uuid::Uuid {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = InvalidId;
            fn from_str(s: &str) -> Result<Self, InvalidId> {
                // Only the canonical hyphenated lower-case form, so that one id has one spelling.
                let id = uuid::Uuid::try_parse(s).map_err(|_| InvalidId { kind: $kind })?;
                if id.hyphenated().to_string() != s {
                    return Err(InvalidId { kind: $kind });
                }
                Ok(Self(id))
            }
        }
    };
}

typed_id!(ServiceId, "service");
typed_id!(StaffId, "staff member");
typed_id!(PatientId, "patient");
typed_id!(ApiClientId, "API client");
typed_id!(ResponseId, "measure response");
typed_id!(ReferralId, "referral");
typed_id!(EpisodeId, "episode");
typed_id!(CheckInId, "check-in");
typed_id!(AlertId, "alert");
typed_id!(EnrolmentId, "programme enrolment");
typed_id!(ToolEntryId, "tool entry");
typed_id!(ThreadId, "message thread");
typed_id!(MessageId, "message");
typed_id!(ReviewId, "review");
typed_id!(AppointmentId, "appointment");
typed_id!(GroupId, "peer support group");
typed_id!(MemberId, "peer support group membership");
typed_id!(PostId, "peer support post");
typed_id!(ReportId, "report of a peer support post");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_other_spellings() {
        let id = PatientId::random();
        assert_eq!(id.to_string().parse::<PatientId>(), Ok(id));
        assert!(id.to_string().to_uppercase().parse::<PatientId>().is_err());
        assert!("1".parse::<PatientId>().is_err());
        assert!("'; drop table patients; --".parse::<PatientId>().is_err());
    }
}
