//! The PostgreSQL store (`--store postgres://...`): the same documents, numbered paragraphs,
//! sentences and vectors as the SQLite store, in a database several machines can reach, with
//! the vectors in pgvector columns.
//!
//! Tables come from versioned migrations ([`MIGRATIONS`]), applied at open inside one
//! transaction holding an advisory lock, so that replicas starting together apply each once and
//! a database at a newer version than this footnote knows is refused, not guessed at. Every
//! write is one transaction: a process killed mid-ingest leaves each document whole or absent.
//! Connections come from a pool; an unreachable database is [`Error::StoreUnavailable`], and the
//! pool connects again once it is back.
//!
//! Several replicas may share one database, and none keeps the corpus in memory: a request reads
//! a *view* ([`PostgresStore::view`]), the documents it needs, found by SQL (pgvector HNSW
//! indexes for the nearest sentences and paragraphs, a GIN-indexed `tsvector` of footnote's own
//! content terms for the keyword side), with the whole corpus's term statistics (`term_df`,
//! `corpus_stats`, kept by every write in its transaction), all read in one snapshot
//! transaction. See docs/postgres-design.md.

use std::time::Duration;

use deadpool_postgres::{
    GenericClient, Manager, ManagerConfig, Object, Pool, PoolError, RecyclingMethod, Runtime,
    Transaction,
};
use futures_util::future::try_join_all;
use pgvector::Vector;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::ToSql;
use tokio_postgres::{IsolationLevel, NoTls};

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use lru::LruCache;
use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};

use super::{DocumentRows, ModelId, NewDocument, Store, StoredDocument};
use crate::doc_vectors::DocumentVectors;
use crate::document::Document;
use crate::error::{Error, Result};
use crate::index::{CandidateLimits, Index, Indexed, KEYWORD_MAX_DF};
use crate::lexical::{token, Statistics};
use crate::task::blocking;
use crate::text::content_terms;

/// Migrations, in order: (version, what it does, SQL). Append only: a released one never changes.
const MIGRATIONS: &[(i32, &str, &str)] = &[
    (
        1,
        "documents, paragraphs and sentences with their vectors",
        "CREATE EXTENSION IF NOT EXISTS vector;
     CREATE TABLE footnote_meta (key text PRIMARY KEY, value text NOT NULL);
     CREATE TABLE documents (
         seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
         id text NOT NULL UNIQUE,
         title text,
         content_hash text NOT NULL UNIQUE,
         paragraph_count int NOT NULL,
         created_at timestamptz NOT NULL DEFAULT now());
     CREATE TABLE paragraphs (
         doc bigint NOT NULL REFERENCES documents (seq) ON DELETE CASCADE,
         number int NOT NULL,
         text text NOT NULL,
         is_content boolean NOT NULL,
         embedding vector,
         PRIMARY KEY (doc, number));
     CREATE TABLE sentences (
         doc bigint NOT NULL,
         paragraph int NOT NULL,
         position int NOT NULL,
         text text NOT NULL,
         embedding vector,
         PRIMARY KEY (doc, paragraph, position),
         FOREIGN KEY (doc, paragraph) REFERENCES paragraphs (doc, number) ON DELETE CASCADE);",
    ),
    (
        2,
        "the change log replicas follow",
        // One row per document stored or deleted, numbered in commit order (writers take
        // WRITE_LOCK first), so that a reader that saw generation g needs exactly the rows after g.
        "CREATE TABLE changes (
         generation bigint PRIMARY KEY,
         doc_id text NOT NULL,
         inserted boolean NOT NULL,
         at timestamptz NOT NULL DEFAULT now());",
    ),
    (
        3,
        "keyword search and corpus statistics; replicas read views instead of a change log",
        // `tsv`: a content sentence's content terms (footnote's, stemmed, with positions), NULL
        // for other sentences; `term_count`: its BM25 length. `term_df` and `corpus_stats` are
        // the corpus's BM25 and idf counts, updated by every write; existing rows are counted by
        // `backfill_terms` in the same transaction.
        "DROP TABLE changes;
     ALTER TABLE sentences ADD COLUMN tsv tsvector, ADD COLUMN term_count int;
     CREATE INDEX sentences_tsv ON sentences USING gin (tsv);
     CREATE TABLE term_df (
         term text PRIMARY KEY,
         token bigint NOT NULL,
         df int NOT NULL CHECK (df >= 0));
     CREATE INDEX term_df_token ON term_df (token);
     CREATE TABLE corpus_stats (
         one boolean PRIMARY KEY DEFAULT true CHECK (one),
         documents bigint NOT NULL,
         sentences bigint NOT NULL,
         terms bigint NOT NULL,
         generation bigint NOT NULL);
     INSERT INTO corpus_stats (documents, sentences, terms, generation) VALUES (0, 0, 0, 0);",
    ),
    (
        4,
        "content terms in a table of their own",
        // Text search ranks every sentence it matches, reading each one's `tsv`: beside a
        // sentence's text and 1.5 KB vector, each read was a page of its own; here ~60 fit a page.
        "CREATE TABLE sentence_terms (
         doc bigint NOT NULL,
         paragraph int NOT NULL,
         position int NOT NULL,
         tsv tsvector NOT NULL,
         PRIMARY KEY (doc, paragraph, position),
         FOREIGN KEY (doc, paragraph, position)
             REFERENCES sentences (doc, paragraph, position) ON DELETE CASCADE);
     INSERT INTO sentence_terms SELECT doc, paragraph, position, tsv FROM sentences
         WHERE tsv IS NOT NULL;
     ALTER TABLE sentences DROP COLUMN tsv;
     CREATE INDEX sentence_terms_tsv ON sentence_terms USING gin (tsv);",
    ),
];

/// The migration whose existing rows [`backfill_terms`] counts.
const TERMS_MIGRATION: i32 = 3;

/// Longest term the keyword index holds (PostgreSQL refuses longer lexemes): a longer "word" (a
/// pasted URL or code) is left out of the keyword index and of the term counts alike.
const MAX_TERM_BYTES: usize = 2046;
/// The keyword query ranks at most this many matching sentences per candidate it returns:
/// the question's terms, rarest first, are searched for while their counts fit.
const KEYWORD_ROWS_PER_CANDIDATE: usize = 20;
/// pgvector's highest `hnsw.ef_search`.
const MAX_EF_SEARCH: usize = 1000;
/// `hnsw.ef_search` unless `serve --ef-search` says otherwise: the lowest setting that found
/// 0.95 of the exact top 10 sentences at a million sentences with [`HNSW_BUILD`], chosen on
/// questions the reported figures do not use (BENCHMARKS.md, "Recall").
const DEFAULT_EF_SEARCH: usize = 600;
/// How the HNSW indexes are built: each vector linked to up to 32 others (`m`), found among 128
/// candidates (`ef_construction`); twice pgvector's defaults, whose graph at a million sentences
/// missed a tenth of the exact top 10 even at the highest `ef_search`.
const HNSW_BUILD: &str = "m = 32, ef_construction = 128";
/// Highest word position a `tsvector` holds.
const MAX_POSITION: usize = 16383;

