//! The queue of heavy work: coverage, gaps, suggestions, catchments of a kind and imports take a place
//! among at most `heavy_at_once`, wait for one at most `queue_wait_s` (then 503 with `Retry-After`),
//! run on tokio's blocking threads (never on the async ones that answer `/health` and tiles) and
//! stop at their deadline (then 504). So a hundred people asking for two-hour catchments at once get
//! quick refusals, and everyone else keeps their map. Password checks (Argon2id, 19 MiB each) take
//! places in a queue of their own, so a flood of sign-ins cannot take the memory or the analyses'
//! places.

use super::AppError;
use crate::config::Limits;
use crate::deadline::Deadline;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// Places for heavy work and how long each may wait and run.
pub struct HeavyQueue {
    places: Arc<Semaphore>,
    size: usize,
    queue_wait: Duration,
    deadline: Duration,
}

impl HeavyQueue {
    pub fn new(limits: &Limits) -> Self {
        let size = limits.heavy_at_once();
        HeavyQueue {
            places: Arc::new(Semaphore::new(size)),
            size,
            queue_wait: Duration::from_secs_f64(limits.queue_wait_s),
            deadline: Duration::from_secs_f64(limits.analysis_deadline_s),
        }
    }

    /// Runs `work` on a blocking thread once a place is free, handing it the deadline to check.
    pub async fn run<T: Send + 'static>(
        &self,
        what: &str,
        work: impl FnOnce(&Deadline) -> Result<T, AppError> + Send + 'static,
    ) -> Result<T, AppError> {
        let place = tokio::time::timeout(self.queue_wait, self.places.clone().acquire_owned())
            .await
            .map_err(|_| self.full(what))?
            .expect("the semaphore is never closed");
        let deadline = Deadline::after(self.deadline);
        tokio::task::spawn_blocking(move || {
            let _place = place; // held until the work ends, even when the client has gone
            work(&deadline)
        })
        .await?
    }

    /// Runs `work` on this blocking thread once a place is free: for heavy work found to be needed
    /// only inside other blocking work (the analysis a map tile shows, when no tile of its question
    /// has been drawn yet). Must not be called on an async thread.
    pub fn run_here<T>(
        &self,
        what: &str,
        work: impl FnOnce(&Deadline) -> Result<T, AppError>,
    ) -> Result<T, AppError> {
        let runtime = tokio::runtime::Handle::current();
        let place = runtime
            .block_on(tokio::time::timeout(self.queue_wait, self.places.acquire()))
            .map_err(|_| self.full(what))?
            .expect("the semaphore is never closed");
        let answer = work(&Deadline::after(self.deadline));
        drop(place);
        answer
    }

    fn full(&self, what: &str) -> AppError {
        AppError::unavailable(
            format!(
                "{} tasks like it are already running, so {what} could not start; try again in a few seconds",
                self.size
            ),
            retry_after(self.queue_wait),
        )
    }

    /// Heavy analyses running now.
    pub fn running(&self) -> usize {
        self.size - self.places.available_permits()
    }

    /// Places for heavy analyses.
    pub fn size(&self) -> usize {
        self.size
    }
}

/// Seconds to tell a client to wait: the queue wait, rounded up, at least one.
fn retry_after(wait: Duration) -> u64 {
    wait.as_secs_f64().ceil().max(1.0) as u64
}
