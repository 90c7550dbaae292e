//! `dxready-sme@1.1.0` as of dates after 2026: a firm founded in 2027 can answer and gets its
//! province's new-firm programme, no roadmap ever shows a programme that is not open, no rule
//! recommends what the answers say the firm already does, and roadmaps differ by firm (the
//! tailoring measure, whose counts are in the README).

use std::collections::BTreeSet;

use chrono::NaiveDate;
use dxready::domain::expr::Mention;
use dxready::domain::facts::{Derived, Facts};
use dxready::domain::questionnaire::{
    ConsentPurpose, Definition, Phase, QuestionKind, extreme_submission,
};
use dxready::domain::roadmap::Roadmap;
use dxready::domain::validate::{Field, Scope, validate};
use dxready::domain::{Answer, ProfileValue, Submission, roadmap, score};

use crate::common::{after_2026, date, number, one, real_v11, text};

/// A valid 1.1.0 answer: every scored question at its middle option, an enterprise in Hưng Yên.
fn middle_firm(def: &Definition) -> Submission {
    let mut sub = extreme_submission(def, false);
    for q in def.questions.iter().filter(|q| q.is_scored()) {
        let answer = match q.kind {
            QuestionKind::SingleChoice => {
                let mut scored: Vec<_> = q.options.iter().filter(|o| o.points.is_some()).collect();
                scored.sort_by(|a, b| a.points.unwrap_or(0.0).total_cmp(&b.points.unwrap_or(0.0)));
                Answer::One(scored[scored.len() / 2].value.clone())
            }
            QuestionKind::MultipleChoice => {
                let some: Vec<String> = q
                    .options
                    .iter()
                    .filter(|o| !o.exclusive && !o.not_applicable && o.points.is_some())
                    .take(2)
                    .map(|o| o.value.clone())
                    .collect();
                Answer::Many(some)
            }
            QuestionKind::Scale => {
                Answer::Number(((q.min.unwrap_or(1.0) + q.max.unwrap_or(5.0)) / 2.0).round())
            }
            _ => continue,
        };
        sub.answers.insert(q.id.clone(), answer);
    }
    for (field, value) in [
        ("name", text("Công ty Mẫu")),
        ("legal_form", text("enterprise")),
        ("province", text("hung-yen")),
        ("sector", text("retail")),
        ("trade", text("none")),
        ("employees", number(8.0)),
        ("revenue_band", text("lt3")),
        ("founded_year", number(2015.0)),
    ] {
        sub.profile.insert(field.into(), value);
    }
    sub.profile.remove("commune");
    sub.profile.remove("former_province");
    sub.profile.remove("founded_month");
    sub.consents.insert(ConsentPurpose::Processing);
    sub
}

fn map_on(def: &Definition, sub: &Submission, day: NaiveDate) -> Roadmap {
    let result = score(def, sub);
    roadmap(def, sub, &result, day)
}

fn support_of(map: &Roadmap, rule: &str) -> Vec<String> {
    map.items
        .iter()
        .find(|i| i.id == rule)
        .unwrap_or_else(|| panic!("{rule} did not fire"))
        .support
        .iter()
        .map(|s| s.id.clone())
        .collect()
}

