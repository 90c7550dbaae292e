//! Which key practices (e-invoice, backup, two-factor sign-in, …) a response shows. The
//! practices and the answers that show them are defined in the questionnaire file
//! (`[[practice]]`), so this module names no question.
//!
//! A practice counts a firm when its `among` condition holds (every firm when there is none) and
//! adopts it when, in addition, its `adopted` condition holds. A share is `adopted / counted`.

use crate::domain::answers::Submission;
use crate::domain::facts::Facts;
use crate::domain::questionnaire::Definition;
use crate::domain::scoring::{ScoreResult, score};

/// The practices one response is counted for and those it adopted, as ids in definition order.
/// `adopted` is always a subset of `counted`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Adoption {
    pub counted: Vec<String>,
    pub adopted: Vec<String>,
}

impl Adoption {
    pub fn is_counted(&self, practice: &str) -> bool {
        self.counted.iter().any(|p| p == practice)
    }

    pub fn is_adopted(&self, practice: &str) -> bool {
        self.adopted.iter().any(|p| p == practice)
    }
}

/// Adoption of a response, scoring it first (practice conditions may read points and scores).
pub fn practice_adoption(def: &Definition, sub: &Submission) -> Adoption {
    practice_adoption_scored(def, sub, &score(def, sub))
}

/// Adoption of a response already scored with `scores` (`score(def, sub)`), so a caller that
/// has scored it does not score it twice.
pub fn practice_adoption_scored(
    def: &Definition,
    sub: &Submission,
    scores: &ScoreResult,
) -> Adoption {
    let facts = Facts::new(def, sub).with_scores(scores);
    let mut adoption = Adoption::default();
    for practice in def.practices() {
        if !practice
            .among
            .as_ref()
            .is_none_or(|among| among.holds(&facts))
        {
            continue;
        }
        adoption.counted.push(practice.id.clone());
        if practice.adopted.holds(&facts) {
            adoption.adopted.push(practice.id.clone());
        }
    }
    adoption
}

/// The ids of the practices a response adopted, in definition order.
pub fn adopted_practices(def: &Definition, sub: &Submission) -> Vec<String> {
    practice_adoption(def, sub).adopted
}

/// The ids of the practices a response is counted for (the denominators it joins).
pub fn counted_practices(def: &Definition, sub: &Submission) -> Vec<String> {
    practice_adoption(def, sub).counted
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::sync::Arc;

    use super::*;
    use crate::domain::answers::{Answer, ProfileValue};
    use crate::domain::questionnaire::load_str;
    use crate::domain::reference::Reference;

    /// The loader's valid fixture with two practices: e-invoice among every firm, backup (q2,
    /// asked only outside services) among firms outside services, read through its score.
    fn file() -> String {
        format!(
            "{}{}",
            include_str!("../../tests/fixtures/loader/valid.toml"),
            r#"
[[practice]]
id = "e_invoice"
title.vi = "Hóa đơn điện tử"
title.en = "E-invoices"
adopted = "${q1} = 'electronic'"

[[practice]]
id = "backup"
title.vi = "Sao lưu"
title.en = "Backup"
adopted = "score('d2') >= 100"
among = "${sector} != 'services'"
"#
        )
    }

    fn def() -> Definition {
        let reference = Reference::load(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("questionnaires/reference"),
        )
        .expect("reference data loads");
        load_str(Path::new("t.toml"), &file(), Arc::new(reference))
            .unwrap_or_else(|p| panic!("{p:#?}"))
    }

    fn sub(sector: &str, q1: &str, q2: &str) -> Submission {
        let mut sub = Submission::default();
        sub.profile
            .insert("sector".into(), ProfileValue::Text(sector.into()));
        sub.answers.insert("q1".into(), Answer::One(q1.into()));
        sub.answers.insert("q2".into(), Answer::One(q2.into()));
        sub
    }

    #[test]
    fn practices_come_from_the_file_in_order() {
        let def = def();
        let ids: Vec<&str> = def.practices().iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids, ["e_invoice", "backup"]);
        assert_eq!(def.practice("e_invoice").unwrap().title.en, "E-invoices");
        assert!(def.practice("two_factor").is_none());
    }

    #[test]
    fn a_firm_outside_among_is_neither_counted_nor_adopted() {
        let def = def();
        let services = practice_adoption(&def, &sub("services", "electronic", "cloud"));
        assert_eq!(services.counted, ["e_invoice"]);
        assert_eq!(services.adopted, ["e_invoice"]);
        assert!(!services.is_counted("backup") && !services.is_adopted("backup"));

        // `score('d2')` is read from the scores worked out on the way.
        let retail = practice_adoption(&def, &sub("retail", "electronic", "cloud"));
        assert_eq!(retail.counted, ["e_invoice", "backup"]);
        assert_eq!(retail.adopted, ["e_invoice", "backup"]);

        let paper = sub("retail", "paper", "none");
        assert_eq!(counted_practices(&def, &paper), ["e_invoice", "backup"]);
        assert_eq!(adopted_practices(&def, &paper), Vec::<String>::new());
        let backup_only = sub("retail", "paper", "cloud");
        assert_eq!(adopted_practices(&def, &backup_only), ["backup"]);
        assert_eq!(
            practice_adoption_scored(&def, &backup_only, &score(&def, &backup_only)),
            practice_adoption(&def, &backup_only)
        );
    }

    #[test]
    fn an_unanswered_question_counts_the_firm_but_adopts_nothing() {
        let def = def();
        let mut blank = Submission::default();
        blank
            .profile
            .insert("sector".into(), ProfileValue::Text("retail".into()));
        let adoption = practice_adoption(&def, &blank);
        assert_eq!(adoption.counted, ["e_invoice", "backup"]);
        assert!(adoption.adopted.is_empty());
    }

    #[test]
    fn the_loader_checks_practices() {
        let reference = Arc::new(
            Reference::load(
                &Path::new(env!("CARGO_MANIFEST_DIR")).join("questionnaires/reference"),
            )
            .expect("reference data loads"),
        );
        let bad = format!(
            "{}\n[[practice]]\nid = \"e_invoice\"\ntitle.vi = \"x\"\ntitle.en = \" \"\nadopted = \"${{q9}} = 'e' and level() > 1\"\namong = \"${{q1}} = 'nope'\"\n",
            file()
        );
        let problems = load_str(Path::new("t.toml"), &bad, reference).unwrap_err();
        let messages: Vec<String> = problems.iter().map(ToString::to_string).collect();
        let line = bad.lines().count();
        let has = |at: &str, text: &str| {
            assert!(
                messages
                    .iter()
                    .any(|m| m.starts_with(at) && m.contains(text)),
                "{at} {text}: {messages:#?}"
            );
        };
        has(
            &format!("t.toml:{}:6: ", line - 4),
            "duplicate practice id `e_invoice`",
        );
        has(
            &format!("t.toml:{}:", line - 4),
            "practice `e_invoice` title has no English (en) text",
        );
        has(
            &format!("t.toml:{}:", line - 1),
            "unknown question or profile field `q9`",
        );
        has(
            &format!("t.toml:{}:", line - 1),
            "level() cannot be used here",
        );
        has(&format!("t.toml:{line}:"), "has no option 'nope'");
    }
}
