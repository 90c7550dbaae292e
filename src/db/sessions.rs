//! Session rows for the tower-sessions store in [`crate::auth::session_store`].

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use super::Result;
use super::entities::http_session;

/// One stored session: its data as JSON text and the user it belongs to, if any.
#[derive(Debug, Clone)]
pub struct SessionRow {
    pub id: String,
    pub data: String,
    pub expiry_date: DateTime<Utc>,
    pub user_id: Option<i64>,
}

fn active_model(row: &SessionRow) -> http_session::ActiveModel {
    http_session::ActiveModel {
        id: Set(row.id.clone()),
        data: Set(row.data.clone()),
        expiry_date: Set(row.expiry_date),
        user_id: Set(row.user_id),
    }
}

/// Inserts a new session; `false` when the id is taken (the caller picks another).
pub async fn insert_new(db: &DatabaseConnection, row: &SessionRow) -> Result<bool> {
    let inserted = http_session::Entity::insert(active_model(row))
        .on_conflict(
            OnConflict::column(http_session::Column::Id)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(inserted > 0)
}

/// Writes an existing session; does nothing when the row is gone.
pub async fn update_existing(db: &DatabaseConnection, row: &SessionRow) -> Result<()> {
    http_session::Entity::update_many()
        .col_expr(http_session::Column::Data, Expr::value(row.data.clone()))
        .col_expr(
            http_session::Column::ExpiryDate,
            Expr::value(row.expiry_date),
        )
        .col_expr(http_session::Column::UserId, Expr::value(row.user_id))
        .filter(http_session::Column::Id.eq(row.id.as_str()))
        .exec(db)
        .await?;
    Ok(())
}

/// The session unless it has expired.
pub async fn load_active(
    db: &DatabaseConnection,
    id: &str,
    now: DateTime<Utc>,
) -> Result<Option<SessionRow>> {
    Ok(http_session::Entity::find_by_id(id.to_string())
        .filter(http_session::Column::ExpiryDate.gt(now))
        .one(db)
        .await?
        .map(|m| SessionRow {
            id: m.id,
            data: m.data,
            expiry_date: m.expiry_date,
            user_id: m.user_id,
        }))
}

pub async fn delete(db: &DatabaseConnection, id: &str) -> Result<()> {
    http_session::Entity::delete_by_id(id.to_string())
        .exec(db)
        .await?;
    Ok(())
}

/// Ends every session of a user ("sign out everywhere", password change, disabling).
pub async fn delete_for_user(db: &DatabaseConnection, user_id: i64) -> Result<u64> {
    Ok(http_session::Entity::delete_many()
        .filter(http_session::Column::UserId.eq(user_id))
        .exec(db)
        .await?
        .rows_affected)
}

pub async fn delete_expired(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<u64> {
    Ok(http_session::Entity::delete_many()
        .filter(http_session::Column::ExpiryDate.lte(now))
        .exec(db)
        .await?
        .rows_affected)
}

/// How many live sessions a user has (the account page shows it).
pub async fn count_for_user(
    db: &DatabaseConnection,
    user_id: i64,
    now: DateTime<Utc>,
) -> Result<usize> {
    Ok(http_session::Entity::find()
        .filter(http_session::Column::UserId.eq(user_id))
        .filter(http_session::Column::ExpiryDate.gt(now))
        .all(db)
        .await?
        .len())
}
