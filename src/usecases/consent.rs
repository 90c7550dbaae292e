//! The firm's rights over its data, from the result link: withdraw any optional consent on its
//! own, or erase its personal data. Each is audited without the firm's data (the response id
//! only, which identifies no one once the contact is gone).

use sea_orm::DatabaseConnection;
use uuid::Uuid;

use super::Result;
use crate::db::audit::{Actor, action};
use crate::db::responses;
use crate::domain::questionnaire::ConsentPurpose;

/// The consents a firm may withdraw and still keep its result.
pub const OPTIONAL: [ConsentPurpose; 4] = [
    ConsentPurpose::EmailReport,
    ConsentPurpose::Followup,
    ConsentPurpose::NamedToStaff,
    ConsentPurpose::ReassessReminder,
];

/// Withdraws `purposes` (never processing, which goes only with erasure); returns how many
/// were in force. Withdrawing follow-up takes the lead from every agency at once: leads are read
/// from consents in force.
pub async fn withdraw_consents(
    db: &DatabaseConnection,
    actor: &Actor,
    response_id: Uuid,
    purposes: &[ConsentPurpose],
) -> Result<u64> {
    let withdrawn = responses::withdraw_consents(db, response_id, purposes).await?;
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
    responses::erase_personal_data(db, response_id).await?;
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
