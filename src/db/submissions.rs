//! Storing submissions: the rows one submission writes, written many submissions per
//! transaction ("group commit").
//!
//! SQLite has one writer. With each request running its own transaction, the writers queue on
//! SQLite's lock and every submission pays a transaction of its own and ~8 statements, each a
//! hand-off to a database thread. Instead, requests build their rows ([`prepare`]) in parallel
//! and hand them to one [`SubmissionQueue`] task, which takes whatever has arrived meanwhile and
//! writes it all with one statement per table in one transaction. A submission is answered only
//! after its transaction committed, so nothing is acknowledged that is not stored. PostgreSQL
//! gets the same queue: fewer round trips per submission, and several app instances each batch
//! their own.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, Iterable, QueryFilter, TransactionTrait,
};
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use super::entities::{
    assessment_result, consent, contact, outbox, response, result_barrier, result_dimension,
    support_offer,
};
use super::responses::{
    ENGINE_VERSION, STATUS_DRAFT, STATUS_SUBMITTED, contact_upsert, json, split_profile,
};
use super::tokens::{hash_token, new_token};
use super::{Error, Result};
use crate::domain::{Contact, Definition, Lang, Roadmap, ScoreResult, Submission};

/// What a submission stores: the cleaned submission, contact, result and roadmap.
pub struct NewSubmission<'a> {
    pub def: &'a Definition,
    pub lang: Lang,
    pub submission: &'a Submission,
    pub contact: &'a Contact,
    pub result: &'a ScoreResult,
    pub roadmap: &'a Roadmap,
    pub size_class: Option<String>,
    pub channel: &'a str,
    pub now: DateTime<Utc>,
    /// Queue the roadmap e-mail to this address (set only with consent to `email_report`).
    pub email_report_to: Option<String>,
}

/// Every row one submission writes, built before it reaches the writer.
#[derive(Clone)]
pub struct SubmissionRows {
    pub id: Uuid,
    /// `Some(id)`: this draft becomes the submitted response (its row is updated, and only if
    /// it is still a draft); `None`: a new response row is inserted.
    draft: Option<Uuid>,
    response: response::ActiveModel,
    contact: contact::ActiveModel,
    result: assessment_result::ActiveModel,
    dimensions: Vec<result_dimension::ActiveModel>,
    barriers: Vec<result_barrier::ActiveModel>,
    consents: Vec<consent::ActiveModel>,
    mail: Option<outbox::ActiveModel>,
    /// Its row in the dashboard's aggregates, written in the same transaction.
    fact: super::aggregates::Fact,
    /// The support programmes its roadmap offers, stored once however many results offer them.
    offers: Vec<support_offer::ActiveModel>,
}

impl SubmissionRows {
    /// Links a new response to the earlier one it re-assesses, and so to its firm. (A web
    /// draft carries both from the start, and submitting it keeps them.)
    pub fn re_assessing(mut self, previous: Option<&super::responses::Earlier>) -> Self {
        if let Some(earlier) = previous {
            self.response.previous_response_id = Set(Some(earlier.response_id));
            self.response.firm_id = Set(earlier.firm_id);
            self.fact.previous_response_id = Some(earlier.response_id);
        }
        self
    }
}

