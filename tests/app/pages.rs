//! The questionnaire as a browser walks it: cookies, CSRF tokens, redirects, errors, resume.

use reqwest::Client;
use serde_json::Value;

use crate::db_test;
use crate::fixtures::{Pick, answers, body};
use crate::helpers::{TestApp, browser, hidden_input};

const QID: &str = "dxready-sme";

async fn get_page(app: &TestApp, client: &Client, path: &str) -> (u16, String) {
    let res = client.get(app.url(path)).send().await.unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

/// Posts a form found at `page_path` (taking its CSRF token) and returns status, Location, body.
async fn post_form(
    app: &TestApp,
    client: &Client,
    page_path: &str,
    action: &str,
    fields: &[(String, String)],
) -> (u16, Option<String>, String) {
    let (_, page) = get_page(app, client, page_path).await;
    let token = hidden_input(&page, "csrf_token").expect("the page has a CSRF token");
    let mut form = vec![("csrf_token".to_string(), token)];
    form.extend_from_slice(fields);
    let res = client
        .post(app.url(action))
        .form(&form)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let location = res
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string());
    (status, location, res.text().await.unwrap())
}

fn section_fields(
    def: &Value,
    section: &str,
    answers: &serde_json::Map<String, Value>,
) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let s = def["sections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == section)
        .unwrap();
    for q in s["questions"].as_array().unwrap() {
        let id = q["id"].as_str().unwrap();
        match answers.get(id) {
            Some(Value::String(v)) => out.push((id.to_string(), v.clone())),
            Some(Value::Array(vs)) => out.extend(
                vs.iter()
                    .map(|v| (id.to_string(), v.as_str().unwrap().to_string())),
            ),
            Some(Value::Number(n)) => out.push((id.to_string(), n.to_string())),
            _ => {}
        }
    }
    out
}

