//! Secrets generated once per database and shared by every instance on it.

use chrono::Utc;
use rand::RngCore;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict, Query};
use sea_orm::{ConnectionTrait, DatabaseConnection};

use super::{Error, Result};

/// The secret called `name`: generated (32 random bytes, hex) by whichever instance asks first;
/// an instance that loses that race reads the winner's.
pub async fn get_or_create(db: &DatabaseConnection, name: &str) -> Result<String> {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let table = Alias::new("app_secret");
    let insert = Query::insert()
        .into_table(table.clone())
        .columns([
            Alias::new("name"),
            Alias::new("value"),
            Alias::new("created_at"),
        ])
        .values_panic([name.into(), hex::encode(bytes).into(), Utc::now().into()])
        .on_conflict(
            OnConflict::column(Alias::new("name"))
                .do_nothing()
                .to_owned(),
        )
        .to_owned();
    db.execute(&insert).await?;
    let select = Query::select()
        .column(Alias::new("value"))
        .from(table)
        .and_where(Expr::col(Alias::new("name")).eq(name))
        .to_owned();
    let row = db
        .query_one(&select)
        .await?
        .ok_or_else(|| Error::Corrupt(format!("the secret {name} was not stored")))?;
    Ok(row.try_get_by_index(0)?)
}