/// Builds the rows of a submission and its result token (shown once, stored hashed).
pub fn prepare(draft: Option<Uuid>, new: NewSubmission<'_>) -> (SubmissionRows, String) {
    let NewSubmission {
        def,
        lang,
        submission,
        contact,
        result,
        roadmap,
        size_class,
        channel,
        now,
        email_report_to,
    } = new;
    let id = draft.unwrap_or_else(super::new_response_id);
    let token = new_token();
    let (public, name) = split_profile(def, &submission.profile);
    let profile_str = |key: &str| submission.profile_str(key).map(str::to_string);
    let response = response::ActiveModel {
        id: Set(id),
        questionnaire_id: Set(def.id.clone()),
        questionnaire_version: Set(def.version.clone()),
        lang: Set(lang.code().into()),
        status: Set(STATUS_SUBMITTED.into()),
        resume_token_hash: Set(None),
        result_token_hash: Set(Some(hash_token(&token))),
        current_section: Set(None),
        profile: Set(json(&public)),
        consents: Set(json(&submission.consents)),
        answers: Set(json(&submission.answers)),
        province: Set(profile_str("province")),
        former_province: Set(profile_str("former_province")),
        sector: Set(profile_str("sector")),
        size_class: Set(size_class.clone()),
        channel: Set(channel.into()),
        created_at: Set(now),
        updated_at: Set(now),
        submitted_at: Set(Some(now)),
        previous_response_id: Set(None),
        // A new firm until `re_assessing` says otherwise.
        firm_id: Set(id),
    };
    let contact = contact::ActiveModel {
        response_id: Set(id),
        business_name: Set(name),
        email: Set(contact.email.clone()),
        phone: Set(contact.phone.clone()),
        created_at: Set(now),
    };
    let (stored_roadmap, offers) = super::offers::split(roadmap);
    let stored_result = assessment_result::ActiveModel {
        response_id: Set(id),
        overall: Set(result.overall),
        level: Set(i16::from(result.level)),
        band: Set(result.band.clone()),
        dimensions: Set(json(&result.dimensions)),
        barriers: Set(json(&result.barriers)),
        roadmap: Set(stored_roadmap),
        agency_flags: Set(json(&roadmap.agency_flags)),
        engine_version: Set(ENGINE_VERSION.into()),
        computed_at: Set(now),
    };
    let dimensions = result
        .dimensions
        .iter()
        .filter_map(|d| {
            d.score.map(|s| result_dimension::ActiveModel {
                response_id: Set(id),
                dimension_id: Set(d.id.clone()),
                score: Set(s),
            })
        })
        .collect();
    let barriers = result
        .barriers
        .iter()
        .map(|b| result_barrier::ActiveModel {
            response_id: Set(id),
            barrier_id: Set(b.id.clone()),
            self_reported: Set(b.self_reported),
            inferred: Set(b.inferred),
        })
        .collect();
    let consents = submission
        .consents
        .iter()
        .map(|p| consent::ActiveModel {
            response_id: Set(id),
            purpose: Set(p.as_str().into()),
            questionnaire_version: Set(def.version.clone()),
            granted_at: Set(now),
            withdrawn_at: Set(None),
            ..Default::default()
        })
        .collect();
    let mail = email_report_to.map(|to| {
        super::outbox::new_row(
            super::outbox::NewMessage {
                kind: super::outbox::Kind::RoadmapReport,
                response_id: Some(id),
                recipient: to,
                lang,
                token: Some(token.clone()),
            },
            now,
        )
    });
    let mut fact = super::aggregates::Fact::new(super::aggregates::FactInput {
        response_id: id,
        def,
        profile: &submission.profile,
        size_class: size_class.as_deref(),
        result,
        rule_ids: roadmap.items.iter().map(|i| i.id.clone()).collect(),
        practices: &crate::domain::practices::practice_adoption_scored(def, submission, result),
        submitted_at: now,
        previous_response_id: None,
    });
    fact.from_draft = draft.is_some();
    let rows = SubmissionRows {
        fact,
        id,
        draft,
        response,
        contact,
        result: stored_result,
        dimensions,
        barriers,
        consents,
        mail,
        offers,
    };
    (rows, token)
}

