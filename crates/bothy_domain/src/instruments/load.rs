//! Loading and validating instrument files into a [`Catalogue`].
//!
//! Pure: the caller reads the files and passes `(file name, text)` pairs. Every
//! problem is collected, not just the first, and each [`ContentError`] names
//! the file and the field and says exactly what is wrong, so that
//! `bothy content check` can report a deployment's mistakes in one run.

use super::model::{AnswerOption, Band, Instrument, Method, Operator, Prorating, Source};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// Scores closer than this are equal (decimal totals such as a Mobility
/// Inventory mean of 2.3 are compared with it).
pub const TOLERANCE: f64 = 1e-9;

/// One problem in one instrument file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentError {
    /// The file's name as given, e.g. `phq9.toml`.
    pub file: String,
    /// Where in the file: `items[3].options`, `caseness.value`, `id`, ...
    pub field: String,
    pub message: String,
}

impl fmt::Display for ContentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {}", self.file, self.field, self.message)
    }
}

impl std::error::Error for ContentError {}

/// The validated instruments, by id.
#[derive(Debug, Clone, Default)]
pub struct Catalogue {
    entries: BTreeMap<String, Entry>,
}

#[derive(Debug, Clone)]
struct Entry {
    instrument: Instrument,
    file: String,
    overrides_default: bool,
}

impl Catalogue {
    /// Parses and validates every file; all of them must be valid.
    pub fn from_sources<N: AsRef<str>, T: AsRef<str>>(
        files: &[(N, T)],
    ) -> Result<Catalogue, Vec<ContentError>> {
        let mut errors = Vec::new();
        let mut entries: BTreeMap<String, Entry> = BTreeMap::new();
        for (name, text) in files {
            let name = name.as_ref();
            match parse(name, text.as_ref()) {
                Ok(inst) => {
                    if let Some(previous) = entries.get(&inst.id) {
                        errors.push(err(
                            name,
                            "id",
                            format!(
                                "duplicate instrument id {:?}: {} already defines it",
                                inst.id, previous.file
                            ),
                        ));
                        continue;
                    }
                    entries.insert(
                        inst.id.clone(),
                        Entry {
                            instrument: inst,
                            file: name.to_string(),
                            overrides_default: false,
                        },
                    );
                }
                Err(mut e) => errors.append(&mut e),
            }
        }
        if errors.is_empty() {
            Ok(Catalogue { entries })
        } else {
            Err(errors)
        }
    }

    /// The defaults with a deployment's own files applied: a deployment file
    /// whose id matches a default replaces it whole (licensed wording, local
    /// cut-offs); a new id adds an instrument. The deployment files must be
    /// valid on their own and must not repeat an id among themselves.
    pub fn with_overrides<N: AsRef<str>, T: AsRef<str>>(
        defaults: Catalogue,
        deployment_files: &[(N, T)],
    ) -> Result<Catalogue, Vec<ContentError>> {
        let deployment = Catalogue::from_sources(deployment_files)?;
        let mut entries = defaults.entries;
        for (id, mut entry) in deployment.entries {
            entry.overrides_default = entries.contains_key(&id);
            entries.insert(id, entry);
        }
        Ok(Catalogue { entries })
    }

    pub fn get(&self, id: &str) -> Option<&Instrument> {
        self.entries.get(id).map(|e| &e.instrument)
    }

    /// Every instrument, in id order.
    pub fn iter(&self) -> impl Iterator<Item = &Instrument> {
        self.entries.values().map(|e| &e.instrument)
    }

    /// The name of the file an instrument was loaded from.
    pub fn file_of(&self, id: &str) -> Option<&str> {
        self.entries.get(id).map(|e| e.file.as_str())
    }

