//! Scoring and roadmap of one realistic response to the real questionnaire (the brief's worked
//! example: a micro retailer in Hưng Yên). Target: well under 50 µs per response.
//!
//! Run with `cargo bench --bench scoring`.

use std::hint::black_box;
use std::path::Path;

use chrono::NaiveDate;
use criterion::{Criterion, criterion_group, criterion_main};

use dxready::domain::questionnaire::{Definition, load_dir};
use dxready::domain::{Answer, ProfileValue, Submission, roadmap, score};

fn definition() -> std::sync::Arc<Definition> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("questionnaires");
    load_dir(&dir)
        .unwrap_or_else(|p| panic!("questionnaires do not load: {p:#?}"))
        .get("dxready-sme", "1.0.0")
        .expect("dxready-sme 1.0.0")
}

/// The worked example of the brief (§7.4): overall 36.5, Mức 2, twenty-odd roadmap items.
fn micro_retailer() -> Submission {
    let mut sub = Submission::default();
    for (field, value) in [
        ("name", ProfileValue::Text("Tạp hóa Minh Anh".into())),
        ("province", ProfileValue::Text("hung-yen".into())),
        ("sector", ProfileValue::Text("retail".into())),
        ("ocop", ProfileValue::Bool(false)),
        ("employees", ProfileValue::Number(4.0)),
        ("revenue_band", ProfileValue::Text("lt3".into())),
        ("founded_year", ProfileValue::Number(2019.0)),
        ("trade", ProfileValue::Text("none".into())),
    ] {
        sub.profile.insert(field.into(), value);
    }
    let one = |v: &str| Answer::One(v.into());
    let many =
        |vs: &[&str]| Answer::Many(vs.iter().map(std::string::ToString::to_string).collect());
    for (question, answer) in [
        ("p6_obstacles", many(&["cost", "roadmap"])),
        ("p7_goals", many(&["sell_more", "comply"])),
        ("q1", one("concrete")),
        ("q2", one("director")),
        ("q3", one("once")),
        ("q4", one("save_time_cost")),
        ("q5", one("reluctant")),
        ("q6", one("ideas")),
        ("q7", one("roughly")),
        ("q8", one("vendor")),
        ("q9", one("no")),
        ("q10", one("lt0_5")),
        ("q11", one("ad_hoc")),
        ("q12", one("aware")),
        ("q13", one("no_software")),
        ("q14", one("relative")),
        ("q15", one("p25_50")),
        ("q16", one("basic")),
        ("q17", one("self")),
        ("q18", one("vendor")),
        ("q19", one("portal")),
        ("q20", one("token_tax")),
        ("q21", one("tax_si")),
        ("q23", one("spreadsheet")),
        ("q24", one("spreadsheet_chat")),
        ("q25", one("chat_email")),
        ("q26", many(&["social", "maps"])),
        ("q27", one("one")),
        ("q28", one("lt5")),
        ("q29", one("qr")),
        ("q30", one("spreadsheet")),
        ("q31", one("not_applicable")),
        ("q32", one("usb")),
        ("q33", one("shared_passwords")),
        ("q34", many(&["licensed_updated"])),
        ("q35", one("call_vendor")),
        ("q36", one("aware_no_action")),
        ("q37", one("sales_book")),
    ] {
        sub.answers.insert(question.into(), answer);
    }
    sub
}

fn bench(c: &mut Criterion) {
    let def = definition();
    let sub = micro_retailer();
    let today = NaiveDate::from_ymd_opt(2026, 6, 1).expect("date");

    // Guard against benchmarking the wrong thing: this is the worked example.
    let result = score(&def, &sub);
    assert_eq!(format!("{:.1}", result.overall), "36.5");
    assert_eq!(result.level, 2);
    assert!(!roadmap(&def, &sub, &result, today).items.is_empty());

    c.bench_function("score + roadmap, one response", |b| {
        b.iter(|| {
            let result = score(black_box(&def), black_box(&sub));
            roadmap(&def, &sub, &result, black_box(today))
        });
    });
    c.bench_function("score only", |b| {
        b.iter(|| score(black_box(&def), black_box(&sub)));
    });
    c.bench_function("roadmap only", |b| {
        b.iter(|| roadmap(black_box(&def), black_box(&sub), &result, black_box(today)));
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
