//! Tests of loading, validation and scoring, against the shipped instrument
//! files and against small files written here.

mod exhaustive_phq9;
mod properties;
mod scoring;
mod validation;

use super::{Catalogue, Instrument};
use std::sync::OnceLock;

/// The shipped instrument files, read at compile time (the application
/// embeds the same files; its own test checks its list is complete).
pub(super) const SHIPPED: &[(&str, &str)] = &[
    (
        "phq9.toml",
        include_str!("../../../../../content/instruments/phq9.toml"),
    ),
    (
        "gad7.toml",
        include_str!("../../../../../content/instruments/gad7.toml"),
    ),
    (
        "phq2.toml",
        include_str!("../../../../../content/instruments/phq2.toml"),
    ),
    (
        "gad2.toml",
        include_str!("../../../../../content/instruments/gad2.toml"),
    ),
    (
        "wsas.toml",
        include_str!("../../../../../content/instruments/wsas.toml"),
    ),
    (
        "phq15.toml",
        include_str!("../../../../../content/instruments/phq15.toml"),
    ),
    (
        "isi.toml",
        include_str!("../../../../../content/instruments/isi.toml"),
    ),
    (
        "pdss.toml",
        include_str!("../../../../../content/instruments/pdss.toml"),
    ),
    (
        "ocir.toml",
        include_str!("../../../../../content/instruments/ocir.toml"),
    ),
    (
        "spin.toml",
        include_str!("../../../../../content/instruments/spin.toml"),
    ),
    (
        "minispin.toml",
        include_str!("../../../../../content/instruments/minispin.toml"),
    ),
    (
        "iesr.toml",
        include_str!("../../../../../content/instruments/iesr.toml"),
    ),
    (
        "pcl5.toml",
        include_str!("../../../../../content/instruments/pcl5.toml"),
    ),
    (
        "epds.toml",
        include_str!("../../../../../content/instruments/epds.toml"),
    ),
    (
        "core10.toml",
        include_str!("../../../../../content/instruments/core10.toml"),
    ),
    (
        "swemwbs.toml",
        include_str!("../../../../../content/instruments/swemwbs.toml"),
    ),
    (
        "mi.toml",
        include_str!("../../../../../content/instruments/mi.toml"),
    ),
    (
        "shai.toml",
        include_str!("../../../../../content/instruments/shai.toml"),
    ),
    (
        "mood.toml",
        include_str!("../../../../../content/instruments/mood.toml"),
    ),
];

pub(crate) fn shipped() -> &'static Catalogue {
    static CATALOGUE: OnceLock<Catalogue> = OnceLock::new();
    CATALOGUE.get_or_init(|| {
        Catalogue::from_sources(SHIPPED).unwrap_or_else(|errors| {
            let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
            panic!(
                "shipped instrument files are invalid:\n{}",
                lines.join("\n")
            )
        })
    })
}

pub(crate) fn inst(id: &str) -> &'static Instrument {
    shipped()
        .get(id)
        .unwrap_or_else(|| panic!("no shipped instrument {id}"))
}

#[test]
fn every_shipped_file_loads_and_is_valid() {
    let catalogue = shipped();
    assert_eq!(catalogue.len(), SHIPPED.len());
    for (file, _) in SHIPPED {
        let id = file.trim_end_matches(".toml");
        let inst = catalogue.get(id).expect("loaded");
        assert!(inst.preamble.is_some(), "{id} has a preamble");
        assert_eq!(catalogue.file_of(id), Some(*file));
    }
}
