//! Start-up of the service, after the address is bound: load the model onto its worker (and the
//! writing model onto its own, with `--llm`), open the store if its database was down at first
//! (trying again until it answers), read a SQLite store whole (embedding again, once, the
//! documents whose vectors another model made) or check a PostgreSQL store's model and vector
//! indexes (its documents stay there), seed a store that was never seeded, then hand the corpus
//! to the handlers. Until this is done the API answers 503 (see [`super::AppState`]).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;

use super::corpus::{embed_documents, Corpus};
use super::{AppState, Ready, ServeArgs};
use crate::doc_vectors::DocumentVectors;
use crate::document::{self, Document};
use crate::store::{AnyStore, ModelId, NewDocument, Store, StoreUrl, StoredDocument};
use crate::worker::{Priority, Worker, WorkerSettings};
use crate::write_worker::WriteWorker;
use crate::writer::{Writer, WriterSettings};
use crate::{Engine, EngineSettings};

/// Documents embedded per progress line when re-embedding the store.
const REEMBED_CHUNK: usize = 32;
/// The longest wait between two tries to open a store whose database is down.
const MAX_STORE_WAIT: Duration = Duration::from_secs(10);
/// The corpus ingested on first start when `--corpus` is not given.
const DEFAULT_CORPUS: &str = "seeds";

/// Loads the model, reads the store (re-embedding it if the model changed), seeds it on first
/// start, and makes the service ready.
pub(super) async fn start(
    state: AppState,
    store: Option<AnyStore>,
    settings: EngineSettings,
    writer: Option<WriterSettings>,
    args: ServeArgs,
) -> anyhow::Result<()> {
    let settings = EngineSettings {
        cache_dir: None,
        ..settings
    };
    let engine = tokio::task::spawn_blocking(move || Engine::load(&settings)).await??;
    let worker = Worker::start(
        engine,
        WorkerSettings {
            queue_capacity: args.queue_size,
            max_batch_tokens: args.max_batch_tokens,
        },
    )?;
    let info = worker.model();
    let model = ModelId {
        name: info.name.clone(),
        fingerprint: info.fingerprint.clone(),
        dim: info.dim,
    };
    tracing::info!(model = %model.name, dimensions = model.dim, "model loaded");
    let writer = match writer {
        Some(settings) => {
            let writer = tokio::task::spawn_blocking(move || Writer::load(&settings))
                .await?
                .context("loading the writing model (--llm)")?;
            Some(WriteWorker::start(writer, args.generate_queue_size)?)
        }
        None => None,
    };

    let store = match store {
        Some(store) => store,
        None => open_when_available(&args.store_url()).await?,
    };
    let stored_model = store.model().await?;
    if let AnyStore::Postgres(shared) = store {
        if let Some(old) = &stored_model {
            // Re-embedding here would overwrite the vectors other replicas are answering from.
            anyhow::ensure!(
                old.same_vectors(&model),
                "the shared store's vectors were made by {} ({}), this replica runs {} ({}): \
                 every replica on one database must run the same model",
                old.name,
                old.fingerprint,
                model.name,
                model.fingerprint
            );
        }
        shared.set_model(&model).await?;
        shared.index_vectors(model.dim).await?;
        shared.set_cache_bytes(args.cache_mib << 20);
        let corpus = Corpus::shared(shared, model, args.candidates, args.ef_search.unwrap_or(0));
        return make_ready(state, corpus, worker, writer, &args.corpus).await;
    }
    let stored = store.load(model.dim).await?;
    if let Some(old) = stored_model.as_ref() {
        if old.same_vectors(&model) && old.name != model.name {
            tracing::info!(
                "the store's vectors were made by this model under the name {}; \
                 recording it as {}",
                old.name,
                model.name
            );
            store.set_model(&model).await?;
        }
    }
    let (documents, vectors) =
        refresh_vectors(&worker, &store, stored, stored_model, &model).await?;
    tracing::info!(documents = documents.len(), "store loaded");
    let corpus = Corpus::in_memory(store, documents, vectors, model);
    make_ready(state, corpus, worker, writer, &args.corpus).await
}

/// Seeds the store if it never was, then makes the service ready.
async fn make_ready(
    state: AppState,
    corpus: Corpus,
    worker: Worker,
    writer: Option<WriteWorker>,
    seeds: &[PathBuf],
) -> anyhow::Result<()> {
    let ready = Ready {
        corpus: Arc::new(corpus),
        worker,
        writer,
    };
    if !ready.corpus.is_seeded().await? {
        let had_documents = ready.corpus.count().await? > 0;
        let seeded = seed(&ready, seeds).await?;
        // With nothing to seed from, an empty store stays unseeded, so that a later start where
        // the corpus exists still seeds it; a store that already holds documents is someone's
        // corpus, which seeds are not mixed into later.
        if seeded || had_documents {
            ready.corpus.mark_seeded().await?;
        }
    }
    let documents = ready.corpus.count().await?;
    if !state.set_ready(ready) {
        anyhow::bail!("start-up ran twice");
    }
    tracing::info!(documents, "ready");
    Ok(())
}

