//! Roadmap rules r01–r27 of the real questionnaire, one row each: a firm where the rule fires and
//! firms just across its condition where it does not. Then the ordering inside phases, the
//! e-mail summary, evidence and the support programmes offered.

use dxready::domain::questionnaire::{Category, Definition, Phase, extreme_submission};
use dxready::domain::roadmap::{Roadmap, RoadmapItem};
use dxready::domain::scoring::ScoreResult;
use dxready::domain::{ProfileValue, Submission, Text, roadmap, score};

use std::sync::Arc;

use crate::common::{
    date, evaluate, fixtures_dir, many, number, real, set_points, text, today, with_programmes,
};

/// A service firm in Hưng Yên, founded 2015, no trade, answering in the middle of every scale:
/// no barrier flag, level 3 and no rule except the unconditional r27.
fn baseline() -> Submission {
    let def = real();
    let mut sub = Submission::default();
    for (field, value) in [
        ("name", text("Công ty Dịch vụ Mẫu")),
        ("province", text("hung-yen")),
        ("sector", text("services")),
        ("employees", number(5.0)),
        ("revenue_band", text("lt3")),
        ("founded_year", number(2015.0)),
        ("trade", text("none")),
        ("ocop", ProfileValue::Bool(false)),
    ] {
        sub.profile.insert(field.into(), value);
    }
    #[rustfmt::skip]
    set_points(&def, &mut sub, &[
        ("q1", 3.0), ("q2", 3.0), ("q3", 2.0), ("q4", 3.0), ("q5", 3.0),
        ("q6", 3.0), ("q7", 2.0), ("q8", 3.0), ("q9", 2.0),
        ("q10", 2.0), ("q11", 3.0), ("q12", 2.0), ("q13", 2.0),
        ("q14", 3.0), ("q15", 3.0), ("q16", 3.0), ("q17", 2.0), ("q18", 2.0),
        ("q19", 2.0), ("q20", 3.0), ("q21", 2.0), ("q23", 2.0), ("q24", 2.0), ("q25", 2.0),
        ("q26", 2.0), ("q27", 2.0), ("q28", 0.0), ("q29", 2.0), ("q30", 3.0),
        ("q32", 2.0), ("q33", 2.0), ("q34", 2.0), ("q35", 2.0), ("q36", 2.0), ("q37", 3.0),
    ]);
    sub
}

/// A change to the baseline: other facts first, then answers by points.
#[derive(Clone, Copy)]
struct Change {
    set: &'static [Set],
    points: &'static [(&'static str, f64)],
}

/// One fact about the firm that differs from the baseline.
#[derive(Clone, Copy)]
enum Set {
    /// A text or choice profile field.
    Text(&'static str, &'static str),
    Number(&'static str, f64),
    Bool(&'static str, bool),
    /// The obstacles the owner ticks (p6_obstacles).
    Obstacles(&'static [&'static str]),
    /// Every scored question at its best.
    BestAnswers,
}

const fn pts(points: &'static [(&'static str, f64)]) -> Change {
    Change { set: &[], points }
}

impl Change {
    fn apply(&self, def: &Definition) -> Submission {
        let mut sub = baseline();
        for fact in self.set {
            match *fact {
                Set::Text(field, v) => {
                    sub.profile.insert(field.into(), text(v));
                }
                Set::Number(field, n) => {
                    sub.profile.insert(field.into(), number(n));
                }
                Set::Bool(field, b) => {
                    sub.profile.insert(field.into(), ProfileValue::Bool(b));
                }
                Set::Obstacles(list) => {
                    sub.answers.insert("p6_obstacles".into(), many(list));
                }
                Set::BestAnswers => {
                    sub.answers = extreme_submission(def, true).answers;
                }
            }
        }
        set_points(def, &mut sub, self.points);
        sub
    }
}