/// Writes `batch` in one transaction: one statement per table for all of it, plus one update
/// per submitted draft. Returns one outcome per submission, in order: a draft that is no longer
/// a draft (submitted twice) is a [`Error::Conflict`] and writes nothing, the others are stored.
/// An `Err` means the transaction failed and nothing was written.
pub async fn write_batch(
    db: &DatabaseConnection,
    batch: &[SubmissionRows],
) -> Result<Vec<Result<()>>> {
    let txn = db.begin().await?;
    let mut outcomes = Vec::with_capacity(batch.len());
    let mut stored = Vec::with_capacity(batch.len());
    for rows in batch {
        let outcome = match rows.draft {
            Some(id) => submit_draft(&txn, id, &rows.response).await?,
            None => Ok(()),
        };
        if outcome.is_ok() {
            stored.push(rows);
        }
        outcomes.push(outcome);
    }
    let mut responses = Vec::new();
    let mut contacts = Vec::new();
    let mut results = Vec::new();
    let mut dimensions = Vec::new();
    let mut barriers = Vec::new();
    let mut consents = Vec::new();
    let mut mail = Vec::new();
    let mut facts = Vec::new();
    let mut offers: Vec<support_offer::ActiveModel> = Vec::new();
    let mut offered = std::collections::HashSet::new();
    // Copies: the caller keeps the rows to write each submission alone should this batch fail.
    for rows in stored {
        if rows.draft.is_none() {
            responses.push(rows.response.clone());
        }
        contacts.push(rows.contact.clone());
        results.push(rows.result.clone());
        dimensions.extend_from_slice(&rows.dimensions);
        barriers.extend_from_slice(&rows.barriers);
        consents.extend_from_slice(&rows.consents);
        mail.extend(rows.mail.clone());
        facts.push(&rows.fact);
        for offer in &rows.offers {
            if let sea_orm::ActiveValue::Set(digest) = &offer.digest
                && offered.insert(digest.clone())
            {
                offers.push(offer.clone());
            }
        }
    }
    insert_all(&txn, responses).await?;
    // A draft may already have a contact row (saved with its first pages).
    for chunk in chunks(contacts) {
        contact::Entity::insert_many(chunk)
            .on_conflict(contact_upsert())
            .exec_without_returning(&txn)
            .await?;
    }
    // Most offers are already stored: the same programmes in result after result.
    for chunk in chunks(offers) {
        support_offer::Entity::insert_many(chunk)
            .on_conflict_do_nothing_on([support_offer::Column::Digest])
            .exec_without_returning(&txn)
            .await?;
    }
    insert_all(&txn, results).await?;
    insert_all(&txn, dimensions).await?;
    insert_all(&txn, barriers).await?;
    insert_all(&txn, consents).await?;
    insert_all(&txn, mail).await?;
    super::aggregates::write(&txn, &facts).await?;
    txn.commit().await?;
    Ok(outcomes)
}

/// Turns the draft into the submitted response, only if it is still a draft.
async fn submit_draft(
    txn: &impl ConnectionTrait,
    id: Uuid,
    row: &response::ActiveModel,
) -> Result<Result<()>> {
    // What submitting changes on the draft's row; its id, creation time and resume token stay.
    let submitted = response::ActiveModel {
        status: row.status.clone(),
        result_token_hash: row.result_token_hash.clone(),
        profile: row.profile.clone(),
        consents: row.consents.clone(),
        // A submitted draft's answers are replaced by the cleaned, final ones.
        answers: row.answers.clone(),
        province: row.province.clone(),
        former_province: row.former_province.clone(),
        sector: row.sector.clone(),
        size_class: row.size_class.clone(),
        lang: row.lang.clone(),
        updated_at: row.updated_at.clone(),
        submitted_at: row.submitted_at.clone(),
        ..Default::default()
    };
    let updated = response::Entity::update_many()
        .set(submitted)
        .filter(response::Column::Id.eq(id))
        .filter(response::Column::Status.eq(STATUS_DRAFT))
        .exec(txn)
        .await?;
    Ok(if updated.rows_affected == 0 {
        Err(Error::Conflict(
            "this response was already submitted".into(),
        ))
    } else {
        Ok(())
    })
}

/// Stores one submission in its own transaction and returns its id and result token. The app
/// goes through [`SubmissionQueue`]; this is for tools and tests that write directly.
pub async fn submit(
    db: &DatabaseConnection,
    draft: Option<Uuid>,
    new: NewSubmission<'_>,
) -> Result<(Uuid, String)> {
    let (rows, token) = prepare(draft, new);
    let id = rows.id;
    for outcome in write_batch(db, std::slice::from_ref(&rows)).await? {
        outcome?;
    }
    Ok((id, token))
}

