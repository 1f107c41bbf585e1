//! The live corpus: what a request reads, and the writes that change it.
//!
//! Two ways to hold it, one interface for the routes:
//! - **In memory** (SQLite store): the whole index is kept. Readers take a [`Snapshot`] (an
//!   `Arc` copied under a lock held for that copy only) and use it for the whole request, so an
//!   answer and the paragraphs it cites come from one state of the corpus, whatever is ingested
//!   or deleted meanwhile. Writers are serialized by a lock: a write commits one transaction to
//!   the store, then derives the next index from the previous snapshot's with only the written
//!   documents' work ([`Index::with_documents`], [`Index::without_document`]) and publishes it.
//! - **Shared** (PostgreSQL store, several replicas): nothing is kept. Each request reads a view
//!   of the documents it needs, found by SQL, with the whole corpus's term statistics, in one
//!   snapshot of the database ([`PostgresStore::view`]); the same scoring code then runs over it.
//!   A write is one transaction; what another replica committed is seen by the next request.
//!
//! Writes run in a task of their own, which runs to its end even when the request that started
//! it times out or disconnects, so the store and the index never fall out of step.
//!
//! Documents are recognised by content hash: the same text again is not stored twice, and the
//! existing id is returned. An id already used by a different text is refused (409); the client
//! deletes the old document first or lets the id be derived from the text.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::{Arc, PoisonError, RwLock};

use serde::Serialize;
use utoipa::ToSchema;

use crate::doc_vectors::{self, DocumentVectors};
use crate::document::Document;
use crate::error::{Error, Result};
use crate::index::{CandidateLimits, Index};
use crate::store::postgres::{Known, Listed, Need};
use crate::store::{AnyStore, ModelId, NewDocument, PostgresStore, Store};
use crate::task::blocking;
use crate::text::content_terms;
use crate::verify::SUGGESTION_CANDIDATES;
use crate::worker::{Priority, Worker};

/// Documents in the store (gauge).
pub const DOCUMENTS: &str = "footnote_documents_stored";

/// On a shared store, the most documents one summary of "every document" reads: past it the
/// client names the documents (422), since the corpus is not held in memory.
pub const MAX_WHOLE_CORPUS_DOCUMENTS: usize = 200;

/// One consistent state of the corpus, or of the part of it a request reads.
pub struct Snapshot {
    pub index: Index,
    positions: HashMap<String, usize>,
    hashes: HashMap<String, usize>,
}