struct RuleCase {
    id: &'static str,
    phase: Phase,
    category: Category,
    agency_flag: Option<&'static str>,
    fires: Change,
    /// Firms just across the rule's condition.
    does_not_fire: &'static [Change],
    /// What the evidence must name, in order: question or profile ids, `flag:…`, `score:…`,
    /// `level`.
    evidence: &'static [&'static str],
}

use Category::{Barrier, Compliance, Growth, Security};
use Phase::{Scale, StartSmall, StartSmart};

/// Founded this year: at most 5 months old on [`today`] (2026-06-01).
const NEW_FIRM: &[Set] = &[Set::Number("founded_year", 2026.0)];
/// Founded last year: 17 months old at most, past "not more than one year".
const OLDER_FIRM: &[Set] = &[Set::Number("founded_year", 2025.0)];
const IMPORTER: &[Set] = &[Set::Text("trade", "import")];
const RETAILER: &[Set] = &[Set::Text("sector", "retail")];
const FOOD_PROCESSOR: &[Set] = &[Set::Text("sector", "food_processing")];

#[rustfmt::skip]
const RULES: &[RuleCase] = &[
    RuleCase { id: "r01", phase: StartSmart, category: Compliance, agency_flag: Some("compliance_risk"),
        fires: pts(&[("q19", 0.0)]),
        does_not_fire: &[pts(&[("q19", 2.0)])],
        evidence: &["q19"] },
    RuleCase { id: "r02", phase: StartSmart, category: Compliance, agency_flag: None,
        fires: Change { points: &[("q20", 1.0)], set: NEW_FIRM },
        does_not_fire: &[
            Change { points: &[("q20", 1.0)], set: OLDER_FIRM },
            Change { points: &[("q20", 2.0)], set: NEW_FIRM },
        ],
        evidence: &["q20", "new_business"] },
    RuleCase { id: "r03", phase: StartSmart, category: Compliance, agency_flag: None,
        fires: Change { points: &[("q20", 1.0)], set: OLDER_FIRM },
        does_not_fire: &[
            Change { points: &[("q20", 1.0)], set: NEW_FIRM },
            pts(&[("q20", 2.0)]),
        ],
        evidence: &["q20", "new_business"] },
    RuleCase { id: "r04", phase: StartSmall, category: Compliance, agency_flag: None,
        fires: pts(&[("q20", 2.0)]),
        does_not_fire: &[pts(&[("q20", 1.0)]), pts(&[("q20", 3.0)])],
        evidence: &["q20"] },
    RuleCase { id: "r05", phase: StartSmart, category: Compliance, agency_flag: None,
        fires: pts(&[("q21", 1.0)]),
        does_not_fire: &[pts(&[("q21", 2.0)])],
        evidence: &["q21"] },
    RuleCase { id: "r06", phase: StartSmall, category: Compliance, agency_flag: None,
        fires: Change { points: &[("q22", 2.0)], set: IMPORTER },
        does_not_fire: &[
            Change { points: &[("q22", 3.0)], set: IMPORTER },
            // No trade: q22 is hidden, so even a stale "paper via broker" answer is ignored.
            pts(&[("q22", 0.0)]),
        ],
        evidence: &["trade", "q22"] },
    RuleCase { id: "r07", phase: StartSmart, category: Barrier, agency_flag: Some("awareness"),
        fires: Change { points: &[], set: &[Set::Obstacles(&["awareness"])] },
        does_not_fire: &[Change { points: &[], set: &[Set::Obstacles(&["cost"])] }],
        evidence: &["flag:awareness"] },
    RuleCase { id: "r08", phase: StartSmart, category: Barrier, agency_flag: Some("needs_adviser"),
        fires: pts(&[("q7", 0.0)]),
        does_not_fire: &[pts(&[("q6", 2.0), ("q7", 2.0)])],
        evidence: &["flag:roadmap"] },
    RuleCase { id: "r09", phase: StartSmart, category: Barrier, agency_flag: Some("funding_candidate"),
        fires: pts(&[("q11", 1.0)]),
        does_not_fire: &[pts(&[("q11", 2.0)])],
        evidence: &["flag:cost"] },
    RuleCase { id: "r10", phase: StartSmart, category: Barrier, agency_flag: Some("skills"),
        fires: pts(&[("q14", 1.0)]),
        does_not_fire: &[pts(&[("q14", 2.0)])],
        evidence: &["flag:staffing"] },
    RuleCase { id: "r11", phase: StartSmart, category: Security, agency_flag: Some("security_risk"),
        fires: pts(&[("q32", 1.0), ("q33", 1.0)]),
        does_not_fire: &[pts(&[("q32", 2.0), ("q33", 2.0)])],
        evidence: &["flag:security"] },
    RuleCase { id: "r12", phase: StartSmart, category: Security, agency_flag: None,
        fires: pts(&[("q32", 1.0)]),
        does_not_fire: &[pts(&[("q32", 2.0)])],
        evidence: &["q32"] },
    RuleCase { id: "r13", phase: StartSmart, category: Compliance, agency_flag: None,
        fires: pts(&[("q36", 1.0)]),
        does_not_fire: &[pts(&[("q36", 2.0)])],
        evidence: &["q36"] },
    RuleCase { id: "r14", phase: StartSmall, category: Growth, agency_flag: None,
        fires: pts(&[("q23", 1.0)]),
        does_not_fire: &[pts(&[("q23", 2.0)])],
        evidence: &["q23"] },
    RuleCase { id: "r15", phase: StartSmall, category: Growth, agency_flag: None,
        fires: pts(&[("q24", 1.0)]),
        does_not_fire: &[pts(&[("q24", 2.0)])],
        evidence: &["q24"] },
    RuleCase { id: "r16", phase: StartSmall, category: Growth, agency_flag: None,
        fires: pts(&[("q25", 1.0)]),
        does_not_fire: &[pts(&[("q25", 2.0)])],
        evidence: &["q25"] },
    RuleCase { id: "r17", phase: StartSmart, category: Growth, agency_flag: None,
        fires: pts(&[("q26", 1.0)]),
        does_not_fire: &[pts(&[("q26", 2.0)])],
        evidence: &["q26"] },
    RuleCase { id: "r18", phase: StartSmall, category: Growth, agency_flag: Some("ecommerce_candidate"),
        fires: Change { points: &[("q27", 1.0)], set: RETAILER },
        does_not_fire: &[
            Change { points: &[("q27", 2.0)], set: RETAILER },
            pts(&[("q27", 0.0)]),
        ],
        evidence: &["q27", "sector"] },
    RuleCase { id: "r19", phase: Scale, category: Growth, agency_flag: None,
        fires: pts(&[("q27", 2.0), ("q28", 2.0)]),
        does_not_fire: &[pts(&[("q27", 2.0), ("q28", 1.0)]), pts(&[("q27", 1.0), ("q28", 4.0)])],
        evidence: &["q27", "q28"] },
    RuleCase { id: "r20", phase: StartSmart, category: Growth, agency_flag: None,
        fires: pts(&[("q29", 1.0)]),
        does_not_fire: &[pts(&[("q29", 2.0)])],
        evidence: &["q29"] },
    RuleCase { id: "r21", phase: Scale, category: Growth, agency_flag: None,
        fires: pts(&[("q29", 2.0), ("q23", 3.0)]),
        does_not_fire: &[pts(&[("q29", 2.0), ("q23", 2.0)]), pts(&[("q29", 1.0), ("q23", 3.0)])],
        evidence: &["q29", "q23"] },
    RuleCase { id: "r22", phase: StartSmall, category: Growth, agency_flag: Some("traceability"),
        fires: Change { points: &[("q31", 2.0)], set: FOOD_PROCESSOR },
        does_not_fire: &[
            Change { points: &[("q31", 3.0)], set: FOOD_PROCESSOR },
            // OCOP or not, a services firm is never asked q31.
            Change { points: &[], set: &[Set::Bool("ocop", true)] },
        ],
        evidence: &["ocop", "sector", "q31"] },
    RuleCase { id: "r23", phase: StartSmall, category: Growth, agency_flag: None,
        fires: pts(&[("q30", 2.0)]),
        does_not_fire: &[pts(&[("q30", 3.0)])],
        evidence: &["q30"] },
    RuleCase { id: "r24", phase: Scale, category: Growth, agency_flag: None,
        fires: pts(&[("q37", 2.0)]),
        // q19 = 0 takes Digital operations from 54 to 46.
        does_not_fire: &[pts(&[("q37", 2.0), ("q19", 0.0)]), pts(&[("q37", 3.0)])],
        evidence: &["q37", "score:d5"] },
    RuleCase { id: "r25", phase: Scale, category: Growth, agency_flag: None,
        fires: pts(&[("q23", 3.0), ("q24", 3.0)]),
        does_not_fire: &[pts(&[("q23", 3.0), ("q24", 2.0)]), pts(&[("q23", 2.0), ("q24", 3.0)])],
        evidence: &["q23", "q24"] },
    RuleCase { id: "r26", phase: Scale, category: Growth, agency_flag: Some("showcase"),
        fires: Change { points: &[], set: &[Set::BestAnswers] },
        does_not_fire: &[pts(&[])],
        evidence: &["level"] },
    RuleCase { id: "r27", phase: Scale, category: Growth, agency_flag: Some("t1_due"),
        fires: pts(&[]),
        does_not_fire: &[],
        evidence: &[] },
];

