//! maud views: pure functions from data to HTML, no database access.

pub mod charts;
pub mod forms;
pub mod layout;
pub mod result;
