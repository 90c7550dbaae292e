//! The load benchmark's baseline: a bare axum handler that stores as many rows as one real
//! submission does, in one transaction per request, into the same kind of SQLite database — the
//! same connection settings (`dxready::db::connect`: pool, WAL, pragmas), the same schema and
//! indexes (`dxready::db::migrate`), the same ids (`dxready::db::new_response_id`) and the same
//! sea-orm entities — but without parsing,
//! validation, scoring, the roadmap or any middleware. What the real handler reaches as a share
//! of this is the figure `bench/load.sh` reports.
//!
//! ```text
//! BASELINE_DATABASE_URL='sqlite:///tmp/b.db?mode=rwc' BASELINE_ADDR=127.0.0.1:8090 \
//!     cargo run --release --example baseline_insert
//! ```
//!
//! Row counts per request (defaults: one typical submission): `BASELINE_ANSWERS` (39),
//! `BASELINE_DIMENSIONS` (7), `BASELINE_BARRIERS` (3), `BASELINE_CONSENTS` (2), plus one
//! response, one result and one contact row; `BASELINE_RESULT_BYTES` (8000) is the size of the
//! JSON stored with the result (dimensions, barriers, roadmap), as in a real result row.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use chrono::Utc;
use dxready::db::entities::{
    answer, assessment_result, consent, contact, response, result_barrier, result_dimension,
};
use sea_orm::{ActiveValue::Set, DatabaseConnection, EntityTrait, TransactionTrait};
use uuid::Uuid;

/// The same allocator as the app, so the comparison is of the code, not of the allocators.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

struct Shape {
    answers: usize,
    dimensions: usize,
    barriers: usize,
    consents: usize,
    result_json: String,
}

struct Baseline {
    db: DatabaseConnection,
    shape: Shape,
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let url = std::env::var("BASELINE_DATABASE_URL")
        .unwrap_or_else(|_| "sqlite://baseline.db?mode=rwc".into());
    let addr: SocketAddr = env_or("BASELINE_ADDR", "127.0.0.1:8090".parse()?);
    let shape = Shape {
        answers: env_or("BASELINE_ANSWERS", 39),
        dimensions: env_or("BASELINE_DIMENSIONS", 7),
        barriers: env_or("BASELINE_BARRIERS", 3),
        consents: env_or("BASELINE_CONSENTS", 2),
        result_json: format!(
            "\"{}\"",
            "x".repeat(env_or::<usize>("BASELINE_RESULT_BYTES", 8000) / 3)
        ),
    };
    let db = dxready::db::connect(&url).await?;
    dxready::db::migrate(&db).await?;
    let rows = 3 + shape.answers + shape.dimensions + shape.barriers + shape.consents;
    let state = Arc::new(Baseline { db, shape });
    let app = Router::new()
        .route("/api/v1/questionnaires/{id}/responses", post(insert))
        .route("/healthz", axum::routing::get(|| async { "ok" }))
        .with_state(state);
    let listener = tokio::net::TcpListener::bind(addr).await?;
    eprintln!("baseline_insert: {rows} rows per request, listening on {addr}");
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}

async fn insert(
    State(state): State<Arc<Baseline>>,
    _body: Bytes,
) -> Result<(StatusCode, Json<serde_json::Value>), (StatusCode, String)> {
    store(&state)
        .await
        .map(|id| (StatusCode::CREATED, Json(serde_json::json!({ "id": id }))))
        .map_err(|e| (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))
}

async fn store(state: &Baseline) -> Result<Uuid, sea_orm::DbErr> {
    let shape = &state.shape;
    // The app's id scheme (time-ordered), so both write to the same places in the same tables.
    let id = dxready::db::new_response_id();
    let now = Utc::now();
    let text = |s: &str| Set(s.to_string());
    let txn = state.db.begin().await?;
    response::Entity::insert(response::ActiveModel {
        id: Set(id),
        questionnaire_id: text("dxready-sme"),
        questionnaire_version: text("1.0.0"),
        content_hash: text(&"0".repeat(64)),
        lang: text("vi"),
        status: text("submitted"),
        resume_token_hash: Set(None),
        result_token_hash: Set(Some(Uuid::new_v4().simple().to_string().repeat(2))),
        current_section: Set(None),
        profile: text(r#"{"employees":12,"province":"hung-yen","sector":"retail","trade":"none"}"#),
        consents: text(r#"["email_report","processing"]"#),
        province: Set(Some("hung-yen".into())),
        former_province: Set(None),
        sector: Set(Some("retail".into())),
        size_class: Set(Some("micro".into())),
        channel: text("api"),
        created_at: Set(now),
        updated_at: Set(now),
        submitted_at: Set(Some(now)),
        previous_response_id: Set(None),
        firm_id: Set(id),
    })
    .exec_without_returning(&txn)
    .await?;
    answer::Entity::insert_many((0..shape.answers).map(|i| answer::ActiveModel {
        response_id: Set(id),
        question_id: Set(format!("q{i}")),
        value: text(r#""some_option""#),
        points: Set(Some(2.0)),
    }))
    .exec_without_returning(&txn)
    .await?;
    contact::Entity::insert(contact::ActiveModel {
        response_id: Set(id),
        business_name: Set(Some("Cửa hàng Minh Anh".into())),
        email: Set(Some("owner@example.com".into())),
        phone: Set(None),
        created_at: Set(now),
    })
    .exec_without_returning(&txn)
    .await?;
    assessment_result::Entity::insert(assessment_result::ActiveModel {
        response_id: Set(id),
        overall: Set(57.5),
        level: Set(2),
        band: Set(Some("developing".into())),
        dimensions: text(&shape.result_json[..shape.result_json.len() / 8]),
        barriers: text(&shape.result_json[..shape.result_json.len() / 8]),
        roadmap: text(&shape.result_json),
        agency_flags: text("[]"),
        engine_version: text("1"),
        computed_at: Set(now),
    })
    .exec_without_returning(&txn)
    .await?;
    result_dimension::Entity::insert_many((0..shape.dimensions).map(|i| {
        result_dimension::ActiveModel {
            response_id: Set(id),
            dimension_id: Set(format!("d{i}")),
            score: Set(50.0),
        }
    }))
    .exec_without_returning(&txn)
    .await?;
    if shape.barriers > 0 {
        result_barrier::Entity::insert_many((0..shape.barriers).map(|i| {
            result_barrier::ActiveModel {
                response_id: Set(id),
                barrier_id: Set(format!("b{i}")),
                self_reported: Set(true),
                inferred: Set(false),
            }
        }))
        .exec_without_returning(&txn)
        .await?;
    }
    if shape.consents > 0 {
        consent::Entity::insert_many((0..shape.consents).map(|i| consent::ActiveModel {
            response_id: Set(id),
            purpose: Set(format!("purpose_{i}")),
            questionnaire_version: text("1.0.0"),
            granted_at: Set(now),
            withdrawn_at: Set(None),
            ..Default::default()
        }))
        .exec_without_returning(&txn)
        .await?;
    }
    txn.commit().await?;
    Ok(id)
}
