//! Comparing names as people type them: normalisation (case, accents,
//! hyphens, apostrophes, spaces, "Mc" and "Mac") and Jaro-Winkler similarity.

/// How two names (one part: given or family) compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Agreement {
    /// Nothing in common worth the name.
    Different,
    /// Close in spelling (Jaro-Winkler at least [`SIMILAR`]): "Smith" and
    /// "Smyth", "Jon" and "John".
    Similar,
    /// One is the initial(s) of the other: "J" and "John".
    Initial,
    /// Every part of one is a part of the other: "Mary" and "Mary Ann",
    /// "Smith" and "Smith-Jones".
    Part,
    /// The same once case, accents, spaces, hyphens, apostrophes and
    /// "Mc"/"Mac" are set aside: "Macleod" and "MacLeod", "Siân" and "Sian".
    Equivalent,
    /// Typed exactly alike (apart from surrounding and repeated spaces).
    Identical,
}

/// Jaro-Winkler similarity from which spellings count as similar.
pub(super) const SIMILAR: f64 = 0.85;

/// The comparison of one name part: its agreement and a similarity in 0..=1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct NameComparison {
    pub agreement: Agreement,
    pub similarity: f64,
}

/// Compare two names (both given names, or both family names).
pub(super) fn compare(a: &str, b: &str) -> NameComparison {
    let (ta, tb) = (tokens(a), tokens(b));
    let (ja, jb) = (ta.concat(), tb.concat());
    let result = |agreement, similarity| NameComparison {
        agreement,
        similarity,
    };
    if ja.is_empty() || jb.is_empty() {
        return result(Agreement::Different, 0.0);
    }
    if ja == jb {
        return if collapse(a) == collapse(b) {
            result(Agreement::Identical, 1.0)
        } else {
            result(Agreement::Equivalent, 1.0)
        };
    }
    if is_part_of(&ta, &tb) || is_part_of(&tb, &ta) {
        return result(Agreement::Part, 0.92);
    }
    if are_initials_of(&ta, &tb) || are_initials_of(&tb, &ta) {
        return result(Agreement::Initial, 0.85);
    }
    let jw = jaro_winkler(&ja, &jb);
    if jw >= SIMILAR {
        result(Agreement::Similar, jw)
    } else {
        result(Agreement::Different, jw)
    }
}

/// The name as typed with whitespace collapsed: what "identical" compares.
fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Lower-cased, accent-free parts of a name. Hyphens, spaces, full stops
/// and commas separate parts; apostrophes join ("O'Brien" is "obrien");
/// other symbols are dropped; a part starting "mc" is spelled "mac"
/// ("McLeod" and "MacLeod" are one name).
pub(super) fn tokens(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_whitespace() || matches!(c, '-' | '‐' | '‑' | '–' | '—' | '.' | ',' | '_' | '/')
        {
            push_token(&mut out, &mut current);
        } else if let Some(folded) = fold(c) {
            current.push_str(folded);
        } else if c.is_alphanumeric() {
            current.push(c);
        }
        // Anything else (apostrophes, combining accents, symbols) is dropped.
    }
    push_token(&mut out, &mut current);
    out
}

fn push_token(out: &mut Vec<String>, current: &mut String) {
    if current.is_empty() {
        return;
    }
    let token = std::mem::take(current);
    out.push(match token.strip_prefix("mc") {
        Some(rest) => format!("mac{rest}"),
        None => token,
    });
}

/// Every token of `short` is a token of `long`, and `long` has more.
fn is_part_of(short: &[String], long: &[String]) -> bool {
    short.len() < long.len() && short.iter().all(|t| long.contains(t))
}

/// `initials` are single letters, each the first letter of the matching
/// part of `full` in order ("J" of "John", "J A" of "John Andrew").
fn are_initials_of(initials: &[String], full: &[String]) -> bool {
    !initials.is_empty()
        && initials.len() <= full.len()
        && initials.iter().all(|t| t.chars().count() == 1)
        && full.iter().any(|t| t.chars().count() > 1)
        && initials
            .iter()
            .zip(full)
            .all(|(i, f)| f.starts_with(i.as_str()))
}

