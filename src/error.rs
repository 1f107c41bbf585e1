//! The library's error type. Binaries wrap it in `anyhow` at the edge; the HTTP layer maps it
//! to status codes in one place.

use std::path::PathBuf;

/// Everything that can go wrong inside footnote, phrased for the person who has to fix it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The OS error is part of the message, not a separate `source`: `anyhow`'s `{:#}` at the
    /// CLI edge prints the source chain, which would repeat it.
    #[error("{path}: {reason}")]
    Io {
        path: PathBuf,
        reason: std::io::Error,
    },
    #[error("{path}: not a UTF-8 text file (binary or another encoding)")]
    NotUtf8 { path: PathBuf },
    #[error("{path}: the file is empty")]
    EmptyFile { path: PathBuf },
    #[error("{path}: no .txt or .jsonl documents found")]
    NoDocuments { path: PathBuf },
    #[error("{path}:{line}: {message}")]
    BadRecord {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("unknown document id `{0}`")]
    UnknownDocument(String),
    #[error(
        "document id `{0}` is taken by a document with different text (delete that document \
         first, or send no id to get one derived from the text)"
    )]
    IdTaken(String),
    #[error("the question is empty")]
    EmptyQuestion,
    #[error("{0}")]
    InvalidInput(String),
    #[error("model {model}: {message}")]
    Model { model: String, message: String },
    /// The model or machine lacks something a chosen code path needs.
    #[error("{0}")]
    Unsupported(String),
    #[error("model inference failed: {0}")]
    Inference(#[from] candle_core::Error),
    #[error("tokenizer: {0}")]
    Tokenizer(String),
    /// SQLite's message only, not a `source`, for the same reason as `Io`.
    #[error("document store: {0}")]
    Store(String),
    /// The file is not (or no longer) a footnote store it can read: damaged, another program's
    /// database, or a newer schema. Nothing is written to it.
    #[error("document store: {0}")]
    StoreFormat(String),
    /// The disk under the store is full: the write was rolled back whole.
    #[error(
        "document store: the disk is full, so nothing was written (free space where the store \
         is, then retry)"
    )]
    StoreFull,
    /// Another process sharing the store stored the same text while this one was embedding it:
    /// the writer reads the store again and answers with the stored document.
    #[error("document store: the same text was stored meanwhile by another process")]
    StoredMeanwhile,
    /// The database behind the store cannot be reached now (down, restarting, out of
    /// connections): nothing was written; retrying later may succeed.
    #[error("document store unavailable: {0}")]
    StoreUnavailable(String),
    /// The data directory or the store file cannot be written.
    #[error(
        "{path}: the document store cannot be written here ({reason}); footnote needs to write \
         its store (check the permissions, or that the disk is mounted read-write)"
    )]
    StoreNotWritable {
        path: PathBuf,
        reason: std::io::Error,
    },
    #[error("the model is busy ({capacity} requests are already queued); retry shortly")]
    Overloaded { capacity: usize },
    #[error("the model worker has stopped")]
    WorkerStopped,
    /// A blocking task ended without a result: it panicked, which is a bug.
    #[error("a background task failed: {0}")]
    TaskFailed(String),
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, reason: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            reason,
        }
    }
}

/// SQLite's errors by what the person running footnote can do about them.
impl From<rusqlite::Error> for Error {
    fn from(error: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode::{DatabaseCorrupt, DiskFull, NotADatabase};
        match error.sqlite_error_code() {
            Some(DiskFull) => Error::StoreFull,
            Some(NotADatabase | DatabaseCorrupt) => Error::StoreFormat(format!(
                "the file is damaged or not an SQLite database ({error}); footnote has left it \
                 as it is: restore it from a backup, or point --data at another directory"
            )),
            _ => Error::Store(error.to_string()),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
