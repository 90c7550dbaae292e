//! Questionnaire files: the format people write, the loader that checks it, and the definition
//! the rest of the engine uses.

pub mod format;
mod load;
mod model;
mod revision;
mod warnings;

pub use load::{LoadedDir, extreme_submission, load_dir, load_file, load_str};
pub use model::*;
pub use revision::differs_only_in_practices;
pub use warnings::{ENDING_WITHIN_DAYS, Warning, WarningKind, warnings};