/// Bound parameters per statement: SQLite allows 32,766 and PostgreSQL 65,535; staying far
/// below keeps each statement's SQL text small.
const MAX_PARAMETERS: usize = 8_000;

/// Splits rows into statements of at most [`MAX_PARAMETERS`] parameters.
fn chunks<A: ActiveModelTrait>(rows: Vec<A>) -> Vec<Vec<A>> {
    let columns = <A::Entity as EntityTrait>::Column::iter().count().max(1);
    let per_statement = (MAX_PARAMETERS / columns).max(1);
    let mut rows = rows.into_iter().peekable();
    let mut out = Vec::new();
    while rows.peek().is_some() {
        out.push(rows.by_ref().take(per_statement).collect());
    }
    out
}

async fn insert_all<A>(txn: &impl ConnectionTrait, rows: Vec<A>) -> Result<()>
where
    A: ActiveModelTrait + Send,
{
    for chunk in chunks(rows) {
        <A::Entity as EntityTrait>::insert_many(chunk)
            .exec_without_returning(txn)
            .await?;
    }
    Ok(())
}

/// Most submissions written in one transaction: enough for every client of a busy instance at
/// once, small enough that one transaction stays a few milliseconds long.
const MAX_BATCH: usize = 64;

struct Job {
    rows: SubmissionRows,
    done: oneshot::Sender<Result<()>>,
}

/// The one writer of submissions for an app instance (see the module documentation).
#[derive(Clone)]
pub struct SubmissionQueue {
    jobs: mpsc::Sender<Job>,
}

impl SubmissionQueue {
    /// Starts the writer task; it ends when the last handle is dropped.
    pub fn start(db: DatabaseConnection) -> Self {
        let (jobs, queue) = mpsc::channel(4 * MAX_BATCH);
        tokio::spawn(write_submissions(db, queue));
        SubmissionQueue { jobs }
    }

    /// Stores one submission; returns once it is committed (or could not be).
    pub async fn submit(&self, rows: SubmissionRows) -> Result<()> {
        let (done, committed) = oneshot::channel();
        self.jobs
            .send(Job { rows, done })
            .await
            .map_err(|_| Error::Unavailable)?;
        committed.await.map_err(|_| Error::Unavailable)?
    }
}

async fn write_submissions(db: DatabaseConnection, mut queue: mpsc::Receiver<Job>) {
    let mut jobs = Vec::with_capacity(MAX_BATCH);
    let mut checkpoints = super::checkpoint::WalCheckpoints::for_database(&db);
    while queue.recv_many(&mut jobs, MAX_BATCH).await > 0 {
        let (rows, waiting): (Vec<_>, Vec<_>) = jobs.drain(..).map(|j| (j.rows, j.done)).unzip();
        let outcomes = write_batch_isolating_failures(&db, &rows).await;
        for (done, outcome) in waiting.into_iter().zip(outcomes) {
            // The requester may have gone (client hung up); the data is stored anyway.
            let _ = done.send(outcome);
        }
        if let Some(checkpoints) = &mut checkpoints {
            checkpoints.after_batch().await;
        }
    }
}

/// [`write_batch`], except that when the batch's transaction fails each submission is written
/// on its own, so one bad submission cannot fail the others that happened to share its
/// transaction. One outcome per submission, in order.
pub async fn write_batch_isolating_failures(
    db: &DatabaseConnection,
    rows: &[SubmissionRows],
) -> Vec<Result<()>> {
    match write_batch(db, rows).await {
        Ok(outcomes) => outcomes,
        Err(e) if rows.len() == 1 => vec![Err(e)],
        Err(e) => {
            tracing::warn!(error = %e, size = rows.len(), "a batch of submissions failed; writing each alone");
            let mut outcomes = Vec::with_capacity(rows.len());
            for one in rows.chunks(1) {
                outcomes.push(match write_batch(db, one).await {
                    Ok(mut o) => o.pop().unwrap_or(Ok(())),
                    Err(e) => Err(e),
                });
            }
            outcomes
        }
    }
}