impl Snapshot {
    fn new(index: Index) -> Self {
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

/// A page of the stored documents ([`Corpus::list`]) and how many match in all.
pub struct Listing {
    pub documents: Vec<Listed>,
    pub total: usize,
}

/// What to do with one posted document.
enum Disposition {
    New,
    /// Same text as a stored document: its id and paragraph count.
    Stored(String, usize),
    /// Same text as an earlier document of the same request.
    Earlier(usize),
}

/// What a write plan needs to know of the stored documents.
trait Stored {
    /// The id and paragraph count of the stored document with this text.
    fn with_hash(&self, hash: &str) -> Option<(String, usize)>;
    fn has_id(&self, id: &str) -> bool;
}

impl Stored for Snapshot {
    fn with_hash(&self, hash: &str) -> Option<(String, usize)> {
        let doc = &self.index.documents[*self.hashes.get(hash)?];
        Some((doc.id.clone(), doc.paragraphs.len()))
    }
    fn has_id(&self, id: &str) -> bool {
        self.positions.contains_key(id)
    }
}

impl Stored for Vec<Known> {
    fn with_hash(&self, hash: &str) -> Option<(String, usize)> {
        let known = self.iter().find(|k| k.content_hash == hash)?;
        Some((known.id.clone(), known.paragraphs))
    }
    fn has_id(&self, id: &str) -> bool {
        self.iter().any(|k| k.id == id)
    }
}

/// The corpus held in memory over a store only this process writes.
struct Memory {
    store: AnyStore,
    /// Held by a write from its plan to its publish.
    writing: tokio::sync::Mutex<()>,
    snapshot: RwLock<Arc<Snapshot>>,
}

/// A corpus in a database several replicas share, read per request.
struct Shared {
    store: PostgresStore,
    /// `K` of the retrieval queries (`--candidates`).
    candidates: usize,
    /// `hnsw.ef_search` (`--ef-search`; 0: the store's default for `candidates`).
    ef_search: usize,
}

enum Backing {
    Memory(Memory),
    Shared(Shared),
}

pub struct Corpus {
    backing: Backing,
    model: ModelId,
}

impl Corpus {
    /// The corpus held in memory: `documents` loaded from `store` with their vectors, made by
    /// `model`.
    pub fn in_memory(
        store: AnyStore,
        documents: Vec<Document>,
        vectors: Vec<DocumentVectors>,
        model: ModelId,
    ) -> Self {
        let index = Index::from_vectors(documents, vectors, model.dim);
        metrics::gauge!(DOCUMENTS).set(index.documents.len() as f64);
        Corpus {
            backing: Backing::Memory(Memory {
                store,
                writing: tokio::sync::Mutex::new(()),
                snapshot: RwLock::new(Arc::new(Snapshot::new(index))),
            }),
            model,
        }
    }

    /// The corpus in a shared database, whose vectors `model` made; each question reads the
    /// documents of its `candidates` best sentences by vector and by text search and of its
    /// `candidates / 2` best paragraphs, searching vectors with `ef_search` (0: the store's
    /// default).
    pub fn shared(
        store: PostgresStore,
        model: ModelId,
        candidates: usize,
        ef_search: usize,
    ) -> Self {
        Corpus {
            backing: Backing::Shared(Shared {
                store,
                candidates,
                ef_search,
            }),
            model,
        }
    }

    /// What answering `question` (embedded as `vector`) reads: the documents it names, or those
    /// retrieval finds.
    pub async fn for_question(
        &self,
        question: &str,
        vector: &[f32],
        documents: Option<&[String]>,
    ) -> Result<Arc<Snapshot>> {
        let shared = match &self.backing {
            Backing::Memory(memory) => return Ok(memory.snapshot()),
            Backing::Shared(shared) => shared,
        };
        let terms = content_terms(question);
        let near = [vector.to_vec()];
        let need = match documents {
            Some(ids) => Need {
                ids,
                terms: &terms,
                ..Need::default()
            },
            None => Need {
                ef_search: shared.ef_search,
                ..Need::question(&terms, &near, shared.candidates)
            },
        };
        self.view(shared, &need).await
    }

    /// What verifying a text reads: the documents it cites and those it is limited to, and,
    /// unless it is limited, the documents of the paragraphs nearest each claim (`claims`, the
    /// claims' vectors; none yet before they are embedded).
    pub async fn for_claims(
        &self,
        documents: &[String],
        claims: &[Vec<f32>],
        limited: bool,
        text: &str,
    ) -> Result<Arc<Snapshot>> {
        let shared = match &self.backing {
            Backing::Memory(memory) => return Ok(memory.snapshot()),
            Backing::Shared(shared) => shared,
        };
        let terms = content_terms(text);
        let near = if limited { &[][..] } else { claims };
        let need = Need {
            ids: documents,
            near,
            limits: CandidateLimits {
                paragraphs: SUGGESTION_CANDIDATES,
                ..CandidateLimits::default()
            },
            terms: &terms,
            whole_up_to: shared.candidates,
            ef_search: shared.ef_search,
            ..Need::default()
        };
        self.view(shared, &need).await
    }

    /// The documents named (every document for `None`): what a summary reads.
    pub async fn of_documents(&self, ids: Option<&[String]>) -> Result<Arc<Snapshot>> {
        let shared = match &self.backing {
            Backing::Memory(memory) => return Ok(memory.snapshot()),
            Backing::Shared(shared) => shared,
        };
        let all;
        let ids = match ids {
            Some(ids) => ids,
            None => {
                let (listed, total) = shared
                    .store
                    .list(None, 0, MAX_WHOLE_CORPUS_DOCUMENTS)
                    .await?;
                if total > MAX_WHOLE_CORPUS_DOCUMENTS {
                    return Err(Error::InvalidInput(format!(
                        "the store holds {total} documents; a summary of every document reads at \
                         most {MAX_WHOLE_CORPUS_DOCUMENTS} on a shared store: name the documents"
                    )));
                }
                all = listed.into_iter().map(|d| d.id).collect::<Vec<_>>();
                &all
            }
        };
        let need = Need {
            ids,
            ..Need::default()
        };
        self.view(shared, &need).await
    }

    async fn view(&self, shared: &Shared, need: &Need<'_>) -> Result<Arc<Snapshot>> {
        let dim = self.model.dim;
        let view = shared.store.view(need, dim).await?;
        blocking(move || Ok(Arc::new(Snapshot::new(view.into_index(dim))))).await
    }

    /// One stored document.
    pub async fn document(&self, id: &str) -> Result<Option<Arc<Document>>> {
        match &self.backing {
            Backing::Memory(memory) => {
                let snapshot = memory.snapshot();
                let position = snapshot.positions.get(id);
                Ok(position.map(|&p| snapshot.index.documents[p].clone()))
            }
            Backing::Shared(shared) => Ok(shared
                .store
                .document(id, self.model.dim)
                .await?
                .map(Arc::new)),
        }
    }

    /// The stored documents, in the order they were stored, whose id or title contains `needle`
    /// (any case): `limit` of them from `offset`.
    pub async fn list(&self, needle: Option<&str>, offset: usize, limit: usize) -> Result<Listing> {
        let needle = needle.map(str::to_lowercase);
        let (documents, total) = match &self.backing {
            Backing::Memory(memory) => {
                let snapshot = memory.snapshot();
                let matches = |d: &Document| match &needle {
                    None => true,
                    Some(needle) => {
                        d.id.to_lowercase().contains(needle)
                            || d.title
                                .as_deref()
                                .is_some_and(|t| t.to_lowercase().contains(needle))
                    }
                };
                let all: Vec<&Document> = snapshot
                    .index
                    .documents
                    .iter()
                    .map(|d| &**d)
                    .filter(|d| matches(d))
                    .collect();
                let page = all
                    .iter()
                    .skip(offset)
                    .take(limit)
                    .map(|d| Listed {
                        id: d.id.clone(),
                        title: d.title.clone(),
                        paragraphs: d.paragraphs.len(),
                    })
                    .collect();
                (page, all.len())
            }
            Backing::Shared(shared) => shared.store.list(needle.as_deref(), offset, limit).await?,
        };
        Ok(Listing { documents, total })
    }

    /// How many documents are stored.
    pub async fn count(&self) -> Result<usize> {
        match &self.backing {
            Backing::Memory(memory) => Ok(memory.snapshot().index.documents.len()),
            Backing::Shared(shared) => shared.store.count().await,
        }
    }

    /// Whether the initial corpus was ingested once already.
    pub async fn is_seeded(&self) -> Result<bool> {
        match &self.backing {
            Backing::Memory(memory) => memory.store.is_seeded().await,
            Backing::Shared(shared) => shared.store.is_seeded().await,
        }
    }

    pub async fn mark_seeded(&self) -> Result<()> {
        match &self.backing {
            Backing::Memory(memory) => memory.store.mark_seeded().await,
            Backing::Shared(shared) => shared.store.mark_seeded().await,
        }
    }

    /// Embeds the documents that are new to the corpus and stores them: what `POST
    /// /v1/documents` and seeding the store on first start do.
    pub async fn ingest(
        self: &Arc<Self>,
        worker: &Worker,
        documents: Vec<Document>,
    ) -> Result<Vec<Ingested>> {
        let plan = self.plan(&documents).await?;
        let new: Vec<usize> = (0..documents.len())
            .filter(|&i| matches!(plan[i], Disposition::New))
            .collect();
        let to_embed: Vec<&Document> = new.iter().map(|&i| &documents[i]).collect();
        let embedded = embed_documents(worker, &to_embed, Priority::Bulk).await?;
        let mut vectors = vec![None; documents.len()];
        for (i, v) in new.into_iter().zip(embedded) {
            vectors[i] = Some(v);
        }
        let (corpus, worker) = (self.clone(), worker.clone());
        to_the_end(async move { corpus.insert(&documents, vectors, &worker).await }).await
    }

    /// What to do with each posted document, given the corpus as it is now.
    async fn plan(&self, documents: &[Document]) -> Result<Vec<Disposition>> {
        match &self.backing {
            Backing::Memory(memory) => plan(&*memory.snapshot(), documents),
            Backing::Shared(shared) => {
                let hashes: Vec<&str> = documents.iter().map(|d| d.content_hash.as_str()).collect();
                let ids: Vec<&str> = documents.iter().map(|d| d.id.as_str()).collect();
                plan(&shared.store.known(&hashes, &ids).await?, documents)
            }
        }
    }

    /// Stores the new documents among `documents` in one transaction (and, in memory, publishes
    /// an index with them). `vectors[i]` holds the vectors of `documents[i]` if they were
    /// embedded; a document that became new since (its twin was deleted meanwhile) is embedded
    /// here. On a shared store, when another replica stored one of the ids or texts since the
    /// plan, the write is planned again, once: the same text is then "already stored", another
    /// text under the id a 409.
    async fn insert(
        &self,
        documents: &[Document],
        mut vectors: Vec<Option<DocumentVectors>>,
        worker: &Worker,
    ) -> Result<Vec<Ingested>> {
        let memory = match &self.backing {
            Backing::Memory(memory) => memory,
            Backing::Shared(shared) => {
                let mut retried = false;
                loop {
                    let plan = self.plan(documents).await?;
                    match store_new(
                        &shared.store,
                        &self.model,
                        &plan,
                        documents,
                        &mut vectors,
                        worker,
                    )
                    .await
                    {
                        Err(Error::StoredMeanwhile | Error::IdTaken(_)) if !retried => {
                            retried = true;
                        }
                        Err(e) => return Err(e),
                        Ok(_) => {
                            shared.count_documents().await;
                            return Ok(ingested(&plan, documents));
                        }
                    }
                }
            }
        };
        let _writing = memory.writing.lock().await;
        let snapshot = memory.snapshot();
        let plan = plan(&*snapshot, documents)?;
        let added = store_new(
            &memory.store,
            &self.model,
            &plan,
            documents,
            &mut vectors,
            worker,
        )
        .await?;
        if !added.is_empty() {
            let index = blocking(move || Ok(snapshot.index.with_documents(added))).await?;
            memory.publish(index);
        }
        Ok(ingested(&plan, documents))
    }

    /// Deletes a document from the store (and the index in memory).
    pub async fn delete(self: &Arc<Self>, id: String) -> Result<()> {
        let corpus = self.clone();
        to_the_end(async move {
            match &corpus.backing {
                Backing::Memory(memory) => {
                    let _writing = memory.writing.lock().await;
                    let snapshot = memory.snapshot();
                    let position = snapshot.position(&id)?;
                    memory.store.delete(&id).await?;
                    let index =
                        blocking(move || Ok(snapshot.index.without_document(position))).await?;
                    memory.publish(index);
                    Ok(())
                }
                Backing::Shared(shared) => match shared.store.delete(&id).await? {
                    true => {
                        shared.count_documents().await;
                        Ok(())
                    }
                    false => Err(Error::UnknownDocument(id)),
                },
            }
        })
        .await
    }
}

impl Shared {
    /// Sets the documents gauge after a write (to the count this replica saw last: others'
    /// writes move it too).
    async fn count_documents(&self) {
        if let Ok(n) = self.store.count().await {
            metrics::gauge!(DOCUMENTS).set(n as f64);
        }
    }
}

impl Memory {
    fn snapshot(&self) -> Arc<Snapshot> {
        self.snapshot
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn publish(&self, index: Index) {
        metrics::gauge!(DOCUMENTS).set(index.documents.len() as f64);
        *self
            .snapshot
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Arc::new(Snapshot::new(index));
    }
}

/// Stores the documents `plan` calls new, in one transaction, with their vectors (embedding
/// those not embedded yet); returns them with their vectors. The vectors are put back in
/// `vectors` if the store refuses the write.
async fn store_new(
    store: &impl Store,
    model: &ModelId,
    plan: &[Disposition],
    documents: &[Document],
    vectors: &mut [Option<DocumentVectors>],
    worker: &Worker,
) -> Result<Vec<(Document, DocumentVectors)>> {
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
    if fresh.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<NewDocument> = fresh
        .iter()
        .map(|(i, v)| NewDocument {
            document: &documents[*i],
            vectors: v,
        })
        .collect();
    if let Err(e) = store.insert(&rows, model).await {
        for (i, v) in fresh {
            vectors[i] = Some(v);
        }
        return Err(e);
    }
    Ok(fresh
        .into_iter()
        .map(|(i, v)| (documents[i].clone(), v))
        .collect())
}

/// What ingesting each posted document did, by its plan.
fn ingested(plan: &[Disposition], documents: &[Document]) -> Vec<Ingested> {
    plan.iter()
        .enumerate()
        .map(|(i, disposition)| match disposition {
            Disposition::New => Ingested {
                id: documents[i].id.clone(),
                paragraphs: documents[i].paragraphs.len(),
                created: true,
            },
            Disposition::Stored(id, paragraphs) => Ingested {
                id: id.clone(),
                paragraphs: *paragraphs,
                created: false,
            },
            Disposition::Earlier(j) => Ingested {
                id: documents[*j].id.clone(),
                paragraphs: documents[*j].paragraphs.len(),
                created: false,
            },
        })
        .collect()
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

/// Decides what to do with each posted document, given what is stored.
fn plan(stored: &impl Stored, documents: &[Document]) -> Result<Vec<Disposition>> {
    let mut earlier_hashes: HashMap<&str, usize> = HashMap::new();
    let mut earlier_ids: HashSet<&str> = HashSet::new();
    let mut plan = Vec::with_capacity(documents.len());
    for (i, doc) in documents.iter().enumerate() {
        let disposition = if let Some((id, paragraphs)) = stored.with_hash(&doc.content_hash) {
            Disposition::Stored(id, paragraphs)
        } else if let Some(&j) = earlier_hashes.get(doc.content_hash.as_str()) {
            Disposition::Earlier(j)
        } else if stored.has_id(&doc.id) || earlier_ids.contains(doc.id.as_str()) {
            return Err(Error::IdTaken(doc.id.clone()));
        } else {
            earlier_hashes.insert(&doc.content_hash, i);
            earlier_ids.insert(&doc.id);
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
