//! Programme files (content/programmes/FORMAT.md), written by clinical
//! authors: a file with a mistake must be refused with problems that name
//! a file of the programme and a line inside it, never a panic; what is
//! accepted must keep the format's promises (2 to 8 pages a module, the
//! crisis contacts in the introduction).

use super::{config, mutated, text};
use crate::programmes::parse::PAGES;
use crate::programmes::{Block, parse_programme};
use proptest::prelude::*;
use proptest::sample::select;

macro_rules! files {
    ($($name:literal),*) => {
        &[$((
            $name,
            include_str!(concat!("../../../../content/programmes/relaxation/", $name)),
        )),*]
    };
}

/// The shipped relaxation guide, the seed of the mutations.
const RELAXATION: &[(&str, &str)] = files!(
    "programme.md",
    "01-slow-breathing.md",
    "02-muscle-relaxation.md",
    "03-grounding-and-calm-places.md"
);

fn with(replaced: usize, text: String) -> Vec<(String, String)> {
    RELAXATION
        .iter()
        .enumerate()
        .map(|(i, (n, t))| {
            let body = if i == replaced {
                text.clone()
            } else {
                t.to_string()
            };
            (n.to_string(), body)
        })
        .collect()
}

fn check(files: &[(String, String)]) -> Result<(), TestCaseError> {
    match parse_programme("relaxation", files) {
        Ok(parsed) => {
            let p = parsed.programme;
            prop_assert!(p.introduction.contains(&Block::Crisis));
            for m in &p.modules {
                prop_assert!(PAGES.contains(&m.pages.len()), "{} pages", m.pages.len());
            }
        }
        Err(problems) => {
            prop_assert!(!problems.is_empty());
            for pr in problems {
                let name = pr.file.strip_prefix("relaxation/");
                prop_assert!(name.is_some(), "{pr}");
                if let Some((_, t)) = files.iter().find(|(n, _)| Some(n.as_str()) == name) {
                    prop_assert!(pr.line <= t.lines().count() + 1, "{pr}: past the end");
                }
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(48))]

    #[test]
    fn a_mutated_programme_file_is_read_or_every_problem_names_file_and_line(
        (i, file) in select((0..RELAXATION.len()).collect::<Vec<_>>())
            .prop_flat_map(|i| (Just(i), mutated(RELAXATION[i].1)))
    ) {
        check(&with(i, file))?;
    }

    #[test]
    fn arbitrary_text_as_a_module_is_refused_by_file_and_line(body in text()) {
        check(&with(1, body))?;
    }
}

#[test]
fn the_seed_programme_is_accepted_so_mutations_start_from_a_good_one() {
    let files = with(usize::MAX, String::new());
    assert!(parse_programme("relaxation", &files).is_ok());
}
