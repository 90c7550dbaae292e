//! E-mail: the roadmap report and resume links, queued in the outbox (`crate::db::outbox`) and
//! delivered by [`worker`].
//!
//! - [`render`]: subject, HTML and plain-text bodies in the respondent's language.
//! - [`pdf`]: the full roadmap as a PDF attachment.
//! - [`message`]: the MIME message and its headers.
//! - [`transport`]: SMTP or `.eml` files, and which failures are permanent.

pub mod background;
pub mod message;
pub mod pdf;
pub mod render;
pub mod transport;
pub mod worker;

pub use transport::{Mailer, SendError};
pub use worker::{WorkerConfig, spawn_worker, spawn_worker_with};
