//! Responses: drafts saved page by page, submission in one transaction, stored results.

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QuerySelect, QueryTrait, TransactionTrait,
};
use uuid::Uuid;

use super::entities::{
    answer, assessment_result, consent, contact, outbox, questionnaire, response,
};
use super::tokens::{hash_token, new_token};
use super::{Error, Result};
use crate::domain::questionnaire::{
    ConsentPurpose, LoadedDir, differs_only_in_practices, load_str,
};
use crate::domain::roadmap::{Roadmap, StoredRoadmap};
use crate::domain::scoring::ScoreResult;
use crate::domain::{
    Answer, Answers, Contact, Definition, Lang, Profile, ProfileValue, Submission,
};

/// Bumped when scoring semantics change, stored with each result.
pub const ENGINE_VERSION: &str = "1";

pub const STATUS_DRAFT: &str = "draft";
pub const STATUS_SUBMITTED: &str = "submitted";

/// Records each questionnaire version the first time it is seen and refuses a file whose
/// content changed under the same id and version: results must stay explainable.
pub async fn register_questionnaires(db: &DatabaseConnection, loaded: &LoadedDir) -> Result<()> {
    for def in loaded.definitions.values() {
        let existing = questionnaire::Entity::find()
            .filter(questionnaire::Column::QuestionnaireId.eq(&def.id))
            .filter(questionnaire::Column::Version.eq(&def.version))
            .one(db)
            .await?;
        match existing {
            Some(row)
                if row.content_hash != def.content_hash
                    && row
                        .source
                        .as_deref()
                        .is_some_and(|stored| differs_only_in_practices(stored, &def.source)) =>
            {
                // Practices never change a result (`differs_only_in_practices`): take the file.
                tracing::info!(
                    questionnaire = %def.id,
                    version = %def.version,
                    "the questionnaire's key practices changed; its results did not"
                );
                questionnaire::Entity::update_many()
                    .col_expr(
                        questionnaire::Column::ContentHash,
                        Expr::value(def.content_hash.clone()),
                    )
                    .col_expr(
                        questionnaire::Column::Source,
                        Expr::value(Some(def.source.to_string())),
                    )
                    .filter(questionnaire::Column::Id.eq(row.id))
                    .exec(db)
                    .await?;
            }
            Some(row) if row.content_hash != def.content_hash => {
                return Err(Error::Conflict(format!(
                    "questionnaire {} version {} was changed after responses were collected with it; \
                     give the edited file a new version (only its [[practice]] entries may change in place)",
                    def.id, def.version
                )));
            }
            Some(row) if row.source.is_some() => {}
            Some(row) => {
                // Registered before sources were archived.
                questionnaire::Entity::update_many()
                    .col_expr(
                        questionnaire::Column::Source,
                        Expr::value(Some(def.source.to_string())),
                    )
                    .filter(questionnaire::Column::Id.eq(row.id))
                    .exec(db)
                    .await?;
            }
            None => {
                let row = questionnaire::ActiveModel {
                    questionnaire_id: Set(def.id.clone()),
                    version: Set(def.version.clone()),
                    content_hash: Set(def.content_hash.clone()),
                    first_loaded_at: Set(Utc::now()),
                    source: Set(Some(def.source.to_string())),
                    ..Default::default()
                };
                // Another instance may register the same version at the same moment.
                questionnaire::Entity::insert(row)
                    .on_conflict(
                        OnConflict::columns([
                            questionnaire::Column::QuestionnaireId,
                            questionnaire::Column::Version,
                        ])
                        .do_nothing()
                        .to_owned(),
                    )
                    .try_insert()
                    .exec(db)
                    .await?;
            }
        }
    }
    Ok(())
}

/// A response in progress or submitted, as the pages need it.
#[derive(Debug, Clone)]
pub struct Draft {
    pub id: Uuid,
    pub questionnaire_id: String,
    pub questionnaire_version: String,
    pub lang: Lang,
    pub submitted: bool,
    pub current_section: Option<String>,
    pub submission: Submission,
    pub contact: Contact,
}