#[test]
fn a_firm_founded_in_2027_can_answer_and_gets_its_provinces_new_firm_programme() {
    let def = real_v11();
    let mut firm = middle_firm(&def);
    firm.profile.insert("founded_year".into(), number(2027.0));
    firm.answers.insert("q20".into(), one("none"));
    let errors = validate(&def, &firm, Scope::Everything, after_2026());
    assert!(errors.is_empty(), "{errors:#?}");
    // The bound is "this year": the day before, 2027 is still in the future.
    let errors = validate(&def, &firm, Scope::Everything, date(2026, 12, 31));
    assert_eq!(
        errors.iter().map(|e| &e.field).collect::<Vec<_>>(),
        vec![&Field::Profile("founded_year".into())]
    );

    let map = map_on(&def, &firm, after_2026());
    assert_eq!(support_of(&map, "r02"), vec!["hung-yen-esign-new-firms"]);
    // In Hải Phòng, only a firm of former Hải Dương gets Hải Dương's subsidy.
    let mut hai_phong = firm.clone();
    hai_phong
        .profile
        .insert("province".into(), text("hai-phong"));
    assert!(support_of(&map_on(&def, &hai_phong, after_2026()), "r02").is_empty());
    hai_phong
        .profile
        .insert("former_province".into(), text("hai-duong"));
    assert_eq!(
        support_of(&map_on(&def, &hai_phong, after_2026()), "r02"),
        vec!["hai-duong-esign-new-firms"]
    );
    // Founded in March 2026: 10 months old on 2027-01-05, still new; founded in 2025 it is not.
    let mut march = firm.clone();
    march.profile.insert("founded_year".into(), number(2026.0));
    march.profile.insert("founded_month".into(), number(3.0));
    assert!(validate(&def, &march, Scope::Everything, after_2026()).is_empty());
    assert_eq!(
        support_of(&map_on(&def, &march, after_2026()), "r02"),
        vec!["hung-yen-esign-new-firms"]
    );
    let mut older = firm;
    older.profile.insert("founded_year".into(), number(2025.0));
    let map = map_on(&def, &older, after_2026());
    assert!(map.items.iter().all(|i| i.id != "r02"));
    assert!(support_of(&map, "r03").is_empty());
}

#[test]
fn a_commune_must_belong_to_the_chosen_province() {
    let def = real_v11();
    let mut firm = middle_firm(&def);
    firm.profile
        .insert("commune".into(), text("phuong-pho-hien-11953"));
    assert!(validate(&def, &firm, Scope::Profile, after_2026()).is_empty());
    firm.profile.insert("province".into(), text("hai-phong"));
    let errors = validate(&def, &firm, Scope::Profile, after_2026());
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(errors[0].field, Field::Profile("commune".into()));
    assert_eq!(
        def.profile_field("commune").map(|f| f.options.len()),
        Some(3321)
    );
}

/// Firms that differ in sector, size, province, legal form and answers.
fn many_firms(def: &Definition) -> Vec<Submission> {
    let bases = [
        extreme_submission(def, false),
        middle_firm(def),
        extreme_submission(def, true),
    ];
    let mut out = Vec::new();
    for base in bases {
        for sector in def.reference.sectors.iter().map(|s| s.id.clone()) {
            for (province, former) in [
                ("hung-yen", None),
                ("hai-phong", Some("hai-duong")),
                ("hai-phong", None),
                ("ha-noi", None),
            ] {
                for (legal_form, employees, founded) in [
                    ("enterprise", 30.0, 2026.0),
                    ("household", 1.0, 2010.0),
                    ("enterprise", 150.0, 2000.0),
                ] {
                    let mut sub = base.clone();
                    sub.profile.remove("commune");
                    for (field, value) in [
                        ("sector", text(&sector)),
                        ("province", text(province)),
                        ("legal_form", text(legal_form)),
                        ("employees", number(employees)),
                        ("founded_year", number(founded)),
                        ("trade", text("both")),
                    ] {
                        sub.profile.insert(field.into(), value);
                    }
                    match former {
                        Some(f) => sub.profile.insert("former_province".into(), text(f)),
                        None => sub.profile.remove("former_province"),
                    };
                    sub.answers.insert("hh_tax".into(), one("lump_sum"));
                    sub.answers.insert("hh_revenue".into(), one("from_1bn"));
                    sub.answers
                        .insert("hh_become_enterprise".into(), one("planned"));
                    out.push(sub);
                }
            }
        }
    }
    out
}

