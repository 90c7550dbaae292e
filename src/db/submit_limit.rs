//! The public submission limit kept in the database, so every instance on one PostgreSQL
//! database shares it. The rule is the generic cell rate algorithm (as in the `governor` crate):
//! each address has a "theoretical arrival time" (TAT); a submission moves it `interval` later,
//! and is allowed while the TAT stays within `window` of now. So `window / interval`
//! submissions may come at once, then one per `interval`. One statement per submission: the
//! row lock serialises instances, and a refusal changes nothing.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};

use super::Result;

/// Counts a submission from `client` at `now` when the limit allows it: `Ok(None)`. Otherwise
/// answers how long until it would be allowed. PostgreSQL only.
pub async fn admit(
    db: &DatabaseConnection,
    client: &str,
    now: DateTime<Utc>,
    interval: Duration,
    window: Duration,
) -> Result<Option<Duration>> {
    let admitted = db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "INSERT INTO submit_limit (client, tat) \
             VALUES ($1, $2::timestamptz + make_interval(secs => $3)) \
             ON CONFLICT (client) DO UPDATE \
             SET tat = GREATEST(submit_limit.tat, $2::timestamptz) + make_interval(secs => $3) \
             WHERE GREATEST(submit_limit.tat, $2::timestamptz) + make_interval(secs => $3) \
                   <= $2::timestamptz + make_interval(secs => $4) \
             RETURNING tat",
            [
                client.into(),
                now.into(),
                interval.as_secs_f64().into(),
                window.as_secs_f64().into(),
            ],
        ))
        .await?;
    if admitted.is_some() {
        return Ok(None);
    }
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT tat FROM submit_limit WHERE client = $1",
            [client.into()],
        ))
        .await?;
    let tat: DateTime<Utc> = match row {
        Some(row) => row.try_get_by_index(0)?,
        None => now,
    };
    let allowed_at = tat + chrono::Duration::from_std(interval).unwrap_or_default()
        - chrono::Duration::from_std(window).unwrap_or_default();
    Ok(Some((allowed_at - now).to_std().unwrap_or_default()))
}

/// Drops the rows of addresses whose TAT has passed (they are as good as absent).
pub async fn forget_before(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<u64> {
    let res = db
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "DELETE FROM submit_limit WHERE tat < $1",
            [now.into()],
        ))
        .await?;
    Ok(res.rows_affected())
}