/// Fields that identify the business are kept in `contact`, never in the profile JSON.
pub(super) fn split_profile(def: &Definition, profile: &Profile) -> (Profile, Option<String>) {
    let mut public = Profile::new();
    let mut name = None;
    for (k, v) in profile {
        if k == "name" {
            name = v.as_str().map(str::to_string);
        } else if !def.profile_field(k).is_some_and(|f| f.pii) {
            public.insert(k.clone(), v.clone());
        }
    }
    (public, name)
}

pub(super) fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".into())
}

fn parse<T: serde::de::DeserializeOwned>(text: &str, what: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| Error::Corrupt(format!("{what}: {e}")))
}

/// The earlier response a re-assessment starts from, found by its result token.
#[derive(Debug, Clone)]
pub struct Earlier {
    pub response_id: Uuid,
    /// The firm both assessments belong to.
    pub firm_id: Uuid,
    /// Its profile (no personal data), to start the new draft with.
    pub profile: Profile,
    pub business_name: Option<String>,
}

/// The submitted response a result token belongs to; `None` for an unknown token.
pub async fn find_earlier(db: &DatabaseConnection, token: &str) -> Result<Option<Earlier>> {
    let row = response::Entity::find()
        .filter(response::Column::ResultTokenHash.eq(hash_token(token)))
        .filter(response::Column::Status.eq(STATUS_SUBMITTED))
        .one(db)
        .await?;
    earlier_of(db, row).await
}

/// The submitted response `id`, as an earlier assessment (for a link from an invitation or a
/// reminder, which name the response, not its token).
pub async fn find_earlier_by_id(db: &DatabaseConnection, id: Uuid) -> Result<Option<Earlier>> {
    let row = response::Entity::find_by_id(id)
        .filter(response::Column::Status.eq(STATUS_SUBMITTED))
        .one(db)
        .await?;
    earlier_of(db, row).await
}

async fn earlier_of(
    db: &DatabaseConnection,
    row: Option<response::Model>,
) -> Result<Option<Earlier>> {
    let Some(row) = row else {
        return Ok(None);
    };
    let business_name = contact::Entity::find_by_id(row.id)
        .one(db)
        .await?
        .and_then(|c| c.business_name);
    Ok(Some(Earlier {
        response_id: row.id,
        firm_id: row.firm_id,
        profile: parse(&row.profile, "profile")?,
        business_name,
    }))
}

