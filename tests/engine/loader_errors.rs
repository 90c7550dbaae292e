//! The loader reports every problem of a file at once as `file:line:col: message`. One fixture
//! per kind of problem under `tests/fixtures/loader/`, each the valid fixture with problems
//! added; and the real `dxready check-questionnaires` command on the real folder and on a broken
//! copy of it.

use std::fs;
use std::path::Path;
use std::process::Command;

use crate::common::{fixtures_dir, problems_of, questionnaires_dir};

/// The problems the loader reports for `tests/fixtures/loader/{name}`, named by file name.
fn problems(name: &str) -> Vec<String> {
    let path = fixtures_dir().join("loader").join(name);
    let source = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    problems_of(name, &source)
}

#[test]
fn the_valid_fixture_loads() {
    assert_eq!(problems("valid.toml"), Vec::<String>::new());
}

#[test]
fn duplicate_ids_are_reported_where_they_are_reused() {
    assert_eq!(
        problems("duplicate-ids.toml"),
        vec![
            "duplicate-ids.toml:70:11: question `q1`: duplicate option `paper`",
            "duplicate-ids.toml:76:6: duplicate question id `q1`",
            "duplicate-ids.toml:142:6: duplicate rule id `r1`",
        ]
    );
}

#[test]
fn unknown_ids_in_conditions_and_rules_are_reported_at_the_id() {
    assert_eq!(
        problems("unknown-ids.toml"),
        vec![
            "unknown-ids.toml:77:11: unknown section `mian`",
            "unknown-ids.toml:80:13: unknown question or profile field `sectr` (a condition may only refer to fields and earlier questions)",
            "unknown-ids.toml:133:16: `q9` is not a scored question",
            "unknown-ids.toml:145:14: unknown barrier `fear`",
        ]
    );
}

#[test]
fn a_scored_option_without_points_is_reported() {
    assert_eq!(
        problems("option-without-points.toml"),
        vec![
            "option-without-points.toml:64:11: question `q1`: option `paper` of a scored question has no points",
            // With `paper` unscored, q1 can only give 4 points, so `points('q1') = 0` is dead.
            "option-without-points.toml:133:9: rule `r1` can never fire",
        ]
    );
}

#[test]
fn weights_that_do_not_sum_to_one_are_reported() {
    assert_eq!(
        problems("weights.toml"),
        vec!["weights.toml:40:10: dimension weights must sum to 1, they sum to 0.9000"]
    );
}

#[test]
fn missing_translations_are_reported_per_language() {
    assert_eq!(
        problems("missing-translation.toml"),
        vec![
            "missing-translation.toml:56:6: question `q1` text has no English (en) text",
            "missing-translation.toml:112:9: level 1 name has no Vietnamese (vi) text",
        ]
    );
}

#[test]
fn a_level_whose_gate_can_never_pass_is_unreachable() {
    assert_eq!(
        problems("unreachable-level.toml"),
        vec!["unreachable-level.toml:114:9: level 1 is unreachable: its gate can never pass"]
    );
}

#[test]
fn a_level_the_best_answers_cannot_reach_is_unreachable() {
    assert_eq!(
        problems("unreachable-level-by-best-answers.toml"),
        vec![
            "unreachable-level-by-best-answers.toml:1:1: level 1 is unreachable: the best possible answers reach only level 0"
        ]
    );
}

#[test]
fn a_rule_that_can_never_fire_is_reported() {
    assert_eq!(
        problems("rule-never-fires.toml"),
        vec!["rule-never-fires.toml:133:9: rule `r1` can never fire"]
    );
}

/// The keys allowed at the top of a questionnaire file, as the messages list them.
const FILE_KEYS: &str = "`format`, `id`, `version`, `title`, `intro`, `estimated_minutes`, `goals_question`, `start_smart_limit`, `summary_barrier_slot`, `retired_ids`, `profile`, `dimension`, `section`, `question`, `option_set`, `consent`, `level`, `band`, `barrier`, `rule`, `practice`";

#[test]
fn a_misspelt_table_is_an_error_not_a_dropped_question() {
    assert_eq!(
        problems("unknown-table.toml"),
        vec![format!(
            "unknown-table.toml:75:3: unknown table `questoin` (did you mean `question`?); expected one of {FILE_KEYS}"
        )]
    );
}

