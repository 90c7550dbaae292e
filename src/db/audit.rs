//! The audit log: sign-ins, views of personal data, changes to accounts and agencies. Rows are
//! only ever added; nothing here updates or deletes them.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use super::Result;
use super::entities::audit_log;

/// The actions written to the log (stable strings: admins filter on them).
pub mod action {
    pub const SIGN_IN: &str = "sign_in";
    pub const SIGN_IN_FAILED: &str = "sign_in_failed";
    pub const SIGN_IN_LOCKED: &str = "sign_in_locked";
    pub const SIGN_OUT: &str = "sign_out";
    pub const SIGN_OUT_EVERYWHERE: &str = "sign_out_everywhere";
    pub const PASSWORD_CHANGED: &str = "password_changed";
    pub const SECOND_FACTOR_ON: &str = "second_factor_on";
    pub const ACCOUNT_CREATED: &str = "account_created";
    pub const ACCOUNT_UPDATED: &str = "account_updated";
    pub const ACCOUNT_DISABLED: &str = "account_disabled";
    pub const ACCOUNT_ENABLED: &str = "account_enabled";
    pub const AGENCY_SAVED: &str = "agency_saved";
    pub const LEADS_LISTED: &str = "leads_listed";
    pub const LEAD_VIEWED: &str = "lead_viewed";
    pub const CONSENT_WITHDRAWN: &str = "consent_withdrawn";
    pub const DATA_DELETED: &str = "data_deleted";
    pub const CASE_CHANGED: &str = "case_changed";
    pub const INVITATION_SENT: &str = "invitation_sent";

    pub const ALL: [&str; 18] = [
        SIGN_IN,
        SIGN_IN_FAILED,
        SIGN_IN_LOCKED,
        SIGN_OUT,
        SIGN_OUT_EVERYWHERE,
        PASSWORD_CHANGED,
        SECOND_FACTOR_ON,
        ACCOUNT_CREATED,
        ACCOUNT_UPDATED,
        ACCOUNT_DISABLED,
        ACCOUNT_ENABLED,
        AGENCY_SAVED,
        LEADS_LISTED,
        LEAD_VIEWED,
        CONSENT_WITHDRAWN,
        DATA_DELETED,
        CASE_CHANGED,
        INVITATION_SENT,
    ];
}

/// One thing that happened. `actor` is the account's e-mail (or what was typed at a failed
/// sign-in, or `cli` for the command line); never a password or a respondent's data.
#[derive(Debug, Clone, Default)]
pub struct Event {
    pub user_id: Option<i64>,
    pub actor: String,
    pub action: &'static str,
    pub object: Option<String>,
    pub detail: Option<String>,
    pub client_addr: Option<String>,
}

/// Who did something, as the log names them: an account, the command line, or someone who is
/// not signed in (a failed sign-in, the holder of a result link).
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: Option<i64>,
    pub name: String,
    pub client_addr: Option<String>,
}

impl Actor {
    pub fn account(account: &super::accounts::Account, addr: Option<std::net::IpAddr>) -> Actor {
        Actor {
            user_id: Some(account.id),
            name: account.email.clone(),
            client_addr: addr.map(|a| a.to_string()),
        }
    }

    /// `dxready` run by an operator on the server.
    pub fn cli() -> Actor {
        Actor {
            user_id: None,
            name: "cli".into(),
            client_addr: None,
        }
    }

    /// Not signed in; `name` says what is known (what was typed, or the role, never a firm's data).
    pub fn anonymous(name: impl Into<String>, addr: Option<std::net::IpAddr>) -> Actor {
        Actor {
            user_id: None,
            name: name.into(),
            client_addr: addr.map(|a| a.to_string()),
        }
    }

    /// The event of this actor doing `action` to `object`.
    pub fn event(
        &self,
        action: &'static str,
        object: Option<String>,
        detail: Option<String>,
    ) -> Event {
        Event {
            user_id: self.user_id,
            actor: self.name.clone(),
            action,
            object,
            detail,
            client_addr: self.client_addr.clone(),
        }
    }

    /// Records [`Actor::event`].
    pub async fn record(
        &self,
        db: &DatabaseConnection,
        action: &'static str,
        object: Option<String>,
        detail: Option<String>,
    ) -> Result<()> {
        record(db, self.event(action, object, detail)).await
    }
}

pub async fn record(db: &DatabaseConnection, event: Event) -> Result<()> {
    let row = audit_log::ActiveModel {
        at: Set(Utc::now()),
        user_id: Set(event.user_id),
        actor: Set(truncate(&event.actor, 254)),
        action: Set(event.action.to_string()),
        object: Set(event.object.map(|o| truncate(&o, 200))),
        detail: Set(event.detail),
        client_addr: Set(event.client_addr.map(|a| truncate(&a, 64))),
        ..Default::default()
    };
    audit_log::Entity::insert(row)
        .exec_without_returning(db)
        .await?;
    Ok(())
}

fn truncate(s: &str, max_chars: usize) -> String {
    s.chars().take(max_chars).collect()
}

/// A logged event as read back.
#[derive(Debug, Clone)]
pub struct Entry {
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub object: Option<String>,
    pub detail: Option<String>,
    pub client_addr: Option<String>,
}

/// Filters for the admin's audit page; every field is optional.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Part of the actor's e-mail.
    pub actor: Option<String>,
    pub action: Option<String>,
    pub from: Option<DateTime<Utc>>,
    /// Exclusive.
    pub until: Option<DateTime<Utc>>,
}

/// The newest `limit` entries matching `filter`.
pub async fn search(db: &DatabaseConnection, filter: &Filter, limit: u64) -> Result<Vec<Entry>> {
    let mut query = audit_log::Entity::find();
    if let Some(actor) = &filter.actor {
        query = query.filter(audit_log::Column::Actor.contains(actor.to_lowercase()));
    }
    if let Some(action) = &filter.action {
        query = query.filter(audit_log::Column::Action.eq(action.as_str()));
    }
    if let Some(from) = filter.from {
        query = query.filter(audit_log::Column::At.gte(from));
    }
    if let Some(until) = filter.until {
        query = query.filter(audit_log::Column::At.lt(until));
    }
    Ok(query
        .order_by_desc(audit_log::Column::At)
        .order_by_desc(audit_log::Column::Id)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(|r| Entry {
            at: r.at,
            actor: r.actor,
            action: r.action,
            object: r.object,
            detail: r.detail,
            client_addr: r.client_addr,
        })
        .collect())
}
