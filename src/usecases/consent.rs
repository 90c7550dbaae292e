//! The firm's rights over its data, from the result link: withdraw the optional consents, or
//! delete its personal data. Each is audited without the firm's data.

use uuid::Uuid;

use super::Result;
use crate::db::audit::{Actor, action};
use crate::db::responses;

/// Withdraws every optional consent (e-mail, follow-up, naming, reminder); returns how many.
pub async fn withdraw_optional_consents(
    db: &sea_orm::DatabaseConnection,
    actor: &Actor,
    response_id: Uuid,
) -> Result<u64> {
    let withdrawn = responses::withdraw_optional_consents(db, response_id).await?;
    actor
        .record(
            db,
            action::CONSENT_WITHDRAWN,
            Some(response_id.to_string()),
            Some(format!("{withdrawn} optional consent(s)")),
        )
        .await?;
    Ok(withdrawn)
}

/// Deletes the response with its answers, result, contact and consents.
pub async fn delete_personal_data(
    db: &sea_orm::DatabaseConnection,
    actor: &Actor,
    response_id: Uuid,
) -> Result<()> {
    responses::delete_response(db, response_id).await?;
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