fn fired(map: &Roadmap) -> Vec<&str> {
    map.items.iter().map(|i| i.id.as_str()).collect()
}

/// The label an evidence entry must carry for `what` (see [`RuleCase::evidence`]).
fn expected_label(def: &Definition, what: &str) -> Text {
    if let Some(flag) = what.strip_prefix("flag:") {
        return def.barrier(flag).expect("barrier").title.clone();
    }
    if let Some(dim) = what.strip_prefix("score:") {
        return def.dimension(dim).expect("dimension").title.clone();
    }
    match what {
        "level" => Text::new("Mức sẵn sàng", "Readiness level"),
        "new_business" => Text::new("Doanh nghiệp mới thành lập", "Newly founded business"),
        id => def.question(id).map_or_else(
            || def.profile_field(id).expect("profile field").label.clone(),
            |q| q.text.clone(),
        ),
    }
}

#[test]
fn the_table_covers_every_rule_of_the_questionnaire_in_file_order() {
    let def = real();
    let ids: Vec<&str> = def.rules.iter().map(|r| r.id.as_str()).collect();
    let table: Vec<&str> = RULES.iter().map(|c| c.id).collect();
    assert_eq!(ids, table);
    assert_eq!(ids.len(), 27);
}

#[test]
fn the_baseline_firm_triggers_only_the_unconditional_rule() {
    let (result, map) = evaluate(&real(), &baseline());
    assert!(result.barriers.is_empty(), "{:?}", result.barriers);
    assert_eq!(result.level, 3);
    assert_eq!(fired(&map), vec!["r27"]);
    assert_eq!(map.agency_flags, vec!["t1_due"]);
}