    /// Whether a deployment's file replaced the built-in default for `id`.
    pub fn is_overridden(&self, id: &str) -> bool {
        self.entries.get(id).is_some_and(|e| e.overrides_default)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

fn err(file: &str, field: impl Into<String>, message: impl Into<String>) -> ContentError {
    ContentError {
        file: file.to_string(),
        field: field.into(),
        message: message.into(),
    }
}

/// Parses one file and validates it. The file must be named `<id>.toml`.
pub fn parse(file: &str, text: &str) -> Result<Instrument, Vec<ContentError>> {
    let inst: Instrument = toml::from_str(text).map_err(|e| vec![toml_error(file, text, &e)])?;
    let errors = validate(file, &inst);
    if errors.is_empty() {
        Ok(inst)
    } else {
        Err(errors)
    }
}

/// Turns a TOML or serde error into one naming the line and, where it can be
/// found, the key or table at fault.
fn toml_error(file: &str, text: &str, e: &toml::de::Error) -> ContentError {
    let message = e.message().trim().to_string();
    let Some(span) = e.span() else {
        return err(file, "(file)", message);
    };
    let start = span.start.min(text.len());
    let line_no = text[..start].matches('\n').count() + 1;
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let line = text[line_start..].lines().next().unwrap_or("").trim();
    let field = if line.starts_with('[') {
        line.to_string()
    } else if let Some((key, _)) = line.split_once('=') {
        // The nearest table header above gives the key its context.
        let header = text[..line_start]
            .lines()
            .rev()
            .map(str::trim)
            .find(|l| l.starts_with('['))
            .unwrap_or("");
        format!(
            "{header}{}{}",
            if header.is_empty() { "" } else { " " },
            key.trim()
        )
    } else {
        String::from("(file)")
    };
    err(file, field, format!("line {line_no}: {message}"))
}

/// Checks that an instrument's numbers are coherent. Returns every problem.
pub fn validate(file: &str, inst: &Instrument) -> Vec<ContentError> {
    let mut v = Validator {
        file,
        errors: Vec::new(),
    };
    v.identity(inst);
    let item_ok = v.items(inst);
    v.scoring(inst);
    if item_ok {
        v.range(inst);
    }
    v.bands(inst);
    v.caseness(inst);
    v.reliable_change(inst);
    if item_ok {
        v.risk_items(inst);
    }
    v.sources(inst);
    v.errors
}

struct Validator<'a> {
    file: &'a str,
    errors: Vec<ContentError>,
}

impl Validator<'_> {
    fn push(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.errors.push(err(self.file, field, message));
    }

    fn identity(&mut self, inst: &Instrument) {
        if inst.id.is_empty()
            || !inst
                .id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        {
            self.push(
                "id",
                format!(
                    "{:?} is not a valid instrument id: use lower-case letters and digits only (phq9, gad7, mi)",
                    inst.id
                ),
            );
        }
        match self.file.strip_suffix(".toml") {
            None => self.push(
                "(file)",
                "an instrument file's name must end in .toml".to_string(),
            ),
            Some(stem) => {
                // Only the file's own name counts, not a directory before it.
                let stem = stem.rsplit(['/', '\\']).next().unwrap_or(stem);
                if stem != inst.id {
                    self.push(
                        "id",
                        format!(
                            "the id {:?} does not match the file name: a file for {:?} must be named {}.toml",
                            inst.id, inst.id, inst.id
                        ),
                    );
                }
            }
        }
        for (field, value) in [
            ("short_name", &inst.short_name),
            ("name", &inst.name),
            ("version", &inst.version),
            ("licence.status", &inst.licence.status),
        ] {
            if value.trim().is_empty() {
                self.push(field, "must not be empty");
            }
        }
        if let Some(p) = &inst.preamble
            && p.trim().is_empty()
        {
            self.push(
                "preamble",
                "is empty: give the instructions or leave it out",
            );
        }
        if let Some(l) = &inst.loinc {
            if l.panel.trim().is_empty() {
                self.push("loinc.panel", "must not be empty");
            }
            if l.total.as_deref().is_some_and(|t| t.trim().is_empty()) {
                self.push("loinc.total", "must not be empty");
            }
        }
    }

