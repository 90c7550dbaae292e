//! One small inline questionnaire exercising every question type: how each is scored, what
//! "not applicable", hidden and unanswered questions do to the denominator, and what the
//! validator says about bad answers.

use std::sync::OnceLock;

use dxready::domain::questionnaire::{Definition, QuestionKind};
use dxready::domain::validate::{Field, Scope, clean, validate};
use dxready::domain::{Answer, Submission, score};

use crate::common::{assert_close, dimension_score, load_inline, many, number, one, text, today};

/// Two dimensions of equal weight. `d1`: a single choice with a "not applicable" option and a
/// capped multiple choice with an exclusive "none". `d2`: a 1–5 scale and a single choice shown
/// only to firms that sell online (an unscored question) and one shown only to traders (a
/// profile field). Plus an unscored number and an optional free text.
pub const TYPES_TOML: &str = r#"
format = "dxready/1"
id = "types"
version = "1.0.0"
title.vi = "Các loại câu hỏi"
title.en = "Question types"
intro.vi = "Bảng hỏi thử"
intro.en = "A test questionnaire"

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
min = 0
max = 1000
label.vi = "Số lao động"
label.en = "Employees"

[[profile]]
id = "trade"
type = "choice"
label.vi = "Xuất nhập khẩu"
label.en = "Trade"
  [[profile.option]]
  value = "none"
  label.vi = "Không"
  label.en = "No"
  [[profile.option]]
  value = "import"
  label.vi = "Nhập khẩu"
  label.en = "Import"

[[dimension]]
id = "d1"
weight = 0.5
title.vi = "Một"
title.en = "One"

[[dimension]]
id = "d2"
weight = 0.5
title.vi = "Hai"
title.en = "Two"

[[section]]
id = "main"
title.vi = "Chính"
title.en = "Main"

[[question]]
id = "sells_online"
section = "main"
type = "single_choice"
text.vi = "Có bán hàng trên mạng không?"
text.en = "Do you sell online?"
  [[question.option]]
  value = "no"
  label.vi = "Không"
  label.en = "No"
  [[question.option]]
  value = "yes"
  label.vi = "Có"
  label.en = "Yes"

[[question]]
id = "invoices"
section = "main"
dimension = "d1"
type = "single_choice"
required = true
text.vi = "Hóa đơn điện tử"
text.en = "E-invoices"
error.vi = "Chọn cách bạn lập hóa đơn"
error.en = "Choose how you issue invoices"
  [[question.option]]
  value = "paper"
  label.vi = "Giấy"
  label.en = "Paper"
  points = 0
  [[question.option]]
  value = "portal"
  label.vi = "Cổng"
  label.en = "Portal"
  points = 2
  [[question.option]]
  value = "software"
  label.vi = "Phần mềm"
  label.en = "Software"
  points = 4
  [[question.option]]
  value = "not_applicable"
  label.vi = "Không áp dụng"
  label.en = "Not applicable"
  not_applicable = true

[[question]]
id = "presence"
section = "main"
dimension = "d1"
type = "multiple_choice"
max_points = 2
max_choices = 2
text.vi = "Có mặt trên mạng"
text.en = "Online presence"
  [[question.option]]
  value = "website"
  label.vi = "Trang web"
  label.en = "Website"
  points = 1
  [[question.option]]
  value = "social"
  label.vi = "Mạng xã hội"
  label.en = "Social media"
  points = 1
  [[question.option]]
  value = "shop"
  label.vi = "Sàn"
  label.en = "Marketplace"
  points = 2
  [[question.option]]
  value = "none"
  label.vi = "Không có"
  label.en = "None"
  points = 0
  exclusive = true

[[question]]
id = "skills"
section = "main"
dimension = "d2"
type = "scale"
min = 1
max = 5
min_label.vi = "Thấp"
min_label.en = "Low"
max_label.vi = "Cao"
max_label.en = "High"
text.vi = "Kỹ năng số"
text.en = "Digital skills"

[[question]]
id = "online_share"
section = "main"
dimension = "d2"
type = "single_choice"
relevant = "${sells_online} = 'yes'"
text.vi = "Tỷ lệ doanh thu trên mạng"
text.en = "Share of revenue online"
  [[question.option]]
  value = "small"
  label.vi = "Ít"
  label.en = "Small"
  points = 0
  [[question.option]]
  value = "large"
  label.vi = "Nhiều"
  label.en = "Large"
  points = 4

