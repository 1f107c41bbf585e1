//! The document store: what the HTTP service keeps across restarts, behind one [`Store`] trait.
//!
//! A store holds each document's numbered paragraphs (every block of its text, verbatim) and
//! sentences exactly as segmented when it was ingested (so citations never move, even if the
//! segmenter changes later), their embeddings, the id of the model that made them and a schema
//! version. Every write is one transaction: a crash leaves each document fully present or fully
//! absent.
//!
//! Where it lives is a [`StoreUrl`] (`--store`): `sqlite:PATH`, one file ([`sqlite`], the
//! default, in `--data`), or `postgres://...`, a PostgreSQL database with pgvector
//! ([`postgres`]). The answering and summarizing code never knows which one it has: it reads an
//! index either way, the whole corpus held in memory (SQLite) or a request's view read from
//! PostgreSQL ([`postgres::PostgresStore::view`]).
//!
//! Why an enum and not `dyn Store`: the trait's methods return futures, which `dyn` cannot hold
//! without boxing every call; an enum dispatches with a `match` and keeps handlers' futures `Send`.

pub mod migrate;
pub mod postgres;
pub mod sqlite;

use std::future::Future;
use std::path::PathBuf;
use std::str::FromStr;

use crate::doc_vectors::DocumentVectors;
use crate::document::{Document, Paragraph};
use crate::error::{Error, Result};

pub use postgres::PostgresStore;
pub use sqlite::{SqliteStore, FILE_NAME};

/// The model whose vectors the store holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelId {
    pub name: String,
    /// [`crate::embed::Embedder::fingerprint`]: changes with the model's files and settings.
    pub fingerprint: String,
    pub dim: usize,
}

impl ModelId {
    /// The model as a store records it (three values), when all three are there.
    pub fn from_records(
        name: Option<String>,
        fingerprint: Option<String>,
        dim: Option<String>,
    ) -> Option<ModelId> {
        Some(ModelId {
            name: name?,
            fingerprint: fingerprint?,
            dim: dim?.parse().ok()?,
        })
    }

    /// Whether `other` makes the same vectors. The name is only how the model was asked for (a
    /// hub id or a directory holding the same files), so it does not count.
    pub fn same_vectors(&self, other: &ModelId) -> bool {
        self.fingerprint == other.fingerprint && self.dim == other.dim
    }
}

/// A document read back from the store, with its vectors when they are complete and `dim` wide.
#[derive(Debug, Clone)]
pub struct StoredDocument {
    pub document: Document,
    pub vectors: Option<DocumentVectors>,
}

/// A document to store, with its vectors.
pub struct NewDocument<'a> {
    pub document: &'a Document,
    pub vectors: &'a DocumentVectors,
}

/// One paragraph of a [`NewDocument`] as stored: with its vector, and each sentence with its
/// own, where the paragraph is content (other blocks are never evidence and have none).
pub struct ParagraphRow<'a> {
    pub paragraph: &'a Paragraph,
    pub embedding: Option<&'a [f32]>,
    pub sentences: Vec<(&'a str, Option<&'a [f32]>)>,
}

impl<'a> NewDocument<'a> {
    /// The rows to write, paragraph by paragraph, in order.
    pub fn rows(&self) -> Vec<ParagraphRow<'a>> {
        let mut sentence_vectors = self.vectors.sentences.iter();
        let mut passage_vectors = self.vectors.passages.iter();
        self.document
            .paragraphs
            .iter()
            .map(|paragraph| {
                let content = paragraph.is_content;
                let embedding = content
                    .then(|| passage_vectors.next().map(Vec::as_slice))
                    .flatten();
                let sentences = paragraph
                    .sentences
                    .iter()
                    .map(|s| {
                        let vector = content
                            .then(|| sentence_vectors.next().map(Vec::as_slice))
                            .flatten();
                        (s.as_str(), vector)
                    })
                    .collect();
                ParagraphRow {
                    paragraph,
                    embedding,
                    sentences,
                }
            })
            .collect()
    }
}

/// A stored document put back together from its rows, read in order: the document's, then its
/// paragraphs' by number, then its sentences' by paragraph and position.
pub struct DocumentRows {
    document: Document,
    passage_vectors: Vec<Option<Vec<f32>>>,
    sentence_vectors: Vec<Option<Vec<f32>>>,
}

impl DocumentRows {
    pub fn new(id: String, title: Option<String>, content_hash: String) -> Self {
        DocumentRows {
            document: Document {
                id,
                title,
                paragraphs: Vec::new(),
                content_hash,
            },
            passage_vectors: Vec::new(),
            sentence_vectors: Vec::new(),
        }
    }

    pub fn paragraph(
        &mut self,
        number: usize,
        text: String,
        is_content: bool,
        embedding: Option<Vec<f32>>,
    ) {
        self.document.paragraphs.push(Paragraph {
            number,
            text,
            is_content,
            sentences: Vec::new(),
        });
        if is_content {
            self.passage_vectors.push(embedding);
        }
    }

