use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use serde_json::Value;

use super::model::ResponseRequest;
use super::model::{ContactRequest, ErrorJson, ResultJson};
use crate::db::tokens::looks_like_token;
use crate::domain::questionnaire::ConsentPurpose;
use crate::domain::validate::{Field, FieldError};
use crate::domain::{Answer, Contact, Lang, ProfileValue, Submission, Text};
use crate::usecases::assess::{response_errors, submit_response};
use crate::web::{ApiError, AppError, AppState};

/// Submits a complete response and returns its result.
#[utoipa::path(
    post,
    path = "/questionnaires/{id}/responses",
    params(("id" = String, Path, description = "questionnaire id")),
    request_body = ResponseRequest,
    responses(
        (status = 201, body = ResultJson),
        (status = 400, body = ErrorJson, description = "malformed JSON"),
        (status = 404, body = ErrorJson, description = "unknown questionnaire"),
        (status = 413, description = "body over the limit"),
        (status = 415, body = ErrorJson, description = "not application/json"),
        (status = 422, body = ErrorJson, description = "every bad field named"),
    )
)]
pub async fn create_response(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<ResultJson>), ApiError> {
    let def = state
        .questionnaires
        .latest_of(&id)
        .ok_or(AppError::NotFound)?;
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(';')
                .next()
                .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
        });
    if !is_json {
        return Err(ApiError(AppError::UnsupportedMediaType));
    }
    let value: Value = serde_json::from_slice(&body)
        .map_err(|e| AppError::BadRequest(format!("malformed JSON: {e}")))?;
    let ParsedRequest {
        lang,
        submission,
        contact,
        previous,
        mut errors,
    } = parse_request(value)?;
    if !errors.is_empty() {
        // Report the questionnaire's complaints too, so one round trip names every bad field.
        errors.extend(response_errors(
            &def,
            &submission,
            &contact,
            state.clock.today(),
        ));
        return Err(AppError::Validation(errors).into());
    }
    let submitted = submit_response(
        &state,
        &def,
        None,
        &submission,
        &contact,
        previous.as_deref(),
        lang,
        "api",
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(ResultJson::build(
            &def,
            &submitted.token,
            &state.base_url,
            &submitted.result,
            &submitted.roadmap,
            submitted.previous.as_ref(),
        )),
    ))
}

fn field_error(name: &str, en: &str) -> FieldError {
    // The API reports English messages; the field name carries the location.
    let field = match name.split_once('.') {
        Some(("business", id)) => Field::Profile(id.into()),
        Some(("answers", id)) => Field::Answer(id.into()),
        _ => Field::Other(name.into()),
    };
    FieldError {
        field,
        message: Text::new(en, en),
    }
}

/// A request body as domain values, and every field that is wrong in it.
struct ParsedRequest {
    lang: Lang,
    submission: Submission,
    contact: Contact,
    /// The token of the earlier result this response re-assesses.
    previous: Option<String>,
    errors: Vec<FieldError>,
}

