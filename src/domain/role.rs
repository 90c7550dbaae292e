//! Who may do what: the three kinds of people who sign in.

use std::collections::HashSet;

/// What a signed-in person may do. Admins may do everything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    Admin,
    /// City or province staff: aggregates, never personal data.
    Staff,
    /// A support agency's user: its own follow-up leads.
    Agency,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Admin, Role::Staff, Role::Agency];

    pub fn parse(s: &str) -> Option<Role> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Staff => "staff",
            Role::Agency => "agency",
        }
    }

    /// The roles whose pages this role may open (axum-login's permissions).
    pub fn permissions(self) -> HashSet<Role> {
        match self {
            Role::Admin => Self::ALL.into_iter().collect(),
            other => HashSet::from([other]),
        }
    }

    /// Dashboard and `/api/v1/stats`.
    pub fn sees_aggregates(self) -> bool {
        matches!(self, Role::Admin | Role::Staff)
    }

    /// Follow-up leads (personal data of consenting firms).
    pub fn sees_leads(self) -> bool {
        matches!(self, Role::Admin | Role::Agency)
    }

    pub fn administers(self) -> bool {
        self == Role::Admin
    }
}
