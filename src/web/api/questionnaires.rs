use axum::Json;
use axum::extract::{Path, State};

use super::model::{DefinitionJson, ErrorJson, QuestionnaireSummary};
use crate::web::{ApiError, AppError, AppState};

/// The questionnaires open for new responses (the newest version of each).
#[utoipa::path(get, path = "/questionnaires", responses((status = 200, body = Vec<QuestionnaireSummary>)))]
pub async fn list_questionnaires(State(state): State<AppState>) -> Json<Vec<QuestionnaireSummary>> {
    Json(
        state
            .questionnaires
            .latest()
            .iter()
            .map(|d| QuestionnaireSummary {
                id: d.id.clone(),
                version: d.version.clone(),
                title: (&d.title).into(),
            })
            .collect(),
    )
}

/// One questionnaire's definition: sections, questions, options and points, profile fields.
#[utoipa::path(
    get,
    path = "/questionnaires/{id}",
    params(("id" = String, Path, description = "questionnaire id")),
    responses((status = 200, body = DefinitionJson), (status = 404, body = ErrorJson))
)]
pub async fn get_questionnaire(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<DefinitionJson>, ApiError> {
    let def = state
        .questionnaires
        .latest_of(&id)
        .ok_or(AppError::NotFound)?;
    Ok(Json(DefinitionJson::from_definition(
        &def,
        state.clock.today(),
    )))
}
