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
//! Several replicas may share one database: writes are numbered in commit order in a change log
//! ([`Store::generation`], [`Store::changes_since`]) that each replica follows. Where this stands
//! (issue 18, docs/postgres-design.md): each replica loads the store whole at start, as with
//! SQLite; retrieval in SQL (HNSW and text search over candidate documents) comes next.

use std::time::Duration;

use deadpool_postgres::{
    GenericClient, Manager, ManagerConfig, Object, Pool, PoolError, RecyclingMethod, Runtime,
    Transaction,
};
use pgvector::Vector;
use tokio_postgres::error::SqlState;
use tokio_postgres::{IsolationLevel, NoTls};

use super::{Changes, DocumentRows, ModelId, NewDocument, Store, StoredDocument};
use crate::error::{Error, Result};

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
];

/// The advisory lock every write transaction takes first ("fnotwrit"): writes commit one at a
/// time, so change numbers follow commit order and no reader skips one still in flight.
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
        let store = PostgresStore { pool };
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
        let documents = read_documents(&tx, None, dim).await?;
        tx.commit().await?;
        Ok(documents)
    }

    fn is_shared(&self) -> bool {
        true
    }

    async fn generation(&self) -> Result<u64> {
        let client = self.client().await?;
        let row = client
            .query_one("SELECT coalesce(max(generation), 0) FROM changes", &[])
            .await?;
        Ok(generation(row.get(0)))
    }

    async fn changes_since(&self, since: u64, dim: usize) -> Result<Changes> {
        let mut client = self.client().await?;
        let tx = reading(&mut client).await?;
        let since = i64::try_from(since).unwrap_or(i64::MAX);
        let touched = tx
            .query(
                "SELECT doc_id, max(generation) FROM changes WHERE generation > $1
                 GROUP BY doc_id ORDER BY max(generation)",
                &[&since],
            )
            .await?;
        if touched.is_empty() {
            return Ok(Changes {
                generation: generation(since),
                documents: Vec::new(),
            });
        }
        let ids: Vec<String> = touched.iter().map(|r| r.get(0)).collect();
        let now = touched
            .iter()
            .map(|r| r.get::<_, i64>(1))
            .max()
            .unwrap_or(since);
        let mut stored = read_documents(&tx, Some(&ids), dim).await?;
        tx.commit().await?;
        let documents = ids
            .into_iter()
            .map(|id| {
                let document = stored
                    .iter()
                    .position(|d| d.document.id == id)
                    .map(|i| stored.swap_remove(i));
                (id, document)
            })
            .collect();
        Ok(Changes {
            generation: generation(now),
            documents,
        })
    }

    async fn insert(&self, documents: &[NewDocument<'_>], model: &ModelId) -> Result<u64> {
        let mut client = self.client().await?;
        let tx = writing(&mut client).await?;
        let mut last = lock_for_writing(&tx).await?;
        write_model(&tx, model).await?;
        let insert_document = tx
            .prepare(
                "INSERT INTO documents (id, title, content_hash, paragraph_count)
                 VALUES ($1, $2, $3, $4) RETURNING seq",
            )
            .await?;
        let insert_paragraph = tx
            .prepare(
                "INSERT INTO paragraphs (doc, number, text, is_content, embedding)
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .await?;
        let insert_sentence = tx
            .prepare(
                "INSERT INTO sentences (doc, paragraph, position, text, embedding)
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .await?;
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
            last += 1;
            record_change(&tx, last, &doc.id, true).await?;
            for row in new.rows() {
                let para = row.paragraph;
                let number = column(para.number)?;
                let embedding = row.embedding.map(vector);
                tx.execute(
                    &insert_paragraph,
                    &[&seq, &number, &para.text, &para.is_content, &embedding],
                )
                .await?;
                for (position, (text, embedding)) in row.sentences.into_iter().enumerate() {
                    let position = column(position)?;
                    let embedding = embedding.map(vector);
                    tx.execute(
                        &insert_sentence,
                        &[&seq, &number, &position, &text, &embedding],
                    )
                    .await?;
                }
            }
        }
        tx.commit().await?;
        Ok(generation(last))
    }

    async fn delete(&self, id: &str) -> Result<Option<u64>> {
        let mut client = self.client().await?;
        let tx = writing(&mut client).await?;
        let last = lock_for_writing(&tx).await? + 1;
        let deleted = tx
            .execute("DELETE FROM documents WHERE id = $1", &[&id])
            .await?;
        if deleted == 0 {
            return Ok(None);
        }
        record_change(&tx, last, id, false).await?;
        tx.commit().await?;
        Ok(Some(generation(last)))
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

/// Documents with their paragraphs, sentences and vectors, in the order they were stored: all,
/// or those with the given ids (an id not stored is left out).
async fn read_documents(
    tx: &Transaction<'_>,
    ids: Option<&[String]>,
    dim: usize,
) -> Result<Vec<StoredDocument>> {
    let all = ids.is_none();
    let ids = ids.unwrap_or_default();
    let documents = tx
        .query(
            "SELECT seq, id, title, content_hash FROM documents
             WHERE $1 OR id = ANY($2) ORDER BY seq",
            &[&all, &ids],
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
        out.push(document.finish(dim));
    }
    Ok(out)
}

/// Takes the write lock for the rest of the transaction; the last change number committed.
async fn lock_for_writing(tx: &Transaction<'_>) -> Result<i64> {
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&WRITE_LOCK])
        .await?;
    let row = tx
        .query_one("SELECT coalesce(max(generation), 0) FROM changes", &[])
        .await?;
    Ok(row.get(0))
}

/// Logs a document stored (`inserted`) or deleted as change number `generation`.
async fn record_change(
    tx: &Transaction<'_>,
    generation: i64,
    id: &str,
    inserted: bool,
) -> Result<()> {
    tx.execute(
        "INSERT INTO changes (generation, doc_id, inserted) VALUES ($1, $2, $3)",
        &[&generation, &id, &inserted],
    )
    .await?;
    Ok(())
}

/// A change number as the store's generation (numbers start at 1 and only grow).
fn generation(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
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
