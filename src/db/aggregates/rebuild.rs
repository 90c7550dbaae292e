//! `dxready rebuild-aggregates`: the fact rows and rollups recomputed from the stored results
//! (after an upgrade that adds a figure, or to check them), in batches.

use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, Order, Query};
use sea_orm::{ConnectionTrait, DatabaseConnection, TransactionTrait};
use uuid::Uuid;

use super::{Fact, FactInput};
use crate::db::entities::{assessment_result, response};
use crate::db::responses::STATUS_SUBMITTED;
use crate::db::{Error, Result};
use crate::domain::ScoreResult;
use crate::domain::answers::{Answers, Profile, Submission};
use crate::domain::questionnaire::LoadedDir;
use crate::domain::roadmap::StoredRoadmap;
use crate::domain::score_result::{BarrierFlag, DimensionScore};

/// Responses read and written per transaction.
pub const REBUILD_BATCH: u64 = 2_000;

/// What a rebuild did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Rebuilt {
    /// Submitted responses now in the aggregates.
    pub facts: u64,
    /// Responses whose questionnaire version is no longer loaded (left out, with a warning).
    pub skipped: u64,
}

fn parse<T: serde::de::DeserializeOwned>(text: &str, what: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| Error::Corrupt(format!("{what}: {e}")))
}

/// How many submitted responses there are (the progress bar's length).
pub async fn submitted_count(db: &impl ConnectionTrait) -> Result<u64> {
    let mut q = Query::select();
    q.expr_as(Func::count(Expr::col(response::Column::Id)), "n")
        .from(response::Entity)
        .and_where(Expr::col(response::Column::Status).eq(STATUS_SUBMITTED));
    let n: Option<i64> = match db.query_one(&q).await? {
        Some(r) => r.try_get("", "n")?,
        None => None,
    };
    Ok(u64::try_from(n.unwrap_or(0)).unwrap_or(0))
}

/// Empties the aggregates and recomputes them from every submitted response, `REBUILD_BATCH`
/// at a time; `progress(done, total)` after each batch. Running it twice gives the same
/// tables. Submissions arriving meanwhile write their own facts, which a later batch skips.
pub async fn rebuild_aggregates(
    db: &DatabaseConnection,
    questionnaires: &LoadedDir,
    mut progress: impl FnMut(u64, u64),
) -> Result<Rebuilt> {
    let total = submitted_count(db).await?;
    super::clear(db).await?;
    let mut done = Rebuilt::default();
    let mut after: Option<Uuid> = None;
    loop {
        let txn = db.begin().await?;
        let mut q = Query::select();
        q.columns([
            (response::Entity, response::Column::Id),
            (response::Entity, response::Column::QuestionnaireId),
            (response::Entity, response::Column::QuestionnaireVersion),
            (response::Entity, response::Column::Profile),
            (response::Entity, response::Column::Answers),
            (response::Entity, response::Column::SizeClass),
            (response::Entity, response::Column::SubmittedAt),
            (response::Entity, response::Column::PreviousResponseId),
        ])
        .columns([
            (
                assessment_result::Entity,
                assessment_result::Column::Overall,
            ),
            (assessment_result::Entity, assessment_result::Column::Level),
            (assessment_result::Entity, assessment_result::Column::Band),
            (
                assessment_result::Entity,
                assessment_result::Column::Dimensions,
            ),
            (
                assessment_result::Entity,
                assessment_result::Column::Barriers,
            ),
            (
                assessment_result::Entity,
                assessment_result::Column::Roadmap,
            ),
        ])
        .from(response::Entity)
        .inner_join(
            assessment_result::Entity,
            Expr::col((
                assessment_result::Entity,
                assessment_result::Column::ResponseId,
            ))
            .equals((response::Entity, response::Column::Id)),
        )
        .and_where(Expr::col((response::Entity, response::Column::Status)).eq(STATUS_SUBMITTED))
        .and_where(
            Expr::col((response::Entity, response::Column::Id)).not_in_subquery(
                Query::select()
                    .column(Alias::new("response_id"))
                    .from(Alias::new("agg_fact"))
                    .to_owned(),
            ),
        )
        .order_by((response::Entity, response::Column::Id), Order::Asc)
        .limit(REBUILD_BATCH);
        if let Some(after) = after {
            q.and_where(Expr::col((response::Entity, response::Column::Id)).gt(after));
        }
        let rows = txn.query_all(&q).await?;
        let Some(last) = rows.last() else {
            txn.commit().await?;
            break;
        };
        after = Some(last.try_get("", "id")?);
        let mut facts = Vec::with_capacity(rows.len());
        for row in &rows {
            let id: Uuid = row.try_get("", "id")?;
            let questionnaire_id: String = row.try_get("", "questionnaire_id")?;
            let version: String = row.try_get("", "questionnaire_version")?;
            let Some(def) = questionnaires.get(&questionnaire_id, &version) else {
                done.skipped += 1;
                tracing::warn!(%id, %questionnaire_id, %version, "questionnaire version not loaded: response left out of the aggregates");
                continue;
            };
            let profile: Profile = parse(&row.try_get::<String>("", "profile")?, "profile")?;
            let size_class: Option<String> = row.try_get("", "size_class")?;
            let level: i16 = row.try_get("", "level")?;
            let result = ScoreResult {
                questionnaire_id,
                questionnaire_version: version,
                overall: row.try_get("", "overall")?,
                level: u8::try_from(level).unwrap_or(0),
                band: row.try_get("", "band")?,
                dimensions: parse::<Vec<DimensionScore>>(
                    &row.try_get::<String>("", "dimensions")?,
                    "dimensions",
                )?,
                barriers: parse::<Vec<BarrierFlag>>(
                    &row.try_get::<String>("", "barriers")?,
                    "barriers",
                )?,
            };
            let submission = Submission {
                profile: profile.clone(),
                // The stored answers, for the key practices (their conditions read answers).
                answers: parse::<Answers>(&row.try_get::<String>("", "answers")?, "answers")?,
                consents: std::collections::BTreeSet::new(),
            };
            let practices =
                crate::domain::practices::practice_adoption_scored(&def, &submission, &result);
            let roadmap: StoredRoadmap = parse(&row.try_get::<String>("", "roadmap")?, "roadmap")?;
            let submitted_at: Option<chrono::DateTime<chrono::Utc>> =
                row.try_get("", "submitted_at")?;
            facts.push(Fact::new(FactInput {
                response_id: id,
                def: &def,
                profile: &profile,
                size_class: size_class.as_deref(),
                result: &result,
                rule_ids: roadmap.items.iter().map(|i| i.rule.clone()).collect(),
                practices: &practices,
                submitted_at: submitted_at.unwrap_or_default(),
                previous_response_id: row.try_get("", "previous_response_id")?,
            }));
        }
        let refs: Vec<&Fact> = facts.iter().collect();
        super::write(&txn, &refs).await?;
        txn.commit().await?;
        done.facts += facts.len() as u64;
        progress(
            done.facts + done.skipped,
            Ord::max(total, done.facts + done.skipped),
        );
    }
    Ok(done)
}