#[test]
fn each_rule_fires_when_its_condition_holds() {
    let def = real();
    for case in RULES {
        let sub = case.fires.apply(&def);
        let (_, map) = evaluate(&def, &sub);
        let item: &RoadmapItem = map
            .items
            .iter()
            .find(|i| i.id == case.id)
            .unwrap_or_else(|| panic!("{} does not fire; fired: {:?}", case.id, fired(&map)));
        assert_eq!(item.phase, case.phase, "{} phase", case.id);
        assert_eq!(item.category, case.category, "{} category", case.id);
        let rule = def.rules.iter().find(|r| r.id == case.id).expect("rule");
        assert_eq!(item.title, rule.title, "{} title", case.id);
        assert_eq!(item.why, rule.why, "{} why", case.id);
        assert!(!item.steps.is_empty(), "{} has steps", case.id);
        let described: Vec<_> = item.evidence.iter().map(|e| e.describe(&def)).collect();
        let labels: Vec<&Text> = described.iter().map(|e| &e.label).collect();
        let expected: Vec<Text> = case
            .evidence
            .iter()
            .map(|w| expected_label(&def, w))
            .collect();
        assert_eq!(
            labels,
            expected.iter().collect::<Vec<_>>(),
            "{} evidence",
            case.id
        );
        for e in &described {
            assert!(
                e.value.missing().is_empty(),
                "{} evidence {:?} has a value in both languages",
                case.id,
                e.label.en
            );
        }
        if let Some(flag) = case.agency_flag {
            assert!(
                map.agency_flags.iter().any(|f| f == flag),
                "{} raises {flag}: {:?}",
                case.id,
                map.agency_flags
            );
        }
    }
}

