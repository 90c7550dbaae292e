//! Accounts and support agencies, and the sign-in throttle counters.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    TransactionTrait,
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
    /// Random, replaced whenever the password is: sessions hold this, not the password hash,
    /// and one made before a password change no longer matches.
    pub session_secret: String,
    /// The password was chosen by someone else: its owner must change it before anything else.
    pub must_change_password: bool,
    /// The second factor's secret (base32), when it is on.
    pub totp_secret: Option<String>,
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
            session_secret: row.session_secret,
            must_change_password: row.must_change_password,
            totp_secret: row.totp_secret,
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
        session_secret: Set(super::tokens::new_token()),
        must_change_password: Set(false),
        totp_secret: Set(None),
        totp_last_step: Set(None),
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

/// Creates the account or, when the e-mail exists, sets its role, scope and password, turns
/// its second factor off and enables it (`dxready user add`). Returns the account and whether it was created.
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
                // A new password ends the sessions made with the old one. It is also how an
                // operator lets back in someone who lost their authenticator: the second
                // factor is turned off, for its owner to turn on again.
                .col_expr(
                    app_user::Column::SessionSecret,
                    Expr::value(super::tokens::new_token()),
                )
                .col_expr(
                    app_user::Column::TotpSecret,
                    Expr::value(Option::<String>::None),
                )
                .col_expr(
                    app_user::Column::TotpLastStep,
                    Expr::value(Option::<i64>::None),
                )
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
        .col_expr(
            app_user::Column::SessionSecret,
            Expr::value(super::tokens::new_token()),
        )
        .col_expr(app_user::Column::MustChangePassword, Expr::value(false))
        .col_expr(app_user::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(app_user::Column::Id.eq(id))
        .exec(db)
        .await?;
    if updated.rows_affected == 0 {
        return Err(Error::NotFound);
    }
    Ok(())
}

/// Turns the second factor on with `secret`, confirmed by a code of `step`.
pub async fn enable_totp(db: &DatabaseConnection, id: i64, secret: &str, step: i64) -> Result<()> {
    app_user::Entity::update_many()
        .col_expr(app_user::Column::TotpSecret, Expr::value(Some(secret)))
        .col_expr(app_user::Column::TotpLastStep, Expr::value(Some(step)))
        .col_expr(app_user::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(app_user::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Records that the code of `step` was used; `false` when that step (or a later one) already
/// was, i.e. the code is a replay. One conditional UPDATE, so two parallel uses cannot both win.
pub async fn use_totp_step(db: &DatabaseConnection, id: i64, step: i64) -> Result<bool> {
    let done = app_user::Entity::update_many()
        .col_expr(app_user::Column::TotpLastStep, Expr::value(Some(step)))
        .filter(app_user::Column::Id.eq(id))
        .filter(
            app_user::Column::TotpLastStep
                .is_null()
                .or(app_user::Column::TotpLastStep.lt(step)),
        )
        .exec(db)
        .await?;
    Ok(done.rows_affected == 1)
}

/// Marks the account's password as chosen by someone else, to be changed at next sign-in.
pub async fn require_password_change(db: &DatabaseConnection, id: i64) -> Result<()> {
    app_user::Entity::update_many()
        .col_expr(app_user::Column::MustChangePassword, Expr::value(true))
        .filter(app_user::Column::Id.eq(id))
        .exec(db)
        .await?;
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

/// A counting window: what is older than `window` (since the last counted attempt) is forgotten.
#[derive(Debug, Clone, Copy)]
pub struct ThrottleWindow {
    pub window: Duration,
    /// Attempts that may be counted within the window before the key is refused. Refused
    /// attempts are counted too but do not move the window on, so a refused key opens again
    /// `window` after its last admitted attempt, however much it is hammered meanwhile.
    pub limit: i32,
}

fn ensure_counter(key: &str, now: DateTime<Utc>) -> login_throttle::ActiveModel {
    login_throttle::ActiveModel {
        key: Set(key.to_string()),
        failures: Set(0),
        last_failure_at: Set(now),
        locked_until: Set(None),
    }
}

/// Counts one attempt against `key` in a single UPDATE (so parallel attempts, on any number of
/// app instances sharing the database, each count) and returns the count it reached. The caller
/// admits the attempt only when that count is within the limit: the k-th of n parallel
/// attempts reads exactly k, so `limit` of them are admitted, no more.
pub async fn count_attempt(
    db: &DatabaseConnection,
    key: &str,
    policy: ThrottleWindow,
    now: DateTime<Utc>,
) -> Result<i32> {
    login_throttle::Entity::insert(ensure_counter(key, now))
        .on_conflict(
            OnConflict::column(login_throttle::Column::Key)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    let window_start = now - policy.window;
    let expired = || Expr::col(login_throttle::Column::LastFailureAt).lt(window_start);
    let count = Expr::case(expired(), Expr::val(1))
        .finally(Expr::col(login_throttle::Column::Failures).add(1));
    // Both right-hand sides see the row as it was before this UPDATE.
    let last = Expr::case(
        expired().or(Expr::col(login_throttle::Column::Failures).lt(policy.limit)),
        Expr::value(now),
    )
    .finally(Expr::col(login_throttle::Column::LastFailureAt));
    // In one transaction the UPDATE's row lock (PostgreSQL) or write lock (SQLite) is held
    // until the count is read back, so each attempt reads its own count, not a later one.
    let txn = db.begin().await?;
    login_throttle::Entity::update_many()
        .col_expr(login_throttle::Column::Failures, count.into())
        .col_expr(login_throttle::Column::LastFailureAt, last.into())
        .filter(login_throttle::Column::Key.eq(key))
        .exec(&txn)
        .await?;
    let row = login_throttle::Entity::find_by_id(key.to_string())
        .one(&txn)
        .await?
        .ok_or(Error::NotFound)?;
    txn.commit().await?;
    Ok(row.failures)
}

/// Takes back one counted attempt (one that turned out to be a good sign-in).
pub async fn uncount_attempt(db: &DatabaseConnection, key: &str) -> Result<()> {
    login_throttle::Entity::update_many()
        .col_expr(
            login_throttle::Column::Failures,
            Expr::col(login_throttle::Column::Failures).sub(1),
        )
        .filter(login_throttle::Column::Key.eq(key))
        .filter(login_throttle::Column::Failures.gt(0))
        .exec(db)
        .await?;
    Ok(())
}

/// Failures counted against `key` within `window` of now (0 when none).
pub async fn recent_failures(
    db: &DatabaseConnection,
    key: &str,
    window: Duration,
    now: DateTime<Utc>,
) -> Result<i32> {
    let row = login_throttle::Entity::find_by_id(key.to_string())
        .one(db)
        .await?;
    Ok(row
        .filter(|r| r.last_failure_at >= now - window)
        .map_or(0, |r| r.failures))
}

/// Counts one failure against `key` (one UPDATE, so parallel failures all count); returns the
/// failures now counted within the window. Nothing is locked: the caller turns the count into
/// a delay.
pub async fn record_failure(
    db: &DatabaseConnection,
    key: &str,
    window: Duration,
    now: DateTime<Utc>,
) -> Result<i32> {
    count_attempt(
        db,
        key,
        ThrottleWindow {
            window,
            limit: i32::MAX,
        },
        now,
    )
    .await
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
