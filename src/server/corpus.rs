//! The live corpus: the stored documents and the index over them, kept in step.
//!
//! Readers take a [`Snapshot`] (an `Arc` copied under a lock held for that copy only) and use it
//! for the whole request, so an answer and the paragraphs it cites come from one state of the
//! corpus, whatever is ingested or deleted meanwhile. Writers are serialized by a lock: a write
//! commits one transaction to the store, then derives the next index from the previous
//! snapshot's with only the written documents' work ([`Index::with_documents`],
//! [`Index::without_document`]: the others' data is shared, nothing is embedded again) and
//! publishes it. Both happen in one task of their own, which runs to its end even when the
//! request that started it times out or disconnects, so the store and the index never fall out
//! of step.
//!
//! Documents are recognised by content hash: the same text again is not stored twice, and the
//! existing id is returned. An id already used by a different text is refused (409); the client
//! deletes the old document first or lets the id be derived from the text.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use serde::Serialize;
use utoipa::ToSchema;

use crate::doc_vectors::{self, DocumentVectors};
use crate::document::Document;
use crate::error::{Error, Result};
use crate::index::Index;
use crate::store::{AnyStore, Changes, ModelId, NewDocument, Store, StoredDocument};
use crate::task::blocking;
use crate::worker::{Priority, Worker};

/// How long a request waits for the store's generation before it reads the last state seen: a
/// database that stops answering must not hold up questions that memory can answer.
const GENERATION_WAIT: Duration = Duration::from_millis(300);

/// Documents in the store (gauge).
pub const DOCUMENTS: &str = "footnote_documents_stored";

/// One consistent state of the corpus.
pub struct Snapshot {
    pub index: Index,
    /// The store's generation this state reflects ([`Store::generation`]).
    generation: u64,
    positions: HashMap<String, usize>,
    hashes: HashMap<String, usize>,
}

impl Snapshot {
    fn new(index: Index, generation: u64) -> Self {
        let positions = index
            .documents
            .iter()
            .enumerate()
            .map(|(i, d)| (d.id.clone(), i))
            .collect();
        let hashes = index
            .documents
            .iter()
            .enumerate()
            .map(|(i, d)| (d.content_hash.clone(), i))
            .collect();
        Snapshot {
            index,
            generation,
            positions,
            hashes,
        }
    }

    pub fn document(&self, id: &str) -> Option<&Document> {
        self.positions.get(id).map(|&i| &*self.index.documents[i])
    }

    /// Position of a document in [`Snapshot::index`], or [`Error::UnknownDocument`].
    pub fn position(&self, id: &str) -> Result<usize> {
        self.positions
            .get(id)
            .copied()
            .ok_or_else(|| Error::UnknownDocument(id.to_string()))
    }
}

/// What ingesting one document did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Ingested {
    /// The document's id: the one sent, the one derived from the text, or, when the same text was
    /// already stored, the stored document's id.
    pub id: String,
    /// Number of paragraphs (blank-line-separated blocks, or lines where the text is written one
    /// paragraph per line), numbered from 1.
    pub paragraphs: usize,
    /// False when the same text was already stored.
    pub created: bool,
}

/// What to do with one posted document.
enum Disposition {
    New,
    /// Same text as the stored document at this position.
    Stored(usize),
    /// Same text as an earlier document of the same request.
    Earlier(usize),
}

pub struct Corpus {
    store: AnyStore,
    /// Held by a write from its plan to its publish.
    writing: tokio::sync::Mutex<()>,
    snapshot: RwLock<Arc<Snapshot>>,
    model: ModelId,
}

impl Corpus {
    /// The corpus over documents loaded from `store` when it was at `generation`, with their
    /// vectors made by `model`.
    pub fn new(
        store: AnyStore,
        generation: u64,
        documents: Vec<Document>,
        vectors: Vec<DocumentVectors>,
        model: ModelId,
    ) -> Self {
        let index = Index::from_vectors(documents, vectors, model.dim);
        metrics::gauge!(DOCUMENTS).set(index.documents.len() as f64);
        Corpus {
            store,
            writing: tokio::sync::Mutex::new(()),
            snapshot: RwLock::new(Arc::new(Snapshot::new(index, generation))),
            model,
        }
    }

