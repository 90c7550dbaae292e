//! The firm's rights over its data, from the result link: withdraw any optional consent on its
//! own, or erase its personal data. Each is audited without the firm's data (the response id
//! only, which identifies no one once the contact is gone).

use chrono::Utc;
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use super::Result;
use crate::db::audit::{Actor, action};
use crate::db::{cases, leads, responses};
use crate::domain::questionnaire::ConsentPurpose;

/// The consents a firm may withdraw and still keep its result.
pub const OPTIONAL: [ConsentPurpose; 4] = [
    ConsentPurpose::EmailReport,
    ConsentPurpose::Followup,
    ConsentPurpose::NamedToStaff,
    ConsentPurpose::ReassessReminder,
];

/// Withdraws `purposes` (never processing, which goes only with erasure); returns how many
/// were in force. Withdrawing follow-up takes the lead from every agency at once (leads are read
/// from consents in force), on every assessment of the firm, and closes its cases.
pub async fn withdraw_consents(
    db: &DatabaseConnection,
    actor: &Actor,
    response_id: Uuid,
    purposes: &[ConsentPurpose],
) -> Result<u64> {
    let mut withdrawn = responses::withdraw_consents(db, response_id, purposes).await?;
    if purposes.contains(&ConsentPurpose::Followup)
        && let Some(firm) = leads::firm_of(db, response_id).await?
    {
        let now = Utc::now();
        withdrawn += leads::withdraw_followup(db, firm, now).await?;
        super::cases::close_for_withdrawal(db, actor, firm, now).await?;
    }
    let names: Vec<&str> = purposes.iter().map(|p| p.as_str()).collect();
    actor
        .record(
            db,
            action::CONSENT_WITHDRAWN,
            Some(response_id.to_string()),
            Some(format!("{} ({withdrawn} in force)", names.join(","))),
        )
        .await?;
    Ok(withdrawn)
}

/// Erases the firm's personal data; its anonymised answers stay in the aggregates.
pub async fn delete_personal_data(
    db: &DatabaseConnection,
    actor: &Actor,
    response_id: Uuid,
) -> Result<()> {
    let firm = leads::firm_of(db, response_id).await?;
    responses::erase_personal_data(db, response_id).await?;
    if let Some(firm) = firm {
        // Erasure ends the consents too; what agencies typed about the firm goes with it.
        super::cases::close_for_withdrawal(db, actor, firm, Utc::now()).await?;
        cases::erase_notes(db, firm).await?;
    }
    actor
        .record(
            db,
            action::DATA_DELETED,
            Some(response_id.to_string()),
            None,
        )
        .await?;
    Ok(())
}
