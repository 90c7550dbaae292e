//! `dxready backup`: an online copy of a SQLite database.
//!
//! `VACUUM INTO` reads the database in one read transaction, so the copy is consistent (every
//! committed submission or none of a batch) while the service keeps writing beside it in WAL
//! mode, and it writes a compact, self-contained file with no `-wal` beside it, which `serve`
//! can start on as it is. PostgreSQL is copied with its own tool, `pg_dump`.

use std::path::Path;

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};

use super::{Error, Result};

/// Writes a copy of the SQLite database `db` to `file`, which must not exist.
pub async fn sqlite_copy(db: &DatabaseConnection, file: &Path) -> Result<()> {
    if !super::is_sqlite(db) {
        return Err(Error::Conflict(
            "only SQLite databases are copied this way; use pg_dump".into(),
        ));
    }
    let path = file
        .to_str()
        .ok_or_else(|| Error::Conflict("the backup path is not valid UTF-8".into()))?;
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::Sqlite,
        "VACUUM INTO ?",
        [path.into()],
    ))
    .await?;
    Ok(())
}
