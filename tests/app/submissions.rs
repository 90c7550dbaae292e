//! Group commit (`db::submissions`): submissions arriving together are written in one
//! transaction, each is answered only once it is stored, a draft submitted twice in one batch is
//! stored once, and one bad submission never fails the others in its batch.

use std::collections::HashSet;

use chrono::Utc;
use dxready::db::Error;
use dxready::db::entities::{assessment_result, response, result_dimension};
use dxready::db::responses;
use dxready::db::submissions::{
    self, NewSubmission, SubmissionRows, write_batch, write_batch_isolating_failures,
};
use dxready::domain::assessment::assess;
use dxready::domain::questionnaire::extreme_submission;
use dxready::domain::{Contact, Definition, Lang};
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::Value;

use crate::db_test;
use crate::fixtures::{Pick, body};
use crate::helpers::TestApp;

const Q: &str = "/api/v1/questionnaires/dxready-sme";

async fn count<E>(app: &TestApp) -> u64
where
    E: EntityTrait,
    E::Model: Sync,
{
    PaginatorTrait::count(E::find(), &app.state.db)
        .await
        .unwrap()
}

/// Many clients at once, as in the load benchmark: every submission is answered 201 with its own
/// result, and every one is stored whole — its result reads back the same.
async fn concurrent_submissions_are_each_stored_whole(app: TestApp) {
    const CLIENTS: u64 = 48;
    let def: Value = app.get(Q).await.json().await.unwrap();
    let client = reqwest::Client::new();
    let url = app.url(&format!("{Q}/responses"));
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..CLIENTS {
        let (client, url, body) = (client.clone(), url.clone(), body(&def, Pick::Varied(i)));
        tasks.spawn(async move {
            let res = client.post(url).json(&body).send().await.unwrap();
            (res.status().as_u16(), res.json::<Value>().await.unwrap())
        });
    }
    let mut tokens = HashSet::new();
    let mut created = Vec::new();
    while let Some(done) = tasks.join_next().await {
        let (status, result) = done.unwrap();
        assert_eq!(status, 201, "{result}");
        assert!(tokens.insert(result["token"].as_str().unwrap().to_string()));
        created.push(result);
    }
    assert_eq!(created.len() as u64, CLIENTS);
    for result in &created {
        let token = result["token"].as_str().unwrap();
        let res = app.get(&format!("/api/v1/results/{token}")).await;
        assert_eq!(res.status(), 200);
        let stored: Value = res.json().await.unwrap();
        assert_eq!(stored["overall"], result["overall"]);
        assert_eq!(stored["roadmap"], result["roadmap"]);
    }
    assert_eq!(count::<response::Entity>(&app).await, CLIENTS);
    assert_eq!(count::<assessment_result::Entity>(&app).await, CLIENTS);
    assert_eq!(count::<result_dimension::Entity>(&app).await, CLIENTS * 7);
    // Every response has its answers (each body answers far more than 20 questions).
    for r in response::Entity::find().all(&app.state.db).await.unwrap() {
        let answers = stored_answers(&r).len();
        assert!(answers > 20, "response {} has {answers} answers", r.id);
    }
}
db_test!(concurrent_submissions_are_each_stored_whole);

fn definition(app: &TestApp) -> std::sync::Arc<Definition> {
    app.state.questionnaires.latest_of("dxready-sme").unwrap()
}

/// The rows of one synthetic submission (best or worst answers), for `draft` if given.
fn rows(def: &Definition, best: bool, draft: Option<uuid::Uuid>) -> (SubmissionRows, String) {
    let assessed = assess(def, &extreme_submission(def, best), Utc::now().date_naive());
    submissions::prepare(
        draft,
        NewSubmission {
            def,
            lang: Lang::Vi,
            submission: &assessed.submission,
            contact: &Contact::default(),
            result: &assessed.result,
            roadmap: &assessed.roadmap,
            size_class: assessed.size_class.clone(),
            channel: "web",
            now: Utc::now(),
            email_report_to: None,
        },
    )
}

