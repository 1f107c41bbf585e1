//! The model worker: the embedding model on a thread of its own, fed by a bounded queue.
//!
//! Modelled on text-embeddings-inference. Requests never run the model on the async runtime:
//! each hands its texts to the worker with a oneshot channel for the reply. The worker thread
//! gathers whatever is queued into one round under a token budget (interactive requests such as
//! questions first, bulk ingests after, each in arrival order), runs the round through the model in
//! length-sorted batches ([`Embedder::embed_tokens`]), and answers each request as soon as all its
//! texts are embedded. A large ingest is spread over several rounds, so a question queued behind
//! it waits for one round, not for the whole ingest; concurrent questions share rounds.
//!
//! The queue admits a fixed number of requests (a semaphore, as TEI limits concurrent requests).
//! When it is full, callers get [`Error::Overloaded`] at once, which the HTTP layer answers with
//! 503 and `Retry-After`, instead of letting memory grow without bound.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::Instant;

use tokio::sync::{oneshot, OwnedSemaphorePermit, Semaphore};

use crate::embed::Embedder;
use crate::error::{Error, Result};
use crate::Engine;

/// Requests queued or being embedded (gauge).
pub const QUEUE_DEPTH: &str = "footnote_embedding_queue_depth";
/// Requests refused because the queue was full (counter).
pub const REJECTED: &str = "footnote_embedding_rejected_total";
/// Texts per model round (histogram).
pub const BATCH_SEQUENCES: &str = "footnote_embedding_batch_sequences";
/// Tokens per model round (histogram).
pub const BATCH_TOKENS: &str = "footnote_embedding_batch_tokens";
/// Seconds per model round (histogram).
pub const BATCH_SECONDS: &str = "footnote_embedding_batch_duration_seconds";
/// Tokens embedded since start (counter).
pub const TOKENS: &str = "footnote_embedding_tokens_total";
/// Throughput of the latest round (gauge).
pub const TOKENS_PER_SECOND: &str = "footnote_embedding_tokens_per_second";

/// Who is waiting for an embedding: questions are served before bulk ingests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Priority {
    Interactive,
    Bulk,
}

#[derive(Debug, Clone, Copy)]
pub struct WorkerSettings {
    /// Requests that may be queued or in progress at once.
    pub queue_capacity: usize,
    /// Most tokens (before padding) the worker takes from the queue into one round, and most
    /// padded tokens in one forward pass.
    pub max_batch_tokens: usize,
}

/// The worker's model, for responses, the store and logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelInfo {
    pub name: String,
    /// [`Embedder::fingerprint`].
    pub fingerprint: String,
    pub dim: usize,
}

/// A handle to the model worker; cheap to clone. The thread ends when every handle is dropped.
#[derive(Clone)]
pub struct Worker {
    jobs: mpsc::Sender<Job>,
    admission: Admission,
    model: Arc<ModelInfo>,
    alive: Arc<AtomicBool>,
}

/// Held by the worker thread: clears the flag when the thread ends, by return or by panic, so
/// that readiness checks see a dead worker (a sender cannot tell, the queue only fails on send).
struct AliveGuard(Arc<AtomicBool>);

impl Drop for AliveGuard {
    fn drop(&mut self) {
        self.0.store(false, Ordering::SeqCst);
    }
}

struct Job {
    texts: Vec<String>,
    priority: Priority,
    reply: oneshot::Sender<Result<Vec<Vec<f32>>>>,
    slot: Slot,
}

impl Job {
    /// Gives the queue slot back, then replies: a caller that reads the queue depth after its
    /// answer never still finds its own request counted.
    fn finish(self, result: Result<Vec<Vec<f32>>>) {
        let Job { reply, slot, .. } = self;
        drop(slot);
        // The caller may have gone meanwhile; nothing to do then.
        let _ = reply.send(result);
    }
}

impl Worker {
    /// Moves the engine's model onto a new thread and returns the handle that feeds it.
    pub fn start(engine: Engine, settings: WorkerSettings) -> Result<Self> {
        let mut embedder = engine.embedder;
        // One budget for both: a round taken from the queue is also what one forward pass may
        // hold, so `--max-batch-tokens` bounds the memory a pass uses, not only the queue.
        embedder.set_max_batch_tokens(settings.max_batch_tokens);
        let model = Arc::new(ModelInfo {
            name: embedder.model_name().to_string(),
            fingerprint: embedder.fingerprint().to_string(),
            dim: embedder.dim(),
        });
        let (jobs, receiver) = mpsc::channel();
        let budget = settings.max_batch_tokens.max(1);
        let alive = Arc::new(AtomicBool::new(true));
        let guard = AliveGuard(alive.clone());
        thread::Builder::new()
            .name("footnote-model".into())
            .spawn(move || {
                let _guard = guard;
                run(&embedder, &receiver, budget)
            })
            .map_err(|e| Error::io("model worker thread", e))?;
        Ok(Worker {
            jobs,
            admission: Admission::new(settings.queue_capacity, QUEUE_DEPTH, REJECTED),
            model,
            alive,
        })
    }