#[test]
fn a_misspelt_table_followed_by_its_options_is_reported_with_the_parse_error_it_causes() {
    // `[[question.option]]` after `[[questoin]]` quietly makes `question` a plain table, so
    // the TOML parser stops at the next `[[question]]` with a "duplicate key" far from the typo.
    // The parser recovers, so the typo itself is reported too, where it is.
    assert_eq!(
        problems("unknown-table-before-options.toml"),
        vec![
            format!(
                "unknown-table-before-options.toml:55:3: unknown table `questoin` (did you mean `question`?); expected one of {FILE_KEYS}"
            ),
            "unknown-table-before-options.toml:75:3: duplicate key `question`".to_string(),
        ]
    );
}

#[test]
fn a_misspelt_key_is_an_error_not_a_dropped_rule() {
    assert_eq!(
        problems("unknown-key.toml"),
        vec![
            "unknown-key.toml:133:1: unknown key `whne` in a rule (did you mean `when`?); expected one of `id`, `phase`, `category`, `when`, `title`, `why`, `step`, `support_topics`, `goals`, `agency_flag`, `agency_flag_when`"
        ]
    );
}

#[test]
fn every_misspelt_key_and_table_is_reported_at_once() {
    let option_keys = "`value`, `label`, `hint`, `points`, `not_applicable`, `exclusive`";
    let question_keys = "`id`, `section`, `type`, `dimension`, `required`, `text`, `hint`, `relevant`, `option_set`, `option`, `max_points`, `max_choices`, `min`, `max`, `min_label`, `max_label`, `unit`, `max_length`, `pii`, `error`";
    let rule_keys = "`id`, `phase`, `category`, `when`, `title`, `why`, `step`, `support_topics`, `goals`, `agency_flag`, `agency_flag_when`";
    let name = "unknown-keys-everywhere.toml";
    assert_eq!(
        problems(name),
        vec![
            format!(
                "{name}:4:1: unknown key `verison` (did you mean `version`?); expected one of {FILE_KEYS}"
            ),
            format!(
                "{name}:5:7: unknown key `vn` in `title` (did you mean `vi`?); expected `vi` or `en`"
            ),
            format!(
                "{name}:44:3: unknown table `dimention` (did you mean `dimension`?); expected one of {FILE_KEYS}"
            ),
            format!(
                "{name}:73:3: unknown key `point` in an option (did you mean `points`?); expected one of {option_keys}"
            ),
            format!(
                "{name}:80:1: unknown key `relevent` in a question (did you mean `relevant`?); expected one of {question_keys}"
            ),
            format!(
                "{name}:90:14: unknown table `options` in a question (did you mean `option`?); expected one of {question_keys}"
            ),
            format!(
                "{name}:99:1: unknown key `mandatory` in a consent; expected one of `id`, `purpose`, `required`, `text`, `hint`"
            ),
            format!(
                "{name}:138:37: unknown key `eng` in `step` (did you mean `en`?); expected `vi` or `en`"
            ),
            format!(
                "{name}:144:1: unknown key `catgory` in a rule (did you mean `category`?); expected one of {rule_keys}"
            ),
        ]
    );
}

#[test]
fn the_file_with_misspelt_keys_has_no_other_problem() {
    // Semantic checks run only once every key is known. Fixing the typos must give the valid
    // fixture, so the test above shows every problem of that file, not just the first kind.
    let source = fs::read_to_string(fixtures_dir().join("loader/unknown-keys-everywhere.toml"))
        .expect("fixture");
    let mut fixed = source;
    for (typo, fix) in [
        ("verison =", "version ="),
        ("title.vn =", "title.vi ="),
        ("[[dimention]]", "[[dimension]]"),
        ("point = 4", "points = 4"),
        ("relevent =", "relevant ="),
        ("[[question.options]]", "[[question.option]]"),
        ("mandatory =", "required ="),
        ("eng =", "en ="),
        ("catgory =", "category ="),
    ] {
        assert_eq!(fixed.matches(typo).count(), 1, "{typo}");
        fixed = fixed.replacen(typo, fix, 1);
    }
    let valid = fs::read_to_string(fixtures_dir().join("loader/valid.toml")).expect("fixture");
    let body = |s: &str| s.split_once('\n').map(|(_, rest)| rest.to_string());
    assert_eq!(body(&fixed), body(&valid));
    assert_eq!(problems_of("fixed.toml", &fixed), Vec::<String>::new());
}