#[test]
fn each_rule_stays_quiet_just_across_its_condition() {
    let def = real();
    for case in RULES {
        for (n, change) in case.does_not_fire.iter().enumerate() {
            let (_, map) = evaluate(&def, &change.apply(&def));
            assert!(
                !fired(&map).contains(&case.id),
                "{} fires in its counter-example #{}: {:?}",
                case.id,
                n + 1,
                fired(&map)
            );
            if let Some(flag) = case.agency_flag
                && !RULES
                    .iter()
                    .any(|other| other.id != case.id && other.agency_flag == Some(flag))
            {
                assert!(!map.agency_flags.iter().any(|f| f == flag), "{}", case.id);
            }
        }
    }
}

#[test]
fn evidence_names_the_chosen_option() {
    let def = real();
    let (_, map) = evaluate(&def, &pts(&[("q19", 0.0)]).apply(&def));
    let r01 = map.items.iter().find(|i| i.id == "r01").expect("r01");
    let not_yet = def
        .question("q19")
        .and_then(|q| q.option("not_yet"))
        .expect("q19 not_yet");
    assert_eq!(r01.evidence[0].describe(&def).value, not_yet.label);

    let (_, map) = evaluate(&def, &pts(&[("q37", 2.0)]).apply(&def));
    let r24 = map.items.iter().find(|i| i.id == "r24").expect("r24");
    assert_eq!(r24.evidence[1].describe(&def).value.en, "54/100 points");
}

#[test]
fn evidence_says_whether_a_barrier_was_named_or_inferred() {
    let def = real();
    let value_of = |change: Change| {
        let (_, map) = evaluate(&def, &change.apply(&def));
        let r07 = map.items.iter().find(|i| i.id == "r07").expect("r07");
        r07.evidence[0].describe(&def).value.en.clone()
    };
    let named = Change {
        points: &[],
        set: &[Set::Obstacles(&["awareness"])],
    };
    let shown = pts(&[("q1", 1.0)]);
    let both = Change {
        points: &[("q1", 1.0)],
        set: &[Set::Obstacles(&["awareness"])],
    };
    assert_eq!(value_of(named), "You named it");
    assert_eq!(value_of(shown), "Your answers show it");
    assert_eq!(value_of(both), "You named it and your answers show it");
}

#[test]
fn security_risk_is_flagged_only_when_both_backup_and_access_are_weak() {
    let def = real();
    let (_, map) = evaluate(&def, &pts(&[("q33", 1.0)]).apply(&def));
    assert!(fired(&map).contains(&"r11"));
    assert!(!map.agency_flags.iter().any(|f| f == "security_risk"));
}

#[test]
fn the_unconditional_rule_fires_for_the_worst_and_the_best_firm() {
    let def = real();
    for best in [false, true] {
        let mut sub = extreme_submission(&def, best);
        sub.profile = baseline().profile;
        let (_, map) = evaluate(&def, &sub);
        assert!(fired(&map).contains(&"r27"), "best = {best}");
    }
}

// ---------------------------------------------------------------------------------------------
// Ordering and the e-mail summary