/// Turns the JSON body into domain values, naming every field that is wrong (not just the first).
fn parse_request(value: Value) -> Result<ParsedRequest, AppError> {
    let Value::Object(mut top) = value else {
        return Err(AppError::BadRequest(
            "the body must be a JSON object".into(),
        ));
    };
    let mut errors = Vec::new();
    for key in top.keys() {
        if !["lang", "business", "contact", "answers", "previous"].contains(&key.as_str()) {
            errors.push(field_error(key, "unknown field"));
        }
    }
    let previous = match top.remove("previous") {
        None | Some(Value::Null) => None,
        Some(Value::String(token)) => Some(token),
        Some(_) => {
            errors.push(field_error(
                "previous",
                "must be the token of an earlier result",
            ));
            None
        }
    };
    let lang = match top.remove("lang") {
        None | Some(Value::Null) => Lang::Vi,
        Some(Value::String(s)) if Lang::parse(&s).is_some() => Lang::parse(&s).unwrap_or_default(),
        Some(_) => {
            errors.push(field_error("lang", "must be \"vi\" or \"en\""));
            Lang::Vi
        }
    };
    let mut submission = Submission::default();
    match top.remove("business") {
        Some(Value::Object(map)) => {
            for (k, v) in map {
                match v {
                    Value::String(s) => drop(submission.profile.insert(k, ProfileValue::Text(s))),
                    Value::Number(n) => drop(
                        submission
                            .profile
                            .insert(k, ProfileValue::Number(n.as_f64().unwrap_or(f64::NAN))),
                    ),
                    Value::Bool(b) => drop(submission.profile.insert(k, ProfileValue::Bool(b))),
                    Value::Null => {}
                    _ => errors.push(field_error(
                        &format!("business.{k}"),
                        "must be a string, a number or true/false",
                    )),
                }
            }
        }
        None => errors.push(field_error("business", "is required")),
        Some(_) => errors.push(field_error("business", "must be an object")),
    }
    match top.remove("answers") {
        Some(Value::Object(map)) => {
            for (k, v) in map {
                let answer = match v {
                    Value::String(s) => Some(Answer::One(s)),
                    Value::Number(n) => n.as_f64().map(Answer::Number),
                    Value::Array(items) => items
                        .into_iter()
                        .map(|i| match i {
                            Value::String(s) => Some(s),
                            _ => None,
                        })
                        .collect::<Option<Vec<_>>>()
                        .map(Answer::Many),
                    _ => None,
                };
                match answer {
                    Some(a) => drop(submission.answers.insert(k, a)),
                    None => errors.push(field_error(
                        &format!("answers.{k}"),
                        "must be an option value, a list of option values or a number",
                    )),
                }
            }
        }
        None => errors.push(field_error("answers", "is required")),
        Some(_) => errors.push(field_error("answers", "must be an object")),
    }
    let contact_req: ContactRequest = match top.remove("contact") {
        None | Some(Value::Null) => ContactRequest::default(),
        Some(v @ Value::Object(_)) => match serde_json::from_value(v) {
            Ok(c) => c,
            Err(e) => {
                errors.push(field_error("contact", &e.to_string()));
                ContactRequest::default()
            }
        },
        Some(_) => {
            errors.push(field_error("contact", "must be an object"));
            ContactRequest::default()
        }
    };
    let email = contact_req
        .email
        .map(|e| e.trim().to_string())
        .filter(|e| !e.is_empty());
    let phone = contact_req
        .phone
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty());
    // Calling the API is the request to process the answers (purpose `processing`).
    submission.consents.insert(ConsentPurpose::Processing);
    for (given, purpose) in [
        (contact_req.consent_email, ConsentPurpose::EmailReport),
        (contact_req.consent_followup, ConsentPurpose::Followup),
        (contact_req.consent_named, ConsentPurpose::NamedToStaff),
        (
            contact_req.consent_reminder,
            ConsentPurpose::ReassessReminder,
        ),
    ] {
        if given {
            submission.consents.insert(purpose);
        }
    }
    Ok(ParsedRequest {
        lang,
        submission,
        contact: Contact { email, phone },
        previous,
        errors,
    })
}

/// A stored result by its token.
#[utoipa::path(
    get,
    path = "/results/{token}",
    params(("token" = String, Path, description = "result token")),
    responses((status = 200, body = ResultJson), (status = 404, body = ErrorJson))
)]
pub async fn get_result(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Json<ResultJson>, ApiError> {
    if !looks_like_token(&token) {
        return Err(AppError::NotFound.into());
    }
    let stored = crate::db::responses::find_result(&state.db, &state.questionnaires, &token)
        .await?
        .ok_or(AppError::NotFound)?;
    let def = stored.definition.clone();
    Ok(Json(ResultJson::build(
        &def,
        &token,
        &state.base_url,
        &stored.score,
        &stored.roadmap,
        stored.previous.as_ref(),
    )))
}
