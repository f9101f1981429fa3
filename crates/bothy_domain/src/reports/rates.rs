//! A rate with its denominator and a 95% confidence interval.
//!
//! The interval is Wilson's score interval (Wilson, E. B. (1927),
//! "Probable inference, the law of succession, and statistical inference",
//! JASA 22:209-212), which the Public Health England / OHID "Technical Guide:
//! Confidence intervals" (Fingertips) recommends for proportions: unlike the
//! normal approximation it stays inside 0..1 and behaves for small counts
//! and for rates near 0% or 100%.

/// `numerator` of `denominator`, e.g. 42 recovered of 80 at caseness.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct Rate {
    pub numerator: u64,
    pub denominator: u64,
}

/// z for a two-sided 95% interval.
pub const Z95: f64 = 1.959_963_984_540_054;

impl Rate {
    pub fn new(numerator: u64, denominator: u64) -> Rate {
        Rate {
            numerator: numerator.min(denominator),
            denominator,
        }
    }

    /// The proportion, or None when nobody is in the denominator.
    pub fn value(self) -> Option<f64> {
        (self.denominator > 0).then(|| self.numerator as f64 / self.denominator as f64)
    }

    /// The Wilson score interval at 95%, or None for an empty denominator.
    pub fn wilson95(self) -> Option<(f64, f64)> {
        self.wilson(Z95)
    }

    /// The Wilson score interval for `z`:
    /// (p + z²/2n ± z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n).
    pub fn wilson(self, z: f64) -> Option<(f64, f64)> {
        let n = self.denominator as f64;
        let p = self.value()?;
        let z2 = z * z;
        let centre = p + z2 / (2.0 * n);
        let spread = z * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
        let scale = 1.0 + z2 / n;
        Some((
            ((centre - spread) / scale).max(0.0),
            ((centre + spread) / scale).min(1.0),
        ))
    }

    /// "52.5%" to one decimal place, or "-" when there is no denominator.
    pub fn percent(self) -> String {
        self.value()
            .map_or_else(|| "-".to_string(), |v| format!("{:.1}%", v * 100.0))
    }

    /// "45.6% to 59.2%", or "-".
    pub fn interval_text(self) -> String {
        self.wilson95().map_or_else(
            || "-".to_string(),
            |(lo, hi)| format!("{:.1}% to {:.1}%", lo * 100.0, hi * 100.0),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 5e-4
    }

    #[test]
    fn wilson_matches_published_examples() {
        // Newcombe (1998), Statistics in Medicine 17:857-872, table I:
        // 81/263 -> 0.2553 to 0.3662; 15/148 -> 0.0624 to 0.1605;
        // 0/20 -> 0 to 0.1611; 1/29 -> 0.0061 to 0.1718.
        let cases = [
            (81, 263, 0.2553, 0.3662),
            (15, 148, 0.0624, 0.1605),
            (0, 20, 0.0, 0.1611),
            (1, 29, 0.0061, 0.1718),
        ];
        for (k, n, lo, hi) in cases {
            let (l, h) = Rate::new(k, n).wilson95().unwrap();
            assert!(close(l, lo) && close(h, hi), "{k}/{n}: {l} {h}");
        }
    }

    #[test]
    fn empty_and_full_rates() {
        assert_eq!(Rate::new(0, 0).wilson95(), None);
        assert_eq!(Rate::new(0, 0).percent(), "-");
        let (lo, hi) = Rate::new(10, 10).wilson95().unwrap();
        assert!(hi <= 1.0 && lo > 0.6);
        assert_eq!(Rate::new(1, 3).percent(), "33.3%");
        // A numerator is never above its denominator.
        assert_eq!(Rate::new(5, 3).numerator, 3);
    }
}