/// Accented Latin letters, lower case, and the plain letters they fold to.
/// Combining accents (from text in decomposed form) are dropped separately.
const FOLDS: &[(&str, &str)] = &[
    ("àáâãäåāăąǎǟǡǻȁȃȧḁạảấầẩẫậắằẳẵặ", "a"),
    ("æ", "ae"),
    ("ḃḅḇ", "b"),
    ("çćĉċčḉ", "c"),
    ("ðďđḋḍḏḑḓ", "d"),
    ("èéêëēĕėęěȅȇȩḕḗḙḛḝẹẻẽếềểễệ", "e"),
    ("ḟ", "f"),
    ("ĝğġģǧǵḡ", "g"),
    ("ĥħȟḣḥḧḩḫẖ", "h"),
    ("ìíîïĩīĭįıǐȉȋḭḯỉị", "i"),
    ("ĳ", "ij"),
    ("ĵǰ", "j"),
    ("ķĸǩḱḳḵ", "k"),
    ("ĺļľŀłḷḹḻḽ", "l"),
    ("ḿṁṃ", "m"),
    ("ñńņňŉŋǹṅṇṉṋ", "n"),
    ("òóôõöøōŏőơǒǫǭȍȏȫȭȯȱṍṏṑṓọỏốồổỗộớờởỡợ", "o"),
    ("œ", "oe"),
    ("ṕṗ", "p"),
    ("ŕŗřȑȓṙṛṝṟ", "r"),
    ("śŝşšſșṡṣṥṧṩ", "s"),
    ("ß", "ss"),
    ("ţťŧțṫṭṯṱẗ", "t"),
    ("þ", "th"),
    ("ùúûüũūŭůűųưǔǖǘǚǜȕȗṳṵṷṹṻụủứừửữự", "u"),
    ("ṽṿ", "v"),
    ("ŵẁẃẅẇẉẘ", "w"),
    ("ẋẍ", "x"),
    ("ýÿŷȳẏẙỳỵỷỹ", "y"),
    ("źżžẑẓẕ", "z"),
];

fn fold(c: char) -> Option<&'static str> {
    if c.is_ascii() {
        return None;
    }
    if ('\u{300}'..='\u{36f}').contains(&c) {
        return Some("");
    }
    FOLDS
        .iter()
        .find(|(from, _)| from.contains(c))
        .map(|(_, to)| *to)
}

/// Jaro-Winkler similarity of two strings, in 0..=1 (1 when equal), with the
/// usual prefix scale of 0.1 over at most four leading characters (Winkler,
/// "String comparator metrics and enhanced decision rules in the
/// Fellegi-Sunter model of record linkage", 1990). Symmetric: the pair is put
/// in a fixed order first, because the greedy matching step is not.
pub(super) fn jaro_winkler(a: &str, b: &str) -> f64 {
    let (a, b) = if a <= b { (a, b) } else { (b, a) };
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let j = jaro(&a, &b);
    let prefix = a.iter().zip(&b).take(4).take_while(|(x, y)| x == y).count();
    j + prefix as f64 * 0.1 * (1.0 - j)
}

fn jaro(a: &[char], b: &[char]) -> f64 {
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let window = (a.len().max(b.len()) / 2).saturating_sub(1);
    let mut a_matched = vec![false; a.len()];
    let mut b_matched = vec![false; b.len()];
    let mut matches = 0usize;
    for (i, ca) in a.iter().enumerate() {
        let lo = i.saturating_sub(window);
        let hi = (i + window + 1).min(b.len());
        for j in lo..hi {
            if !b_matched[j] && b[j] == *ca {
                a_matched[i] = true;
                b_matched[j] = true;
                matches += 1;
                break;
            }
        }
    }
    if matches == 0 {
        return 0.0;
    }
    let a_seq = a
        .iter()
        .zip(&a_matched)
        .filter(|(_, m)| **m)
        .map(|(c, _)| c);
    let b_seq = b
        .iter()
        .zip(&b_matched)
        .filter(|(_, m)| **m)
        .map(|(c, _)| c);
    let half_transpositions = a_seq.zip(b_seq).filter(|(x, y)| x != y).count();
    let m = matches as f64;
    let t = half_transpositions as f64 / 2.0;
    (m / a.len() as f64 + m / b.len() as f64 + (m - t) / m) / 3.0
}