fn worst_firm() -> Submission {
    let def = real();
    let mut sub = extreme_submission(&def, false);
    sub.profile = baseline().profile;
    sub.profile.insert("sector".into(), text("food_processing"));
    sub.profile.insert("trade".into(), text("export"));
    sub
}

#[test]
fn items_are_ordered_by_phase_then_category_then_file_order() {
    let def = real();
    let (_, map) = evaluate(&def, &worst_firm());
    let file_order = |id: &str| def.rules.iter().position(|r| r.id == id).expect("rule");
    let keys: Vec<_> = map
        .items
        .iter()
        .map(|i| (i.phase, i.category, file_order(&i.id)))
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    let by_phase = |phase| map.phase(phase).map(|i| i.id.as_str()).collect::<Vec<_>>();
    assert_eq!(
        by_phase(StartSmart),
        vec![
            "r01", "r03", "r05", "r13", // compliance
            "r11", "r12", // security
            "r07", "r08", "r09", "r10", // barriers
            "r17", "r20", // growth
        ]
    );
    assert_eq!(
        by_phase(StartSmall),
        vec!["r06", "r14", "r15", "r16", "r18", "r22", "r23"]
    );
    assert_eq!(by_phase(Scale), vec!["r27"]);
}

#[test]
fn the_summary_marks_the_first_three_items_of_each_phase() {
    let (_, map) = evaluate(&real(), &worst_firm());
    let summary: Vec<(Phase, &str)> = map
        .items
        .iter()
        .filter(|i| i.summary)
        .map(|i| (i.phase, i.id.as_str()))
        .collect();
    assert_eq!(
        summary,
        vec![
            (StartSmart, "r01"),
            (StartSmart, "r03"),
            (StartSmart, "r05"),
            (StartSmall, "r06"),
            (StartSmall, "r14"),
            (StartSmall, "r15"),
            (Scale, "r27"),
        ]
    );
}

#[test]
fn the_summary_puts_security_before_barriers_before_growth_whatever_the_file_order() {
    let def = real();
    // r07 (barrier) and r17 (growth) come before r11/r12 (security) in the file.
    let sub = pts(&[("q1", 1.0), ("q26", 1.0), ("q32", 1.0)]).apply(&def);
    let (_, map) = evaluate(&def, &sub);
    let start_smart: Vec<(&str, bool)> = map
        .phase(StartSmart)
        .map(|i| (i.id.as_str(), i.summary))
        .collect();
    assert_eq!(
        start_smart,
        vec![("r11", true), ("r12", true), ("r07", true), ("r17", false)]
    );
}

#[test]
fn a_phase_with_fewer_than_three_items_has_them_all_in_the_summary() {
    let def = real();
    let (_, map) = evaluate(&def, &pts(&[("q27", 2.0), ("q28", 2.0)]).apply(&def));
    let scale: Vec<(&str, bool)> = map
        .phase(Scale)
        .map(|i| (i.id.as_str(), i.summary))
        .collect();
    assert_eq!(scale, vec![("r19", true), ("r27", true)]);
    assert_eq!(map.phase(StartSmart).count(), 0);
}

// ---------------------------------------------------------------------------------------------
// Support programmes: province, size class, firm age and date

fn support_ids(map: &Roadmap, rule: &str) -> Vec<String> {
    map.items
        .iter()
        .find(|i| i.id == rule)
        .unwrap_or_else(|| panic!("{rule} did not fire: {:?}", fired(map)))
        .support
        .iter()
        .map(|s| s.id.clone())
        .collect()
}

fn roadmap_on(sub: &Submission, on: chrono::NaiveDate) -> Roadmap {
    let def = real();
    let result: ScoreResult = score(&def, sub);
    roadmap(&def, sub, &result, on)
}

fn with_profile(mut sub: Submission, field: &str, value: ProfileValue) -> Submission {
    sub.profile.insert(field.into(), value);
    sub
}

