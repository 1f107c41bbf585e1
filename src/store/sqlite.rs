//! The SQLite store: one file (by default `footnote.sqlite3` in the data directory), the
//! service's store unless `--store` names another.
//!
//! WAL journaling with `synchronous=FULL` makes a committed ingest survive a crash of the process
//! or the machine. rusqlite is blocking, so [`SqliteStore`] runs each call on a blocking thread,
//! one at a time: SQLite has one writer anyway, and the service's writes are already serialised.

use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use rusqlite::{params, Connection, OptionalExtension, Transaction};

use super::{DocumentRows, ModelId, NewDocument, Store, StoredDocument};
use crate::doc_vectors::DocumentVectors;
use crate::document::Document;
use crate::error::{Error, Result};
use crate::task::blocking;

/// Version of the tables below; a store written by a newer footnote is refused, not guessed at.
pub const SCHEMA_VERSION: i64 = 1;
/// The database file inside the data directory.
pub const FILE_NAME: &str = "footnote.sqlite3";
/// SQLite's `application_id` of a footnote store ("fnot"), which tells it from other databases.
const APPLICATION_ID: i32 = 0x666e_6f74;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS documents (
    id TEXT NOT NULL UNIQUE,
    title TEXT,
    content_hash TEXT NOT NULL UNIQUE,
    paragraph_count INTEGER NOT NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT;
CREATE TABLE IF NOT EXISTS paragraphs (
    doc_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    number INTEGER NOT NULL,
    text TEXT NOT NULL,
    is_content INTEGER NOT NULL,
    -- little-endian f32s; NULL for blocks that are never evidence
    embedding BLOB,
    PRIMARY KEY (doc_id, number)
) STRICT;
CREATE TABLE IF NOT EXISTS sentences (
    doc_id TEXT NOT NULL,
    paragraph INTEGER NOT NULL,
    position INTEGER NOT NULL,
    text TEXT NOT NULL,
    embedding BLOB,
    PRIMARY KEY (doc_id, paragraph, position),
    FOREIGN KEY (doc_id, paragraph) REFERENCES paragraphs(doc_id, number) ON DELETE CASCADE
) STRICT;
";

/// The store at one SQLite file, for the async service: each call runs on a blocking thread.
#[derive(Clone)]
pub struct SqliteStore {
    file: Arc<Mutex<Sqlite>>,
}

impl SqliteStore {
    /// Opens (creating if needed) the store at `path`; see [`Sqlite::open`].
    pub async fn open(path: &Path) -> Result<Self> {
        let path = path.to_path_buf();
        let file = blocking(move || Sqlite::open(&path)).await?;
        Ok(SqliteStore {
            file: Arc::new(Mutex::new(file)),
        })
    }

    /// Runs `work` on the open file on a blocking thread.
    async fn with<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Sqlite) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let file = self.file.clone();
        blocking(move || work(&mut file.lock().unwrap_or_else(PoisonError::into_inner))).await
    }
}

/// Documents with their vectors, owned, to move onto a blocking thread.
fn owned(documents: &[NewDocument<'_>]) -> Vec<(Document, DocumentVectors)> {
    documents
        .iter()
        .map(|d| (d.document.clone(), d.vectors.clone()))
        .collect()
}

/// The same documents, borrowed again as [`NewDocument`]s.
fn borrowed(documents: &[(Document, DocumentVectors)]) -> Vec<NewDocument<'_>> {
    documents
        .iter()
        .map(|(document, vectors)| NewDocument { document, vectors })
        .collect()
}