    /// Items, their options and subscales. Returns false when the items are
    /// too broken for the range and risk checks to mean anything.
    fn items(&mut self, inst: &Instrument) -> bool {
        let mut ok = true;
        if inst.items.is_empty() {
            self.push("items", "an instrument needs at least one item");
            return false;
        }
        if !inst.options.is_empty() {
            self.options("options", &inst.options);
        }
        let declared: BTreeSet<&str> = inst.subscales.iter().map(|s| s.id.as_str()).collect();
        let mut seen_subscales = BTreeSet::new();
        for (i, s) in inst.subscales.iter().enumerate() {
            if !seen_subscales.insert(s.id.as_str()) {
                self.push(
                    format!("subscales[{i}].id"),
                    format!("duplicate subscale id {:?}", s.id),
                );
            }
            if s.name.trim().is_empty() {
                self.push(format!("subscales[{i}].name"), "must not be empty");
            }
            if !inst
                .items
                .iter()
                .any(|it| it.subscale.as_deref() == Some(s.id.as_str()))
            {
                self.push(
                    format!("subscales[{i}]"),
                    format!("subscale {:?} has no items", s.id),
                );
            }
        }
        for (i, item) in inst.items.iter().enumerate() {
            let f = format!("items[{i}]");
            let expected = i + 1;
            if usize::from(item.n) != expected {
                self.push(
                    format!("{f}.n"),
                    format!(
                        "items must be numbered 1 to {} in order: item {} is numbered {}",
                        inst.items.len(),
                        expected,
                        item.n
                    ),
                );
                ok = false;
            }
            if item.text.trim().is_empty() {
                self.push(format!("{f}.text"), "must not be empty");
            }
            if item.intro.as_deref().is_some_and(|t| t.trim().is_empty()) {
                self.push(
                    format!("{f}.intro"),
                    "is empty: give the instructions or leave it out",
                );
            }
            if let Some(opts) = &item.options {
                self.options(&format!("{f}.options"), opts);
            }
            let opts = inst.options_for(item);
            if opts.is_empty() {
                ok = false;
                if item.reverse {
                    self.push(
                        format!("{f}.reverse"),
                        format!(
                            "item {} is reverse scored but has no options to reverse: give `options` for the instrument or for this item",
                            item.n
                        ),
                    );
                } else {
                    self.push(
                        format!("{f}.options"),
                        format!(
                            "item {} has no options: give `options` for the instrument or for this item",
                            item.n
                        ),
                    );
                }
            }
            if let Some(sub) = &item.subscale
                && !declared.contains(sub.as_str())
            {
                self.push(
                    format!("{f}.subscale"),
                    format!(
                        "item {} counts towards subscale {:?}, which is not declared in `subscales`",
                        item.n, sub
                    ),
                );
            }
            if item.optional_when.is_some() && !item.optional {
                self.push(
                    format!("{f}.optional_when"),
                    format!(
                        "item {} says when it may be left out but is not `optional`",
                        item.n
                    ),
                );
            }
        }
        ok
    }

    fn options(&mut self, field: &str, opts: &[AnswerOption]) {
        if opts.is_empty() {
            self.push(field, "an option list must not be empty");
        }
        let mut scores = BTreeSet::new();
        for (j, o) in opts.iter().enumerate() {
            if !scores.insert(o.score) {
                self.push(
                    format!("{field}[{j}].score"),
                    format!(
                        "duplicate option score {}: each option of an item must score differently",
                        o.score
                    ),
                );
            }
            if o.label.trim().is_empty() {
                self.push(format!("{field}[{j}].label"), "must not be empty");
            }
        }
    }