    /// The corpus as it is now. On a store other processes write too (PostgreSQL), what they
    /// committed since the last snapshot is applied first, so that a document stored through
    /// another replica is answerable on the next request; that costs one query when nothing
    /// changed. While the database cannot be reached, reads go on from the last state this
    /// process saw.
    pub async fn current(self: &Arc<Self>) -> Result<Arc<Snapshot>> {
        let snapshot = self.snapshot();
        if !self.store.is_shared() {
            return Ok(snapshot);
        }
        let observed = match tokio::time::timeout(GENERATION_WAIT, self.store.generation()).await {
            Ok(Ok(generation)) if generation == snapshot.generation => return Ok(snapshot),
            Ok(Ok(generation)) => generation,
            Ok(Err(Error::StoreUnavailable(why))) => {
                tracing::debug!("store unavailable ({why}); reading the last state seen");
                return Ok(snapshot);
            }
            Ok(Err(e)) => return Err(e),
            Err(_) => {
                tracing::debug!("store slow to answer; reading the last state seen");
                return Ok(snapshot);
            }
        };
        let corpus = self.clone();
        to_the_end(async move {
            let _writing = corpus.writing.lock().await;
            // Requests that saw the same change queue here; the first one applies it for all.
            let published = corpus.snapshot();
            if published.generation >= observed {
                return Ok(published);
            }
            corpus.catch_up().await
        })
        .await
    }

    /// Applies what other processes committed since the published snapshot and publishes the
    /// result. Call with `writing` held.
    async fn catch_up(&self) -> Result<Arc<Snapshot>> {
        let snapshot = self.snapshot();
        if !self.store.is_shared() {
            return Ok(snapshot);
        }
        let changes = self
            .store
            .changes_since(snapshot.generation, self.model.dim)
            .await?;
        if changes.generation <= snapshot.generation {
            return Ok(snapshot);
        }
        let generation = changes.generation;
        let from = snapshot.clone();
        let index = blocking(move || Ok(apply(&from.index, changes))).await?;
        Ok(self.publish(index, generation))
    }

    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.snapshot
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Whether the initial corpus was ingested once already.
    pub async fn is_seeded(&self) -> Result<bool> {
        self.store.is_seeded().await
    }

    pub async fn mark_seeded(&self) -> Result<()> {
        self.store.mark_seeded().await
    }

    /// Positions of the posted documents that are new to the corpus as it is now: the ones to
    /// embed before [`Corpus::insert`]. Fails if an id is taken by a different text.
    async fn to_embed(self: &Arc<Self>, documents: &[Document]) -> Result<Vec<usize>> {
        let plan = plan(&*self.current().await?, documents)?;
        Ok(plan
            .iter()
            .enumerate()
            .filter(|(_, d)| matches!(d, Disposition::New))
            .map(|(i, _)| i)
            .collect())
    }

    /// Stores the new documents among `documents` in one transaction and publishes an index
    /// with them. `vectors[i]` holds the vectors of `documents[i]` if they were embedded (see
    /// [`Corpus::to_embed`]); a document that became new since (its twin was deleted meanwhile)
    /// is embedded here. When another process stored one of the ids or texts meanwhile, the
    /// corpus is brought up to date and the write planned again, once.
    async fn insert(
        &self,
        documents: &[Document],
        mut vectors: Vec<Option<DocumentVectors>>,
        worker: &Worker,
    ) -> Result<Vec<Ingested>> {
        let _writing = self.writing.lock().await;
        let mut retried = false;
        loop {
            let snapshot = self.catch_up().await?;
            match self
                .insert_planned(&snapshot, documents, &mut vectors, worker)
                .await
            {
                // Another process stored one of these ids or texts since the plan: read what it
                // did and plan again (the same text is then "already stored", another text
                // under the id a 409).
                Err(Error::StoredMeanwhile | Error::IdTaken(_)) if !retried => retried = true,
                result => return result,
            }
        }
    }