    /// A sentence of paragraph `number`, which must have been read already.
    pub fn sentence(
        &mut self,
        number: usize,
        text: String,
        embedding: Option<Vec<f32>>,
    ) -> Result<()> {
        let paragraph = self
            .document
            .paragraphs
            .iter_mut()
            .find(|p| p.number == number)
            .ok_or_else(|| {
                Error::StoreFormat(format!(
                    "sentence of missing paragraph {number} in `{}`",
                    self.document.id
                ))
            })?;
        paragraph.sentences.push(text);
        if paragraph.is_content {
            self.sentence_vectors.push(embedding);
        }
        Ok(())
    }

    /// The document, with its vectors when every one is there and `dim` wide.
    pub fn finish(self, dim: usize) -> StoredDocument {
        let document = self.document;
        let vectors = self
            .sentence_vectors
            .into_iter()
            .collect::<Option<Vec<_>>>()
            .zip(self.passage_vectors.into_iter().collect::<Option<Vec<_>>>())
            .map(|(sentences, passages)| DocumentVectors {
                sentences,
                passages,
            })
            .filter(|v| v.fits(&document, dim));
        StoredDocument { document, vectors }
    }
}

/// Where the store lives (`--store`). `Debug` and `Display` hide a password.
#[derive(Clone, PartialEq, Eq)]
pub enum StoreUrl {
    /// `sqlite:PATH`: one SQLite file; its directory is created if missing.
    Sqlite(PathBuf),
    /// `postgres://user:password@host:port/database?options` (or `postgresql://`), as libpq
    /// takes it.
    Postgres(String),
}

impl StoreUrl {
    /// The default store: `footnote.sqlite3` in the data directory.
    pub fn in_data_dir(dir: impl Into<PathBuf>) -> Self {
        StoreUrl::Sqlite(dir.into().join(FILE_NAME))
    }
}

impl FromStr for StoreUrl {
    type Err = Error;

    fn from_str(url: &str) -> Result<Self> {
        match url.split_once(':') {
            Some(("sqlite", path)) if !path.is_empty() => Ok(StoreUrl::Sqlite(path.into())),
            Some(("postgres" | "postgresql", rest)) if rest.starts_with("//") => {
                Ok(StoreUrl::Postgres(url.to_string()))
            }
            _ => Err(Error::InvalidInput(format!(
                "store {:?}: expected sqlite:PATH (a database file) or postgres://...",
                redacted(url)
            ))),
        }
    }
}

impl std::fmt::Debug for StoreUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "StoreUrl({self})")
    }
}

impl std::fmt::Display for StoreUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreUrl::Sqlite(path) => write!(f, "sqlite:{}", path.display()),
            StoreUrl::Postgres(url) => f.write_str(&redacted(url)),
        }
    }
}

/// The URL with its password, if any, replaced by `***`: fit for logs and error messages. Errs
/// on the side of hiding: everything between the user name and the last `@` before the query
/// (a password may hold `/` or `@`), and any `password=` parameter.
fn redacted(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (before_query, query) = match rest.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (rest, None),
    };
    let mut out = format!("{scheme}://");
    match before_query.rsplit_once('@') {
        Some((user_info, host)) if user_info.contains(':') => {
            let user = user_info.split(':').next().unwrap_or_default();
            out.push_str(&format!("{user}:***@{host}"));
        }
        _ => out.push_str(before_query),
    }
    if let Some(query) = query {
        let params: Vec<String> = query
            .split('&')
            .map(|p| match p.split_once('=') {
                Some((key, _)) if key.eq_ignore_ascii_case("password") => format!("{key}=***"),
                _ => p.to_string(),
            })
            .collect();
        out.push('?');
        out.push_str(&params.join("&"));
    }
    out
}

