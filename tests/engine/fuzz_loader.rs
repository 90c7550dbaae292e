//! The loader never panics, whatever it is given: arbitrary bytes, TOML-shaped noise, and the
//! real questionnaire with bytes flipped, cut short, lines deleted or duplicated, and numbers
//! swapped for extreme ones. Errors are fine; a panic fails the test.

use std::path::Path;
use std::sync::OnceLock;

use proptest::prelude::*;

use dxready::domain::questionnaire::{extreme_submission, load_file, load_str};
use dxready::domain::score;

use crate::common::{fixtures_dir, questionnaires_dir, reference};

fn real_source() -> &'static str {
    static SOURCE: OnceLock<String> = OnceLock::new();
    SOURCE.get_or_init(|| {
        std::fs::read_to_string(questionnaires_dir().join("dxready-sme@1.0.0.toml"))
            .expect("real questionnaire")
    })
}

/// Loads `source`; every problem must still be a well-formed `file:line:col: message`.
fn load(source: &str) -> Result<(), TestCaseError> {
    if let Err(problems) = load_str(Path::new("fuzz.toml"), source, reference()) {
        prop_assert!(!problems.is_empty());
        let lines = source.split('\n').count();
        for p in &problems {
            prop_assert!(p.line >= 1 && p.line <= lines.max(1), "{p}");
            prop_assert!(p.col >= 1, "{p}");
            prop_assert!(!p.message.is_empty(), "{p}");
        }
    }
    Ok(())
}

/// Pieces of questionnaire files, so the noise often gets past the TOML parser into the checks.
const TOKENS: &[&str] = &[
    "\n",
    "\n",
    "\n",
    "[[question]]",
    "[[question.option]]",
    "[[rule]]",
    "[[level]]",
    "[[dimension]]",
    "[[profile]]",
    "[[barrier]]",
    "[[consent]]",
    "[[section]]",
    "[[option_set]]",
    "format = \"dxready/1\"",
    "id = \"q1\"",
    "id = \"d1\"",
    "id = \"r1\"",
    "value = \"a\"",
    "points = ",
    "weight = ",
    "level = ",
    "min_score = ",
    "max_points = ",
    "max = ",
    "min = ",
    "type = \"single_choice\"",
    "type = \"multiple_choice\"",
    "type = \"scale\"",
    "dimension = \"d1\"",
    "section = \"main\"",
    "text.vi = \"Câu hỏi\"",
    "text.en = \"Question\"",
    "label = { vi = \"Có\", en = \"Yes\" }",
    "when = \"",
    "relevant = \"",
    "gate = \"",
    "points('q1')",
    "score('d1')",
    "${trade}",
    "selected(${p6}, 'x')",
    "level()",
    " and ",
    " or ",
    " not ",
    " in ['a', 'b']",
    " >= ",
    " = ",
    "(",
    ")",
    "\"",
    "'",
    "0",
    "1",
    "4",
    "0.5",
    "-1",
    "1e308",
    "inf",
    "nan",
    "99999999999",
    "true",
    "ễ",
    "=",
    "#",
];

/// Numbers to put where the real file has one.
const EXTREME_NUMBERS: &[&str] = &[
    "-1",
    "0",
    "0.5",
    "4.000001",
    "100",
    "101",
    "255",
    "256",
    "1e308",
    "-1e308",
    "inf",
    "-inf",
    "nan",
    "18446744073709551616",
    "99999999999",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        load(&String::from_utf8_lossy(&bytes))?;
    }

    #[test]
    fn arbitrary_text_never_panics(source in any::<String>()) {
        load(&source)?;
    }

    #[test]
    fn toml_shaped_noise_never_panics(tokens in prop::collection::vec(prop::sample::select(TOKENS), 0..300)) {
        load(&tokens.concat())?;
    }
}

