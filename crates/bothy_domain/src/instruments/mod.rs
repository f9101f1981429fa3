//! Validated measures: instruments as data (`model`), loaded and checked
//! (`load`), and scored exactly as each instrument defines (`score`).

pub mod model;

pub use model::Instrument;
