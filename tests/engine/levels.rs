//! Levels and bands: minimum scores are inclusive, a failed gate drops a level, and gates are
//! cumulative (a level needs every lower level's gate too). First on a small inline
//! questionnaire where the overall score can be set exactly, then on the real Mức 0–5 gates.

use std::sync::OnceLock;

use dxready::domain::questionnaire::{Definition, extreme_submission};
use dxready::domain::scoring::ScoreResult;
use dxready::domain::{Answer, Submission, score};

use crate::common::{load_inline, real, set_points};

/// Two 0–100 scales, weighted 0.7 and 0.3, so `overall = 0.7 a + 0.3 b` exactly. Level 2 needs
/// `b` at 40 or more and level 3 needs `a` at 90 or more.
const LEVELS_TOML: &str = r#"
format = "dxready/1"
id = "levels"
version = "1.0.0"
title.vi = "Mức"
title.en = "Levels"
intro.vi = "Thử"
intro.en = "Test"

[[profile]]
id = "name"
type = "text"
label.vi = "Tên"
label.en = "Name"

[[profile]]
id = "province"
type = "choice"
values_from = "provinces"
label.vi = "Tỉnh"
label.en = "Province"

[[profile]]
id = "sector"
type = "choice"
values_from = "sectors"
label.vi = "Ngành"
label.en = "Sector"

[[profile]]
id = "employees"
type = "number"
label.vi = "Số lao động"
label.en = "Employees"

[[dimension]]
id = "da"
weight = 0.7
title.vi = "A"
title.en = "A"

[[dimension]]
id = "db"
weight = 0.3
title.vi = "B"
title.en = "B"

[[section]]
id = "main"
title.vi = "Chính"
title.en = "Main"

[[question]]
id = "a"
section = "main"
dimension = "da"
type = "scale"
min = 0
max = 100
text.vi = "A"
text.en = "A"

[[question]]
id = "b"
section = "main"
dimension = "db"
type = "scale"
min = 0
max = 100
text.vi = "B"
text.en = "B"

[[consent]]
id = "processing"
purpose = "processing"
required = true
text.vi = "Đồng ý"
text.en = "I agree"

[[level]]
level = 0
min_score = 0
name.vi = "Mức 0"
name.en = "Level 0"
meaning.vi = "0"
meaning.en = "0"

[[level]]
level = 1
min_score = 30
name.vi = "Mức 1"
name.en = "Level 1"
meaning.vi = "1"
meaning.en = "1"

[[level]]
level = 2
min_score = 50
gate = "score('db') >= 40"
name.vi = "Mức 2"
name.en = "Level 2"
meaning.vi = "2"
meaning.en = "2"

[[level]]
level = 3
min_score = 70
gate = "score('da') >= 90"
name.vi = "Mức 3"
name.en = "Level 3"
meaning.vi = "3"
meaning.en = "3"

[[band]]
id = "low"
min_score = 0
name.vi = "Thấp"
name.en = "Low"

[[band]]
id = "high"
min_score = 50
name.vi = "Cao"
name.en = "High"
"#;

fn levels() -> &'static Definition {
    static DEF: OnceLock<Definition> = OnceLock::new();
    DEF.get_or_init(|| load_inline(LEVELS_TOML))
}

fn scored(a: f64, b: f64) -> ScoreResult {
    let mut sub = Submission::default();
    sub.answers.insert("a".into(), Answer::Number(a));
    sub.answers.insert("b".into(), Answer::Number(b));
    score(levels(), &sub)
}

#[test]
fn a_minimum_score_is_reached_exactly_at_its_value() {
    // 0.7 × 30 + 0.3 × 30 = 30: level 1 starts at 30, not above it.
    let at = scored(30.0, 30.0);
    assert!((at.overall - 30.0).abs() < 1e-9, "{}", at.overall);
    assert_eq!(at.level, 1);
    assert_eq!(scored(29.0, 30.0).level, 0);
    assert_eq!(scored(50.0, 50.0).level, 2);
    assert_eq!(scored(49.0, 50.0).level, 1);
}

#[test]
fn a_band_starts_exactly_at_its_minimum() {
    assert_eq!(scored(50.0, 50.0).band.as_deref(), Some("high"));
    assert_eq!(scored(49.0, 50.0).band.as_deref(), Some("low"));
    assert_eq!(scored(0.0, 0.0).band.as_deref(), Some("low"));
}

#[test]
fn a_failed_gate_drops_one_level() {
    // 0.7 × 60 + 0.3 × 39 = 53.7 reaches level 2's score, but b < 40 fails its gate.
    assert_eq!(scored(60.0, 39.0).level, 1);
    assert_eq!(scored(60.0, 40.0).level, 2);
}

#[test]
fn gates_are_cumulative() {
    // 0.7 × 100 + 0.3 × 30 = 79: level 3's score and gate (a ≥ 90) hold, but level 2's gate
    // (b ≥ 40) does not, so the firm cannot stand on level 3 either.
    let result = scored(100.0, 30.0);
    assert!(result.overall >= 70.0);
    assert_eq!(result.level, 1);
    assert_eq!(scored(100.0, 40.0).level, 3);
}

// ---------------------------------------------------------------------------------------------
// The real Mức 0–5 gates

/// The best answers to the real questionnaire with some questions given other points.
fn best_except(changes: &[(&str, f64)]) -> ScoreResult {
    let def = real();
    let mut sub = extreme_submission(&def, true);
    set_points(&def, &mut sub, changes);
    score(&def, &sub)
}

#[test]
fn without_e_invoices_a_firm_stays_at_muc_2_however_high_it_scores() {
    let result = best_except(&[("q19", 0.0)]);
    assert!(result.overall > 95.0, "{}", result.overall);
    assert_eq!(result.level, 2);
    // Issued on the provider's portal is enough for the gate.
    assert_eq!(best_except(&[("q19", 2.0)]).level, 5);
}

#[test]
fn weak_data_security_keeps_a_firm_below_muc_3() {
    #[rustfmt::skip]
    let result = best_except(&[
        ("q32", 1.0), ("q33", 1.0), ("q34", 1.0), ("q35", 2.0), ("q36", 2.0), ("q37", 2.0),
    ]);
    // d7 = 9/24 = 37.5 < 40.
    assert!(result.overall >= 85.0, "{}", result.overall);
    assert_eq!(result.level, 2);
}

#[test]
fn one_dimension_under_50_keeps_a_firm_at_muc_3() {
    // d3 = 6/16 = 37.5; Mức 4 needs every dimension at 50.
    let result = best_except(&[("q10", 2.0), ("q11", 2.0), ("q12", 2.0), ("q13", 0.0)]);
    assert!(result.overall >= 85.0, "{}", result.overall);
    assert_eq!(result.level, 3);
}

#[test]
fn one_dimension_under_70_keeps_a_firm_at_muc_4() {
    // d3 = 8/16 = 50; Mức 5 needs every dimension at 70.
    let result = best_except(&[("q10", 2.0), ("q11", 2.0), ("q12", 2.0), ("q13", 2.0)]);
    assert!(result.overall >= 85.0, "{}", result.overall);
    assert_eq!(result.level, 4);
}