#[test]
fn an_expired_programme_never_appears_and_a_future_one_not_yet() {
    // Fixture programmes: a 2025 round that has ended and a round opening in 2028.
    let def = Arc::new(with_programmes(
        &real(),
        &fixtures_dir().join("programmes/expired-and-future.toml"),
    ));
    let no_e_invoice = pts(&[("q19", 0.0)]).apply(&def);
    let offered = |day| {
        let result = score(&def, &no_e_invoice);
        let ids = support_ids(&roadmap(&def, &no_e_invoice, &result, day), "r01");
        let fixtures = ["e-invoice-cash-register-2025", "e-invoice-future-round"];
        ids.into_iter()
            .filter(|id| fixtures.contains(&id.as_str()))
            .collect::<Vec<_>>()
    };
    assert!(offered(today()).is_empty());
    assert_eq!(
        offered(date(2025, 6, 1)),
        vec!["e-invoice-cash-register-2025"]
    );
    // valid_to is the last day it is offered, valid_from the first.
    assert_eq!(
        offered(date(2025, 12, 31)),
        vec!["e-invoice-cash-register-2025"]
    );
    assert!(offered(date(2026, 1, 1)).is_empty());
    assert!(offered(date(2027, 12, 31)).is_empty());
    assert_eq!(offered(date(2028, 1, 1)), vec!["e-invoice-future-round"]);
}

#[test]
fn a_province_only_programme_appears_only_in_that_province() {
    let def = real();
    let new_firm = Change {
        points: &[("q20", 1.0)],
        set: NEW_FIRM,
    }
    .apply(&def);
    let in_hung_yen = roadmap_on(&new_firm, today());
    let hai_phong = with_profile(new_firm.clone(), "province", text("hai-phong"));
    let in_hai_phong = roadmap_on(&hai_phong, today());
    let in_former_hai_duong = roadmap_on(
        &with_profile(hai_phong, "former_province", text("hai-duong")),
        today(),
    );
    let in_ha_noi = roadmap_on(&with_profile(new_firm, "province", text("ha-noi")), today());
    assert_eq!(
        support_ids(&in_hung_yen, "r02"),
        vec!["hung-yen-esign-new-firms"]
    );
    // Hải Dương's subsidy is for firms of former Hải Dương, not for all of today's Hải Phòng.
    assert!(support_ids(&in_hai_phong, "r02").is_empty());
    assert_eq!(
        support_ids(&in_former_hai_duong, "r02"),
        vec!["hai-duong-esign-new-firms"]
    );
    assert!(support_ids(&in_ha_noi, "r02").is_empty());

    // Hưng Yên's e-commerce programme next to the nationwide ones, never in Hải Phòng.
    let no_presence = pts(&[("q26", 1.0)]).apply(&def);
    assert_eq!(
        support_ids(&roadmap_on(&no_presence, today()), "r17"),
        vec!["hung-yen-ecommerce-ocop"]
    );
    let hai_phong = with_profile(no_presence, "province", text("hai-phong"));
    assert!(support_ids(&roadmap_on(&hai_phong, today()), "r17").is_empty());
}

#[test]
fn a_programme_for_new_firms_is_not_offered_to_older_ones() {
    let def = real();
    // r03 (established firms) shares the e_signature topic with r02.
    let old = Change {
        points: &[("q20", 1.0)],
        set: OLDER_FIRM,
    }
    .apply(&def);
    assert!(support_ids(&roadmap_on(&old, today()), "r03").is_empty());
    let mut unknown_age = old.clone();
    unknown_age.profile.remove("founded_year");
    assert!(support_ids(&roadmap_on(&unknown_age, today()), "r03").is_empty());
    // Founded in 2026: at most 5 months old on 2026-06-01 (r02), but over a year old by 2027-06
    // even if founded in December (no founding month: taken as January, 17 months).
    let new_firm = with_profile(old, "founded_year", number(2026.0));
    assert_eq!(
        support_ids(&roadmap_on(&new_firm, today()), "r02"),
        vec!["hung-yen-esign-new-firms"]
    );
    assert!(support_ids(&roadmap_on(&new_firm, date(2027, 6, 2)), "r03").is_empty());
    // 12 whole months is still "not more than one year"; 13 is not.
    assert_eq!(
        support_ids(&roadmap_on(&new_firm, date(2027, 1, 31)), "r02"),
        vec!["hung-yen-esign-new-firms"]
    );
    assert!(support_ids(&roadmap_on(&new_firm, date(2027, 2, 1)), "r03").is_empty());
}

