//! NHS Talking Therapies outcome classification of an episode of care.