impl Store for SqliteStore {
    async fn model(&self) -> Result<Option<ModelId>> {
        self.with(|s| s.model()).await
    }
    async fn set_model(&self, model: &ModelId) -> Result<()> {
        let model = model.clone();
        self.with(move |s| s.set_model(&model)).await
    }
    async fn is_seeded(&self) -> Result<bool> {
        self.with(|s| s.is_seeded()).await
    }
    async fn mark_seeded(&self) -> Result<()> {
        self.with(|s| s.mark_seeded()).await
    }
    async fn load(&self, dim: usize) -> Result<Vec<StoredDocument>> {
        self.with(move |s| s.load(dim)).await
    }
    async fn insert(&self, documents: &[NewDocument<'_>], model: &ModelId) -> Result<()> {
        let (documents, model) = (owned(documents), model.clone());
        self.with(move |s| s.insert(&borrowed(&documents), &model))
            .await
    }
    async fn delete(&self, id: &str) -> Result<bool> {
        let id = id.to_string();
        self.with(move |s| s.delete(&id)).await
    }
    async fn replace_vectors(&self, model: &ModelId, documents: &[NewDocument<'_>]) -> Result<()> {
        let (documents, model) = (owned(documents), model.clone());
        self.with(move |s| s.replace_vectors(&model, &borrowed(&documents)))
            .await
    }
}

/// One open SQLite store file (blocking).
pub struct Sqlite {
    conn: Connection,
}

impl Sqlite {
    /// Opens (creating it and its directory if needed) the store file at `path`. A file that is
    /// not footnote's store (damaged, another program's database, a newer schema) and a
    /// directory that cannot be written are refused with an error saying so, before anything is
    /// written to the file.
    pub fn open(path: &Path) -> Result<Self> {
        let dir = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let path = path.to_path_buf();
        check_writable(dir, &path)?;
        let mut conn = Connection::open(&path)?;
        check_is_ours(&conn, &path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        let tx = conn.transaction()?;
        tx.execute_batch(SCHEMA)?;
        // Only when it is not set yet, so that opening a store writes nothing to it.
        let id: i32 = tx.pragma_query_value(None, "application_id", |r| r.get(0))?;
        if id != APPLICATION_ID {
            tx.pragma_update(None, "application_id", APPLICATION_ID)?;
        }
        let version: Option<String> = get_meta(&tx, "schema_version")?;
        match version {
            None => set_meta(&tx, "schema_version", &SCHEMA_VERSION.to_string())?,
            Some(v) if v == SCHEMA_VERSION.to_string() => {}
            Some(v) => {
                return Err(Error::StoreFormat(format!(
                    "{} has schema version {v}; this footnote reads version {SCHEMA_VERSION}",
                    path.display()
                )))
            }
        }
        tx.commit()?;
        Ok(Sqlite { conn })
    }

    /// The model the stored vectors were made with; `None` for a new store.
    pub fn model(&self) -> Result<Option<ModelId>> {
        Ok(ModelId::from_records(
            get_meta(&self.conn, "model_name")?,
            get_meta(&self.conn, "model_fingerprint")?,
            get_meta(&self.conn, "model_dim")?,
        ))
    }

    /// Records `model` as the maker of the stored vectors (after a rename: same vectors).
    pub fn set_model(&mut self, model: &ModelId) -> Result<()> {
        let tx = self.conn.transaction()?;
        write_model(&tx, model)?;
        tx.commit()?;
        Ok(())
    }

    pub fn is_seeded(&self) -> Result<bool> {
        Ok(get_meta(&self.conn, "seeded")?.is_some())
    }

    pub fn mark_seeded(&self) -> Result<()> {
        set_meta(&self.conn, "seeded", "1")
    }

    /// Every document, in the order they were stored.
    pub fn load(&self, dim: usize) -> Result<Vec<StoredDocument>> {
        let mut docs = self
            .conn
            .prepare("SELECT id, title, content_hash FROM documents ORDER BY rowid")?;
        let mut paragraphs = self.conn.prepare(
            "SELECT number, text, is_content, embedding FROM paragraphs
             WHERE doc_id = ?1 ORDER BY number",
        )?;
        let mut sentences = self.conn.prepare(
            "SELECT paragraph, text, embedding FROM sentences
             WHERE doc_id = ?1 ORDER BY paragraph, position",
        )?;
        let rows = docs
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<rusqlite::Result<Vec<(String, Option<String>, String)>>>()?;
        let mut out = Vec::with_capacity(rows.len());
        for (id, title, content_hash) in rows {
            let mut rows = paragraphs.query([&id])?;
            let mut document = DocumentRows::new(id.clone(), title, content_hash);
            while let Some(r) = rows.next()? {
                let embedding = r.get::<_, Option<Vec<u8>>>(3)?.map(from_blob);
                document.paragraph(r.get(0)?, r.get(1)?, r.get(2)?, embedding);
            }
            let mut rows = sentences.query([&id])?;
            while let Some(r) = rows.next()? {
                let embedding = r.get::<_, Option<Vec<u8>>>(2)?.map(from_blob);
                document.sentence(r.get(0)?, r.get(1)?, embedding)?;
            }
            out.push(document.finish(dim));
        }
        Ok(out)
    }

    /// Stores documents and their vectors, made by `model`, in one transaction.
    pub fn insert(&mut self, documents: &[NewDocument], model: &ModelId) -> Result<()> {
        let tx = self.conn.transaction()?;
        write_model(&tx, model)?;
        for new in documents {
            let doc = new.document;
            tx.execute(
                "INSERT INTO documents (id, title, content_hash, paragraph_count)
                 VALUES (?1, ?2, ?3, ?4)",
                params![doc.id, doc.title, doc.content_hash, doc.paragraphs.len()],
            )
            .map_err(|e| taken(e, &doc.id))?;
            for row in new.rows() {
                let para = row.paragraph;
                tx.prepare_cached(
                    "INSERT INTO paragraphs (doc_id, number, text, is_content, embedding)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                )?
                .execute(params![
                    doc.id,
                    para.number,
                    para.text,
                    para.is_content,
                    row.embedding.map(to_blob)
                ])?;
                for (position, (sentence, embedding)) in row.sentences.into_iter().enumerate() {
                    tx.prepare_cached(
                        "INSERT INTO sentences (doc_id, paragraph, position, text, embedding)
                         VALUES (?1, ?2, ?3, ?4, ?5)",
                    )?
                    .execute(params![
                        doc.id,
                        para.number,
                        position,
                        sentence,
                        embedding.map(to_blob)
                    ])?;
                }
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Deletes a document with its paragraphs and sentences; false if there was none.
    pub fn delete(&mut self, id: &str) -> Result<bool> {
        Ok(self
            .conn
            .execute("DELETE FROM documents WHERE id = ?1", [id])?
            > 0)
    }

    /// Replaces the vectors of the given documents and records the model that made them, in one
    /// transaction (after a model change).
    pub fn replace_vectors(&mut self, model: &ModelId, documents: &[NewDocument]) -> Result<()> {
        let tx = self.conn.transaction()?;
        write_model(&tx, model)?;
        for new in documents {
            for row in new.rows().iter().filter(|row| row.paragraph.is_content) {
                let number = row.paragraph.number;
                tx.prepare_cached(
                    "UPDATE paragraphs SET embedding = ?3 WHERE doc_id = ?1 AND number = ?2",
                )?
                .execute(params![
                    new.document.id,
                    number,
                    row.embedding.map(to_blob)
                ])?;
                for (position, (_, embedding)) in row.sentences.iter().enumerate() {
                    tx.prepare_cached(
                        "UPDATE sentences SET embedding = ?4
                         WHERE doc_id = ?1 AND paragraph = ?2 AND position = ?3",
                    )?
                    .execute(params![
                        new.document.id,
                        number,
                        position,
                        embedding.map(to_blob)
                    ])?;
                }
            }
        }
        tx.commit()?;
        Ok(())
    }
}

/// Fails, saying why, when the store could not be written: SQLite would open a read-only file
/// read-only and only fail at the first write, with a message that names neither file nor cause.
fn check_writable(dir: &Path, path: &Path) -> Result<()> {
    let not_writable = |path: &Path, reason| Error::StoreNotWritable {
        path: path.to_path_buf(),
        reason,
    };
    tempfile::Builder::new()
        .prefix(".footnote-write-check")
        .tempfile_in(dir)
        .map_err(|e| not_writable(dir, e))?;
    if path.exists() {
        std::fs::OpenOptions::new()
            .append(true)
            .open(path)
            .map_err(|e| not_writable(path, e))?;
    }
    Ok(())
}

/// Refuses a database that holds tables but is not footnote's store: another program's file in
/// the data directory is left exactly as it was. Stores made before footnote set its
/// `application_id` are recognised by their `meta` table's schema version.
fn check_is_ours(conn: &Connection, path: &Path) -> Result<()> {
    let id: i32 = conn.pragma_query_value(None, "application_id", |r| r.get(0))?;
    if id == APPLICATION_ID {
        return Ok(());
    }
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    // Another program's `meta` table may not have footnote's columns: that is not an error here.
    let older_store = id == 0
        && tables.iter().any(|t| t == "meta")
        && get_meta(conn, "schema_version").ok().flatten().is_some();
    if (tables.is_empty() && id == 0) || older_store {
        return Ok(());
    }
    Err(Error::StoreFormat(format!(
        "{} is an SQLite database but not footnote's store (its tables: {}); footnote has left \
         it as it is: point --store or --data elsewhere",
        path.display(),
        tables.join(", ")
    )))
}

/// A document insert refused because its id (the 409 of the API) or its text is taken.
fn taken(error: rusqlite::Error, id: &str) -> Error {
    let unique = error
        .sqlite_error()
        .is_some_and(|e| e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE);
    if unique && error.to_string().contains("documents.id") {
        return Error::IdTaken(id.to_string());
    }
    if unique && error.to_string().contains("documents.content_hash") {
        return Error::StoredMeanwhile;
    }
    error.into()
}

fn write_model(tx: &Transaction, model: &ModelId) -> Result<()> {
    set_meta(tx, "model_name", &model.name)?;
    set_meta(tx, "model_fingerprint", &model.fingerprint)?;
    set_meta(tx, "model_dim", &model.dim.to_string())
}

fn get_meta(conn: &Connection, key: &str) -> Result<Option<String>> {
    Ok(conn
        .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
        .optional()?)
}

fn set_meta(conn: &Connection, key: &str, value: &str) -> Result<()> {
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [key, value],
    )?;
    Ok(())
}

fn to_blob(vector: &[f32]) -> Vec<u8> {
    vector.iter().flat_map(|x| x.to_le_bytes()).collect()
}

fn from_blob(bytes: Vec<u8>) -> Vec<f32> {
    bytes
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(dim: usize) -> ModelId {
        ModelId {
            name: "test".into(),
            fingerprint: "f".into(),
            dim,
        }
    }

    fn vectors_for(doc: &Document, dim: usize) -> DocumentVectors {
        let mut values = (0..).map(|i| vec![i as f32; dim]);
        let texts = DocumentVectors::texts(doc).len();
        DocumentVectors::take(doc, &mut values.by_ref().take(texts))
    }

    #[test]
    fn a_failed_insert_stores_nothing_and_delete_cascades() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Sqlite::open(&dir.path().join(FILE_NAME)).unwrap();
        let a = Document::new("a", None, "One sentence here.").unwrap();
        let b = Document::new("a", None, "Another text, same id.").unwrap();
        let (va, vb) = (vectors_for(&a, 2), vectors_for(&b, 2));
        let batch = [
            NewDocument {
                document: &a,
                vectors: &va,
            },
            NewDocument {
                document: &b,
                vectors: &vb,
            },
        ];
        assert!(store.insert(&batch, &model(2)).is_err());
        assert!(store.load(2).unwrap().is_empty());
        store.insert(&batch[..1], &model(2)).unwrap();
        assert!(store.delete("a").unwrap());
        assert!(!store.delete("a").unwrap());
        let orphans: i64 = store
            .conn
            .query_row(
                "SELECT (SELECT COUNT(*) FROM paragraphs) + (SELECT COUNT(*) FROM sentences)",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(orphans, 0);
    }

    #[test]
    fn a_newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let store = Sqlite::open(&dir.path().join(FILE_NAME)).unwrap();
        set_meta(&store.conn, "schema_version", "99").unwrap();
        drop(store);
        let err = Sqlite::open(&dir.path().join(FILE_NAME)).err().unwrap();
        assert!(err.to_string().contains("schema version"), "{err}");
    }

    /// What a refused file holds afterwards: its bytes, and that of no journal beside it.
    fn contents(dir: &Path) -> Vec<u8> {
        std::fs::read(dir.join(FILE_NAME)).unwrap()
    }

    #[test]
    fn another_programs_database_is_refused_and_left_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let conn = Connection::open(dir.path().join(FILE_NAME)).unwrap();
        conn.execute_batch("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO users (name) VALUES ('ann');")
            .unwrap();
        drop(conn);
        let before = contents(dir.path());
        let err = Sqlite::open(&dir.path().join(FILE_NAME)).err().unwrap();
        assert!(matches!(err, Error::StoreFormat(_)), "{err}");
        assert!(
            err.to_string()
                .contains("not footnote's store (its tables: users)"),
            "{err}"
        );
        assert_eq!(contents(dir.path()), before);
    }

    #[test]
    fn a_file_that_is_not_a_database_is_refused_and_left_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let garbage: Vec<u8> = (0..20_000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
            .collect();
        std::fs::write(dir.path().join(FILE_NAME), &garbage).unwrap();
        let err = Sqlite::open(&dir.path().join(FILE_NAME)).err().unwrap();
        assert!(
            err.to_string()
                .contains("damaged or not an SQLite database"),
            "{err}"
        );
        assert_eq!(contents(dir.path()), garbage);
    }

    #[test]
    fn a_store_made_before_the_application_id_still_opens() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Sqlite::open(&dir.path().join(FILE_NAME)).unwrap();
        let doc = Document::new("a", None, "One paragraph here. It has two sentences.").unwrap();
        let vectors = vectors_for(&doc, 3);
        store
            .insert(
                &[NewDocument {
                    document: &doc,
                    vectors: &vectors,
                }],
                &model(3),
            )
            .unwrap();
        store.conn.pragma_update(None, "application_id", 0).unwrap();
        drop(store);
        let store = Sqlite::open(&dir.path().join(FILE_NAME)).unwrap();
        assert_eq!(store.load(3).unwrap().len(), 1);
    }
}