#[test]
fn a_programme_for_smes_is_filtered_by_size_class() {
    let def = real();
    let cost_barrier = pts(&[("q11", 1.0)]).apply(&def);
    let micro = support_ids(&roadmap_on(&cost_barrier, today()), "r09");
    assert_eq!(micro, vec!["smedx-platforms", "decree80-dx-cofunding"]);
    // 300 staff in services is above every SME class in Decree 80/2021.
    // A large firm gets no SME programme, also none that lists no size class ("every SME").
    let large = with_profile(cost_barrier.clone(), "employees", number(300.0));
    let offered = support_ids(&roadmap_on(&large, today()), "r09");
    assert!(offered.is_empty(), "{offered:?}");
    // A top revenue band also makes a small head-count firm large.
    let rich = with_profile(cost_barrier.clone(), "revenue_band", text("gt300"));
    let offered = support_ids(&roadmap_on(&rich, today()), "r09");
    assert!(offered.is_empty(), "{offered:?}");
    // Without a head count there is no size class: no size-limited programme, but those for
    // every SME still are (almost every firm asking is one).
    let mut unknown_size = cost_barrier;
    unknown_size.profile.remove("employees");
    let offered = support_ids(&roadmap_on(&unknown_size, today()), "r09");
    assert_eq!(offered, vec!["smedx-platforms"]);
}

/// A stored roadmap keeps evidence as references: none of the texts the questionnaire holds, and
/// the same roadmap, words and all, once restored with that questionnaire version.
#[test]
fn a_stored_roadmap_keeps_evidence_by_reference_and_restores_the_same_words() {
    use dxready::domain::roadmap::StoredRoadmap;
    let def = real();
    let worst = extreme_submission(&def, false);
    let (_, map) = evaluate(&def, &worst);
    assert!(map.items.iter().any(|i| !i.evidence.is_empty()));
    let json = serde_json::to_string(&map.to_stored()).expect("serialises");
    for item in &map.items {
        for e in &item.evidence {
            if !matches!(e, dxready::domain::roadmap::Evidence::Answer(..)) {
                continue;
            }
            let words = e.describe(&def);
            assert!(
                !json.contains(&words.label.vi),
                "{json} holds {:?}",
                words.label.vi
            );
        }
    }
    let stored: StoredRoadmap = serde_json::from_str(&json).expect("reads back");
    let restored = stored.restore(&def).expect("restores");
    assert_eq!(restored, map);
}

/// Results stored before evidence was kept by reference hold its words: they still read back.
#[test]
fn evidence_stored_as_words_still_reads_back() {
    use dxready::domain::roadmap::{Evidence, StoredRoadmap};
    let def = real();
    let old = r#"{"items":[{"rule":"r01","evidence":[{"label":{"vi":"Hóa đơn?","en":"Invoices?"},
        "value":{"vi":"Chưa","en":"Not yet"}}],"support":[],"summary":true}],
        "programmes":[],"agency_flags":["compliance_risk"]}"#;
    let stored: StoredRoadmap = serde_json::from_str(old).expect("reads the old form");
    let restored = stored.restore(&def).expect("restores");
    let evidence = &restored.items[0].evidence[0];
    assert!(matches!(evidence, Evidence::Described(_)));
    let words = evidence.describe(&def);
    assert_eq!(words.label, Text::new("Hóa đơn?", "Invoices?"));
    assert_eq!(words.value, Text::new("Chưa", "Not yet"));
}