/// What the service needs of a store. Futures are `Send`, so handlers can hold them across
/// `.await`; implementations run blocking I/O off the async threads themselves.
pub trait Store: Send + Sync + 'static {
    /// The model the stored vectors were made with; `None` for a new store.
    fn model(&self) -> impl Future<Output = Result<Option<ModelId>>> + Send;
    /// Records `model` as the maker of the stored vectors (after a rename: same vectors).
    fn set_model(&self, model: &ModelId) -> impl Future<Output = Result<()>> + Send;
    /// Whether the initial corpus has been ingested once (it is not ingested again, so that
    /// deleted seed documents stay deleted).
    fn is_seeded(&self) -> impl Future<Output = Result<bool>> + Send;
    fn mark_seeded(&self) -> impl Future<Output = Result<()>> + Send;
    /// Every document, in the order they were stored, with its vectors when they are `dim` wide.
    fn load(&self, dim: usize) -> impl Future<Output = Result<Vec<StoredDocument>>> + Send;
    /// Stores documents and their vectors, made by `model`, in one transaction: all or none.
    /// A text another process stored meanwhile is [`Error::StoredMeanwhile`], an id another
    /// process took meanwhile [`Error::IdTaken`].
    fn insert(
        &self,
        documents: &[NewDocument<'_>],
        model: &ModelId,
    ) -> impl Future<Output = Result<()>> + Send;
    /// Deletes a document with its paragraphs and sentences; false if there was none.
    fn delete(&self, id: &str) -> impl Future<Output = Result<bool>> + Send;
    /// Replaces the vectors of the given documents and records the model that made them, in one
    /// transaction (after a model change).
    fn replace_vectors(
        &self,
        model: &ModelId,
        documents: &[NewDocument<'_>],
    ) -> impl Future<Output = Result<()>> + Send;
}

/// The store `--store` names.
pub enum AnyStore {
    Sqlite(SqliteStore),
    Postgres(PostgresStore),
}

impl AnyStore {
    /// Opens (creating if needed) the store at `url`. One that is not footnote's, or was written
    /// by a newer footnote, is refused with an error saying so, and left as it was.
    pub async fn open(url: &StoreUrl) -> Result<Self> {
        match url {
            StoreUrl::Sqlite(path) => Ok(AnyStore::Sqlite(SqliteStore::open(path).await?)),
            StoreUrl::Postgres(url) => Ok(AnyStore::Postgres(PostgresStore::open(url).await?)),
        }
    }
}

/// Calls the same method on whichever store this is.
macro_rules! dispatch {
    ($self:ident, $store:ident => $call:expr) => {
        match $self {
            AnyStore::Sqlite($store) => $call,
            AnyStore::Postgres($store) => $call,
        }
    };
}

impl Store for AnyStore {
    async fn model(&self) -> Result<Option<ModelId>> {
        dispatch!(self, s => s.model().await)
    }
    async fn set_model(&self, model: &ModelId) -> Result<()> {
        dispatch!(self, s => s.set_model(model).await)
    }
    async fn is_seeded(&self) -> Result<bool> {
        dispatch!(self, s => s.is_seeded().await)
    }
    async fn mark_seeded(&self) -> Result<()> {
        dispatch!(self, s => s.mark_seeded().await)
    }
    async fn load(&self, dim: usize) -> Result<Vec<StoredDocument>> {
        dispatch!(self, s => s.load(dim).await)
    }
    async fn insert(&self, documents: &[NewDocument<'_>], model: &ModelId) -> Result<()> {
        dispatch!(self, s => s.insert(documents, model).await)
    }
    async fn delete(&self, id: &str) -> Result<bool> {
        dispatch!(self, s => s.delete(id).await)
    }
    async fn replace_vectors(&self, model: &ModelId, documents: &[NewDocument<'_>]) -> Result<()> {
        dispatch!(self, s => s.replace_vectors(model, documents).await)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_urls_parse_and_print_back() {
        let url: StoreUrl = "sqlite:/var/lib/footnote/news.sqlite3".parse().unwrap();
        assert_eq!(
            url,
            StoreUrl::Sqlite("/var/lib/footnote/news.sqlite3".into())
        );
        assert_eq!(url.to_string(), "sqlite:/var/lib/footnote/news.sqlite3");
        assert_eq!(
            StoreUrl::in_data_dir("data"),
            StoreUrl::Sqlite(PathBuf::from("data").join(FILE_NAME))
        );
        for bad in ["", "sqlite:", "data/footnote.sqlite3", "mysql://db/news"] {
            let err = bad.parse::<StoreUrl>().unwrap_err();
            assert!(
                err.to_string().contains("expected sqlite:PATH"),
                "{bad}: {err}"
            );
        }
        let url = "postgres://footnote:s3cret@db.example:5432/news?sslmode=disable";
        assert_eq!(
            url.parse::<StoreUrl>().unwrap(),
            StoreUrl::Postgres(url.into())
        );
        assert!("postgres:news".parse::<StoreUrl>().is_err());
    }

    #[test]
    fn passwords_never_reach_logs_or_errors() {
        let url: StoreUrl = "postgres://footnote:s3cret@db.example:5432/news"
            .parse()
            .unwrap();
        assert_eq!(
            url.to_string(),
            "postgres://footnote:***@db.example:5432/news"
        );
        let plain = "postgresql://footnote@db.example/news";
        assert_eq!(plain.parse::<StoreUrl>().unwrap().to_string(), plain);
        let err = "mysql://root:hunter2@db/news"
            .parse::<StoreUrl>()
            .unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
        for url in [
            "postgres://footnote@db.example/news?password=hunter2&sslmode=disable",
            "postgres://footnote:hun/ter2@db.example/news",
            "postgres://footnote:hun@ter2@db.example/news",
        ] {
            let parsed: StoreUrl = url.parse().unwrap();
            for shown in [parsed.to_string(), format!("{parsed:?}")] {
                assert!(!shown.contains("ter2"), "{url} shown as {shown}");
                assert!(shown.contains("db.example/news"), "{shown}");
            }
        }
    }
}
