//! A thread for the e-mail worker's CPU work (the report's HTML and PDF, and writing `.eml`
//! files), run at a lower
//! scheduling priority than the threads that answer requests. Report e-mails are deferred work
//! that the durable outbox lets wait: under a burst of submissions, rendering yields the CPU to
//! the people waiting for a page, and catches up as soon as the burst is over.

use std::sync::LazyLock;
use std::sync::mpsc;

use tokio::sync::oneshot;

type Job = Box<dyn FnOnce() + Send>;

/// Runs `work` on the low-priority thread and waits for its answer.
pub async fn run<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    static THREAD: LazyLock<mpsc::Sender<Job>> = LazyLock::new(start);
    let (done, answer) = oneshot::channel();
    let job: Job = Box::new(move || {
        let _ = done.send(work());
    });
    THREAD.send(job).ok()?;
    answer.await.ok()
}

fn start() -> mpsc::Sender<Job> {
    let (jobs, queue) = mpsc::channel::<Job>();
    std::thread::Builder::new()
        .name("dxready-mail-render".into())
        .spawn(move || {
            lower_priority();
            for job in queue {
                job();
            }
        })
        .expect("the e-mail render thread starts");
    jobs
}

/// The lowest priority the platform grants without privileges. On Linux that is SCHED_IDLE: the
/// thread runs only on a core nothing else wants, and a waking request thread preempts it at
/// once (a nice value of 19 still takes a share of a busy core). It still gets a sliver of a
/// saturated machine (weight 3 against 1,024), so under load a report is late (a claimed batch
/// of 16 takes well under a minute at that share), not starved; the worker renews its claims
/// meanwhile, so a slow batch is not taken over by another instance.
/// Elsewhere, the lowest nice value; where both are refused, it runs at normal priority.
fn lower_priority() {
    use thread_priority::{ThreadPriority, set_current_thread_priority};
    #[cfg(target_os = "linux")]
    {
        use thread_priority::{
            NormalThreadSchedulePolicy, ThreadSchedulePolicy, set_thread_priority_and_policy,
            thread_native_id,
        };
        let idle = ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Idle);
        if set_thread_priority_and_policy(thread_native_id(), ThreadPriority::Min, idle).is_ok() {
            return;
        }
    }
    if let Err(e) = set_current_thread_priority(ThreadPriority::Min) {
        tracing::debug!(error = ?e, "cannot lower the e-mail thread's priority");
    }
}
