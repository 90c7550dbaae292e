//! The six-month reminder: firms with a standing `reassess_reminder` consent get one e-mail six
//! months after their last assessment (one that no later submitted response re-assesses),
//! carrying a re-take link. The e-mail worker runs [`queue_due`] periodically; every instance
//! may run it at once, and each reminder is still queued once (`db::reassessment::queue_reminder`).
//! The date is the app's [`Clock`](super::Clock)'s, so tests can stand six months later.

use super::{App, Result};
use crate::db::reassessment;

/// Responses looked at per query.
const BATCH: u64 = 200;

/// Queues every reminder due now; answers how many this call queued.
pub async fn queue_due(app: &App) -> Result<u64> {
    let now = app.clock.now();
    let mut queued = 0;
    loop {
        let due = reassessment::due_reminders(&app.db, now, BATCH).await?;
        let mut progressed = false;
        for response_id in &due {
            // A response another instance took meanwhile, or no longer due, is skipped;
            // either way it leaves the due list (a marker row now exists or it no longer matches).
            if reassessment::queue_reminder(&app.db, *response_id, now).await? {
                queued += 1;
                progressed = true;
            }
        }
        if u64::try_from(due.len()).unwrap_or(0) < BATCH || !progressed {
            break;
        }
    }
    if queued > 0 {
        app.outbox_wakeup.notify_one();
    }
    Ok(queued)
}