/// The advisory lock every write transaction takes first ("fnotwrit"): writes commit one at a
/// time, so that the term counts' rows are never locked by two writes in different orders.
const WRITE_LOCK: i64 = 0x666e_6f74_7772_6974;

/// The advisory lock migrations run under ("fnotmigr").
const MIGRATION_LOCK: i64 = 0x666e_6f74_6d69_6772;
/// Connections kept open to the database at most.
const POOL_SIZE: usize = 16;
/// How long a call waits for a connection before the store counts as unavailable.
const POOL_WAIT: Duration = Duration::from_secs(2);
/// How long sent data may stay unacknowledged before the connection counts as lost.
const TCP_USER_TIMEOUT: Duration = Duration::from_secs(10);

/// A PostgreSQL database holding footnote's tables.
#[derive(Clone)]
pub struct PostgresStore {
    pool: Pool,
    cache: Arc<Mutex<ViewCache>>,
}

impl PostgresStore {
    /// Connects to `url` and brings its tables to this footnote's version.
    pub async fn open(url: &str) -> Result<Self> {
        let mut config: tokio_postgres::Config = url
            .parse()
            .map_err(|e| Error::InvalidInput(format!("store URL: {e}")))?;
        // A database host that stops answering (no reset) must not hold a connection for TCP's
        // own timeouts, which run to many minutes: the URL's settings win where it has them.
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(POOL_WAIT);
        }
        if config.get_tcp_user_timeout().is_none() {
            config.tcp_user_timeout(TCP_USER_TIMEOUT);
        }
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .wait_timeout(Some(POOL_WAIT))
            .create_timeout(Some(POOL_WAIT))
            .runtime(Runtime::Tokio1)
            .build()
            .map_err(|e| Error::Store(e.to_string()))?;
        let store = PostgresStore {
            pool,
            cache: Arc::default(),
        };
        store.migrate().await?;
        Ok(store)
    }

    async fn client(&self) -> Result<Object> {
        Ok(self.pool.get().await?)
    }

    /// Applies the migrations this database lacks, under the lock: one transaction for all, so
    /// a failed one leaves the database as it was.
    async fn migrate(&self) -> Result<()> {
        let mut client = self.client().await?;
        let tx = writing(&mut client).await?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .await?;
        let foreign = tx
            .query_one(
                "SELECT to_regclass('footnote_migrations') IS NULL
                        AND to_regclass('documents') IS NOT NULL",
                &[],
            )
            .await?
            .get::<_, bool>(0);
        if foreign {
            return Err(Error::StoreFormat(
                "this database has a `documents` table that footnote did not make; footnote has \
                 left it as it is: give footnote a database of its own"
                    .into(),
            ));
        }
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS footnote_migrations (
                 version int PRIMARY KEY,
                 name text NOT NULL,
                 applied_at timestamptz NOT NULL DEFAULT now())",
        )
        .await?;
        let current: i32 = tx
            .query_one(
                "SELECT coalesce(max(version), 0) FROM footnote_migrations",
                &[],
            )
            .await?
            .get(0);
        let known = MIGRATIONS.last().map_or(0, |m| m.0);
        if current > known {
            return Err(Error::StoreFormat(format!(
                "the database has schema version {current}; this footnote reads version {known}"
            )));
        }
        for (version, name, sql) in MIGRATIONS.iter().filter(|m| m.0 > current) {
            tx.batch_execute(sql).await.map_err(|e| {
                let error = Error::from(e);
                match error {
                    Error::Store(message) if message.contains("vector") => {
                        Error::StoreFormat(format!(
                            "{message}: pgvector must be installed on the database server, and \
                             `CREATE EXTENSION vector` run once by a superuser if footnote's \
                             user is not one"
                        ))
                    }
                    other => other,
                }
            })?;
            if *version == TERMS_MIGRATION {
                backfill_terms(&tx).await?;
            }
            tx.execute(
                "INSERT INTO footnote_migrations (version, name) VALUES ($1, $2)",
                &[version, name],
            )
            .await?;
            tracing::info!(version, name, "store migrated");
        }
        tx.commit().await?;
        Ok(())
    }

    async fn meta(&self, key: &str) -> Result<Option<String>> {
        let client = self.client().await?;
        let row = client
            .query_opt("SELECT value FROM footnote_meta WHERE key = $1", &[&key])
            .await?;
        Ok(row.map(|r| r.get(0)))
    }

    async fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        let client = self.client().await?;
        set_meta(&client, key, value).await
    }
}

/// What a request reads from a shared store ([`PostgresStore::view`]).
#[derive(Default)]
pub struct Need<'a> {
    /// Documents wanted by id (an id not stored is left out).
    pub ids: &'a [String],
    /// Vectors (a question's, claims') whose nearest sentences' and paragraphs' documents are
    /// wanted, `limits.sentences` and `limits.paragraphs` of them per vector.
    pub near: &'a [Vec<f32>],
    /// Content terms of a question: the documents of the `limits.keyword` sentences text search
    /// ranks best on its rarer terms are wanted (terms in at most [`KEYWORD_MAX_DF`] of the
    /// sentences, rarest first, while they match at most [`KEYWORD_ROWS_PER_CANDIDATE`] rows per
    /// sentence wanted).
    pub keywords: &'a [String],
    pub limits: CandidateLimits,
    /// Terms whose counts the reader needs besides those of the documents' own terms.
    pub terms: &'a [String],
    /// A corpus of at most this many content sentences is read whole instead of searched: every
    /// document is then a candidate, which is what an exact search would find too.
    pub whole_up_to: usize,
    /// pgvector's `hnsw.ef_search` for the vector searches (never below their limits, at most
    /// 1000); 0 for footnote's default, 600.
    pub ef_search: usize,
}

impl<'a> Need<'a> {
    /// What answering a question reads: the documents of its `candidates` nearest sentences,
    /// `candidates / 2` nearest paragraphs and `candidates` best sentences by text search
    /// (`terms`: its content terms, `near`: its vector), or the whole store when it holds at
    /// most `candidates` sentences.
    pub fn question(terms: &'a [String], near: &'a [Vec<f32>], candidates: usize) -> Self {
        Need {
            near,
            keywords: terms,
            limits: CandidateLimits::from_k(candidates),
            terms,
            whole_up_to: candidates,
            ..Need::default()
        }
    }
}

/// The documents a request reads, with the whole corpus's term counts for their terms.
pub struct View {
    pub documents: Vec<Arc<CachedDocument>>,
    pub statistics: Statistics,
}

