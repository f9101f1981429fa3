//! Tests of every detector's boundaries, the configuration and the lexicon.

use super::*;
use crate::instruments::{Catalogue, Instrument};
use std::sync::OnceLock;

mod config_tests;
mod evaluate_tests;
mod lexicon_format_tests;
mod measures_tests;
mod mood_tests;
mod risk_eval_tests;
mod text_tests;

fn catalogue() -> &'static Catalogue {
    static C: OnceLock<Catalogue> = OnceLock::new();
    C.get_or_init(|| {
        Catalogue::from_sources(&[
            (
                "phq9.toml",
                include_str!("../../../../content/instruments/phq9.toml"),
            ),
            (
                "gad7.toml",
                include_str!("../../../../content/instruments/gad7.toml"),
            ),
            (
                "core10.toml",
                include_str!("../../../../content/instruments/core10.toml"),
            ),
            (
                "epds.toml",
                include_str!("../../../../content/instruments/epds.toml"),
            ),
        ])
        .expect("shipped instruments load")
    })
}

fn inst(id: &str) -> &'static Instrument {
    catalogue().get(id).expect("instrument")
}

fn lexicon() -> &'static Lexicon {
    static L: OnceLock<Lexicon> = OnceLock::new();
    L.get_or_init(|| Lexicon::parse(DEFAULT_LEXICON).expect("shipped lexicon loads"))
}

/// A fixed day (2025-01-01T00:00Z) plus `days` and `secs`.
fn at(days: i64, secs: i64) -> Timestamp {
    Timestamp::from_second(1_735_689_600 + days * 86_400 + secs).expect("in range")
}

/// A tiny deterministic PRNG (xorshift64*), so the noise tests are exact.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in [0, 1).
    fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Approximately standard normal (sum of 12 uniforms minus 6).
    fn normal(&mut self) -> f64 {
        (0..12).map(|_| self.uniform()).sum::<f64>() - 6.0
    }
}
