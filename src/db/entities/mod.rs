//! sea-orm entities, one file per table. Only `crate::db` uses them directly.

pub mod agency;
pub mod answer;
pub mod app_user;
pub mod assessment_result;
pub mod audit_log;
pub mod case_event;
pub mod consent;
pub mod contact;
pub mod followup_case;
pub mod http_session;
pub mod login_throttle;
pub mod outbox;
pub mod questionnaire;
pub mod reassess_link;
pub mod reassess_reminder;
pub mod response;
pub mod result_barrier;
pub mod result_dimension;
