//! The interactive tools' entries as values validated on construction, and
//! the rules the programmes state for them. Pure: the app stores entries,
//! runs their free text through the risk detectors and shows them.

pub mod sleep;