#[test]
fn every_syntax_error_is_reported_with_the_unknown_keys_after_it() {
    assert_eq!(
        problems("syntax-errors.toml"),
        vec![
            "syntax-errors.toml:46:11: unexpected key or value, expected newline, `#`",
            "syntax-errors.toml:61:22: invalid basic string, expected `\"`",
            "syntax-errors.toml:133:1: unknown key `whne` in a rule (did you mean `when`?); expected one of `id`, `phase`, `category`, `when`, `title`, `why`, `step`, `support_topics`, `goals`, `agency_flag`, `agency_flag_when`",
        ]
    );
}

#[test]
fn a_multiple_choice_that_allows_no_choice_is_reported() {
    assert_eq!(
        problems("max-choices-zero.toml"),
        vec!["max-choices-zero.toml:80:15: question `q2`: max_choices must be at least 1"]
    );
}

#[test]
fn a_max_points_that_is_not_a_number_is_reported() {
    assert_eq!(
        problems("scale-max-points-not-a-number.toml"),
        vec![
            "scale-max-points-not-a-number.toml:82:14: question `q2`: max_points must be a number, not inf"
        ]
    );
}

#[test]
fn a_scale_too_wide_to_check_is_reported_instead_of_exhausting_memory() {
    assert_eq!(
        problems("scale-too-wide.toml"),
        vec![
            "scale-too-wide.toml:76:6: question `q2`: a scale has at most 1000 steps from min to max",
            "scale-too-wide.toml:76:6: question `q2` can give 1000000000000 points; a question gives at most 1000 (lower the points or set max_points)",
        ]
    );
}

#[test]
fn a_question_worth_too_many_points_is_reported_instead_of_exhausting_memory() {
    assert_eq!(
        problems("too-many-points.toml"),
        vec![
            "too-many-points.toml:76:6: question `q2` can give 1000000000000 points; a question gives at most 1000 (lower the points or set max_points)"
        ]
    );
}

#[test]
fn a_scored_question_without_a_zero_option_is_reported_even_when_conditional() {
    // The load-time check of the worst answers uses one profile (the first sector), under
    // which this question is hidden; it must be caught on its own.
    assert_eq!(
        problems("worst-option-above-zero.toml"),
        vec![
            "worst-option-above-zero.toml:76:6: question `q2`: its lowest option is worth 2; give it an option worth 0 so the worst answers score 0"
        ]
    );
}

#[test]
fn every_problem_of_a_file_is_reported_at_once() {
    assert_eq!(
        problems("five-problems.toml"),
        vec![
            "five-problems.toml:40:10: dimension weights must sum to 1, they sum to 0.9000",
            "five-problems.toml:56:6: question `q1` text has no English (en) text",
            "five-problems.toml:64:11: question `q1`: option `paper` of a scored question has no points",
            "five-problems.toml:75:6: duplicate question id `q1`",
            "five-problems.toml:132:16: `q9` is not a scored question",
        ]
    );
}