    fn scoring(&mut self, inst: &Instrument) {
        let required = inst.items.iter().filter(|i| !i.optional).count();
        if let Prorating::MeanOfAnswered { max_missing } = inst.scoring.prorating {
            if max_missing == 0 {
                self.push(
                    "scoring.prorating.max_missing",
                    "is 0, which allows no missing items: use rule = \"none\"",
                );
            }
            if usize::from(max_missing) >= required {
                self.push(
                    "scoring.prorating.max_missing",
                    format!(
                        "is {max_missing} but the instrument has only {required} required items: at least one must be answered"
                    ),
                );
            }
            if inst.scoring.conversion.is_some() {
                self.push(
                    "scoring.prorating",
                    "a conversion table needs a complete raw total: it cannot be combined with prorating",
                );
            }
        }
        if inst.scoring.conversion.is_some() && inst.scoring.method != Method::Sum {
            self.push(
                "scoring.conversion",
                "a conversion table converts a raw sum: use method = \"sum\"",
            );
        }
        if !(inst.total_min.is_finite() && inst.total_max.is_finite())
            || inst.total_min >= inst.total_max
        {
            self.push(
                "total_max",
                format!(
                    "the total range {} to {} is empty: total_max must be above total_min",
                    inst.total_min, inst.total_max
                ),
            );
        }
    }

    /// The declared total range must be exactly what the items can produce,
    /// and a conversion table must cover every raw total once, rising.
    fn range(&mut self, inst: &Instrument) {
        let mut lo = 0i64;
        let mut hi = 0i64;
        let mut opt_lo = i64::MAX;
        let mut opt_hi = i64::MIN;
        for item in &inst.items {
            let opts = inst.options_for(item);
            let (Some(min), Some(max)) = (
                opts.iter().map(|o| i64::from(o.score)).min(),
                opts.iter().map(|o| i64::from(o.score)).max(),
            ) else {
                return;
            };
            // A left-out optional item contributes nothing.
            let (min, max) = if item.optional {
                (min.min(0), max.max(0))
            } else {
                (min, max)
            };
            lo += min;
            hi += max;
            opt_lo = opt_lo.min(min);
            opt_hi = opt_hi.max(max);
        }
        let (expect_lo, expect_hi, what) = match (&inst.scoring.method, &inst.scoring.conversion) {
            (Method::Mean, _) => (opt_lo as f64, opt_hi as f64, "item mean"),
            (Method::Sum, None) => (lo as f64, hi as f64, "sum of the items"),
            (Method::Sum, Some(table)) => {
                self.conversion(inst, table, lo, hi);
                return;
            }
        };
        if (inst.total_min - expect_lo).abs() > TOLERANCE {
            self.push(
                "total_min",
                format!(
                    "is {} but the lowest possible {what} is {expect_lo}",
                    inst.total_min
                ),
            );
        }
        if (inst.total_max - expect_hi).abs() > TOLERANCE {
            self.push(
                "total_max",
                format!(
                    "is {} but the highest possible {what} is {expect_hi}",
                    inst.total_max
                ),
            );
        }
        // A single option cannot score beyond the whole instrument's range.
        // The shared options are checked once; an item's own options each time.
        let mut lists: Vec<(String, &[AnswerOption])> = Vec::new();
        if !inst.options.is_empty() {
            lists.push(("options".to_string(), &inst.options));
        }
        for (i, item) in inst.items.iter().enumerate() {
            if let Some(opts) = &item.options {
                lists.push((format!("items[{i}].options"), opts));
            }
        }
        for (field, opts) in lists {
            for (j, o) in opts.iter().enumerate() {
                let s = f64::from(o.score);
                let outside = match inst.scoring.method {
                    Method::Mean => {
                        s < inst.total_min - TOLERANCE || s > inst.total_max + TOLERANCE
                    }
                    Method::Sum => s > inst.total_max + TOLERANCE,
                };
                if outside {
                    self.push(
                        format!("{field}[{j}].score"),
                        format!(
                            "option score {} is outside the total range {} to {}",
                            o.score, inst.total_min, inst.total_max
                        ),
                    );
                }
            }
        }
    }