#[test]
fn no_roadmap_shows_a_programme_that_is_not_open_on_its_day() {
    let def = real_v11();
    let firms = many_firms(&def);
    for day in [
        date(2026, 6, 1),
        date(2026, 12, 31),
        date(2027, 1, 1),
        after_2026(),
        date(2028, 6, 1),
    ] {
        let mut offered = BTreeSet::new();
        for sub in &firms {
            for item in map_on(&def, sub, day).items {
                for s in item.support {
                    let p = def
                        .reference
                        .programmes
                        .iter()
                        .find(|p| p.id == s.id)
                        .expect("a known programme");
                    assert!(p.open_on(day), "{} offered on {day}", p.id);
                    offered.insert(s.id);
                }
            }
        }
        // The 2026 rounds are offered in 2026 and never after.
        assert_eq!(
            offered.contains("hai-phong-dx-awareness-2026"),
            day.format("%Y").to_string() == "2026",
            "{day}"
        );
    }
}

/// Rules whose question is a reason, not the practice recommended: r19 reads the share of
/// revenue from online channels (q28) to decide whether syncing stock is worth it.
const REASONS_NOT_PRACTICES: [(&str, &str); 1] = [("r19", "q28")];

#[test]
fn no_firm_is_recommended_what_it_already_does() {
    let def = real_v11();
    let best = extreme_submission(&def, true);
    let firms = many_firms(&def);
    let fires = |rule: usize, sub: &Submission| {
        let result = score(&def, sub);
        let derived = Derived::compute(&def, sub, after_2026());
        let facts = Facts::new(&def, sub)
            .with_scores(&result)
            .with_derived(&derived);
        def.rules[rule].when.holds(&facts)
    };
    let mut checked = 0;
    for (i, rule) in def.rules.iter().enumerate() {
        // The scored questions (practices) the rule reads.
        let practices: Vec<&str> = rule
            .when
            .mentions()
            .into_iter()
            .filter_map(|m| match m {
                Mention::Answer(id) => Some(id),
                _ => None,
            })
            .filter(|id| {
                def.question(id)
                    .is_some_and(dxready::domain::questionnaire::Question::is_scored)
            })
            .filter(|id| !REASONS_NOT_PRACTICES.contains(&(rule.id.as_str(), id.as_str())))
            .map(|id| def.question(&id).expect("a question").id.as_str())
            .collect();
        if practices.is_empty() {
            continue;
        }
        // Every way of answering those questions, on every firm.
        let mut fired_once = false;
        for firm in &firms {
            let mut combos: Vec<Submission> = vec![firm.clone()];
            for q in &practices {
                let question = def.question(q).expect("a question");
                let answers: Vec<Answer> = match question.kind {
                    QuestionKind::SingleChoice => question
                        .options
                        .iter()
                        .map(|o| Answer::One(o.value.clone()))
                        .collect(),
                    // The firm's own, the best, and each option alone.
                    _ => [
                        firm.answers.get(*q).cloned().expect("answered"),
                        best.answers.get(*q).cloned().expect("answered"),
                    ]
                    .into_iter()
                    .chain(
                        question
                            .options
                            .iter()
                            .map(|o| Answer::Many(vec![o.value.clone()])),
                    )
                    .collect(),
                };
                combos = combos
                    .into_iter()
                    .flat_map(|c| {
                        answers.iter().map(move |a| {
                            let mut c = c.clone();
                            c.answers.insert((*q).to_string(), a.clone());
                            c
                        })
                    })
                    .collect();
            }
            for sub in combos.iter().filter(|s| fires(i, s)) {
                fired_once = true;
                for q in &practices {
                    let mut does_it = sub.clone();
                    does_it
                        .answers
                        .insert((*q).to_string(), best.answers[*q].clone());
                    assert!(
                        !fires(i, &does_it),
                        "{} still fires when {q} is at its best: {:?}",
                        rule.id,
                        does_it.answers.get(*q)
                    );
                    checked += 1;
                }
            }
        }
        assert!(fired_once, "{} never fired in the test firms", rule.id);
    }
    assert!(checked > 1000, "{checked}");
}

/// Rule ids in order: what makes two roadmaps the same advice.
fn shape(map: &Roadmap) -> Vec<(Phase, String)> {
    map.items.iter().map(|i| (i.phase, i.id.clone())).collect()
}