    pub fn model(&self) -> &ModelInfo {
        &self.model
    }

    /// Whether the model thread is still running (it only stops on a bug: a panic).
    pub fn is_alive(&self) -> bool {
        self.alive.load(Ordering::SeqCst)
    }

    /// Embeds texts (one vector per text, in order), waiting for the worker asynchronously.
    pub async fn embed(&self, texts: Vec<String>, priority: Priority) -> Result<Vec<Vec<f32>>> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        self.submit(texts, priority)?
            .await
            .map_err(|_| Error::WorkerStopped)?
    }

    /// [`Worker::embed`] for code on a blocking thread, never on the async runtime.
    pub fn embed_blocking(&self, texts: Vec<String>, priority: Priority) -> Result<Vec<Vec<f32>>> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        self.submit(texts, priority)?
            .blocking_recv()
            .map_err(|_| Error::WorkerStopped)?
    }

    fn submit(
        &self,
        texts: Vec<String>,
        priority: Priority,
    ) -> Result<oneshot::Receiver<Result<Vec<Vec<f32>>>>> {
        let slot = self.admission.try_admit()?;
        let (reply, receiver) = oneshot::channel();
        self.jobs
            .send(Job {
                texts,
                priority,
                reply,
                slot,
            })
            .map_err(|_| Error::WorkerStopped)?;
        Ok(receiver)
    }
}

/// A bounded queue's admission control (the embedding worker's, and the writing model's in
/// [`crate::write_worker`]), with the names of its depth gauge and its refusals counter.
#[derive(Clone)]
pub(crate) struct Admission {
    permits: Arc<Semaphore>,
    capacity: usize,
    depth_metric: &'static str,
    rejected_metric: &'static str,
}

/// A place in the queue, given back when the request is answered or abandoned.
pub(crate) struct Slot {
    _permit: OwnedSemaphorePermit,
    depth_metric: &'static str,
}

impl Admission {
    pub(crate) fn new(
        capacity: usize,
        depth_metric: &'static str,
        rejected_metric: &'static str,
    ) -> Self {
        Admission {
            permits: Arc::new(Semaphore::new(capacity)),
            capacity,
            depth_metric,
            rejected_metric,
        }
    }