    /// [`Corpus::insert`] against `snapshot`; the vectors it stores are put back in `vectors`
    /// if the store refuses them.
    async fn insert_planned(
        &self,
        snapshot: &Arc<Snapshot>,
        documents: &[Document],
        vectors: &mut [Option<DocumentVectors>],
        worker: &Worker,
    ) -> Result<Vec<Ingested>> {
        let plan = plan(snapshot, documents)?;
        let mut fresh: Vec<(usize, DocumentVectors)> = Vec::new();
        let mut missing: Vec<usize> = Vec::new();
        for (i, disposition) in plan.iter().enumerate() {
            if let Disposition::New = disposition {
                match vectors.get_mut(i).and_then(Option::take) {
                    Some(v) => fresh.push((i, v)),
                    None => missing.push(i),
                }
            }
        }
        if !missing.is_empty() {
            let docs: Vec<&Document> = missing.iter().map(|&i| &documents[i]).collect();
            let embedded = embed_documents(worker, &docs, Priority::Bulk).await?;
            fresh.extend(missing.into_iter().zip(embedded));
            fresh.sort_by_key(|(i, _)| *i);
        }
        if !fresh.is_empty() {
            let rows: Vec<NewDocument> = fresh
                .iter()
                .map(|(i, v)| NewDocument {
                    document: &documents[*i],
                    vectors: v,
                })
                .collect();
            let written = match self.store.insert(&rows, &self.model).await {
                Ok(generation) => generation,
                Err(e) => {
                    for (i, v) in fresh {
                        vectors[i] = Some(v);
                    }
                    return Err(e);
                }
            };
            let expected = snapshot.generation + fresh.len() as u64;
            let added = fresh
                .into_iter()
                .map(|(i, v)| (documents[i].clone(), v))
                .collect();
            self.publish_write(snapshot.clone(), Some(written), expected, move |index| {
                index.with_documents(added)
            })
            .await?;
        }
        Ok(plan
            .iter()
            .enumerate()
            .map(|(i, disposition)| {
                let (doc, created) = match *disposition {
                    Disposition::New => (&documents[i], true),
                    Disposition::Stored(p) => (&*snapshot.index.documents[p], false),
                    Disposition::Earlier(j) => (&documents[j], false),
                };
                Ingested {
                    id: doc.id.clone(),
                    paragraphs: doc.paragraphs.len(),
                    created,
                }
            })
            .collect())
    }

    /// Embeds the documents that are new to the corpus and stores them: what `POST
    /// /v1/documents` and seeding the store on first start do.
    pub async fn ingest(
        self: &Arc<Self>,
        worker: &Worker,
        documents: Vec<Document>,
    ) -> Result<Vec<Ingested>> {
        let new = self.to_embed(&documents).await?;
        let to_embed: Vec<&Document> = new.iter().map(|&i| &documents[i]).collect();
        let embedded = embed_documents(worker, &to_embed, Priority::Bulk).await?;
        let mut vectors = vec![None; documents.len()];
        for (i, v) in new.into_iter().zip(embedded) {
            vectors[i] = Some(v);
        }
        let (corpus, worker) = (self.clone(), worker.clone());
        to_the_end(async move { corpus.insert(&documents, vectors, &worker).await }).await
    }

    /// Deletes a document from the store and the index.
    pub async fn delete(self: &Arc<Self>, id: String) -> Result<()> {
        let corpus = self.clone();
        to_the_end(async move {
            let _writing = corpus.writing.lock().await;
            let snapshot = corpus.catch_up().await?;
            let position = snapshot.position(&id)?;
            // `None`: another process deleted this very document meanwhile.
            let written = corpus.store.delete(&id).await?;
            let expected = snapshot.generation + 1;
            corpus
                .publish_write(snapshot, written, expected, move |index| {
                    index.without_document(position)
                })
                .await
        })
        .await
    }

    /// Publishes the index after this process's own write, committed as `written`: derived
    /// from `from` by `derive` when nothing else was committed in between (`written` is
    /// `expected`, or the store is not shared), else read from the store with the others'
    /// writes (`catch_up`). Where that read fails, derived anyway at `from`'s generation: the next
    /// catch-up applies the others' writes and finds this one there (`apply` is idempotent).
    async fn publish_write(
        &self,
        from: Arc<Snapshot>,
        written: Option<u64>,
        expected: u64,
        derive: impl FnOnce(&Index) -> Index + Send + 'static,
    ) -> Result<()> {
        let ours_only = !self.store.is_shared() || written == Some(expected);
        if !ours_only && self.catch_up().await.is_ok() {
            return Ok(());
        }
        let generation = match written {
            Some(written) if ours_only => written,
            _ => from.generation,
        };
        let index = blocking(move || Ok(derive(&from.index))).await?;
        self.publish(index, generation);
        Ok(())
    }