[[question]]
id = "customs"
section = "main"
dimension = "d2"
type = "single_choice"
required = true
relevant = "${trade} != 'none'"
text.vi = "Hải quan điện tử"
text.en = "E-customs"
  [[question.option]]
  value = "paper"
  label.vi = "Giấy"
  label.en = "Paper"
  points = 0
  [[question.option]]
  value = "electronic"
  label.vi = "Điện tử"
  label.en = "Electronic"
  points = 4

[[question]]
id = "staff_count"
section = "main"
type = "number"
min = 0
max = 500
text.vi = "Số người dùng máy tính"
text.en = "People using a computer"

[[question]]
id = "comment"
section = "main"
type = "text"
max_length = 20
text.vi = "Ghi chú"
text.en = "Comment"

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
meaning.vi = "Chưa"
meaning.en = "Not yet"

[[level]]
level = 1
min_score = 50
name.vi = "Mức 1"
name.en = "Level 1"
meaning.vi = "Rồi"
meaning.en = "Done"
"#;

fn def() -> &'static Definition {
    static DEF: OnceLock<Definition> = OnceLock::new();
    DEF.get_or_init(|| load_inline(TYPES_TOML))
}

/// A trader who sells online, answering `answers`.
fn sub(answers: &[(&str, Answer)]) -> Submission {
    let mut sub = Submission::default();
    sub.profile.insert("name".into(), text("Cửa hàng Test"));
    sub.profile.insert("province".into(), text("hung-yen"));
    sub.profile.insert("sector".into(), text("retail"));
    sub.profile.insert("employees".into(), number(5.0));
    sub.profile.insert("trade".into(), text("import"));
    sub.answers.insert("sells_online".into(), one("yes"));
    for (id, answer) in answers {
        sub.answers.insert((*id).to_string(), answer.clone());
    }
    sub
}

fn points_and_max(sub: &Submission, dimension: &str) -> (f64, f64, usize) {
    let result = score(def(), sub);
    let d = result.dimension(dimension).expect("dimension exists");
    (d.points, d.max_points, d.counted)
}

fn errors_on(sub: &Submission, question: &str) -> Vec<String> {
    validate(def(), sub, Scope::Everything, today())
        .into_iter()
        .filter(|e| e.field == Field::Answer(question.into()))
        .map(|e| e.message.en)
        .collect()
}

#[test]
fn the_loader_works_out_each_questions_maximum() {
    let max = |id: &str| def().question(id).expect("question").max_points;
    assert_eq!(max("invoices"), Some(4.0), "single choice: best option");
    assert_eq!(max("presence"), Some(2.0), "multiple choice: the cap");
    assert_eq!(max("skills"), Some(4.0), "scale: max - min");
    assert_eq!(max("sells_online"), None, "unscored");
    assert_eq!(
        max("staff_count"),
        None,
        "number questions are never scored"
    );
    assert_eq!(max("comment"), None, "text questions are never scored");
    let kinds: Vec<QuestionKind> = def().questions.iter().map(|q| q.kind).collect();
    for kind in [
        QuestionKind::SingleChoice,
        QuestionKind::MultipleChoice,
        QuestionKind::Scale,
        QuestionKind::Number,
        QuestionKind::Text,
    ] {
        assert!(kinds.contains(&kind), "{kind:?} is exercised");
    }
}

#[test]
fn single_choice_scores_the_chosen_options_points() {
    for (value, points) in [("paper", 0.0), ("portal", 2.0), ("software", 4.0)] {
        let (got, max, counted) = points_and_max(&sub(&[("invoices", one(value))]), "d1");
        assert_eq!((got, max, counted), (points, 4.0, 1), "invoices = {value}");
    }
}

#[test]
fn single_choice_not_applicable_leaves_the_denominator() {
    let with_na = sub(&[
        ("invoices", one("not_applicable")),
        ("presence", many(&["website"])),
    ]);
    assert_eq!(points_and_max(&with_na, "d1"), (1.0, 2.0, 1));
    assert_eq!(dimension_score(&score(def(), &with_na), "d1"), Some(50.0));
    // Same result as not having the question at all.
    let without = sub(&[("presence", many(&["website"]))]);
    assert_eq!(
        score(def(), &with_na).dimensions,
        score(def(), &without).dimensions
    );
}