impl View {
    /// The index the answering code reads: these documents, scored with the corpus's counts.
    pub fn into_index(self, dim: usize) -> Index {
        let documents = self.documents.iter().map(|d| d.indexed.clone()).collect();
        Index::assemble(documents, dim, self.statistics)
    }
}

/// A stored document as a listing shows it.
pub struct Listed {
    pub id: String,
    pub title: Option<String>,
    pub paragraphs: usize,
}

/// A stored document that a posted one matches, by text or by id.
pub struct Known {
    pub id: String,
    pub content_hash: String,
    pub paragraphs: usize,
}

impl PostgresStore {
    /// Builds the HNSW indexes for `dim`-wide vectors unless they exist (replicas starting
    /// together build them once: under the migration lock). On a large store this is the slow
    /// part of the first start; PostgreSQL's `maintenance_work_mem` decides how slow.
    ///
    /// The indexes hold the vectors in half precision (pgvector's `halfvec`, [`HNSW_BUILD`]): the
    /// denser graph in less space than pgvector's default one at full precision (1.3 vs 2.0 GB at a
    /// million sentences). They only choose candidates: answers are scored on the stored
    /// full-precision vectors. Indexes of full precision, which footnote built before, are
    /// dropped once these exist.
    pub async fn index_vectors(&self, dim: usize) -> Result<()> {
        let mut client = self.client().await?;
        let tx = writing(&mut client).await?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .await?;
        for table in ["sentences", "paragraphs"] {
            tx.batch_execute(&format!(
                "CREATE INDEX IF NOT EXISTS {table}_embedding_half_{dim} ON {table}
                 USING hnsw ((embedding::halfvec({dim})) halfvec_cosine_ops)
                 WITH ({HNSW_BUILD});
                 DROP INDEX IF EXISTS {table}_embedding_{dim};"
            ))
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// What a request needs: the documents wanted by id and those the searches find, each with
    /// its vectors (`dim` wide; a document without them is left out), in the order they were
    /// stored, and the corpus-wide counts of every term they hold and of `need.terms`, all read
    /// in one snapshot of the database (the searches run just before it). Documents and counts
    /// this replica read before come from its cache ([`ViewCache`]).
    pub async fn view(&self, need: &Need<'_>, dim: usize) -> Result<View> {
        let searching = !need.near.is_empty() || !need.keywords.is_empty();
        // The searches run before the snapshot is taken, each on a connection of its own, so
        // that they run at once and a request never holds one connection while it waits for
        // another. What they find is only a list of candidates: the snapshot decides which
        // of them still exist.
        let found = if searching {
            self.search(need, dim).await?
        } else {
            Vec::new()
        };
        let mut client = self.client().await?;
        let tx = reading(&mut client).await?;
        // BM25 scores the question's tokens; a token's count sums its terms' (terms colliding
        // on one 32-bit token, 4 pairs in 10,280 news terms, count twice in a sentence holding
        // both, where the in-memory index counts once).
        let tokens: Vec<i64> = need.terms.iter().map(|t| i64::from(token(t))).collect();
        let (totals, by_id, by_token) = tokio::try_join!(
            tx.prepare_cached("SELECT sentences, terms, generation FROM corpus_stats"),
            tx.prepare_cached("SELECT seq FROM documents WHERE id = ANY($1) OR seq = ANY($2)"),
            tx.prepare_cached(
                "SELECT token, sum(df)::bigint FROM term_df WHERE token = ANY($1) GROUP BY token",
            ),
        )?;
        // Independent reads, sent together: one round trip (tokio-postgres pipelines them).
        let (id_params, token_params): ([&(dyn ToSql + Sync); 2], [&(dyn ToSql + Sync); 1]) =
            ([&need.ids, &found], [&tokens]);
        let (totals, by_id, by_token) = tokio::try_join!(
            tx.query_one(&totals, &[]),
            tx.query(&by_id, &id_params),
            tx.query(&by_token, &token_params),
        )?;
        let (sentences, terms, generation): (i64, i64, i64) =
            (totals.get(0), totals.get(1), totals.get(2));
        let mut seqs: Vec<i64> = if searching && sentences <= need.whole_up_to as i64 {
            tx.query("SELECT seq FROM documents", &[]).await?
        } else {
            by_id
        }
        .iter()
        .map(|r| r.get(0))
        .collect();
        seqs.sort_unstable();
        seqs.dedup();
        let (mut documents, missing) = self.cache().documents(&seqs);
        let read = read_documents(&tx, Which::Seqs(&missing), dim).await?;
        // Tokenizing is most of the work of a document read; documents are independent.
        let read: Vec<Arc<CachedDocument>> = blocking(move || {
            Ok(read
                .into_par_iter()
                .filter_map(|(seq, stored)| {
                    let vectors = stored.vectors?;
                    Some(Arc::new(CachedDocument::new(
                        seq,
                        stored.document,
                        vectors,
                        dim,
                    )))
                })
                .collect())
        })
        .await?;
        documents.extend(read.iter().cloned());
        documents.sort_by_key(|d| d.seq);
        let (known, epoch, unknown) = self.cache().term_counts(generation, &documents, need.terms);
        let mut found = HashMap::new();
        if !unknown.is_empty() {
            let by_term = tx
                .prepare_cached("SELECT term, df FROM term_df WHERE term = ANY($1)")
                .await?;
            for row in tx.query(&by_term, &[&unknown]).await? {
                found.insert(row.get::<_, String>(0), count(row.get::<_, i32>(1)));
            }
        }
        let mut token_df = HashMap::new();
        for row in by_token {
            let token = u32::try_from(row.get::<_, i64>(0)).unwrap_or_default();
            token_df.insert(token, count(row.get::<_, i64>(1)));
        }
        end_reading(tx);
        let term_df = {
            let mut cache = self.cache();
            cache.keep_documents(read);
            let read = TermsRead {
                generation,
                epoch,
                known,
                unknown: &unknown,
                found: &found,
            };
            cache.keep_term_counts(read, &documents, need.terms)
        };
        let statistics = Statistics::from_counts(
            usize::try_from(sentences).unwrap_or_default(),
            u64::try_from(terms).unwrap_or_default(),
            token_df,
            term_df,
        );
        Ok(View {
            documents,
            statistics,
        })
    }

    /// Keeps at most `bytes` of documents between requests (the default is [`CACHE_BYTES`]): a
    /// question whose documents are all kept reads none of them from the database. Documents
    /// never change once stored, so a larger cache costs memory, never freshness.
    pub fn set_cache_bytes(&self, bytes: usize) {
        let mut cache = self.cache();
        cache.limit = bytes;
        cache.keep_documents(Vec::new());
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, ViewCache> {
        self.cache.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The stored documents holding one of these texts (content hashes) or ids.
    pub async fn known(&self, hashes: &[&str], ids: &[&str]) -> Result<Vec<Known>> {
        let client = self.client().await?;
        let rows = client
            .query(
                "SELECT id, content_hash, paragraph_count FROM documents
                 WHERE content_hash = ANY($1) OR id = ANY($2)",
                &[&hashes, &ids],
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(Known {
                    id: r.get(0),
                    content_hash: r.get(1),
                    paragraphs: number(r.get(2))?,
                })
            })
            .collect()
    }

    /// One document, with its vectors when they are `dim` wide.
    pub async fn document(&self, id: &str, dim: usize) -> Result<Option<Document>> {
        let mut client = self.client().await?;
        let tx = reading(&mut client).await?;
        let ids = [id.to_string()];
        let mut found = read_documents(&tx, Which::Ids(&ids), dim).await?;
        tx.commit().await?;
        Ok(found.pop().map(|(_, d)| d.document))
    }

    /// The documents, in the order they were stored, whose id or title contains `needle`
    /// (lower-case; all without one): `limit` of them from `offset`, and how many there are.
    pub async fn list(
        &self,
        needle: Option<&str>,
        offset: usize,
        limit: usize,
    ) -> Result<(Vec<Listed>, usize)> {
        let mut client = self.client().await?;
        let tx = reading(&mut client).await?;
        let matching = "$1::text IS NULL OR strpos(lower(id), $1) > 0
                        OR strpos(lower(coalesce(title, '')), $1) > 0";
        let offset = i64::try_from(offset).unwrap_or(i64::MAX);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = tx
            .query(
                &format!(
                    "SELECT id, title, paragraph_count FROM documents WHERE {matching}
                     ORDER BY seq OFFSET $2 LIMIT $3"
                ),
                &[&needle, &offset, &limit],
            )
            .await?;
        let total: i64 = tx
            .query_one(
                &format!("SELECT count(*) FROM documents WHERE {matching}"),
                &[&needle],
            )
            .await?
            .get(0);
        tx.commit().await?;
        let listed = rows
            .iter()
            .map(|r| {
                Ok(Listed {
                    id: r.get(0),
                    title: r.get(1),
                    paragraphs: number(r.get(2))?,
                })
            })
            .collect::<Result<_>>()?;
        Ok((listed, count(total) as usize))
    }

    /// How many documents are stored.
    pub async fn count(&self) -> Result<usize> {
        let client = self.client().await?;
        let row = client
            .query_one("SELECT documents FROM corpus_stats", &[])
            .await?;
        Ok(count(row.get::<_, i64>(0)) as usize)
    }
}

/// How many bytes of documents a replica keeps between requests, unless told
/// ([`PostgresStore::set_cache_bytes`]).
pub const CACHE_BYTES: usize = 256 << 20;
/// How many term counts a replica keeps between writes at most.
const CACHE_TERMS: usize = 1 << 20;

/// A document as a view holds it: with its `seq`, indexed (tokenized once, when it is read), and
/// the distinct terms whose counts a view of it needs.
pub struct CachedDocument {
    seq: i64,
    indexed: Indexed,
    terms: Vec<String>,
    bytes: usize,
    /// The [`ViewCache::epoch`] at which all of `terms` were last found in the cache's counts
    /// (a view of this document then looks none of them up).
    known: AtomicU64,
}

impl CachedDocument {
    /// `vectors`: the document's, `dim` wide.
    fn new(seq: i64, document: Document, vectors: DocumentVectors, dim: usize) -> Self {
        let vector_bytes: usize = vectors
            .sentences
            .iter()
            .chain(&vectors.passages)
            .map(|r| 4 * r.len())
            .sum();
        let text: usize = document.paragraphs.iter().map(|p| 2 * p.text.len()).sum();
        let indexed = Indexed::new(document, vectors, dim);
        let mut terms: Vec<String> = indexed
            .terms()
            .filter(|t| t.len() <= MAX_TERM_BYTES)
            .cloned()
            .collect();
        terms.sort_unstable();
        terms.dedup();
        let bytes = vector_bytes + text + terms.iter().map(|t| t.len() + 24).sum::<usize>();
        CachedDocument {
            seq,
            indexed,
            terms,
            bytes,
            known: AtomicU64::new(0),
        }
    }

    pub fn document(&self) -> &Document {
        self.indexed.document()
    }
}

/// What a replica keeps between requests, all of it safe to keep. A stored document never
/// changes (a write gives a new `seq`; a deleted one is simply never found again), so documents
/// are kept by `seq` until `limit` bytes are reached, least recently used out first. Term
/// counts change with every write, so they are kept only while `corpus_stats.generation` stays
/// where it was when they were read.
struct ViewCache {
    documents: Option<LruCache<i64, Arc<CachedDocument>>>,
    bytes: usize,
    limit: usize,
    generation: i64,
    /// The counts read at `generation`, shared with the views that read them: a view's
    /// statistics are this map (no copy per request), which holds more terms than it needs.
    term_df: Arc<FxHashMap<String, u32>>,
    /// Changes whenever `term_df` starts afresh (another generation, or full); within an epoch
    /// `term_df` only grows, so a document found whole in it once stays so ([`CachedDocument`]).
    epoch: u64,
}

/// Term counts a view read ([`ViewCache::keep_term_counts`]): at `generation`, in cache epoch
/// `epoch`, `known` as the cache held them and `found` among the `unknown` ones.
struct TermsRead<'a> {
    generation: i64,
    epoch: u64,
    known: Arc<FxHashMap<String, u32>>,
    unknown: &'a [String],
    found: &'a HashMap<String, u32>,
}

impl Default for ViewCache {
    fn default() -> Self {
        ViewCache {
            documents: None,
            bytes: 0,
            limit: CACHE_BYTES,
            generation: 0,
            term_df: Arc::default(),
            epoch: 1,
        }
    }
}

impl ViewCache {
    fn lru(&mut self) -> &mut LruCache<i64, Arc<CachedDocument>> {
        self.documents.get_or_insert_with(LruCache::unbounded)
    }

    /// The documents held among `seqs`, and the `seqs` not held.
    fn documents(&mut self, seqs: &[i64]) -> (Vec<Arc<CachedDocument>>, Vec<i64>) {
        let lru = self.lru();
        let mut held = Vec::new();
        let mut missing = Vec::new();
        for seq in seqs {
            match lru.get(seq) {
                Some(d) => held.push(d.clone()),
                None => missing.push(*seq),
            }
        }
        (held, missing)
    }

    fn keep_documents(&mut self, read: Vec<Arc<CachedDocument>>) {
        for d in read {
            self.bytes += d.bytes;
            if let Some((_, old)) = self.lru().push(d.seq, d) {
                self.bytes -= old.bytes;
            }
        }
        while self.bytes > self.limit {
            match self.lru().pop_lru() {
                Some((_, old)) => self.bytes -= old.bytes,
                None => break,
            }
        }
    }

    /// Starts the counts afresh.
    fn forget_term_counts(&mut self) {
        self.term_df = Arc::default();
        self.epoch += 1;
    }

    /// The counts held at `generation`, the epoch they belong to, and those of the terms of
    /// `documents` and `extra` not held.
    fn term_counts(
        &mut self,
        generation: i64,
        documents: &[Arc<CachedDocument>],
        extra: &[String],
    ) -> (Arc<FxHashMap<String, u32>>, u64, Vec<String>) {
        if generation != self.generation {
            self.forget_term_counts();
            self.generation = generation;
        }
        // Fx, not SipHash: on a cold view every term of every document goes through this set
        // (tens of thousands at a million sentences). Flooding it with colliding terms would
        // take stored documents written for that, and writing needs the API key when one is
        // set; a question adds only its own few terms.
        let unknown: FxHashSet<&str> = documents
            .iter()
            .filter(|d| d.known.load(Ordering::Relaxed) != self.epoch)
            .flat_map(|d| d.terms.iter())
            .chain(extra)
            .filter(|t| !self.term_df.contains_key(*t))
            .map(String::as_str)
            .collect();
        let unknown = unknown.into_iter().map(String::from).collect();
        (self.term_df.clone(), self.epoch, unknown)
    }

    /// Keeps the counts a view read (a term not found counts 0) and returns the view's: the
    /// cache's own when they are still of the view's generation and epoch, else the view's
    /// terms' counts on their own.
    fn keep_term_counts(
        &mut self,
        read: TermsRead<'_>,
        documents: &[Arc<CachedDocument>],
        extra: &[String],
    ) -> Arc<FxHashMap<String, u32>> {
        let found = |term: &str| read.found.get(term).copied().unwrap_or(0);
        let current = read.generation == self.generation && read.epoch == self.epoch;
        if current && self.term_df.len() + read.unknown.len() > CACHE_TERMS {
            self.forget_term_counts();
        } else if current {
            if !read.unknown.is_empty() {
                // Copies the map only while another view still holds it.
                let held = Arc::make_mut(&mut self.term_df);
                for term in read.unknown {
                    held.insert(term.clone(), found(term));
                }
            }
            for d in documents {
                d.known.store(self.epoch, Ordering::Relaxed);
            }
            return self.term_df.clone();
        }
        let terms = documents.iter().flat_map(|d| d.terms.iter()).chain(extra);
        let counts = terms
            .map(|t| {
                let df = read.known.get(t).copied().unwrap_or_else(|| found(t));
                (t.clone(), df)
            })
            .collect();
        Arc::new(counts)
    }
}

/// The documents (`seq`) of the rows the need's searches find: nearest sentences and paragraphs
/// by pgvector's HNSW indexes, best sentences by text search.
impl PostgresStore {
    /// The `seq`s of the documents holding what `need` searches for: its nearest sentences and
    /// paragraphs by vector (pgvector's HNSW indexes) and its best sentences by text rank,
    /// the three searches at once, each on a connection of its own.
    async fn search(&self, need: &Need<'_>, dim: usize) -> Result<Vec<i64>> {
        let limits = need.limits;
        // HNSW returns at most `ef_search` rows: at least the limit, with room for recall.
        let limit = limits.sentences.max(limits.paragraphs);
        let ef_search = match need.ef_search {
            0 => DEFAULT_EF_SEARCH,
            set => set,
        }
        .max(limit)
        .min(MAX_EF_SEARCH);
        let (mut seqs, by_paragraph, by_text) = tokio::try_join!(
            self.nearest("sentences", need.near, limits.sentences, ef_search, dim),
            self.nearest("paragraphs", need.near, limits.paragraphs, ef_search, dim),
            self.by_text(need.keywords, limits.keyword),
        )?;
        seqs.extend(by_paragraph);
        seqs.extend(by_text);
        Ok(seqs)
    }

    /// The documents of the `limit` rows of `table` nearest to each of `near`.
    async fn nearest(
        &self,
        table: &str,
        near: &[Vec<f32>],
        limit: usize,
        ef_search: usize,
        dim: usize,
    ) -> Result<Vec<i64>> {
        if limit == 0 || near.is_empty() {
            return Ok(Vec::new());
        }
        // Each search is one statement, a snapshot of its own: no transaction (two round trips
        // less). The setting is the session's, set again by every search on the connection.
        let client = self.client().await?;
        let statement = client
            .prepare_cached(&format!(
                "SELECT doc FROM {table} WHERE embedding IS NOT NULL
                 ORDER BY {} LIMIT {limit}",
                nearest_first(dim)
            ))
            .await?;
        let vectors: Vec<Vector> = near.iter().map(|v| vector(v)).collect();
        let params: Vec<[&(dyn ToSql + Sync); 1]> = vectors.iter().map(|v| [v as _]).collect();
        let searches = params.iter().map(|p| client.query(&statement, p));
        let setting = format!("SET hnsw.ef_search = {ef_search}");
        // Sent together, in order (tokio-postgres pipelines them): one round trip.
        let (_, found) = tokio::try_join!(client.batch_execute(&setting), try_join_all(searches))?;
        Ok(found.iter().flatten().map(|r| r.get::<_, i64>(0)).collect())
    }

    /// The documents of the `limit` sentences ranked best by text search for `keywords`.
    async fn by_text(&self, keywords: &[String], limit: usize) -> Result<Vec<i64>> {
        if limit == 0 || keywords.is_empty() {
            return Ok(Vec::new());
        }
        // Two statements, each a snapshot of its own (no transaction: the first only chooses
        // which terms the second searches for).
        let client = self.client().await?;
        // The terms in at most KEYWORD_MAX_DF of the sentences, the count read in the same query.
        let counted = client
            .prepare_cached(
                "SELECT term, df FROM term_df, corpus_stats
                 WHERE term = ANY($1) AND df <= floor($2::float8 * corpus_stats.sentences)",
            )
            .await?;
        let mut counted: Vec<(i32, String)> = client
            .query(&counted, &[&keywords, &KEYWORD_MAX_DF])
            .await?
            .iter()
            .map(|r| (r.get(1), r.get(0)))
            .collect();
        // Rarest first, while the sentences they match stay within the budget (the rarest
        // always): BM25's best sentences are those holding the rare terms, and every matched
        // row is ranked, so common terms would cost most and change least.
        counted.sort_unstable();
        counted.dedup();
        let budget = (KEYWORD_ROWS_PER_CANDIDATE * limit) as i64;
        let mut matched = 0i64;
        let rare: Vec<String> = counted
            .into_iter()
            .take_while(|(df, _)| {
                matched += i64::from(*df);
                matched <= budget || matched == i64::from(*df)
            })
            .map(|(_, term)| quoted(&term))
            .collect();
        let mut seqs = Vec::new();
        if !rare.is_empty() {
            // `ts_rank` (term frequency over 1 + log length), not `ts_rank_cd`: it only picks
            // which documents the index then scores with BM25, and cover density cost 2.5x as
            // much per matched row for the same answers (BENCHMARKS.md, the store at scale).
            let by_text = client
                .prepare_cached(&format!(
                    "SELECT doc FROM sentence_terms WHERE tsv @@ $1::text::tsquery
                     ORDER BY ts_rank(tsv, $1::text::tsquery, 1) DESC LIMIT {limit}"
                ))
                .await?;
            let rows = client.query(&by_text, &[&rare.join(" | ")]).await?;
            seqs.extend(rows.iter().map(|r| r.get::<_, i64>(0)));
        }
        Ok(seqs)
    }
}

/// The order of the vector searches, nearest to `$1` first: cosine distance over the expression
/// the HNSW indexes hold ([`PostgresStore::index_vectors`]), so that they serve it.
pub fn nearest_first(dim: usize) -> String {
    format!("embedding::halfvec({dim}) <=> $1::vector({dim})::halfvec({dim})")
}

/// A count read from the database (never negative there).
fn count(n: impl TryInto<u32>) -> u32 {
    n.try_into().unwrap_or_default()
}

impl Store for PostgresStore {
    async fn model(&self) -> Result<Option<ModelId>> {
        Ok(ModelId::from_records(
            self.meta("model_name").await?,
            self.meta("model_fingerprint").await?,
            self.meta("model_dim").await?,
        ))
    }

    async fn set_model(&self, model: &ModelId) -> Result<()> {
        let mut client = self.client().await?;
        let tx = writing(&mut client).await?;
        write_model(&tx, model).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn is_seeded(&self) -> Result<bool> {
        Ok(self.meta("seeded").await?.is_some())
    }

    async fn mark_seeded(&self) -> Result<()> {
        self.set_meta("seeded", "1").await
    }

    async fn load(&self, dim: usize) -> Result<Vec<StoredDocument>> {
        let mut client = self.client().await?;
        let tx = reading(&mut client).await?;
        let documents = read_documents(&tx, Which::All, dim).await?;
        let documents = documents.into_iter().map(|(_, d)| d).collect();
        tx.commit().await?;
        Ok(documents)
    }

    async fn insert(&self, documents: &[NewDocument<'_>], model: &ModelId) -> Result<()> {
        let mut client = self.client().await?;
        let tx = writing(&mut client).await?;
        lock_for_writing(&tx).await?;
        write_model(&tx, model).await?;
        let insert_document = tx
            .prepare(
                "INSERT INTO documents (id, title, content_hash, paragraph_count)
                 VALUES ($1, $2, $3, $4) RETURNING seq",
            )
            .await?;
        // Paragraphs and sentences go in as columns, one statement per table for the request.
        let mut paragraphs = ParagraphColumns::default();
        let mut sentences = SentenceColumns::default();
        let mut counts = TermCounts::default();
        for new in documents {
            let doc = new.document;
            let paragraph_count = column(doc.paragraphs.len())?;
            let seq: i64 = tx
                .query_one(
                    &insert_document,
                    &[&doc.id, &doc.title, &doc.content_hash, &paragraph_count],
                )
                .await
                .map_err(|e| taken(e, &doc.id))?
                .get(0);
            for row in new.rows() {
                let para = row.paragraph;
                let number = column(para.number)?;
                paragraphs.doc.push(seq);
                paragraphs.number.push(number);
                paragraphs.text.push(&para.text);
                paragraphs.is_content.push(para.is_content);
                paragraphs.embedding.push(row.embedding.map(vector));
                for (position, (text, embedding)) in row.sentences.into_iter().enumerate() {
                    let (tsv, term_count) = if para.is_content {
                        let terms = content_terms(text);
                        (Some(counts.sentence(&terms)), Some(column(terms.len())?))
                    } else {
                        (None, None)
                    };
                    sentences.doc.push(seq);
                    sentences.paragraph.push(number);
                    sentences.position.push(column(position)?);
                    sentences.text.push(text);
                    sentences.embedding.push(embedding.map(vector));
                    sentences.tsv.push(tsv);
                    sentences.term_count.push(term_count);
                }
            }
        }
        tx.execute(
            "INSERT INTO paragraphs (doc, number, text, is_content, embedding)
             SELECT * FROM unnest($1::bigint[], $2::int[], $3::text[], $4::boolean[],
                                  $5::vector[])",
            &[
                &paragraphs.doc,
                &paragraphs.number,
                &paragraphs.text,
                &paragraphs.is_content,
                &paragraphs.embedding,
            ],
        )
        .await?;
        tx.execute(
            "INSERT INTO sentences (doc, paragraph, position, text, embedding, term_count)
             SELECT * FROM unnest($1::bigint[], $2::int[], $3::int[], $4::text[], $5::vector[],
                                  $6::int[])",
            &[
                &sentences.doc,
                &sentences.paragraph,
                &sentences.position,
                &sentences.text,
                &sentences.embedding,
                &sentences.term_count,
            ],
        )
        .await?;
        tx.execute(
            "INSERT INTO sentence_terms (doc, paragraph, position, tsv)
             SELECT d, p, n, v::tsvector
             FROM unnest($1::bigint[], $2::int[], $3::int[], $4::text[]) AS u (d, p, n, v)
             WHERE v IS NOT NULL",
            &[
                &sentences.doc,
                &sentences.paragraph,
                &sentences.position,
                &sentences.tsv,
            ],
        )
        .await?;
        change_counts(&tx, &counts, documents.len() as i64).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn delete(&self, id: &str) -> Result<bool> {
        let mut client = self.client().await?;
        let tx = writing(&mut client).await?;
        lock_for_writing(&tx).await?;
        let Some(row) = tx
            .query_opt("SELECT seq FROM documents WHERE id = $1", &[&id])
            .await?
        else {
            return Ok(false);
        };
        let seq: i64 = row.get(0);
        // What the document added to the counts, read back from its rows, taken away again.
        let mut counts = TermCounts::default();
        let totals = tx
            .query_one(
                "SELECT count(term_count), coalesce(sum(term_count), 0)::bigint FROM sentences
                 WHERE doc = $1",
                &[&seq],
            )
            .await?;
        counts.sentences = -totals.get::<_, i64>(0);
        counts.terms = -totals.get::<_, i64>(1);
        for row in tx
            .query(
                "SELECT u.lexeme, count(*)::int FROM sentence_terms s, unnest(s.tsv) u
                 WHERE s.doc = $1 GROUP BY u.lexeme",
                &[&seq],
            )
            .await?
        {
            counts.df.insert(row.get(0), -row.get::<_, i32>(1));
        }
        change_counts(&tx, &counts, -1).await?;
        tx.execute("DELETE FROM documents WHERE seq = $1", &[&seq])
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn replace_vectors(&self, model: &ModelId, documents: &[NewDocument<'_>]) -> Result<()> {
        let mut client = self.client().await?;
        let tx = writing(&mut client).await?;
        write_model(&tx, model).await?;
        let paragraph = tx
            .prepare(
                "UPDATE paragraphs p SET embedding = $3 FROM documents d
                 WHERE d.id = $1 AND p.doc = d.seq AND p.number = $2",
            )
            .await?;
        let sentence = tx
            .prepare(
                "UPDATE sentences s SET embedding = $4 FROM documents d
                 WHERE d.id = $1 AND s.doc = d.seq AND s.paragraph = $2 AND s.position = $3",
            )
            .await?;
        for new in documents {
            let id = &new.document.id;
            for row in new.rows().iter().filter(|row| row.paragraph.is_content) {
                let number = column(row.paragraph.number)?;
                tx.execute(&paragraph, &[id, &number, &row.embedding.map(vector)])
                    .await?;
                for (position, (_, embedding)) in row.sentences.iter().enumerate() {
                    let position = column(position)?;
                    tx.execute(&sentence, &[id, &number, &position, &embedding.map(vector)])
                        .await?;
                }
            }
        }
        tx.commit().await?;
        Ok(())
    }
}

/// Which documents to read.
enum Which<'a> {
    All,
    Ids(&'a [String]),
    Seqs(&'a [i64]),
}

/// Documents with their paragraphs, sentences and vectors, in the order they were stored (one
/// not stored is left out).
async fn read_documents(
    tx: &Transaction<'_>,
    which: Which<'_>,
    dim: usize,
) -> Result<Vec<(i64, StoredDocument)>> {
    let (all, ids, seqs) = match which {
        Which::All => (true, &[][..], &[][..]),
        Which::Ids(ids) => (false, ids, &[][..]),
        Which::Seqs(seqs) => (false, &[][..], seqs),
    };
    if !all && ids.is_empty() && seqs.is_empty() {
        return Ok(Vec::new());
    }
    let documents = tx
        .query(
            "SELECT seq, id, title, content_hash FROM documents
             WHERE $1 OR id = ANY($2) OR seq = ANY($3) ORDER BY seq",
            &[&all, &ids, &seqs],
        )
        .await?;
    let seqs: Vec<i64> = documents.iter().map(|r| r.get(0)).collect();
    let paragraphs = tx
        .query(
            "SELECT doc, number, text, is_content, embedding FROM paragraphs
             WHERE doc = ANY($1) ORDER BY doc, number",
            &[&seqs],
        )
        .await?;
    let sentences = tx
        .query(
            "SELECT doc, paragraph, text, embedding FROM sentences
             WHERE doc = ANY($1) ORDER BY doc, paragraph, position",
            &[&seqs],
        )
        .await?;
    // Rows come sorted by `doc`, as the documents do: walk the three lists together.
    let mut paragraphs = paragraphs.iter().peekable();
    let mut sentences = sentences.iter().peekable();
    let mut out = Vec::with_capacity(documents.len());
    for row in &documents {
        let seq: i64 = row.get(0);
        let mut document = DocumentRows::new(row.get(1), row.get(2), row.get(3));
        while let Some(p) = paragraphs.next_if(|p| p.get::<_, i64>(0) == seq) {
            let embedding: Option<Vector> = p.get(4);
            document.paragraph(
                number(p.get(1))?,
                p.get(2),
                p.get(3),
                embedding.map(Vector::into),
            );
        }
        while let Some(s) = sentences.next_if(|s| s.get::<_, i64>(0) == seq) {
            let embedding: Option<Vector> = s.get(3);
            document.sentence(number(s.get(1))?, s.get(2), embedding.map(Vector::into))?;
        }
        out.push((seq, document.finish(dim)));
    }
    Ok(out)
}

/// Takes the write lock for the rest of the transaction.
async fn lock_for_writing(tx: &Transaction<'_>) -> Result<()> {
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&WRITE_LOCK])
        .await?;
    Ok(())
}

/// The paragraph rows of one insert, column by column.
#[derive(Default)]
struct ParagraphColumns<'a> {
    doc: Vec<i64>,
    number: Vec<i32>,
    text: Vec<&'a str>,
    is_content: Vec<bool>,
    embedding: Vec<Option<Vector>>,
}

/// The sentence rows of one insert, column by column.
#[derive(Default)]
struct SentenceColumns<'a> {
    doc: Vec<i64>,
    paragraph: Vec<i32>,
    position: Vec<i32>,
    text: Vec<&'a str>,
    embedding: Vec<Option<Vector>>,
    /// `tsvector` literals ([`TermCounts::sentence`]), NULL for a sentence that is not content.
    tsv: Vec<Option<String>>,
    term_count: Vec<Option<i32>>,
}

/// What a write changes in the corpus's counts (`corpus_stats`, `term_df`): positive for
/// sentences stored, negative for sentences deleted.
#[derive(Default)]
struct TermCounts {
    sentences: i64,
    terms: i64,
    /// Sentences holding each term; sorted, so that writes lock `term_df` rows in one order.
    df: BTreeMap<String, i32>,
}

impl TermCounts {
    /// Counts a content sentence with these content terms (in order); its `tsvector` literal,
    /// each term with its positions.
    fn sentence(&mut self, terms: &[String]) -> String {
        self.sentences += 1;
        self.terms += terms.len() as i64;
        let mut positions: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (i, term) in terms.iter().enumerate() {
            if term.len() <= MAX_TERM_BYTES {
                let at = positions.entry(term).or_default();
                let position = (i + 1).min(MAX_POSITION);
                if at.last() != Some(&position) {
                    at.push(position);
                }
            }
        }
        let mut tsv = Vec::with_capacity(positions.len());
        for (term, at) in positions {
            *self.df.entry(term.to_string()).or_default() += 1;
            let at: Vec<String> = at.iter().map(usize::to_string).collect();
            tsv.push(format!("{}:{}", quoted(term), at.join(",")));
        }
        tsv.join(" ")
    }
}

/// A term as a `tsvector` or `tsquery` lexeme: quoted, taken as it is (no parsing, no stemming
/// by PostgreSQL: footnote's own content terms are the lexemes).
fn quoted(term: &str) -> String {
    format!("'{}'", term.replace('\\', "\\\\").replace('\'', "''"))
}

/// Applies a write's counts: `documents` more (or fewer) documents, and `counts`.
async fn change_counts(tx: &Transaction<'_>, counts: &TermCounts, documents: i64) -> Result<()> {
    let terms: Vec<&str> = counts.df.keys().map(String::as_str).collect();
    let tokens: Vec<i64> = terms.iter().map(|t| i64::from(token(t))).collect();
    let df: Vec<i32> = counts.df.values().copied().collect();
    // Counts that grow may add a term; counts that shrink only update (a new row with a
    // negative count would fail the table's check before its conflict is seen).
    tx.execute(
        "INSERT INTO term_df (term, token, df)
         SELECT * FROM unnest($1::text[], $2::bigint[], $3::int[]) AS u (term, token, df)
         WHERE u.df > 0
         ON CONFLICT (term) DO UPDATE SET df = term_df.df + excluded.df",
        &[&terms, &tokens, &df],
    )
    .await?;
    tx.execute(
        "UPDATE term_df t SET df = t.df + u.df
         FROM unnest($1::text[], $2::int[]) AS u (term, df)
         WHERE t.term = u.term AND u.df < 0",
        &[&terms, &df],
    )
    .await?;
    tx.execute(
        "DELETE FROM term_df WHERE term = ANY($1) AND df = 0",
        &[&terms],
    )
    .await?;
    tx.execute(
        "UPDATE corpus_stats SET documents = documents + $1, sentences = sentences + $2,
                                 terms = terms + $3, generation = generation + 1",
        &[&documents, &counts.sentences, &counts.terms],
    )
    .await?;
    Ok(())
}

/// Counts the rows stored before the counts existed (migration [`TERMS_MIGRATION`]).
async fn backfill_terms(tx: &Transaction<'_>) -> Result<()> {
    let rows = tx
        .query(
            "SELECT s.doc, s.paragraph, s.position, s.text FROM sentences s
             JOIN paragraphs p ON p.doc = s.doc AND p.number = s.paragraph
             WHERE p.is_content",
            &[],
        )
        .await?;
    let mut counts = TermCounts::default();
    let (mut doc, mut paragraph, mut position) = (Vec::new(), Vec::new(), Vec::new());
    let (mut tsv, mut term_count) = (Vec::new(), Vec::new());
    for row in &rows {
        let terms = content_terms(row.get::<_, &str>(3));
        doc.push(row.get::<_, i64>(0));
        paragraph.push(row.get::<_, i32>(1));
        position.push(row.get::<_, i32>(2));
        tsv.push(counts.sentence(&terms));
        term_count.push(column(terms.len())?);
    }
    tx.execute(
        "UPDATE sentences s SET tsv = u.v::tsvector, term_count = u.c
         FROM unnest($1::bigint[], $2::int[], $3::int[], $4::text[], $5::int[])
              AS u (d, p, n, v, c)
         WHERE s.doc = u.d AND s.paragraph = u.p AND s.position = u.n",
        &[&doc, &paragraph, &position, &tsv, &term_count],
    )
    .await?;
    let documents: i64 = tx
        .query_one("SELECT count(*) FROM documents", &[])
        .await?
        .get(0);
    change_counts(tx, &counts, documents).await
}

/// A read-only transaction that sees one state of the database for all its reads.
async fn reading(client: &mut Object) -> Result<Transaction<'_>> {
    Ok(client
        .build_transaction()
        .isolation_level(IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .await?)
}

/// Ends a [`reading`] transaction without waiting for the database: a read-only transaction
/// ends by rollback as well as by commit, and dropping it queues the ROLLBACK on the connection
/// (whatever runs next on it runs after), one round trip less than a commit.
fn end_reading(tx: Transaction<'_>) {
    drop(tx);
}

/// A transaction for writing, READ COMMITTED whatever the database's default: statements after
/// an advisory lock must see what was committed while it was awaited (under REPEATABLE READ the
/// snapshot would be taken by the lock's own statement, before it was granted).
async fn writing(client: &mut Object) -> Result<Transaction<'_>> {
    Ok(client
        .build_transaction()
        .isolation_level(IsolationLevel::ReadCommitted)
        .start()
        .await?)
}

async fn write_model(tx: &Transaction<'_>, model: &ModelId) -> Result<()> {
    set_meta(tx, "model_name", &model.name).await?;
    set_meta(tx, "model_fingerprint", &model.fingerprint).await?;
    set_meta(tx, "model_dim", &model.dim.to_string()).await
}

async fn set_meta(client: &impl GenericClient, key: &str, value: &str) -> Result<()> {
    client
        .execute(
            "INSERT INTO footnote_meta (key, value) VALUES ($1, $2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            &[&key, &value],
        )
        .await?;
    Ok(())
}

fn vector(values: &[f32]) -> Vector {
    Vector::from(values.to_vec())
}

/// A count or number as an `int` column.
fn column(n: usize) -> Result<i32> {
    i32::try_from(n).map_err(|_| Error::InvalidInput(format!("{n} is too large to store")))
}

/// An `int` column read back as a number.
fn number(n: i32) -> Result<usize> {
    usize::try_from(n).map_err(|_| Error::StoreFormat(format!("negative number {n} stored")))
}

/// A document insert refused because its id is taken (the 409 of the API), or because its text
/// is: both happen when another process stored it since this one planned the write.
fn taken(error: tokio_postgres::Error, id: &str) -> Error {
    let constraint = error.as_db_error().and_then(|e| e.constraint());
    if error.code() == Some(&SqlState::UNIQUE_VIOLATION) {
        match constraint {
            Some("documents_id_key") => return Error::IdTaken(id.to_string()),
            Some("documents_content_hash_key") => return Error::StoredMeanwhile,
            _ => {}
        }
    }
    error.into()
}

/// PostgreSQL's errors by what the person running footnote can do about them.
impl From<tokio_postgres::Error> for Error {
    fn from(error: tokio_postgres::Error) -> Self {
        let Some(code) = error.code() else {
            // No SQLSTATE: a connection refused, reset or closed is an outage to wait out;
            // anything else (TLS asked for, a bad setting, a type mismatch) is not.
            let source = std::error::Error::source(&error);
            let message = match source {
                Some(cause) => format!("{error}: {cause}"),
                None => error.to_string(),
            };
            let lost = error.is_closed()
                || source.is_some_and(|s| s.downcast_ref::<std::io::Error>().is_some());
            return if lost {
                Error::StoreUnavailable(message)
            } else {
                Error::Store(message)
            };
        };
        let message = error
            .as_db_error()
            .map_or_else(|| error.to_string(), |e| e.message().to_string());
        let unavailable = code.code().starts_with("08")
            || [
                SqlState::ADMIN_SHUTDOWN,
                SqlState::CRASH_SHUTDOWN,
                SqlState::CANNOT_CONNECT_NOW,
                SqlState::TOO_MANY_CONNECTIONS,
                SqlState::QUERY_CANCELED,
            ]
            .contains(code);
        if unavailable {
            Error::StoreUnavailable(message)
        } else if *code == SqlState::DISK_FULL {
            Error::StoreFull
        } else {
            Error::Store(message)
        }
    }
}

impl From<PoolError> for Error {
    fn from(error: PoolError) -> Self {
        match error {
            PoolError::Backend(e) => e.into(),
            other => Error::StoreUnavailable(other.to_string()),
        }
    }
}