    fn conversion(
        &mut self,
        inst: &Instrument,
        table: &[super::model::Conversion],
        lo: i64,
        hi: i64,
    ) {
        let f = "scoring.conversion";
        let mut by_raw = BTreeMap::new();
        for (j, c) in table.iter().enumerate() {
            if i64::from(c.raw) < lo || i64::from(c.raw) > hi {
                self.push(
                    format!("{f}[{j}].raw"),
                    format!(
                        "raw total {} is outside the possible raw totals {lo} to {hi}",
                        c.raw
                    ),
                );
            }
            if !c.score.is_finite() {
                self.push(format!("{f}[{j}].score"), "must be a number");
            }
            if by_raw.insert(c.raw, c.score).is_some() {
                self.push(
                    format!("{f}[{j}].raw"),
                    format!("raw total {} appears more than once", c.raw),
                );
            }
        }
        let missing: Vec<String> = (lo..=hi)
            .filter(|r| {
                i32::try_from(*r)
                    .map(|r| !by_raw.contains_key(&r))
                    .unwrap_or(true)
            })
            .map(|r| r.to_string())
            .collect();
        if !missing.is_empty() {
            self.push(
                f,
                format!(
                    "the table must give a score for every raw total from {lo} to {hi}; missing: {}",
                    missing.join(", ")
                ),
            );
        }
        let mut prev: Option<(i32, f64)> = None;
        for (&raw, &score) in &by_raw {
            if let Some((p_raw, p_score)) = prev
                && score <= p_score
            {
                self.push(
                    f,
                    format!(
                        "the table is not monotonic: raw {raw} converts to {score}, not above raw {p_raw} ({p_score})"
                    ),
                );
            }
            prev = Some((raw, score));
        }
        if let (Some((_, first)), Some((_, last))) =
            (by_raw.iter().next(), by_raw.iter().next_back())
        {
            if (inst.total_min - first).abs() > TOLERANCE {
                self.push(
                    "total_min",
                    format!(
                        "is {} but the conversion table's lowest score is {first}",
                        inst.total_min
                    ),
                );
            }
            if (inst.total_max - last).abs() > TOLERANCE {
                self.push(
                    "total_max",
                    format!(
                        "is {} but the conversion table's highest score is {last}",
                        inst.total_max
                    ),
                );
            }
        }
    }

    fn bands(&mut self, inst: &Instrument) {
        if inst.bands.is_empty() {
            if inst.bands_source.is_some() {
                self.push("bands_source", "is given but there are no bands");
            }
            return;
        }
        if inst.bands_source.is_none() {
            self.push(
                "bands_source",
                "bands need a source: give bands_source with the address they were read at",
            );
        }
        let integer = inst.is_integer_scored();
        let (lo, hi) = (inst.total_min, inst.total_max);
        for (i, b) in inst.bands.iter().enumerate() {
            let f = format!("bands[{i}]");
            if b.label.trim().is_empty() {
                self.push(format!("{f}.label"), "must not be empty");
            }
            if b.min > b.max {
                self.push(
                    format!("{f}.min"),
                    format!(
                        "band {:?} runs backwards: min {} is above max {}",
                        b.label, b.min, b.max
                    ),
                );
            }
            if b.min < lo - TOLERANCE || b.max > hi + TOLERANCE {
                self.push(
                    f.clone(),
                    format!(
                        "band {:?} ({} to {}) is outside the total range {lo} to {hi}",
                        b.label, b.min, b.max
                    ),
                );
            }
            if integer && (b.min.fract() != 0.0 || b.max.fract() != 0.0) {
                self.push(
                    f.clone(),
                    format!(
                        "band {:?} has a fractional bound but this instrument's totals are whole numbers",
                        b.label
                    ),
                );
            }
        }
        let first: &Band = &inst.bands[0];
        let last: &Band = &inst.bands[inst.bands.len() - 1];
        if (first.min - lo).abs() > TOLERANCE {
            self.push(
                "bands[0].min",
                format!(
                    "the bands leave a gap: they start at {} but the total range starts at {lo}",
                    first.min
                ),
            );
        }
        if (last.max - hi).abs() > TOLERANCE {
            self.push(
                format!("bands[{}].max", inst.bands.len() - 1),
                format!(
                    "the bands leave a gap: they end at {} but the total range ends at {hi}",
                    last.max
                ),
            );
        }
        for (i, pair) in inst.bands.windows(2).enumerate() {
            let (a, b) = (&pair[0], &pair[1]);
            let f = format!("bands[{}].min", i + 1);
            if b.min <= a.max + TOLERANCE {
                self.push(
                    f,
                    format!(
                        "band {:?} (from {}) overlaps band {:?} (to {}): list bands from the lowest score up without overlap",
                        b.label, b.min, a.label, a.max
                    ),
                );
            } else if integer && (b.min - (a.max + 1.0)).abs() > TOLERANCE {
                self.push(
                    f,
                    format!(
                        "the bands leave a gap between {} ({:?}) and {} ({:?})",
                        a.max, a.label, b.min, b.label
                    ),
                );
            }
        }
    }