#[test]
fn single_choice_with_an_unknown_value_is_rejected_and_not_counted() {
    let s = sub(&[("invoices", one("fax"))]);
    assert_eq!(points_and_max(&s, "d1"), (0.0, 0.0, 0));
    assert_eq!(
        errors_on(&s, "invoices"),
        vec!["'fax' is not one of this question's options"]
    );
}

#[test]
fn multiple_choice_adds_the_chosen_options_points() {
    let (got, max, _) = points_and_max(&sub(&[("presence", many(&["website"]))]), "d1");
    assert_eq!((got, max), (1.0, 2.0));
    let (got, _, _) = points_and_max(&sub(&[("presence", many(&["website", "social"]))]), "d1");
    assert_eq!(got, 2.0);
}

#[test]
fn multiple_choice_is_capped_at_max_points() {
    // 1 + 2 = 3 points, capped at 2.
    let s = sub(&[("presence", many(&["website", "shop"]))]);
    assert_eq!(points_and_max(&s, "d1"), (2.0, 2.0, 1));
    assert!(errors_on(&s, "presence").is_empty());
}

#[test]
fn multiple_choice_exclusive_none_scores_zero_and_counts() {
    let s = sub(&[("presence", many(&["none"]))]);
    assert_eq!(points_and_max(&s, "d1"), (0.0, 2.0, 1));
    assert_eq!(dimension_score(&score(def(), &s), "d1"), Some(0.0));
    assert!(errors_on(&s, "presence").is_empty());
}

#[test]
fn multiple_choice_exclusive_option_cannot_be_combined() {
    let s = sub(&[("presence", many(&["website", "none"]))]);
    assert_eq!(
        errors_on(&s, "presence"),
        vec!["“None” cannot be combined with other options"]
    );
}

#[test]
fn multiple_choice_rejects_more_than_max_choices() {
    let s = sub(&[("presence", many(&["website", "social", "shop"]))]);
    assert_eq!(errors_on(&s, "presence"), vec!["Choose at most 2 options"]);
}

#[test]
fn multiple_choice_rejects_repeated_and_unknown_options() {
    let repeated = sub(&[("presence", many(&["website", "website"]))]);
    assert_eq!(
        errors_on(&repeated, "presence"),
        vec!["Choose each option only once"]
    );
    let unknown = sub(&[("presence", many(&["radio"]))]);
    assert_eq!(
        errors_on(&unknown, "presence"),
        vec!["'radio' is not one of this question's options"]
    );
}

#[test]
fn multiple_choice_with_nothing_chosen_leaves_the_denominator() {
    let s = sub(&[
        ("invoices", one("portal")),
        ("presence", Answer::Many(vec![])),
    ]);
    assert_eq!(points_and_max(&s, "d1"), (2.0, 4.0, 1));
}

#[test]
fn scale_scores_linearly_from_min_to_max() {
    for (value, points) in [(1.0, 0.0), (2.0, 1.0), (3.0, 2.0), (5.0, 4.0)] {
        let s = sub(&[("skills", Answer::Number(value))]);
        assert_eq!(
            points_and_max(&s, "d2"),
            (points, 4.0, 1),
            "skills = {value}"
        );
        assert!(errors_on(&s, "skills").is_empty());
    }
}

#[test]
fn scale_rejects_values_outside_the_range_or_between_steps() {
    for bad in [0.0, 6.0, 2.5] {
        let s = sub(&[("skills", Answer::Number(bad))]);
        assert_eq!(
            errors_on(&s, "skills"),
            vec!["Choose a whole number from 1 to 5"],
            "skills = {bad}"
        );
    }
}

#[test]
fn number_question_is_checked_but_never_scored() {
    let base = score(def(), &sub(&[("invoices", one("portal"))]));
    for n in [0.0, 250.0, 500.0] {
        let s = sub(&[
            ("invoices", one("portal")),
            ("staff_count", Answer::Number(n)),
        ]);
        assert_eq!(score(def(), &s), base, "staff_count = {n}");
        assert!(errors_on(&s, "staff_count").is_empty());
    }
    let too_many = sub(&[("staff_count", Answer::Number(501.0))]);
    assert_eq!(
        errors_on(&too_many, "staff_count"),
        vec!["Enter a number from 0 to 500"]
    );
    let wrong_shape = sub(&[("staff_count", one("many"))]);
    assert_eq!(
        errors_on(&wrong_shape, "staff_count"),
        vec!["This answer has the wrong shape for a number question"]
    );
}

