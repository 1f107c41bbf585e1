//! Blocking work from async code: one place that runs it on tokio's blocking threads and turns a
//! panicked or cancelled task into [`Error::TaskFailed`].

use crate::error::{Error, Result};

/// Runs `work` (CPU-bound, or blocking I/O such as SQLite) on a blocking thread and waits for it.
pub async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| Error::TaskFailed(e.to_string()))?
}
