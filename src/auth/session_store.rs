//! A tower-sessions 0.14 store over sea-orm, so sessions live in the database and every app
//! instance sees the same ones. The signed-in account's id is copied into its own column so
//! that "sign out everywhere" is one DELETE. Rows are keyed by the SHA-256 of the session id,
//! so whoever reads the table cannot take over a live session.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;
use time::OffsetDateTime;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

use crate::auth::session_keys;
use crate::db::sessions::{self, SessionRow};

#[derive(Clone)]
pub struct SeaOrmStore {
    db: DatabaseConnection,
}

impl std::fmt::Debug for SeaOrmStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SeaOrmStore")
    }
}

impl SeaOrmStore {
    pub fn new(db: DatabaseConnection) -> Self {
        SeaOrmStore { db }
    }
}

fn backend(e: impl std::fmt::Display) -> session_store::Error {
    session_store::Error::Backend(e.to_string())
}

fn to_chrono(t: OffsetDateTime) -> DateTime<Utc> {
    DateTime::from_timestamp(t.unix_timestamp(), t.nanosecond()).unwrap_or_default()
}

fn to_time(t: DateTime<Utc>) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(t.timestamp()).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// The stored key of a session. The id is a 128-bit random value, so a plain hash will do;
/// it is cut to 128 bits to fit the column (`varchar(32)`), still out of reach of guessing.
fn stored_id(id: &Id) -> String {
    let mut hash = crate::db::tokens::hash_token(&id.to_string());
    hash.truncate(32);
    hash
}

fn row(record: &Record) -> session_store::Result<SessionRow> {
    let data = serde_json::to_string(&record.data)
        .map_err(|e| session_store::Error::Encode(e.to_string()))?;
    Ok(SessionRow {
        id: stored_id(&record.id),
        data,
        expiry_date: to_chrono(record.expiry_date),
        user_id: record
            .data
            .get(session_keys::USER_ID)
            .and_then(serde_json::Value::as_i64),
    })
}

#[async_trait]
impl SessionStore for SeaOrmStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        // A new session is the moment to drop expired ones; no background task needed.
        sessions::delete_expired(&self.db, Utc::now())
            .await
            .map_err(backend)?;
        loop {
            if sessions::insert_new(&self.db, &row(record)?)
                .await
                .map_err(backend)?
            {
                return Ok(());
            }
            record.id = Id::default();
        }
    }

    /// Only updates: a session deleted meanwhile (sign-out everywhere, password change) must
    /// not be brought back by a request that was already under way.
    async fn save(&self, record: &Record) -> session_store::Result<()> {
        sessions::update_existing(&self.db, &row(record)?)
            .await
            .map_err(backend)
    }

    async fn load(&self, session_id: &Id) -> session_store::Result<Option<Record>> {
        let Some(found) = sessions::load_active(&self.db, &stored_id(session_id), Utc::now())
            .await
            .map_err(backend)?
        else {
            return Ok(None);
        };
        let data = serde_json::from_str(&found.data)
            .map_err(|e| session_store::Error::Decode(e.to_string()))?;
        Ok(Some(Record {
            id: *session_id,
            data,
            expiry_date: to_time(found.expiry_date),
        }))
    }

    async fn delete(&self, session_id: &Id) -> session_store::Result<()> {
        sessions::delete(&self.db, &stored_id(session_id))
            .await
            .map_err(backend)
    }
}
