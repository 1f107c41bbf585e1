//! The writing model in the service: a [`Writer`] on a thread of its own, running one request at
//! a time (the model keeps one KV cache), behind a bounded queue of its own.
//!
//! The queue is separate from the embedding worker's ([`crate::worker`]), and small: a burst of
//! requests to write cannot take the places of plain questions, which only need an embedding.
//! When it is full, callers get [`Error::Overloaded`] at once (503 with `Retry-After`). A request
//! is a closure run with the writer; one whose caller has gone before its turn is skipped, and a
//! running one stops when its own `on_piece` says so (the client disconnected, or its time ran
//! out).

use std::sync::{mpsc, Arc};
use std::thread;

use tokio::sync::oneshot;

use crate::error::{Error, Result};
use crate::worker::{Admission, Slot};
use crate::writer::Writer;

/// Requests queued or being written (gauge).
pub const QUEUE_DEPTH: &str = "footnote_generation_queue_depth";
/// Requests refused because the queue was full (counter).
pub const REJECTED: &str = "footnote_generation_rejected_total";

type Job = Box<dyn FnOnce(&mut Writer) + Send>;

/// A handle to the writing thread; cheap to clone. The thread ends when every handle is dropped.
#[derive(Clone)]
pub struct WriteWorker {
    jobs: mpsc::Sender<Job>,
    admission: Admission,
    model: Arc<str>,
}

impl WriteWorker {
    /// Moves the writer onto a new thread; `queue_capacity` requests may wait or run at once.
    pub fn start(mut writer: Writer, queue_capacity: usize) -> Result<Self> {
        let model: Arc<str> = writer.generator().name().into();
        let (jobs, receiver) = mpsc::channel::<Job>();
        thread::Builder::new()
            .name("footnote-writer".into())
            .spawn(move || {
                for job in receiver {
                    job(&mut writer);
                }
            })
            .map_err(|e| Error::io("writing model thread", e))?;
        Ok(WriteWorker {
            jobs,
            admission: Admission::new(queue_capacity, QUEUE_DEPTH, REJECTED),
            model,
        })
    }

    /// The writing model's name (`--llm`).
    pub fn model(&self) -> &str {
        &self.model
    }

    /// Queues `job` to run with the writer; its result comes through the receiver. Refused at
    /// once when the queue is full. A job that panics fails alone: the receiver then reports
    /// the sender gone.
    pub fn submit<T: Send + 'static>(
        &self,
        job: impl FnOnce(&mut Writer) -> T + Send + 'static,
    ) -> Result<oneshot::Receiver<T>> {
        let slot: Slot = self.admission.try_admit()?;
        let (reply, receiver) = oneshot::channel();
        let job: Job = Box::new(move |writer: &mut Writer| {
            // The caller went away (timed out, disconnected) while queued: nothing to write.
            if reply.is_closed() {
                drop(slot);
                return;
            }
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(writer)));
            // The place is given back before the reply, so that a caller reading the queue
            // depth after its answer never finds itself counted.
            drop(slot);
            match outcome {
                Ok(value) => {
                    let _ = reply.send(value);
                }
                Err(_) => tracing::error!("the writing model panicked on a request"),
            }
        });
        self.jobs.send(job).map_err(|_| Error::WorkerStopped)?;
        Ok(receiver)
    }
}
