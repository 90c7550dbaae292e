//! Creating and updating accounts and agencies, from the admin page or the command line, each
//! with its audit entry.

use sea_orm::DatabaseConnection;

use super::{Error, Result};
use crate::auth::accounts::{self, InputError, ResolveError, ScopeInput};
use crate::db;
use crate::db::accounts::{Account, Agency};
use crate::db::audit::{Actor, action};
use crate::domain::Text;
use crate::domain::reference::Reference;

/// What to do when an account with the e-mail already exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IfExists {
    /// Refuse (the admin form creates new accounts only).
    Refuse,
    /// Update its role, scope and password (the command line, for scripted set-up).
    Update,
}

/// An account as typed.
#[derive(Debug, Clone)]
pub struct AccountRequest<'a> {
    pub email: &'a str,
    pub password: String,
    pub scope: ScopeInput<'a>,
}

impl From<InputError> for Error {
    fn from(e: InputError) -> Self {
        Error::Refused(e.0)
    }
}

impl From<ResolveError> for Error {
    fn from(e: ResolveError) -> Self {
        match e {
            ResolveError::Input(e) => e.into(),
            ResolveError::Db(e) => e.into(),
        }
    }
}

/// `role=… agency_id=… province=…`, for the audit log.
pub fn describe_scope(account: &Account) -> String {
    let mut s = format!("role={}", account.role.as_str());
    if let Some(id) = account.agency_id {
        s.push_str(&format!(" agency_id={id}"));
    }
    if let Some(p) = &account.province {
        s.push_str(&format!(" province={p}"));
    }
    s
}

/// Checks the request, hashes the password and stores the account; returns it and whether it
/// is new.
pub async fn save_account(
    db: &DatabaseConnection,
    reference: &Reference,
    actor: &Actor,
    request: AccountRequest<'_>,
    if_exists: IfExists,
) -> Result<(Account, bool)> {
    let fields = accounts::account_fields(db, reference, request.email, &request.scope).await?;
    accounts::check_password(&request.password)?;
    let hash = crate::auth::password::hash(request.password).await?;
    let (account, created) = match if_exists {
        IfExists::Update => db::accounts::upsert_account(db, &fields, &hash).await?,
        IfExists::Refuse => match db::accounts::create_account(db, &fields, &hash).await {
            Ok(account) => (account, true),
            Err(db::Error::Conflict(_)) => {
                return Err(Error::Refused(Text::new(
                    "Đã có tài khoản với e-mail này",
                    "An account with this e-mail address already exists",
                )));
            }
            Err(e) => return Err(e.into()),
        },
    };
    // A password an admin typed for someone else is known to the admin: its owner replaces it
    // at first sign-in. (An operator at the server's command line is trusted with the accounts
    // it sets up, usually its own.)
    let account = if actor.user_id.is_some_and(|me| me != account.id) {
        db::accounts::require_password_change(db, account.id).await?;
        Account {
            must_change_password: true,
            ..account
        }
    } else {
        account
    };
    let what = if created {
        action::ACCOUNT_CREATED
    } else {
        action::ACCOUNT_UPDATED
    };
    actor
        .record(
            db,
            what,
            Some(account.email.clone()),
            Some(describe_scope(&account)),
        )
        .await?;
    Ok((account, created))
}

/// An agency as typed.
#[derive(Debug, Clone)]
pub struct AgencyRequest<'a> {
    pub slug: &'a str,
    pub name: &'a str,
    pub provinces: &'a [String],
    /// All five barriers when empty.
    pub barriers: &'a [String],
}

/// Creates the agency, or updates the one with the same slug; returns it and whether it is new.
pub async fn save_agency(
    db: &DatabaseConnection,
    reference: &Reference,
    actor: &Actor,
    request: AgencyRequest<'_>,
) -> Result<(Agency, bool)> {
    let fields = accounts::agency_fields(
        reference,
        request.slug,
        request.name,
        request.provinces,
        request.barriers,
    )?;
    let (agency, created) = db::accounts::upsert_agency(db, &fields).await?;
    let detail = format!(
        "{} provinces={} barriers={}",
        if created { "created" } else { "updated" },
        agency.provinces.join(","),
        agency.barriers.join(",")
    );
    actor
        .record(
            db,
            action::AGENCY_SAVED,
            Some(agency.slug.clone()),
            Some(detail),
        )
        .await?;
    Ok((agency, created))
}

/// Gives `account` a new role and scope; returns it as updated.
pub async fn change_role(
    db: &DatabaseConnection,
    reference: &Reference,
    actor: &Actor,
    account: &Account,
    scope: &ScopeInput<'_>,
) -> Result<Account> {
    let (role, agency_id, province) = accounts::resolve_scope(db, reference, scope).await?;
    db::accounts::set_role(db, account.id, role, agency_id, province).await?;
    let updated = db::accounts::find_account(db, account.id)
        .await?
        .ok_or(Error::NotFound)?;
    let detail = format!(
        "{} -> {}",
        describe_scope(account),
        describe_scope(&updated)
    );
    actor
        .record(
            db,
            action::ACCOUNT_UPDATED,
            Some(account.email.clone()),
            Some(detail),
        )
        .await?;
    Ok(updated)
}

/// Disables an account, ending its sessions at once, or enables it again.
pub async fn set_disabled(
    db: &DatabaseConnection,
    actor: &Actor,
    account: &Account,
    disabled: bool,
) -> Result<()> {
    db::accounts::set_disabled(db, account.id, disabled).await?;
    if disabled {
        db::sessions::delete_for_user(db, account.id).await?;
    }
    let what = if disabled {
        action::ACCOUNT_DISABLED
    } else {
        action::ACCOUNT_ENABLED
    };
    actor
        .record(db, what, Some(account.email.clone()), None)
        .await?;
    Ok(())
}