/// Opens the store at `url`; `None`, logged, when its database is down or restarting (the
/// service then answers 503 `not_ready` until [`open_when_available`] gets it). Any other error
/// ends start-up.
pub(super) async fn open_store(url: &StoreUrl) -> anyhow::Result<Option<AnyStore>> {
    match AnyStore::open(url).await {
        Ok(store) => {
            tracing::info!("document store {url}");
            Ok(Some(store))
        }
        Err(crate::Error::StoreUnavailable(why)) => {
            tracing::warn!("document store {url} unavailable ({why}); waiting for it");
            Ok(None)
        }
        Err(e) => Err(anyhow::Error::new(e).context(format!("opening the document store {url}"))),
    }
}

/// Opens the store once its database answers, trying again after a wait that doubles from 1 s
/// up to [`MAX_STORE_WAIT`].
async fn open_when_available(url: &StoreUrl) -> anyhow::Result<AnyStore> {
    let mut wait = Duration::from_secs(1);
    loop {
        tokio::time::sleep(wait).await;
        if let Some(store) = open_store(url).await? {
            return Ok(store);
        }
        wait = (wait * 2).min(MAX_STORE_WAIT);
    }
}

/// The stored documents with vectors from `model`: vectors made by another model, or missing,
/// are embedded again (progress in the log) and written back in one transaction.
async fn refresh_vectors(
    worker: &Worker,
    store: &AnyStore,
    stored: Vec<StoredDocument>,
    stored_model: Option<ModelId>,
    model: &ModelId,
) -> anyhow::Result<(Vec<Document>, Vec<DocumentVectors>)> {
    let same_model = stored_model.as_ref().is_some_and(|m| m.same_vectors(model));
    let stale: Vec<usize> = (0..stored.len())
        .filter(|&i| !same_model || stored[i].vectors.is_none())
        .collect();
    let (documents, mut vectors): (Vec<Document>, Vec<Option<DocumentVectors>>) =
        stored.into_iter().map(|d| (d.document, d.vectors)).unzip();
    if stale.is_empty() {
        let vectors = vectors.into_iter().map(Option::unwrap_or_default).collect();
        return Ok((documents, vectors));
    }
    match stored_model.filter(|_| !same_model) {
        Some(old) => tracing::warn!(
            "the store's vectors were made by {} ({}); re-embedding {} documents with {} ({})",
            old.name,
            old.fingerprint,
            stale.len(),
            model.name,
            model.fingerprint
        ),
        None => tracing::warn!(
            "{} stored documents lack vectors; embedding them",
            stale.len()
        ),
    }
    let started = Instant::now();
    let mut done = 0;
    for chunk in stale.chunks(REEMBED_CHUNK) {
        let docs: Vec<&Document> = chunk.iter().map(|&i| &documents[i]).collect();
        let fresh = embed_documents(worker, &docs, Priority::Bulk).await?;
        for (&i, v) in chunk.iter().zip(fresh) {
            vectors[i] = Some(v);
        }
        done += chunk.len();
        tracing::info!("re-embedded {done}/{} documents", stale.len());
    }
    let vectors: Vec<DocumentVectors> =
        vectors.into_iter().map(Option::unwrap_or_default).collect();
    let rows: Vec<NewDocument> = stale
        .iter()
        .map(|&i| NewDocument {
            document: &documents[i],
            vectors: &vectors[i],
        })
        .collect();
    store.replace_vectors(model, &rows).await?;
    tracing::info!(
        "re-embedding done in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    Ok((documents, vectors))
}

/// Ingests the initial corpus (`--corpus`, or `seeds/` when it exists); false when there was
/// none to ingest.
async fn seed(ready: &Ready, paths: &[PathBuf]) -> anyhow::Result<bool> {
    let paths = if paths.is_empty() {
        let default = PathBuf::from(DEFAULT_CORPUS);
        if !default.is_dir() {
            tracing::warn!("no {DEFAULT_CORPUS}/ directory here and no --corpus: starting empty");
            return Ok(false);
        }
        vec![default]
    } else {
        paths.to_vec()
    };
    let loaded = {
        let paths = paths.clone();
        tokio::task::spawn_blocking(move || document::load_paths(&paths)).await??
    };
    for problem in &loaded.problems {
        tracing::warn!("{problem} (skipped)");
    }
    let count = loaded.documents.len();
    tracing::info!("seeding the store with {count} documents from {paths:?}");
    let ingested = ready
        .corpus
        .ingest(&ready.worker, loaded.documents)
        .await
        .context("seeding the store")?;
    let created = ingested.iter().filter(|i| i.created).count();
    tracing::info!("seeded: {created} new documents of {count}");
    Ok(true)
}
