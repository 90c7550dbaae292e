//! Support programmes as offered, stored once (`support_offer`) rather than in every result.
//!
//! A roadmap keeps each programme it offered exactly as offered that day, in both languages; those
//! texts were most of a stored result (about 4.5 KB of 6.5 KB) and the same few dozen in every
//! one. A result's roadmap now lists the digests of its offers; each distinct offer is one row.
//! Results stored before still hold their programmes inline and read back as they are.

use std::collections::HashMap;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::entities::support_offer;
use super::{Error, Result};
use crate::domain::Definition;
use crate::domain::roadmap::{Roadmap, StoredItem, StoredRoadmap, SupportItem};

/// A roadmap as a result row holds it.
#[derive(Debug, Serialize, Deserialize)]
struct RoadmapRow {
    items: Vec<StoredItem>,
    /// Results stored before offers were kept apart: their programmes, inline.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    programmes: Vec<SupportItem>,
    /// Digests into `support_offer`, each programme once.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    offers: Vec<String>,
    agency_flags: Vec<String>,
}

/// The key of an offer: the first 16 hex digits of the SHA-256 of its JSON (migration
/// m20261208_400002 computes the same for results stored before).
pub(super) fn digest(body: &str) -> String {
    hex::encode(&Sha256::digest(body.as_bytes())[..8])
}

/// The roadmap's JSON for its result row, and the offer rows it refers to.
pub(super) fn split(roadmap: &Roadmap) -> (String, Vec<support_offer::ActiveModel>) {
    let stored = roadmap.to_stored();
    let mut rows = Vec::with_capacity(stored.programmes.len());
    let offers = stored
        .programmes
        .iter()
        .map(|p| {
            let body = super::responses::json(p);
            let digest = digest(&body);
            rows.push(support_offer::ActiveModel {
                digest: sea_orm::ActiveValue::Set(digest.clone()),
                body: sea_orm::ActiveValue::Set(body),
            });
            digest
        })
        .collect();
    let row = RoadmapRow {
        items: stored.items,
        programmes: Vec::new(),
        offers,
        agency_flags: stored.agency_flags,
    };
    (super::responses::json(&row), rows)
}

/// The full roadmap of a result row, its offers read back and its rules' texts from `def`.
pub(super) async fn restore(
    db: &impl ConnectionTrait,
    text: &str,
    def: &Definition,
) -> Result<Roadmap> {
    let row: RoadmapRow =
        serde_json::from_str(text).map_err(|e| Error::Corrupt(format!("roadmap: {e}")))?;
    let mut programmes = row.programmes;
    if !row.offers.is_empty() {
        let mut found: HashMap<String, String> = support_offer::Entity::find()
            .filter(support_offer::Column::Digest.is_in(row.offers.iter().cloned()))
            .all(db)
            .await?
            .into_iter()
            .map(|o| (o.digest, o.body))
            .collect();
        for digest in &row.offers {
            let body = found
                .remove(digest)
                .ok_or_else(|| Error::Corrupt(format!("roadmap: offer {digest} is missing")))?;
            programmes.push(
                serde_json::from_str(&body)
                    .map_err(|e| Error::Corrupt(format!("offer {digest}: {e}")))?,
            );
        }
    }
    StoredRoadmap {
        items: row.items,
        programmes,
        agency_flags: row.agency_flags,
    }
    .restore(def)
    .map_err(|e| Error::Corrupt(format!("roadmap: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_roadmap_row_from_before_offers_reads_its_inline_programmes() {
        let before = r#"{"items":[],"programmes":[{"id":"p","title":{"vi":"a","en":"b"},"description":{"vi":"c","en":"d"},"provider":{"vi":"e","en":"f"},"url":null,"valid_to":null}],"agency_flags":["x"]}"#;
        let row: RoadmapRow = serde_json::from_str(before).unwrap();
        assert_eq!(row.programmes.len(), 1);
        assert!(row.offers.is_empty());
        // The digest is of the programme's JSON exactly as the app writes it.
        let body = super::super::responses::json(&row.programmes[0]);
        assert!(
            before.contains(&body),
            "the app writes a programme as it was stored inline"
        );
        assert_eq!(digest(&body).len(), 16);
    }
}
