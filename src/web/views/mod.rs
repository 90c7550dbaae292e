//! maud views: pure functions from data to HTML, no database access.

pub mod forms;
pub mod layout;
pub mod result;