#[test]
fn every_fixture_except_the_valid_one_is_refused() {
    for entry in fs::read_dir(fixtures_dir().join("loader")).expect("fixtures folder") {
        let name = entry.expect("entry").file_name();
        let name = name.to_string_lossy();
        let found = problems(&name);
        assert_eq!(found.is_empty(), name == "valid.toml", "{name}: {found:#?}");
        for line in &found {
            let mut parts = line.splitn(4, ':');
            let (file, row, col) = (parts.next(), parts.next(), parts.next());
            assert_eq!(file, Some(&*name), "{line}");
            assert!(
                row.is_some_and(|r| r.parse::<usize>().is_ok_and(|r| r >= 1)),
                "{line}"
            );
            assert!(
                col.is_some_and(|c| c.parse::<usize>().is_ok_and(|c| c >= 1)),
                "{line}"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The command line

/// Runs the command as of 2026-06-01 (no programme ends within 90 days of it).
fn check_questionnaires(dir: &Path) -> (i32, String) {
    check_questionnaires_as_of(dir, "2026-06-01")
}

fn check_questionnaires_as_of(dir: &Path, as_of: &str) -> (i32, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_dxready"))
        .arg("check-questionnaires")
        .arg(dir)
        .args(["--as-of", as_of])
        .env_remove("DXREADY_QUESTIONNAIRES")
        .output()
        .expect("the dxready binary runs");
    (
        output.status.code().expect("exited normally"),
        String::from_utf8(output.stdout).expect("UTF-8 output"),
    )
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("create folder");
    for entry in fs::read_dir(from).expect("read folder") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).expect("copy file");
        }
    }
}

/// 1-based number of the only line of `source` equal to `line`.
fn line_of(source: &str, line: &str) -> usize {
    let found: Vec<usize> = source
        .lines()
        .enumerate()
        .filter(|(_, l)| *l == line)
        .map(|(i, _)| i + 1)
        .collect();
    assert_eq!(found.len(), 1, "`{line}` occurs {} times", found.len());
    found[0]
}

#[test]
fn check_questionnaires_accepts_the_real_folder() {
    let (code, stdout) = check_questionnaires(&questionnaires_dir());
    assert_eq!(code, 0, "{stdout}");
    assert_eq!(
        stdout,
        "ok: dxready-sme 1.0.0 (39 questions, 27 rules)\nok: dxready-sme 1.1.0 (42 questions, 38 rules)\n"
    );
}

#[test]
fn check_questionnaires_prints_warnings_as_of_a_day_and_still_succeeds() {
    let (code, stdout) = check_questionnaires_as_of(&questionnaires_dir(), "2026-12-04");
    assert_eq!(code, 0, "{stdout}");
    assert!(
        stdout.contains(
            "warning: programme `hai-phong-dx-awareness-2026` ends on 2026-12-31 (in 27 days)"
        ),
        "{stdout}"
    );
}

#[test]
fn check_questionnaires_prints_every_problem_of_a_broken_copy_and_fails() {
    let dir = tempfile::tempdir().expect("temporary folder");
    copy_dir(&questionnaires_dir(), dir.path());
    let file = dir.path().join("dxready-sme@1.0.0.toml");
    let source = fs::read_to_string(&file).expect("real questionnaire");
    // Three independent mistakes: a weight, a misspelt question in a rule, a lost translation.
    let weight = "weight = 0.10";
    let d1_weight = source.find(weight).expect("a 0.10 weight");
    let broken = format!(
        "{}weight = 0.15{}",
        &source[..d1_weight],
        &source[d1_weight + weight.len()..]
    )
    .replacen(
        "when = \"points('q19') = 0\"",
        "when = \"points('q91') = 0\"",
        1,
    )
    .replacen(
        "text.en = \"Who takes charge of digital matters in the business?\"",
        "text.en = \" \"",
        1,
    );
    fs::write(&file, &broken).expect("write broken copy");
    let weight_line = source[..d1_weight].matches('\n').count() + 1;
    let rule_line = line_of(&broken, "when = \"points('q91') = 0\"");
    let q2_line = line_of(&broken, "id = \"q2\"");
    let name = file.display();

    let (code, stdout) = check_questionnaires(dir.path());
    assert_eq!(code, 1, "{stdout}");
    assert_eq!(
        stdout.lines().collect::<Vec<_>>(),
        vec![
            format!("{name}:{weight_line}:10: dimension weights must sum to 1, they sum to 1.0500"),
            format!("{name}:{q2_line}:6: question `q2` text has no English (en) text"),
            format!("{name}:{rule_line}:16: `q91` is not a scored question"),
        ]
    );
}

#[test]
fn missing_keys_and_wrong_types_are_reported_for_every_table() {
    assert_eq!(
        problems("missing-keys-and-wrong-types.toml"),
        vec![
            "missing-keys-and-wrong-types.toml:99:12: invalid type: string \"yes\", expected a boolean",
            "missing-keys-and-wrong-types.toml:129:1: missing field `when`",
            "missing-keys-and-wrong-types.toml:141:1: missing field `when`",
        ]
    );
}
