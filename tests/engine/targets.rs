//! Province and national adoption targets (`reference/targets.toml`): which apply to a view on
//! a day, and every problem of a targets file reported at its place, the unknown practice too.

use std::fs;
use std::process::Command;

use dxready::domain::questionnaire::load_dir;
use dxready::domain::reference::Reference;

use crate::common::{date, fixtures_dir, questionnaires_dir, reference, versions};

fn fixture() -> Reference {
    reference()
        .with_targets_file(&fixtures_dir().join("targets/targets.toml"))
        .unwrap_or_else(|p| panic!("fixture targets do not load: {p:#?}"))
}

fn ids(reference: &Reference, province: Option<&str>, day: chrono::NaiveDate) -> Vec<String> {
    reference
        .targets_for(province, day)
        .into_iter()
        .map(|t| t.id.clone())
        .collect()
}

#[test]
fn the_real_targets_load_and_name_practices_of_both_versions() {
    let reference = reference();
    assert!(!reference.targets.is_empty());
    for target in &reference.targets {
        assert!((0.0..=1.0).contains(&target.share), "{}", target.id);
        assert!(
            target.source.document.is_some() || target.source.url.is_some(),
            "{}",
            target.id
        );
        // Nothing was checked against the gazette from here; the file says so per entry.
        assert!(!target.verified, "{}", target.id);
        for def in versions() {
            assert!(
                def.practice(&target.practice).is_some(),
                "{} names `{}`, which {} does not define",
                target.id,
                target.practice,
                def.version
            );
        }
    }
    let einvoice = &reference.targets[0];
    assert_eq!(einvoice.id, "national-e-invoice-obligation");
    assert!(einvoice.is_national());
    assert_eq!(
        ids(&reference, Some("hai-phong"), date(2026, 6, 1)),
        ["national-e-invoice-obligation"]
    );
    assert!(ids(&reference, None, date(2025, 5, 31)).is_empty());
}

#[test]
fn a_view_gets_the_national_targets_and_its_province_s_own_while_they_are_valid() {
    let r = fixture();
    let national = "fixture-national-e-invoice";
    assert_eq!(ids(&r, None, date(2026, 6, 1)), [national]);
    assert_eq!(ids(&r, Some("ha-noi"), date(2026, 6, 1)), [national]);
    assert_eq!(
        ids(&r, Some("hai-phong"), date(2026, 6, 1)),
        [national, "fixture-hai-phong-cashless-2026"]
    );
    // The 2026 target ends on its last day; the 2027 one takes over the next.
    assert_eq!(
        ids(&r, Some("hai-phong"), date(2026, 12, 31)),
        [national, "fixture-hai-phong-cashless-2026"]
    );
    assert_eq!(
        ids(&r, Some("hai-phong"), date(2027, 1, 1)),
        [national, "fixture-hai-phong-cashless-2027"]
    );
    assert_eq!(ids(&r, Some("hung-yen"), date(2026, 2, 28)), [national]);
    assert_eq!(
        ids(&r, Some("hung-yen"), date(2026, 3, 1)),
        [national, "fixture-hung-yen-marketplaces"]
    );
    assert!(ids(&r, Some("hai-phong"), date(2025, 5, 31)).is_empty());
    let hp = r
        .targets
        .iter()
        .find(|t| t.id == "fixture-hai-phong-cashless-2026")
        .unwrap();
    assert_eq!(hp.province.as_deref(), Some("hai-phong"));
    assert_eq!(
        (hp.practice.as_str(), hp.share, hp.year),
        ("cashless_payment", 0.6, 2026)
    );
    assert_eq!(
        hp.source.url.as_deref(),
        Some("https://example.org/fixture")
    );
}

#[test]
fn every_problem_of_a_targets_file_is_reported_at_its_place() {
    let path = fixtures_dir().join("targets/broken.toml");
    let problems = reference().with_targets_file(&path).unwrap_err();
    let name = path.display().to_string();
    let lines: Vec<String> = problems
        .iter()
        .map(|p| p.to_string().replacen(&name, "broken.toml", 1))
        .collect();
    assert_eq!(
        lines,
        [
            "broken.toml:5:12: unknown province `hai-duong` (use one of the 34 slugs, or `national`)",
            "broken.toml:20:9: a target share is between 0 and 1 (write 80 % as 0.8), not 80",
            "broken.toml:34:8: the target year must be between 2000 and 2100",
            "broken.toml:37:16: say which document or page the target comes from",
            "broken.toml:30:6: target `no-document-or-url`: give its source's document number or URL",
            "broken.toml:30:6: target `no-document-or-url`: title has no en text",
            "broken.toml:42:6: duplicate target `no-document-or-url`",
            "broken.toml:50:14: links must start with https://",
            "broken.toml:53:15: valid_until is before valid_from",
        ]
    );
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
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

#[test]
fn a_target_naming_a_practice_no_questionnaire_defines_is_refused_by_the_check() {
    let dir = tempfile::tempdir().expect("temporary folder");
    copy_dir(&questionnaires_dir(), dir.path());
    let file = dir.path().join("reference/targets.toml");
    let real = fs::read_to_string(&file).expect("real targets");
    let broken = real.replacen("practice = \"e_invoice\"", "practice = \"e_invoices\"", 1);
    assert_ne!(broken, real);
    fs::write(&file, &broken).expect("write broken copy");
    let line = broken
        .lines()
        .position(|l| l == "practice = \"e_invoices\"")
        .expect("the broken line")
        + 1;
    let expected = format!(
        "{}:{line}:12: target `national-e-invoice-obligation`: unknown practice `e_invoices` (the questionnaires define `backup`, `cashless_payment`, `cloud_accounting`, `digital_signature`, `e_customs`, `e_invoice`, `marketplace_selling`, `online_public_services`, `two_factor`)",
        file.display()
    );

    let problems: Vec<String> = load_dir(dir.path())
        .unwrap_err()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(problems, std::slice::from_ref(&expected));

    let output = Command::new(env!("CARGO_BIN_EXE_dxready"))
        .arg("check-questionnaires")
        .arg(dir.path())
        .args(["--as-of", "2026-06-01"])
        .env_remove("DXREADY_QUESTIONNAIRES")
        .output()
        .expect("the dxready binary runs");
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        format!("{expected}\n")
    );
}

#[test]
fn a_folder_without_a_targets_file_has_no_targets() {
    let dir = tempfile::tempdir().expect("temporary folder");
    copy_dir(&questionnaires_dir().join("reference"), dir.path());
    fs::remove_file(dir.path().join("targets.toml")).expect("remove targets");
    let reference = Reference::load(dir.path()).expect("loads without targets");
    assert!(reference.targets.is_empty());
    assert!(
        reference
            .targets_for(Some("hai-phong"), date(2026, 6, 1))
            .is_empty()
    );
}