fn distinct(def: &Definition, firms: impl IntoIterator<Item = Submission>) -> (usize, usize) {
    let mut rules = BTreeSet::new();
    let mut with_support = BTreeSet::new();
    for sub in firms {
        let map = map_on(def, &sub, after_2026());
        let support: Vec<Vec<String>> = map
            .items
            .iter()
            .map(|i| i.support.iter().map(|s| s.id.clone()).collect())
            .collect();
        with_support.insert((shape(&map), support));
        rules.insert(shape(&map));
    }
    (rules.len(), with_support.len())
}

/// The tailoring measure: the same answers (a mid-level trading firm with staff and IT gaps)
/// given by firms differing in one thing only.
#[test]
fn roadmaps_differ_by_sector_size_province_and_goals() {
    let def = real_v11();
    let mut base = middle_firm(&def);
    base.profile.insert("trade".into(), text("both"));
    for (q, v) in [
        ("q14", "relative"),
        ("q23", "cloud"),
        ("q24", "most_areas"),
        ("q31", "qr_basic"),
    ] {
        if def.question(q).is_some_and(|x| x.option(v).is_some()) {
            base.answers.insert(q.into(), one(v));
        }
    }
    let with = |field: &str, value: ProfileValue| {
        let mut sub = base.clone();
        sub.profile.insert(field.into(), value);
        sub
    };
    let sectors: Vec<String> = def.reference.sectors.iter().map(|s| s.id.clone()).collect();
    let by_sector = distinct(&def, sectors.iter().map(|s| with("sector", text(s))));
    let sizes = [1.0, 5.0, 30.0, 80.0, 150.0, 300.0];
    let by_size = distinct(&def, sizes.iter().map(|n| with("employees", number(*n))));
    let provinces: Vec<String> = def
        .reference
        .provinces
        .iter()
        .map(|p| p.slug.clone())
        .collect();
    let by_province = distinct(&def, provinces.iter().map(|p| with("province", text(p))));
    let goal_options: Vec<String> = def
        .question("p7_goals")
        .expect("goals")
        .options
        .iter()
        .map(|o| o.value.clone())
        .collect();
    let goal_sets = std::iter::once(None)
        .chain(goal_options.iter().map(Some))
        .map(|goal| {
            let mut sub = base.clone();
            match goal {
                Some(g) => sub
                    .answers
                    .insert("p7_goals".into(), Answer::Many(vec![g.clone()])),
                None => sub.answers.remove("p7_goals"),
            };
            sub
        });
    let by_goals = distinct(&def, goal_sets);
    println!(
        "tailoring on 1.1.0 (distinct roadmaps by rule ids and order / also counting programmes): \
         sector {}/{} of {}, size {}/{} of {}, province {}/{} of {}, goals {}/{} of {}",
        by_sector.0,
        by_sector.1,
        sectors.len(),
        by_size.0,
        by_size.1,
        sizes.len(),
        by_province.0,
        by_province.1,
        provinces.len(),
        by_goals.0,
        by_goals.1,
        goal_options.len() + 1,
    );
    assert!(by_sector.0 >= 5, "{by_sector:?}");
    assert!(by_size.0 >= 3, "{by_size:?}");
    assert!(by_province.0 >= 2, "{by_province:?}");
    assert!(by_province.1 >= 3, "{by_province:?}");
    assert!(by_goals.0 >= 4, "{by_goals:?}");
}

