//! Accounts and support agencies, and the sign-in throttle counters.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
};

use super::entities::{agency, app_user, login_throttle};
use super::{Error, Result};
use crate::domain::Role;

/// An account as the rest of the app sees it. Its `Debug` leaves out the e-mail and the
/// password hash, because libraries log users at debug level.
#[derive(Clone, PartialEq, Eq)]
pub struct Account {
    pub id: i64,
    pub email: String,
    /// PHC string (Argon2id); never shown, never logged.
    pub password_hash: String,
    pub role: Role,
    pub agency_id: Option<i64>,
    /// A staff account limited to this province.
    pub province: Option<String>,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
}

impl std::fmt::Debug for Account {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Account")
            .field("id", &self.id)
            .field("role", &self.role)
            .field("agency_id", &self.agency_id)
            .field("province", &self.province)
            .field("disabled", &self.disabled)
            .finish_non_exhaustive()
    }
}

impl TryFrom<app_user::Model> for Account {
    type Error = Error;

    fn try_from(row: app_user::Model) -> Result<Self> {
        let role = Role::parse(&row.role)
            .ok_or_else(|| Error::Corrupt(format!("unknown role {:?}", row.role)))?;
        Ok(Account {
            id: row.id,
            email: row.email,
            password_hash: row.password_hash,
            role,
            agency_id: row.agency_id,
            province: row.province,
            disabled: row.disabled,
            created_at: row.created_at,
        })
    }
}

/// What an account is given when created or changed (the e-mail already normalised).
#[derive(Debug, Clone)]
pub struct AccountFields {
    pub email: String,
    pub role: Role,
    pub agency_id: Option<i64>,
    pub province: Option<String>,
}

pub async fn find_account(db: &DatabaseConnection, id: i64) -> Result<Option<Account>> {
    app_user::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(Account::try_from)
        .transpose()
}

pub async fn find_account_by_email(
    db: &DatabaseConnection,
    email: &str,
) -> Result<Option<Account>> {
    app_user::Entity::find()
        .filter(app_user::Column::Email.eq(email))
        .one(db)
        .await?
        .map(Account::try_from)
        .transpose()
}

pub async fn list_accounts(db: &DatabaseConnection) -> Result<Vec<Account>> {
    app_user::Entity::find()
        .order_by_asc(app_user::Column::Email)
        .all(db)
        .await?
        .into_iter()
        .map(Account::try_from)
        .collect()
}