    fn caseness(&mut self, inst: &Instrument) {
        let Some(c) = &inst.caseness else { return };
        let (lo, hi) = (inst.total_min, inst.total_max);
        if !c.value.is_finite() || c.value < lo - TOLERANCE || c.value > hi + TOLERANCE {
            self.push(
                "caseness.value",
                format!("{} is outside the total range {lo} to {hi}", c.value),
            );
            return;
        }
        match c.operator {
            Operator::AtLeast if c.value <= lo + TOLERANCE => self.push(
                "caseness.value",
                format!(
                    ">= {} is met by every score: the cut-off must be above {lo}",
                    c.value
                ),
            ),
            Operator::Above if c.value >= hi - TOLERANCE => self.push(
                "caseness.value",
                format!("> {} can never be met: the highest score is {hi}", c.value),
            ),
            _ => {}
        }
    }

    fn reliable_change(&mut self, inst: &Instrument) {
        let Some(r) = &inst.reliable_change else {
            return;
        };
        let width = inst.total_max - inst.total_min;
        if !r.value.is_finite() || r.value <= 0.0 {
            self.push(
                "reliable_change.value",
                format!("{} is not a positive change", r.value),
            );
        } else if r.value > width + TOLERANCE {
            self.push(
                "reliable_change.value",
                format!(
                    "{} is larger than the whole total range ({width}): no change could be reliable",
                    r.value
                ),
            );
        }
    }

    fn risk_items(&mut self, inst: &Instrument) {
        let mut seen = BTreeSet::new();
        for (i, r) in inst.risk_items.iter().enumerate() {
            let f = format!("risk_items[{i}]");
            let Some(item) = inst
                .items
                .get(usize::from(r.item).wrapping_sub(1))
                .filter(|_| r.item > 0)
            else {
                self.push(
                    format!("{f}.item"),
                    format!(
                        "item {} does not exist: this instrument has items 1 to {}",
                        r.item,
                        inst.items.len()
                    ),
                );
                continue;
            };
            if !seen.insert(r.item) {
                self.push(
                    format!("{f}.item"),
                    format!("item {} is listed twice", r.item),
                );
            }
            let opts = inst.options_for(item);
            let min = opts.iter().map(|o| o.score).min().unwrap_or(0);
            let max = opts.iter().map(|o| o.score).max().unwrap_or(0);
            if r.above < min {
                self.push(
                    format!("{f}.above"),
                    format!(
                        "every answer to item {} scores above {}: the flag would always be raised",
                        r.item, r.above
                    ),
                );
            } else if r.above >= max {
                self.push(
                    format!("{f}.above"),
                    format!(
                        "no answer to item {} scores above {} (its highest is {max}): the flag could never be raised",
                        r.item, r.above
                    ),
                );
            }
        }
    }

    fn sources(&mut self, inst: &Instrument) {
        for (rule, source) in inst.sources() {
            let field = if rule == "bands" {
                "bands_source".to_string()
            } else {
                format!("{rule}.source")
            };
            self.source(&field, source);
        }
    }

    fn source(&mut self, field: &str, s: &Source) {
        let url = s.url.trim();
        if url.is_empty() {
            self.push(
                format!("{field}.url"),
                "is empty: every rule must name where it was read",
            );
        } else if !(url.starts_with("https://")
            || url.starts_with("http://")
            || url.starts_with("bothy:"))
        {
            self.push(
                format!("{field}.url"),
                format!(
                    "{url:?} is not an address: use https://..., or bothy:<path> for a rule this project defines"
                ),
            );
        }
    }
}
