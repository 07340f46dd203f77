//! A deadline that long computations check between steps, so that a question too large for the
//! server stops by itself instead of holding a core (and, in the HTTP server, a place in the queue of
//! heavy analyses) for minutes.

use std::time::{Duration, Instant};

/// When a computation must give up; [`Deadline::NONE`] for the command line, which may take as long
/// as the user waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadline {
    at: Option<Instant>,
    allowed: Duration,
}

/// A computation ran past its deadline and stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the computation was stopped after {:.0} s, the most one request may take; ask a smaller question (fewer minutes, a coarser grid, fewer kinds)", .allowed.as_secs_f64())]
pub struct Expired {
    /// How long the computation was allowed.
    pub allowed: Duration,
}

impl Deadline {
    /// No deadline.
    pub const NONE: Deadline = Deadline { at: None, allowed: Duration::MAX };

    /// A deadline `allowed` from now.
    ///
    /// ```
    /// use sasaeai::deadline::Deadline;
    /// use std::time::Duration;
    /// assert!(Deadline::after(Duration::from_secs(60)).check().is_ok());
    /// assert!(Deadline::after(Duration::ZERO).check().is_err());
    /// assert!(Deadline::NONE.check().is_ok());
    /// ```
    pub fn after(allowed: Duration) -> Self {
        Deadline { at: Instant::now().checked_add(allowed), allowed }
    }

    /// `Err` once the deadline has passed.
    pub fn check(&self) -> Result<(), Expired> {
        match self.at {
            Some(at) if Instant::now() >= at => Err(Expired { allowed: self.allowed }),
            _ => Ok(()),
        }
    }
}