#[test]
fn start_smart_holds_at_most_four_actions_and_the_rest_move_on() {
    let def = real_v11();
    let worst = {
        let mut sub = extreme_submission(&def, false);
        sub.profile.insert("legal_form".into(), text("household"));
        sub.answers.insert("hh_tax".into(), one("lump_sum"));
        sub.answers.insert("hh_revenue".into(), one("from_1bn"));
        sub
    };
    let map = map_on(&def, &worst, after_2026());
    let smart: Vec<&str> = map
        .phase(Phase::StartSmart)
        .map(|i| i.id.as_str())
        .collect();
    assert_eq!(smart.len(), 4, "{smart:?}");
    // Compliance first: the household's tax and invoice duties stay in Start Smart.
    assert!(
        smart.contains(&"r28") && smart.contains(&"r29"),
        "{smart:?}"
    );
    let moved: Vec<&str> = map
        .items
        .iter()
        .filter(|i| i.moved)
        .map(|i| i.id.as_str())
        .collect();
    assert!(!moved.is_empty());
    assert!(
        map.items
            .iter()
            .filter(|i| i.moved)
            .all(|i| i.phase == Phase::StartSmall)
    );
    // A stored roadmap reads back with the moved actions where they were shown.
    let stored = map.to_stored();
    assert_eq!(stored.restore(&def).expect("restores"), map);
}

#[test]
fn the_summary_keeps_a_slot_for_the_barrier_the_owner_named() {
    let def = real_v11();
    let mut sub = extreme_submission(&def, false);
    sub.answers
        .insert("p6_obstacles".into(), Answer::Many(vec!["staffing".into()]));
    sub.profile.insert("employees".into(), number(10.0));
    let map = map_on(&def, &sub, after_2026());
    let summary: Vec<&str> = map
        .phase(Phase::StartSmart)
        .filter(|i| i.summary)
        .map(|i| i.id.as_str())
        .collect();
    assert_eq!(summary.len(), 3);
    // Start Smart is full of compliance and security, yet the named barrier keeps its place.
    assert!(summary.contains(&"r10"), "{summary:?}");
    assert_eq!(map.phase(Phase::StartSmart).count(), 4);
}

#[test]
fn a_middle_firm_gets_a_few_start_smart_actions() {
    let def = real_v11();
    let map = map_on(&def, &middle_firm(&def), after_2026());
    let smart = map.phase(Phase::StartSmart).count();
    assert!((1..=4).contains(&smart), "{smart}: {:?}", shape(&map));
}

#[test]
fn a_one_person_firm_is_never_told_to_hand_work_to_an_employee() {
    let def = real_v11();
    let mut sub = extreme_submission(&def, false);
    sub.profile.insert("employees".into(), number(1.0));
    let ids: Vec<String> = map_on(&def, &sub, after_2026())
        .items
        .into_iter()
        .map(|i| i.id)
        .collect();
    assert!(ids.contains(&"r10-solo".to_string()), "{ids:?}");
    assert!(!ids.contains(&"r10".to_string()), "{ids:?}");
}

#[test]
fn every_text_a_firm_reads_on_1_1_is_in_both_languages() {
    let def = real_v11();
    let both = |t: &dxready::domain::Text, what: &str| {
        assert!(t.missing().is_empty(), "{what}: {t:?}");
    };
    for firm in many_firms(&def) {
        for item in map_on(&def, &firm, after_2026()).items {
            both(&item.title, &item.id);
            both(&item.why, &item.id);
            for step in &item.steps {
                both(step, &item.id);
            }
            for e in &item.evidence {
                let words = e.describe(&def);
                both(&words.label, &item.id);
                both(&words.value, &item.id);
            }
        }
    }
    for f in &def.profile {
        both(&f.label, &f.id);
    }
    // One form of address: "Anh/Chị", never "bạn" (except "bạn bè", friends).
    let source = def.source.replace("bạn bè", "");
    assert!(!source.contains("bạn") && !source.contains("Bạn"));
}

#[test]
fn the_programme_data_holds_no_fixture_and_says_where_each_entry_comes_from() {
    let def = real_v11();
    let reviewed = date(2026, 12, 4);
    for p in &def.reference.programmes {
        assert!(
            p.valid_to.is_none_or(|end| end >= reviewed),
            "{} had already ended when the data was reviewed",
            p.id
        );
        assert!(!p.source.contains("fixture"), "{}", p.id);
        // Nothing could be checked against an official text here: each entry says so.
        assert_eq!(
            !p.verified,
            p.source.ends_with("unverified"),
            "{}: {}",
            p.id,
            p.source
        );
        assert!(!p.verified, "{}", p.id);
    }
}
