use crate::db_test;
use crate::helpers::TestApp;

async fn healthz_answers_ok_once_the_database_answers(app: TestApp) {
    let res = app.get("/healthz").await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.json::<serde_json::Value>().await.unwrap(),
        serde_json::json!({"status": "ok"})
    );
    let _ = app.stop().await;
}
db_test!(healthz_answers_ok_once_the_database_answers);