#[test]
fn text_question_is_checked_but_never_scored() {
    let base = score(def(), &sub(&[("invoices", one("portal"))]));
    let s = sub(&[("invoices", one("portal")), ("comment", one("Cảm ơn"))]);
    assert_eq!(score(def(), &s), base);
    assert!(errors_on(&s, "comment").is_empty());
    let long = sub(&[("comment", one(&"a".repeat(21)))]);
    assert_eq!(
        errors_on(&long, "comment"),
        vec!["Keep it under 20 characters"]
    );
    // Twenty Vietnamese characters are twenty characters, not forty-odd bytes.
    let vietnamese = sub(&[("comment", one(&"ạ".repeat(20)))]);
    assert!(errors_on(&vietnamese, "comment").is_empty());
}

#[test]
fn unanswered_optional_questions_leave_the_denominator_without_errors() {
    let s = sub(&[("invoices", one("software")), ("customs", one("paper"))]);
    // presence (d1), skills and online_share (d2) unanswered: only answered questions count.
    assert_eq!(points_and_max(&s, "d1"), (4.0, 4.0, 1));
    assert_eq!(points_and_max(&s, "d2"), (0.0, 4.0, 1));
    for optional in [
        "presence",
        "skills",
        "online_share",
        "staff_count",
        "comment",
    ] {
        assert!(errors_on(&s, optional).is_empty(), "{optional}");
    }
}

#[test]
fn unanswered_required_question_gets_its_own_error_message() {
    let s = sub(&[]);
    assert_eq!(
        errors_on(&s, "invoices"),
        vec!["Choose how you issue invoices"]
    );
    assert_eq!(errors_on(&s, "customs"), vec!["Choose one answer"]);
}

#[test]
fn a_dimension_with_nothing_counted_has_no_score_and_no_weight() {
    let s = sub(&[("invoices", one("portal"))]);
    let result = score(def(), &s);
    assert_eq!(dimension_score(&result, "d2"), None);
    // Overall is d1 alone (50), not 0.5 × 50 + 0.5 × 0.
    assert_close(result.overall, 50.0, "overall");
    let nothing = score(def(), &sub(&[]));
    assert_eq!(nothing.overall, 0.0);
    assert_eq!(nothing.level, 0);
}

#[test]
fn overall_is_the_weighted_mean_of_dimension_scores() {
    let s = sub(&[
        ("invoices", one("software")),   // d1 4/4
        ("presence", many(&["none"])),   // d1 0/2 → d1 = 4/6
        ("skills", Answer::Number(4.0)), // d2 3/4
        ("online_share", one("large")),  // d2 4/4
        ("customs", one("paper")),       // d2 0/4 → d2 = 7/12
    ]);
    let result = score(def(), &s);
    let d1 = 100.0 * 4.0 / 6.0;
    let d2 = 100.0 * 7.0 / 12.0;
    assert_close(dimension_score(&result, "d1").unwrap(), d1, "d1");
    assert_close(dimension_score(&result, "d2").unwrap(), d2, "d2");
    assert_close(result.overall, 0.5 * d1 + 0.5 * d2, "overall");
    assert_eq!(result.level, 1);
}

#[test]
fn a_question_hidden_by_an_unscored_answer_leaves_the_denominator() {
    let mut hidden = sub(&[
        ("skills", Answer::Number(5.0)),
        ("online_share", one("small")),
    ]);
    hidden.answers.insert("sells_online".into(), one("no"));
    // online_share is hidden, so its 0 points and its 4 possible points are both ignored.
    assert_eq!(points_and_max(&hidden, "d2"), (4.0, 4.0, 1));
    let shown = {
        let mut s = hidden.clone();
        s.answers.insert("sells_online".into(), one("yes"));
        s
    };
    assert_eq!(points_and_max(&shown, "d2"), (4.0, 8.0, 2));
}