async fn one_bad_submission_does_not_fail_its_batch(app: TestApp) {
    let def = definition(&app);
    let (first, first_token) = rows(&def, true, None);
    let (second, second_token) = rows(&def, false, None);
    // The same response id twice: the database refuses the copy, failing the batch's transaction.
    let copy = first.clone();
    let outcomes = write_batch_isolating_failures(&app.state.db, &[first, second, copy]).await;
    assert!(outcomes[0].is_ok(), "{:?}", outcomes[0]);
    assert!(outcomes[1].is_ok(), "{:?}", outcomes[1]);
    assert!(
        matches!(outcomes[2], Err(Error::Db(_))),
        "{:?}",
        outcomes[2]
    );
    assert_eq!(count::<response::Entity>(&app).await, 2);
    assert_eq!(count::<assessment_result::Entity>(&app).await, 2);
    for token in [first_token, second_token] {
        let stored = responses::find_result(&app.state.db, &app.state.questionnaires, &token)
            .await
            .unwrap();
        assert!(stored.is_some());
    }
}
db_test!(one_bad_submission_does_not_fail_its_batch);

async fn a_draft_submitted_twice_in_one_batch_is_stored_once(app: TestApp) {
    let def = definition(&app);
    let (id, _resume) = responses::create_draft(&app.state.db, &def, Lang::Vi, None)
        .await
        .unwrap();
    let (first, first_token) = rows(&def, true, Some(id));
    let (again, again_token) = rows(&def, false, Some(id));
    // What is stored: the best answers without those the questionnaire does not ask of this firm.
    let answers = assess(
        &def,
        &extreme_submission(&def, true),
        Utc::now().date_naive(),
    )
    .submission
    .answers;
    let outcomes = write_batch(&app.state.db, &[first, again]).await.unwrap();
    assert!(outcomes[0].is_ok());
    assert!(
        matches!(outcomes[1], Err(Error::Conflict(_))),
        "{:?}",
        outcomes[1]
    );
    assert_eq!(count::<response::Entity>(&app).await, 1);
    assert_eq!(count::<assessment_result::Entity>(&app).await, 1);
    let response = response::Entity::find()
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    let stored_json: Value = serde_json::from_str(&response.answers).unwrap();
    assert_eq!(
        stored_json,
        serde_json::to_value(&answers).unwrap(),
        "the final answers replace the draft's"
    );
    let stored = responses::find_result(&app.state.db, &app.state.questionnaires, &first_token)
        .await
        .unwrap()
        .expect("the first submission is the stored one");
    assert_eq!(stored.score.overall, 100.0);
    assert!(
        responses::find_result(&app.state.db, &app.state.questionnaires, &again_token)
            .await
            .unwrap()
            .is_none()
    );
}
db_test!(a_draft_submitted_twice_in_one_batch_is_stored_once);

/// A result keeps only which rules fired; their texts come back from the questionnaire version
/// it was made with — also once that version's file has left the questionnaires folder, from
/// the copy archived in the database.
async fn a_result_outlives_its_questionnaire_file(app: TestApp) {
    let def = definition(&app);
    let (rows, token) = rows(&def, false, None);
    write_batch(&app.state.db, &[rows])
        .await
        .unwrap()
        .remove(0)
        .unwrap();
    let db = &app.state.db;
    let shown = responses::find_result(db, &app.state.questionnaires, &token)
        .await
        .unwrap()
        .expect("stored");
    assert!(!shown.roadmap.items.is_empty());
    assert!(shown.roadmap.items.iter().all(|i| !i.steps.is_empty()));
    // The folder now holds only some other questionnaire.
    let mut without = dxready::domain::questionnaire::LoadedDir::default();
    without
        .definitions
        .insert(("another".into(), "9.0.0".into()), def.clone());
    let archived = responses::find_result(db, &without, &token)
        .await
        .unwrap()
        .expect("stored");
    assert_eq!(archived.roadmap, shown.roadmap);
    assert_eq!(archived.score, shown.score);
}
db_test!(a_result_outlives_its_questionnaire_file);