    fn publish(&self, index: Index, generation: u64) -> Arc<Snapshot> {
        metrics::gauge!(DOCUMENTS).set(index.documents.len() as f64);
        let snapshot = Arc::new(Snapshot::new(index, generation));
        *self
            .snapshot
            .write()
            .unwrap_or_else(PoisonError::into_inner) = snapshot.clone();
        snapshot
    }
}

/// `index` with `changes` applied: each touched id's document as stored now replaces the one
/// held (or is added, or, deleted, is removed); a document held in the same form stays as it is.
fn apply(index: &Index, changes: Changes) -> Index {
    let mut next: Option<Index> = None;
    let mut added = Vec::new();
    for (id, stored) in changes.documents {
        let current = next.as_ref().unwrap_or(index);
        if let Some(p) = current.documents.iter().position(|d| d.id == id) {
            let same = stored
                .as_ref()
                .is_some_and(|s| s.document.content_hash == current.documents[p].content_hash);
            if same {
                continue;
            }
            next = Some(current.without_document(p));
        }
        match stored {
            Some(StoredDocument {
                document,
                vectors: Some(vectors),
            }) => added.push((document, vectors)),
            Some(_) => tracing::warn!(
                "document `{id}` was stored by another process without vectors of this model; \
                 it is left out until this service restarts"
            ),
            None => {}
        }
    }
    match next {
        Some(next) if added.is_empty() => next,
        Some(next) => next.with_documents(added),
        // Nothing added gives the same index again (documents' data shared; the lists of
        // sentences and the counts copied).
        None => index.with_documents(added),
    }
}

/// Runs a write in a task of its own and waits for it: dropping the wait (a request that timed
/// out, a client gone) does not stop the write between its commit and its publish.
async fn to_the_end<T: Send + 'static>(
    write: impl Future<Output = Result<T>> + Send + 'static,
) -> Result<T> {
    tokio::spawn(write)
        .await
        .map_err(|e| Error::TaskFailed(e.to_string()))?
}

/// Decides what to do with each posted document, given the corpus as it is.
fn plan(snapshot: &Snapshot, documents: &[Document]) -> Result<Vec<Disposition>> {
    let mut earlier_hashes: HashMap<&str, usize> = HashMap::new();
    let mut earlier_ids: HashMap<&str, usize> = HashMap::new();
    let mut plan = Vec::with_capacity(documents.len());
    for (i, doc) in documents.iter().enumerate() {
        let disposition = if let Some(&p) = snapshot.hashes.get(&doc.content_hash) {
            Disposition::Stored(p)
        } else if let Some(&j) = earlier_hashes.get(doc.content_hash.as_str()) {
            Disposition::Earlier(j)
        } else if snapshot.positions.contains_key(&doc.id)
            || earlier_ids.contains_key(doc.id.as_str())
        {
            return Err(Error::IdTaken(doc.id.clone()));
        } else {
            earlier_hashes.insert(&doc.content_hash, i);
            earlier_ids.insert(&doc.id, i);
            Disposition::New
        };
        plan.push(disposition);
    }
    Ok(plan)
}

/// The texts to embed for documents, owned, for the worker ([`doc_vectors::texts_of`]).
fn document_texts(documents: &[&Document]) -> Vec<String> {
    doc_vectors::texts_of(documents)
        .into_iter()
        .map(str::to_string)
        .collect()
}

/// Embeds documents with the worker, waiting asynchronously.
pub async fn embed_documents(
    worker: &Worker,
    documents: &[&Document],
    priority: Priority,
) -> Result<Vec<DocumentVectors>> {
    let vectors = worker.embed(document_texts(documents), priority).await?;
    Ok(doc_vectors::split(documents, vectors))
}