fn business_fields() -> Vec<(String, String)> {
    [
        ("name", "Công ty TNHH Hải Nam"),
        ("province", "hai-phong"),
        ("former_province", "hai-duong"),
        ("sector", "food_processing"),
        ("ocop", "yes"),
        ("employees", "25"),
        ("founded_year", "2015"),
        ("trade", "export"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// Walks the whole questionnaire; returns the result path.
async fn walk(app: &TestApp, client: &Client, pick: Pick, email: Option<&str>) -> String {
    let def: Value = app
        .get(&format!("/api/v1/questionnaires/{QID}"))
        .await
        .json()
        .await
        .unwrap();
    let answers = answers(&def, pick);
    let (status, location, _) = post_form(
        app,
        client,
        &format!("/s/{QID}"),
        &format!("/s/{QID}/start"),
        &[],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(location.as_deref(), Some("/s/dxready-sme/step/business"));
    let mut step_path = location.unwrap();
    let (status, location, body) =
        post_form(app, client, &step_path, &step_path, &business_fields()).await;
    assert_eq!(status, 303, "{body}");
    step_path = location.unwrap();
    for s in def["sections"].as_array().unwrap() {
        let id = s["id"].as_str().unwrap();
        assert_eq!(step_path, format!("/s/{QID}/step/{id}"));
        let (_, page) = get_page(app, client, &step_path).await;
        assert!(page.contains("role=\"progressbar\""), "{id} shows progress");
        let (status, location, body) = post_form(
            app,
            client,
            &step_path,
            &step_path,
            &section_fields(&def, id, &answers),
        )
        .await;
        assert_eq!(status, 303, "{id}: {body}");
        step_path = location.unwrap();
    }
    assert_eq!(step_path, format!("/s/{QID}/step/contact"));
    let (_, consent_page) = get_page(app, client, &step_path).await;
    let boxes: Vec<&str> = consent_page
        .split("<input")
        .skip(1)
        .filter(|i| i.contains("type=\"checkbox\""))
        .map(|i| &i[..i.find('>').unwrap()])
        .collect();
    assert!(boxes.len() >= 3, "a box per purpose: {boxes:?}");
    assert!(
        boxes.iter().all(|b| !b.contains("checked")),
        "no consent is ticked in advance: {boxes:?}"
    );
    let mut contact = vec![("consent-processing".to_string(), "yes".to_string())];
    if let Some(e) = email {
        contact.push(("email".into(), e.into()));
        contact.push(("consent-email_report".into(), "yes".into()));
    }
    let (status, location, body) = post_form(app, client, &step_path, &step_path, &contact).await;
    assert_eq!(status, 303, "{body}");
    assert_eq!(location.as_deref(), Some("/s/dxready-sme/review"));
    let (status, review) = get_page(app, client, "/s/dxready-sme/review").await;
    assert_eq!(status, 200);
    assert!(review.contains("Công ty TNHH Hải Nam"));
    let (status, location, body) = post_form(
        app,
        client,
        "/s/dxready-sme/review",
        "/s/dxready-sme/submit",
        &[],
    )
    .await;
    assert_eq!(status, 303, "{body}");
    let result = location.unwrap();
    assert!(result.starts_with("/r/"));
    result
}

async fn a_browser_walks_the_whole_questionnaire(app: TestApp) {
    let client = browser();
    let (status, landing) = get_page(&app, &client, "/").await;
    assert_eq!(status, 200);
    assert!(landing.contains("/s/dxready-sme"));
    assert!(landing.contains("khoảng 12 phút"), "how long it takes");
    assert!(
        landing.contains("Chúng tôi thu thập gì và vì sao"),
        "what is collected and why"
    );
    let result = walk(&app, &client, Pick::Best, None).await;
    let (status, page) = get_page(&app, &client, &result).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("Mức 5") && page.contains("Dẫn dắt"),
        "top level shown"
    );
    assert!(
        page.contains("<svg") && page.contains("<table"),
        "chart and its table"
    );
    let token = result.trim_start_matches("/r/");
    let api: Value = app
        .get(&format!("/api/v1/results/{token}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(api["overall"], 100.0);
    // The English page is the same result in English.
    let (_, en) = get_page(&app, &client, &format!("{result}?lang=en")).await;
    assert!(en.contains("Level 5") && en.contains("Leading"));
}
db_test!(a_browser_walks_the_whole_questionnaire);

async fn errors_are_shown_inline_and_nothing_typed_is_lost(app: TestApp) {
    let client = browser();
    let (_, location, _) =
        post_form(&app, &client, "/s/dxready-sme", "/s/dxready-sme/start", &[]).await;
    let step = location.unwrap();
    let fields = vec![
        ("name".to_string(), "Cửa hàng Lan".to_string()),
        ("employees".into(), "mười hai".into()),
    ];
    let (status, _, body) = post_form(&app, &client, &step, &step, &fields).await;
    assert_eq!(status, 422);
    assert!(body.contains("<title>Lỗi:"), "title says there is an error");
    assert!(body.contains("Có lỗi cần sửa"));
    assert!(
        body.contains("href=\"#f-province\""),
        "summary links to the field"
    );
    assert!(body.contains("value=\"Cửa hàng Lan\""), "typed name kept");
    assert!(
        body.contains("value=\"mười hai\""),
        "typed number kept to correct"
    );
    // The valid part was saved: a fresh GET shows it.
    let (_, again) = get_page(&app, &client, &step).await;
    assert!(again.contains("value=\"Cửa hàng Lan\""));
}
db_test!(errors_are_shown_inline_and_nothing_typed_is_lost);

async fn forms_without_a_valid_csrf_token_are_refused(app: TestApp) {
    let client = browser();
    let res = client
        .post(app.url("/s/dxready-sme/start"))
        .form(&[("csrf_token", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let res = client
        .post(app.url("/s/dxready-sme/start"))
        .form(&[("x", "y")])
        .send()
        .await
        .unwrap();
    assert!(
        res.status() == 403 || res.status() == 422,
        "{}",
        res.status()
    );
}
db_test!(forms_without_a_valid_csrf_token_are_refused);

async fn a_second_device_resumes_with_the_link(app: TestApp) {
    let phone = browser();
    let (_, location, _) =
        post_form(&app, &phone, "/s/dxready-sme", "/s/dxready-sme/start", &[]).await;
    let step = location.unwrap();
    let mut fields = business_fields();
    fields.push(("action".into(), "save".into()));
    let (status, location, _) = post_form(&app, &phone, &step, &step, &fields).await;
    assert_eq!(status, 303);
    let (_, saved) = get_page(&app, &phone, &location.unwrap()).await;
    let start = saved.find("/s/resume/").expect("resume link shown");
    let link: String = saved[start..]
        .chars()
        .take_while(|c| *c != '<' && *c != '"')
        .collect();
    let pc = browser();
    let res = pc.get(app.url(&link)).send().await.unwrap();
    assert_eq!(res.status(), 303);
    let next = res.headers()["location"].to_str().unwrap().to_string();
    // about_you has only optional questions, so the first unanswered required step is next.
    assert_eq!(
        next, "/s/dxready-sme/step/awareness",
        "lands on the next unanswered step"
    );
    let (status, page) = get_page(&app, &pc, "/s/dxready-sme/step/business").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("Công ty TNHH Hải Nam"),
        "answers from the phone are there"
    );
    // A made-up link finds nothing.
    assert_eq!(
        pc.get(app.url("/s/resume/AAAAAAAAAAAAAAAAAAAAAA"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
}
db_test!(a_second_device_resumes_with_the_link);

async fn double_submission_creates_one_response(app: TestApp) {
    use sea_orm::{EntityTrait, PaginatorTrait};
    let client = browser();
    let result = walk(&app, &client, Pick::Varied(7), None).await;
    // Pressing submit again (e.g. back button, double click) does not create another response.
    let res = client
        .get(app.url("/s/dxready-sme/review"))
        .send()
        .await
        .unwrap();
    let status = res.status();
    let body = res.text().await.unwrap();
    assert!(status == 200 || status == 303, "{status}");
    if let Some(token) = hidden_input(&body, "csrf_token") {
        let res = client
            .post(app.url("/s/dxready-sme/submit"))
            .form(&[("csrf_token", token)])
            .send()
            .await
            .unwrap();
        assert_ne!(res.status(), 500);
    }
    let n = dxready::db::entities::response::Entity::find()
        .count(&app.state.db)
        .await
        .unwrap();
    assert_eq!(n, 1);
    assert_eq!(
        client.get(app.url(&result)).send().await.unwrap().status(),
        200
    );
}
db_test!(double_submission_creates_one_response);

async fn withdrawing_and_deleting(app: TestApp) {
    let client = browser();
    let result = walk(&app, &client, Pick::Varied(2), Some("owner@example.vn")).await;
    let withdraw = format!("{result}/withdraw");
    let (status, _, body) = post_form(
        &app,
        &client,
        &withdraw,
        &withdraw,
        &[("action".into(), "withdraw".into())],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, _, _) = post_form(
        &app,
        &client,
        &withdraw,
        &withdraw,
        &[("action".into(), "delete".into())],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        client.get(app.url(&result)).send().await.unwrap().status(),
        404
    );
}
db_test!(withdrawing_and_deleting);

async fn pages_are_small_and_say_their_language(app: TestApp) {
    let client = browser();
    let (_, landing) = get_page(&app, &client, "/").await;
    assert!(landing.contains("<html lang=\"vi\""));
    assert!(landing.len() < 50_000);
    let (_, en) = get_page(&app, &client, "/?lang=en").await;
    assert!(en.contains("<html lang=\"en\""));
    // Remembered by cookie.
    let (_, again) = get_page(&app, &client, "/").await;
    assert!(again.contains("<html lang=\"en\""));
    let css = client
        .get(app.url("/static/style.css"))
        .send()
        .await
        .unwrap();
    assert_eq!(css.status(), 200);
    assert!(css.text().await.unwrap().len() < 20_000);
}
db_test!(pages_are_small_and_say_their_language);

/// Deletion (contract): every row that identifies the firm goes, and so does every consent in
/// force; the anonymised response, answers and result stay for the aggregates.
async fn deleting_a_response_removes_its_personal_rows_and_keeps_the_anonymised_answers(
    app: TestApp,
) {
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    let client = browser();
    let result = walk(&app, &client, Pick::Varied(4), Some("owner@example.vn")).await;
    let db = &app.state.db;
    use dxready::db::entities::*;
    let answers = response::Entity::find().all(db).await.unwrap()[0]
        .answers
        .clone();
    assert!(answers.len() > 100, "answers are stored: {answers}");
    let withdraw = format!("{result}/withdraw");
    let (status, _, _) = post_form(
        &app,
        &client,
        &withdraw,
        &withdraw,
        &[("action".into(), "delete".into())],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(contact::Entity::find().count(db).await.unwrap(), 0);
    assert_eq!(outbox::Entity::find().count(db).await.unwrap(), 0);
    let in_force = consent::Entity::find()
        .filter(consent::Column::WithdrawnAt.is_null())
        .count(db)
        .await
        .unwrap();
    assert_eq!(in_force, 0, "no consent stays in force");
    let stored = response::Entity::find().all(db).await.unwrap();
    assert_eq!(stored.len(), 1, "the anonymised response stays");
    assert!(stored[0].result_token_hash.is_none() && stored[0].resume_token_hash.is_none());
    assert_eq!(stored[0].answers, answers, "the anonymised answers stay");
    assert_eq!(
        assessment_result::Entity::find().count(db).await.unwrap(),
        1
    );
    assert_eq!(result_dimension::Entity::find().count(db).await.unwrap(), 7);
}
db_test!(deleting_a_response_removes_its_personal_rows_and_keeps_the_anonymised_answers);

/// The result page compares a firm with its sector and province only once at least five such
/// firms exist, and its full roadmap downloads as a PDF.
async fn results_compare_with_five_peers_and_download_as_pdf(app: TestApp) {
    let client = browser();
    let def: Value = app
        .get(&format!("/api/v1/questionnaires/{QID}"))
        .await
        .json()
        .await
        .unwrap();
    let mut pages = Vec::new();
    for pick in [
        Pick::Worst,
        Pick::Varied(1),
        Pick::Best,
        Pick::Varied(2),
        Pick::Worst,
    ] {
        let res = app
            .post_json(
                &format!("/api/v1/questionnaires/{QID}/responses"),
                &body(&def, pick),
            )
            .await;
        assert_eq!(res.status(), 201);
        let result: Value = res.json().await.unwrap();
        let token = result["token"].as_str().unwrap().to_string();
        let (status, page) = get_page(&app, &client, &format!("/r/{token}")).await;
        assert_eq!(status, 200);
        pages.push((token, page));
    }
    for (_, page) in &pages[..4] {
        assert!(
            !page.contains("class=\"peers\""),
            "shown with fewer than five"
        );
    }
    let (token, fifth) = &pages[4];
    assert!(fifth.contains("class=\"peers\""), "shown at five");
    assert!(fifth.contains("(5 doanh nghiệp)"), "names the group's size");
    assert!(fifth.contains("Khởi đầu thông minh") && fifth.contains("<ol class=\"steps\""));
    assert!(fifth.contains(&format!("/r/{token}/pdf")));

    let pdf = client
        .get(app.url(&format!("/r/{token}/pdf")))
        .send()
        .await
        .unwrap();
    assert_eq!(pdf.status(), 200);
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    assert!(pdf.bytes().await.unwrap().starts_with(b"%PDF"));
    let (status, _) = get_page(&app, &client, "/r/not-a-token/pdf").await;
    assert_eq!(status, 404);
}
db_test!(results_compare_with_five_peers_and_download_as_pdf);

/// Every row of every table as text, one line per row, on SQLite and PostgreSQL alike.
async fn every_table_as_text(app: &TestApp) -> String {
    use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};
    let db = &app.state.db;
    let backend = db.get_database_backend();
    let text_of = |sql: String| Statement::from_string(backend, sql);
    let tables: Vec<String> = match backend {
        DatabaseBackend::Sqlite => db
            .query_all_raw(text_of(
                "SELECT name FROM sqlite_master WHERE type = 'table'".into(),
            ))
            .await
            .unwrap()
            .iter()
            .map(|r| r.try_get::<String>("", "name").unwrap())
            .collect(),
        _ => db
            .query_all_raw(text_of(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'".into(),
            ))
            .await
            .unwrap()
            .iter()
            .map(|r| r.try_get::<String>("", "tablename").unwrap())
            .collect(),
    };
    let mut out = String::new();
    for table in tables {
        let sql = match backend {
            DatabaseBackend::Sqlite => {
                let columns: Vec<String> = db
                    .query_all_raw(text_of(format!(
                        "SELECT name FROM pragma_table_info('{table}')"
                    )))
                    .await
                    .unwrap()
                    .iter()
                    .map(|r| r.try_get::<String>("", "name").unwrap())
                    .collect();
                let joined: Vec<String> = columns
                    .iter()
                    // Blobs (ids) as hex: cast to text they would not be UTF-8.
                    .map(|c| {
                        format!(
                            "coalesce(CASE WHEN typeof(\"{c}\") = 'blob' THEN hex(\"{c}\") ELSE CAST(\"{c}\" AS TEXT) END, '')"
                        )
                    })
                    .collect();
                format!(
                    "SELECT {} AS row FROM \"{table}\"",
                    joined.join(" || '|' || ")
                )
            }
            _ => format!("SELECT CAST(t AS TEXT) AS row FROM \"{table}\" t"),
        };
        for r in db.query_all_raw(text_of(sql)).await.unwrap() {
            out.push_str(&table);
            out.push_str(": ");
            out.push_str(&r.try_get::<String>("", "row").unwrap_or_default());
            out.push('\n');
        }
    }
    out
}

/// Whether the SQLite database or its -wal/-shm companions in `dir` hold `text` anywhere, in
/// free pages too (not the .eml files of sent mail).
fn database_files_hold(dir: &std::path::Path, text: &str) -> bool {
    let mut files = 0;
    let mut found = false;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if !path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("test.db")
        {
            continue;
        }
        files += 1;
        let bytes = std::fs::read(&path).unwrap();
        found |= bytes.windows(text.len()).any(|w| w == text.as_bytes());
    }
    assert!(files >= 1, "no database file in {}", dir.display());
    found
}

/// The firm's rights (contract): each consent is withdrawn on its own; deletion removes the
/// name, e-mail and phone from every table and is audited, while the anonymised answers stay in
/// the aggregates, so the city's count does not change.
async fn each_consent_is_withdrawn_on_its_own_and_deletion_keeps_the_aggregates(app: TestApp) {
    use dxready::domain::questionnaire::ConsentPurpose;
    let def: Value = app
        .get(&format!("/api/v1/questionnaires/{QID}"))
        .await
        .json()
        .await
        .unwrap();
    let (name, email, phone) = ("Xưởng Gốm Bát Tràng", "gom@battrang.vn", "0987 654 321");
    let mut request = body(&def, Pick::Varied(5));
    request["business"]["name"] = name.into();
    request["contact"] = serde_json::json!({
        "email": email, "phone": phone, "consent_email": true, "consent_followup": true,
    });
    let res = app
        .post_json(&format!("/api/v1/questionnaires/{QID}/responses"), &request)
        .await;
    assert_eq!(res.status(), 201);
    let token = res.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_string();
    let result = format!("/r/{token}");
    let withdraw = format!("{result}/withdraw");
    let client = browser();
    let (_, page) = get_page(&app, &client, &withdraw).await;
    assert!(
        page.contains("value=\"withdraw:followup\"")
            && page.contains("value=\"withdraw:email_report\""),
        "{page}"
    );

    let (status, _, _) = post_form(
        &app,
        &client,
        &withdraw,
        &withdraw,
        &[("action".into(), "withdraw:followup".into())],
    )
    .await;
    assert_eq!(status, 200);
    let stored =
        dxready::db::responses::find_result(&app.state.db, &app.state.questionnaires, &token)
            .await
            .unwrap()
            .expect("the result stays");
    assert!(
        !stored.consents.contains(&ConsentPurpose::Followup),
        "follow-up withdrawn"
    );
    assert!(
        stored.consents.contains(&ConsentPurpose::EmailReport),
        "the e-mail consent stays"
    );
    let (_, page) = get_page(&app, &client, &withdraw).await;
    assert!(
        !page.contains("value=\"withdraw:followup\""),
        "no longer offered"
    );

    let count = |text: &str| {
        text.lines()
            .filter(|l| l.starts_with("assessment_result: "))
            .count()
    };
    let before = every_table_as_text(&app).await;
    assert!(before.contains(email) && before.contains(name));
    if app.settings.database.database_url.starts_with("sqlite:") {
        assert!(
            database_files_hold(app.dir.path(), email),
            "the search below finds what is stored"
        );
    }
    let (status, _, _) = post_form(
        &app,
        &client,
        &withdraw,
        &withdraw,
        &[("action".into(), "delete".into())],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        client.get(app.url(&result)).send().await.unwrap().status(),
        404
    );
    let after = every_table_as_text(&app).await;
    for personal in [name, email, phone] {
        assert!(
            !after.contains(personal),
            "{personal} is still stored:\n{}",
            after
                .lines()
                .filter(|l| l.contains(personal))
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
    assert_eq!(
        count(&after),
        count(&before),
        "the anonymised result stays in the aggregates"
    );
    assert!(
        after.contains("consent_withdrawn") && after.contains("data_deleted"),
        "both are audited"
    );
    let city_total = |app: &TestApp| {
        let db = app.state.db.clone();
        async move {
            use sea_orm::{EntityTrait, PaginatorTrait};
            dxready::db::entities::response::Entity::find()
                .count(&db)
                .await
                .unwrap()
        }
    };
    assert_eq!(
        city_total(&app).await,
        1,
        "the anonymised response stays counted"
    );

    // Nor do the database files once the service has stopped: SQLite overwrites deleted
    // content (`secure_delete`) and a clean stop leaves no write-ahead log behind.
    let sqlite = app.settings.database.database_url.starts_with("sqlite:");
    let (_settings, dir) = app.stop().await;
    if sqlite {
        let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
        for personal in [name, email, phone, digits.as_str()] {
            assert!(
                !database_files_hold(dir.path(), personal),
                "{personal} is still in the database files"
            );
        }
    }
}
db_test!(each_consent_is_withdrawn_on_its_own_and_deletion_keeps_the_aggregates);

/// Re-assessment (contract): a body naming an earlier result's token links to it and carries
/// its scores as `previous`, in the 201 answer and when read back; an unknown token is a 422 on
/// `previous`. The result page shows the change and offers a re-assessment that starts with the
/// firm's profile filled in and linked to the earlier result.
async fn a_re_assessment_links_to_the_earlier_result_and_shows_progress(app: TestApp) {
    let def: Value = app
        .get(&format!("/api/v1/questionnaires/{QID}"))
        .await
        .json()
        .await
        .unwrap();
    let url = format!("/api/v1/questionnaires/{QID}/responses");
    let first: Value = app
        .post_json(&url, &body(&def, Pick::Worst))
        .await
        .json()
        .await
        .unwrap();
    let t0 = first["token"].as_str().unwrap().to_string();

    let mut again = body(&def, Pick::Best);
    again["previous"] = t0.clone().into();
    let res = app.post_json(&url, &again).await;
    assert_eq!(res.status(), 201);
    let second: Value = res.json().await.unwrap();
    assert_eq!(second["previous"]["overall"], first["overall"]);
    assert_eq!(second["previous"]["level"], first["level"]);
    let ids_scores = |dims: &Value| -> Vec<(Value, Value)> {
        dims.as_array()
            .unwrap()
            .iter()
            .map(|d| (d["id"].clone(), d["score"].clone()))
            .collect()
    };
    assert_eq!(
        ids_scores(&second["previous"]["dimensions"]),
        ids_scores(&first["dimensions"])
    );
    let t1 = second["token"].as_str().unwrap();
    let read: Value = app
        .get(&format!("/api/v1/results/{t1}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(read["previous"], second["previous"]);
    let plain: Value = app
        .get(&format!("/api/v1/results/{t0}"))
        .await
        .json()
        .await
        .unwrap();
    assert!(
        plain.get("previous").is_none(),
        "a first assessment has no previous"
    );

    let mut unknown = body(&def, Pick::Best);
    unknown["previous"] = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".into();
    let res = app.post_json(&url, &unknown).await;
    assert_eq!(res.status(), 422);
    let err: Value = res.json().await.unwrap();
    assert!(err["fields"]["previous"].is_string(), "{err}");

    let client = browser();
    let (_, page) = get_page(&app, &client, &format!("/r/{t1}")).await;
    assert!(
        page.contains("Tiến bộ qua các lần đánh giá")
            && page.contains("T0 · ")
            && page.contains("T1 · "),
        "the change is shown"
    );
    let retake = format!("/s/{QID}?previous={t1}");
    assert!(
        page.contains(&retake.replace('&', "&amp;")),
        "a re-assessment is offered"
    );
    let (_, start) = get_page(&app, &client, &retake).await;
    assert_eq!(
        hidden_input(&start, "previous").as_deref(),
        Some(t1),
        "the start form carries it"
    );
    let fields = [("previous".to_string(), t1.to_string())];
    let (status, location, _) =
        post_form(&app, &client, &retake, &format!("/s/{QID}/start"), &fields).await;
    assert_eq!(status, 303);
    let (_, business) = get_page(&app, &client, &location.unwrap()).await;
    assert!(
        business.contains("value=\"Cửa hàng Minh Anh\""),
        "the business name is filled in"
    );
    assert!(
        business.contains("value=\"hung-yen\" selected"),
        "the province is filled in"
    );
    use dxready::db::entities::response;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let draft = response::Entity::find()
        .filter(response::Column::Status.eq("draft"))
        .one(&app.state.db)
        .await
        .unwrap()
        .expect("the draft");
    assert!(
        draft.previous_response_id.is_some(),
        "the draft is linked to the earlier result"
    );
}
db_test!(a_re_assessment_links_to_the_earlier_result_and_shows_progress);

// ---------- resume links (issue 15, finding 2) ----------

/// Starts a draft in `client` and saves it for later with `email` on the contact step; returns
/// where the save led (`/s/…/saved`, with `?sent=1` when an e-mail was queued).
async fn save_for_later(app: &TestApp, client: &Client, email: &str) -> String {
    let (status, _, _) =
        post_form(app, client, "/s/dxready-sme", "/s/dxready-sme/start", &[]).await;
    assert_eq!(status, 303);
    save_again(app, client, email).await
}

async fn save_again(app: &TestApp, client: &Client, email: &str) -> String {
    let step = "/s/dxready-sme/step/contact";
    let fields = vec![
        ("email".to_string(), email.to_string()),
        ("action".to_string(), "save".to_string()),
    ];
    let (status, location, body) = post_form(app, client, step, step, &fields).await;
    assert_eq!(status, 303, "{body}");
    location.unwrap()
}

async fn resume_mails(app: &TestApp) -> usize {
    app.messages()
        .await
        .iter()
        .filter(|m| m.kind == "resume_link")
        .count()
}

fn client_from(last: u8) -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .local_address(std::net::IpAddr::V4(std::net::Ipv4Addr::new(
            127, 0, 3, last,
        )))
        .build()
        .unwrap()
}

async fn resume_emails_are_limited_per_draft_address_and_client(app: TestApp) {
    let app = &app;
    // One draft saved five times: one e-mail.
    let client = client_from(1);
    assert!(
        save_for_later(app, &client, "owner@example.vn")
            .await
            .ends_with("?sent=1")
    );
    for _ in 0..4 {
        let again = save_again(app, &client, "owner@example.vn").await;
        assert!(!again.ends_with("?sent=1"), "no second e-mail: {again}");
    }
    assert_eq!(resume_mails(app).await, 1);
    // New drafts to the same address: three a day, whoever starts them.
    for i in 0..3u8 {
        save_for_later(app, &client_from(10 + i), "owner@example.vn").await;
    }
    assert_eq!(resume_mails(app).await, 3);
    // One client, many addresses: ten an hour.
    let sender = client_from(20);
    for i in 0..11 {
        save_for_later(app, &sender, &format!("person{i}@example.vn")).await;
    }
    assert_eq!(resume_mails(app).await, 3 + 10);
}
db_test!(resume_emails_are_limited_per_draft_address_and_client);

/// The resume link a "saved" page shows.
fn resume_link(page: &str) -> String {
    let start = page.find("/s/resume/").expect("resume link shown");
    page[start..]
        .chars()
        .take_while(|c| *c != '<' && *c != '"')
        .collect()
}

/// Someone starts a draft and has its resume link sent to a victim's address. Once the victim
/// picks the draft up from that link, neither the starter's cookie nor the link reads what the
/// victim types.
async fn a_resume_link_sent_to_someone_else_cannot_be_used_to_read_their_answers(app: TestApp) {
    let attacker = browser();
    let saved = save_for_later(&app, &attacker, "victim@example.vn").await;
    let (_, page) = get_page(&app, &attacker, &saved).await;
    let link = resume_link(&page);

    let victim = browser();
    let res = victim.get(app.url(&link)).send().await.unwrap();
    assert_eq!(res.status(), 303);
    let step = "/s/dxready-sme/step/business";
    let mut fields = business_fields();
    fields[0].1 = "Xưởng may Bí Mật".into();
    let (status, _, _) = post_form(&app, &victim, step, step, &fields).await;
    assert_eq!(status, 303);
    let (_, mine) = get_page(&app, &victim, step).await;
    assert!(mine.contains("Xưởng may Bí Mật"), "the victim continues");

    let res = attacker.get(app.url(step)).send().await.unwrap();
    assert_eq!(
        res.status(),
        303,
        "the starter's cookie no longer finds the draft"
    );
    assert!(!res.text().await.unwrap().contains("Bí Mật"));
    let res = attacker.get(app.url(&link)).send().await.unwrap();
    assert_eq!(res.status(), 404, "the link's token has ended");
}
db_test!(a_resume_link_sent_to_someone_else_cannot_be_used_to_read_their_answers);

/// Issue 15, finding 6: a draft left alone past its lifetime cannot be resumed, and the next
/// new draft purges it.
async fn abandoned_drafts_expire_and_are_purged(app: TestApp) {
    use dxready::db::entities::response;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
    let client = browser();
    let saved = save_for_later(&app, &client, "owner@example.vn").await;
    let (_, page) = get_page(&app, &client, &saved).await;
    let link = resume_link(&page);
    let stale =
        chrono::Utc::now() - dxready::db::responses::DRAFT_LIFETIME - chrono::Duration::days(1);
    response::Entity::update_many()
        .col_expr(response::Column::UpdatedAt, Expr::value(stale))
        .filter(response::Column::Status.eq("draft"))
        .exec(&app.state.db)
        .await
        .unwrap();
    let res = browser().get(app.url(&link)).send().await.unwrap();
    assert_eq!(res.status(), 404, "the link has expired");
    let res = client
        .get(app.url("/s/dxready-sme/step/business"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303, "the cookie no longer finds it");
    // Someone starts a new draft: the old one is gone from the database.
    let (status, _, _) = post_form(
        &app,
        &browser(),
        "/s/dxready-sme",
        "/s/dxready-sme/start",
        &[],
    )
    .await;
    assert_eq!(status, 303);
    let drafts = response::Entity::find().all(&app.state.db).await.unwrap();
    assert_eq!(drafts.len(), 1, "only the new draft is left");
    assert!(drafts[0].updated_at > stale);
}
db_test!(abandoned_drafts_expire_and_are_purged);