/// The pages and the API show a result whose questionnaire version has left the folder (replaced
/// by a newer one), from the version archived in the database.
async fn results_stay_readable_after_their_version_is_replaced(app: TestApp) {
    let def: Value = app.get(Q).await.json().await.unwrap();
    let res = app
        .post_json(&format!("{Q}/responses"), &body(&def, Pick::Varied(3)))
        .await;
    assert_eq!(res.status(), 201);
    let created: Value = res.json().await.unwrap();
    let token = created["token"].as_str().unwrap().to_string();
    let title = created["roadmap"][0]["title"]["vi"]
        .as_str()
        .unwrap()
        .to_string();

    // The same folder, except that the version answered is now 9.0.0.
    let version = created["questionnaire"]["version"]
        .as_str()
        .unwrap()
        .to_string();
    let (mut settings, dir) = app.stop().await;
    let folder = dir.path().join("questionnaires");
    copy_dir(&settings.questionnaires.questionnaires, &folder);
    let old = folder.join(format!("dxready-sme@{version}.toml"));
    let source = std::fs::read_to_string(&old).unwrap();
    std::fs::remove_file(&old).unwrap();
    std::fs::write(
        folder.join("dxready-sme@9.0.0.toml"),
        source.replacen(
            &format!("version = \"{version}\""),
            "version = \"9.0.0\"",
            1,
        ),
    )
    .unwrap();
    settings.questionnaires.questionnaires = folder;
    let app = TestApp::start(settings, dir).await;
    assert!(
        app.state
            .questionnaires
            .get("dxready-sme", &version)
            .is_none()
    );

    let (status, page) = app.get_text(&format!("/r/{token}")).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains(&title), "the roadmap's texts are shown");
    let res = app.get(&format!("/api/v1/results/{token}")).await;
    assert_eq!(res.status(), 200);
    let stored: Value = res.json().await.unwrap();
    assert_eq!(stored["questionnaire"]["version"], version.as_str());
    assert_eq!(stored["roadmap"], created["roadmap"]);
}
db_test!(results_stay_readable_after_their_version_is_replaced);

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Every number a stored result holds reads back bit for bit (issue 9): random firms answering
/// the real questionnaire, submitted over HTTP, then read back from the database through the API.
/// The 201 answer is what the owner was shown; the stored result must be that very document.
async fn stored_results_read_back_bit_for_bit(app: TestApp) {
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};

    const PROVINCES: [&str; 5] = ["ha-noi", "hai-phong", "hung-yen", "ho-chi-minh", "da-nang"];
    const SECTORS: [&str; 4] = ["agriculture", "retail", "manufacturing", "logistics"];
    const TRADE: [&str; 4] = ["none", "import", "export", "both"];
    let def: Value = app.get(Q).await.json().await.unwrap();
    let firms = (
        any::<u64>(),
        prop::sample::select(PROVINCES.to_vec()),
        prop::sample::select(SECTORS.to_vec()),
        0u32..=400,
        prop::sample::select(TRADE.to_vec()),
    );
    let mut runner = TestRunner::new(Config {
        cases: 32,
        failure_persistence: None,
        ..Config::default()
    });
    let handle = tokio::runtime::Handle::current();
    let outcome = tokio::task::block_in_place(|| {
        runner.run(&firms, |(seed, province, sector, employees, trade)| {
            let body = serde_json::json!({
                "lang": "vi",
                "business": crate::fixtures::business(province, sector, employees, trade),
                "answers": crate::fixtures::answers(&def, Pick::Varied(seed)),
            });
            let (shown, stored) = handle.block_on(async {
                let res = app.post_json(&format!("{Q}/responses"), &body).await;
                assert_eq!(res.status(), 201);
                let shown: Value = res.json().await.unwrap();
                let token = shown["token"].as_str().unwrap().to_string();
                let stored: Value = app
                    .get(&format!("/api/v1/results/{token}"))
                    .await
                    .json()
                    .await
                    .unwrap();
                (shown, stored)
            });
            let bits = |v: &Value| v.as_f64().map(f64::to_bits);
            prop_assert_eq!(bits(&stored["overall"]), bits(&shown["overall"]));
            let dims = |v: &Value| -> Vec<Option<u64>> {
                v["dimensions"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|d| bits(&d["score"]))
                    .collect()
            };
            prop_assert_eq!(dims(&stored), dims(&shown));
            for key in ["overall", "level", "dimensions", "barriers", "roadmap"] {
                prop_assert_eq!(&stored[key], &shown[key], "{}", key);
            }
            Ok(())
        })
    });
    if let Err(e) = outcome {
        panic!("{e}");
    }
}
db_test!(stored_results_read_back_bit_for_bit);

/// The answers a response row holds (one JSON object, question id → answer).
fn stored_answers(row: &response::Model) -> serde_json::Map<String, Value> {
    serde_json::from_str(&row.answers).expect("answers are a JSON object")
}