/// Starts a draft; returns its id and the resume token (shown once, stored hashed). With
/// `previous`, a re-assessment: linked to the earlier response and pre-filled with its profile.
pub async fn create_draft(
    db: &DatabaseConnection,
    def: &Definition,
    lang: Lang,
    previous: Option<&Earlier>,
) -> Result<(Uuid, String)> {
    let id = super::new_response_id();
    let token = new_token();
    let now = Utc::now();
    // A new draft is the moment to drop abandoned ones; no background task needed.
    purge_stale_drafts(db, now).await?;
    let row = response::ActiveModel {
        id: Set(id),
        questionnaire_id: Set(def.id.clone()),
        questionnaire_version: Set(def.version.clone()),
        content_hash: Set(def.content_hash.clone()),
        lang: Set(lang.code().into()),
        status: Set(STATUS_DRAFT.into()),
        resume_token_hash: Set(Some(hash_token(&token))),
        result_token_hash: Set(None),
        current_section: Set(None),
        profile: Set(previous.map_or_else(|| "{}".into(), |p| json(&p.profile))),
        consents: Set("[]".into()),
        province: Set(None),
        former_province: Set(None),
        sector: Set(None),
        size_class: Set(None),
        channel: Set("web".into()),
        created_at: Set(now),
        updated_at: Set(now),
        submitted_at: Set(None),
        previous_response_id: Set(previous.map(|p| p.response_id)),
        firm_id: Set(previous.map_or(id, |p| p.firm_id)),
    };
    let txn = db.begin().await?;
    response::Entity::insert(row)
        .exec_without_returning(&txn)
        .await?;
    if let Some(name) = previous.and_then(|p| p.business_name.clone()) {
        let row = contact::ActiveModel {
            response_id: Set(id),
            business_name: Set(Some(name)),
            email: Set(None),
            phone: Set(None),
            created_at: Set(now),
        };
        contact::Entity::insert(row)
            .exec_without_returning(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok((id, token))
}

/// Gives draft `id` a new resume token and ends the old one; returns the new one. Used when a
/// draft is picked up from its link, so whoever held the link before (a link sent to someone
/// else's address, say) cannot read what is typed after.
pub async fn renew_resume_token(db: &DatabaseConnection, id: Uuid) -> Result<String> {
    let token = new_token();
    let updated = response::Entity::update_many()
        .col_expr(
            response::Column::ResumeTokenHash,
            Expr::value(Some(hash_token(&token))),
        )
        .filter(response::Column::Id.eq(id))
        .filter(response::Column::Status.eq(STATUS_DRAFT))
        .exec(db)
        .await?;
    if updated.rows_affected == 0 {
        return Err(Error::NotFound);
    }
    Ok(token)
}

/// How long a draft (and so its resume link) lives after its last save. The resume cookie
/// lasts as long.
pub const DRAFT_LIFETIME: chrono::Duration = chrono::Duration::days(60);

/// Deletes drafts not saved for [`DRAFT_LIFETIME`], with everything hanging off them (ON
/// DELETE CASCADE); returns how many. Submitted responses are not touched.
pub async fn purge_stale_drafts(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<u64> {
    let done = response::Entity::delete_many()
        .filter(response::Column::Status.eq(STATUS_DRAFT))
        .filter(response::Column::UpdatedAt.lt(now - DRAFT_LIFETIME))
        .exec(db)
        .await?;
    Ok(done.rows_affected)
}

/// The draft or response a resume token belongs to; a draft past its lifetime is not found,
/// whether or not it was purged yet.
pub async fn find_by_resume_token(db: &DatabaseConnection, token: &str) -> Result<Option<Draft>> {
    let row = response::Entity::find()
        .filter(response::Column::ResumeTokenHash.eq(hash_token(token)))
        .filter(
            response::Column::Status
                .ne(STATUS_DRAFT)
                .or(response::Column::UpdatedAt.gte(Utc::now() - DRAFT_LIFETIME)),
        )
        .one(db)
        .await?;
    match row {
        Some(row) => Ok(Some(load_draft(db, row).await?)),
        None => Ok(None),
    }
}

pub async fn find_draft(db: &DatabaseConnection, id: Uuid) -> Result<Option<Draft>> {
    match response::Entity::find_by_id(id).one(db).await? {
        Some(row) => Ok(Some(load_draft(db, row).await?)),
        None => Ok(None),
    }
}

async fn load_draft(db: &DatabaseConnection, row: response::Model) -> Result<Draft> {
    let mut profile: Profile = parse(&row.profile, "profile")?;
    let consents: BTreeSet<ConsentPurpose> = parse(&row.consents, "consents")?;
    let mut answers = Answers::new();
    for a in answer::Entity::find()
        .filter(answer::Column::ResponseId.eq(row.id))
        .all(db)
        .await?
    {
        answers.insert(a.question_id, parse::<Answer>(&a.value, "answer")?);
    }
    let contact_row = contact::Entity::find_by_id(row.id).one(db).await?;
    let mut contact = Contact::default();
    if let Some(c) = contact_row {
        if let Some(name) = c.business_name {
            profile.insert("name".into(), ProfileValue::Text(name));
        }
        contact = Contact {
            email: c.email,
            phone: c.phone,
        };
    }
    Ok(Draft {
        id: row.id,
        questionnaire_id: row.questionnaire_id,
        questionnaire_version: row.questionnaire_version,
        lang: Lang::parse(&row.lang).unwrap_or_default(),
        submitted: row.status == STATUS_SUBMITTED,
        current_section: row.current_section,
        submission: Submission {
            profile,
            answers,
            consents,
        },
        contact,
    })
}

/// Saves the whole draft state after a page (answers replaced, profile and contact upserted).
pub async fn save_draft(
    db: &DatabaseConnection,
    def: &Definition,
    id: Uuid,
    submission: &Submission,
    contact: &Contact,
    current_section: Option<&str>,
) -> Result<()> {
    let txn = db.begin().await?;
    let (public, name) = split_profile(def, &submission.profile);
    // Write first: SQLite takes the write lock at the first write, so no read-then-upgrade race.
    let updated = response::Entity::update_many()
        .col_expr(response::Column::Profile, Expr::value(json(&public)))
        .col_expr(
            response::Column::Consents,
            Expr::value(json(&submission.consents)),
        )
        .col_expr(
            response::Column::CurrentSection,
            Expr::value(current_section.map(str::to_string)),
        )
        .col_expr(response::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(response::Column::Id.eq(id))
        .filter(response::Column::Status.eq(STATUS_DRAFT))
        .exec(&txn)
        .await?;
    if updated.rows_affected == 0 {
        return Err(Error::Conflict(
            "this response was already submitted".into(),
        ));
    }
    answer::Entity::delete_many()
        .filter(answer::Column::ResponseId.eq(id))
        .exec(&txn)
        .await?;
    insert_answers(&txn, id, &submission.answers).await?;
    upsert_contact(&txn, id, name, contact).await?;
    txn.commit().await?;
    Ok(())
}

/// A draft's answers as given so far (points are computed at submission).
async fn insert_answers(txn: &impl ConnectionTrait, id: Uuid, answers: &Answers) -> Result<()> {
    if answers.is_empty() {
        return Ok(());
    }
    let rows = answers.iter().map(|(q, a)| answer::ActiveModel {
        response_id: Set(id),
        question_id: Set(q.clone()),
        value: Set(json(a)),
        points: Set(None),
    });
    answer::Entity::insert_many(rows)
        .exec_without_returning(txn)
        .await?;
    Ok(())
}

async fn upsert_contact(
    txn: &impl ConnectionTrait,
    id: Uuid,
    name: Option<String>,
    contact: &Contact,
) -> Result<()> {
    let row = contact::ActiveModel {
        response_id: Set(id),
        business_name: Set(name),
        email: Set(contact.email.clone()),
        phone: Set(contact.phone.clone()),
        created_at: Set(Utc::now()),
    };
    contact::Entity::insert(row)
        .on_conflict(contact_upsert())
        .exec_without_returning(txn)
        .await?;
    Ok(())
}

/// A response has one contact row; saving it again replaces the details given.
pub(super) fn contact_upsert() -> OnConflict {
    OnConflict::column(contact::Column::ResponseId)
        .update_columns([
            contact::Column::BusinessName,
            contact::Column::Email,
            contact::Column::Phone,
        ])
        .to_owned()
}

/// A submitted result as stored.
#[derive(Debug, Clone)]
pub struct StoredResult {
    pub response_id: Uuid,
    pub questionnaire_id: String,
    pub questionnaire_version: String,
    pub lang: Lang,
    pub submitted_at: DateTime<Utc>,
    pub profile: Profile,
    pub business_name: Option<String>,
    pub email: Option<String>,
    pub consents: BTreeSet<ConsentPurpose>,
    pub score: ScoreResult,
    pub roadmap: Roadmap,
    /// The questionnaire version the result was made with (from the folder or the archive).
    pub definition: Arc<Definition>,
    /// The earlier assessment this one re-takes, as it scored then.
    pub previous: Option<PreviousResult>,
}

/// An earlier assessment of the same firm, as it scored.
#[derive(Debug, Clone, PartialEq)]
pub struct PreviousResult {
    pub submitted_at: DateTime<Utc>,
    pub score: ScoreResult,
}

/// A stored result's scores as the domain has them.
fn score_of(row: &response::Model, res: assessment_result::Model) -> Result<ScoreResult> {
    Ok(ScoreResult {
        questionnaire_id: row.questionnaire_id.clone(),
        questionnaire_version: row.questionnaire_version.clone(),
        overall: res.overall,
        level: u8::try_from(res.level).unwrap_or(0),
        band: res.band,
        dimensions: parse(&res.dimensions, "dimensions")?,
        barriers: parse(&res.barriers, "barriers")?,
    })
}

/// The scores of the earlier response `id` (kept when its firm erased its personal data).
pub async fn previous_result(db: &DatabaseConnection, id: Uuid) -> Result<Option<PreviousResult>> {
    let Some(row) = response::Entity::find_by_id(id).one(db).await? else {
        return Ok(None);
    };
    let Some(res) = assessment_result::Entity::find_by_id(id).one(db).await? else {
        return Ok(None);
    };
    Ok(Some(PreviousResult {
        submitted_at: row.submitted_at.unwrap_or(row.updated_at),
        score: score_of(&row, res)?,
    }))
}

pub async fn find_result(
    db: &DatabaseConnection,
    questionnaires: &LoadedDir,
    token: &str,
) -> Result<Option<StoredResult>> {
    let id: Option<Uuid> = response::Entity::find()
        .select_only()
        .column(response::Column::Id)
        .filter(response::Column::ResultTokenHash.eq(hash_token(token)))
        .into_tuple()
        .one(db)
        .await?;
    match id {
        Some(id) => find_result_by_id(db, questionnaires, id).await,
        None => Ok(None),
    }
}

/// How firms of the same sector and province score (the caller applies the privacy rule).
#[derive(Debug, Clone, PartialEq)]
pub struct PeerComparison {
    pub count: u64,
    pub mean_overall: f64,
}

pub async fn peer_comparison(
    db: &DatabaseConnection,
    questionnaire_id: &str,
    province: &str,
    sector: &str,
) -> Result<Option<PeerComparison>> {
    let group = response::Entity::find()
        .select_only()
        .column(response::Column::Id)
        .filter(response::Column::QuestionnaireId.eq(questionnaire_id))
        .filter(response::Column::Status.eq(STATUS_SUBMITTED))
        .filter(response::Column::Province.eq(province))
        .filter(response::Column::Sector.eq(sector))
        .into_query();
    let row: Option<(i64, Option<f64>)> = assessment_result::Entity::find()
        .select_only()
        .column_as(assessment_result::Column::ResponseId.count(), "n")
        .column_as(assessment_result::Column::Overall.avg(), "mean")
        .filter(assessment_result::Column::ResponseId.in_subquery(group))
        .into_tuple()
        .one(db)
        .await?;
    let Some((count, mean)) = row else {
        return Ok(None);
    };
    let count = u64::try_from(count).unwrap_or(0);
    Ok(mean.map(|mean_overall| PeerComparison {
        count,
        mean_overall,
    }))
}

/// Withdraws these consents of a response (the processing consent goes only with erasure);
/// returns how many were in force.
pub async fn withdraw_consents(
    db: &DatabaseConnection,
    response_id: Uuid,
    purposes: &[ConsentPurpose],
) -> Result<u64> {
    let purposes: Vec<&str> = purposes
        .iter()
        .filter(|p| **p != ConsentPurpose::Processing)
        .map(|p| p.as_str())
        .collect();
    let done = consent::Entity::update_many()
        .col_expr(consent::Column::WithdrawnAt, Expr::value(Some(Utc::now())))
        .filter(consent::Column::ResponseId.eq(response_id))
        .filter(consent::Column::Purpose.is_in(purposes))
        .filter(consent::Column::WithdrawnAt.is_null())
        .exec(db)
        .await?;
    Ok(done.rows_affected)
}

/// Erases what identifies a firm: its contact row (name, e-mail, phone), its queued and sent
/// e-mail, its link tokens (the result link stops working), and every consent. The anonymised
/// answers and result stay, so the aggregates do not change when a firm leaves. One transaction.
pub async fn erase_personal_data(db: &DatabaseConnection, response_id: Uuid) -> Result<()> {
    let txn = db.begin().await?;
    contact::Entity::delete_many()
        .filter(contact::Column::ResponseId.eq(response_id))
        .exec(&txn)
        .await?;
    outbox::Entity::delete_many()
        .filter(outbox::Column::ResponseId.eq(response_id))
        .exec(&txn)
        .await?;
    consent::Entity::update_many()
        .col_expr(consent::Column::WithdrawnAt, Expr::value(Some(Utc::now())))
        .filter(consent::Column::ResponseId.eq(response_id))
        .filter(consent::Column::WithdrawnAt.is_null())
        .exec(&txn)
        .await?;
    response::Entity::update_many()
        .col_expr(
            response::Column::ResultTokenHash,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            response::Column::ResumeTokenHash,
            Expr::value(Option::<String>::None),
        )
        .col_expr(response::Column::Consents, Expr::value("[]"))
        .filter(response::Column::Id.eq(response_id))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(())
}

/// A submitted result by response id (the e-mail worker has the id, not the token's hash).
/// A submitted result with its roadmap restored from the questionnaire version it was made with
/// (from the folder, or else from the copy archived in the database).
pub async fn find_result_by_id(
    db: &DatabaseConnection,
    questionnaires: &LoadedDir,
    id: Uuid,
) -> Result<Option<StoredResult>> {
    let Some(row) = response::Entity::find_by_id(id)
        .filter(response::Column::Status.eq(STATUS_SUBMITTED))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let Some(res) = assessment_result::Entity::find_by_id(row.id)
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let contact = contact::Entity::find_by_id(row.id).one(db).await?;
    let consents = consent::Entity::find()
        .filter(consent::Column::ResponseId.eq(row.id))
        .filter(consent::Column::WithdrawnAt.is_null())
        .all(db)
        .await?
        .into_iter()
        .filter_map(|c| ConsentPurpose::parse(&c.purpose))
        .collect();
    let def = definition(
        db,
        questionnaires,
        &row.questionnaire_id,
        &row.questionnaire_version,
    )
    .await?;
    let roadmap = parse::<StoredRoadmap>(&res.roadmap, "roadmap")?
        .restore(&def)
        .map_err(|e| Error::Corrupt(format!("roadmap: {e}")))?;
    let previous = match row.previous_response_id {
        Some(id) => previous_result(db, id).await?,
        None => None,
    };
    Ok(Some(StoredResult {
        response_id: row.id,
        questionnaire_id: row.questionnaire_id.clone(),
        questionnaire_version: row.questionnaire_version.clone(),
        lang: Lang::parse(&row.lang).unwrap_or_default(),
        submitted_at: row.submitted_at.unwrap_or(row.updated_at),
        profile: parse(&row.profile, "profile")?,
        business_name: contact.as_ref().and_then(|c| c.business_name.clone()),
        email: contact.and_then(|c| c.email),
        consents,
        score: score_of(&row, res)?,
        roadmap,
        definition: def,
        previous,
    }))
}

/// The definition of questionnaire `id` at `version`: loaded from the folder, or parsed again from
/// the copy archived when that version was first registered.
async fn definition(
    db: &DatabaseConnection,
    questionnaires: &LoadedDir,
    id: &str,
    version: &str,
) -> Result<Arc<Definition>> {
    if let Some(def) = questionnaires.get(id, version) {
        return Ok(def);
    }
    let missing = || {
        Error::Corrupt(format!(
            "questionnaire {id} {version} is neither loaded nor archived"
        ))
    };
    let source = questionnaire::Entity::find()
        .filter(questionnaire::Column::QuestionnaireId.eq(id))
        .filter(questionnaire::Column::Version.eq(version))
        .one(db)
        .await?
        .and_then(|row| row.source)
        .ok_or_else(missing)?;
    // Reference data (provinces, programmes) is today's; the roadmap stored its programmes.
    let reference = questionnaires
        .definitions
        .values()
        .next()
        .map(|d| d.reference.clone())
        .ok_or_else(missing)?;
    let name = format!("{id}@{version} (archived)");
    let def = load_str(std::path::Path::new(&name), &source, reference).map_err(|problems| {
        let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
        Error::Corrupt(lines.join("; "))
    })?;
    Ok(Arc::new(def))
}
