use serde_json::{Value, json};

use crate::db_test;
use crate::fixtures::{Pick, body};
use crate::helpers::TestApp;

const Q: &str = "/api/v1/questionnaires/dxready-sme";

async fn definition(app: &TestApp) -> Value {
    let res = app.get(Q).await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

async fn submit(app: &TestApp, body: &Value) -> (u16, Value) {
    let res = app.post_json(&format!("{Q}/responses"), body).await;
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn lists_and_describes_questionnaires(app: TestApp) {
    let list: Value = app
        .get("/api/v1/questionnaires")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list[0]["id"], "dxready-sme");
    assert!(list[0]["title"]["vi"].as_str().unwrap().len() > 5);
    let def = definition(&app).await;
    let questions: Vec<&Value> = def["sections"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["questions"].as_array().unwrap())
        .collect();
    let scored: Vec<_> = questions.iter().filter(|q| q["scored"] == true).collect();
    assert_eq!(scored.len(), 37);
    for q in &scored {
        assert!(q["max_points"].as_f64().unwrap() > 0.0, "{}", q["id"]);
        for o in q["options"].as_array().unwrap() {
            if o["not_applicable"] == true {
                assert!(o["points"].is_null());
            } else {
                assert!(o["points"].is_number(), "{} {}", q["id"], o["value"]);
            }
        }
    }
    for q in questions.iter().filter(|q| q["scored"] == false) {
        for o in q["options"].as_array().into_iter().flatten() {
            assert!(o.get("points").is_none());
        }
    }
    let q22 = questions.iter().find(|q| q["id"] == "q22").unwrap();
    assert!(q22["relevant"].as_str().unwrap().contains("trade"));
    let provinces = def["profile"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "province")
        .unwrap();
    assert_eq!(provinces["options"].as_array().unwrap().len(), 34);
    assert_eq!(app.get("/api/v1/questionnaires/nope").await.status(), 404);
}
db_test!(lists_and_describes_questionnaires);

async fn best_and_worst_answers_hit_the_extremes(app: TestApp) {
    let def = definition(&app).await;
    let (status, best) = submit(&app, &body(&def, Pick::Best)).await;
    assert_eq!(status, 201, "{best}");
    assert_eq!(best["overall"], 100.0);
    assert_eq!(best["level"], 5);
    assert_eq!(best["level_name"]["vi"], "Dẫn dắt");
    assert!(
        best["dimensions"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["score"] == 100.0 || d["score"].is_null())
    );
    let (status, worst) = submit(&app, &body(&def, Pick::Worst)).await;
    assert_eq!(status, 201, "{worst}");
    assert_eq!(worst["overall"], 0.0);
    assert_eq!(worst["level"], 0);
    let barriers: Vec<&str> = worst["barriers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["id"].as_str().unwrap())
        .collect();
    for b in ["awareness", "cost", "staffing", "security", "roadmap"] {
        assert!(barriers.contains(&b), "{b} missing in {barriers:?}");
    }
    let phases: Vec<&str> = worst["roadmap"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["phase"].as_str().unwrap())
        .collect();
    assert!(
        phases.contains(&"start_smart")
            && phases.contains(&"start_small")
            && phases.contains(&"scale")
    );
    // The stored result reads back unchanged.
    let token = worst["token"].as_str().unwrap();
    assert_eq!(worst["result_url"], app.url(&format!("/r/{token}")));
    let again: Value = app
        .get(&format!("/api/v1/results/{token}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again, worst);
}
db_test!(best_and_worst_answers_hit_the_extremes);

async fn irrelevant_answers_are_ignored(app: TestApp) {
    let def = definition(&app).await;
    let mut b = body(&def, Pick::Best);
    // No import/export: q22 is not asked, so even its worst answer changes nothing.
    b["answers"]["q22"] = json!(q_worst(&def, "q22"));
    let (status, res) = submit(&app, &b).await;
    assert_eq!(status, 201, "{res}");
    assert_eq!(res["overall"], 100.0);
}
db_test!(irrelevant_answers_are_ignored);

fn q_worst(def: &Value, id: &str) -> String {
    let q = def["sections"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["questions"].as_array().unwrap())
        .find(|q| q["id"] == id)
        .unwrap();
    q["options"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["points"].is_number())
        .min_by(|a, b| {
            a["points"]
                .as_f64()
                .partial_cmp(&b["points"].as_f64())
                .unwrap()
        })
        .unwrap()["value"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn every_bad_field_is_named(app: TestApp) {
    let def = definition(&app).await;
    let mut b = body(&def, Pick::Varied(3));
    b["business"].as_object_mut().unwrap().remove("province");
    b["business"]["sector"] = json!("mining");
    b["answers"]["q19"] = json!("carrier-pigeon");
    b["answers"]["q999"] = json!("x");
    b["answers"].as_object_mut().unwrap().remove("q1");
    b["answers"]["q26"] = json!(["website", "none"]);
    b["contact"] = json!({"email": "not-an-email", "consent_email": true});
    b["extra"] = json!(1);
    let (status, res) = submit(&app, &b).await;
    assert_eq!(status, 422, "{res}");
    let fields = res["fields"].as_object().unwrap();
    for f in [
        "business.province",
        "business.sector",
        "answers.q19",
        "answers.q999",
        "answers.q1",
        "answers.q26",
        "contact.email",
        "extra",
    ] {
        assert!(fields.contains_key(f), "{f} not named in {res}");
    }
    // Nothing was stored.
    let (status, _) = submit(
        &app,
        &json!({"business": {}, "answers": {}, "contact": {"emial": "x"}}),
    )
    .await;
    assert_eq!(status, 422);
}
db_test!(every_bad_field_is_named);

/// Issue 15, finding 6: NUL (which PostgreSQL refuses in text) and marks that reorder what is
/// shown (a right-to-left override) are refused in a firm's name and contact, not stored.
async fn hidden_and_control_characters_are_refused(app: TestApp) {
    let def = definition(&app).await;
    for name in [
        "Cửa hàng\u{0}Lan",
        "Cửa hàng \u{202E}naL",
        "Zero\u{200B}width",
    ] {
        let mut b = body(&def, Pick::Varied(3));
        b["business"]["name"] = json!(name);
        let (status, res) = submit(&app, &b).await;
        assert_eq!(status, 422, "{name:?}: {res}");
        assert!(res["fields"]["business.name"].is_string(), "{res}");
    }
    let mut b = body(&def, Pick::Varied(3));
    b["contact"] = json!({"email": "lan\u{202E}@example.vn"});
    let (status, res) = submit(&app, &b).await;
    assert_eq!(status, 422, "{res}");
    assert!(res["fields"]["contact.email"].is_string(), "{res}");
    // Vietnamese with its combining marks is of course fine.
    let mut b = body(&def, Pick::Varied(3));
    b["business"]["name"] = json!("Cơ sở Đúc đồng Ngũ Xã");
    assert_eq!(submit(&app, &b).await.0, 201);
}
db_test!(hidden_and_control_characters_are_refused);

async fn malformed_oversized_and_unknown_requests(app: TestApp) {
    let url = app.url(&format!("{Q}/responses"));
    let res = app
        .client
        .post(&url)
        .header("content-type", "application/json")
        .body("{\"business\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let res = app
        .client
        .post(&url)
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 415);
    let huge = format!(
        "{{\"business\": {{\"name\": \"{}\"}}, \"answers\": {{}}}}",
        "x".repeat(200_000)
    );
    // Its own connection: the server answers 413 without reading the body and then closes the
    // connection, which a pooled client could otherwise pick for the next request.
    let res = reqwest::Client::new()
        .post(&url)
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    assert_eq!(res.headers()["content-type"], "application/json");
    let error: Value = res.json().await.unwrap();
    assert!(
        error["error"].as_str().is_some_and(|e| !e.is_empty()),
        "{error}"
    );
    // Another rejection the framework makes, not the handler: the wrong method.
    let res = reqwest::Client::new().delete(&url).send().await.unwrap();
    assert_eq!(res.status(), 405);
    let error: Value = res.json().await.unwrap();
    assert!(error["error"].is_string(), "{error}");
    let res = app
        .post_json("/api/v1/questionnaires/nope/responses", &json!({}))
        .await;
    assert_eq!(res.status(), 404);
    assert_eq!(
        app.get("/api/v1/results/AAAAAAAAAAAAAAAAAAAAAA")
            .await
            .status(),
        404
    );
    assert_eq!(app.get("/api/v1/results/short").await.status(), 404);
}
db_test!(malformed_oversized_and_unknown_requests);

async fn openapi_document_matches_the_routes(app: TestApp) {
    let doc: Value = app.get("/api/v1/openapi.json").await.json().await.unwrap();
    let paths = doc["paths"].as_object().unwrap();
    let mut documented: Vec<(String, String)> = paths
        .iter()
        .flat_map(|(p, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .map(move |m| (m.to_uppercase(), p.clone()))
        })
        .collect();
    documented.sort();
    assert_eq!(
        documented,
        vec![
            ("GET".to_string(), "/questionnaires".to_string()),
            ("GET".into(), "/questionnaires/{id}".into()),
            ("GET".into(), "/results/{token}".into()),
            ("GET".into(), "/stats".into()),
            ("POST".into(), "/questionnaires/{id}/responses".into()),
        ]
    );
    // Every documented path answers (not 404/405) on the running server.
    for (method, path) in documented {
        let url = app.url(&format!(
            "/api/v1{}",
            path.replace("{id}", "dxready-sme")
                .replace("{token}", "AAAAAAAAAAAAAAAAAAAAAA")
        ));
        let res = app
            .client
            .request(method.parse().unwrap(), &url)
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_ne!(res.status(), 405, "{method} {path}");
        if method == "GET" && !path.contains("token") && path != "/stats" {
            assert_eq!(res.status(), 200, "{method} {path}");
        }
    }
}
db_test!(openapi_document_matches_the_routes);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_submissions_are_rate_limited_per_address() {
    let app = TestApp::spawn_with(crate::helpers::Backend::Sqlite, |s| s.submit_rate = 2)
        .await
        .unwrap();
    let def = definition(&app).await;
    let b = body(&def, Pick::Varied(1));
    assert_eq!(submit(&app, &b).await.0, 201);
    assert_eq!(submit(&app, &b).await.0, 201);
    let res = app.post_json(&format!("{Q}/responses"), &b).await;
    assert_eq!(res.status(), 429);
    assert!(res.headers().contains_key("retry-after"));
    // Reading is not limited.
    assert_eq!(app.get(Q).await.status(), 200);
}

/// The app stands on its clock's day: in 2027 the definition's founding year goes up to 2027
/// and a firm founded that year can answer; on 4 December 2026 that year is refused by name.
async fn year_bounds_follow_the_app_s_day(backend: crate::helpers::Backend) {
    use chrono::TimeZone;
    use dxready::usecases::Clock;
    for (at, year_allowed) in [
        (
            chrono::Utc.with_ymd_and_hms(2027, 1, 5, 3, 0, 0).unwrap(),
            true,
        ),
        (
            chrono::Utc.with_ymd_and_hms(2026, 12, 4, 3, 0, 0).unwrap(),
            false,
        ),
    ] {
        let Some(app) = TestApp::builder(backend)
            .clock(Clock::Fixed(at))
            .spawn()
            .await
        else {
            return;
        };
        let def = definition(&app).await;
        let founded = def["profile"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["id"] == "founded_year")
            .expect("a founding-year field");
        let this_year = if year_allowed { 2027.0 } else { 2026.0 };
        assert_eq!(founded["max"].as_f64(), Some(this_year), "{founded}");
        let mut request = body(&def, Pick::Best);
        request["business"]["founded_year"] = json!(2027);
        let (status, answer) = submit(&app, &request).await;
        if year_allowed {
            assert_eq!(status, 201, "{answer}");
        } else {
            assert_eq!(status, 422, "{answer}");
            assert!(
                answer["fields"]["business.founded_year"].is_string(),
                "{answer}"
            );
        }
        let _ = app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn year_bounds_follow_the_app_s_day_sqlite() {
    year_bounds_follow_the_app_s_day(crate::helpers::Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn year_bounds_follow_the_app_s_day_postgres() {
    year_bounds_follow_the_app_s_day(crate::helpers::Backend::Postgres).await;
}
