//! Key practices as the real questionnaire files define them (`[[practice]]`), on both published
//! versions: which answers adopt each one, who is counted for e-customs, and the loader's checks.

use std::fs;

use dxready::domain::practices::{Adoption, adopted_practices, practice_adoption};
use dxready::domain::questionnaire::{Definition, extreme_submission};
use dxready::domain::{Answer, Submission};

use crate::common::{fixtures_dir, many, one, problems_of, text, versions};

const NINE: [&str; 9] = [
    "e_invoice",
    "digital_signature",
    "online_public_services",
    "e_customs",
    "marketplace_selling",
    "cashless_payment",
    "cloud_accounting",
    "backup",
    "two_factor",
];

/// The worst answers (no practice at all) of a firm trading as `trade`.
fn worst(def: &Definition, trade: &str) -> Submission {
    let mut sub = extreme_submission(def, false);
    sub.profile.insert("trade".into(), text(trade));
    if trade != "none" {
        sub.answers.insert("q22".into(), one("paper_broker"));
    }
    sub
}

fn adoption_with(def: &Definition, trade: &str, answers: &[(&str, Answer)]) -> Adoption {
    let mut sub = worst(def, trade);
    for (question, answer) in answers {
        sub.answers.insert((*question).to_string(), answer.clone());
    }
    practice_adoption(def, &sub)
}

#[test]
fn both_versions_define_the_nine_key_practices_with_both_titles() {
    for def in versions() {
        let ids: Vec<&str> = def.practices().iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids, NINE, "{}", def.version);
        for p in def.practices() {
            assert!(!p.title.vi.is_empty() && !p.title.en.is_empty(), "{}", p.id);
        }
        let among: Vec<&str> = def
            .practices()
            .iter()
            .filter(|p| p.among.is_some())
            .map(|p| p.id.as_str())
            .collect();
        assert_eq!(among, ["e_customs"], "{}", def.version);
    }
}

#[test]
fn the_worst_answers_adopt_nothing_and_the_best_adopt_all_nine() {
    for def in versions() {
        for trade in ["none", "import", "export", "both"] {
            let adoption = practice_adoption(&def, &worst(&def, trade));
            assert!(adoption.adopted.is_empty(), "{trade}: {adoption:?}");
        }
        let mut best = extreme_submission(&def, true);
        best.profile.insert("trade".into(), text("both"));
        assert_eq!(adopted_practices(&def, &best), NINE, "{}", def.version);
    }
}

#[test]
fn e_customs_is_measured_among_importers_and_exporters_only() {
    for def in versions() {
        let local = adoption_with(&def, "none", &[("q22", one("linked"))]);
        assert!(!local.is_counted("e_customs") && !local.is_adopted("e_customs"));
        assert_eq!(local.counted.len(), 8);
        for trade in ["import", "export", "both"] {
            let trader = adoption_with(&def, trade, &[]);
            assert!(trader.is_counted("e_customs"), "{trade}");
            assert!(!trader.is_adopted("e_customs"), "{trade}");
            assert_eq!(trader.counted, NINE);
        }
        // A broker filing for the firm is not the firm's own e-customs practice.
        for (answer, adopted) in [
            ("paper_broker", false),
            ("broker_electronic", false),
            ("self_electronic", true),
            ("linked", true),
            ("dont_know", false),
        ] {
            let trader = adoption_with(&def, "export", &[("q22", one(answer))]);
            assert_eq!(trader.is_adopted("e_customs"), adopted, "{answer}");
        }
    }
}

/// A practice, the answers given on top of the worst ones, and whether they adopt it.
type Case = (&'static str, Vec<(&'static str, Answer)>, bool);

