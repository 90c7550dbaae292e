//! Warnings as of a day: programmes about to end, rules left with no programme, bounds that
//! refuse a plausible answer. Each is shown at the day it starts to hold and not the day before.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use dxready::domain::questionnaire::{Definition, LoadedDir, WarningKind, load_str, warnings};

use crate::common::{date, real};

fn only(def: Arc<Definition>) -> LoadedDir {
    LoadedDir {
        definitions: BTreeMap::from([((def.id.clone(), def.version.clone()), def)]),
    }
}

fn ending(loaded: &LoadedDir, day: chrono::NaiveDate) -> Vec<String> {
    warnings(loaded, day)
        .into_iter()
        .filter_map(|w| match w.kind {
            WarningKind::ProgrammeEnding { programme, .. } => Some(programme),
            _ => None,
        })
        .collect()
}

#[test]
fn a_programme_ending_is_announced_90_days_ahead_and_not_after_it_ended() {
    let loaded = only(real());
    let yearly = [
        "hai-phong-dx-awareness-2026",
        "hung-yen-traceability-2026",
        "hai-phong-digital-skills-2026",
    ];
    assert!(ending(&loaded, date(2026, 6, 1)).is_empty());
    assert!(ending(&loaded, date(2026, 10, 1)).is_empty());
    // 2026-10-02 is 90 days before 2026-12-31.
    assert_eq!(ending(&loaded, date(2026, 10, 2)), yearly);
    assert_eq!(ending(&loaded, date(2026, 12, 31)), yearly);
    assert!(ending(&loaded, date(2027, 1, 1)).is_empty());
    // The message names the programme, its last day and the days left.
    let text = warnings(&loaded, date(2026, 12, 4))[0].to_string();
    assert!(
        text.contains("`hai-phong-dx-awareness-2026` ends on 2026-12-31 (in 27 days)"),
        "{text}"
    );
}

#[test]
fn a_rule_left_with_no_programme_is_named_before_and_after_the_gap() {
    // Without the nationwide skills programme, r10 (digital_skills) rests on Hải Phòng's 2026
    // rounds only.
    let real = real();
    let mut reference = (*real.reference).clone();
    reference
        .programmes
        .retain(|p| p.id != "national-digital-skills");
    let def = load_str(
        Path::new("no-national-skills.toml"),
        &real.source,
        Arc::new(reference),
    )
    .expect("loads");
    let loaded = only(Arc::new(def));
    let gaps = |day| {
        warnings(&loaded, day)
            .into_iter()
            .filter_map(|w| match w.kind {
                WarningKind::RuleWithoutProgramme { rule, from, .. } => Some((rule, from)),
                _ => None,
            })
            .collect::<Vec<_>>()
    };
    assert!(gaps(date(2026, 6, 1)).is_empty());
    assert_eq!(
        gaps(date(2026, 12, 4)),
        vec![("r10".into(), date(2027, 1, 1))]
    );
    assert_eq!(
        gaps(date(2027, 1, 5)),
        vec![("r10".into(), date(2027, 1, 5))]
    );
    // With the real data every rule keeps a programme past 2026.
    for day in [date(2026, 12, 4), date(2027, 1, 5), date(2028, 6, 1)] {
        let left: Vec<_> = warnings(&only(real.clone()), day)
            .into_iter()
            .filter(|w| matches!(w.kind, WarningKind::RuleWithoutProgramme { .. }))
            .map(|w| w.to_string())
            .collect();
        assert!(left.is_empty(), "{day}: {left:#?}");
    }
}

#[test]
fn a_fixed_year_bound_is_named_once_it_refuses_this_year() {
    // 1.0.0 has `founded_year` with `max = 2026`.
    let loaded = only(real());
    let refused = |day| {
        warnings(&loaded, day)
            .into_iter()
            .filter_map(|w| match w.kind {
                WarningKind::BoundRefusesAnswer { field, refused, .. } => Some((field, refused)),
                _ => None,
            })
            .collect::<Vec<_>>()
    };
    assert!(refused(date(2026, 12, 31)).is_empty());
    assert_eq!(
        refused(date(2027, 1, 5)),
        vec![("founded_year".into(), 2027)]
    );
}
