//! The questionnaire engine: loading and validating questionnaire files, scoring a response and
//! choosing its roadmap. Nothing here knows about HTTP or databases.

pub mod text;

pub use text::{Lang, Text};
pub mod answers;
pub mod assessment;
pub mod case;
pub mod contact;
pub mod expr;
pub mod facts;
pub mod practices;
pub mod privacy;
pub mod problem;
pub mod questionnaire;
pub mod reference;
pub mod roadmap;
pub mod role;
pub mod score_result;
pub mod scoring;
pub mod validate;

pub use answers::{Answer, Answers, Contact, Profile, ProfileValue, Submission};
pub use questionnaire::Definition;
pub use roadmap::{Roadmap, RoadmapItem, roadmap};
pub use role::Role;
pub use scoring::{ScoreResult, score};