#[test]
fn each_practice_is_adopted_by_the_answers_that_show_it() {
    let cases: Vec<Case> = vec![
        ("e_invoice", vec![("q19", one("not_yet"))], false),
        ("e_invoice", vec![("q19", one("portal"))], true),
        ("e_invoice", vec![("q19", one("from_software"))], true),
        ("e_invoice", vec![("q19", one("integrated"))], true),
        ("digital_signature", vec![("q20", one("dont_know"))], false),
        ("digital_signature", vec![("q20", one("token_tax"))], true),
        ("digital_signature", vec![("q20", one("remote"))], true),
        (
            "online_public_services",
            vec![("q21", one("in_person"))],
            false,
        ),
        (
            "online_public_services",
            vec![("q21", one("dont_know"))],
            false,
        ),
        (
            "online_public_services",
            vec![("q21", one("sometimes"))],
            true,
        ),
        ("online_public_services", vec![("q21", one("full"))], true),
        ("marketplace_selling", vec![("q27", one("inactive"))], false),
        ("marketplace_selling", vec![("q27", one("one"))], true),
        ("marketplace_selling", vec![("q27", one("synced"))], true),
        ("cashless_payment", vec![("q29", one("cash"))], false),
        (
            "cashless_payment",
            vec![("q29", one("transfer_manual"))],
            true,
        ),
        ("cashless_payment", vec![("q29", one("qr"))], true),
        ("cloud_accounting", vec![("q23", one("desktop"))], false),
        ("cloud_accounting", vec![("q23", one("cloud"))], true),
        (
            "cloud_accounting",
            vec![("q23", one("linked")), ("q13", one("one_off"))],
            false,
        ),
        (
            "cloud_accounting",
            vec![("q23", one("linked")), ("q13", one("subscription"))],
            true,
        ),
        ("backup", vec![("q32", one("usb"))], false),
        ("backup", vec![("q32", one("dont_know"))], false),
        ("backup", vec![("q32", one("local"))], true),
        ("backup", vec![("q32", one("tested"))], true),
        (
            "two_factor",
            vec![("q34", many(&["licensed_updated"]))],
            false,
        ),
        ("two_factor", vec![("q33", one("by_role"))], false),
        (
            "two_factor",
            vec![("q34", many(&["licensed_updated", "two_factor"]))],
            true,
        ),
        ("two_factor", vec![("q33", one("role_2fa"))], true),
    ];
    for def in versions() {
        for (practice, answers, adopted) in &cases {
            let adoption = adoption_with(&def, "none", answers);
            let expected: Vec<&str> = if *adopted { vec![practice] } else { vec![] };
            assert_eq!(
                adoption.adopted, expected,
                "{} {practice} {answers:?}",
                def.version
            );
        }
    }
}

/// The loader's valid fixture with `practices` appended, and the line the first of them starts on.
fn with_practices(practices: &str) -> (String, usize) {
    let valid = fs::read_to_string(fixtures_dir().join("loader/valid.toml")).expect("fixture");
    let first = valid.lines().count() + 2;
    (format!("{valid}\n{practices}"), first)
}

#[test]
fn the_loader_reports_every_practice_problem_at_its_place() {
    let (source, at) = with_practices(concat!(
        "[[practice]]\n",
        "id = \"e_invoice\"\n",
        "title.vi = \"Hóa đơn điện tử\"\n",
        "title.en = \"E-invoices\"\n",
        "adopted = \"${q1} = 'electronic'\"\n",
        "\n",
        "[[practice]]\n",
        "id = \"e_invoice\"\n",
        "title.vi = \"Lặp\"\n",
        "title.en = \" \"\n",
        "adopted = \"${q7} = 'x' or flag('security')\"\n",
        "among = \"${q1} = 'wood'\"\n",
        "\n",
        "[[practice]]\n",
        "id = \"Backup\"\n",
        "title.vi = \"Sao lưu\"\n",
        "title.en = \"Backup\"\n",
        "adopted = \"points('q2') > 4\"\n",
        "among = \"${sector} = 'retail' and ${sector} = 'services'\"\n",
    ));
    let line = |n: usize| at + n;
    assert_eq!(
        problems_of("practices.toml", &source),
        vec![
            format!(
                "practices.toml:{}:6: duplicate practice id `e_invoice`",
                line(7)
            ),
            format!(
                "practices.toml:{}:6: practice `e_invoice` title has no English (en) text",
                line(7)
            ),
            format!(
                "practices.toml:{}:12: unknown question or profile field `q7`",
                line(10)
            ),
            format!(
                "practices.toml:{}:27: flag() cannot be used here: flags and levels are known only after scoring; use it in roadmap rules",
                line(10)
            ),
            format!(
                "practices.toml:{}:18: `q1` has no option 'wood' (options: paper, electronic)",
                line(11)
            ),
            format!(
                "practices.toml:{}:6: practice id `Backup` must start with a lowercase letter and use only a-z, 0-9, _ and -",
                line(14)
            ),
            format!(
                "practices.toml:{}:12: practice `Backup` can never be adopted: its condition is never true",
                line(17)
            ),
        ]
    );
}

#[test]
fn a_misspelt_practice_key_is_reported_with_the_keys_allowed() {
    let (source, at) = with_practices(concat!(
        "[[practice]]\n",
        "id = \"backup\"\n",
        "title.vi = \"Sao lưu\"\n",
        "title.en = \"Backup\"\n",
        "adopted = \"${q2} = 'cloud'\"\n",
        "amongst = \"true\"\n",
    ));
    assert_eq!(
        problems_of("practices.toml", &source),
        vec![format!(
            "practices.toml:{}:1: unknown key `amongst` in a practice (did you mean `among`?); expected one of `id`, `title`, `adopted`, `among`",
            at + 5
        )]
    );
}