#[test]
fn a_question_hidden_by_the_profile_leaves_the_denominator_and_its_answer_is_ignored() {
    let mut no_trade = sub(&[("skills", Answer::Number(5.0)), ("customs", one("paper"))]);
    no_trade.profile.insert("trade".into(), text("none"));
    assert_eq!(points_and_max(&no_trade, "d2"), (4.0, 4.0, 1));
    let mut without_answer = no_trade.clone();
    without_answer.answers.remove("customs");
    assert_eq!(score(def(), &no_trade), score(def(), &without_answer));
    // Hidden required questions are not required, and cleaning drops their stale answers.
    assert!(errors_on(&no_trade, "customs").is_empty());
    assert!(!clean(def(), &no_trade).answers.contains_key("customs"));
    assert!(clean(def(), &no_trade).answers.contains_key("skills"));
}

#[test]
fn a_relevance_condition_on_a_missing_profile_value_hides_the_question() {
    let mut s = sub(&[
        ("skills", Answer::Number(1.0)),
        ("customs", one("electronic")),
    ]);
    s.profile.remove("trade");
    // `${trade} != 'none'` with no trade is null, and null makes every comparison false.
    assert_eq!(points_and_max(&s, "d2"), (0.0, 4.0, 1));
}

#[test]
fn an_answer_to_an_unknown_question_is_rejected_and_ignored() {
    let s = sub(&[("invoices", one("portal")), ("q99", one("x"))]);
    assert_eq!(
        errors_on(&s, "q99"),
        vec!["There is no such question in this questionnaire"]
    );
    assert_eq!(
        score(def(), &s),
        score(def(), &sub(&[("invoices", one("portal"))]))
    );
}

/// The types questionnaire without the cap on `presence`: its best valid answer is then the
/// marketplace (2) plus one more (1), since at most two options may be ticked.
fn uncapped() -> Definition {
    let source = TYPES_TOML.replacen("max_points = 2\nmax_choices = 2", "max_choices = 2", 1);
    assert_ne!(source, TYPES_TOML);
    load_inline(&source)
}

#[test]
fn a_multiple_choice_maximum_respects_max_choices() {
    let def = uncapped();
    assert_eq!(
        def.question("presence").and_then(|q| q.max_points),
        Some(3.0)
    );
    let best = sub(&[
        ("invoices", one("software")),
        ("presence", many(&["shop", "website"])),
    ]);
    assert!(errors_on(&best, "presence").is_empty());
    assert_eq!(dimension_score(&score(&def, &best), "d1"), Some(100.0));
}

#[test]
fn an_exclusive_option_worth_more_than_any_combination_sets_the_maximum() {
    use dxready::domain::questionnaire::extreme_submission;
    // Website 0, social 1, marketplace 2: two of them give at most 3; "none" alone gives 4.
    let source = TYPES_TOML
        .replacen("max_points = 2\nmax_choices = 2", "max_choices = 2", 1)
        .replacen(
            "label.en = \"Website\"\n  points = 1",
            "label.en = \"Website\"\n  points = 0",
            1,
        )
        .replacen(
            "points = 0\n  exclusive = true",
            "points = 4\n  exclusive = true",
            1,
        );
    let def = load_inline(&source);
    assert_eq!(
        def.question("presence").and_then(|q| q.max_points),
        Some(4.0)
    );
    assert_eq!(
        extreme_submission(&def, true).answers.get("presence"),
        Some(&many(&["none"]))
    );
}

#[test]
fn the_best_answers_the_loader_checks_are_answers_a_respondent_can_give() {
    use dxready::domain::questionnaire::extreme_submission;
    for def in [def().clone(), uncapped()] {
        for best in [true, false] {
            let mut sub = extreme_submission(&def, best);
            sub.profile = self::sub(&[]).profile;
            let errors: Vec<_> = validate(&def, &sub, Scope::Everything, today())
                .into_iter()
                .filter(|e| matches!(e.field, Field::Answer(_)))
                .collect();
            assert!(errors.is_empty(), "best = {best}: {errors:#?}");
        }
    }
}

/// The form marks every field that is not required as "(không bắt buộc)" / "(optional)"; a
/// label that says so itself would show it twice.
#[test]
fn labels_leave_optional_to_the_form() {
    let def = crate::common::real();
    let labels = def
        .profile
        .iter()
        .map(|f| (&f.id, &f.label))
        .chain(def.questions.iter().map(|q| (&q.id, &q.text)));
    for (id, label) in labels {
        assert!(
            !label.vi.contains("không bắt buộc") && !label.en.contains("optional"),
            "{id}: {label:?}"
        );
    }
}