proptest! {
    // Each case loads the whole real file (about 2,700 lines), so fewer cases per mutation.
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn the_real_file_with_bytes_flipped_never_panics(
        flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..16)
    ) {
        let mut bytes = real_source().as_bytes().to_vec();
        for (at, byte) in flips {
            let i = at.index(bytes.len());
            bytes[i] = byte;
        }
        load(&String::from_utf8_lossy(&bytes))?;
    }

    #[test]
    fn the_real_file_cut_short_never_panics(at in any::<prop::sample::Index>()) {
        let source = real_source();
        let mut end = at.index(source.len() + 1);
        while !source.is_char_boundary(end) {
            end -= 1;
        }
        load(&source[..end])?;
    }

    #[test]
    fn the_real_file_with_lines_deleted_never_panics(
        deleted in prop::collection::vec(any::<prop::sample::Index>(), 1..24)
    ) {
        let lines: Vec<&str> = real_source().lines().collect();
        let gone: Vec<usize> = deleted.iter().map(|i| i.index(lines.len())).collect();
        let kept: Vec<&str> = lines
            .iter()
            .enumerate()
            .filter(|(i, _)| !gone.contains(i))
            .map(|(_, l)| *l)
            .collect();
        load(&kept.join("\n"))?;
    }

    #[test]
    fn the_real_file_with_lines_duplicated_or_moved_never_panics(
        moves in prop::collection::vec(
            (any::<prop::sample::Index>(), any::<prop::sample::Index>(), any::<bool>()),
            1..8,
        )
    ) {
        let mut lines: Vec<&str> = real_source().lines().collect();
        for (from, to, keep) in moves {
            let line = lines[from.index(lines.len())];
            if !keep {
                lines.remove(from.index(lines.len()));
            }
            lines.insert(to.index(lines.len() + 1), line);
        }
        load(&lines.join("\n"))?;
    }

    #[test]
    fn the_real_file_with_extreme_numbers_never_panics(
        swaps in prop::collection::vec(
            (any::<prop::sample::Index>(), prop::sample::select(EXTREME_NUMBERS)),
            1..6,
        )
    ) {
        let mut lines: Vec<String> = real_source().lines().map(str::to_string).collect();
        let numeric: Vec<usize> = lines
            .iter()
            .enumerate()
            .filter(|(_, l)| {
                l.split_once(" = ")
                    .is_some_and(|(_, v)| v.trim().parse::<f64>().is_ok())
            })
            .map(|(i, _)| i)
            .collect();
        for (at, number) in swaps {
            let i = numeric[at.index(numeric.len())];
            let key = lines[i].split_once(" = ").map(|(k, _)| k.to_string()).unwrap_or_default();
            lines[i] = format!("{key} = {number}");
        }
        load(&lines.join("\n"))?;
    }
}

/// The second question of the valid fixture, with a type and numbers chosen by the test.
fn fixture_with_question(kind: &str, numbers: &[(&str, &str)], points: [&str; 2]) -> String {
    let valid = std::fs::read_to_string(fixtures_dir().join("loader/valid.toml")).expect("fixture");
    let start = valid.find("id = \"q2\"").expect("q2");
    let end = valid.find("[[consent]]").expect("consent");
    let mut q2 = format!(
        "id = \"q2\"\nsection = \"main\"\ndimension = \"d2\"\ntype = \"{kind}\"\ntext.vi = \"Hai\"\ntext.en = \"Two\"\n"
    );
    for (key, value) in numbers {
        q2.push_str(&format!("{key} = {value}\n"));
    }
    if kind != "scale" {
        for (value, p) in ["none", "cloud"].iter().zip(points) {
            q2.push_str(&format!(
                "[[question.option]]\nvalue = \"{value}\"\nlabel.vi = \"X\"\nlabel.en = \"X\"\npoints = {p}\n"
            ));
        }
    }
    format!("{}{q2}\n{}", &valid[..start], &valid[end..])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Scored questions of every type with any numbers (min, max, max_points, points) are
    /// either refused or give finite scores, 100 for the best answers.
    #[test]
    fn a_scored_question_with_any_numbers_is_refused_or_scores_sanely(
        kind in prop::sample::select(vec!["single_choice", "multiple_choice", "scale"]),
        min in prop::option::of(prop::sample::select(EXTREME_NUMBERS)),
        max in prop::option::of(prop::sample::select(EXTREME_NUMBERS)),
        max_points in prop::option::of(prop::sample::select(EXTREME_NUMBERS)),
        points in [prop::sample::select(EXTREME_NUMBERS), prop::sample::select(EXTREME_NUMBERS)],
    ) {
        let numbers: Vec<(&str, &str)> = [("min", min), ("max", max), ("max_points", max_points)]
            .into_iter()
            .filter_map(|(key, value)| value.map(|v| (key, v)))
            .collect();
        let source = fixture_with_question(kind, &numbers, points);
        load(&source)?;
        if let Ok(def) = load_str(Path::new("numbers.toml"), &source, reference()) {
            let best = score(&def, &extreme_submission(&def, true));
            prop_assert!((best.overall - 100.0).abs() < 1e-9, "{}", best.overall);
            for d in &best.dimensions {
                prop_assert!(d.score.is_some_and(f64::is_finite), "{d:?}");
            }
        }
    }
}

#[test]
fn the_number_fixture_builder_makes_a_valid_questionnaire() {
    // Guards the property above: with ordinary numbers every type loads.
    for (kind, numbers) in [
        ("single_choice", vec![]),
        ("multiple_choice", vec![("max_points", "4")]),
        ("scale", vec![("min", "1"), ("max", "5")]),
    ] {
        let source = fixture_with_question(kind, &numbers, ["0", "4"]);
        load_str(Path::new("numbers.toml"), &source, reference())
            .unwrap_or_else(|p| panic!("{kind}: {p:#?}"));
    }
}

#[test]
fn bytes_that_are_not_utf8_are_one_problem_not_a_panic() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let path = dir.path().join("latin1.toml");
    std::fs::write(&path, b"title.vi = \"Ti\xeau \xf0\xe8\"\n").expect("write");
    let problems = load_file(&path, reference()).expect_err("refused");
    let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert_eq!(
        lines,
        vec![format!(
            "{}:1:1: the file is not valid UTF-8",
            path.display()
        )]
    );
}

#[test]
fn the_real_file_itself_loads() {
    load_str(Path::new("real.toml"), real_source(), reference())
        .unwrap_or_else(|p| panic!("{p:#?}"));
}