    /// A place in the queue, or [`Error::Overloaded`] at once when it is full.
    pub(crate) fn try_admit(&self) -> Result<Slot> {
        let permit = self.permits.clone().try_acquire_owned().map_err(|_| {
            metrics::counter!(self.rejected_metric).increment(1);
            Error::Overloaded {
                capacity: self.capacity,
            }
        })?;
        metrics::gauge!(self.depth_metric).increment(1.0);
        Ok(Slot {
            _permit: permit,
            depth_metric: self.depth_metric,
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        metrics::gauge!(self.depth_metric).decrement(1.0);
    }
}

/// A queued request: its texts' token ids and the vectors embedded so far (a prefix).
struct Pending {
    job: Job,
    ids: Vec<Vec<u32>>,
    vectors: Vec<Vec<f32>>,
}

/// The worker thread: gathers rounds from the queue until every [`Worker`] handle is gone.
fn run(embedder: &Embedder, jobs: &mpsc::Receiver<Job>, max_batch_tokens: usize) {
    let mut pending: Vec<Pending> = Vec::new();
    loop {
        if pending.is_empty() {
            let Ok(job) = jobs.recv() else { return };
            admit(embedder, job, &mut pending);
        }
        for job in jobs.try_iter() {
            admit(embedder, job, &mut pending);
        }
        // A caller that has gone (timed out, disconnected) no longer needs its vectors.
        pending.retain(|p| !p.job.reply.is_closed());
        // Stable: arrival order within each priority.
        pending.sort_by_key(|p| p.job.priority);
        let remaining: Vec<Vec<usize>> = pending
            .iter()
            .map(|p| p.ids[p.vectors.len()..].iter().map(Vec::len).collect())
            .collect();
        let takes = plan_round(&remaining, max_batch_tokens);
        let round: Vec<Vec<u32>> = pending
            .iter()
            .zip(&takes)
            .flat_map(|(p, &n)| p.ids[p.vectors.len()..][..n].iter().cloned())
            .collect();
        if round.is_empty() {
            continue;
        }
        let tokens: usize = round.iter().map(Vec::len).sum();
        let started = Instant::now();
        let mut failure = None;
        // A panic in the model fails this round's requests, not the worker and every later one.
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            embedder.embed_tokens(&round).map_err(|e| e.to_string())
        }))
        .unwrap_or_else(|_| Err("the model panicked on this input".to_string()));
        match outcome {
            Ok(vectors) => {
                let seconds = started.elapsed().as_secs_f64();
                metrics::histogram!(BATCH_SEQUENCES).record(round.len() as f64);
                metrics::histogram!(BATCH_TOKENS).record(tokens as f64);
                metrics::histogram!(BATCH_SECONDS).record(seconds);
                metrics::counter!(TOKENS).increment(tokens as u64);
                metrics::gauge!(TOKENS_PER_SECOND).set(tokens as f64 / seconds.max(1e-9));
                let mut vectors = vectors.into_iter();
                for (p, &n) in pending.iter_mut().zip(&takes) {
                    p.vectors.extend(vectors.by_ref().take(n));
                }
            }
            Err(message) => {
                tracing::error!("embedding failed: {message}");
                failure = Some(message);
            }
        }
        // Answer every request that is complete, or that was in a failed round.
        let mut waiting = Vec::with_capacity(pending.len());
        for (p, n) in pending.drain(..).zip(takes) {
            let result = match &failure {
                Some(message) if n > 0 => Err(Error::Model {
                    model: embedder.model_name().to_string(),
                    message: message.clone(),
                }),
                _ if p.vectors.len() == p.ids.len() => Ok(p.vectors),
                _ => {
                    waiting.push(p);
                    continue;
                }
            };
            p.job.finish(result);
        }
        pending = waiting;
    }
}

/// Tokenizes a new request and queues it; a request that cannot be tokenized is answered now.
fn admit(embedder: &Embedder, job: Job, pending: &mut Vec<Pending>) {
    let texts: Vec<&str> = job.texts.iter().map(String::as_str).collect();
    match embedder.tokenize(&texts) {
        Ok(ids) => pending.push(Pending {
            job,
            vectors: Vec::with_capacity(ids.len()),
            ids,
        }),
        Err(e) => job.finish(Err(e)),
    }
}

/// How many of each request's remaining texts (given by token count, requests in serving order)
/// go into the next round: whole texts in order until the token budget is spent. The first text
/// always goes, however long, so that every round makes progress.
fn plan_round(remaining: &[Vec<usize>], max_tokens: usize) -> Vec<usize> {
    let mut takes = vec![0; remaining.len()];
    let mut tokens = 0;
    for (take, lengths) in takes.iter_mut().zip(remaining) {
        for &len in lengths {
            if tokens > 0 && tokens + len > max_tokens {
                return takes;
            }
            tokens += len;
            *take += 1;
        }
    }
    takes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alive_guard_clears_the_flag_when_its_thread_panics() {
        let alive = Arc::new(AtomicBool::new(true));
        let guard = AliveGuard(alive.clone());
        let outcome = thread::spawn(move || {
            let _guard = guard;
            panic!("a bug in the model thread");
        })
        .join();
        assert!(outcome.is_err());
        assert!(!alive.load(Ordering::SeqCst));
    }

    #[test]
    fn a_round_fills_the_budget_in_serving_order() {
        let remaining = vec![vec![10, 10], vec![30, 30, 30], vec![5]];
        assert_eq!(plan_round(&remaining, 100), vec![2, 2, 0]);
        assert_eq!(plan_round(&remaining, 1000), vec![2, 3, 1]);
        // A text longer than the budget still goes, alone.
        assert_eq!(plan_round(&[vec![500, 1]], 100), vec![1]);
        assert_eq!(plan_round(&[], 100), Vec::<usize>::new());
    }

    #[test]
    fn a_full_queue_refuses_until_a_slot_is_given_back() {
        let admission = Admission::new(2, QUEUE_DEPTH, REJECTED);
        let a = admission.try_admit().unwrap();
        let _b = admission.try_admit().unwrap();
        let err = admission.try_admit().err().unwrap();
        assert!(matches!(err, Error::Overloaded { capacity: 2 }), "{err}");
        drop(a);
        assert!(admission.try_admit().is_ok());
    }
}