/// Creates an account; an existing e-mail is a conflict.
pub async fn create_account(
    db: &DatabaseConnection,
    fields: &AccountFields,
    password_hash: &str,
) -> Result<Account> {
    if find_account_by_email(db, &fields.email).await?.is_some() {
        return Err(Error::Conflict(format!(
            "an account for {} already exists",
            fields.email
        )));
    }
    let now = Utc::now();
    let row = app_user::ActiveModel {
        email: Set(fields.email.clone()),
        password_hash: Set(password_hash.to_string()),
        role: Set(fields.role.as_str().into()),
        agency_id: Set(fields.agency_id),
        province: Set(fields.province.clone()),
        disabled: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    app_user::Entity::insert(row).exec(db).await?;
    find_account_by_email(db, &fields.email)
        .await?
        .ok_or(Error::NotFound)
}

/// Creates the account or, when the e-mail exists, sets its role, scope and password and
/// enables it (`dxready user add`). Returns the account and whether it was created.
pub async fn upsert_account(
    db: &DatabaseConnection,
    fields: &AccountFields,
    password_hash: &str,
) -> Result<(Account, bool)> {
    match find_account_by_email(db, &fields.email).await? {
        None => Ok((create_account(db, fields, password_hash).await?, true)),
        Some(existing) => {
            app_user::Entity::update_many()
                .col_expr(app_user::Column::Role, Expr::value(fields.role.as_str()))
                .col_expr(app_user::Column::AgencyId, Expr::value(fields.agency_id))
                .col_expr(
                    app_user::Column::Province,
                    Expr::value(fields.province.clone()),
                )
                .col_expr(app_user::Column::PasswordHash, Expr::value(password_hash))
                .col_expr(app_user::Column::Disabled, Expr::value(false))
                .col_expr(app_user::Column::UpdatedAt, Expr::value(Utc::now()))
                .filter(app_user::Column::Id.eq(existing.id))
                .exec(db)
                .await?;
            let account = find_account(db, existing.id)
                .await?
                .ok_or(Error::NotFound)?;
            Ok((account, false))
        }
    }
}

/// Changes role and scope (admin page). The e-mail and password stay.
pub async fn set_role(
    db: &DatabaseConnection,
    id: i64,
    role: Role,
    agency_id: Option<i64>,
    province: Option<String>,
) -> Result<()> {
    let updated = app_user::Entity::update_many()
        .col_expr(app_user::Column::Role, Expr::value(role.as_str()))
        .col_expr(app_user::Column::AgencyId, Expr::value(agency_id))
        .col_expr(app_user::Column::Province, Expr::value(province))
        .col_expr(app_user::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(app_user::Column::Id.eq(id))
        .exec(db)
        .await?;
    if updated.rows_affected == 0 {
        return Err(Error::NotFound);
    }
    Ok(())
}

pub async fn set_disabled(db: &DatabaseConnection, id: i64, disabled: bool) -> Result<()> {
    let updated = app_user::Entity::update_many()
        .col_expr(app_user::Column::Disabled, Expr::value(disabled))
        .col_expr(app_user::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(app_user::Column::Id.eq(id))
        .exec(db)
        .await?;
    if updated.rows_affected == 0 {
        return Err(Error::NotFound);
    }
    Ok(())
}

pub async fn set_password_hash(db: &DatabaseConnection, id: i64, hash: &str) -> Result<()> {
    let updated = app_user::Entity::update_many()
        .col_expr(app_user::Column::PasswordHash, Expr::value(hash))
        .col_expr(app_user::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(app_user::Column::Id.eq(id))
        .exec(db)
        .await?;
    if updated.rows_affected == 0 {
        return Err(Error::NotFound);
    }
    Ok(())
}

/// A support agency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agency {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub provinces: Vec<String>,
    pub barriers: Vec<String>,
}

impl TryFrom<agency::Model> for Agency {
    type Error = Error;

    fn try_from(row: agency::Model) -> Result<Self> {
        let list = |text: &str, what: &str| {
            serde_json::from_str::<Vec<String>>(text)
                .map_err(|e| Error::Corrupt(format!("agency {} {what}: {e}", row.slug)))
        };
        Ok(Agency {
            id: row.id,
            provinces: list(&row.provinces, "provinces")?,
            barriers: list(&row.barriers, "barriers")?,
            slug: row.slug,
            name: row.name,
        })
    }
}

/// What an agency is given when created or changed (already validated).
#[derive(Debug, Clone)]
pub struct AgencyFields {
    pub slug: String,
    pub name: String,
    pub provinces: Vec<String>,
    pub barriers: Vec<String>,
}

pub async fn find_agency(db: &DatabaseConnection, id: i64) -> Result<Option<Agency>> {
    agency::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(Agency::try_from)
        .transpose()
}

pub async fn find_agency_by_slug(db: &DatabaseConnection, slug: &str) -> Result<Option<Agency>> {
    agency::Entity::find()
        .filter(agency::Column::Slug.eq(slug))
        .one(db)
        .await?
        .map(Agency::try_from)
        .transpose()
}

pub async fn list_agencies(db: &DatabaseConnection) -> Result<Vec<Agency>> {
    agency::Entity::find()
        .order_by_asc(agency::Column::Slug)
        .all(db)
        .await?
        .into_iter()
        .map(Agency::try_from)
        .collect()
}

/// Creates the agency or updates the one with this slug. Returns it and whether it was created.
pub async fn upsert_agency(
    db: &DatabaseConnection,
    fields: &AgencyFields,
) -> Result<(Agency, bool)> {
    let now = Utc::now();
    let provinces = serde_json::to_string(&fields.provinces).unwrap_or_else(|_| "[]".into());
    let barriers = serde_json::to_string(&fields.barriers).unwrap_or_else(|_| "[]".into());
    let existed = find_agency_by_slug(db, &fields.slug).await?.is_some();
    let row = agency::ActiveModel {
        slug: Set(fields.slug.clone()),
        name: Set(fields.name.clone()),
        provinces: Set(provinces),
        barriers: Set(barriers),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    agency::Entity::insert(row)
        .on_conflict(
            OnConflict::column(agency::Column::Slug)
                .update_columns([
                    agency::Column::Name,
                    agency::Column::Provinces,
                    agency::Column::Barriers,
                    agency::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    let agency = find_agency_by_slug(db, &fields.slug)
        .await?
        .ok_or(Error::NotFound)?;
    Ok((agency, !existed))
}

/// How sign-in failures are counted: a window, and when a key gets locked.
#[derive(Debug, Clone, Copy)]
pub struct ThrottlePolicy {
    /// Failures older than this are forgotten.
    pub window: Duration,
    /// Failures within the window that lock the key.
    pub lock_after: i32,
    pub lock_for: Duration,
}

/// The time until which any of `keys` is locked, if one is.
pub async fn locked_until(
    db: &DatabaseConnection,
    keys: &[String],
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>> {
    let rows = login_throttle::Entity::find()
        .filter(login_throttle::Column::Key.is_in(keys.iter().cloned()))
        .filter(login_throttle::Column::LockedUntil.gt(now))
        .all(db)
        .await?;
    Ok(rows.into_iter().filter_map(|r| r.locked_until).max())
}

/// Counts one failure against `key` and locks it once the policy says so. Returns the failures
/// now counted within the window. The increment is one UPDATE, so parallel attempts all count.
pub async fn record_failure(
    db: &DatabaseConnection,
    key: &str,
    policy: ThrottlePolicy,
    now: DateTime<Utc>,
) -> Result<i32> {
    login_throttle::Entity::insert(login_throttle::ActiveModel {
        key: Set(key.to_string()),
        failures: Set(0),
        last_failure_at: Set(now),
        locked_until: Set(None),
    })
    .on_conflict(
        OnConflict::column(login_throttle::Column::Key)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    let window_start = now - policy.window;
    let failures = Expr::case(
        Expr::col(login_throttle::Column::LastFailureAt).lt(window_start),
        Expr::val(1),
    )
    .finally(Expr::col(login_throttle::Column::Failures).add(1));
    login_throttle::Entity::update_many()
        .col_expr(login_throttle::Column::Failures, failures.into())
        .col_expr(login_throttle::Column::LastFailureAt, Expr::value(now))
        .filter(login_throttle::Column::Key.eq(key))
        .exec(db)
        .await?;
    let row = login_throttle::Entity::find_by_id(key.to_string())
        .one(db)
        .await?
        .ok_or(Error::NotFound)?;
    if row.failures >= policy.lock_after {
        login_throttle::Entity::update_many()
            .col_expr(
                login_throttle::Column::LockedUntil,
                Expr::value(Some(now + policy.lock_for)),
            )
            .col_expr(login_throttle::Column::Failures, Expr::value(0))
            .filter(login_throttle::Column::Key.eq(key))
            .exec(db)
            .await?;
    }
    Ok(row.failures)
}

/// Forgets the failures of `key` (after a successful sign-in to that account).
pub async fn clear_failures(db: &DatabaseConnection, key: &str) -> Result<()> {
    login_throttle::Entity::delete_many()
        .filter(login_throttle::Column::Key.eq(key))
        .exec(db)
        .await?;
    Ok(())
}

/// Drops counters whose last failure is older than `before` and that hold no lock.
pub async fn forget_stale_failures(db: &DatabaseConnection, before: DateTime<Utc>) -> Result<()> {
    login_throttle::Entity::delete_many()
        .filter(login_throttle::Column::LastFailureAt.lt(before))
        .filter(
            login_throttle::Column::LockedUntil
                .is_null()
                .or(login_throttle::Column::LockedUntil.lt(before)),
        )
        .exec(db)
        .await?;
    Ok(())
}
