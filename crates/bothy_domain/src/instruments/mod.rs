//! Validated measures: instruments as data (`model`), loaded and checked
//! (`load`), and scored exactly as each instrument defines (`score`).

pub mod load;
pub mod model;
pub mod score;

#[cfg(test)]
pub(crate) mod tests;

pub use load::{Catalogue, ContentError, TOLERANCE};
pub use model::Instrument;
pub use score::{
    Change, ScoreError, Scored, band_of, meets_caseness, reliable_change, risk_flags, score,
};
